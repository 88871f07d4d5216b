"""Type every question of tests/site/search_queries.tsv into the built site's search box, as the
test does, and rewrite the table's `lands` column from what comes first.

Usage: python tools/search_table.py [SITE_DIR]    (or: make search-table, after make site)
Prints how many questions land first (page, and page and section) before and after. Run it when
a change to the pages moves the search on purpose; tests/site/test_search.py fails until then.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "tests" / "site" / "search_queries.tsv"
sys.path.insert(0, str(ROOT))

from tests.local_site import CHROMIUM, CHROMIUM_FLAGS, first_result, served  # noqa: E402


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
    before = [row["lands"] for row in rows]
    with served(site) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        tab = browser.new_page()
        tab.goto(url, wait_until="networkidle")
        for row in rows:
            row["lands"] = lands(row, *first_result(tab, row["query"]))
        browser.close()
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
