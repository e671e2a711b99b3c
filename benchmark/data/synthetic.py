"""Seeded synthetic macrophage images with exact instance ground truth.

A *scene* is sampled first (cells with their masks and optical thickness, placed with touching
neighbours, clusters and a little overlap, plus unannotated debris), then *rendered* as a
20× phase-contrast image (dark body, bright halo with shade-off, nucleus, granular cytoplasm,
vacuoles; refractile bright-rimmed dead cells) or as a fluorescence image, under uneven
illumination and Poisson–Gaussian camera noise, quantised to 8 or 16 bits.

Where cells overlap, the pixels belong to the cell on top, so instance masks never overlap and
convert losslessly to label images. Everything is a function of the seed: the same seed gives
the same bytes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from benchmark.data.shapes import DRAWERS, CellShape

#: Bump when anything changes what the generator writes for a given seed.
GENERATOR_VERSION = "1.0.0"
CATEGORIES: list[dict[str, Any]] = [
    {"id": 1, "name": "macrophage", "supercategory": "cell"},
    {"id": 2, "name": "dead_macrophage", "supercategory": "cell"},
]
#: RGB colours used for the classes in figures and in detectron2's metadata.
CLASS_COLOURS: dict[str, tuple[int, int, int]] = {
    "macrophage": (0, 200, 255),
    "dead_macrophage": (255, 90, 60),
}
#: Sizes in :mod:`benchmark.data.shapes` are drawn for this pixel size (20×, 2×2-binned sCMOS).
REFERENCE_PIXEL_SIZE_UM = 0.65
_NEIGHBOURS = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class SynthConfig:
    """How synthetic images look.

    Attributes
    ----------
    height, width
        Image size in pixels.
    pixel_size_um
        Pixel size in micrometres (recorded in every image entry).
    cells_per_image
        Mean number of cells per image (Poisson).
    morphology_weights
        Relative frequency of each morphology; ``dead`` is the ``dead_macrophage`` class.
    cluster_fraction
        Probability that a cell is placed against an existing cell rather than at random.
    max_overlap
        Largest fraction of a new cell allowed to lie over earlier cells.
    debris_per_image
        Mean number of unannotated debris particles per image.
    modality
        ``"phase"`` (phase contrast) or ``"fluorescence"``.
    bit_depth
        8 or 16.
    image_format
        ``"png"`` or ``"tif"``.
    """

    height: int = 512
    width: int = 512
    pixel_size_um: float = REFERENCE_PIXEL_SIZE_UM
    cells_per_image: float = 30.0
    morphology_weights: tuple[tuple[str, float], ...] = (
        ("round", 0.19),
        ("spread", 0.17),
        ("amoeboid", 0.17),
        ("elongated", 0.13),
        ("branched", 0.16),
        ("dead", 0.18),
    )
    cluster_fraction: float = 0.55
    max_overlap: float = 0.12
    debris_per_image: float = 14.0
    modality: str = "phase"
    bit_depth: int = 8
    image_format: str = "png"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (for hashing and the dataset card)."""
        out = asdict(self)
        out["morphology_weights"] = dict(self.morphology_weights)
        return out


@dataclass
class Scene:
    """A sampled field of view, before rendering.

    Attributes
    ----------
    labels
        ``(H, W)`` int32 instance labels, 0 = background, ``i + 1`` = ``cells[i]``.
    thickness
        Optical thickness (phase delay) of cells and debris.
    bright
        Extra brightness of refractile (dead) cells.
    debris
        Mask of the unannotated debris.
    morphologies
        Morphology of each cell, in label order.
    """

    labels: np.ndarray
    thickness: np.ndarray
    bright: np.ndarray
    debris: np.ndarray
    morphologies: list[str] = field(default_factory=list)

    def category_ids(self) -> list[int]:
        """COCO category id of each cell (2 for dead cells, else 1)."""
        return [2 if m == "dead" else 1 for m in self.morphologies]


