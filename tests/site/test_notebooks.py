"""Notebooks: executed afresh by the build, shown with their outputs, offered for download."""

import json
import re

import pytest

from tests.pages import ROOT
from tests.site.conftest import SITE

NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))


def built_page(notebook):
    return SITE / "notebooks" / notebook.stem / "index.html"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(notebook):
    cells = json.loads(notebook.read_text())["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert all(not cell["outputs"] and cell["execution_count"] is None for cell in code), (
        f"{notebook.relative_to(ROOT)} has outputs: run `nbstripout` on it"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_built_page_shows_fresh_outputs(notebook):
    html = built_page(notebook).read_text()
    assert "data:image/png;base64," in html, "no figure: the notebook was not executed"
    assert not re.search(r'<div[^>]*data-mime-type="application/vnd.jupyter.stderr"', html), (
        "a cell wrote to stderr (a warning or an error)"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_offered_for_download(notebook):
    html = built_page(notebook).read_text()
    assert f'/{notebook.name}" title="Download this notebook"' in html
    assert (built_page(notebook).parent / notebook.name).is_file()
