"""Name the notebook and the cell when a notebook cell raises during the build.

mkdocs-jupyter (``execute: true``, ``allow_errors: false``) lets nbclient's
CellExecutionError escape with the cell's source but not the notebook's path or the cell's
number. This hook wraps the page's render (which mkdocs-jupyter has replaced by then) and
re-raises as a build error that names both.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from nbclient.exceptions import CellExecutionError

SEPARATOR = "------------------"


def on_pre_page(page, config, files):
    if not page.file.src_uri.endswith(".ipynb"):
        return page
    render = page.render

    def render_naming_the_cell(config, files):
        try:
            render(config, files)
        except CellExecutionError as error:
            cell = failing_cell(page.file.abs_src_path, str(error))
            where = f"cell {cell}" if cell else "a cell"
            source = os.path.relpath(Path(config["docs_dir"]) / page.file.src_path)
            message = f"{source}: {where} raised {error.ename}: {error.evalue}"
            raise PluginError(message) from error

    page.render = render_naming_the_cell
    return page


def failing_cell(notebook_path: str, message: str) -> int | None:
    """The 1-based number of the cell whose source the error message quotes."""
    parts = message.split(SEPARATOR)
    if len(parts) < 3:
        return None
    quoted = parts[1].strip()
    cells = json.loads(Path(notebook_path).read_text(encoding="utf-8"))["cells"]
    for number, cell in enumerate(cells, 1):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and source.strip() == quoted:
            return number
    return None
