"""linkchecker over a built site served on 127.0.0.1: every link and #anchor, every page.

Usage: python tools/check_links.py [SITE_DIR] [PATH ...]   (or: make links; default: site/, from /)
Each PATH (e.g. notebooks/rnn/) is checked with the links it holds, one level deep; without
one, the whole site is crawled from its home page. Exits with linkchecker's status.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tools" / "linkcheckerrc"
LINKCHECKER = Path(sys.executable).with_name("linkchecker")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def check(site: Path, paths: list[str]) -> subprocess.CompletedProcess:
    """linkchecker's run over `paths` of `site` (the whole site when empty)."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    depth = ["-r", "1"] if paths else []
    urls = [base + path for path in paths] or [base]
    try:
        command = [str(LINKCHECKER), "--config", str(CONFIG), "--no-robots", *depth, *urls]
        return subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str]) -> int:
    site = Path(argv[0]) if argv else ROOT / "site"
    done = check(site, argv[1:])
    print(done.stdout)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