def image_rng(seed: int, stream: int, index: int) -> np.random.Generator:
    """Independent generator for one image: a function of ``(seed, stream, index)`` only."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stream, index])))


def sample_scene(rng: np.random.Generator, config: SynthConfig) -> Scene:
    """Draw and place cells and debris for one image.

    Parameters
    ----------
    rng
        The image's random generator.
    config
        Generator settings.
    """
    h, w = config.height, config.width
    scene = Scene(
        labels=np.zeros((h, w), dtype=np.int32),
        thickness=np.zeros((h, w), dtype=np.float64),
        bright=np.zeros((h, w), dtype=np.float64),
        debris=np.zeros((h, w), dtype=bool),
    )
    names = [name for name, _ in config.morphology_weights]
    weights = np.array([wt for _, wt in config.morphology_weights], dtype=float)
    scale = REFERENCE_PIXEL_SIZE_UM / config.pixel_size_um
    boxes: list[tuple[int, int, int, int]] = []
    n_cells = max(int(rng.poisson(config.cells_per_image)), 1)
    for name in rng.choice(names, size=n_cells, p=weights / weights.sum()):
        shape = DRAWERS[str(name)](rng, scale)
        placed = _place(rng, scene, shape, boxes, config)
        if placed is not None:
            boxes.append(placed)
            scene.morphologies.append(shape.morphology)
    _add_debris(rng, scene, config, scale)
    return scene


def _window(
    top: int, left: int, size: tuple[int, int], frame: tuple[int, int]
) -> tuple[tuple[slice, slice], tuple[slice, slice]] | None:
    """Frame and local slices where a ``size`` patch at ``(top, left)`` overlaps the frame."""
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + size[0], frame[0]), min(left + size[1], frame[1])
    if r1 <= r0 or c1 <= c0:
        return None
    return (slice(r0, r1), slice(c0, c1)), (slice(r0 - top, r1 - top), slice(c0 - left, c1 - left))


def _candidate_centre(
    rng: np.random.Generator, shape: CellShape, scene: Scene, boxes: list, config: SynthConfig
) -> tuple[float, float]:
    n = len(scene.morphologies)
    if n and rng.random() < config.cluster_fraction:
        j = int(rng.integers(n))
        r0, c0, r1, c1 = boxes[j]
        rows, cols = np.nonzero(scene.labels[r0:r1, c0:c1] == j + 1)
        anchor = (r0 + rows.mean(), c0 + cols.mean())
        reach = np.sqrt(len(rows) / np.pi) + shape.radius
        angle = rng.uniform(0, 2 * np.pi)
        dist = reach * rng.uniform(0.7, 1.0)
        return anchor[0] + dist * np.sin(angle), anchor[1] + dist * np.cos(angle)
    return rng.uniform(0, config.height), rng.uniform(0, config.width)


def _place(
    rng: np.random.Generator, scene: Scene, shape: CellShape, boxes: list, config: SynthConfig
) -> tuple[int, int, int, int] | None:
    """Try to place ``shape``; paint it on top and return its frame box, or ``None``."""
    full = int(shape.mask.sum())
    centre = shape.centre
    for _ in range(25):
        cy, cx = _candidate_centre(rng, shape, scene, boxes, config)
        top, left = int(np.rint(cy - centre[0])), int(np.rint(cx - centre[1]))
        win = _window(top, left, shape.mask.shape, scene.labels.shape)
        if win is None:
            continue
        frame, local = win
        visible = shape.mask[local]
        area = int(visible.sum())
        if area < max(0.6 * full, 20) or _count(visible) != 1:
            continue
        under = scene.labels[frame][visible]
        if (under > 0).mean() > config.max_overlap:
            continue
        if not all(
            _survives(scene, boxes, int(j), frame, visible) for j in np.unique(under[under > 0])
        ):
            continue
        label = len(scene.morphologies) + 1
        scene.labels[frame][visible] = label
        scene.thickness[frame][visible] = shape.thickness[local][visible]
        scene.bright[frame][visible] = shape.bright[local][visible]
        return frame[0].start, frame[1].start, frame[0].stop, frame[1].stop
    return None


def _count(mask: np.ndarray) -> int:
    return int(ndimage.label(mask, structure=_NEIGHBOURS)[1])


def _survives(
    scene: Scene, boxes: list, label: int, frame: tuple[slice, slice], cover: np.ndarray
) -> bool:
    """Whether cell ``label`` keeps >= 80 % of its pixels, in one piece, under ``cover``."""
    r0, c0, r1, c1 = boxes[label - 1]
    own = scene.labels[r0:r1, c0:c1] == label
    covered = np.zeros(scene.labels.shape, dtype=bool)
    covered[frame] = cover
    remaining = own & ~covered[r0:r1, c0:c1]
    return remaining.sum() >= 0.8 * own.sum() and _count(remaining) == 1


def _add_debris(rng: np.random.Generator, scene: Scene, config: SynthConfig, scale: float) -> None:
    """Scatter unannotated debris (specks, clumps, fibres) away from the cells."""
    keep_out = ndimage.binary_dilation(scene.labels > 0, iterations=int(6 * scale) + 2)
    h, w = scene.labels.shape
    for _ in range(int(rng.poisson(config.debris_per_image))):
        piece = np.zeros((h, w), dtype=bool)
        if rng.random() < 0.15:
            from skimage.draw import line

            r, c = rng.uniform(0, h), rng.uniform(0, w)
            a, length = rng.uniform(0, np.pi), rng.uniform(10, 40) * scale
            rr, cc = line(int(r), int(c), int(r + length * np.sin(a)), int(c + length * np.cos(a)))
            ok = (rr >= 0) & (rr < h) & (cc >= 0) & (cc < w)
            piece[rr[ok], cc[ok]] = True
        else:
            from skimage.draw import disk

            rr, cc = disk(
                (rng.uniform(0, h), rng.uniform(0, w)), rng.uniform(0.8, 3.0) * scale, shape=(h, w)
            )
            piece[rr, cc] = True
        if not piece.any() or (piece & keep_out).any():
            continue
        scene.debris |= piece
        scene.thickness[piece] = rng.choice([-1.0, 1.0]) * rng.uniform(0.4, 1.2)


def render(scene: Scene, config: SynthConfig, rng: np.random.Generator | None = None) -> np.ndarray:
    """Render a scene.

    Parameters
    ----------
    scene
        The sampled scene.
    config
        Generator settings (modality, bit depth).
    rng
        The image's generator. With ``None`` the noise-free, evenly lit float image is returned
        (background 1.0 for phase contrast), which tests use to compare masks with what is seen.

    Returns
    -------
    numpy.ndarray
        ``uint8``/``uint16`` image, or the float image when ``rng`` is ``None``.
    """
    granules = ndimage.gaussian_filter(
        (rng if rng is not None else np.random.default_rng(0)).normal(size=scene.labels.shape), 0.8
    )
    granules /= granules.std() + 1e-12
    cells = scene.labels > 0
    thickness = scene.thickness * np.where(cells, 1 + 0.3 * granules, 1.0)
    if config.modality == "fluorescence":
        clean = _fluorescence(thickness, scene)
    else:
        clean = _phase_contrast(thickness, scene)
    if rng is None:
        return clean
    return _acquire(clean, rng, config)


def _phase_contrast(thickness: np.ndarray, scene: Scene) -> np.ndarray:
    """Phase-contrast model: high-passed optical path (halo + shade-off) plus weak absorption."""
    halo = thickness - ndimage.gaussian_filter(thickness, 4.0)
    image = 1.0 - 1.2 * halo - 0.12 * thickness + 0.9 * scene.bright
    return ndimage.gaussian_filter(image, 0.7)


def _fluorescence(thickness: np.ndarray, scene: Scene) -> np.ndarray:
    """Cytoplasmic-dye fluorescence: signal grows with thickness; dead cells are bright."""
    signal = np.clip(thickness, 0, None) * (scene.labels > 0) + 1.2 * scene.bright
    return 0.06 + ndimage.gaussian_filter(signal, 1.2)


def _acquire(clean: np.ndarray, rng: np.random.Generator, config: SynthConfig) -> np.ndarray:
    """Uneven illumination, defocus, Poisson–Gaussian noise and quantisation."""
    h, w = clean.shape
    yy, xx = np.mgrid[0 : 1 : h * 1j, 0 : 1 : w * 1j]
    cy, cx, spread = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.8, 1.6)
    illumination = 1.0 - rng.uniform(0.1, 0.3) * ((yy - cy) ** 2 + (xx - cx) ** 2) / spread
    illumination *= (
        1 + rng.uniform(-0.06, 0.06) * (xx - 0.5) + rng.uniform(-0.06, 0.06) * (yy - 0.5)
    )
    image = ndimage.gaussian_filter(clean * illumination, rng.uniform(0.3, 0.9))
    photons = rng.uniform(300, 1500) if config.modality == "phase" else rng.uniform(800, 3000)
    electrons = rng.poisson(np.clip(image, 0, None) * photons) + rng.normal(0, 4.0, image.shape)
    top = 255 if config.bit_depth == 8 else 65535
    level = rng.uniform(0.42, 0.55) if config.modality == "phase" else 0.04
    offset = 0 if config.modality == "phase" else top * 0.02
    adu = offset + electrons * (level * top / photons)
    dtype = np.uint8 if config.bit_depth == 8 else np.uint16
    return np.clip(np.rint(adu), 0, top).astype(dtype)


def scene_masks(scene: Scene) -> list[np.ndarray]:
    """Instance masks (boolean, full frame) in label order."""
    return [scene.labels == i + 1 for i in range(len(scene.morphologies))]


def generate_image(
    seed: int, stream: int, index: int, config: SynthConfig
) -> tuple[np.ndarray, Scene]:
    """Sample and render image ``index`` of ``stream``: ``(image, scene)``."""
    rng = image_rng(seed, stream, index)
    scene = sample_scene(rng, config)
    return render(scene, config, rng), scene
