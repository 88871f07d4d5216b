"""The code a reader copies from the built site is, character for character, a checked page block.

tests/test_codeblocks.py runs every page block alone in a fresh interpreter and compares what it
prints with the page. Here each Python block of the built HTML must be one of those blocks, so
what the site shows is what ran (running them again here would repeat that run).
"""

from tests.pages import markdown_pages, python_blocks
from tests.site.conftest import HTML_PAGES, page_id
from tests.site_checks import python_blocks_in_html


def test_every_python_block_on_the_site_is_a_checked_page_block():
    site = {
        f"{page_id(page)}:{line}": code.strip()
        for page in HTML_PAGES
        for line, code in python_blocks_in_html(page)
    }
    checked = sorted(
        block.code.strip() for page in markdown_pages() for block in python_blocks(page)
    )
    unchecked = [where for where, code in site.items() if code not in checked]
    assert unchecked == [], f"blocks on the site that no page block is: {unchecked}"
    assert sorted(site.values()) == checked, "a checked page block is missing from the site"
