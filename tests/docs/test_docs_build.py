"""The documentation site builds strictly, with every page and asset in place."""

from __future__ import annotations

import subprocess
from pathlib import Path

PAGES = [
    "index.html",
    "segmentation/mask-rcnn/index.html",
    "segmentation/architecture/index.html",
    "segmentation/performance/index.html",
    "metrics/index.html",
    "data/index.html",
    "benchmarks/metrics-speed/index.html",
    "guides/train-on-your-data/index.html",
    "guides/evaluate-any-model/index.html",
    "guides/gpus/index.html",
    "guides/regenerate-figures/index.html",
    "notebooks/evaluate/index.html",
    "reference/cli/index.html",
    "reference/api/metrics/index.html",
    "reference/api/data/index.html",
    "reference/api/compat/index.html",
    "changelog/index.html",
]


def test_strict_build_passes_without_warnings(
    site_build: subprocess.CompletedProcess[str],
) -> None:
    output = site_build.stdout + site_build.stderr
    assert site_build.returncode == 0, output
    warnings = [line for line in output.splitlines() if "WARNING" in line]
    assert not warnings, "\n".join(warnings)


def test_every_page_is_built(built_site: Path) -> None:
    missing = [page for page in PAGES if not (built_site / page).is_file()]
    assert not missing


def test_maths_and_diagram_libraries_are_served_locally(built_site: Path) -> None:
    for asset in [
        "assets/vendor/katex/katex.min.js",
        "assets/vendor/katex/katex.min.css",
        "assets/vendor/katex/contrib/auto-render.min.js",
        "assets/vendor/mermaid/mermaid.min.js",
    ]:
        assert (built_site / asset).stat().st_size > 0, asset
    assert list((built_site / "assets/vendor/katex/fonts").glob("*.woff2"))
    html = (built_site / "index.html").read_text(encoding="utf-8")
    for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "fonts.googleapis.com"):
        assert cdn not in html


def test_build_code_is_not_published(built_site: Path) -> None:
    assert not (built_site / "hooks.py").exists()


def test_cli_reference_is_generated_from_the_cli(built_site: Path) -> None:
    html = (built_site / "reference/cli/index.html").read_text(encoding="utf-8")
    assert "macroseg doctor" in html


def test_api_reference_is_rendered(built_site: Path) -> None:
    html = (built_site / "reference/api/metrics/index.html").read_text(encoding="utf-8")
    assert "benchmark.metrics" in html
    assert 'class="doc doc-object' in html
