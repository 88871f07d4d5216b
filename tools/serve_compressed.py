"""Serve a built site on 127.0.0.1 with gzip, as GitHub Pages serves it (for Lighthouse).

Usage: python tools/serve_compressed.py DIRECTORY PORT
"""

from __future__ import annotations

import functools
import gzip
import http.server
import sys
from pathlib import Path

COMPRESSIBLE = {".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".map", ".ipynb"}


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()  # the base class redirects to the trailing slash
            path = path / "index.html"
        wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (wants_gzip and path.suffix in COMPRESSIBLE and path.is_file()):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        return _Body(body)

    def log_message(self, *args):
        pass


class _Body:
    """The file-like object send_head returns: copyfile reads it, then it is closed."""

    def __init__(self, data: bytes):
        self.data, self.read_done = data, False

    def read(self, size=-1):
        if self.read_done:
            return b""
        self.read_done = True
        return self.data

    def close(self):
        pass


def main(directory: str, port: str) -> None:
    handler = functools.partial(GzipHandler, directory=directory)
    with http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), handler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:3])
