"""Softmax: its full Jacobian (a diagonal minus a rank-one matrix) and its VJP.

Shapes (row vectors, see docs/conventions.md): the logits θ are 1×n, y = softmax(θ) is 1×n,
the upstream gradient g = ∂L/∂y is 1×n, the Jacobian ∂y/∂θ is n×n. A batch Θ is N×n with one
softmax per row; then Y, G = ∂L/∂Y and ∂L/∂Θ are N×n too.
Run ``python -m snippets.softmax`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def softmax(theta):
    """Softmax of each row of θ (1×n or N×n); the row max is taken out so exp cannot overflow."""
    e = np.exp(theta - np.max(theta, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def softmax_jacobian(theta):
    """The full Jacobian ∂y/∂θ of y = softmax(θ) for a 1×n row θ: n×n, Diag(y) − yᵀy."""
    y = softmax(theta)
    return np.diag(y.ravel()) - y.T @ y


def softmax_vjp(theta, g):
    """g (∂y/∂θ) without the Jacobian: s − (Σ_j s_j) y with s = g ∘ y; row by row for N×n."""
    y = softmax(theta)
    s = g * y
    return s - np.sum(s, axis=1, keepdims=True) * y


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "softmax"
CHEAT_SHEET = [
    Row(
        table="Core",
        operation=r"$y = \operatorname{softmax}(\theta)$",
        jacobian=r"$\operatorname{Diag}(y) - y^\top y$, diagonal minus rank one",
        vjp=r"$s - \big(\sum_j s_j\big)\,y$, $s = g \circ y$",
        functions=("softmax_vjp",),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """∂y/∂θ at fixed logits θ (1×5): 5×5, Diag(y) − yᵀy."""
    theta = np.array([[1.2, -0.4, 0.3, 2.0, -1.1]])
    jacobian = softmax_jacobian(theta)
    return Figure(
        matrix=jacobian,
        of=softmax,
        at=theta,
        structure="diagonal-minus-rank-one",
        rows="outputs y_i",
        columns="logits θ_j",
        alt=f"The {size(jacobian)} softmax Jacobian: a diagonal matrix minus a rank-one matrix, "
        "symmetric; every entry is non-zero, the diagonal positive, the off-diagonal negative.",
        caption=r"$\partial y/\partial\theta = \operatorname{Diag}(y) - y^\top y$: a diagonal "
        r"minus a rank-one matrix, symmetric, every row summing to zero.",
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    n, N = 4, 3  # logits per row, rows in the batch
    theta = rng.standard_normal((1, n))  # logits, 1×4
    g = rng.standard_normal((1, n))  # upstream gradient ∂L/∂y, 1×4
    Theta = rng.standard_normal((N, n))  # a batch: 3 rows of logits, 3×4
    G = rng.standard_normal((N, n))  # its upstream gradient ∂L/∂Y, 3×4
    # --8<-- [end:setup]

    # --8<-- [start:check]
    jacobian = softmax_jacobian(theta)  # 4×4
    numeric = numerical_jacobian(softmax, theta)  # 4×4, by central differences
    assert compare("Jacobian vs finite differences", jacobian, numeric)
    assert compare("Jacobian is symmetric", jacobian, jacobian.T)
    off_diagonal = jacobian - np.diag(np.diag(jacobian))
    assert compare("diagonal = −(rest of its row)", np.diag(jacobian), -off_diagonal.sum(axis=1))
    assert compare("VJP vs g @ numeric Jacobian", softmax_vjp(theta, g), g @ numeric)
    numeric_batch = numerical_jacobian(softmax, Theta)  # 12×12, block-diagonal
    batch_reference = (G.ravel() @ numeric_batch).reshape(Theta.shape)  # 3×4
    assert compare("batch VJP vs G @ numeric Jacobian", softmax_vjp(Theta, G), batch_reference)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    y = softmax(theta)
    s = g * y
    reference = g @ numerical_jacobian(softmax, theta)
    compare("s − Σ s_j (no y on the sum)", s - np.sum(s), reference)
    compare("g ∘ y ∘ (1 − y) (diagonal only)", g * y * (1 - y), reference)
    # --8<-- [end:mistake]

    # --8<-- [start:stable]
    huge = np.array([[1e4, -1e4, 0.0, 5.0]])  # exp overflows past about 709
    exact = np.array([[1.0, 0.0, 0.0, 0.0]])  # the others are below e^-9995, 0 in float64
    assert compare("softmax at logits ±1e4", softmax(huge), exact)
    with np.errstate(over="ignore", invalid="ignore"):  # numpy would warn; we print instead
        naive = np.exp(huge) / np.sum(np.exp(huge), axis=1, keepdims=True)
    compare("naive exp(θ) / Σ exp(θ) at ±1e4", naive, exact)
    # --8<-- [end:stable]
