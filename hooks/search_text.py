"""Keep code blocks and their printed outputs out of the search index.

Every derivation page repeats the same checking helpers (numerical_jacobian, compare) in its
blocks, so their words ("jacobian", "gradient", "error") counted for whichever page has the
most blocks, not the page that answers the question; a notebook's code cells did the same.
Material's search skips any element marked ``data-search-exclude``: this hook marks every
highlighted code block of a page and every code cell (input and output) of a notebook page.
"""

from __future__ import annotations

import re

CODE_BLOCK = re.compile(r'<div class="(?:language-[\w-]+ highlight|jp-Cell jp-CodeCell[^"]*)"')


def on_page_content(html, page, config, files):
    return CODE_BLOCK.sub(lambda block: block.group() + " data-search-exclude", html)
