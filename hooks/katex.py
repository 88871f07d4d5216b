"""Render every formula with KaTeX at build time, so pages ship no math JavaScript.

Two kinds of math reach the HTML:

* Markdown pages: pymdownx.arithmatex (generic mode) wraps each formula in
  ``<span class="arithmatex">\\(...\\)</span>`` or ``<div class="arithmatex">\\[...\\]</div>``.
* Notebook pages: mkdocs-jupyter leaves ``$...$`` and ``$$...$$`` as text inside
  ``jp-MarkdownOutput`` cells.

All formulas of a page are rendered in one ``node`` call (``hooks/render_math.mjs``) with
``throwOnError``; a formula KaTeX rejects fails the build with the page, the line and the
formula. The work happens in ``on_post_page`` so the search index keeps the plain TeX
rather than KaTeX's markup. KaTeX's stylesheet and fonts are copied from ``node_modules``
into the built site.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

ROOT = Path(__file__).resolve().parent.parent
KATEX_DIST = ROOT / "node_modules" / "katex" / "dist"
RENDERER = Path(__file__).resolve().parent / "render_math.mjs"
ASSET_DIR = "assets/katex"

ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<body>.*?)</(?P=tag)>', re.DOTALL
)
NOTEBOOK_MARKDOWN = re.compile(r'<div class="[^"]*\bjp-MarkdownOutput\b[^"]*"[^>]*>')
DIV_TAG = re.compile(r"<div\b|</div>")
# Inside a notebook's Markdown output: leave code alone, find $$...$$ before $...$.
CODE_ELEMENT = re.compile(r"<(code|pre)\b.*?</\1>", re.DOTALL)
DOLLAR_MATH = re.compile(r"\$\$(?P<display>.+?)\$\$|\$(?P<inline>[^$\n]+?)\$", re.DOTALL)


def on_config(config):
    if not (KATEX_DIST / "katex.min.css").is_file():
        raise PluginError(f"KaTeX is not installed in {KATEX_DIST.parent}: run `npm ci`.")
    return config


def on_post_page(output, page, config):
    output, formulas = _collect(output)
    if not formulas:
        return output
    results = render(formulas)
    errors = [
        _describe(page, formulas[i][0], result["error"])
        for i, result in enumerate(results)
        if "error" in result
    ]
    if errors:
        raise PluginError("KaTeX could not render:\n" + "\n".join(errors))
    rendered = [
        _scrollable(result["html"]) if display else result["html"]
        for result, (_, display) in zip(results, formulas, strict=True)
    ]
    return _preload_fonts(_fill(output, rendered), page)


def on_post_build(config):
    target = Path(config.site_dir) / ASSET_DIR
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(KATEX_DIST / "katex.min.css", target / "katex.min.css")
    shutil.copytree(KATEX_DIST / "fonts", target / "fonts", dirs_exist_ok=True)


# KaTeX's CSS hides math text (font-display: block) until its font arrives, and the browser
# asks for a font only once the CSS is parsed and the text laid out: the first screen's math
# then paints late, and lines around it move when it does (a layout shift of 0.17 on the
# pairwise-distances page, from KaTeX_Main-Bold and KaTeX_Size1). So each font the first
# screen uses is fetched with the stylesheets instead. The first screen is the title, the short
# answer and the page's first two section boxes (hooks/section_boxes.py; the whole page where
# there are none). A font is used where an element carries the classes that
# KaTeX's stylesheet gives it (each entry: alternatives split by "|", each a set of classes);
# every formula uses KaTeX_Main.
FONT_CLASSES = {
    "KaTeX_Main-Regular": "katex",
    "KaTeX_Math-Italic": "mathnormal",
    "KaTeX_Main-Bold": "mathbf|textbf",
    "KaTeX_Main-Italic": "mathit|textit",
    "KaTeX_Math-BoldItalic": "boldsymbol",
    "KaTeX_AMS-Regular": "amsrm|mathbb|textbb",
    "KaTeX_Caligraphic-Regular": "mathcal",
    "KaTeX_Fraktur-Regular": "mathfrak|textfrak",
    "KaTeX_Script-Regular": "mathscr|textscr",
    "KaTeX_SansSerif-Regular": "mathsf|textsf",
    "KaTeX_Typewriter-Regular": "mathtt|texttt",
    "KaTeX_Size1-Regular": "delimsizing size1|delim-size1|op-symbol small-op",
    "KaTeX_Size2-Regular": "delimsizing size2|op-symbol large-op",
    "KaTeX_Size3-Regular": "delimsizing size3",
    "KaTeX_Size4-Regular": "delimsizing size4|delim-size4",
}
SECTION_BOX = '<div class="jf-section"'
FIRST_STYLESHEET = '<link rel="stylesheet"'
CLASS_ATTRIBUTE = re.compile(r'\bclass="([^"]*)"')


def first_screen(output: str) -> str:
    """The page up to its third section box: its title, short answer and first two boxes."""
    starts = [m.start() for m in re.finditer(re.escape(SECTION_BOX), output)]
    return output[: starts[2]] if len(starts) > 2 else output


def fonts_used(html_text: str) -> list[str]:
    """The KaTeX fonts some element of ``html_text`` asks for, in ``FONT_CLASSES`` order."""
    elements = {frozenset(value.split()) for value in CLASS_ATTRIBUTE.findall(html_text)}
    return [
        font
        for font, alternatives in FONT_CLASSES.items()
        if any(
            set(needed.split()) <= classes
            for needed in alternatives.split("|")
            for classes in elements
        )
    ]


def _preload_fonts(output: str, page) -> str:
    """``output`` with a preload of each font its first screen uses, before its first stylesheet."""
    hrefs = [
        get_relative_url(f"{ASSET_DIR}/fonts/{font}.woff2", page.url)
        for font in fonts_used(first_screen(output))
    ]
    links = "".join(
        f'<link rel="preload" href="{href}" as="font" type="font/woff2" crossorigin>'
        for href in hrefs
    )
    return output.replace(FIRST_STYLESHEET, links + FIRST_STYLESHEET, 1)


def _scrollable(html_display: str) -> str:
    """A wide display formula scrolls in its own box; tabindex lets the keyboard scroll it."""
    return html_display.replace(
        '<span class="katex-display"', '<span class="katex-display" tabindex="0"', 1
    )


def render(formulas: list[tuple[str, bool]]) -> list[dict]:
    """Render ``[(tex, display), ...]`` with KaTeX; one ``{"html"}`` or ``{"error"}`` each."""
    payload = json.dumps([{"tex": tex, "display": display} for tex, display in formulas])
    done = subprocess.run(
        ["node", str(RENDERER)],
        input=payload,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise PluginError(f"KaTeX renderer failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


# A placeholder no formula and no HTML contains; replaced by the rendered formula.
_SLOT = "\x00katex:{}\x00"


def _collect(output: str) -> tuple[str, list[tuple[str, bool]]]:
    """Replace each formula in ``output`` by a numbered slot; return the formulas found."""
    formulas: list[tuple[str, bool]] = []

    def slot(tex: str, display: bool) -> str:
        formulas.append((html.unescape(tex).strip(), display))
        return _SLOT.format(len(formulas) - 1)

    def arithmatex(match: re.Match) -> str:
        body = match["body"].strip()
        display = match["tag"] == "div"
        return slot(body[2:-2], display)  # drop \( \) or \[ \]

    output = ARITHMATEX.sub(arithmatex, output)

    pieces = []
    position = 0
    for start, end in _notebook_markdown_spans(output):
        pieces.append(output[position:start])
        pieces.append(_dollar_math(output[start:end], slot))
        position = end
    pieces.append(output[position:])
    return "".join(pieces), formulas


def _notebook_markdown_spans(output: str):
    """Yield (start, end) of the inside of every notebook Markdown cell's output div."""
    for opening in NOTEBOOK_MARKDOWN.finditer(output):
        depth = 1
        for tag in DIV_TAG.finditer(output, opening.end()):
            depth += 1 if tag.group() == "<div" else -1
            if depth == 0:
                yield opening.end(), tag.start()
                break


