"""A reader types a question into the site's own search box; the answer comes first.

The questions are real ones, asked in public Q&A threads and issue trackers, typed as their askers
wrote them; tests/site/search_queries.tsv gives each one's source, the page and section that
answer it, and what the search gives (its `lands` column), which this test holds it to: a query
that lands stays landed, and a known miss that starts to land fails as an unexpected pass, so
that the table is brought up to date.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.local_site import first_result
from tests.site.conftest import SITE

TABLE = Path(__file__).with_name("search_queries.tsv")


def read_table(path: Path = TABLE) -> list[dict[str, str]]:
    lines = [
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


ROWS = read_table()


def as_param(row: dict[str, str]):
    lands = row["lands"]
    marks = []
    if lands.startswith("elsewhere:"):
        reason = f"known miss: {lands.split(':', 1)[1]} comes first"
        marks = [pytest.mark.xfail(strict=True, reason=reason)]
    return pytest.param(
        row["query"],
        row["page"],
        row["section"] if lands == "section" else "",
        marks=marks,
        id=row["query"],
    )


def test_the_table_is_real_and_names_real_pages_and_sections():
    assert len(ROWS) >= 60
    assert sum(not row["lands"].startswith("elsewhere:") for row in ROWS) >= 60, "fewer land first"
    for row in ROWS:
        assert row["source"].startswith(("https://", "http://")), f"{row['query']!r}: no source"
        page = SITE / row["page"] / "index.html"
        assert page.is_file(), f"{row['query']!r}: no page {row['page']}"
        if row["section"]:
            assert f'id="{row["section"]}"' in page.read_text(encoding="utf-8"), (
                f"{row['query']!r}: no section #{row['section']} on {row['page']}"
            )


@pytest.fixture(scope="module")
def home(chromium, site_url):
    """One home page for all the queries: each query replaces the last in the search box."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(site_url, wait_until="networkidle")
    yield tab
    context.close()


@pytest.mark.parametrize(("query", "page", "section"), [as_param(row) for row in ROWS])
def test_search_box_ranks_the_answer_first(home, query, page, section):
    found, top = first_result(home, query)
    assert found == page, f"{query!r}: first result {found}"
    if section:
        assert top == section, f"{query!r}: first section on {page} is #{top or '(none)'}"
