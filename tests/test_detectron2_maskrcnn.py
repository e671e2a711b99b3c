"""detectron2's Mask R-CNN builds, trains and predicts on CPU through the compatibility layer."""

from __future__ import annotations

import benchmark.compat  # noqa: F401  (must precede detectron2)

import numpy as np
import pytest
import torch
from detectron2 import model_zoo
from detectron2.config import get_cfg
from detectron2.modeling import build_model
from detectron2.structures import BitMasks, Instances
from detectron2.utils.events import EventStorage

SIZE = 96
CELLS = [(30, 30, 12, 0), (64, 60, 16, 1)]  # (centre y, centre x, radius, class)


def _random_init_cfg():
    """The model-zoo R50-FPN Mask R-CNN config, with GroupNorm so that random init trains."""
    cfg = get_cfg()
    cfg.merge_from_file(
        model_zoo.get_config_file("COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_3x.yaml")
    )
    cfg.MODEL.DEVICE = "cpu"
    cfg.MODEL.WEIGHTS = ""
    cfg.MODEL.RESNETS.NORM = "GN"
    cfg.MODEL.RESNETS.STRIDE_IN_1X1 = False
    cfg.MODEL.BACKBONE.FREEZE_AT = 0
    cfg.MODEL.FPN.NORM = "GN"
    cfg.MODEL.ROI_BOX_HEAD.NORM = "GN"
    cfg.MODEL.ROI_BOX_HEAD.NUM_CONV = 4
    cfg.MODEL.ROI_BOX_HEAD.NUM_FC = 1
    cfg.MODEL.ROI_MASK_HEAD.NORM = "GN"
    cfg.MODEL.ROI_HEADS.NUM_CLASSES = 2
    cfg.MODEL.ROI_HEADS.SCORE_THRESH_TEST = 0.0  # an untrained model must still return detections
    return cfg


def _image_with_cells() -> tuple[torch.Tensor, Instances]:
    yy, xx = np.mgrid[:SIZE, :SIZE]
    image = np.full((3, SIZE, SIZE), 40.0, dtype=np.float32)
    masks = []
    for cy, cx, radius, _ in CELLS:
        disk = (yy - cy) ** 2 + (xx - cx) ** 2 < radius**2
        image[:, disk] = 200.0
        masks.append(disk)
    gt_masks = BitMasks(torch.as_tensor(np.stack(masks)))
    instances = Instances((SIZE, SIZE))
    instances.gt_masks = gt_masks
    instances.gt_boxes = gt_masks.get_bounding_boxes()
    instances.gt_classes = torch.tensor([c for *_, c in CELLS])
    return torch.as_tensor(image), instances


@pytest.fixture(scope="module")
def model_and_batch():
    torch.manual_seed(0)
    cfg = _random_init_cfg()
    model = build_model(cfg)
    image, instances = _image_with_cells()
    return model, {"image": image, "height": SIZE, "width": SIZE, "instances": instances}


def test_two_training_steps_give_finite_losses(model_and_batch):
    model, sample = model_and_batch
    optimizer = torch.optim.SGD(model.parameters(), lr=0.005, momentum=0.9)
    model.train()
    with EventStorage(0):
        for _ in range(2):
            losses = model([sample])
            assert set(losses) == {
                "loss_cls",
                "loss_box_reg",
                "loss_mask",
                "loss_rpn_cls",
                "loss_rpn_loc",
            }
            total = sum(losses.values())
            assert torch.isfinite(total), losses
            optimizer.zero_grad()
            total.backward()
            optimizer.step()
    for name, parameter in model.named_parameters():
        assert torch.isfinite(parameter).all(), name


def test_inference_returns_masks_of_the_image_size(model_and_batch):
    model, sample = model_and_batch
    model.eval()
    with torch.no_grad():
        (output,) = model([{"image": sample["image"], "height": SIZE, "width": SIZE}])
    instances = output["instances"]
    assert isinstance(instances, Instances)
    assert len(instances) > 0
    assert instances.pred_masks.shape[1:] == (SIZE, SIZE)
    assert instances.pred_masks.dtype == torch.bool
    assert set(instances.pred_classes.tolist()) <= {0, 1}
