"""Checks of the built site/: run after `mkdocs build`, on the very directory that is published."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

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
    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
