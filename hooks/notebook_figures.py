"""Notebook figures become sized, lazily loaded PNG files with the alt text their cell states.

mkdocs-jupyter inlines every figure as a base64 PNG, unsized, with the alt text "No description
has been provided for this image": the page's HTML carries every figure before the first paint,
a phone downloads the figures below the fold it may never reach, and a screen reader hears
nothing. This hook writes each figure next to its page (``figures/<hash>.png``) and gives the
``<img>`` its width and height, ``loading="lazy"`` and the alt text of the cell that drew it:
a comment ``# Alt: …`` in that code cell (continued on the comment lines after it), one per
figure, in the order they are drawn. A figure without its alt text fails the build, naming the
notebook and the cell.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import struct
from pathlib import Path

from mkdocs.exceptions import PluginError

INLINE_PNG = re.compile(
    r'<img alt="[^"]*" class="[^"]*" src="data:image/png;base64,(?P<data>[^"]+)"'
)
CELL_ID = re.compile(r'id="cell-id=(?P<id>[^"]+)"')
# "# Alt: …" and the comment lines that continue it (not another "# Alt:").
ALT_LINES = re.compile(r"^[ \t]*# Alt: (.+(?:\n[ \t]*#(?! Alt:) .+)*)", re.M)
CONTINUATION = re.compile(r"\s*\n[ \t]*#\s*")
FOLDER = "figures"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def alt_texts(notebook: Path) -> dict[str, list[str]]:
    """{cell id: its '# Alt:' texts, in order} for every cell of the notebook."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    found = {}
    for number, cell in enumerate(cells, 1):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        found_alts = ALT_LINES.findall(source) if cell["cell_type"] == "code" else []
        alts = [CONTINUATION.sub(" ", alt).strip() for alt in found_alts]
        found[str(cell.get("id", number))] = alts
    return found


def cell_number(notebook: Path, cell_id: str) -> int:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    ids = [str(cell.get("id", number)) for number, cell in enumerate(cells, 1)]
    return ids.index(cell_id) + 1


def on_page_content(html_text, page, config, files):
    if not page.file.src_uri.endswith(".ipynb"):
        return html_text
    notebook = Path(page.file.abs_src_path)
    alts = alt_texts(notebook)
    folder = Path(config["site_dir"]) / page.url / FOLDER
    source = f"{Path(config['docs_dir']).name}/{page.file.src_uri}"

    drawn: dict[str | None, int] = {}

    def as_file(image: re.Match) -> str:
        cells = CELL_ID.findall(html_text, 0, image.start())
        cell = cells[-1] if cells else None
        index = drawn[cell] = drawn.get(cell, -1) + 1
        if index >= len(alts.get(cell, [])):
            where = f"cell {cell_number(notebook, cell)}" if cell in alts else "a cell"
            raise PluginError(
                f"{source}: {where} draws figure {index + 1} but has no '# Alt: …' line for it"
            )
        alt = alts[cell][index]
        data = base64.b64decode(image["data"])
        width, height = png_size(data)
        name = hashlib.sha256(data).hexdigest()[:16] + ".png"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        return (
            f'<img alt="{html.escape(alt)}" src="{FOLDER}/{name}" width="{width}" '
            f'height="{height}" loading="lazy" decoding="async"'
        )

    return INLINE_PNG.sub(as_file, html_text)
