"""One notation on every page and in every notebook: the ones vector, Diag and φ.

The ones vector is written with its length, 𝟏_k the k×1 column and 𝟏_kᵀ the row, as
docs/conventions.md states; the construction Diag(v) is spelt Diag, never diag; the normal
density is φ, written \\varphi. Each rule is checked in every formula of docs/*.md and of the
Markdown cells of docs/notebooks/*.ipynb; a failure names the file and the line (for a
notebook, the cell and the line in it).
"""

import json
import re
import shutil

import pytest

from tests import notation
from tests.notation import BARE_ONES, LOWERCASE_DIAG, PHI, ROOT, RULES

SOURCES = notation.PAGES + notation.NOTEBOOKS
IDS = [notation.relative(path) for path in SOURCES]


def test_there_is_something_to_check():
    assert len(notation.PAGES) >= 20 and len(notation.NOTEBOOKS) >= 5
    assert sum(len(notation.formulas(path)) for path in SOURCES) > 1000


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_notation(path, rule):
    problems = notation.problems(path, rule)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_every_ones_vector_is_seen_by_the_scanner(path):
    """No \\mathbf{1} outside code escapes the formula scanner (an unpaired $ would hide it)."""
    if path.suffix == ".ipynb":
        texts = [markdown for _, markdown in notation.notebook_cells(path)]
    else:
        texts = [path.read_text(encoding="utf-8")]
    in_prose = sum(notation.prose(text).count(r"\mathbf{1}") for text in texts)
    in_formulas = sum(formula.tex.count(r"\mathbf{1}") for formula in notation.formulas(path))
    assert in_formulas == in_prose


def test_the_site_spells_diag_with_a_capital():
    """The spelling the lowercase rule enforces is the one the site uses."""
    text = "".join(path.read_text(encoding="utf-8") for path in SOURCES)
    assert text.count(r"\operatorname{Diag}") > 100


def test_conventions_states_the_ones_vector():
    """The decision itself: 𝟏_k is the k×1 column, its length always written; Diag for both."""
    page = (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
    ones = [line for line in page.splitlines() if line.startswith(r"| $\mathbf{1}_k$")]
    assert len(ones) == 1, "docs/conventions.md: no table row for the ones vector \\mathbf{1}_k"
    assert "**column**" in ones[0] and r"$k \times 1$" in ones[0]
    for example in (r"$g\mathbf{1}_n", r"$\mathbf{1}_N^\top G$", r"$XW + \mathbf{1}_N b$"):
        assert example in ones[0], f"docs/conventions.md: the ones-vector row lacks {example}"
    diag = [line for line in page.splitlines() if line.startswith(r"| $\operatorname{Diag}(v)$")]
    assert len(diag) == 1 and "row **or** a column" in diag[0]


@pytest.mark.parametrize(
    ("markdown", "found"),
    [
        (r"a sum $g\mathbf{1}^\top$ here", ["x.md:1"]),
        ("line one\n\n$$\nG - \\mathbf{1} b\n$$", ["x.md:4"]),
        ("two on a line: $\\mathbf{1}$ and $\\mathbf 1\\mathbb{1}$", ["x.md:1"] * 3),
        (r"fine: $g\mathbf{1}_n$, $\mathbf{1}_N^\top G$, $\mathbf{1}_{d_v}$", []),
        ("```python\nx = r'$\\mathbf{1}$'\n```\nthen `$\\mathbf{1}$` in code", []),
        ("---\ndescription: $\\mathbf{1}$\n---\n\ntext $\\mathbf{1}_T$", []),
        ("    ```text\n    $\\mathbf{1}$\n    ```\n\n$\\mathbf{1}$", ["x.md:5"]),
    ],
)
def test_the_scanner_finds_bare_ones_vectors_in_strings(markdown, found):
    problems = notation.formula_problems(notation.markdown_formulas(markdown, "x.md"), BARE_ONES)
    assert [problem.split(": ")[0] for problem in problems] == found


def test_the_other_rules_can_fail():
    found = notation.markdown_formulas(r"$\phi(r)$ and $\operatorname{diag}(G)$, $\varphi$", "x")
    assert len(notation.formula_problems(found, PHI)) == 1
    assert len(notation.formula_problems(found, LOWERCASE_DIAG)) == 1


def test_a_bare_ones_vector_planted_in_a_page_fails_with_its_line(tmp_path):
    copy = tmp_path / "affine.md"
    shutil.copy(ROOT / "docs" / "affine.md", copy)
    assert notation.problems(copy, BARE_ONES) == []
    lines = copy.read_text(encoding="utf-8").splitlines()
    lines.append(r"The bias gradient is $\mathbf{1}^\top G$.")
    copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = notation.problems(copy, BARE_ONES)
    assert len(problems) == 1
    assert problems[0].startswith(f"{copy.as_posix()}:{len(lines)}: bare ones vector")


def test_a_bare_ones_vector_planted_in_a_notebook_names_the_cell(tmp_path):
    copy = tmp_path / "normalization.ipynb"
    shutil.copy(ROOT / "docs" / "notebooks" / "normalization.ipynb", copy)
    notebook = json.loads(copy.read_text(encoding="utf-8"))
    cell = next(i for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "markdown")
    notebook["cells"][cell]["source"].append("\n\nThe sums are $\\mathbf{1}^\\top G$.")
    copy.write_text(json.dumps(notebook), encoding="utf-8")
    problems = notation.problems(copy, BARE_ONES)
    assert len(problems) == 1
    assert re.match(rf"{re.escape(copy.as_posix())}, cell {cell}, line \d+: ", problems[0])


def headings_with_math(text: str) -> list[int]:
    """Line numbers of Markdown headings (outside fences) that hold $…$ or \\(…\\)."""
    found, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        fenced ^= line.lstrip().startswith(("```", "~~~"))
        if not fenced and re.match(r"#{1,6} .*(\$|\\\()", line):
            found.append(number)
    return found


@pytest.mark.parametrize("path", notation.PAGES, ids=[notation.relative(p) for p in notation.PAGES])
def test_headings_hold_no_math(path):
    """The table of contents shows a heading's source: math there reads as raw \\(T^2\\)."""
    lines = headings_with_math(path.read_text(encoding="utf-8"))
    where = ", ".join(f"{notation.relative(path)}:{n}" for n in lines)
    assert not lines, f"math in a heading (write T², γ in text): {where}"


def test_a_heading_with_math_is_found():
    assert headings_with_math("# Title\n\n```\n# $x$ in code\n```\n### Its $T^2$\n") == [6]
