"""MkDocs hooks of the macroseg site (declared under ``hooks:`` in ``mkdocs.yml``).

Three jobs, all done at build time so that the site needs no internet when it is read:

1. **Vendored browser libraries.** KaTeX (maths) and Mermaid (diagrams) are installed from the
   npm registry by ``npm ci`` (``package.json`` and ``package-lock.json`` at the repository root)
   and added to the site from ``node_modules/``; the pages never load them from a CDN.
2. **Generated figures, tables and provenance.** ``make benchmark`` writes them into
   ``docs/assets/benchmark/``. A page asks for one with a one-line HTML comment::

       <!-- generated figure="assets/benchmark/prf1_vs_iou.png" alt="..." caption="..." -->
       <!-- generated table="assets/benchmark/tables/metrics.md" -->
       <!-- generated manifest="assets/benchmark/manifest.json" -->

   Paths are relative to ``docs/``. A file that exists is embedded (with the alt text the report
   wrote into ``figures.json`` beside it, if any, else the marker's); a missing one becomes a
   visible "not generated yet" admonition, so a checkout without the figures still builds
   strictly and never shows a number that was not measured.
3. **The command-line reference.** ``<!-- generated cli="benchmark.cli" -->`` is replaced by the
   Markdown that Typer's own ``typer MODULE utils docs`` produces from the real CLI.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

#: Environment variable that points the build at another ``node_modules`` folder.
NODE_MODULES_ENV = "MACROSEG_NODE_MODULES"

#: Files copied from ``node_modules`` into the site: site path -> path inside ``node_modules``.
#: A trailing slash copies every file of that folder.
VENDOR_FILES: dict[str, str] = {
    "assets/vendor/katex/katex.min.js": "katex/dist/katex.min.js",
    "assets/vendor/katex/katex.min.css": "katex/dist/katex.min.css",
    "assets/vendor/katex/contrib/auto-render.min.js": "katex/dist/contrib/auto-render.min.js",
    "assets/vendor/katex/fonts/": "katex/dist/fonts/",
    "assets/vendor/katex/LICENSE": "katex/LICENSE",
    "assets/vendor/mermaid/mermaid.min.js": "mermaid/dist/mermaid.min.js",
    "assets/vendor/mermaid/LICENSE": "mermaid/LICENSE",
}

#: File beside the generated figures mapping each figure's file name to its alt text.
ALT_TEXTS = "figures.json"

#: Page where the "not generated yet" admonitions send the reader (relative to ``docs/``).
REGENERATE_GUIDE = "guides/regenerate-figures.md"

MARKER = re.compile(r"^<!--\s*generated\s+(?P<attrs>.*?)\s*-->[ \t]*$", re.MULTILINE)
ATTRIBUTE = re.compile(r'(?P<key>[a-z]+)="(?P<value>[^"]*)"')


def repository_root(config: MkDocsConfig) -> Path:
    """The folder that holds ``mkdocs.yml`` (the repository root)."""
    return Path(config.config_file_path).resolve().parent


def node_modules(config: MkDocsConfig) -> Path:
    """The ``node_modules`` folder to copy the browser libraries from."""
    override = os.environ.get(NODE_MODULES_ENV)
    return Path(override) if override else repository_root(config) / "node_modules"


def vendor_sources(modules: Path) -> dict[str, Path]:
    """Map each site path of a vendored file to its source, or fail with the install command."""
    sources: dict[str, Path] = {}
    missing: list[str] = []
    for site_path, package_path in VENDOR_FILES.items():
        source = modules / package_path
        if site_path.endswith("/"):
            files = sorted(p for p in source.glob("*") if p.is_file()) if source.is_dir() else []
            if not files:
                missing.append(package_path)
            sources.update({site_path + p.name: p for p in files})
        elif source.is_file():
            sources[site_path] = source
        else:
            missing.append(package_path)
    if missing:
        raise PluginError(
            f"The site serves KaTeX and Mermaid itself, but {', '.join(missing)} was not found "
            f"in {modules}. Install them with `npm ci --ignore-scripts` in the repository root "
            f"(or point {NODE_MODULES_ENV} at a node_modules folder that has them)."
        )
    return sources


def parse_marker(attrs: str) -> dict[str, str]:
    """Parse ``key="value"`` pairs of a ``<!-- generated ... -->`` marker."""
    parsed = {m["key"]: m["value"] for m in ATTRIBUTE.finditer(attrs)}
    if not parsed:
        raise PluginError(f"Empty <!-- generated --> marker: {attrs!r}")
    return parsed


def relative_link(target: str, page_src: str) -> str:
    """Link from the Markdown page ``page_src`` to ``target`` (both relative to ``docs/``)."""
    return posixpath.relpath(target, posixpath.dirname(page_src) or ".")


def not_generated(path: str, page_src: str, what: str) -> str:
    """Admonition shown in place of a generated file that does not exist yet."""
    guide = relative_link(REGENERATE_GUIDE, page_src)
    return (
        f'!!! warning "{what} not generated yet"\n\n'
        f"    `docs/{path}` is not in this build. It is written by `make benchmark`; "
        f"see [Regenerate the figures]({guide}).\n"
    )


def generated_alt_text(figure: Path) -> str | None:
    """The alt text the report wrote for ``figure`` in ``figures.json`` beside it, if any."""
    texts = figure.parent / ALT_TEXTS
    if not texts.is_file():
        return None
    try:
        return json.loads(texts.read_text(encoding="utf-8")).get(figure.name)
    except json.JSONDecodeError as error:
        raise PluginError(f"{texts} is not valid JSON: {error}") from error


def render_figure(attrs: dict[str, str], page_src: str, docs_dir: Path) -> str:
    """A ``<figure>`` with caption for an existing image, else the "not generated" admonition."""
    path = attrs["figure"]
    caption = attrs.get("caption", "")
    if not (docs_dir / path).is_file():
        return not_generated(path, page_src, "Figure") + (f"\n    *{caption}*\n" if caption else "")
    alt = generated_alt_text(docs_dir / path) or attrs.get("alt") or caption
    alt = " ".join(alt.split()).replace("[", r"\[").replace("]", r"\]")
    image = f"![{alt}]({relative_link(path, page_src)})"
    figcaption = f"\n  <figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure markdown="span">\n  {image}{figcaption}\n</figure>\n'


def render_table(attrs: dict[str, str], page_src: str, docs_dir: Path) -> str:
    """The Markdown of a generated table, else the "not generated" admonition."""
    path = attrs["table"]
    source = docs_dir / path
    if not source.is_file():
        return not_generated(path, page_src, "Table")
    return source.read_text(encoding="utf-8").strip() + "\n"


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested mappings to ``(dotted.key, text)`` rows; lists are joined with commas."""
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for key, item in value.items():
            rows.extend(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if isinstance(value, list):
        text = ", ".join(json.dumps(v) if isinstance(v, dict | list) else str(v) for v in value)
    else:
        text = str(value)
    return [(prefix, text)]


def render_manifest(attrs: dict[str, str], page_src: str, docs_dir: Path) -> str:
    """A provenance box listing every field of the benchmark manifest."""
    path = attrs["manifest"]
    source = docs_dir / path
    if not source.is_file():
        return not_generated(path, page_src, "Provenance manifest")
    try:
        manifest = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise PluginError(f"docs/{path} is not valid JSON: {error}") from error
    rows = "\n".join(
        f"    | `{key}` | {text.replace('|', '&#124;')} |" for key, text in flatten(manifest)
    )
    link = relative_link(path, page_src)
    return (
        '!!! info "The run that produced these figures"\n\n'
        f"    Generated by `make benchmark`; the full record is [`{path}`]({link}).\n\n"
        "    | Field | Value |\n    | --- | --- |\n"
        f"{rows}\n"
    )


def render_cli(attrs: dict[str, str], root: Path) -> str:
    """Markdown reference of a Typer CLI, produced by ``typer MODULE utils docs``."""
    module = attrs["cli"]
    name = attrs.get("name", "macroseg")
    command = [sys.executable, "-m", "typer", module, "utils", "docs", "--name", name]
    python_path = [str(root), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in python_path if p)}
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PluginError(
            f"Could not generate the CLI reference with `{shlex.join(command)}`:\n{result.stderr}"
        )
    # Drop Typer's own page title: the page has one.
    lines = result.stdout.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(lines).strip() + "\n"


def expand_markers(markdown: str, page_src: str, docs_dir: Path, root: Path) -> str:
    """Replace every ``<!-- generated ... -->`` marker of a page by its content."""

    def replace(match: re.Match[str]) -> str:
        attrs = parse_marker(match["attrs"])
        if "figure" in attrs:
            return render_figure(attrs, page_src, docs_dir)
        if "table" in attrs:
            return render_table(attrs, page_src, docs_dir)
        if "manifest" in attrs:
            return render_manifest(attrs, page_src, docs_dir)
        if "cli" in attrs:
            return render_cli(attrs, root)
        raise PluginError(f"{page_src}: unknown <!-- generated --> marker {match[0]!r}")

    return MARKER.sub(replace, markdown)


# --- MkDocs event handlers -------------------------------------------------------------------


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the vendored KaTeX and Mermaid files to the site."""
    for site_path, source in vendor_sources(node_modules(config)).items():
        files.append(File.generated(config, site_path, abs_src_path=str(source)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Expand the ``<!-- generated ... -->`` markers of a page."""
    return expand_markers(
        markdown, page.file.src_uri, Path(config.docs_dir), repository_root(config)
    )
