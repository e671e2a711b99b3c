"""The GitHub Actions workflows pass actionlint (syntax, expressions, action inputs, runners).

actionlint comes from the dev extra (the PyPI wheel ships the binary); it also runs ShellCheck on
the ``run:`` scripts when ``shellcheck`` is installed. Without the binary the test is skipped
with the install command as its reason.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
CONFIG = ROOT / ".github" / "actionlint.yaml"
EXPECTED = {"tests.yml", "docs.yml", "benchmark.yml"}


def actionlint() -> str | None:
    """The actionlint binary: beside this Python (a virtual environment), else on PATH."""
    beside = Path(sys.executable).parent / "actionlint"
    return str(beside) if beside.is_file() else shutil.which("actionlint")


def test_the_expected_workflows_exist():
    assert {p.name for p in WORKFLOWS.glob("*.yml")} >= EXPECTED


def test_workflows_pass_actionlint():
    binary = actionlint()
    if binary is None:
        pytest.skip("actionlint not installed (pip install -e '.[dev]' brings it)")
    files = sorted(str(p) for p in WORKFLOWS.glob("*.y*ml"))
    result = subprocess.run(
        [binary, "-no-color", "-oneline", "-config-file", str(CONFIG), *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"actionlint found problems:\n{result.stdout}{result.stderr}"
