"""Leave out the code-block spans that change nothing a reader sees.

Pygments wraps every token of a code block in a span. Material colours names (class ``n``) in
the code's own colour and gives whitespace (``w``) no style at all, so those spans only add
elements, and every element is styled and laid out again each time a phone restyles the page:
on the determinants page they were 2,685 of its 26,898 elements. The text and every other
token's colour stay as they were. Notebook pages keep Jupyter's own highlighting.
"""

from __future__ import annotations

import re

CODE_BLOCK = re.compile(r"<pre\b[^>]*>.*?</pre>", re.S)
PLAIN_TOKEN = re.compile(r'<span class="(?:n|w)">([^<]*)</span>')


def on_page_content(html, page, config, files):
    if page.file.src_uri.endswith(".ipynb"):
        return html
    return CODE_BLOCK.sub(lambda block: PLAIN_TOKEN.sub(r"\1", block[0]), html)
