"""``macroseg data``: synth, import, validate, info (thin shells over :mod:`benchmark.data`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

data_app = typer.Typer(
    help="Datasets: synthesise, import, validate, describe.", no_args_is_help=True
)


def _print_problems(problems: list) -> None:
    from rich.console import Console

    console = Console(stderr=True)
    for p in problems:
        style = "red" if p.severity.value == "error" else "yellow"
        console.print(str(p), style=style, markup=False, highlight=False)


@data_app.command()
def synth(
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: the cached default).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2024,
    modality: Annotated[str, typer.Option(help="phase or fluorescence.")] = "phase",
    bit_depth: Annotated[int, typer.Option(help="8 or 16.")] = 8,
    train: Annotated[int, typer.Option(help="Instances in the train split.")] = 500,
    validation: Annotated[int, typer.Option(help="Instances in the validation split.")] = 150,
    test: Annotated[int, typer.Option(help="Instances in the held-out test split.")] = 330,
    figures: Annotated[Path | None, typer.Option(help="Also draw the data figures here.")] = None,
) -> None:
    """Generate a synthetic macrophage dataset (cached unless --out is given)."""
    import time

    from benchmark.data.generate import DatasetSpec, default_dataset, generate_dataset
    from benchmark.data.synthetic import SynthConfig

    if modality not in ("phase", "fluorescence") or bit_depth not in (8, 16):
        raise typer.BadParameter("modality must be phase|fluorescence and bit depth 8|16")
    config = SynthConfig(
        modality=modality, bit_depth=bit_depth, image_format="png" if bit_depth == 8 else "tif"
    )
    spec = DatasetSpec(
        seed=seed,
        splits=(("train", train), ("validation", validation), ("test", test)),
        config=config,
    )
    start = time.perf_counter()
    root = generate_dataset(out, spec) if out else default_dataset(spec)
    typer.echo(f"{root}  ({time.perf_counter() - start:.1f} s)")
    if figures:
        from benchmark.data.figures import make_figures

        for path in make_figures(root, figures):
            typer.echo(f"figure: {path}")


@data_app.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help="coco, labels or imagej.")],
    source: Annotated[
        Path, typer.Argument(help="COCO JSON, label-image folder or ROI-set folder.")
    ],
    out: Annotated[Path, typer.Option(help="Output dataset folder.")],
    images: Annotated[Path | None, typer.Option(help="Image folder.")] = None,
    category: Annotated[
        str, typer.Option(help="Class of instances with no class given.")
    ] = "macrophage",
) -> None:
    """Import annotations into a normalised COCO dataset folder."""
    from benchmark.data.errors import DatasetError
    from benchmark.data.importers import import_any

    try:
        dataset = import_any(kind, source, images, out, category)
    except DatasetError as exc:
        _print_problems(exc.problems)
        raise typer.Exit(1) from exc
    _print_problems(dataset.warnings)
    n_img, n_ann = len(dataset.coco["images"]), len(dataset.coco["annotations"])
    typer.echo(f"{out}: {n_img} images, {n_ann} instances")


@data_app.command()
def split(
    folder: Annotated[Path, typer.Argument(help="Folder written by `macroseg data import`.")],
    test_fraction: Annotated[float, typer.Option(help="Share of images held out.")] = 0.2,
    validation_fraction: Annotated[float, typer.Option(help="Share for validation.")] = 0.15,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    group_key: Annotated[
        str | None, typer.Option(help="Image field keeping crops/frames of a field together.")
    ] = None,
) -> None:
    """Write annotations/{train,validation,test}.json (by image, whole groups) for training."""
    import json

    from benchmark.data.splits import write_splits

    written = write_splits(folder, test_fraction, validation_fraction, seed, group_key)
    for name, path in written.items():
        typer.echo(f"{name}: {len(json.loads(path.read_text())['images'])} images -> {path}")


@data_app.command()
def validate(
    json_path: Annotated[Path, typer.Argument(help="COCO instance JSON.")],
    images: Annotated[Path | None, typer.Option(help="Image folder (default: the JSON's).")] = None,
    check_images: Annotated[bool, typer.Option(help="Open every image file.")] = True,
) -> None:
    """Validate a COCO file; exit 1 if it has errors. Never modifies the input."""
    from benchmark.data.errors import errors_of, warnings_of
    from benchmark.data.importers import read_problems

    problems = read_problems(json_path, images, check_images)
    _print_problems(problems)
    typer.echo(
        f"{json_path}: {len(errors_of(problems))} error(s), {len(warnings_of(problems))} warning(s)"
    )
    if errors_of(problems):
        raise typer.Exit(1)


@data_app.command()
def info(
    path: Annotated[
        Path | None, typer.Argument(help="Dataset folder (default: the default dataset).")
    ] = None,
) -> None:
    """Print a dataset card (writing it if the folder has none)."""
    import json

    from benchmark.data.card import build_card, card_markdown, write_card
    from benchmark.data.generate import default_dataset

    root = path or default_dataset()
    card_path = root / "card.json"
    if card_path.is_file():
        card = json.loads(card_path.read_text())
    else:
        card = build_card(root, {"source": str(root)})
        write_card(root, card)
    typer.echo(card_markdown(card))
