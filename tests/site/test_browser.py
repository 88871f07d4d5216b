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
    assert tab.evaluate(FIRST_SCREEN_FONTS_NOT_PRELOADED) == [], f"{page_id(page_file)} at 1280 px"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    full = name in FULL_SCREENSHOTS
    tab.screenshot(path=SCREENSHOTS / f"{name}-light.png", full_page=full)
    check_palette(tab, page_file, "light")

    tab.get_by_title(TOGGLE["light"]).click()
    check_palette(tab, page_file, "dark")
    tab.screenshot(path=SCREENSHOTS / f"{name}-dark.png")

    tab.set_viewport_size(PHONE)
    fonts_late = tab.evaluate(FIRST_SCREEN_FONTS_NOT_PRELOADED)
    assert fonts_late == [], f"{page_id(page_file)} at {PHONE['width']} px"
    if full:
        tab.screenshot(path=SCREENSHOTS / f"{name}-phone.png", full_page=True)
    widths = tab.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page_id(page_file)}: {widths[0]}px wide at {widths[1]}px"
    assert tab.problems["errors"] == [], f"{page_id(page_file)}: console errors"
    assert tab.problems["foreign"] == [], f"{page_id(page_file)}: requests off 127.0.0.1"
    outgrown = tab.evaluate(BOXES_OVER_THEIR_GUESS)
    assert outgrown == [], f"{page_id(page_file)} at {PHONE['width']} px: (box, px, guessed px)"


# hooks/katex.py preloads the KaTeX fonts of a page's first screen: text on it that waits for a
# font the page did not preload paints late and moves the lines around it (a layout shift).
FIRST_SCREEN_FONTS_NOT_PRELOADED = """() => {
    const preloaded = [...document.querySelectorAll('link[rel=preload][as=font]')]
        .map((link) => link.href.split('/').pop().replace('.woff2', ''));
    const late = new Set();
    const text = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = text.nextNode(); node; node = text.nextNode()) {
        if (!node.data.trim()) continue;
        const style = getComputedStyle(node.parentElement);
        const family = style.fontFamily.split(',')[0].trim().replace(/"/g, '');
        if (!family.startsWith('KaTeX_')) continue;
        range.selectNodeContents(node);
        const box = range.getBoundingClientRect();
        if (box.height === 0 || box.bottom < 0 || box.top > innerHeight) continue;
        const face = (Number(style.fontWeight) >= 600 ? 'Bold' : '')
            + (style.fontStyle === 'italic' ? 'Italic' : '') || 'Regular';
        if (!preloaded.includes(`${family}-${face}`)) late.add(`${family}-${face}`);
    }
    return [...late];
}"""


# hooks/section_boxes.py writes on each box the height it takes until it is first shown. Content
# taller than that overlaps the boxes below whenever a script reads its geometry before then
# (axe's contrast check does): at a phone's width every box must fit in its guess.
SHOWN = ".jf-section { content-visibility: visible !important; contain: layout style paint; }"
BOXES_OVER_THEIR_GUESS = f"""() => {{
    document.head.insertAdjacentHTML('beforeend', '<style>{SHOWN}</style>');
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
    return [...document.querySelectorAll('.jf-section')].map((box, index) => [
        index,
        Math.round(box.getBoundingClientRect().height),
        Math.round(parseFloat(box.style.containIntrinsicSize.split(' ').pop()) * rem),
    ]).filter(([, height, guess]) => !(height <= guess));
}}"""


def test_the_palette_toggle_is_what_a_dark_load_shows(open_page):
    """test_page_in_chromium toggles; a page loaded in the dark palette paints the same scheme."""
    page_file = SITE / "softmax" / "index.html"
    check_palette(open_page(page_file, "dark"), page_file, "dark")


# What a load changes on <html> and <body> after the page's content is parsed, kept when a style
# rule reads it: such a change restyles every element of the page, the costliest work of a long
# page's load on a phone (make audit). A class or attribute no rule reads costs nothing; a class
# change is read by any rule on [class], such as Material's table:not([class]).
WATCH_ROOTS = """new MutationObserver((records) => {
    if (!document.querySelector("article")) return;  // still before the page's content
    const roots = [document.documentElement, document.body];
    window.rootChanges = (window.rootChanges || []).concat(records
        .filter((r) => roots.includes(r.target))
        .map((r) => [r.target.tagName, r.attributeName, r.oldValue,
                     r.target.getAttribute(r.attributeName)]));
}).observe(document, {attributes: true, attributeOldValue: true, subtree: true});"""
STYLED_ROOT_CHANGES = """() => {
    const rules = Array.from(document.styleSheets, (sheet) =>
        Array.from(sheet.cssRules, (rule) => rule.cssText).join("\\n")).join("\\n");
    const has = (list, c) => (list ?? "").split(/\\s+/).includes(c);
    const read = (attribute, before, after) => attribute === "class"
        ? `${before ?? ""} ${after ?? ""}`.split(/\\s+/)
            .filter((c) => c && has(before, c) !== has(after, c))
            .some((c) => rules.includes(`.${c}`) || rules.includes("[class"))
        : before !== after && rules.includes(`[${attribute}`);
    return (window.rootChanges || [])
        .filter(([, attribute, before, after]) => read(attribute, before, after))
        .map(([tag, attribute, before, after]) => `${tag} ${attribute}: "${before}" -> "${after}"`);
}"""


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_a_load_restyles_nothing_at_the_root(open_page, palette):
    """The class html gets and the stored palette are set before the body is parsed; after, a
    load changes nothing a style rule reads on html or body (Material's palette script and its
    class switch each restyled the whole page once more)."""
    tab = open_page(SITE / "affine" / "index.html", palette, init_script=WATCH_ROOTS)
    assert tab.evaluate("window.rootChanges.length") > 0, "the watch saw no change at all"
    assert tab.evaluate(STYLED_ROOT_CHANGES) == []
    assert "no-js" not in tab.evaluate("document.documentElement.className")


