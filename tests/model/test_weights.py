"""Initial weights: offline fails with the documented message; pickles need a pinned digest."""

from __future__ import annotations

import hashlib
import pickle

import pytest

from benchmark.model.config import load_config
from benchmark.model.weights import WeightsError, offline_message, resolve_weights


def _cfg(weights: str, sha256: str = ""):
    cfg = load_config("finetune_R50_FPN").clone()
    cfg.defrost()
    cfg.MODEL.WEIGHTS = weights
    cfg.MACROSEG.WEIGHTS_SHA256 = sha256
    return cfg


def test_offline_url_fails_with_the_documented_message(tmp_path, monkeypatch):
    monkeypatch.setenv("FVCORE_CACHE", str(tmp_path))
    url = "http://127.0.0.1:9/detectron2/model_final_f10217.pkl"  # port 9: nothing listens
    with pytest.raises(WeightsError) as error:
        resolve_weights(_cfg(url))
    message = str(error.value)
    assert message.startswith(offline_message(url, Exception()).split(":", 1)[0])
    assert (
        "after --: MODEL.WEIGHTS /path/to/model_final_f10217.pkl MACROSEG.WEIGHTS_SHA256" in message
    )


def test_a_pickle_is_refused_without_a_pinned_digest(tmp_path):
    path = tmp_path / "weights.pkl"
    path.write_bytes(pickle.dumps({"model": {}}))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(WeightsError, match=f"refusing to unpickle.*{digest}"):
        resolve_weights(_cfg(str(path)))
    with pytest.raises(WeightsError, match=r"but the config pins 0+"):
        resolve_weights(_cfg(str(path), "0" * 64))
    assert resolve_weights(_cfg(str(path), digest)) == str(path)


def test_random_init_and_missing_files():
    assert resolve_weights(_cfg("")) == ""
    with pytest.raises(WeightsError, match="do not exist"):
        resolve_weights(_cfg("/nonexistent/model.pth"))


def test_the_finetune_recipe_points_at_the_model_zoo():
    cfg = load_config("finetune_R50_FPN")
    assert cfg.MODEL.WEIGHTS.startswith("https://dl.fbaipublicfiles.com/detectron2/")
    assert cfg.MODEL.WEIGHTS.endswith("mask_rcnn_R_50_FPN_3x/137849600/model_final_f10217.pkl")
