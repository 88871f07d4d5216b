"""A built site served on 127.0.0.1, Debian's Chromium, and a reader's search: shared by the
browser tests (tests/site/), `make links` and `make search-table`."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

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


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def served(site: Path) -> Iterator[str]:
    """`site` served on a free port of 127.0.0.1; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


RESULTS_FOR = """q => {
    const meta = document.querySelector(".md-search-result__meta").textContent;
    return document.querySelector(".md-search__input").value === q && meta.includes("matching");
}"""
FIRST_LINKS = """() => Array.from(
    document.querySelector('.md-search-result__item')?.querySelectorAll('a') ?? []
).map(a => a.getAttribute('href'))"""


def first_result(tab, query: str) -> tuple[str, str]:
    """(page, anchor of its first section) of the first search result, the query typed as a
    reader types it into the search box of the open page; ('(nothing)', '') for no result."""
    box = tab.locator(".md-search__input")
    box.click()
    box.fill("")
    box.press("Backspace")  # an emptied box resets the results ("Type to start searching")
    tab.wait_for_function("() => !document.querySelector('.md-search-result__item')")
    box.fill(query[:-1])
    box.press(query[-1])  # the search runs on key events, as when a reader types
    tab.wait_for_function(RESULTS_FOR, arg=query)
    links = [urlsplit(href) for href in tab.evaluate(FIRST_LINKS)]
    if not links:
        return "(nothing)", ""
    return links[0].path.strip("/") or "(home)", links[1].fragment if len(links) > 1 else ""
