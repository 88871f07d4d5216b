"""The code a reader copies from the built site runs alone, and none escapes this check."""

import pytest

from tests.pages import markdown_pages, python_blocks, run_block
from tests.site.conftest import HTML_PAGES, page_id
from tests.site_checks import python_blocks_in_html

SITE_BLOCKS = [
    (page, line, code) for page in HTML_PAGES for line, code in python_blocks_in_html(page)
]


@pytest.mark.parametrize(
    ("page", "line", "code"), SITE_BLOCKS, ids=[f"{page_id(p)}:{n}" for p, n, _ in SITE_BLOCKS]
)
def test_block_on_the_site_runs_alone(page, line, code, tmp_path):
    done = run_block(code, cwd=tmp_path)
    assert done.returncode == 0, f"{page}:{line}: the block raised:\n{done.stderr}"


def test_every_python_block_on_the_site_is_a_checked_page_block():
    source_blocks = [block for page in markdown_pages() for block in python_blocks(page)]
    assert len(SITE_BLOCKS) == len(source_blocks)
    assert sorted(code.strip() for _, _, code in SITE_BLOCKS) == sorted(
        block.code.strip() for block in source_blocks
    )
