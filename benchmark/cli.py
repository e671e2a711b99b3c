"""The ``macroseg`` command line.

Each sub-command is a thin shell over a library function, so that everything the CLI does can
also be done from Python. Heavy imports (torch, detectron2) happen inside the commands that need
them, so ``macroseg --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="macroseg",
    help="Mask R-CNN instance segmentation of macrophages: data, training, inference, metrics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """Mask R-CNN instance segmentation of macrophages: data, training, inference, metrics."""


@app.command()
def doctor() -> None:
    """Print the environment (Python, torch, detectron2 and its source, devices) for bug reports."""
    from benchmark.environment import collect_environment, format_environment

    typer.echo(format_environment(collect_environment()))


@app.command()
def evaluate(
    ground_truth: str = typer.Argument(..., help="COCO ground-truth JSON or label-image folder."),
    predictions: str = typer.Argument(..., help="COCO results JSON or folder of label images."),
    out: str = typer.Option("evaluation", "--out", help="Folder for the tables."),
    method: str = typer.Option("optimal", help="Matching rule: optimal or greedy."),
    subset_feature: str = typer.Option(
        "perimeter_over_area", help="Shape feature for subsets ('none' to skip)."
    ),
    bins: int = typer.Option(3, help="Number of quantile bins of the subset feature."),
    pixel_size: float | None = typer.Option(None, help="Pixel size in µm."),
    n_resamples: int = typer.Option(1000, help="Bootstrap resamples over images."),
    seed: int = typer.Option(0, help="Random seed of the bootstrap."),
    max_dets: int = typer.Option(1000, help="COCO detection cap per image."),
) -> None:
    """Score predictions against ground truth; write per-threshold tables (CSV and JSON)."""
    from benchmark.metrics.report import evaluate_files

    if method not in ("optimal", "greedy"):
        raise typer.BadParameter(f"method must be optimal or greedy, not {method!r}")
    try:
        _, summary = evaluate_files(
            ground_truth,
            predictions,
            out,
            method=method,
            subset_feature=None if subset_feature.lower() == "none" else subset_feature,
            bins=bins,
            pixel_size=pixel_size,
            n_resamples=n_resamples,
            seed=seed,
            max_dets=max_dets,
        )
    except (FileNotFoundError, NotADirectoryError, ValueError, KeyError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=2) from None
    for line in summary:
        typer.echo(line)


# `macroseg data ...`: the sub-app imports only typer at module level; its commands import lazily.
from benchmark.data.commands import data_app  # noqa: E402

app.add_typer(data_app, name="data")

# `macroseg train / predict / kfold`: torch and detectron2 load inside the commands.
from benchmark.model import commands as model_commands  # noqa: E402

app.command()(model_commands.train)
app.command()(model_commands.predict)
app.command()(model_commands.kfold)


@app.command("run")
def run_benchmark(
    config: Annotated[
        str, typer.Option("--config", help="Shipped config name or YAML file.")
    ] = "scratch_cpu",
    data: Annotated[
        Path | None, typer.Option("--data", help="Dataset folder (default: embedded synthetic).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Figures, tables and manifest.")] = Path(
        "docs/assets/benchmark"
    ),
    work: Annotated[
        Path, typer.Option("--work", help="Checkpoints, predictions and caches.")
    ] = Path("runs"),
    folds: Annotated[
        int, typer.Option(help="Also train k-fold models (k >= 2) and draw their spread as bands.")
    ] = 0,
    overrides: Annotated[
        list[str] | None, typer.Argument(help="Config overrides after --: KEY VALUE ...")
    ] = None,
) -> None:
    """Data -> train -> predict the held-out split -> evaluate -> figures, tables, manifest.

    Every stage is cached by content hash and skipped when up to date; an interrupted run
    resumes (training from its last checkpoint, inference from the last finished image).
    """
    import logging

    from rich.logging import RichHandler

    from benchmark.pipeline import run

    logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[RichHandler()])
    if folds == 1:
        raise typer.BadParameter("--folds needs at least 2 folds (0: no k-fold models)")
    manifest = run(config, data, out, work, list(overrides or []), folds)
    typer.echo(f"report in {out} (checkpoint {manifest['checkpoint']['sha256'][:12]})")
