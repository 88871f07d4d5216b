"""The formulas of the pages and of the notebooks' Markdown cells, each with where it is.

Shared by the notation checks (tests/test_notation.py) and anything else that holds the pages'
math to a rule: ``formulas(path)`` gives every ``$...$`` and ``$$...$$`` of a page or of a
notebook's Markdown cells, outside code, with the line it starts on; ``problems(path, rule)``
gives 'where: what' for every match of a rule's pattern in them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").glob("*.md"))
NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))

FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
# As the build sees them: display math first, then inline math on one or more lines.
MATH = re.compile(r"\$\$(?P<display>.+?)\$\$|(?<!\\)\$(?P<inline>[^$]+?)(?<!\\)\$", re.DOTALL)


@dataclass(frozen=True)
class Formula:
    """One formula: the file it is in, the cell (notebooks), its first line there, its TeX."""

    source: str  # path relative to the project
    line: int  # 1-based, in the page, or in the notebook cell's Markdown
    tex: str
    cell: int | None = None

    def where(self, offset: int = 0) -> str:
        """'docs/p.md:12', or 'docs/notebooks/n.ipynb, cell 3, line 2', ``offset`` lines on."""
        line = self.line + offset
        if self.cell is None:
            return f"{self.source}:{line}"
        return f"{self.source}, cell {self.cell}, line {line}"


@dataclass(frozen=True)
class Rule:
    """A pattern that must not occur in any formula, and what to write instead."""

    name: str
    pattern: re.Pattern[str]
    instead: str


# The ones vector is always written with its length: \mathbf{1}_n, \mathbf{1}_N^\top, ...
BARE_ONES = Rule(
    "bare ones vector",
    re.compile(r"\\(?:mathbf|mathbb|boldsymbol|bm)\s*(?:\{\s*1\s*\}|1)(?!\s*_)"),
    r"write its length: \mathbf{1}_k is the k×1 column, \mathbf{1}_k^\top the row"
    " (docs/conventions.md)",
)
PHI = Rule("\\phi", re.compile(r"\\phi(?![A-Za-z])"), r"the site writes \varphi")
LOWERCASE_DIAG = Rule(
    "lowercase diag",
    re.compile(r"\\(?:operatorname|mathrm|text|rm)\s*\{\s*diag\s*\}|\\diag(?![A-Za-z])"),
    r"the site writes \operatorname{Diag}(v) (docs/conventions.md); for the diagonal of G as a"
    r" row write \mathbf{1}_n^\top (G \circ I)",
)
RULES = (BARE_ONES, PHI, LOWERCASE_DIAG)


def prose(markdown: str) -> str:
    """``markdown`` with front matter, fenced code and inline code blanked, lines kept in place."""
    lines = markdown.split("\n")
    blank = [False] * len(lines)
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() == "---":
                blank[: end + 1] = [True] * (end + 1)
                break
    fence = None
    for i, line in enumerate(lines):
        opened = FENCE.match(line)
        if fence is None and opened:
            fence, blank[i] = opened.group(1), True
        elif fence is not None:
            blank[i] = True
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
    text = "\n".join("" if gone else line for line, gone in zip(lines, blank, strict=True))
    return INLINE_CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def markdown_formulas(markdown: str, source: str, cell: int | None = None) -> list[Formula]:
    """Every formula of a piece of Markdown, outside code."""
    text = prose(markdown)
    found = []
    for match in MATH.finditer(text):
        group = "display" if match["display"] is not None else "inline"
        line = text.count("\n", 0, match.start(group)) + 1
        found.append(Formula(source, line, match[group], cell))
    return found


def notebook_cells(path: Path) -> list[tuple[int, str]]:
    """(cell number, counting from 0, Markdown) for each Markdown cell of a notebook."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (number, "".join(cell["source"]))
        for number, cell in enumerate(cells)
        if cell["cell_type"] == "markdown"
    ]


def relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def formulas(path: Path) -> list[Formula]:
    """Every formula of a page (``.md``) or of a notebook's Markdown cells (``.ipynb``)."""
    if path.suffix == ".ipynb":
        return [
            formula
            for number, markdown in notebook_cells(path)
            for formula in markdown_formulas(markdown, relative(path), number)
        ]
    return markdown_formulas(path.read_text(encoding="utf-8"), relative(path))


def formula_problems(found: list[Formula], rule: Rule) -> list[str]:
    """'where: rule: `match` in `formula`; instead' for each match of ``rule`` in ``found``."""
    problems = []
    for formula in found:
        for match in rule.pattern.finditer(formula.tex):
            offset = formula.tex.count("\n", 0, match.start())
            shown = " ".join(formula.tex.split())
            problems.append(
                f"{formula.where(offset)}: {rule.name} `{match.group()}` in `{shown}`;"
                f" {rule.instead}"
            )
    return problems


def problems(path: Path, rule: Rule) -> list[str]:
    return formula_problems(formulas(path), rule)
