"""Resolve links to Markdown pages in notebook pages, as MkDocs does for Markdown pages.

A notebook's Markdown cell links ``../softmax.md#anchor``; mkdocs-jupyter leaves the link as
written, which is a 404 on the built site, and MkDocs' own link validation never sees notebook
pages. This hook rewrites each such link to the page's URL, relative to the notebook page, and
fails the build, naming the notebook and the cell, on a link to a page that does not exist.
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

MD_LINK = re.compile(r'href="(?P<path>(?![a-z][a-z0-9+.-]*:|/|#)[^"#?]+\.md)(?P<anchor>#[^"]*)?"')


def on_page_content(html, page, config, files):
    if not page.file.src_uri.endswith(".ipynb"):
        return html

    def resolve(link: re.Match) -> str:
        target = posixpath.normpath(
            posixpath.join(posixpath.dirname(page.file.src_uri), link["path"])
        )
        found = files.get_file_from_path(target)
        if found is None:
            where = cell_of(page.file.abs_src_path, link["path"])
            source = f"{Path(config['docs_dir']).name}/{page.file.src_uri}"
            raise PluginError(f"{source}: {where}: link '{link['path']}' points to no page")
        return f'href="{get_relative_url(found.url, page.url)}{link["anchor"] or ""}"'

    return MD_LINK.sub(resolve, html)


def cell_of(notebook: str, path: str) -> str:
    """'cell N' for the first Markdown cell that links `path` (1-based), else 'a cell'."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    for number, cell in enumerate(cells, 1):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown" and f"]({path}" in source:
            return f"cell {number}"
    return "a cell"
