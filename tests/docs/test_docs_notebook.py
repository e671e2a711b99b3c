"""The tutorial notebook of the site runs from top to bottom without an error."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "docs" / "notebooks" / "evaluate.ipynb"


def test_tutorial_notebook_executes() -> None:
    nbformat = pytest.importorskip("nbformat", reason="install nbclient and ipykernel (dev extra)")
    nbclient = pytest.importorskip("nbclient", reason="install nbclient and ipykernel (dev extra)")
    pytest.importorskip("ipykernel", reason="install nbclient and ipykernel (dev extra)")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(REPO)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook drew no figure"
