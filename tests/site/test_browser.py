"""Every page in real headless Chromium (Debian's), driven by Playwright.

Light and dark palettes: no console error, no request off 127.0.0.1, every formula shown, no
serious or critical axe-core violation. Phone width: nothing scrolls sideways. Each page is loaded
once and seen in the three, as a reader switching palette and narrowing the window would; the
first screens (whole pages for a few) are kept in build/screenshots/ as test artifacts.
"""

from __future__ import annotations

import pytest

from tests.pages import ROOT
from tests.site.conftest import HTML_PAGES, PALETTES, SITE, page_id, page_name

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "build" / "screenshots"
PHONE = {"width": 360, "height": 740}
FULL_SCREENSHOTS = {"activations", "network", "cheatsheet"}  # whole page, light and phone


# What changes with the palette is colour: in the dark palette axe runs its colour rules only
# (every other rule gave the same answer in the light one).
COLOUR_RULES = {"runOnly": {"type": "rule", "values": ["color-contrast", "link-in-text-block"]}}


def axe_violations(tab, palette: str) -> list[str]:
    tab.add_script_tag(path=str(AXE))
    options = {"resultTypes": ["violations"], **(COLOUR_RULES if palette == "dark" else {})}
    result = tab.evaluate("options => axe.run(document, options)", options)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['nodes'][0]['target']}"
        for violation in result["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


TOGGLE = {"light": "Switch to dark mode", "dark": "Switch to light mode"}


def check_palette(tab, page_file, palette: str) -> None:
    where = f"{page_id(page_file)} ({palette})"
    assert tab.evaluate("document.body.dataset.mdColorScheme") == PALETTES[palette][1], where
    formulas = page_file.read_text(encoding="utf-8").count('<span class="katex">')
    assert tab.locator(".katex").count() == formulas, f"{where}: formulas not all shown"
    assert axe_violations(tab, palette) == [], f"{where}: serious or critical axe violations"


@pytest.mark.parametrize("page_file", HTML_PAGES, ids=page_id)
def test_page_in_chromium(open_page, page_file):
    """One load per page, as a reader: the light palette, the toggle to dark, a phone's width."""
    tab = open_page(page_file, "light")
    name = page_name(page_file)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    full = name in FULL_SCREENSHOTS
    tab.screenshot(path=SCREENSHOTS / f"{name}-light.png", full_page=full)
    check_palette(tab, page_file, "light")

    tab.get_by_title(TOGGLE["light"]).click()
    check_palette(tab, page_file, "dark")
    tab.screenshot(path=SCREENSHOTS / f"{name}-dark.png")

    tab.set_viewport_size(PHONE)
    if full:
        tab.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
    widths = tab.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page_id(page_file)}: {widths[0]}px wide at {widths[1]}px"
    assert tab.problems["errors"] == [], f"{page_id(page_file)}: console errors"
    assert tab.problems["foreign"] == [], f"{page_id(page_file)}: requests off 127.0.0.1"


def test_the_palette_toggle_is_what_a_dark_load_shows(open_page):
    """test_page_in_chromium toggles; a page loaded in the dark palette paints the same scheme."""
    page_file = SITE / "softmax" / "index.html"
    check_palette(open_page(page_file, "dark"), page_file, "dark")


# The focused element shows a ring; a visually hidden option input shows it on its label.
FOCUS_RING = """() => {
    const focused = document.activeElement;
    const shown = focused.matches("input.md-option") ? focused.nextElementSibling : focused;
    const style = getComputedStyle(shown);
    const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    return [focused.tagName, ring || style.boxShadow !== "none"];
}"""


def test_keyboard_reaches_the_content_with_a_visible_focus_ring(open_page):
    tab = open_page(SITE / "activations" / "index.html")
    rings = []
    for _ in range(12):
        tab.keyboard.press("Tab")
        rings.append(tab.evaluate(FOCUS_RING))
    assert all(visible for _, visible in rings), rings


PRINTED = ["activations", "cheatsheet"]
PRINT_STATE = """() => [
    getComputedStyle(document.body).backgroundColor,
    [".md-header", ".md-sidebar--primary", ".md-footer"].map(
        (selector) => getComputedStyle(document.querySelector(selector)).display),
]"""


@pytest.mark.parametrize("name", [n for n in PRINTED if (SITE / n / "index.html").is_file()])
def test_print_is_light_and_bare_even_from_the_dark_palette(open_page, name):
    tab = open_page(SITE / name / "index.html", "dark")
    tab.emulate_media(media="print")
    background, displays = tab.evaluate(PRINT_STATE)
    assert background in {"rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"}, background
    assert displays == ["none", "none", "none"]
    (ROOT / "build" / "print").mkdir(parents=True, exist_ok=True)
    tab.pdf(path=ROOT / "build" / "print" / f"{name}.pdf", format="A4", print_background=True)
