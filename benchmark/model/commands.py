"""``macroseg train``, ``predict`` and ``kfold`` (thin shells over :mod:`benchmark.model.jobs`).

Only typer is imported at module level; torch and detectron2 load inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ConfigOption = Annotated[
    str, typer.Option("--config", help="Shipped config name (scratch_cpu, ...) or YAML file.")
]
DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Dataset folder (default: the embedded synthetic dataset)."),
]
Overrides = Annotated[
    list[str] | None, typer.Argument(help="Config overrides after --: KEY VALUE ...")
]
NumProcesses = Annotated[
    int, typer.Option("--num-gpus", help="Processes per machine: GPUs, or CPU processes.")
]
NumMachines = Annotated[int, typer.Option("--num-machines", help="Machines taking part.")]
MachineRank = Annotated[int, typer.Option("--machine-rank", help="This machine's rank.")]
DistUrl = Annotated[
    str, typer.Option("--dist-url", help="tcp://HOST:PORT of machine 0, or 'auto' (one machine).")
]


def _dataset(data: Path | None) -> Path:
    from benchmark.data.generate import default_dataset

    return data if data is not None else default_dataset()


def _uses_gpu(config: str, overrides: list[str]) -> bool:
    """Whether the config asks for CUDA and this machine has it (else gloo CPU processes)."""
    import torch

    from benchmark.model.config import load_config

    device = load_config(config, overrides).MODEL.DEVICE
    return device.startswith("cuda") and torch.cuda.is_available()


def _train_entry(config: str, overrides: list[str], data: Path, out: Path, resume: bool) -> None:
    from benchmark.model.config import load_config
    from benchmark.model.jobs import train_on_folder

    result = train_on_folder(load_config(config, overrides), data, out, resume=resume)
    typer.echo(f"checkpoints in {result.output_dir}; validation {result.validation}")


def _predict_entry(
    checkpoint: Path, inputs: list[Path], split: str | None, out: Path, labels: Path | None
) -> None:
    from benchmark.model.predict import (
        Predictor,
        items_from_coco,
        items_from_paths,
        predict,
        write_label_images,
    )

    if split is not None:
        from benchmark.model.jobs import split_json

        data = _dataset(inputs[0] if inputs else None)
        items = items_from_coco(split_json(data, split), data / "images")
    else:
        items = items_from_paths(inputs)
    from detectron2.utils import comm

    predictor = Predictor(checkpoint)
    predict(predictor, items, out)
    if comm.is_main_process():
        if labels is not None:
            write_label_images(out, items, labels, predictor.cfg.MACROSEG.SCORE_THRESHOLD)
        typer.echo(f"wrote {out}")


def train(
    config: ConfigOption = "scratch_cpu",
    data: DataOption = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("runs/train"),
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint.")] = False,
    num_gpus: NumProcesses = 1,
    num_machines: NumMachines = 1,
    machine_rank: MachineRank = 0,
    dist_url: DistUrl = "auto",
    overrides: Overrides = None,
) -> None:
    """Train Mask R-CNN on a dataset folder's train split, validating on its validation split."""
    from benchmark.model.launch import launch

    overrides = list(overrides or [])
    args = (config, overrides, _dataset(data), out, resume)
    use_gpu = _uses_gpu(config, overrides)
    launch(_train_entry, num_gpus, num_machines, machine_rank, dist_url, args, use_gpu)


def predict(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint written by `macroseg train`.")],
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="Images or folders; with --split, the dataset folder (optional)."),
    ] = None,
    split: Annotated[
        str | None, typer.Option(help="Predict this split of a dataset folder instead.")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="COCO results JSON to write.")] = Path(
        "runs/predictions.json"
    ),
    labels: Annotated[
        Path | None, typer.Option(help="Also write one label TIFF per image into this folder.")
    ] = None,
    num_gpus: NumProcesses = 1,
    num_machines: NumMachines = 1,
    machine_rank: MachineRank = 0,
    dist_url: DistUrl = "auto",
) -> None:
    """Predict images (8/16-bit, grey or RGB) into COCO results; finished images are cached."""
    from benchmark.model.launch import launch

    if split is None and not inputs:
        raise typer.BadParameter("give image files or folders, or --split NAME")
    args = (checkpoint, list(inputs or []), split, out, labels)
    launch(_predict_entry, num_gpus, num_machines, machine_rank, dist_url, args=args)


def _kfold_entry(
    config: str,
    overrides: list[str],
    data: Path,
    out: Path,
    folds: int,
    seed: int,
    group_key: str | None,
) -> None:
    from detectron2.utils import comm

    from benchmark.model.config import load_config
    from benchmark.model.jobs import kfold as run_kfold

    cfg = load_config(config, overrides)
    scores = run_kfold(cfg, data, out, folds=folds, seed=seed, group_key=group_key)
    if comm.is_main_process():
        for index, fold_scores in enumerate(scores):
            values = ", ".join(f"{k}={v:.3f}" for k, v in fold_scores.items())
            typer.echo(f"fold {index}: {values}")


def kfold(
    config: ConfigOption = "scratch_cpu",
    data: DataOption = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("runs/kfold"),
    folds: Annotated[int, typer.Option(help="Number of folds.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the fold assignment.")] = 0,
    group_key: Annotated[
        str | None, typer.Option(help="Image field keeping crops/frames of a field together.")
    ] = None,
    num_gpus: NumProcesses = 1,
    num_machines: NumMachines = 1,
    machine_rank: MachineRank = 0,
    dist_url: DistUrl = "auto",
    overrides: Overrides = None,
) -> None:
    """Train one model per fold of the train split; score each on its held-out fold.

    Finished folds are skipped on a rerun; each fold trains on all processes in turn.
    """
    from benchmark.model.launch import launch

    overrides = list(overrides or [])
    args = (config, overrides, _dataset(data), out, folds, seed, group_key)
    use_gpu = _uses_gpu(config, overrides)
    launch(_kfold_entry, num_gpus, num_machines, machine_rank, dist_url, args, use_gpu)
