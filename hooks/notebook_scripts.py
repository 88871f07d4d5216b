"""Drop the scripts mkdocs-jupyter puts in every notebook page that this site must not ship.

Its template adds a MathJax loader with an empty ``src`` and its configuration (math is
rendered at build time by hooks/katex.py instead), and a module script that imports Mermaid
from a CDN when a diagram is present (the site requests nothing from other hosts).
"""

from __future__ import annotations

import re

SCRIPT = re.compile(r"<script\b(?P<attributes>[^>]*)>(?P<body>.*?)</script>", re.DOTALL)
COMMENTS = re.compile(r"<!-- (Load mathjax|MathJax configuration|End of mathjax configuration) -->")


def on_post_page(output, page, config):
    if not page.file.src_uri.endswith(".ipynb"):
        return output
    return COMMENTS.sub("", SCRIPT.sub(_keep_or_drop, output))


def _keep_or_drop(script: re.Match) -> str:
    attributes, body = script["attributes"], script["body"]
    if 'src=""' in attributes or "text/x-mathjax-config" in attributes or "mermaid" in body:
        return ""
    return script.group()
