"""No broken link or #anchor on the built site, notebook pages included.

MkDocs' strict build checks every link and anchor in the Markdown pages; it never sees the
notebook pages, whose links hooks/notebook_links.py resolves. Here linkchecker, a well-kept link
checker, checks every link and #anchor of each notebook page, served on 127.0.0.1; a failure names
the page that links, with the line and column in its built HTML. `make links` crawls the whole
site the same way (about five minutes: linkchecker fetches a page again for each anchor).
"""

from __future__ import annotations

import pytest

from tests.site.conftest import SITE
from tools.check_links import check

NOTEBOOK_PAGES = sorted(
    f"{p.parent.relative_to(SITE)}/" for p in SITE.glob("notebooks/*/index.html")
)


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_notebook_page_links_and_anchors(page):
    done = check(SITE, [page])
    assert done.returncode == 0 and " 0 errors found" in done.stdout, (
        f"{page}: broken links or anchors:\n{done.stdout[-6000:]}"
    )


def test_a_broken_anchor_fails_naming_the_page_and_line(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text(
        '<p>\n<a href="a/#nowhere">x</a>\n<a href="b/">y</a></p>\n'
    )
    (tmp_path / "a" / "index.html").write_text('<h1 id="here">A</h1>\n')
    done = check(tmp_path, [""])
    assert done.returncode != 0
    assert "Anchor `nowhere' (decoded:" in done.stdout and "line 2" in done.stdout
    assert "404" in done.stdout and "line 3" in done.stdout
