"""``macroseg doctor``: the facts a bug report needs."""

from __future__ import annotations

from typer.testing import CliRunner

from benchmark.cli import app
from benchmark.environment import collect_environment, format_environment


def test_environment_names_detectron2_source_and_devices():
    import torch

    info = collect_environment()
    assert info["detectron2"] == "0.6"
    assert info["detectron2 source"].startswith(("official", "registry pb1-detectron2"))
    assert info["torch"] == torch.__version__
    assert info["CUDA available"] == str(torch.cuda.is_available())
    assert int(info["torch threads"]) >= 1


def test_doctor_prints_one_aligned_line_per_fact():
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == len(collect_environment())
    assert len({line.index(" : ") for line in lines}) == 1
    assert format_environment({"a": "1", "bbb": "2"}) == "a   : 1\nbbb : 2"
