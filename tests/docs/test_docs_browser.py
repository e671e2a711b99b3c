"""The built site in a real browser, offline: Debian's Chromium, headless, driven by Playwright.

Every page is loaded from a server on 127.0.0.1 with every other host blocked (and reported), in
the light and the dark palette. The test checks that no asset is missing, every image loads,
the maths is typeset, Mermaid diagrams render and search works, and saves a full-page screenshot
of every page into ``test-artifacts/screenshots/``.

No browser is downloaded: the test uses the Chromium of the system (``apt-get install chromium``)
or the one ``MACROSEG_CHROMIUM`` names, and is skipped with its reason when there is none.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
SCHEMES = {"light": "default", "dark": "slate"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces: even a request that escaped interception could not resolve a host.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
# Pages whose source has Mermaid diagrams or maths; the check must not pass vacuously.
MERMAID_PAGES = {"index", "segmentation/architecture", "guides/regenerate-figures"}
MATHS_PAGES = {"segmentation/architecture", "segmentation/performance", "notebooks/evaluate"}


def chromium_path() -> str | None:
    """The system Chromium, or ``None``."""
    candidates = [os.environ.get("MACROSEG_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(name) for name in ("chromium", "chromium-browser")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


@dataclass
class PageReport:
    """What one page did in the browser."""

    page: str
    scheme: str
    errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    maths: dict[str, int] = field(default_factory=dict)
    mermaid: dict[str, int] = field(default_factory=dict)
    color_scheme: str = ""
    background_luminance: float = -1.0


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless system Chromium through Playwright, or a skip that says why."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set MACROSEG_CHROMIUM)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
    )
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def page_names(site: Path) -> list[str]:
    """Every page of the built site, as its URL path without slashes (``""`` is home)."""
    names = [str(p.parent.relative_to(site)) for p in site.rglob("index.html")]
    return sorted("" if n == "." else n for n in names)


def new_context(browser: Any, base_url: str, scheme: str, blocked: list[str]) -> Any:
    """A browser context in which only ``base_url``'s host is reachable."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        color_scheme=scheme,
        service_workers="block",
    )
    local = urlsplit(base_url).netloc

    def route(route: Any) -> None:
        if urlsplit(route.request.url).netloc == local:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    return context


def visit(context: Any, url: str, report: PageReport, blocked: list[str]) -> Any:
    """Load a page, wait for maths and diagrams, and record what went wrong."""
    page = context.new_page()
    page.on("pageerror", lambda error: report.errors.append(f"page error: {error}"))
    page.on(
        "console",
        lambda msg: (
            report.errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            report.errors.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400
            else None
        ),
    )
    page.on(
        "requestfailed",
        lambda request: (
            report.errors.append(f"request failed: {request.url}")
            if request.url not in blocked
            else None
        ),
    )
    page.goto(url, wait_until="load")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.arithmatex')].every(e => e.querySelector('.katex'))",
        timeout=15_000,
    )
    page.wait_for_function(
        "() => document.querySelectorAll('pre.mermaid').length === 0", timeout=30_000
    )
    page.evaluate(
        """() => Promise.all([...document.images].map(img => img.complete ? null :
               new Promise(done => { img.onload = img.onerror = done; })))"""
    )
    report.images = page.evaluate(
        """() => [...document.images].map(img => ({
               src: img.currentSrc || img.src,
               width: img.naturalWidth,
               height: img.naturalHeight}))"""
    )
    report.maths = page.evaluate(
        """() => ({
            formulas: document.querySelectorAll('.arithmatex').length,
            typeset: document.querySelectorAll('.katex').length,
            errors: document.querySelectorAll('.katex-error').length})"""
    )
    report.mermaid = page.evaluate(
        """() => ({
            rendered: document.querySelectorAll('div.mermaid').length,
            unrendered: document.querySelectorAll('pre.mermaid').length})"""
    )
    report.color_scheme = page.evaluate("() => document.body.dataset.mdColorScheme")
    report.background_luminance = page.evaluate(
        """() => {
            const [r, g, b] = getComputedStyle(document.body).backgroundColor
                .match(/\\d+/g).slice(0, 3).map(Number);
            return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
        }"""
    )
    return page