def _dollar_math(fragment: str, slot) -> str:
    """Slot every $...$ and $$...$$ in ``fragment``, outside <code> and <pre>."""
    pieces = []
    position = 0
    for code in CODE_ELEMENT.finditer(fragment):
        pieces.append(_dollar_math_in_text(fragment[position : code.start()], slot))
        pieces.append(code.group())
        position = code.end()
    pieces.append(_dollar_math_in_text(fragment[position:], slot))
    return "".join(pieces)


def _dollar_math_in_text(text: str, slot) -> str:
    def replace(match: re.Match) -> str:
        if match["display"] is not None:
            return slot(match["display"], True)
        return slot(match["inline"], False)

    return DOLLAR_MATH.sub(replace, text)


def _fill(output: str, rendered: list[str]) -> str:
    return re.sub("\x00katex:(\\d+)\x00", lambda m: rendered[int(m[1])], output)


def _describe(page, tex: str, error: str) -> str:
    """`docs/page.md:LINE: <tex>: <KaTeX's message>`, the line found by searching the source."""
    where = os.path.relpath(page.file.abs_src_path) if page.file.abs_src_path else page.file.src_uri
    line = _source_line(page.file.abs_src_path, tex)
    if line:
        where += f":{line}"
    return f"  {where}: {tex!r}: {error}"


def _source_line(path: str | None, tex: str) -> int | None:
    if not path or not Path(path).is_file():
        return None
    first = tex.splitlines()[0].strip() if tex.strip() else ""
    if not first:
        return None
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if first in line:
            return number
    return None
