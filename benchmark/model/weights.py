"""Initial weights: model-zoo checkpoints fetched through detectron2's path handling, verified.

detectron2's model-zoo checkpoints are pickles, and unpickling runs code, so a ``.pkl`` file is
handed to detectron2 only after its SHA-256 digest matched the one pinned in the config
(``MACROSEG.WEIGHTS_SHA256``). Downloads go through detectron2's ``PathManager`` (its cache is
``$FVCORE_CACHE`` or ``~/.torch/iopath_cache``). Our own checkpoints (``.pth``) are tensor-only
and load with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

from pathlib import Path

import benchmark.compat  # noqa: F401

from detectron2.config import CfgNode
from detectron2.utils.file_io import PathManager

from benchmark.fileio import sha256_file

REMOTE_PREFIXES = ("http://", "https://", "detectron2://")


class WeightsError(RuntimeError):
    """Initial weights could not be fetched or failed verification."""


def offline_message(url: str, error: Exception) -> str:
    """The documented message for weights that cannot be downloaded."""
    name = url.rsplit("/", 1)[-1]
    return (
        f"could not download the initial weights {url}: {error}. No internet here? Download "
        f"{name} on a machine that has it, check it (sha256sum {name}), and pass the local file "
        f"as config overrides after --: MODEL.WEIGHTS /path/to/{name} "
        "MACROSEG.WEIGHTS_SHA256 <its sha256>"
    )


def resolve_weights(cfg: CfgNode) -> str:
    """Local path of ``cfg.MODEL.WEIGHTS`` after download and verification ("" for random init).

    Raises
    ------
    WeightsError
        The download failed (message from :func:`offline_message`), the file is missing, or a
        pickled checkpoint has no pinned digest or does not match it.
    """
    source = cfg.MODEL.WEIGHTS
    if not source:
        return ""
    if source.startswith(REMOTE_PREFIXES):
        try:
            local = PathManager.get_local_path(source)
        except Exception as error:  # iopath raises whatever urllib and its handlers raise
            raise WeightsError(offline_message(source, error)) from error
    else:
        local = source
    if not Path(local).is_file():
        raise WeightsError(f"initial weights {local} do not exist")
    if Path(local).suffix == ".pkl":
        pinned = cfg.MACROSEG.WEIGHTS_SHA256.lower()
        actual = sha256_file(Path(local))
        if not pinned:
            raise WeightsError(
                f"{local} is a pickle and MACROSEG.WEIGHTS_SHA256 is empty: refusing to unpickle "
                f"an unverified file. Its sha256 is {actual}; if you trust this copy, pin it with "
                f"the config override (after --) MACROSEG.WEIGHTS_SHA256 {actual}"
            )
        if actual != pinned:
            raise WeightsError(f"{local}: sha256 is {actual}, but the config pins {pinned}")
    return str(local)
