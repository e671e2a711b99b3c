"""Checkpoints: tensors plus plain metadata, loadable with ``torch.load(weights_only=True)``.

detectron2's checkpointer stores ``model``, ``optimizer``, ``scheduler`` and ``iteration``;
:class:`CheckpointMetadata` adds what a reader needs to trust and reuse the file: the config,
class names, the hash of the training data and the code version.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch


@dataclass(frozen=True)
class CheckpointMetadata:
    """What a checkpoint was trained with."""

    config_yaml: str
    class_names: tuple[str, ...]
    #: the dataset's category id of each class, in the model's (contiguous) class order
    category_ids: tuple[int, ...]
    dataset_hash: str
    code_version: str

    def to_dict(self) -> dict[str, Any]:
        """Plain types only, so the checkpoint stays loadable with ``weights_only=True``."""
        data = asdict(self)
        data["class_names"] = list(self.class_names)
        data["category_ids"] = list(self.category_ids)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckpointMetadata:
        """Inverse of :meth:`to_dict` (unknown keys are ignored)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["class_names"] = tuple(values.get("class_names", ()))
        values["category_ids"] = tuple(int(i) for i in values.get("category_ids", ()))
        return cls(**values)


def load_checkpoint(path: str | Path) -> tuple[dict[str, torch.Tensor], CheckpointMetadata]:
    """Model weights and metadata of one of our checkpoints, without unpickling code.

    Raises
    ------
    ValueError
        The file is not a macroseg checkpoint (no metadata) or cannot be read safely.
    """
    path = Path(path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises UnpicklingError, RuntimeError, EOFError, ...
        raise ValueError(f"{path}: not a loadable macroseg checkpoint ({error})") from error
    if not isinstance(data, dict) or "model" not in data or "macroseg" not in data:
        raise ValueError(f"{path}: not a macroseg checkpoint (no 'model' or 'macroseg' entry)")
    return data["model"], CheckpointMetadata.from_dict(data["macroseg"])
