"""The built HTML: math rendered (with MathML), nothing loaded from another host."""

import re

import pytest

from tests.site.conftest import HTML_PAGES, SITE, page_id
from tests.site_checks import katex_errors, raw_tex, remote_resources, remote_urls_in_css, scan


@pytest.mark.parametrize("page", HTML_PAGES, ids=page_id)
def test_nothing_loads_from_another_host(page):
    assert remote_resources(page) == []


def test_no_stylesheet_loads_from_another_host():
    assert [finding for css in SITE.rglob("*.css") for finding in remote_urls_in_css(css)] == []


@pytest.mark.parametrize("page", HTML_PAGES, ids=page_id)
def test_math_is_rendered(page):
    assert katex_errors(page) == []
    assert raw_tex(page) == []


@pytest.mark.parametrize("page", HTML_PAGES, ids=page_id)
def test_every_formula_carries_mathml(page):
    text = page.read_text(encoding="utf-8")
    assert text.count('<span class="katex">') == text.count('<span class="katex-mathml">')


@pytest.mark.parametrize("page", HTML_PAGES, ids=page_id)
def test_every_code_block_names_its_language(page):
    classes = re.findall(r'<div class="([^"]*\bhighlight\b[^"]*)"><(?:pre|span)', page.read_text())
    unnamed = [c for c in classes if not re.search(r"\b(language|hl)-\w+", c)]
    assert unnamed == []


def test_katex_assets_are_served_from_the_site():
    css = SITE / "assets" / "katex" / "katex.min.css"
    fonts = re.findall(r"url\((fonts/[^)]+)\)", css.read_text())
    assert fonts and all((css.parent / font).is_file() for font in fonts)


@pytest.mark.parametrize("page", HTML_PAGES, ids=page_id)
def test_pages_have_a_description(page):
    assert scan(page) and '<meta name="description"' in page.read_text()


DERIVATIONS = sorted(
    SITE / page.stem / "index.html"
    for page in (SITE.parent / "snippets").glob("*.py")
    if (SITE.parent / "docs" / f"{page.stem}.md").is_file()
)


@pytest.mark.parametrize("page", DERIVATIONS, ids=page_id)
def test_derivation_page_carries_this_builds_verification_record(page):
    text = page.read_text(encoding="utf-8")
    assert 'id="verified-in-this-build"' in text
    assert "Not verified in this build" not in text
    assert "passed, 0 failed" in text