@pytest.fixture(scope="session")
def crawl(browser: Any, site_url: str, built_site: Path) -> list[PageReport]:
    """Visit every page in both palettes; save a full-page screenshot of each."""
    reports = []
    for name, scheme in SCHEMES.items():
        folder = SCREENSHOTS / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        blocked: list[str] = []
        context = new_context(browser, site_url, "dark" if name == "dark" else "light", blocked)
        for page_name in page_names(built_site):
            report = PageReport(page=page_name or "index", scheme=scheme)
            before = len(blocked)
            page = visit(
                context, site_url + (page_name + "/" if page_name else ""), report, blocked
            )
            report.external = blocked[before:]
            slug = report.page.replace("/", "--")
            page.screenshot(path=str(folder / f"{slug}.png"), full_page=True)
            page.close()
            reports.append(report)
        context.close()
    return reports


def failures(reports: list[PageReport], check: Any) -> list[str]:
    """``page (scheme): problem`` for every problem that ``check`` finds."""
    return [f"{r.page} ({r.scheme}): {problem}" for r in reports for problem in check(r)]


def test_every_page_is_visited(crawl: list[PageReport]) -> None:
    pages = {r.page for r in crawl}
    assert {"index", "metrics", "segmentation/performance", "notebooks/evaluate"} <= pages


def test_no_request_leaves_the_machine(crawl: list[PageReport]) -> None:
    assert not failures(crawl, lambda r: r.external)


def test_no_missing_asset_and_no_script_error(crawl: list[PageReport]) -> None:
    assert not failures(crawl, lambda r: r.errors)


def test_every_image_loads(crawl: list[PageReport]) -> None:
    broken = failures(
        crawl, lambda r: [i["src"][:120] for i in r.images if not i["width"] or not i["height"]]
    )
    assert not broken
    assert any(r.images for r in crawl if r.page == "segmentation/architecture")


def test_maths_is_typeset(crawl: list[PageReport]) -> None:
    assert not failures(crawl, lambda r: ["KaTeX error"] * r.maths["errors"])
    for report in crawl:
        assert report.maths["typeset"] >= report.maths["formulas"], report
        if report.page in MATHS_PAGES:
            assert report.maths["typeset"] > 0, report


def test_mermaid_diagrams_render(crawl: list[PageReport]) -> None:
    for report in crawl:
        assert report.mermaid["unrendered"] == 0, report
        if report.page in MERMAID_PAGES:
            assert report.mermaid["rendered"] > 0, report


def test_both_palettes_render(crawl: list[PageReport]) -> None:
    for report in crawl:
        assert report.color_scheme == report.scheme, report
        if report.scheme == "slate":
            assert report.background_luminance < 0.3, report
        else:
            assert report.background_luminance > 0.8, report


def test_palette_toggle_switches_to_dark(browser: Any, site_url: str) -> None:
    blocked: list[str] = []
    context = new_context(browser, site_url, "light", blocked)
    page = context.new_page()
    page.goto(site_url, wait_until="networkidle")
    assert page.evaluate("() => document.body.dataset.mdColorScheme") == "default"
    page.get_by_title("Switch to the dark palette").click()
    page.wait_for_function("() => document.body.dataset.mdColorScheme === 'slate'")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "toggled-to-dark.png"))
    context.close()
    assert not blocked


def test_search_finds_panoptic_on_the_metrics_page(browser: Any, site_url: str) -> None:
    blocked: list[str] = []
    context = new_context(browser, site_url, "light", blocked)
    page = context.new_page()
    page.goto(site_url, wait_until="networkidle")
    # Typed key by key: Material's search reacts to keyboard events, not to a pasted value.
    page.locator("input.md-search__input").press_sequentially("panoptic", delay=20)
    page.wait_for_selector(".md-search-result__item", timeout=15_000)
    links = page.eval_on_selector_all(
        ".md-search-result__item a", "links => links.map(a => a.href)"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "search-panoptic.png"))
    context.close()
    assert any(urlsplit(link).path.rstrip("/").endswith("/metrics") for link in links), links
    assert not blocked


def test_maths_and_diagrams_render_after_instant_navigation(browser: Any, site_url: str) -> None:
    blocked: list[str] = []
    context = new_context(browser, site_url, "light", blocked)
    page = context.new_page()
    page.goto(site_url + "segmentation/mask-rcnn/", wait_until="load")
    page.locator("a[href$='architecture/']").first.click()  # Material swaps the page in place
    page.wait_for_url("**/segmentation/architecture/")
    page.wait_for_function(
        "() => document.querySelectorAll('.arithmatex').length > 0 && "
        "[...document.querySelectorAll('.arithmatex')].every(e => e.querySelector('.katex'))",
        timeout=15_000,
    )
    page.wait_for_function("() => document.querySelectorAll('div.mermaid').length > 0")
    context.close()
    assert not blocked
