"""macroseg: Mask R-CNN (detectron2) instance segmentation of macrophages, measured honestly.

The package is organised along the data flow::

    data  ->  model  ->  metrics  ->  plots  ->  report  ->  docs

Importing :mod:`benchmark` is cheap: it never imports torch or detectron2. Modules that need
detectron2 import :mod:`benchmark.compat` first, which makes the registry build usable.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("macroseg")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
