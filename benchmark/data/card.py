"""Dataset card: counts per split and class, shape-feature distributions, provenance.

Shape features per instance: area (px), perimeter (px; scikit-image ``measure.perimeter`` with
the 4-neighbourhood estimator), perimeter/area (1/px, and 1/µm when the pixel size is known) and
circularity 4πA/P². The card is written beside the dataset as ``card.json`` and ``card.md``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def shape_features(mask: np.ndarray) -> dict[str, float]:
    """Area, perimeter, perimeter/area (1/px) and circularity of one boolean mask, computed as
    the evaluation computes them (:func:`benchmark.metrics.shape.shape_features`)."""
    from benchmark.metrics.shape import shape_features as instance_features

    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    features = instance_features([mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]])
    return {
        "area_px": float(features["area"][0]),
        "perimeter_px": float(features["perimeter"][0]),
        "perimeter_over_area_px": float(features["perimeter_over_area"][0]),
        "circularity": float(features["circularity"][0]),
    }


def instance_table(coco: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per annotation: ids, class name, morphology (if known) and shape features."""
    from benchmark.data.masks import decode_rle

    names = {c["id"]: c["name"] for c in coco["categories"]}
    pixel = {img["id"]: img.get("pixel_size_um") for img in coco["images"]}
    rows = []
    for ann in coco["annotations"]:
        feats = shape_features(decode_rle(ann["segmentation"]))
        size = pixel[ann["image_id"]]
        if size:
            feats["perimeter_over_area_um"] = feats["perimeter_over_area_px"] / size
        rows.append(
            {
                "annotation_id": ann["id"],
                "image_id": ann["image_id"],
                "category": names[ann["category_id"]],
                "morphology": (ann.get("attributes") or {}).get("morphology"),
                **feats,
            }
        )
    return rows


def _summary(values: list[float]) -> dict[str, float]:
    q = np.quantile(values, QUANTILES) if values else [float("nan")] * len(QUANTILES)
    return {f"q{int(p * 100):02d}": round(float(v), 4) for p, v in zip(QUANTILES, q, strict=True)}


def split_summary(coco: dict[str, Any]) -> dict[str, Any]:
    """Counts and feature distributions of one split."""
    rows = instance_table(coco)
    return {
        "images": len(coco["images"]),
        "instances": len(rows),
        "per_class": dict(sorted(Counter(r["category"] for r in rows).items())),
        "per_morphology": dict(sorted(Counter(r["morphology"] or "unknown" for r in rows).items())),
        "features": {
            key: _summary([r[key] for r in rows])
            for key in ("area_px", "perimeter_px", "perimeter_over_area_px", "circularity")
        },
        "_rows": rows,
    }


def tertiles(values: list[float]) -> tuple[list[float], list[int], np.ndarray]:
    """Inner tertile edges of ``values``, the count in each tertile and each value's tertile.

    The same rule as the evaluation's subsets (:func:`benchmark.metrics.shape.bin_edges`,
    :func:`~benchmark.metrics.shape.assign_bins`), so the card and the report agree.
    """
    from benchmark.metrics.shape import assign_bins, bin_edges

    edges = bin_edges(np.asarray(values, dtype=np.float64), 3)
    bins = assign_bins(np.asarray(values, dtype=np.float64), edges)
    inner = [round(float(e), 5) for e in edges[1:-1]]
    return inner, [int((bins == b).sum()) for b in range(3)], bins


def build_card(root: str | Path, provenance: dict[str, Any]) -> dict[str, Any]:
    """Build the card of a dataset folder (``annotations/<split>.json`` files).

    Parameters
    ----------
    root
        Dataset folder.
    provenance
        Seed, generator version, settings — whatever says how the data was made.
    """
    import json

    root = Path(root)
    splits = {}
    for path in sorted((root / "annotations").glob("*.json"), key=_split_order):
        splits[path.stem] = split_summary(json.loads(path.read_text()))
    name = provenance.get("name", root.name)
    card: dict[str, Any] = {"name": name, "provenance": provenance, "splits": splits}
    if "test" in splits:
        rows = splits["test"]["_rows"]
        edges, counts, bins = tertiles([r["perimeter_over_area_px"] for r in rows])
        card["test_perimeter_over_area_tertiles"] = {
            "edges_px": edges,
            "counts": counts,
            "per_morphology": [
                dict(
                    sorted(
                        Counter(
                            r["morphology"] or "unknown"
                            for r, b in zip(rows, bins, strict=True)
                            if b == k
                        ).items()
                    )
                )
                for k in range(3)
            ],
        }
    for split in splits.values():
        split.pop("_rows")
    return card


def _split_order(path: Path) -> tuple[int, str]:
    order = {"train": 0, "validation": 1, "test": 2}
    return order.get(path.stem, 3), path.stem


def card_markdown(card: dict[str, Any]) -> str:
    """Render a card as Markdown."""
    prov = card["provenance"]
    lines = [f"# Dataset card: {card['name']}", ""]
    if "seed" in prov:
        lines += [
            f"- generator version: `{prov.get('generator_version')}`",
            f"- seed: `{prov['seed']}`",
            f"- pixel size: {prov['config']['pixel_size_um']} µm/px; "
            f"{prov['config']['modality']}, {prov['config']['bit_depth']}-bit, "
            f"{prov['config']['width']}×{prov['config']['height']} px",
            "",
        ]
    lines += [
        "| split | images | instances | per class | per morphology |",
        "|---|---|---|---|---|",
    ]
    for name, s in card["splits"].items():
        per_class = ", ".join(f"{k}: {v}" for k, v in s["per_class"].items())
        per_morph = ", ".join(f"{k}: {v}" for k, v in s["per_morphology"].items())
        lines.append(f"| {name} | {s['images']} | {s['instances']} | {per_class} | {per_morph} |")
    lines += ["", "Feature quantiles (5, 25, 50, 75, 95 %):", ""]
    lines += ["| split | feature | quantiles |", "|---|---|---|"]
    for name, s in card["splits"].items():
        for feat, q in s["features"].items():
            lines.append(f"| {name} | {feat} | {', '.join(str(v) for v in q.values())} |")
    tert = card.get("test_perimeter_over_area_tertiles")
    if tert:
        lines += [
            "",
            f"Test perimeter/area tertile edges (1/px): {tert['edges_px']}; "
            f"cells per tertile: {tert['counts']}.",
        ]
        for k, morph in enumerate(tert["per_morphology"]):
            lines.append(f"- tertile {k + 1}: " + ", ".join(f"{m} {n}" for m, n in morph.items()))
    return "\n".join(lines) + "\n"


def write_card(root: str | Path, card: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``card.json`` and ``card.md`` into ``root``, atomically."""
    from benchmark.fileio import write_json_atomic, write_text_atomic

    root = Path(root)
    return write_json_atomic(root / "card.json", card), write_text_atomic(
        root / "card.md", card_markdown(card)
    )
