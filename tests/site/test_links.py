"""No broken link or #anchor anywhere on the built site, notebook pages included.

MkDocs' strict build checks the links and anchors of the Markdown pages only; the notebook pages,
whose links hooks/notebook_links.py resolves, and the theme's own links it never sees. Here
tools/check_site_links.py reads every built HTML file (seconds) and names the page and the line
of each broken link or anchor. linkchecker, the crawler `make links` runs over HTTP (minutes),
must give the same verdicts on a planted site, so the fast reader is held to the well-kept tool.
"""

from __future__ import annotations

import pytest

from tests.site.conftest import SITE
from tools.check_links import check
from tools.check_site_links import problems


def test_every_link_and_anchor_of_the_built_site_resolves():
    pages = list(SITE.rglob("*.html"))
    assert any("notebooks" in page.parts for page in pages), "no notebook page in site/"
    found = problems(SITE)
    assert not found, "broken links or anchors:\n" + "\n".join(found)


@pytest.fixture
def planted_site(tmp_path):
    """A home page with a good link, a broken #anchor (line 3) and a link to no page (line 4)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text(
        '<p>\n<a href="a/#here">ok</a>\n<a href="a/#nowhere">x</a>\n<a href="b/">y</a></p>\n'
    )
    (tmp_path / "a" / "index.html").write_text('<h1 id="here">A</h1>\n<a href="../">home</a>\n')
    return tmp_path


def test_the_reader_names_page_and_line_of_each_broken_link(planted_site):
    found = problems(planted_site)
    site = planted_site.name
    assert found == [
        f"{site}/index.html:3: a/#nowhere: no #nowhere on /a/",
        f"{site}/index.html:4: b/: no such file (404)",
    ]


def test_linkchecker_finds_the_same_two(planted_site):
    done = check(planted_site, [""])
    assert done.returncode != 0
    assert "Anchor `nowhere' (decoded:" in done.stdout and "line 3" in done.stdout
    assert "404" in done.stdout and "line 4" in done.stdout
    # linkchecker counts a missing anchor as a warning, and fails on warnings as on errors.
    assert "1 warning found. 1 error found." in done.stdout, done.stdout[-3000:]
