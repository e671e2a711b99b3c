"""The build-time hooks of the site (docs/hooks.py) and the architecture figure's script."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGE = "segmentation/performance.md"


def load(path: Path, name: str) -> ModuleType:
    """Import a module from a file that is not on the import path."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def hooks() -> ModuleType:
    pytest.importorskip(
        "mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'"
    )
    return load(REPO / "docs" / "hooks.py", "macroseg_docs_hooks")


def expand(hooks: ModuleType, markdown: str, docs: Path) -> str:
    return hooks.expand_markers(markdown, PAGE, docs, REPO)


def test_missing_figure_becomes_a_visible_admonition(hooks: ModuleType, tmp_path: Path) -> None:
    marker = '<!-- generated figure="assets/benchmark/x.png" alt="A" caption="What x shows." -->'
    out = expand(hooks, f"Before\n\n{marker}\n\nAfter\n", tmp_path)
    assert '!!! warning "Figure not generated yet"' in out
    assert "`docs/assets/benchmark/x.png`" in out
    assert "make benchmark" in out
    assert "(../guides/regenerate-figures.md)" in out
    assert "What x shows." in out
    assert out.startswith("Before") and out.rstrip().endswith("After")


def test_present_figure_is_embedded_relative_to_the_page(hooks: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "assets/benchmark").mkdir(parents=True)
    (tmp_path / "assets/benchmark/x.png").write_bytes(b"png")
    marker = '<!-- generated figure="assets/benchmark/x.png" alt="Alt text" caption="Cap." -->'
    out = expand(hooks, marker, tmp_path)
    assert "![Alt text](../assets/benchmark/x.png)" in out
    assert "<figcaption>Cap.</figcaption>" in out
    assert "not generated" not in out


def test_alt_text_written_by_the_report_wins(hooks: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "assets/benchmark").mkdir(parents=True)
    (tmp_path / "assets/benchmark/x.png").write_bytes(b"png")
    (tmp_path / "assets/benchmark/figures.json").write_text(
        json.dumps({"x.png": "Three held-out images [best, median,\nworst]"}), encoding="utf-8"
    )
    out = expand(hooks, '<!-- generated figure="assets/benchmark/x.png" alt="Marker" -->', tmp_path)
    assert r"![Three held-out images \[best, median, worst\]](../assets/benchmark/x.png)" in out


def test_table_is_included_or_announced(hooks: ModuleType, tmp_path: Path) -> None:
    marker = '<!-- generated table="assets/benchmark/tables/t.md" -->'
    assert "Table not generated yet" in expand(hooks, marker, tmp_path)
    table = tmp_path / "assets/benchmark/tables/t.md"
    table.parent.mkdir(parents=True)
    table.write_text("| a | b |\n| --- | --- |\n| 1 | 2 |\n", encoding="utf-8")
    assert expand(hooks, marker, tmp_path) == table.read_text(encoding="utf-8")


def test_manifest_becomes_a_provenance_box(hooks: ModuleType, tmp_path: Path) -> None:
    manifest = tmp_path / "assets/benchmark/manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(
        json.dumps({"config": {"name": "scratch_cpu", "hash": "ab|cd"}, "devices": ["cpu", 2]}),
        encoding="utf-8",
    )
    out = expand(hooks, '<!-- generated manifest="assets/benchmark/manifest.json" -->', tmp_path)
    assert '!!! info "The run that produced these figures"' in out
    assert "| `config.name` | scratch_cpu |" in out
    assert "| `config.hash` | ab&#124;cd |" in out  # a pipe must not break the table
    assert "| `devices` | cpu, 2 |" in out
    assert "[`assets/benchmark/manifest.json`](../assets/benchmark/manifest.json)" in out


def test_markers_inside_text_and_unknown_markers(hooks: ModuleType, tmp_path: Path) -> None:
    inline = 'See <!-- generated figure="a.png" --> here.'
    assert expand(hooks, inline, tmp_path) == inline  # only whole-line markers are expanded
    with pytest.raises(hooks.PluginError, match="unknown"):
        expand(hooks, '<!-- generated chart="a.png" -->', tmp_path)


def test_cli_reference_comes_from_the_cli(hooks: ModuleType) -> None:
    out = hooks.render_cli({"cli": "benchmark.cli", "name": "macroseg"}, REPO)
    assert "## `macroseg doctor`" in out
    assert "**Usage**" in out
    assert not out.startswith("# ")


def test_missing_node_modules_names_the_install_command(hooks: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(hooks.PluginError, match=re.escape("npm ci")):
        hooks.vendor_sources(tmp_path)


def test_vendored_files_are_found(hooks: ModuleType) -> None:
    modules = REPO / "node_modules"
    if not modules.is_dir():
        pytest.skip("node_modules is missing: run `npm ci --ignore-scripts` in the repository")
    sources = hooks.vendor_sources(modules)
    assert "assets/vendor/katex/katex.min.js" in sources
    assert any(p.startswith("assets/vendor/katex/fonts/") for p in sources)


def test_architecture_figure_matches_the_config(tmp_path: Path) -> None:
    if importlib.util.find_spec("detectron2") is None:
        pytest.skip("detectron2 is not installed; the figure is drawn from its config")
    pytest.importorskip("matplotlib")
    script = load(REPO / "scripts" / "draw_architecture.py", "macroseg_draw_architecture")
    committed = REPO / "docs" / "assets" / "architecture" / "mask-rcnn.svg"
    fresh = tmp_path / "mask-rcnn.svg"
    script.save(script.load_architecture(script.DEFAULT_CONFIG), fresh)

    def labels(svg: Path) -> list[str]:
        return re.findall(r"<text[^>]*>([^<]*)</text>", svg.read_text(encoding="utf-8"))

    assert labels(committed) == labels(fresh), (
        "docs/assets/architecture/mask-rcnn.svg is out of date: "
        "run `python scripts/draw_architecture.py`"
    )
    assert "anchors 32 px" in labels(committed)
