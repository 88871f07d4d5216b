"""Notebooks: executed afresh by the build, shown with their outputs, offered for download."""

import json
import re
import subprocess
import sys

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
    figures = re.findall(r'<img alt="([^"]+)" src="(figures/[0-9a-f]{16}\.png)"', html)
    assert figures, "no figure: the notebook was not executed"
    assert 'src="data:image' not in html, "a figure is still inline (hooks/notebook_figures.py)"
    for alt, src in figures:
        assert (built_page(notebook).parent / src).is_file(), f"{src} is not in site/"
        assert "No description" not in alt
    assert not re.search(r'<div[^>]*data-mime-type="application/vnd.jupyter.stderr"', html), (
        "a cell wrote to stderr (a warning or an error)"
    )


STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
STYLE_BUDGET = 100_000  # characters; JupyterLab's whole sheet, as mkdocs-jupyter writes it: 595,000


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_built_page_carries_only_the_styles_it_can_use(notebook):
    styles = sum(map(len, STYLE.findall(built_page(notebook).read_text())))
    assert styles < STYLE_BUDGET, (
        f"{built_page(notebook).relative_to(SITE)}: {styles:,} characters of <style> "
        "(hooks/notebook_styles.py keeps the rules that can match)"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_offered_for_download(notebook):
    html = built_page(notebook).read_text()
    assert f'/{notebook.name}" title="Download this notebook"' in html
    assert (built_page(notebook).parent / notebook.name).is_file()


@pytest.fixture(scope="session")
def reader_python(tmp_path_factory):
    """A fresh venv with numpy and matplotlib only (the lock's versions): what a reader installs."""
    venv = tmp_path_factory.mktemp("reader") / "venv"
    uv = [sys.executable, "-m", "uv"]
    subprocess.run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    lock = str(ROOT / "requirements.txt")
    install = ["pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "-c", lock]
    subprocess.run([*uv, *install, "numpy", "matplotlib"], check=True)
    return venv / "bin" / "python"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_downloaded_notebook_runs_alone(notebook, reader_python, tmp_path):
    """The copy offered for download, alone in an empty folder, with numpy and matplotlib only."""
    download = json.loads((built_page(notebook).parent / notebook.name).read_text())
    code = [cell["source"] for cell in download["cells"] if cell["cell_type"] == "code"]
    script = tmp_path / f"{notebook.stem}.py"
    script.write_text("\n\n".join(map("".join, code)) + "\n")
    done = subprocess.run(
        [str(reader_python), "-I", script.name],
        cwd=tmp_path,
        env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{notebook.name}, run alone, raised:\n{done.stderr[-3000:]}"
