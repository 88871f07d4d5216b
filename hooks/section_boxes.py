"""Each run of blocks between two headings of a page in a box the browser may skip until it is near.

The longest pages hold 18,000 to 31,000 elements, three quarters of them KaTeX's. A phone styles
and lays out every one of them before the page answers a tap. In a ``jf-section`` box
(``content-visibility: auto``, assets/site.css) the browser styles and lays out only the boxes
near the viewport, and the rest when the reader scrolls to them. The text stays in the page, so
find-in-page, links to an anchor, screen readers and print see all of it.

The first run, the short answer under the title, is on every first screen and stays out of a
box: boxed, it moved the heading below it once the page had painted (a layout shift of 0.06–0.07
on a phone in Lighthouse, 0.01–0.02 unboxed), as if first painted at its guessed height.

Headings stay outside the boxes: Material's table of contents reads each heading's offset, and
reading the geometry of an element inside a skipped box makes the browser lay that box out.
For the same reason Material mounts code blocks only when they come into view (the
``content.lazy`` feature in mkdocs.yml). Notebook pages keep Jupyter's markup.

Until a box is first shown it takes the height written on it (``contain-intrinsic-size``), a
guess from what it holds. The guess must not fall short: when a script reads geometry inside a
skipped box (axe does, for its contrast check), the browser lays the content out in the guessed
height, and content that overflows it overlaps the boxes below. The weights below were fitted to
the 413 boxes of the site at a phone's 360 px, as the least total height that covers every box,
then raised by a quarter; tests/site/test_browser.py holds every box of every page to it.
"""

from __future__ import annotations

import html as entities
import math
import re

TAG = re.compile(r"<!--.*?-->|<(/?)([a-zA-Z][\w:-]*)\b[^>]*?(/?)>", re.S)
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
HEADING = {"h1", "h2", "h3", "h4", "h5", "h6"}
BOX = '<div class="jf-section" style="contain-intrinsic-size: auto {}rem">{}</div>'
MATH = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
CODE = re.compile(r"<pre\b.*?</pre>", re.S)
ANY_TAG = re.compile(r"<[^>]+>")
PX_PER_REM = 20  # Material's root font size on a phone
MARGIN = 1.25


def guessed_height(run: str) -> int:
    """Height in rem, at a phone's width, that the run's HTML (before KaTeX) does not exceed."""
    formulas = MATH.findall(run)
    inline_tex = sum(len(body) for tag, body in formulas if tag == "span")
    displays = sum(1 for tag, _ in formulas if tag == "div")
    code_lines = sum(block.count("\n") for block in CODE.findall(run))
    prose = entities.unescape(ANY_TAG.sub("", MATH.sub("", CODE.sub("", run))))
    px = (
        300
        + 0.85 * len(prose)
        + 0.2 * inline_tex
        + 85 * displays
        + 20 * code_lines
        + 95 * run.count("<tr")
    )
    return math.ceil(MARGIN * px / PX_PER_REM)


def top_level_headings(html: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each heading that is not inside another element."""
    depth, start, found = 0, 0, []
    for tag in TAG.finditer(html):
        closing, name, self_closing = tag[1], (tag[2] or "").lower(), tag[3]
        if not name or name in VOID or self_closing:
            continue
        if closing:
            depth -= 1
            if depth == 0 and name in HEADING:
                found.append((start, tag.end()))
        else:
            if depth == 0 and name in HEADING:
                start = tag.start()
            depth += 1
    return found


def boxed(html: str) -> str:
    """The page with each non-empty run between top-level headings, but the first, in a box."""
    pieces, cursor, first = [], 0, True
    for start, end in [*top_level_headings(html), (len(html), len(html))]:
        run = html[cursor:start]
        if run.strip() and not first:
            run = BOX.format(guessed_height(run), run)
        first = first and not run.strip()
        pieces.append(run)
        pieces.append(html[start:end])
        cursor = end
    return "".join(pieces)


def on_page_content(html, page, config, files):
    if page.file.src_uri.endswith(".ipynb"):
        return html
    return boxed(html)
