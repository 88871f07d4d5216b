"""Content tabs switch by CSS alone: Material's tab script is not mounted on them.

pymdownx.tabbed's tabs are radio inputs and labels; its CSS shows the chosen tab's panel, and the
keyboard moves between the inputs. Material mounts a script on every ``[data-tabs]`` set that
draws a sliding underline and adds scroll buttons. To place the underline it reads the set's size
as soon as it mounts, which makes Chromium lay out the set's whole section box, even a box below
the fold that ``content-visibility`` would otherwise skip (hooks/section_boxes.py). On a long page
those reads were most of the load's blocking time on a phone. Without ``data-tabs`` the script
leaves the set alone, and assets/site.css underlines the chosen label, as Material does without
JavaScript, and wraps labels too long for a phone's width, since no scroll buttons come.
"""

from __future__ import annotations

import re

TABS_ATTRIBUTE = re.compile(r'(<div class="tabbed-set[^"]*")\s+data-tabs="[^"]*"')


def on_page_content(html, page, config, files):
    return TABS_ATTRIBUTE.sub(r"\1", html)
