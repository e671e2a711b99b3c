"""Configs: detectron2 YAML files that extend a model-zoo base, plus macroseg's own keys.

A shipped config names its base in ``MACROSEG.MODEL_ZOO_BASE``; :func:`load_config` merges that
model-zoo file first, then the config itself, then command-line overrides::

    cfg = load_config("scratch_cpu", ["SOLVER.MAX_ITER", "100"])
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import benchmark.compat  # noqa: F401

import yaml
from detectron2 import model_zoo
from detectron2.config import CfgNode, get_cfg

CONFIG_DIR = Path(__file__).parent / "configs"
#: The config of the embedded benchmark (``make benchmark``).
DEFAULT_CONFIG = "scratch_cpu"


def shipped_configs() -> list[str]:
    """Names of the configs shipped with the package."""
    return sorted(path.stem for path in CONFIG_DIR.glob("*.yaml"))


def config_path(name_or_path: str | Path) -> Path:
    """Path of a shipped config name (``scratch_cpu``) or of a YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise FileNotFoundError(f"config file {path} does not exist")
        return path
    shipped = CONFIG_DIR / f"{name_or_path}.yaml"
    if not shipped.is_file():
        raise FileNotFoundError(
            f"no shipped config named {name_or_path!r}; choose one of {shipped_configs()} "
            "or give a path to a .yaml file"
        )
    return shipped


def add_macroseg_config(cfg: CfgNode) -> None:
    """Add the ``MACROSEG`` section (our keys) to a detectron2 config."""
    cfg.MACROSEG = CfgNode()
    cfg.MACROSEG.MODEL_ZOO_BASE = ""
    cfg.MACROSEG.WEIGHTS_SHA256 = ""
    # predictions with a score below this are not counted in precision / recall / F1
    cfg.MACROSEG.SCORE_THRESHOLD = 0.5
    cfg.MACROSEG.VERTICAL_FLIP = True
    # iterations between lines of metrics.json and the console log
    cfg.MACROSEG.LOG_PERIOD = 20


def load_config(name_or_path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> CfgNode:
    """Build a frozen detectron2 config: model-zoo base, then the file, then ``overrides``.

    Parameters
    ----------
    name_or_path
        A shipped config name (see :func:`shipped_configs`) or a YAML file.
    overrides
        ``KEY VALUE`` pairs as a flat list, as detectron2's ``--opts`` takes them.
    """
    path = config_path(name_or_path)
    cfg = get_cfg()
    add_macroseg_config(cfg)
    raw = yaml.safe_load(path.read_text()) or {}
    base = (raw.get("MACROSEG") or {}).get("MODEL_ZOO_BASE")
    if base:
        cfg.merge_from_file(model_zoo.get_config_file(base))
    cfg.merge_from_file(str(path))
    cfg.merge_from_list(list(overrides))
    cfg.freeze()
    return cfg


#: Keys that change how a model is scored or logged, not how it is trained.
NOT_TRAINING_KEYS = ("MACROSEG.SCORE_THRESHOLD", "MACROSEG.LOG_PERIOD")


def config_digest(cfg: CfgNode, ignore: tuple[str, ...] = ()) -> str:
    """SHA-256 of the config's YAML dump, ignoring where outputs go and the ``ignore`` keys."""
    cfg = cfg.clone()
    cfg.defrost()
    cfg.OUTPUT_DIR = ""
    for key in ignore:
        *parents, leaf = key.split(".")
        node = cfg
        for parent in parents:
            node = node[parent]
        node[leaf] = None
    return hashlib.sha256(cfg.dump().encode()).hexdigest()


def training_digest(cfg: CfgNode) -> str:
    """Digest of what decides the trained weights (see :data:`NOT_TRAINING_KEYS`)."""
    return config_digest(cfg, NOT_TRAINING_KEYS)
