"""One figure style for the site: sizes, colours, fonts and the PNG writer.

Figures have an opaque white face, dark-grey text and light grid lines, so they read the same on
the light and the dark site theme. They are drawn at :data:`NOMINAL_DPI` (the size they are shown
at) and saved at :data:`DPI` (2×, for sharp text on high-density screens): a figure
:data:`WIDTH` inches wide is a PNG of ``WIDTH * DPI`` pixels.

Class colours are from the Okabe–Ito palette (distinguishable with the common colour-vision
deficiencies); lines also differ in style, so colour is never the only cue. Overlay colours are
the pure additive primaries the method page describes: ground truth green, prediction red, their
overlap yellow.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure

from benchmark.fileio import write_bytes_atomic

#: Resolution of the saved PNG files (2× the nominal one).
DPI = 200
#: Resolution the figure sizes are designed for (one inch = 100 CSS pixels).
NOMINAL_DPI = 100
#: Default figure width in inches: the width of the site's text column.
WIDTH = 8.0

TEXT = "#333333"
MUTED = "#6b6b6b"
GRID = "#dddddd"

#: Line colour, style and marker of each class (Okabe–Ito blue and vermillion; "all" in black).
CLASS_STYLES: dict[str, dict[str, str]] = {
    "all": {"color": "#222222", "linestyle": "-", "marker": "o"},
    "macrophage": {"color": "#0072B2", "linestyle": "--", "marker": "s"},
    "dead_macrophage": {"color": "#D55E00", "linestyle": ":", "marker": "^"},
}
#: Styles of ordered subsets (low -> high), e.g. perimeter/area tertiles (Okabe–Ito).
SUBSET_STYLES: tuple[dict[str, str], ...] = (
    {"color": "#009E73", "linestyle": "-", "marker": "o"},
    {"color": "#E69F00", "linestyle": "--", "marker": "s"},
    {"color": "#CC79A7", "linestyle": ":", "marker": "^"},
    {"color": "#56B4E9", "linestyle": "-.", "marker": "D"},
    {"color": "#0072B2", "linestyle": (0, (5, 1)), "marker": "v"},  # type: ignore[dict-item]
)
#: Colours of the train and test splits in histograms.
SPLIT_COLOURS: dict[str, str] = {
    "train": "#0072B2",
    "validation": "#009E73",
    "test": "#E69F00",
}

#: Overlay colours (RGB, 0-255): the method page's legend uses the same values.
GROUND_TRUTH_RGB = (0, 255, 0)
PREDICTION_RGB = (255, 0, 0)
OVERLAP_RGB = (255, 255, 0)

RC_PARAMS: dict[str, object] = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "text.color": TEXT,
    "axes.labelcolor": TEXT,
    "axes.titlecolor": TEXT,
    "axes.edgecolor": MUTED,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": TEXT,
    "ytick.labelcolor": TEXT,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "lines.markersize": 3.5,
}


def class_label(name: str) -> str:
    """Readable class name: ``dead_macrophage`` -> ``dead macrophage``."""
    return name.replace("_", " ")


def class_style(name: str) -> dict[str, str]:
    """Line style of a class (a neutral grey for classes the project does not name)."""
    return CLASS_STYLES.get(name, {"color": MUTED, "linestyle": "-.", "marker": "x"})


@contextmanager
def site_style() -> Iterator[None]:
    """Apply :data:`RC_PARAMS` while figures are drawn (artists read them when created)."""
    with mpl.rc_context(RC_PARAMS):
        yield


def new_figure(width: float = WIDTH, height: float = 3.2) -> Figure:
    """A constrained-layout figure of ``width`` x ``height`` inches, independent of pyplot.

    No pyplot state is touched (no backend switch, nothing to close): the figure is drawn by
    the Agg renderer when saved. Create it and its axes inside :func:`site_style`.
    """
    return Figure(figsize=(width, height), dpi=NOMINAL_DPI, layout="constrained")


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG at :data:`DPI`, without a timestamp (same figure, same bytes)."""
    buffer = io.BytesIO()
    with site_style():
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def save_png(fig: Figure, path: str | Path) -> Path:
    """Write the figure to ``path`` atomically at :data:`DPI`; return the path."""
    return write_bytes_atomic(path, png_bytes(fig))
