"""Every code block can take the keyboard's focus from the build, as each display formula can.

A code block wider than the page scrolls sideways, so a keyboard reader must be able to focus
it (axe: scrollable-region-focusable). Material sets that focus when it mounts the block, and
with ``content.lazy`` (mkdocs.yml; see hooks/section_boxes.py) it mounts a block only when the
block comes into view: a reader tabbing down the page would meet the blocks below unmounted.
Which blocks overflow depends on the reader's width, so every block is focusable; once mounted,
Material keeps the focus only where the block overflows. Notebook pages keep Jupyter's markup.
"""

from __future__ import annotations

import re

CODE_OPENING = re.compile(r"(<pre\b[^>]*>(?:<span></span>)?)<code>")


def on_page_content(html, page, config, files):
    if page.file.src_uri.endswith(".ipynb"):
        return html
    return CODE_OPENING.sub(r'\1<code tabindex="0">', html)
