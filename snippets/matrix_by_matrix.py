"""Matrix by matrix: ∂H/∂W as a 4th-order array, and the chain that collapses to Xᵀ(ŷ − y)vᵀ.

Shapes (row-major batch, see docs/conventions.md): X is N×n, W is n×k, H = XW is N×k,
v is k×1, ŷ = Hv and the targets y are N×1, L = ½‖ŷ − y‖² is a scalar (a sum over the batch).
∂H/∂W is N×k×n×k, ∂ŷ/∂H is N×N×k, ∂L/∂W is n×k and ∂L/∂v is k×1.
Run ``python -m snippets.matrix_by_matrix`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def two_layer_loss(X, W, v, y):
    """L = ½‖ŷ − y‖² with H = XW (N×k) and ŷ = Hv (N×1): a scalar, summed over the batch."""
    y_hat = X @ W @ v
    return 0.5 * np.sum((y_hat - y) ** 2)


def product_jacobian(X, k):
    """∂H/∂W for H = XW: N×k×n×k, entry (a, i, p, q) is ∂H_ai/∂W_pq = X_ap δ_iq."""
    return np.einsum("ap,iq->aipq", X, np.eye(k))


def prediction_jacobian(v, N):
    """∂ŷ/∂H for ŷ = Hv: N×N×k, entry (a, b, i) is ∂ŷ_a/∂H_bi = δ_ab v_i."""
    return np.einsum("ab,i->abi", np.eye(N), v.ravel())


def chain_of_jacobians(residual, prediction_jac, product_jac):
    """∂L/∂W = Σ_a Σ_b Σ_i (ŷ − y)_a (∂ŷ_a/∂H_bi)(∂H_bi/∂W_pq): the arrays contracted, n×k."""
    return np.einsum("a,abi,bipq->pq", residual.ravel(), prediction_jac, product_jac)


def two_layer_vjp(X, W, v, y):
    """∂L/∂W = Xᵀ(ŷ − y)vᵀ (n×k) and ∂L/∂v = Hᵀ(ŷ − y) (k×1), with no Jacobian built."""
    H = X @ W
    residual = H @ v - y  # ŷ − y = ∂L/∂ŷ, N×1
    return X.T @ residual @ v.T, H.T @ residual


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "matrix by matrix"
CHEAT_SHEET = [
    Row(
        table="Core",
        operation=r"$H = XW$, weights, upstream $G$ ($N \times k$)",
        jacobian=r"$N\times k\times n\times k$ array; $I_k \otimes X$ (column-major vec)",
        vjp=r"$X^\top G$",
        functions=("two_layer_vjp",),
    ),
    Row(
        table="Core",
        operation=r"$\hat{y} = Hv$, $L = \tfrac12\lVert\hat{y} - y\rVert^2$",
        jacobian=(
            r"3rd-order $\partial\hat{y}/\partial H$ contracted with 4th-order "
            r"$\partial H/\partial W$"
        ),
        vjp=r"$\partial L/\partial W = X^\top(\hat{y} - y)v^\top$",
        functions=("two_layer_vjp",),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
FIGURE_X = np.array([[1.0, -1.5], [0.5, 2.0], [-0.8, 0.3]])  # the pictures' batch, N×n = 3×2
FIGURE_V = np.array([[0.7], [-1.2], [0.4], [1.5]])  # and v, k×1 = 4×1


def structure_figure():
    """∂vec_r H/∂vec_r W = X ⊗ I_k for H = XW, X = FIGURE_X, k = 4: (N·k)×(n·k) = 12×8."""
    (N, n), k = FIGURE_X.shape, len(FIGURE_V)
    jacobian = product_jacobian(FIGURE_X, k).reshape(N * k, n * k)
    return Figure(
        matrix=jacobian,
        of=lambda W: FIGURE_X @ W,
        at=np.ones((n, k)),
        structure="kronecker",
        rows="entries H_{ai}, row by row",
        columns="weights W_{pq}, row by row",
        alt=f"The {size(jacobian)} Jacobian of H = XW with respect to W, both flattened row by "
        f"row: the Kronecker product X ⊗ I_{k}, a {N}×{n} grid of {k}×{k} blocks, each an entry "
        f"of X times the identity; {np.count_nonzero(jacobian)} of its {jacobian.size} entries "
        "are non-zero.",
        caption=r"$\partial \operatorname{vec}_r H/\partial \operatorname{vec}_r W = X \otimes "
        r"I_k$: the Kronecker delta $\delta_{iq}$ leaves one diagonal per block.",
        factors=(FIGURE_X, np.eye(k)),
    )


def prediction_figure():
    """∂ŷ/∂vec_r H = I_N ⊗ vᵀ for ŷ = Hv, v = FIGURE_V: N×(N·k) = 3×12."""
    N, k = len(FIGURE_X), len(FIGURE_V)
    jacobian = prediction_jacobian(FIGURE_V, N).reshape(N, N * k)
    return Figure(
        matrix=jacobian,
        of=lambda H: H @ FIGURE_V,
        at=FIGURE_X @ np.ones((FIGURE_X.shape[1], k)),
        structure="block-diagonal",
        rows="predictions ŷ_a",
        columns="entries H_{bi}, row by row",
        alt=f"The {size(jacobian)} Jacobian of the predictions ŷ = Hv with respect to H, "
        f"flattened row by row: block-diagonal, {N} blocks of 1×{k}, each a copy of vᵀ: example "
        "a's prediction depends on row a of H alone.",
        caption=r"$\partial \hat{y}/\partial \operatorname{vec}_r H = I_N \otimes v^\top$: "
        r"prediction $a$ depends on row $a$ of $H$ alone.",
        blocks=((1, k),) * N,
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    N, n, k = 5, 4, 3  # all different, so a wrong order cannot hide
    X = rng.standard_normal((N, n))  # a batch of inputs, N×n
    W = rng.standard_normal((n, k))  # first-layer weights, n×k
    v = rng.standard_normal((k, 1))  # second-layer weights, k×1
    y = rng.standard_normal((N, 1))  # targets, one per example, N×1
    H = X @ W  # N×k
    residual = H @ v - y  # ŷ − y = ∂L/∂ŷ, N×1
    # --8<-- [end:setup]

    # --8<-- [start:check]
    # The 4th-order array ∂H/∂W, and its two Kronecker readings
    jacobian_h = product_jacobian(X, k)  # N×k×n×k
    numeric_h = numerical_jacobian(lambda W: X @ W, W)  # (N·k)×(n·k), row-major
    flat_h = jacobian_h.reshape(N * k, n * k)
    assert compare(f"∂H/∂W, shape {jacobian_h.shape}, vs finite differences", flat_h, numeric_h)
    assert compare("row-major vec: ∂H/∂W = X ⊗ I_k", flat_h, np.kron(X, np.eye(k)))
    column_major = jacobian_h.reshape(N * k, n * k, order="F")
    assert compare("column-major vec: ∂H/∂W = I_k ⊗ X", column_major, np.kron(np.eye(k), X))

    # ∂ŷ/∂H: a vector by a matrix, a 3rd-order array
    jacobian_y = prediction_jacobian(v, N)  # N×N×k
    numeric_y = numerical_jacobian(lambda H: H @ v, H)  # N×(N·k)
    flat_y = jacobian_y.reshape(N, N * k)
    assert compare(f"∂ŷ/∂H, shape {jacobian_y.shape}, vs finite differences", flat_y, numeric_y)

    # The chain, contracted index by index, against finite differences of L
    numeric_w = numerical_jacobian(lambda W: two_layer_loss(X, W, v, y), W).reshape(n, k)
    numeric_v = numerical_jacobian(lambda v: two_layer_loss(X, W, v, y), v).reshape(k, 1)
    contracted_h = np.einsum("a,abi->bi", residual.ravel(), jacobian_y)  # ∂L/∂H, N×k
    assert compare("∂L/∂H: (ŷ − y) contracted with ∂ŷ/∂H = (ŷ − y)vᵀ", contracted_h, residual @ v.T)
    chained = chain_of_jacobians(residual, jacobian_y, jacobian_h)  # n×k
    assert compare("∂L/∂W by contracting the Jacobians vs finite differences", chained, numeric_w)
    grad_w, grad_v = two_layer_vjp(X, W, v, y)
    assert compare("Xᵀ(ŷ − y)vᵀ vs finite differences", grad_w, numeric_w)
    assert compare("Hᵀ(ŷ − y) vs finite differences", grad_v, numeric_v)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    reference = numerical_jacobian(lambda W: two_layer_loss(X, W, v, y), W).reshape(n, k)
    try:
        compare("X(ŷ − y)vᵀ", X @ residual @ v.T, reference)
    except ValueError as error:
        print(f"X(ŷ − y)vᵀ: {error}")
    try:
        compare("Xᵀvᵀ(ŷ − y)", X.T @ v.T @ residual, reference)
    except ValueError as error:
        print(f"Xᵀvᵀ(ŷ − y): {error}")
    compare("v(ŷ − y)ᵀX (order reversed)", v @ residual.T @ X, reference)
    # --8<-- [end:mistake]
