"""The benchmark report: figures, Markdown/CSV/JSON tables and the provenance manifest.

:func:`build_report` turns the held-out split's ground truth, images and predictions (COCO
results) into everything the documentation embeds. Like :mod:`benchmark.plots` it reads records
and files only, never a model, and never imports torch or detectron2.
"""

from benchmark.report.build import FIGURES, analyse, build_report, evaluate_predictions
from benchmark.report.manifest import (
    build_manifest,
    code_version,
    library_versions,
    manifest_is_stale,
    read_manifest,
    write_manifest,
)

__all__ = [
    "FIGURES",
    "analyse",
    "build_manifest",
    "build_report",
    "code_version",
    "evaluate_predictions",
    "library_versions",
    "manifest_is_stale",
    "read_manifest",
    "write_manifest",
]
