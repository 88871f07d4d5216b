"""The picture of a Jacobian's structure: what a page's ``structure_figure()`` returns.

hooks/jacobian_figures.py draws a Figure as an SVG where the page has the marker
``<!-- jacobian-figure -->``; tests/test_figures.py checks that its matrix is the finite-difference
Jacobian of ``of`` at ``at`` and that the structure its keyword names holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Each structure keyword, and the words the alt text must use for it.
STRUCTURES = {
    "dense": "dense",
    "diagonal": "diagonal",
    "diagonal-minus-rank-one": "a diagonal matrix minus a rank-one matrix",
    "identity-minus-rank-one": "the identity minus a rank-one matrix",
    "centring-minus-rank-one": "a centring projection minus a rank-one matrix",
    "block-diagonal": "block-diagonal",
    "block-lower-triangular": "block lower-triangular",
    "kronecker": "Kronecker product",
    "toeplitz": "Toeplitz",
    "hankel": "Hankel",
    "symmetric": "symmetric",
    "low-rank": "rank",
    "disjoint-columns": "columns that do not overlap",
    "selection": "a single 1 in each row",
}


@dataclass(frozen=True, eq=False)
class Figure:
    """A Jacobian to draw, with the function and point it is the Jacobian of.

    matrix: the Jacobian, rows × columns (a higher-order one flattened row-major, as its page does);
    of, at: numerical_jacobian(of, at) is matrix, up to finite-difference error;
    structure: a key of STRUCTURES; rows, columns: what they index ("outputs y_i", "inputs θ_j");
    alt: the structure in words, with the sizes; caption: one sentence, $…$ for math;
    blocks: (rows, columns) of each diagonal block, for the block structures;
    factors: (P, Q) with matrix = P ⊗ Q, for "kronecker" (and to tile any other structure's grid).
    """

    matrix: np.ndarray
    of: Callable[[np.ndarray], np.ndarray]
    at: np.ndarray
    structure: str
    rows: str
    columns: str
    alt: str
    caption: str
    blocks: tuple[tuple[int, int], ...] = ()
    factors: tuple[np.ndarray, ...] = ()

    def __post_init__(self):
        if np.ndim(self.matrix) != 2:
            raise ValueError(f"a Figure's matrix is 2-D, not of shape {np.shape(self.matrix)}")
        if self.structure not in STRUCTURES:
            raise ValueError(f"unknown structure {self.structure!r}; known: {sorted(STRUCTURES)}")


def size(matrix) -> str:
    """'4×6' for a 4×6 matrix: the size as the alt texts write it."""
    rows, columns = np.shape(matrix)
    return f"{rows}×{columns}"


def stacked_blocks(blocks) -> np.ndarray:
    """The block-diagonal matrix of a list of 2-D blocks (any shapes), zeros elsewhere."""
    rows, columns = sum(len(b) for b in blocks), sum(np.shape(b)[1] for b in blocks)
    matrix, r, c = np.zeros((rows, columns)), 0, 0
    for block in blocks:
        matrix[r : r + len(block), c : c + np.shape(block)[1]] = block
        r, c = r + len(block), c + np.shape(block)[1]
    return matrix
