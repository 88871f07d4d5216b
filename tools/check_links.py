"""linkchecker over a built site served on 127.0.0.1: every link and #anchor, every page.

Usage: python tools/check_links.py [SITE_DIR] [PATH ...]   (or: make links; default: site/, from /)
Each PATH (e.g. notebooks/rnn/) is checked with the links it holds, one level deep; without
one, the whole site is crawled from its home page. Exits with linkchecker's status.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tools" / "linkcheckerrc"
LINKCHECKER = Path(sys.executable).with_name("linkchecker")
sys.path.insert(0, str(ROOT))

from tests.local_site import served  # noqa: E402


def check(site: Path, paths: list[str]) -> subprocess.CompletedProcess:
    """linkchecker's run over `paths` of `site` (the whole site when empty)."""
    with served(site) as base:
        depth = ["-r", "1"] if paths else []
        urls = [base + path for path in paths] or [base]
        command = [str(LINKCHECKER), "--config", str(CONFIG), "--no-robots", *depth, *urls]
        return subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)


def main(argv: list[str]) -> int:
    site = Path(argv[0]) if argv else ROOT / "site"
    done = check(site, argv[1:])
    print(done.stdout)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