def test_the_toggle_switches_stores_and_answers_the_keyboard(open_page):
    tab = open_page(SITE / "softmax" / "index.html", "light")
    tab.get_by_title(TOGGLE["light"]).click()
    assert tab.evaluate("__md_get('__palette').color.scheme") == PALETTES["dark"][1]
    assert tab.get_by_title(TOGGLE["dark"]).is_visible()
    assert not tab.get_by_title(TOGGLE["light"]).is_visible()
    tab.wait_for_function("() => !document.body.hasAttribute('data-md-color-switching')")
    tab.locator("input.md-option").nth(PALETTES["dark"][0]).focus()
    tab.keyboard.press("Enter")
    assert tab.evaluate("document.body.dataset.mdColorScheme") == PALETTES["light"][1]
    tab.reload()
    assert tab.evaluate("document.body.dataset.mdColorScheme") == PALETTES["light"][1]


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


INDEX_REQUESTS = """() => performance.getEntriesByType("resource")
    .filter((entry) => entry.name.endsWith("/search/search_index.json")).length"""


def test_the_search_index_is_asked_for_when_the_reader_opens_the_search(open_page):
    """Material asks for the index on every load; here the request waits for the search box."""
    tab = open_page(SITE / "affine" / "index.html")
    assert tab.evaluate(INDEX_REQUESTS) == 0, "the search index was asked for on load"
    tab.locator(".md-search__input").click()
    tab.locator(".md-search__input").fill("transpose")
    tab.wait_for_selector(".md-search-result__item")
    assert tab.evaluate(INDEX_REQUESTS) == 1


# hooks/section_boxes.py boxes the blocks between two headings; the browser styles and lays out
# a box only when it comes near the viewport, and Material mounts a code block (its copy button)
# only when it is seen (content.lazy). A script that reads geometry inside every box at load, as
# Material's code blocks do when mounted eagerly, would lay the whole page out again.
LAST_BOX_WITH_CODE = """() => {
    const box = [...document.querySelectorAll('.jf-section')].filter(
        (b) => b.querySelector('pre > code')).pop();
    box.dataset.probe = '';
    return [!box.firstElementChild.checkVisibility({contentVisibilityAuto: true}),
            box.querySelectorAll('.md-code__button').length];
}"""


def test_sections_below_the_fold_wait_until_the_reader_reaches_them(open_page):
    tab = open_page(SITE / "lstm_gru" / "index.html", viewport=PHONE)
    skipped, copy_buttons = tab.evaluate(LAST_BOX_WITH_CODE)
    assert skipped, "the last section was laid out at load"
    assert copy_buttons == 0, "its code blocks were mounted at load"
    tab.locator("[data-probe] pre > code").first.scroll_into_view_if_needed()
    tab.locator("[data-probe] .md-code__button").first.wait_for()
    assert tab.evaluate(
        "document.querySelector('[data-probe]').firstElementChild"
        ".checkVisibility({contentVisibilityAuto: true})"
    )


# A box holds its children's margins; site.css gives each block the place it had without boxes.
BLOCK_TOPS = """() => [...document.querySelectorAll('article > :not(.jf-section), .jf-section > *')]
    .filter((block) => block.getClientRects().length)
    .map((block) => block.getBoundingClientRect().top + scrollY)"""
UNBOX = """document.querySelectorAll('.jf-section')
    .forEach((box) => box.replaceWith(...box.childNodes))"""


@pytest.mark.parametrize("name", ["affine", "hessians", "margin_losses", "cheatsheet"])
def test_boxes_move_no_block(open_page, name):
    for viewport in (PHONE, {"width": 1280, "height": 900}):
        tab = open_page(SITE / name / "index.html", viewport=viewport)
        # as a box is when on screen: contained, laid out
        tab.add_style_tag(content=SHOWN)
        boxed = tab.evaluate(BLOCK_TOPS)
        tab.evaluate(UNBOX)
        unboxed = tab.evaluate(BLOCK_TOPS)
        assert len(boxed) == len(unboxed) > 10
        pairs = enumerate(zip(boxed, unboxed, strict=True))
        moved = [(i, b - u) for i, (b, u) in pairs if abs(b - u) > 0.5]
        assert moved == [], f"{name} at {viewport['width']} px: blocks moved (index, px): {moved}"
