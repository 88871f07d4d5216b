"""The affine layer r = xW + b: its three Jacobians, the Kronecker form, and its VJPs.

Shapes (row vectors, see docs/conventions.md): x is 1×n, W is n×m, b is 1×m, r is 1×m.
A batch X is N×n and R = XW + 1b is N×m; the upstream gradient G = ∂L/∂R is N×m.
∂r/∂x is m×n, ∂R/∂W is an N×m×n×m array, ∂R/∂b is N×m×m.
Run ``python -m snippets.affine`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def affine(X, W, b):
    """R = XW + b for X N×n (or one row x, 1×n), W n×m, b 1×m: N×m."""
    return X @ W + b


def affine_input_jacobian(W):
    """∂r/∂x for one row x: m×n, entry (i, j) is ∂r_i/∂x_j = W_ji, so it is Wᵀ."""
    return W.T


def affine_weight_jacobian(X, m):
    """∂R/∂W: N×m×n×m, entry (a, i, j, k) is ∂R_ai/∂W_jk = X_aj δ_ik."""
    return np.einsum("aj,ik->aijk", X, np.eye(m))


def affine_bias_jacobian(N, m):
    """∂R/∂b: N×m×m, entry (a, i, k) is ∂R_ai/∂b_k = δ_ik (every row gets the same b)."""
    return np.einsum("a,ik->aik", np.ones(N), np.eye(m))


def affine_vjp(X, W, G):
    """G(∂R/∂X), G(∂R/∂W), G(∂R/∂b) without the Jacobians: GWᵀ (N×n), XᵀG (n×m), 1ᵀG (1×m)."""
    return G @ W.T, X.T @ G, G.sum(axis=0, keepdims=True)


def vec(A):
    """The textbook (column-major) vec: the columns of A stacked into one column."""
    return A.reshape(-1, 1, order="F")


def mean_squared_error(R, T):
    """L = (1/N) Σ_a ℓ_a with ℓ_a = ½‖r_a − t_a‖², for R and targets T both N×m."""
    return np.mean(0.5 * np.sum((R - T) ** 2, axis=1))


def mean_squared_error_gradient(R, T):
    """∂L/∂R = (R − T)/N, N×m: the 1/N of the mean is already in it."""
    return (R - T) / R.shape[0]


# --8<-- [end:functions]


# --8<-- [start:column_functions]
def column_affine(W, X):
    """D = WX with the samples as the COLUMNS of X: W m×n, X n×N, D m×N."""
    return W @ X


def column_affine_jacobians(W, X):
    """∂D/∂W, m×N×m×n, entry (l, k, i, j) = ∂D_lk/∂W_ij = δ_li X_jk;
    ∂D/∂X, m×N×n×N, entry (l, k, j, c) = ∂D_lk/∂X_jc = W_lj δ_kc."""
    m, N = W.shape[0], X.shape[1]
    return np.einsum("li,jk->lkij", np.eye(m), X), np.einsum("lj,kc->lkjc", W, np.eye(N))


def column_affine_vjp(W, X, G):
    """The upstream G = ∂L/∂D (m×N) through D = WX, no Jacobian built:
    ∂L/∂W = G Xᵀ (m×n, the shape of W) and ∂L/∂X = Wᵀ G (n×N, the shape of X)."""
    return G @ X.T, W.T @ G


# --8<-- [end:column_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "affine"
CHEAT_SHEET = [
    Row(
        table="Core",
        operation=r"$r = xW + b$, input",
        jacobian=r"$W^\top$",
        vjp=r"$g W^\top$",
        functions=("affine_vjp",),
    ),
    Row(
        table="Core",
        operation=r"$r = xW + b$, weights",
        jacobian=r"$x \otimes I_m$ (row-major vec)",
        vjp=r"$x^\top g$; batch $X^\top G$",
        functions=("affine_vjp",),
    ),
    Row(
        table="Core",
        operation=r"$r = xW + b$, bias",
        jacobian=r"$I_m$",
        vjp=r"$g$; batch $\mathbf{1}_N^\top G$",
        functions=("affine_vjp",),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """∂vec_r R/∂vec_r W = X ⊗ I_m for a fixed X (N×n = 2×3) and m = 4: (N·m)×(n·m) = 8×12."""
    X = np.array([[1.0, -2.0, 0.5], [-1.5, 0.8, 2.0]])  # N×n
    (N, n), m = X.shape, 4
    W, b = np.arange(n * m).reshape(n, m) / 10, np.ones((1, m))
    jacobian = affine_weight_jacobian(X, m).reshape(N * m, n * m)
    return Figure(
        matrix=jacobian,
        of=lambda V: affine(X, V, b),
        at=W,
        structure="kronecker",
        rows="outputs R_{ai}, row by row",
        columns="weights W_{jk}, row by row",
        alt=f"The {size(jacobian)} Jacobian of R = XW + 1b with respect to W, both flattened row "
        f"by row: the Kronecker product X ⊗ I_{m}, a {N}×{n} grid of {m}×{m} blocks, each an "
        f"entry of X times the identity; {np.count_nonzero(jacobian)} of its {jacobian.size} "
        "entries are non-zero.",
        caption=r"$\partial \operatorname{vec}_r R/\partial \operatorname{vec}_r W = X \otimes "
        r"I_m$: block $(a, j)$ is $X_{aj} I_m$, so at most a fraction $1/m$ is non-zero.",
        factors=(X, np.eye(m)),
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    N, n, m = 5, 4, 3  # n ≠ m, so a missing transpose cannot hide
    X = rng.standard_normal((N, n))  # a batch of inputs, N×n
    W = rng.standard_normal((n, m))  # weights, n×m
    b = rng.standard_normal((1, m))  # bias, 1×m
    G = rng.standard_normal((N, m))  # upstream gradient ∂L/∂R, N×m
    T = rng.standard_normal((N, m))  # targets of a mean squared error, N×m
    x, g = X[:1], G[:1]  # one example: x is 1×n, its upstream gradient g is 1×m
    # --8<-- [end:setup]

    # --8<-- [start:check]
    # One example: the three Jacobians, built from their entries
    numeric_x = numerical_jacobian(lambda x: affine(x, W, b), x)  # m×n
    numeric_w = numerical_jacobian(lambda W: affine(x, W, b), W)  # m×(n·m)
    numeric_b = numerical_jacobian(lambda b: affine(x, W, b), b)  # m×m
    jacobian_w = affine_weight_jacobian(x, m).reshape(m, n * m)
    assert compare("∂r/∂x = Wᵀ vs finite differences", affine_input_jacobian(W), numeric_x)
    assert compare("∂r/∂W = x ⊗ I_m vs finite differences", jacobian_w, numeric_w)
    assert compare("∂r/∂b = I_m vs finite differences", affine_bias_jacobian(1, m)[0], numeric_b)

    # A batch: ∂R/∂W is a 4th-order array; flattened, it is a Kronecker product
    jacobian = affine_weight_jacobian(X, m)  # N×m×n×m
    numeric = numerical_jacobian(lambda W: affine(X, W, b), W)  # row-major vec: (N·m)×(n·m)
    flat = jacobian.reshape(N * m, n * m)  # numpy's reshape reads row-major
    assert compare(f"∂R/∂W, shape {jacobian.shape}, vs finite differences", flat, numeric)
    assert compare("row-major vec: ∂R/∂W = X ⊗ I_m", flat, np.kron(X, np.eye(m)))
    numeric_vec = numerical_jacobian(lambda w: vec(X @ w.reshape(n, m, order="F")), vec(W))
    assert compare(
        "column-major vec: ∂vec(R)/∂vec(W) = I_m ⊗ X", np.kron(np.eye(m), X), numeric_vec
    )
    assert compare("vec(XW) = (I_m ⊗ X) vec(W)", vec(X @ W), np.kron(np.eye(m), X) @ vec(W))

    # The VJPs, against the upstream gradient times each numeric Jacobian
    gx, gw, gb = affine_vjp(X, W, G)
    numeric_batch_x = numerical_jacobian(lambda X: affine(X, W, b), X)  # (N·m)×(N·n)
    numeric_batch_b = numerical_jacobian(lambda b: affine(X, W, b), b)  # (N·m)×m
    assert compare("GWᵀ vs G (∂R/∂X)", gx, (G.ravel() @ numeric_batch_x).reshape(N, n))
    assert compare("XᵀG vs G (∂R/∂W)", gw, (G.ravel() @ numeric).reshape(n, m))
    assert compare("1ᵀG vs G (∂R/∂b)", gb, (G.ravel() @ numeric_batch_b).reshape(1, m))
    assert compare("XᵀG vs G contracted with ∂R/∂W", gw, np.einsum("ai,aijk->jk", G, jacobian))

    # A mean over the batch: the 1/N arrives inside G
    G_mean = mean_squared_error_gradient(affine(X, W, b), T)  # (R − T)/N
    numeric_mean = numerical_jacobian(lambda W: mean_squared_error(affine(X, W, b), T), W)
    assert compare("mean loss: XᵀG with G = (R − T)/N", X.T @ G_mean, numeric_mean.reshape(n, m))
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    reference_x = g @ numerical_jacobian(lambda x: affine(x, W, b), x)  # 1×n
    reference_w = (g @ numerical_jacobian(lambda W: affine(x, W, b), W)).reshape(n, m)
    numeric_mean = numerical_jacobian(lambda W: mean_squared_error(affine(X, W, b), T), W)
    try:
        compare("g W (W for Wᵀ)", g @ W, reference_x)
    except ValueError as error:
        print(f"g W (W for Wᵀ): {error}")
    compare("gᵀx (product reversed)", g.T @ x, reference_w)
    R = affine(X, W, b)
    compare("Xᵀ(R − T) (a sum, no 1/N)", X.T @ (R - T), numeric_mean.reshape(n, m))
    # --8<-- [end:mistake]

    # --8<-- [start:column_setup]
    rng = np.random.default_rng(1)
    m, n, N = 3, 4, 5  # pairwise distinct, so a wrong transpose is a shape error
    W = rng.standard_normal((m, n))  # weights, m×n
    X = rng.standard_normal((n, N))  # N samples as the columns, n×N
    G = rng.standard_normal((m, N))  # upstream gradient ∂L/∂D, the shape of D: m×N
    # --8<-- [end:column_setup]

    # --8<-- [start:column_check]
    jacobian_w, jacobian_x = column_affine_jacobians(W, X)  # m×N×m×n and m×N×n×N
    numeric_w = numerical_jacobian(lambda V: column_affine(V, X), W)  # (m·N)×(m·n)
    numeric_x = numerical_jacobian(lambda V: column_affine(W, V), X)  # (m·N)×(n·N)
    assert compare(
        f"∂D/∂W, shape {jacobian_w.shape}, vs finite differences",
        jacobian_w.reshape(m * N, m * n),
        numeric_w,
    )
    assert compare(
        f"∂D/∂X, shape {jacobian_x.shape}, vs finite differences",
        jacobian_x.reshape(m * N, n * N),
        numeric_x,
    )
    # ∂L/∂W_ij = Σ_l Σ_k G_lk δ_li X_jk = Σ_k G_ik X_jk, summed one entry at a time
    entries = np.zeros((m, n))
    for i in range(m):
        for j in range(n):
            entries[i, j] = sum(G[i, k] * X[j, k] for k in range(N))
    gw, gx = column_affine_vjp(W, X, G)
    reference_w = (G.ravel() @ numeric_w).reshape(m, n)  # G contracted with ∂D/∂W
    reference_x = (G.ravel() @ numeric_x).reshape(n, N)  # G contracted with ∂D/∂X
    assert compare("∂L/∂W_ij = Σ_k G_ik X_jk, entry by entry", entries, reference_w)
    assert compare("∂L/∂W = G Xᵀ", gw, reference_w)
    assert compare("∂L/∂X = Wᵀ G", gx, reference_x)
    # --8<-- [end:column_check]
