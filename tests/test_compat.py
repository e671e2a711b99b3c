"""The compatibility layer: a ``detectron2._C`` stand-in only when the compiled one is absent."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from PIL import Image

from benchmark import compat


def test_registry_build_uses_the_standin():
    from detectron2 import _C

    assert compat.USING_STANDIN
    assert getattr(_C, compat.STANDIN_MARKER)
    assert not compat.compiled_extension_present()


@pytest.mark.parametrize("name", sorted(compat.COMPILED_OPS))
def test_every_compiled_op_fails_with_the_documented_message(name):
    from detectron2 import _C

    with pytest.raises(NotImplementedError) as error:
        getattr(_C, name)()
    assert str(error.value) == compat.unavailable_message(name)
    assert "pip install --no-build-isolation" in str(error.value)
    assert compat.COMPILED_OPS[name] in str(error.value)


def test_detectron2_rotated_ops_raise_through_their_public_api():
    from detectron2.layers import ROIAlignRotated, nms_rotated
    from detectron2.layers.rotated_boxes import pairwise_iou_rotated

    boxes = torch.tensor([[10.0, 10.0, 4.0, 4.0, 0.0], [11.0, 10.0, 4.0, 4.0, 30.0]])
    with pytest.raises(NotImplementedError, match="rotated boxes"):
        pairwise_iou_rotated(boxes, boxes)
    with pytest.raises(NotImplementedError, match="rotated boxes"):
        nms_rotated(boxes, torch.tensor([0.9, 0.8]), 0.5)
    features = torch.zeros(1, 1, 16, 16)
    rois = torch.tensor([[0.0, 8.0, 8.0, 4.0, 4.0, 0.0]])
    with pytest.raises(NotImplementedError, match="rotated boxes"):
        ROIAlignRotated((2, 2), 1.0, 0)(features, rois)


def test_plain_deformable_convolution_runs_on_cpu_without_the_extension():
    """detectron2 v0.6 itself routes CPU DeformConv to torchvision; zero offsets = convolution."""
    from detectron2.layers import DeformConv

    torch.manual_seed(0)
    layer = DeformConv(2, 3, kernel_size=3, padding=1, bias=False)
    image = torch.randn(1, 2, 8, 8)
    output = layer(image, torch.zeros(1, 18, 8, 8))
    expected = torch.nn.functional.conv2d(image, layer.weight, padding=1)
    torch.testing.assert_close(output, expected)


def test_compiled_extension_is_left_alone(tmp_path):
    """With a (fake) compiled ``_C`` on detectron2's path, no stand-in is registered."""
    (tmp_path / "_C.py").write_text("COMPILED = True\n")
    script = textwrap.dedent(f"""
        import detectron2
        detectron2.__path__.append({str(tmp_path)!r})
        from benchmark import compat
        from detectron2 import _C
        print(compat.USING_STANDIN, compat.compiled_extension_present(), _C.COMPILED)
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True", "True"]


def test_pillow_linear_alias(monkeypatch):
    monkeypatch.delattr(Image, "LINEAR", raising=False)
    assert compat.alias_pillow_linear() is True
    assert Image.LINEAR == Image.BILINEAR
    assert compat.alias_pillow_linear() is False


def test_apply_is_idempotent():
    from detectron2 import _C

    assert compat.apply() is True
    from detectron2 import _C as again

    assert again is _C


def test_coco_evaluator_uses_pure_pycocotools_and_scores_a_perfect_prediction(tmp_path):
    from detectron2.data import DatasetCatalog, MetadataCatalog
    from detectron2.structures import Boxes, BoxMode, Instances
    from pycocotools import mask as mask_utils

    size = 64
    masks = np.zeros((2, size, size), dtype=bool)
    masks[0, 5:25, 5:30] = True
    masks[1, 35:60, 30:50] = True
    annotations = []
    for mask, category in zip(masks, (0, 1), strict=True):
        rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        rle["counts"] = rle["counts"].decode()
        x, y, w, h = mask_utils.toBbox(rle).tolist()
        annotations.append(
            {
                "bbox": [x, y, w, h],
                "bbox_mode": BoxMode.XYWH_ABS,
                "category_id": category,
                "segmentation": rle,
                "iscrowd": 0,
            }
        )
    name = "macroseg_compat_evaluator_test"
    DatasetCatalog.register(
        name,
        lambda: [
            {
                "file_name": "x.png",
                "image_id": 1,
                "height": size,
                "width": size,
                "annotations": annotations,
            }
        ],
    )
    MetadataCatalog.get(name).set(thing_classes=["macrophage", "dead_macrophage"])
    try:
        evaluator = compat.build_coco_evaluator(name, output_dir=str(tmp_path), tasks=("segm",))
        assert evaluator._use_fast_impl is False
        prediction = Instances((size, size))
        prediction.pred_masks = torch.as_tensor(masks)
        prediction.pred_boxes = Boxes(torch.tensor([[5.0, 5.0, 30.0, 25.0], [30, 35, 50, 60]]))
        prediction.scores = torch.tensor([0.9, 0.8])
        prediction.pred_classes = torch.tensor([0, 1])
        evaluator.reset()
        evaluator.process([{"image_id": 1}], [{"instances": prediction}])
        results = evaluator.evaluate()
    finally:
        DatasetCatalog.remove(name)
        MetadataCatalog.remove(name)
    assert results["segm"]["AP"] == pytest.approx(100.0)
    saved = json.loads((tmp_path / "coco_instances_results.json").read_text())
    assert len(saved) == 2
