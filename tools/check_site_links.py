"""Every link and #anchor of every page of a built site, read from the files: seconds, not minutes.

Usage: python tools/check_site_links.py [SITE_DIR]   (make test runs it through tests/site/)
Each local href and src (a, link, img, script, source, iframe) of every HTML file must name a
file of the site, and its #fragment an id (or a named anchor) of the page it names. Links to
other hosts, and absolute URLs, are not followed. A problem is printed as
``PAGE:LINE: href: why``, the line of the built HTML; the exit status is the number found (255
at most). linkchecker, the well-kept crawler, does the same over HTTP in `make links`; it fetches
a page again for each anchor, about five minutes for this site, so `make test` uses this reader
and tests/site/test_links.py holds the two to the same verdicts on a planted site.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

LINKING = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src"}
LINKING["iframe"] = "src"
NOT_FOLLOWED = ("data:", "mailto:", "javascript:", "tel:")


@dataclass(frozen=True)
class Link:
    line: int
    url: str


class PageReader(HTMLParser):
    """The ids (and named anchors) a page holds, and the links it makes, with their lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[Link] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.ids |= {values[key] for key in ("id", "name") if values.get(key)}
        if (url := values.get(LINKING.get(tag, ""))) is not None:
            self.links.append(Link(self.getpos()[0], url))

    handle_startendtag = handle_starttag


@cache
def read(page: Path) -> PageReader:
    reader = PageReader()
    reader.feed(page.read_text(encoding="utf-8", errors="replace"))
    return reader


def target_file(site: Path, path: str) -> Path | None:
    """The file a server of ``site`` answers for URL path ``path`` with, or None (a 404)."""
    candidate = site / unquote(path).lstrip("/")
    if path.endswith("/") or candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def missing_anchor(target: Path, fragment: str) -> bool:
    """True when ``fragment`` names no id of the HTML page ``target``."""
    return bool(fragment) and target.suffix == ".html" and unquote(fragment) not in read(target).ids


def problems(site: Path) -> list[str]:
    """'PAGE:LINE: URL: why' for every broken link or anchor of every HTML file of ``site``."""
    site = site.resolve()
    found = []
    for page in sorted(site.rglob("*.html")):
        page_url = "/" + page.relative_to(site).as_posix()
        for link in read(page).links:
            if link.url.startswith(NOT_FOLLOWED) or urlsplit(link.url).netloc:
                continue
            parts = urlsplit(urljoin(page_url, link.url))
            target = target_file(site, parts.path)
            where = f"{page.relative_to(site.parent)}:{link.line}: {link.url}"
            if target is None:
                found.append(f"{where}: no such file (404)")
            elif missing_anchor(target, parts.fragment):
                found.append(f"{where}: no #{unquote(parts.fragment)} on {parts.path}")
    return found


def main(argv: list[str]) -> int:
    site = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "site"
    found = problems(site)
    pages = len(list(site.rglob("*.html")))
    print("\n".join(found) or f"{pages} pages: every link and anchor resolves")
    return min(len(found), 255)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
