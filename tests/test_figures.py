"""Every derivation page's Jacobian picture: present, the true Jacobian, and the structure it names.

The figures are loaded as the build loads them (hooks/jacobian_figures.py, from the markers on
the pages). Each is checked three ways: its matrix against central differences of the function
and point it carries, its structure keyword against a predicate of the matrix, its alt text for
the words of that structure and the size.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from hooks.jacobian_figures import DEFAULT, MARKER, load
from snippets.figures import STRUCTURES, Figure, size, stacked_blocks
from snippets.gradcheck import numerical_jacobian
from tests.gradients import FINITE_DIFFERENCE_TOLERANCE, assert_close
from tests.pages import ROOT

DOCS = ROOT / "docs"
STRUCTURE_HEADING = re.compile(r"^## Its structure\s*$", re.M)
ALSO_DERIVING = {"losses_activations", "three_ways"}  # pages that derive Jacobians, no such heading
DERIVATION_PAGES = sorted(
    {p.stem for p in DOCS.glob("*.md") if STRUCTURE_HEADING.search(p.read_text("utf-8"))}
    | ALSO_DERIVING
)
EXACT = 1e-10  # relative: what rounding leaves of a zero, a symmetry or a rank


def markers(page: str) -> list[str]:
    """The figure names on docs/PAGE.md, as the hook reads them (module:function)."""
    lines = (DOCS / f"{page}.md").read_text(encoding="utf-8").splitlines()
    found = [m["names"].split() or [DEFAULT] for line in lines if (m := MARKER.match(line))]
    return [n if ":" in n else f"snippets.{page}:{n}" for names in found for n in names]


FIGURES = sorted({name for page in [*DERIVATION_PAGES, "index"] for name in markers(page)})


def figure_of(name: str) -> Figure:
    figure = load("", name)
    assert isinstance(figure, Figure), figure
    return figure


# --- the predicates, one per structure keyword; each returns whether the structure holds


def _small(part, whole) -> bool:
    return float(np.max(np.abs(part), initial=0.0)) <= EXACT * float(np.max(np.abs(whole)))


def _rank_one(M) -> bool:
    s = np.linalg.svd(M, compute_uv=False)
    return s[0] > 0 and s[1] <= EXACT * s[0]


def _square(J) -> bool:
    return J.shape[0] == J.shape[1]


def dense(f: Figure) -> bool:
    return bool(np.all(f.matrix != 0))


def diagonal(f: Figure) -> bool:
    J = f.matrix
    return _square(J) and _small(J - np.diag(np.diag(J)), J)


def diagonal_minus_rank_one(f: Figure) -> bool:
    """J = D − uvᵀ: the off-diagonal part of −J, completed on the diagonal, has rank one."""
    J = f.matrix
    n = len(J)
    if not _square(J) or n < 3 or diagonal(f):
        return False
    M = -J.copy()
    for i in range(n):  # (uvᵀ)_ii = (uvᵀ)_ij (uvᵀ)_ki / (uvᵀ)_kj, with the largest (uvᵀ)_kj
        others = [(k, j) for k in range(n) for j in range(n) if i not in (k, j) and k != j]
        k, j = max(others, key=lambda kj: abs(M[kj]))
        M[i, i] = M[i, j] * M[k, i] / M[k, j] if M[k, j] else 0.0
    return _rank_one(M)


def identity_minus_rank_one(f: Figure) -> bool:
    J = f.matrix
    return _square(J) and _rank_one(np.eye(len(J)) - J)


def centring_minus_rank_one(f: Figure) -> bool:
    """J = c(I − 11ᵀ/n) − c uuᵀ with u ⊥ 1: symmetric, 1 in its null space, c(I − 11ᵀ/n) − J
    of rank one."""
    J = f.matrix
    if not symmetric(f) or not _small(J.sum(axis=1), J):
        return False
    eigenvalues = np.linalg.eigvalsh(J)
    c = eigenvalues[np.argmax(np.abs(eigenvalues))]  # c, n − 2 times; 0 and a small one besides
    n = len(J)
    return _rank_one(c * (np.eye(n) - np.ones((n, n)) / n) - J)


def _block_mask(f: Figure, lower: bool) -> np.ndarray:
    """True inside the diagonal blocks f.blocks (and below them when lower)."""
    row_ends = np.cumsum([r for r, _ in f.blocks])
    column_ends = np.cumsum([c for _, c in f.blocks])
    assert (row_ends[-1], column_ends[-1]) == f.matrix.shape, "blocks must tile the matrix"
    row_block = np.searchsorted(row_ends, np.arange(f.matrix.shape[0]), side="right")
    column_block = np.searchsorted(column_ends, np.arange(f.matrix.shape[1]), side="right")
    if lower:
        return row_block[:, None] >= column_block[None, :]
    return row_block[:, None] == column_block[None, :]


def block_diagonal(f: Figure) -> bool:
    if len(f.blocks) < 2:
        return False
    inside = _block_mask(f, lower=False)
    return _small(f.matrix[~inside], f.matrix)


def block_lower_triangular(f: Figure) -> bool:
    if len(f.blocks) < 2:
        return False
    inside, diagonal_blocks = _block_mask(f, lower=True), _block_mask(f, lower=False)
    strictly_below = inside & ~diagonal_blocks
    return _small(f.matrix[~inside], f.matrix) and not _small(f.matrix[strictly_below], f.matrix)


def kronecker(f: Figure) -> bool:
    if len(f.factors) != 2 or min(np.size(p) for p in f.factors) < 2:
        return False
    product = np.kron(*f.factors)
    return product.shape == f.matrix.shape and _small(f.matrix - product, f.matrix)


def toeplitz(f: Figure) -> bool:
    J = f.matrix
    return _small(J[1:, 1:] - J[:-1, :-1], J)


def hankel(f: Figure) -> bool:
    J = f.matrix
    return _small(J[1:, :-1] - J[:-1, 1:], J)


def symmetric(f: Figure) -> bool:
    J = f.matrix
    return _square(J) and _small(J - J.T, J)


def low_rank(f: Figure) -> bool:
    return np.linalg.matrix_rank(f.matrix) < min(f.matrix.shape)


def disjoint_columns(f: Figure) -> bool:
    J = f.matrix
    zeros_and_ones = bool(np.all((J == 0) | (J == 1)))
    return zeros_and_ones and np.all((J != 0).sum(axis=1) <= 1) and np.all((J != 0).any(axis=0))


def selection(f: Figure) -> bool:
    """Zeros and ones, exactly one 1 in each row: each output copies one input."""
    J = f.matrix
    return bool(np.all((J == 0) | (J == 1)) and np.all((J == 1).sum(axis=1) == 1))


HOLDS = {
    "dense": dense,
    "diagonal": diagonal,
    "diagonal-minus-rank-one": diagonal_minus_rank_one,
    "identity-minus-rank-one": identity_minus_rank_one,
    "centring-minus-rank-one": centring_minus_rank_one,
    "block-diagonal": block_diagonal,
    "block-lower-triangular": block_lower_triangular,
    "kronecker": kronecker,
    "toeplitz": toeplitz,
    "hankel": hankel,
    "symmetric": symmetric,
    "low-rank": low_rank,
    "disjoint-columns": disjoint_columns,
    "selection": selection,
}


def structure_holds(figure: Figure) -> bool:
    return bool(HOLDS[figure.structure](figure))


# --- the pages


@pytest.mark.parametrize("page", DERIVATION_PAGES)
def test_every_derivation_page_has_its_picture(page):
    assert markers(page), f"docs/{page}.md has no <!-- jacobian-figure --> marker"


def test_the_home_page_has_one_picture():
    assert len(markers("index")) == 1


def test_the_picture_sits_in_the_structure_section():
    for page in sorted(set(DERIVATION_PAGES) - ALSO_DERIVING):
        text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
        section = text[STRUCTURE_HEADING.search(text).end() :].split("\n## ")[0]
        assert any(MARKER.match(line) for line in section.splitlines()), page


# --- each figure


@pytest.mark.parametrize("name", FIGURES)
def test_matrix_is_the_finite_difference_jacobian(name):
    figure = figure_of(name)
    numeric = numerical_jacobian(figure.of, figure.at)
    assert_close(name, figure.matrix, numeric, FINITE_DIFFERENCE_TOLERANCE)


@pytest.mark.parametrize("name", FIGURES)
def test_structure_keyword_holds(name):
    figure = figure_of(name)
    assert structure_holds(figure), f"{name}: the matrix is not {figure.structure}"


@pytest.mark.parametrize("name", FIGURES)
def test_a_planted_wrong_keyword_fails(name):
    figure = figure_of(name)
    wrong = "dense" if figure.structure == "diagonal" else "diagonal"
    assert not structure_holds(dataclasses.replace(figure, structure=wrong))


@pytest.mark.parametrize("name", FIGURES)
def test_alt_text_names_the_structure_and_the_size(name):
    figure = figure_of(name)
    assert STRUCTURES[figure.structure].lower() in figure.alt.lower()
    assert size(figure.matrix) in figure.alt
    assert "$" not in figure.alt and "\\" not in figure.alt, "alt text is words, not TeX"


@pytest.mark.parametrize("name", FIGURES)
def test_caption_is_one_sentence_without_markdown(name):
    figure = figure_of(name)
    words = re.sub(r"\$[^$]*\$", "x", figure.caption)
    assert words.endswith(".") and ". " not in words and "$" not in words
    assert not re.search(r"[*_`\[\]]", words), "Markdown in a caption is not rendered"


@pytest.mark.parametrize("name", FIGURES)
def test_small_enough_to_draw(name):
    assert max(figure_of(name).matrix.shape) <= 20, "a picture of at most 20×20 cells stays legible"


# --- the predicates themselves, on matrices made to pass and to fail


def made(matrix, structure, **extra) -> Figure:
    return Figure(
        np.asarray(matrix, dtype=float), None, None, structure, "r", "c", "a", "c.", **extra
    )


P = np.array([[1.0, 2.0], [3.0, 4.0]])
u = np.array([1.0, 2.0, 3.0, 4.0])
CENTRED = np.array([1.0, -2.0, 0.5, 0.5])


@pytest.mark.parametrize(
    ("structure", "passes", "fails", "extra"),
    [
        ("dense", P, np.diag([1.0, 2.0]), {}),
        ("diagonal", np.diag(u), P, {}),
        ("diagonal-minus-rank-one", np.diag(u) - np.outer(u, u[::-1]), np.diag(u), {}),
        ("diagonal-minus-rank-one", np.diag(u) - np.outer(u, u), np.arange(16.0).reshape(4, 4), {}),
        ("identity-minus-rank-one", np.eye(4) - np.outer(u, u), np.eye(4) - np.diag(u), {}),
        (
            "centring-minus-rank-one",
            2 * (np.eye(4) - np.ones((4, 4)) / 4 - np.outer(CENTRED, CENTRED) / 4),
            np.eye(4) - np.ones((4, 4)) / 4 - np.diag(CENTRED) / 4,
            {},
        ),
        ("block-diagonal", stacked_blocks([P, P]), np.ones((4, 4)), {"blocks": ((2, 2),) * 2}),
        (
            "block-lower-triangular",
            np.tril(np.ones((4, 4))),
            np.triu(np.ones((4, 4))),
            {"blocks": ((2, 2),) * 2},
        ),
        ("kronecker", np.kron(P, np.eye(2)), np.kron(np.eye(2), P), {"factors": (P, np.eye(2))}),
        ("toeplitz", np.eye(3, 4) + 2 * np.eye(3, 4, k=1), np.diag([1.0, 2.0, 3.0]), {}),
        ("hankel", np.add.outer(np.arange(3.0), np.arange(4.0)), np.eye(3), {}),
        ("symmetric", P + P.T, P, {}),
        ("low-rank", np.outer(u, u[:3]), np.eye(3), {}),
        ("disjoint-columns", np.eye(4, 2) + np.eye(4, 2, k=-2), np.ones((4, 2)), {}),
        ("selection", np.eye(4)[[2, 0, 2]], np.eye(3, 4) + np.eye(3, 4, k=1), {}),
        ("selection", np.eye(4)[[1, 3]], 2 * np.eye(2, 4), {}),
    ],
)
def test_each_predicate_can_pass_and_fail(structure, passes, fails, extra):
    assert structure_holds(made(passes, structure, **extra))
    assert not structure_holds(made(fails, structure, **extra))


def test_every_keyword_has_a_predicate():
    assert set(HOLDS) == set(STRUCTURES)


def test_a_figure_refuses_an_unknown_keyword_and_a_flat_matrix():
    with pytest.raises(ValueError, match="unknown structure 'wavy'"):
        made(P, "wavy")
    with pytest.raises(ValueError, match="2-D"):
        made(u, "dense")


def test_fewer_than_two_blocks_or_factors_is_no_structure():
    assert not structure_holds(made(P, "block-diagonal", blocks=((2, 2),)))
    assert not structure_holds(made(P, "block-lower-triangular", blocks=((2, 2),)))
    assert not structure_holds(made(P, "kronecker", factors=(P,)))
    assert not structure_holds(made(np.eye(2), "diagonal-minus-rank-one"))
