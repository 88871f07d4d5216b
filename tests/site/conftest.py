"""Checks of the built site/: run after `mkdocs build`, on the very directory that is published."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from tests.local_site import CHROMIUM, CHROMIUM_FLAGS, served
from tests.pages import ROOT

SITE = ROOT / "site"
if not (SITE / "index.html").is_file():
    raise pytest.UsageError("site/ is not built: run `make site` (or `make test`) first")

HTML_PAGES = sorted(p for p in SITE.rglob("*.html") if p.name != "404.html")


def page_id(page: Path) -> str:
    return str(page.relative_to(SITE))


@pytest.fixture(scope="session")
def site_url():
    """The built site served on 127.0.0.1 on a free port, for the browser tests."""
    with served(SITE) as url:
        yield url


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
def open_page(chromium, site_url):
    """Open a built page in a fresh context (no storage shared), in a palette and a viewport."""
    contexts = []

    def open_(page_file, palette="light", viewport=None, init_script=None):
        index, scheme = PALETTES[palette]
        context = chromium.new_context(
            viewport=viewport or {"width": 1280, "height": 900},
            color_scheme="dark" if palette == "dark" else "light",
        )
        contexts.append(context)
        choice = {"index": index, "color": {"media": "", "scheme": scheme, "primary": "indigo"}}
        # Material reads the reader's palette from localStorage before it paints.
        context.add_init_script(
            f"localStorage.setItem('/.__palette', {json.dumps(json.dumps(choice))});"
        )
        if init_script:
            context.add_init_script(init_script)
        tab = context.new_page()
        tab.problems = {"errors": [], "foreign": []}
        tab.on("console", lambda m: m.type == "error" and tab.problems["errors"].append(m.text))
        tab.on("pageerror", lambda error: tab.problems["errors"].append(str(error)))
        tab.on("request", lambda r: _foreign(r.url) and tab.problems["foreign"].append(r.url))
        tab.goto(site_url + _path(page_file), wait_until="networkidle")
        return tab

    yield open_
    for context in contexts:
        context.close()


def _foreign(url: str) -> bool:
    return not url.startswith("data:") and urlsplit(url).hostname not in {"127.0.0.1", None}


def _path(page_file) -> str:
    folder = str(page_file.parent.relative_to(SITE))
    return "" if folder == "." else folder + "/"


def page_name(page_file) -> str:
    return _path(page_file).rstrip("/").replace("/", "_") or "home"
