"""Make detectron2 v0.6 usable when it was installed from the registry without its compiled ops.

Import this module before detectron2 (every module of macroseg that uses detectron2 does)::

    import benchmark.compat  # noqa: F401  (side effect: detectron2 becomes importable)

What it does, each step only when needed:

* **``detectron2._C`` stand-in.** The registry build (``pb1-detectron2``, see
  :mod:`benchmark.install_detectron2`) ships no compiled extension. Mask R-CNN does not need it:
  it uses torchvision's RoIAlign and NMS. The extension serves only rotated boxes, deformable
  convolution (detectron2 already runs plain deformable convolution on CPU through torchvision;
  the GPU and modulated variants need ``_C``) and the fast C++ COCO evaluator. When
  ``detectron2._C`` cannot be found, a stand-in module is registered whose functions raise
  :class:`NotImplementedError` with :data:`OFFICIAL_INSTALL_HINT`; the rotated NMS operator
  ``torch.ops.detectron2.nms_rotated`` is defined the same way. An official compiled detectron2
  is never touched.
* **Pillow.** ``PIL.Image.LINEAR`` was removed in Pillow 10 and detectron2 v0.6 names it at import
  time; it is aliased to ``PIL.Image.BILINEAR`` (the same filter) when missing.
* **COCO evaluation.** :func:`build_coco_evaluator` builds detectron2's ``COCOEvaluator`` with
  ``use_fast_impl`` on only when the compiled evaluator exists, so pycocotools' pure path is used
  otherwise.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Callable
from typing import Any

OFFICIAL_INSTALL_HINT = (
    "it needs detectron2's compiled extension (detectron2._C), which the registry build "
    "pb1-detectron2 lacks. Install the official detectron2 instead: "
    "pip install --no-build-isolation 'git+https://github.com/facebookresearch/detectron2.git' "
    "(needs a C++ compiler; CUDA for GPU kernels)."
)

#: The compiled functions of detectron2 v0.6's ``_C`` and the feature each one serves.
COMPILED_OPS: dict[str, str] = {
    "box_iou_rotated": "rotated boxes",
    "nms_rotated": "rotated boxes",
    "roi_align_rotated_forward": "rotated boxes",
    "roi_align_rotated_backward": "rotated boxes",
    "deform_conv_forward": "deformable convolution",
    "deform_conv_backward_input": "deformable convolution",
    "deform_conv_backward_filter": "deformable convolution",
    "modulated_deform_conv_forward": "deformable convolution",
    "modulated_deform_conv_backward": "deformable convolution",
    "InstanceAnnotation": "the fast COCO evaluator (use_fast_impl=True)",
    "COCOevalEvaluateImages": "the fast COCO evaluator (use_fast_impl=True)",
    "COCOevalAccumulate": "the fast COCO evaluator (use_fast_impl=True)",
}

STANDIN_MARKER = "__macroseg_standin__"

_torch_library: Any = None  # keeps the stand-in operator registration alive


def unavailable_message(name: str) -> str:
    """The error message of the stand-in for compiled function ``name``."""
    return f"detectron2._C.{name} ({COMPILED_OPS[name]}) is not available: {OFFICIAL_INSTALL_HINT}"


def _unavailable(name: str) -> Callable[..., Any]:
    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(unavailable_message(name))

    unavailable.__name__ = unavailable.__qualname__ = name
    return unavailable


def _compiler_version() -> str:
    return "none (registry build without detectron2._C; see benchmark.compat)"


def make_standin_module() -> types.ModuleType:
    """A module that takes the place of ``detectron2._C`` and fails clearly when used."""
    module = types.ModuleType("detectron2._C", __doc__)
    for name in COMPILED_OPS:
        setattr(module, name, _unavailable(name))
    # read by detectron2.utils.collect_env
    module.get_compiler_version = _compiler_version
    module.get_cuda_version = _compiler_version
    module.has_cuda = lambda: False
    setattr(module, STANDIN_MARKER, True)
    return module


def compiled_extension_present() -> bool:
    """True when detectron2 ships its own compiled ``_C`` (the official build)."""
    existing = sys.modules.get("detectron2._C")
    if existing is not None:
        return not getattr(existing, STANDIN_MARKER, False)
    return importlib.util.find_spec("detectron2._C") is not None


def _define_rotated_nms_operator() -> None:
    """Define ``torch.ops.detectron2.nms_rotated`` so that calling it explains what is missing."""
    global _torch_library
    import torch

    if _torch_library is not None or hasattr(torch.ops.detectron2, "nms_rotated"):
        return
    library = torch.library.Library("detectron2", "DEF")
    library.define("nms_rotated(Tensor boxes, Tensor scores, float iou_threshold) -> Tensor")
    library.impl("nms_rotated", _unavailable("nms_rotated"), "CompositeExplicitAutograd")
    _torch_library = library


def alias_pillow_linear() -> bool:
    """Alias ``PIL.Image.LINEAR`` to ``BILINEAR`` when Pillow lacks it; True if it was added."""
    from PIL import Image

    if hasattr(Image, "LINEAR"):
        return False
    Image.LINEAR = Image.BILINEAR
    return True


def install_standin() -> bool:
    """Register the ``detectron2._C`` stand-in unless the compiled one exists; True if registered.

    Raises
    ------
    ModuleNotFoundError
        When detectron2 itself is not installed (run ``make setup``).
    """
    if importlib.util.find_spec("detectron2") is None:
        raise ModuleNotFoundError(
            "detectron2 is not installed: run `make setup` (or "
            "`python benchmark/install_detectron2.py`) in the project's environment."
        )
    if compiled_extension_present():
        return False
    import detectron2

    standin = sys.modules.get("detectron2._C") or make_standin_module()
    sys.modules["detectron2._C"] = standin
    detectron2._C = standin
    _define_rotated_nms_operator()
    return True


def apply() -> bool:
    """Apply every fix this module describes; True if the ``_C`` stand-in is in use. Idempotent."""
    alias_pillow_linear()
    return install_standin()


def build_coco_evaluator(dataset_name: str, output_dir: str | None = None, **kwargs: Any) -> Any:
    """detectron2's ``COCOEvaluator`` for ``dataset_name``, on the pure pycocotools path unless the
    compiled evaluator exists. Extra keyword arguments go to ``COCOEvaluator``."""
    from detectron2.evaluation import COCOEvaluator

    kwargs.setdefault("use_fast_impl", compiled_extension_present())
    return COCOEvaluator(dataset_name, output_dir=output_dir, **kwargs)


USING_STANDIN: bool = apply()
"""Whether this process runs detectron2 with the ``_C`` stand-in (the registry build)."""
