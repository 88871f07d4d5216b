"""Draw a page's Jacobian as an inline SVG of its structure, from the page's own snippet.

A line ``<!-- jacobian-figure -->`` in ``docs/NAME.md`` becomes the figure that
``snippets.NAME.structure_figure()`` returns (a ``snippets.figures.Figure``, checked by
tests/test_figures.py). ``<!-- jacobian-figure other_figure -->`` calls ``other_figure`` instead,
``<!-- jacobian-figure snippets.softmax:structure_figure -->`` names another module, and several
names on one marker put their figures side by side. A marker whose function is missing, raises or
returns something else fails the build, naming the page and the Markdown line.

The SVG stays small in the DOM: one ``<path>`` per colour level (|value| in five levels per sign),
one for the faint grid, one for the block lines, two for the minus marks on negative cells (so the
sign reads without colour). Colours are CSS classes, set per palette and for print in
docs/assets/site.css. ``$…$`` in a caption becomes arithmatex markup, which hooks/katex.py renders.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import math
import os
import re
import sys
from pathlib import Path

import numpy as np
from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # MkDocs loads hooks by path: make snippets/ and hooks/ importable
    sys.path.insert(0, str(ROOT))

from hooks.snippet_paths import front_matter_lines  # noqa: E402
from snippets.figures import Figure  # noqa: E402

MARKER = re.compile(r"^(?P<indent>[ \t]*)<!--\s*jacobian-figure\b(?P<names>[^>]*?)\s*-->\s*$")
DEFAULT = "structure_figure"
LEVELS = 5  # colour levels per sign
ZERO = 1e-12  # |value| at most this times the largest |value| is drawn as an empty cell
SUBSCRIPT = re.compile(r"_(\{[^}]*\}|[^\s{])")
MATH = re.compile(r"\$([^$]+)\$")
FONT = 13  # label size; one SVG unit is one CSS pixel until a narrow screen scales it down
LEFT, TOP = 20, 22  # room for the rows label (left, turned) and the columns label (top)


def on_page_markdown(markdown, page, config, files):
    source = (
        os.path.relpath(page.file.abs_src_path) if page.file.abs_src_path else page.file.src_uri
    )
    offset = front_matter_lines(page.file.abs_src_path, markdown)
    module = "snippets." + page.file.src_uri.removesuffix(".md").replace("/", ".")
    project = Path(getattr(config, "config_file_path", None) or ROOT / "mkdocs.yml").parent
    lines, problems, count = markdown.split("\n"), [], 0
    for number, line in enumerate(lines, 1):
        match = MARKER.match(line)
        if not match:
            continue
        where = f"{source}:{number + offset}"
        if match["indent"]:
            problems.append(f"{where}: the jacobian-figure marker must start its line")
            continue
        names = match["names"].split() or [DEFAULT]
        loaded = [load(module, name, project) for name in names]
        problems += [f"{where}: {figure}" for figure in loaded if isinstance(figure, str)]
        if not any(isinstance(figure, str) for figure in loaded):
            lines[number - 1] = f"\n{render_all(loaded, count)}\n"  # a raw HTML block
            count += len(loaded)
    if problems:
        raise PluginError("Jacobian figures that cannot be drawn:\n  " + "\n  ".join(problems))
    return "\n".join(lines)


def import_from(project: Path, module: str):
    """``module`` as the project being built has it (``snippets/NAME.py`` under ``project``),
    read afresh on every build so that `mkdocs serve` shows an edited figure."""
    path = project.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file():
        return importlib.import_module(module)
    spec = importlib.util.spec_from_file_location(module, path)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[module] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def load(module: str, name: str, project: Path = ROOT) -> Figure | str:
    """The Figure ``module.name()`` returns, or why there is none (a sentence)."""
    module, _, function = name.rpartition(":") if ":" in name else (module, "", name)
    try:
        namespace = import_from(project, module)
    except ImportError as error:
        return f"no snippet module {module} ({error})"
    if not callable(getattr(namespace, function, None)):
        return f"{module} has no function {function}()"
    try:
        figure = getattr(namespace, function)()
    except Exception as error:
        return f"{module}.{function}() raised {type(error).__name__}: {error}"
    if not isinstance(figure, Figure):
        return f"{module}.{function}() returned {type(figure).__name__}, not a Figure"
    return figure


def levels(matrix) -> np.ndarray:
    """Each entry as a signed level: 0 for zero, ±1..±LEVELS by |value| over the largest |value|."""
    magnitude = np.abs(np.asarray(matrix, dtype=float))
    largest = float(np.max(magnitude, initial=0.0))
    if largest == 0.0:
        return np.zeros(magnitude.shape, dtype=int)
    scaled = np.ceil(LEVELS * magnitude / largest).clip(1, LEVELS).astype(int)
    return np.where(magnitude > ZERO * largest, np.sign(matrix).astype(int) * scaled, 0)


def cell_size(rows: int, columns: int) -> int:
    """SVG units (px) per cell: 40 for small matrices, fewer so that 320 hold the longer side."""
    return max(8, min(40, 320 // max(rows, columns)))


def render_all(figures: list[Figure], count: int) -> str:
    """One figure, or several side by side with one sign legend under them; no blank line."""
    if len(figures) == 1:
        return render(figures[0], f"jacobian-figure-{count + 1}")
    drawn = [
        render(f, f"jacobian-figure-{count + k}", legend=False) for k, f in enumerate(figures, 1)
    ]
    signs = set().union(*(signs_of(figure) for figure in figures))
    return f'<div class="jacobian-figures">{"".join(drawn)}{_legend(signs)}</div>'


def render(figure: Figure, ident: str, legend: bool = True) -> str:
    """The <figure>: the SVG (title = alt text), then the caption and the sign legend."""
    caption = _caption(figure.caption) + (f" {_legend(signs_of(figure))}" if legend else "")
    return (
        f'<figure class="jacobian-figure">{svg(figure, ident)}'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def svg(figure: Figure, ident: str) -> str:
    """The inline SVG of figure.matrix, role="img", labelled by its <title> (the alt text)."""
    rows, columns = figure.matrix.shape
    cell, level = cell_size(rows, columns), levels(figure.matrix)
    wide, tall = columns * cell, rows * cell
    across, down = _text_length(figure.columns), _text_length(figure.rows)
    width, height = LEFT + max(wide, across) + 2, TOP + max(tall, down) + 2
    parts = [
        f'<svg class="jacobian-figure__svg" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{ident}-title" aria-describedby="{ident}-desc" '
        "data-search-exclude>",  # its words repeat the caption's; search indexes those once
        f'<title id="{ident}-title">{html.escape(figure.alt)}</title>',
        f'<desc id="{ident}-desc">{html.escape(_description(figure, signs_of(figure)))}</desc>',
        *_cells(level, cell),
        f'<path class="jf-grid" d="{_grid(rows, columns, cell)}"/>',
        f'<path class="jf-part" d="{_partition(figure, cell)}"/>',
        *_minus_marks(level, cell),
        _label(figure.columns, LEFT + (wide / 2 if across <= wide else 0), TOP - 7, across > wide),
        _label(figure.rows, LEFT - 7, TOP + (tall / 2 if down <= tall else 0), down > tall, True),
        "</svg>",
    ]
    return "".join(part for part in parts if part)


def signs_of(figure: Figure) -> set[int]:
    """The signs among the drawn entries: a subset of {1, -1}."""
    return {int(s) for s in np.sign(levels(figure.matrix)).ravel()} - {0}


def _cells(level: np.ndarray, cell: int) -> list[str]:
    paths = []
    for value in [*range(-LEVELS, 0), *range(1, LEVELS + 1)]:
        where = np.argwhere(level == value)
        if len(where):
            d = "".join(_square(i, j, cell) for i, j in where)
            sign = "jf-pos" if value > 0 else "jf-neg"
            paths.append(f'<path class="{sign} jf-l{abs(value)}" d="{d}"/>')
    return paths


def _square(i: int, j: int, cell: int) -> str:
    """The path of cell (i, j): a move, then three sides and a close."""
    return f"M{LEFT + j * cell} {TOP + i * cell}h{cell}v{cell}h-{cell}z"


def _minus_marks(level: np.ndarray, cell: int) -> list[str]:
    """A short bar across every negative cell, drawn twice: a halo, then the mark."""
    where = np.argwhere(level < 0)
    if not len(where):
        return []
    d = "".join(
        f"M{LEFT + j * cell + 0.3 * cell:g} {TOP + i * cell + cell / 2:g}h{0.4 * cell:g}"
        for i, j in where
    )
    width = round(max(1.0, cell / 14), 1)
    return [
        f'<path class="jf-halo" stroke-width="{1.8 * width:g}" d="{d}"/>',
        f'<path class="jf-minus" stroke-width="{width:g}" d="{d}"/>',
    ]


def _grid(rows: int, columns: int, cell: int) -> str:
    right, bottom = LEFT + columns * cell, TOP + rows * cell
    horizontal = "".join(f"M{LEFT} {TOP + i * cell}H{right}" for i in range(1, rows))
    vertical = "".join(f"M{LEFT + j * cell} {TOP}V{bottom}" for j in range(1, columns))
    return horizontal + vertical


def _cuts(sizes) -> list[int]:
    return list(np.cumsum(sizes)[:-1]) if len(sizes) > 1 else []


def _partition(figure: Figure, cell: int) -> str:
    """The frame, and lines between blocks (the blocks, or the second Kronecker factor's tiles)."""
    rows, columns = figure.matrix.shape
    if figure.blocks:
        row_cuts = _cuts([r for r, _ in figure.blocks])
        column_cuts = _cuts([c for _, c in figure.blocks])
    elif figure.factors:
        tile_rows, tile_columns = np.shape(figure.factors[-1])
        row_cuts = list(range(tile_rows, rows, tile_rows))
        column_cuts = list(range(tile_columns, columns, tile_columns))
    else:
        row_cuts, column_cuts = [], []
    right, bottom = LEFT + columns * cell, TOP + rows * cell
    frame = f"M{LEFT} {TOP}H{right}V{bottom}H{LEFT}z"
    lines = "".join(f"M{LEFT} {TOP + i * cell}H{right}" for i in row_cuts)
    lines += "".join(f"M{LEFT + j * cell} {TOP}V{bottom}" for j in column_cuts)
    return frame + lines


def _text_length(text: str) -> int:
    """About how many SVG units a label takes, subscripts included."""
    return math.ceil(0.56 * FONT * len(SUBSCRIPT.sub(lambda m: m[1].strip("{}"), text)))


def _label(text: str, x: float, y: float, start: bool, turned: bool = False) -> str:
    """A label, centred on the matrix side (or from its start when longer); rows' turned −90°."""
    anchor = "start" if start else "middle"
    if turned:
        anchor = "end" if start else "middle"
        place = f'transform="rotate(-90 {x:g} {y:g})" x="{x:g}" y="{y:g}"'
    else:
        place = f'x="{x:g}" y="{y:g}"'
    return (
        f'<text class="jf-label" {place} font-size="{FONT}" text-anchor="{anchor}" '
        f'aria-hidden="true">{_subscripts(text)}</text>'
    )


def _subscripts(text: str) -> str:
    """Escape a label and turn x_i or x_{ab} into subscripts (tspans shifted down, then back)."""
    out, position, lowered = [], 0, False
    for match in SUBSCRIPT.finditer(text):
        plain = html.escape(text[position : match.start()])
        if plain:
            out.append(f'<tspan dy="-0.3em">{plain}</tspan>' if lowered else plain)
            lowered = False
        sub = html.escape(match[1].strip("{}"))
        out.append(f'<tspan class="jf-sub" dy="{"0" if lowered else "0.3em"}">{sub}</tspan>')
        lowered, position = True, match.end()
    rest = html.escape(text[position:])
    if rest:
        out.append(f'<tspan dy="-0.3em">{rest}</tspan>' if lowered else rest)
    return "".join(out)


def _plain(text: str) -> str:
    """A label for a screen reader: x_i becomes "x i"."""
    return SUBSCRIPT.sub(lambda m: " " + m[1].strip("{}"), text)


def _description(figure: Figure, signs: set[int]) -> str:
    rows, columns = figure.matrix.shape
    return (
        f"{rows} rows, one per {_plain(figure.rows)}; {columns} columns, one per "
        f"{_plain(figure.columns)}. {_legend_text(signs)}"
    )


def _legend_text(signs: set[int]) -> str:
    said = []
    if 1 in signs:
        said.append("blue cells are positive")
    if -1 in signs:
        said.append("orange cells, marked with a bar, are negative")
    said.append("empty cells are zero; a deeper colour is a larger magnitude")
    return "; ".join(said).capitalize() + "."


def _legend(signs: set[int]) -> str:
    """The sign legend after the caption: a swatch before each colour it names."""
    swatch = (
        '<svg class="jacobian-figure__swatch" viewBox="0 0 10 10" width="10" height="10" '
        'aria-hidden="true"><path class="{0} jf-l5" d="M0 0h10v10h-10z"/>{1}</svg>'
    )
    bar = '<path class="jf-halo" stroke-width="2" d="M3 5h4"/>'
    bar += '<path class="jf-minus" stroke-width="1" d="M3 5h4"/>'
    items = []
    if 1 in signs:
        items.append(swatch.format("jf-pos", "") + " positive")
    if -1 in signs:
        items.append(swatch.format("jf-neg", bar) + " negative (barred)")
    items.append("empty: zero; a deeper colour, a larger magnitude")
    return f'<span class="jacobian-figure__legend">{", ".join(items)}.</span>'


def _caption(caption: str) -> str:
    """Escape the caption; $…$ becomes arithmatex markup for hooks/katex.py to render."""
    pieces, position = [], 0
    for match in MATH.finditer(caption):
        pieces.append(html.escape(caption[position : match.start()]))
        pieces.append(f'<span class="arithmatex">\\({html.escape(match[1])}\\)</span>')
        position = match.end()
    pieces.append(html.escape(caption[position:]))
    return "".join(pieces)
