"""Figures of the synthetic data for the docs (``docs/assets/data/``).

Regenerate with ``macroseg data synth --figures docs/assets/data`` (default dataset) or
:func:`make_figures`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MORPHOLOGY_COLOURS = {
    "round": "#4c72b0",
    "amoeboid": "#55a868",
    "spread": "#c4ad66",
    "elongated": "#8172b2",
    "branched": "#dd8452",
    "dead": "#c44e52",
}


def outlined(
    image: np.ndarray, masks: list[np.ndarray], colours: list[tuple[int, int, int]]
) -> np.ndarray:
    """RGB copy of a greyscale image (contrast-stretched to 8 bit) with mask outlines drawn."""
    from skimage.segmentation import find_boundaries

    grey = image.astype(float)
    low, high = np.percentile(grey, [0.5, 99.5])
    grey = np.clip((grey - low) / max(high - low, 1e-9), 0, 1)
    rgb = np.repeat((grey * 255).astype(np.uint8)[..., None], 3, axis=2)
    for mask, colour in zip(masks, colours, strict=True):
        rgb[find_boundaries(mask, mode="inner")] = colour
    return rgb


def make_figures(root: str | Path, out_dir: str | Path, split: str = "test") -> list[Path]:
    """Draw ``synthetic_examples.png`` (4 images with outlines) and ``perimeter_area_hist.png``.

    Parameters
    ----------
    root
        A generated dataset folder.
    out_dir
        Where to write the PNG files.
    split
        Split to draw from.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from benchmark.data.card import instance_table, tertiles
    from benchmark.data.coco import load_coco
    from benchmark.data.images import read_image
    from benchmark.data.masks import decode_rle
    from benchmark.data.synthetic import CLASS_COLOURS
    from benchmark.fileio import write_bytes_atomic

    root, out_dir = Path(root), Path(out_dir)
    dataset = load_coco(root / "annotations" / f"{split}.json", root / "images", check_images=False)
    names = {c["id"]: c["name"] for c in dataset.coco["categories"]}
    by_image = dataset.annotations_by_image()
    images = dataset.coco["images"][:4]
    fig, axes = plt.subplots(2, 4, figsize=(16, 8.4), dpi=100)
    for k, img in enumerate(images):
        array = read_image(dataset.image_path(img))
        anns = by_image[img["id"]]
        rgb = outlined(
            array,
            [decode_rle(a["segmentation"]) for a in anns],
            [CLASS_COLOURS[names[a["category_id"]]] for a in anns],
        )
        axes[0, k].imshow(array, cmap="gray")
        axes[0, k].set_title(f"{img['file_name']}", fontsize=9)
        axes[1, k].imshow(rgb)
        axes[1, k].set_title(f"{len(anns)} annotated cells", fontsize=9)
    for ax in axes.ravel():
        ax.set_axis_off()
    fig.suptitle(
        "Synthetic 20× phase contrast; outlines: macrophage (cyan), dead macrophage (red); "
        f"{img['pixel_size_um']} µm/px",
        fontsize=11,
    )
    fig.tight_layout()
    paths = [_save(fig, out_dir / "synthetic_examples.png", write_bytes_atomic)]
    plt.close(fig)

    rows = instance_table(dataset.coco)
    values = np.array([r["perimeter_over_area_px"] for r in rows])
    edges, counts, _ = tertiles(values.tolist())
    bins = np.linspace(values.min(), values.max(), 40)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    stacks = [(m, values[[r["morphology"] == m for r in rows]]) for m in MORPHOLOGY_COLOURS]
    stacks = [(m, v) for m, v in stacks if len(v)]
    ax.hist(
        [v for _, v in stacks],
        bins=bins,
        stacked=True,
        label=[m for m, _ in stacks],
        color=[MORPHOLOGY_COLOURS[m] for m, _ in stacks],
    )
    for edge in edges:
        ax.axvline(edge, color="black", linestyle="--", linewidth=1)
    ax.set_xlabel("perimeter / area (1/px)")
    ax.set_ylabel("cells")
    ax.set_title(
        f"{split} split: {len(values)} cells; tertile edges {edges[0]:.3f}, {edges[1]:.3f}; "
        f"per tertile {counts}",
        fontsize=10,
    )
    ax.legend(title="morphology", fontsize=8)
    fig.tight_layout()
    paths.append(_save(fig, out_dir / "perimeter_area_hist.png", write_bytes_atomic))
    plt.close(fig)
    return paths


def _save(fig: object, path: Path, write: object) -> Path:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})  # type: ignore[attr-defined]
    return write(path, buffer.getvalue())  # type: ignore[operator]
