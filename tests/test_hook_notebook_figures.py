"""hooks/notebook_figures.py: inline PNGs become sized, lazy files with their cell's alt text."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from types import SimpleNamespace

import pytest
from mkdocs.exceptions import PluginError

from hooks.notebook_figures import on_page_content, png_size


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def figure_html(png: bytes, cell: str) -> str:
    data = base64.b64encode(png).decode()
    return (
        f'<div class="jp-Cell jp-CodeCell" id="cell-id={cell}"><pre>plot</pre>'
        f'<img alt="No description has been provided for this image" class="" '
        f'src="data:image/png;base64,{data}"/></div>'
    )


@pytest.fixture
def notebook_page(tmp_path):
    def make(*sources: str):
        cells = [{"cell_type": "markdown", "id": "a", "source": "# N"}] + [
            {"cell_type": "code", "id": f"c{i}", "source": s, "outputs": []}
            for i, s in enumerate(sources)
        ]
        path = tmp_path / "docs" / "notebooks" / "n.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"cells": cells}))
        page = SimpleNamespace(
            file=SimpleNamespace(src_uri="notebooks/n.ipynb", abs_src_path=str(path)),
            url="notebooks/n/",
        )
        config = {"site_dir": str(tmp_path / "site"), "docs_dir": str(tmp_path / "docs")}
        return page, config

    return make


def test_png_size_reads_the_header():
    assert png_size(tiny_png(7, 3)) == (7, 3)


def test_figure_becomes_a_sized_lazy_file_with_its_cells_alt_text(notebook_page, tmp_path):
    page, config = notebook_page("import x\n# Alt: A diagonal 4 by 4 matrix.\nplot()")
    png = tiny_png(7, 3)
    out = on_page_content(figure_html(png, "c0"), page, config, None)
    assert "data:image" not in out
    assert 'alt="A diagonal 4 by 4 matrix."' in out
    assert 'width="7" height="3" loading="lazy" decoding="async"' in out
    (written,) = (tmp_path / "site" / "notebooks" / "n" / "figures").iterdir()
    assert written.read_bytes() == png and f'src="figures/{written.name}"' in out


def test_two_figures_of_a_cell_take_its_alt_lines_in_order(notebook_page):
    page, config = notebook_page("# Alt: first,\n#   continued\nx = 1\n# Alt: second\n")
    html = figure_html(tiny_png(2, 2), "c0") + figure_html(tiny_png(3, 2), "c0")
    out = on_page_content(html, page, config, None)
    assert out.index('alt="first, continued"') < out.index('alt="second"')


def test_a_figure_without_alt_text_names_the_notebook_and_cell(notebook_page):
    page, config = notebook_page("# Alt: one\n", "plot()")
    with pytest.raises(PluginError, match=r"docs/notebooks/n\.ipynb: cell 3 draws figure 1"):
        on_page_content(figure_html(tiny_png(2, 2), "c1"), page, config, None)


def test_markdown_pages_are_untouched(notebook_page):
    page, config = notebook_page()
    page.file.src_uri = "p.md"
    html = figure_html(tiny_png(2, 2), "c0")
    assert on_page_content(html, page, config, None) == html
