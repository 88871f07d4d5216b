"""Every page in real headless Chromium (Debian's), driven by Playwright.

Light and dark palettes: no console error, no request off 127.0.0.1, every formula shown, no
serious or critical axe-core violation. Phone width: nothing scrolls sideways. Screenshots are
kept in build/screenshots/ as test artifacts.
"""

from __future__ import annotations

import pytest

from tests.pages import ROOT
from tests.site.conftest import HTML_PAGES, PALETTES, SITE, page_id, page_name

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "build" / "screenshots"
PHONE = {"width": 360, "height": 740}
PHONE_SCREENSHOTS = {"activations", "network", "cheatsheet"}


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


@pytest.mark.parametrize("palette", PALETTES)
@pytest.mark.parametrize("page_file", HTML_PAGES, ids=page_id)
def test_page_in_chromium(open_page, page_file, palette):
    tab = open_page(page_file, palette)
    where = f"{page_id(page_file)} ({palette})"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The whole page in the light palette; the first screen in the dark one.
    tab.screenshot(
        path=SCREENSHOTS / f"{page_name(page_file)}-{palette}.png", full_page=palette == "light"
    )

    assert tab.problems["errors"] == [], f"{where}: console errors"
    assert tab.problems["foreign"] == [], f"{where}: requests off 127.0.0.1"
    assert tab.evaluate("document.body.dataset.mdColorScheme") == PALETTES[palette][1]
    formulas = page_file.read_text(encoding="utf-8").count('<span class="katex">')
    assert tab.locator(".katex").count() == formulas, f"{where}: formulas not all shown"
    assert axe_violations(tab, palette) == [], f"{where}: serious or critical axe violations"


@pytest.mark.parametrize("page_file", HTML_PAGES, ids=page_id)
def test_nothing_scrolls_sideways_on_a_phone(open_page, page_file):
    tab = open_page(page_file, viewport=PHONE)
    if page_name(page_file) in PHONE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=SCREENSHOTS / f"{page_name(page_file)}-phone.png", full_page=True)
    widths = tab.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page_id(page_file)}: {widths[0]}px wide at {widths[1]}px"


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
