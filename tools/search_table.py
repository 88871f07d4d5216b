"""Type every question of tests/site/search_queries.tsv into the built site's search box, as the
test does, and rewrite the table's `lands` column from what comes first.

Usage: python tools/search_table.py [SITE_DIR]    (or: make search-table, after make site)
Prints how many questions land first (page, and page and section) before and after. Run it when
a change to the pages moves the search on purpose; tests/site/test_search.py fails until then.
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "tests" / "site" / "search_queries.tsv"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS_FOR = """q => {
    const meta = document.querySelector(".md-search-result__meta").textContent;
    return document.querySelector(".md-search__input").value === q && meta.includes("matching");
}"""
FIRST_LINKS = """() => Array.from(
    document.querySelector('.md-search-result__item')?.querySelectorAll('a') ?? []
).map(a => a.getAttribute('href'))"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def first_result(tab, query: str) -> tuple[str, str]:
    """(page, first section's anchor) of the first result for `query`, typed as a reader does."""
    box = tab.locator(".md-search__input")
    box.click()
    box.fill("")
    box.press("Backspace")
    tab.wait_for_function("() => !document.querySelector('.md-search-result__item')")
    box.fill(query[:-1])
    box.press(query[-1])
    tab.wait_for_function(RESULTS_FOR, arg=query)
    links = [urlsplit(href) for href in tab.evaluate(FIRST_LINKS)]
    page = (links[0].path.strip("/") or "(home)") if links else "(nothing)"
    return page, links[1].fragment if len(links) > 1 else ""


def lands(row: dict[str, str], page: str, section: str) -> str:
    if page != row["page"]:
        return f"elsewhere:{page}"
    return "section" if row["section"] and section == row["section"] else "page"


def main(argv: list[str]) -> int:
    site = Path(argv[0]) if argv else ROOT / "site"
    comments = [line for line in TABLE.read_text(encoding="utf-8").splitlines() if line[:1] == "#"]
    header, *body = [
        line for line in TABLE.read_text(encoding="utf-8").splitlines() if line[:1] != "#"
    ]
    names = header.split("\t")
    rows = [dict(zip(names, line.split("\t"), strict=True)) for line in body]
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    before = [row["lands"] for row in rows]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS
        )
        tab = browser.new_page()
        tab.goto(f"http://127.0.0.1:{server.server_address[1]}/", wait_until="networkidle")
        for row in rows:
            row["lands"] = lands(row, *first_result(tab, row["query"]))
        browser.close()
    server.shutdown()
    lines = [*comments, header, *("\t".join(row[name] for name in names) for row in rows)]
    TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for when, landed in (("before", before), ("after", [row["lands"] for row in rows])):
        first = sum(not value.startswith("elsewhere:") for value in landed)
        print(
            f"{when}: {first} of {len(rows)} land first, {landed.count('section')} on their section"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
