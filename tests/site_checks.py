"""Checks of built HTML that name the file and line of each finding.

Used on the real site (tests/site/) and on the small fixture sites of the fault tests.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

LOADING_LINKS = {
    "stylesheet",
    "icon",
    "preload",
    "prefetch",
    "modulepreload",
    "manifest",
    "apple-touch-icon",
    "preconnect",
    "dns-prefetch",
}
REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//(?!127\.0\.0\.1[:/]|localhost[:/])", re.I)
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)|@import\s+['"]([^'"]+)""", re.I)
SCRIPT_IMPORT = re.compile(r"""\bimport\s*\(\s*['"`]([^'"`]+)""")
# TeX that escaped rendering: \( \[ $$, or $...\command...$ in visible text.
RAW_TEX = re.compile(r"\\\(|\\\[|\$\$|\$[^$\n]*\\[A-Za-z]+[^$\n]*\$")


class _Scanner(HTMLParser):
    """Collects resource URLs with their lines, and the visible text with its lines."""

    HIDDEN = frozenset({"script", "style", "code", "pre", "annotation", "math", "svg", "textarea"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.resources: list[tuple[int, str]] = []
        self.text: list[tuple[int, str]] = []
        self.katex_errors: list[tuple[int, str]] = []
        self._hidden_depth = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if "katex-error" in classes:
            self.katex_errors.append((line, attributes.get("title") or ""))
        if "arithmatex" in classes:
            self.katex_errors.append((line, "formula left unrendered (arithmatex)"))
        if tag in {
            "script",
            "img",
            "iframe",
            "source",
            "video",
            "audio",
            "embed",
            "track",
            "input",
        }:
            self._add(line, attributes.get("src"))
        if tag == "object":
            self._add(line, attributes.get("data"))
        if tag == "link" and LOADING_LINKS & set((attributes.get("rel") or "").lower().split()):
            self._add(line, attributes.get("href"))
        for candidate in (attributes.get("srcset") or "").split(","):
            self._add(line, candidate.strip().split(" ")[0])
        for match in CSS_URL.finditer(attributes.get("style") or ""):
            self._add(line, match.group(1) or match.group(2))
        if tag in self.HIDDEN:
            self._hidden_depth += 1
            self._in_script = tag in {"script", "style"}

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self._hidden_depth:
            self._hidden_depth -= 1
            self._in_script = False

    def handle_data(self, data):
        line = self.getpos()[0]
        if self._in_script:
            for match in list(CSS_URL.finditer(data)) + list(SCRIPT_IMPORT.finditer(data)):
                self._add(line, match.group(1) or (match.group(2) if match.re is CSS_URL else None))
        elif not self._hidden_depth:
            self.text.append((line, data))

    def _add(self, line, url):
        if url:
            self.resources.append((line, html.unescape(url)))


def scan(page: Path) -> _Scanner:
    scanner = _Scanner()
    scanner.feed(page.read_text(encoding="utf-8"))
    scanner.close()
    return scanner


def remote_resources(page: Path) -> list[str]:
    """``file:line: url`` for every script, style, font, image or frame from another host."""
    return [f"{page}:{line}: {url}" for line, url in scan(page).resources if REMOTE.match(url)]


def remote_urls_in_css(stylesheet: Path) -> list[str]:
    found = []
    for number, line in enumerate(stylesheet.read_text(encoding="utf-8").splitlines(), 1):
        for match in CSS_URL.finditer(line):
            url = match.group(1) or match.group(2)
            if REMOTE.match(url):
                found.append(f"{stylesheet}:{number}: {url}")
    return found


def raw_tex(page: Path) -> list[str]:
    """``file:line: text`` wherever TeX is visible as text instead of rendered math."""
    return [
        f"{page}:{line}: {data.strip()[:120]!r}"
        for line, data in scan(page).text
        if RAW_TEX.search(data)
    ]


def katex_errors(page: Path) -> list[str]:
    return [f"{page}:{line}: {message}" for line, message in scan(page).katex_errors]


PYTHON_BLOCK = re.compile(
    r'<div class="language-python highlight"[^>]*>(?:<span class="filename">.*?</span>)?'
    r"<pre>.*?<code[^>]*>(?P<code>.*?)</code></pre>",
    re.DOTALL,
)
TAG = re.compile(r"<[^>]+>")


def python_blocks_in_html(page: Path) -> list[tuple[int, str]]:
    """(line, code) of every python block pymdownx.highlight rendered, as a reader copies it."""
    text = page.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start()) + 1, html.unescape(TAG.sub("", match["code"])))
        for match in PYTHON_BLOCK.finditer(text)
    ]
