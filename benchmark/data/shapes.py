"""Macrophage outlines and optical thickness, drawn in a cell's own small frame.

Each ``draw_*`` function returns a :class:`CellShape`: a boolean mask, an optical-thickness map
(phase delay, arbitrary units, 0 outside the cell), a "bright" map for refractile dead cells and
the morphology name. Sizes are in pixels at the generator's pixel size. Pure numpy + scipy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.draw import disk, ellipse, polygon


@dataclass
class CellShape:
    """A cell drawn in its own frame (``mask``, ``thickness`` and ``bright`` share one shape)."""

    morphology: str
    mask: np.ndarray
    thickness: np.ndarray
    bright: np.ndarray

    @property
    def centre(self) -> tuple[float, float]:
        """Centre of mass ``(row, col)`` of the mask."""
        rows, cols = np.nonzero(self.mask)
        return float(rows.mean()), float(cols.mean())

    @property
    def radius(self) -> float:
        """Equivalent radius ``sqrt(area / pi)`` in pixels."""
        return float(np.sqrt(self.mask.sum() / np.pi))


def _canvas(extent: float) -> tuple[int, float]:
    size = int(2 * np.ceil(extent) + 7)
    return size, size / 2.0


def radial_outline(
    rng: np.random.Generator,
    radius: float,
    irregularity: float,
    ruffle: float = 0.0,
    aspect: float = 1.0,
    polarity: float = 0.0,
    lobes: int = 0,
    lobe_size: float = 0.0,
    n_points: int = 256,
) -> np.ndarray:
    """Return a closed outline ``(n_points, 2)`` of ``(row, col)`` offsets from the centre.

    Parameters
    ----------
    rng
        Random generator.
    radius
        Mean radius in pixels.
    irregularity
        Amplitude of low-order (2-5) Fourier harmonics, relative to ``radius``.
    ruffle
        Amplitude of high-order (8-28) harmonics: membrane ruffles and micro-spikes.
    aspect
        Long over short axis of an underlying ellipse (elongated cells).
    polarity
        Teardrop factor: one end wider than the other (polarised cells).
    lobes, lobe_size
        Number and relative height of broad lamellipodia.
    n_points
        Vertices of the outline.
    """
    theta = np.linspace(0, 2 * np.pi, n_points, endpoint=False)
    axis = rng.uniform(0, 2 * np.pi)
    rel = theta - axis
    r = 1.0 / np.sqrt((np.cos(rel) / np.sqrt(aspect)) ** 2 + (np.sin(rel) * np.sqrt(aspect)) ** 2)
    r = r * (1 + polarity * np.cos(rel))
    for k in range(2, 6):
        r = r + irregularity / k * rng.normal() * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    for k in rng.choice(np.arange(8, 29), size=6, replace=False):
        r = r + ruffle * rng.uniform(0.3, 1.0) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    for _ in range(lobes):
        centre, width = rng.uniform(0, 2 * np.pi), rng.uniform(0.35, 0.7)
        d = np.angle(np.exp(1j * (theta - centre)))
        r = r + lobe_size * rng.uniform(0.6, 1.0) * np.exp(-0.5 * (d / width) ** 2)
    r = np.clip(r, 0.35, None) * radius
    return np.column_stack([r * np.sin(theta), r * np.cos(theta)])


def _fill(outline: np.ndarray, size: int, centre: float) -> np.ndarray:
    mask = np.zeros((size, size), dtype=bool)
    rr, cc = polygon(outline[:, 0] + centre, outline[:, 1] + centre, shape=mask.shape)
    mask[rr, cc] = True
    return mask


def _dome(mask: np.ndarray, peak: float) -> np.ndarray:
    """A rounded thickness profile: ``peak`` at the deepest point, 0 at the edge."""
    dist = ndimage.distance_transform_edt(mask)
    depth = dist / max(float(dist.max()), 1.0)
    return peak * np.sqrt(np.clip(1 - (1 - depth) ** 2, 0, 1))


def _nucleus(
    rng: np.random.Generator, mask: np.ndarray, centre: tuple[float, float], size: float
) -> np.ndarray:
    """Extra thickness of an elliptical nucleus (with a nucleolus) inside ``mask``."""
    out = np.zeros(mask.shape, dtype=float)
    a, b = size * rng.uniform(0.9, 1.2), size * rng.uniform(0.7, 0.95)
    rr, cc = ellipse(centre[0], centre[1], a, b, shape=mask.shape, rotation=rng.uniform(0, np.pi))
    out[rr, cc] = 0.35
    rr, cc = disk(
        (centre[0] + rng.normal(0, size / 4), centre[1] + rng.normal(0, size / 4)),
        max(size / 4, 1.2),
        shape=mask.shape,
    )
    out[rr, cc] += 0.25
    return ndimage.gaussian_filter(out, 1.0) * mask


def _vacuoles(rng: np.random.Generator, mask: np.ndarray, count: int, radius: float) -> np.ndarray:
    """Negative thickness (phase-bright spots) of ``count`` vacuoles well inside ``mask``."""
    out = np.zeros(mask.shape, dtype=float)
    inner = np.argwhere(ndimage.binary_erosion(mask, iterations=int(radius) + 2))
    if len(inner) == 0:
        return out
    for index in rng.choice(len(inner), size=min(count, len(inner)), replace=False):
        rr, cc = disk(tuple(inner[index]), radius * rng.uniform(0.6, 1.2), shape=mask.shape)
        out[rr, cc] = -0.3
    return ndimage.gaussian_filter(out, 0.7) * mask


def _process(
    rng: np.random.Generator, start: np.ndarray, angle: float, length: float, width: float
) -> np.ndarray:
    """Polygon ``(n, 2)`` of a tapered, gently curved process (filopodium or dendrite)."""
    n = max(int(length / 2), 4)
    t = np.linspace(0, 1, n)
    heading = angle + np.cumsum(rng.normal(0, 0.08, n))
    steps = np.column_stack([np.sin(heading), np.cos(heading)]) * (length / (n - 1))
    centre = start + np.vstack([[0, 0], np.cumsum(steps[:-1], axis=0)])
    half = (width / 2) * (1 - t) + 0.75 * t
    normal = np.column_stack([np.cos(heading), -np.sin(heading)])
    left, right = centre + normal * half[:, None], centre - normal * half[:, None]
    return np.vstack([left, right[::-1]])


def _spikes(
    rng: np.random.Generator,
    outline: np.ndarray,
    centre: float,
    size: int,
    count: int,
    length: tuple[float, float],
    width: float,
) -> np.ndarray:
    """Mask of ``count`` short micro-spikes (filopodia) pointing outwards from ``outline``."""
    mask = np.zeros((size, size), dtype=bool)
    for index in rng.choice(len(outline), size=count, replace=False):
        start = outline[index] * 0.97
        angle = float(np.arctan2(start[0], start[1])) + rng.normal(0, 0.25)
        spike = _process(rng, start, angle, rng.uniform(*length), width)
        mask |= _fill(spike, size, centre)
    return mask


def _largest_component(mask: np.ndarray) -> np.ndarray:
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n <= 1:
        return mask
    sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, n + 1))
    return labels == (int(np.argmax(sizes)) + 1)


def draw_round(rng: np.random.Generator, scale: float) -> CellShape:
    """Rounded-up cell: compact, smooth, thick (dark body, strong halo)."""
    radius = rng.uniform(12, 16) * scale
    size, c = _canvas(radius * 1.2)
    mask = _fill(radial_outline(rng, radius, 0.06, ruffle=0.008), size, c)
    thick = _dome(mask, rng.uniform(0.9, 1.2)) + _nucleus(rng, mask, (c, c), radius * 0.5)
    thick += _vacuoles(rng, mask, int(rng.integers(0, 3)), 1.5 * scale)
    return CellShape("round", mask, thick * mask, np.zeros_like(thick))


def draw_spread(rng: np.random.Generator, scale: float) -> CellShape:
    """Spread "fried egg": thick centre round the nucleus, wide thin ruffled lamella."""
    radius = rng.uniform(16, 24) * scale
    size, c = _canvas(radius * 1.5 + 14 * scale)
    outline = radial_outline(
        rng, radius, 0.25, ruffle=0.035, lobes=int(rng.integers(0, 3)), lobe_size=0.2
    )
    mask = _fill(outline, size, c)
    mask |= _spikes(
        rng, outline, c, size, int(rng.integers(20, 40)), (5 * scale, 14 * scale), 2.2 * scale
    )
    mask = _largest_component(mask)
    edge = np.clip(ndimage.distance_transform_edt(mask) / 3.0, 0, 1)
    yy, xx = np.mgrid[:size, :size]
    core = (c + rng.normal(0, radius / 8), c + rng.normal(0, radius / 8))
    r2 = (yy - core[0]) ** 2 + (xx - core[1]) ** 2
    thick = rng.uniform(0.12, 0.2) * edge + 0.75 * np.exp(-r2 / (2 * (0.3 * radius) ** 2))
    thick += _nucleus(rng, mask, core, radius * 0.28) + _vacuoles(
        rng, mask, int(rng.integers(1, 6)), 1.6 * scale
    )
    return CellShape("spread", mask, thick * mask, np.zeros_like(thick))


def draw_amoeboid(rng: np.random.Generator, scale: float) -> CellShape:
    """Amoeboid cell with one to three broad, thin lamellipodia and a ruffled leading edge."""
    radius = rng.uniform(11, 15) * scale
    size, c = _canvas(radius * 2.1 + 9 * scale)
    body = _fill(radial_outline(rng, radius * 0.75, 0.12, ruffle=0.01), size, c)
    outline = radial_outline(
        rng, radius, 0.15, ruffle=0.05, lobes=int(rng.integers(1, 4)), lobe_size=0.8
    )
    mask = _fill(outline, size, c) | body
    mask |= _spikes(
        rng, outline, c, size, int(rng.integers(3, 12)), (3 * scale, 8 * scale), 2.0 * scale
    )
    mask = _largest_component(mask)
    thick = 0.14 * np.clip(ndimage.distance_transform_edt(mask) / 2.5, 0, 1) + _dome(body, 0.7)
    thick += _nucleus(rng, body, (c, c), radius * 0.35)
    thick += _vacuoles(rng, mask, int(rng.integers(0, 4)), 1.4 * scale)
    return CellShape("amoeboid", mask, thick * mask, np.zeros_like(thick))


def draw_elongated(rng: np.random.Generator, scale: float) -> CellShape:
    """Elongated, polarised cell: spindle with a wide front and a narrow trailing uropod."""
    radius = rng.uniform(9, 13) * scale
    aspect = rng.uniform(3.0, 6.0)
    size, c = _canvas(radius * np.sqrt(aspect) * 1.4)
    outline = radial_outline(
        rng, radius, 0.08, ruffle=0.02, aspect=aspect, polarity=rng.uniform(0.15, 0.35)
    )
    mask = _fill(outline, size, c)
    thick = _dome(mask, rng.uniform(0.5, 0.75)) + _nucleus(rng, mask, (c, c), radius * 0.45)
    thick += _vacuoles(rng, mask, int(rng.integers(0, 3)), 1.3 * scale)
    return CellShape("elongated", mask, thick * mask, np.zeros_like(thick))


def draw_branched(rng: np.random.Generator, scale: float) -> CellShape:
    """Branched cell: small body with long, thin, faint processes and filopodia."""
    radius = rng.uniform(8, 11) * scale
    reach = radius + 42 * scale
    size, c = _canvas(reach)
    body = _fill(radial_outline(rng, radius, 0.2, ruffle=0.02), size, c)
    processes = np.zeros_like(body)
    for _ in range(int(rng.integers(3, 8))):
        angle = rng.uniform(0, 2 * np.pi)
        start = np.array([c, c]) + 0.8 * radius * np.array([np.sin(angle), np.cos(angle)])
        length = rng.uniform(12, 40) * scale
        outline = _process(rng, start, angle, length, rng.uniform(2.5, 4.5) * scale)
        processes |= _fill(outline - c, size, c)
        if rng.random() < 0.35:
            fork = start + 0.6 * length * np.array([np.sin(angle), np.cos(angle)])
            twig = _process(
                rng,
                fork,
                angle + rng.choice([-1, 1]) * rng.uniform(0.5, 1.0),
                0.5 * length,
                2.0 * scale,
            )
            processes |= _fill(twig - c, size, c)
    mask = _largest_component(body | processes)
    thick = _dome(body, rng.uniform(0.7, 0.9)) + _nucleus(rng, body, (c, c), radius * 0.5)
    thick = np.where(body, thick, 0.22 * processes)
    return CellShape("branched", mask, thick * mask, np.zeros_like(thick))


def draw_dead(rng: np.random.Generator, scale: float) -> CellShape:
    """Dead cell: small, condensed, refractile (phase-bright rim), sometimes blebbing."""
    radius = rng.uniform(4.5, 7.5) * scale
    size, c = _canvas(radius * 1.8)
    mask = _fill(radial_outline(rng, radius, 0.05), size, c)
    for _ in range(int(rng.integers(0, 5)) if rng.random() < 0.5 else 0):
        angle = rng.uniform(0, 2 * np.pi)
        rr, cc = disk(
            (c + radius * np.sin(angle), c + radius * np.cos(angle)),
            rng.uniform(1.5, 2.8) * scale,
            shape=mask.shape,
        )
        mask[rr, cc] = True
    rim = mask & ~ndimage.binary_erosion(mask, iterations=2)
    bright = ndimage.gaussian_filter(0.9 * rim + 0.35 * mask, 0.8) * mask
    core = _dome(ndimage.binary_erosion(mask, iterations=max(int(radius / 2), 1)), 0.5)
    return CellShape("dead", mask, (_dome(mask, 0.6) + core) * mask, bright)


DRAWERS: dict[str, Callable[[np.random.Generator, float], CellShape]] = {
    "round": draw_round,
    "spread": draw_spread,
    "amoeboid": draw_amoeboid,
    "elongated": draw_elongated,
    "branched": draw_branched,
    "dead": draw_dead,
}
