"""Each table of a page in Material's table wrapper at build time, not after load.

After load, Material moves every ``table:not([class])`` into its scroll wrapper. Replacing a
child of the article makes Chromium restyle the whole article (its sibling rules), one of the
costliest steps of a long page's load on a phone, and the table moves once the page has painted.
Built inside the wrapper, the table is moved within the wrapper, which restyles only it; the
wrapper Material then adds inside is made neutral (assets/site.css), so the page looks as it did.
Readers without JavaScript get the scroll wrapper too.
"""

from __future__ import annotations

import re

BARE_TABLE = re.compile(r"<table>.*?</table>", re.S)
WRAPPER = '<div class="md-typeset__scrollwrap"><div class="md-typeset__table">{}</div></div>'


def on_page_content(html, page, config, files):
    return BARE_TABLE.sub(lambda table: WRAPPER.format(table[0]), html)
