"""Every page in real headless Chromium: no console error, no request off 127.0.0.1, math shown.

A screenshot of each page, light and dark, is kept in build/screenshots/ as a test artifact.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from tests.pages import ROOT
from tests.site.conftest import HTML_PAGES, SITE, page_id

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "build" / "screenshots"
PALETTES = {"light": (0, "default"), "dark": (1, "slate")}


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium; Playwright gives it a fresh temporary profile."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium):
    """A fresh context per test: no storage shared between pages or palettes."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


def url_of(page_file, site_url):
    return site_url + str(page_file.parent.relative_to(SITE)).replace(".", "") + "/"


def palette_script(index: int, scheme: str) -> str:
    """Material reads the reader's palette choice from localStorage before it paints."""
    choice = {
        "index": index,
        "color": {"media": "", "scheme": scheme, "primary": "indigo", "accent": "indigo"},
    }
    return f"localStorage.setItem('/.__palette', {json.dumps(json.dumps(choice))});"


@pytest.mark.parametrize("palette", PALETTES)
@pytest.mark.parametrize("page_file", HTML_PAGES, ids=page_id)
def test_page_in_chromium(browser, site_url, page_file, palette):
    tab = browser.new_page()
    errors, foreign = [], []
    tab.on("console", lambda message: message.type == "error" and errors.append(message.text))
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "request",
        lambda request: (
            urlsplit(request.url).hostname not in {"127.0.0.1", None}
            and not request.url.startswith("data:")
            and foreign.append(request.url)
        ),
    )
    tab.add_init_script(palette_script(*PALETTES[palette]))
    tab.emulate_media(color_scheme="dark" if palette == "dark" else "light")
    tab.goto(url_of(page_file, site_url), wait_until="networkidle")

    scheme = tab.evaluate("document.body.getAttribute('data-md-color-scheme')")
    name = (
        page_id(page_file)
        .replace("/index.html", "")
        .replace("/", "_")
        .replace("index.html", "home")
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=SCREENSHOTS / f"{name}-{palette}.png", full_page=True)
    formulas_in_html = page_file.read_text().count('class="katex"')
    formulas_shown = tab.locator(".katex").count()
    tab.close()

    assert errors == [], f"{page_id(page_file)} ({palette}): console errors {errors}"
    assert foreign == [], f"{page_id(page_file)} ({palette}): requests off 127.0.0.1 {foreign}"
    assert scheme == PALETTES[palette][1]
    assert formulas_shown == formulas_in_html
