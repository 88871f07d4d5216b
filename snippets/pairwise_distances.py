"""Gram matrices and pairwise squared distances: their 4th-order Jacobians and their VJPs.

Shapes (row vectors, see docs/conventions.md): X is N×d, Y is M×d (one point per row);
K = XXᵀ is N×N, the cross Gram XYᵀ is N×M, D_ab = ‖x_a − y_b‖² is N×M; G, the upstream
gradient, has the shape of the output. Jacobians are flattened row-major (vec_r) both ways:
∂vec_r K/∂vec_r X is N²×(N·d), entry ((a, b), (p, q)) is ∂K_ab/∂X_pq.
Run ``python -m snippets.pairwise_distances`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:gram_functions]
def gram(X):
    """K = X Xᵀ, N×N for X N×d."""
    return X @ X.T


def gram_jacobian(X):
    """∂vec_r K/∂vec_r X, N²×(N·d): δ_ap X_bq + δ_bp X_aq."""
    N, d = X.shape
    eye = np.eye(N)
    J = np.einsum("ap,bq->abpq", eye, X) + np.einsum("bp,aq->abpq", eye, X)
    return J.reshape(N * N, N * d)


def gram_vjp(X, G):
    """G (∂K/∂X) without the Jacobian: (G + Gᵀ) X, N×d."""
    return (G + G.T) @ X


def cross_gram_jacobians(X, Y):
    """∂vec_r(XYᵀ)/∂vec_r X = I_N ⊗ Y, (N·M)×(N·d); and ∂/∂vec_r Y,
    (N·M)×(M·d), entry ((a, b), (p, q)) = δ_bp X_aq."""
    N, M = len(X), len(Y)
    by_Y = np.einsum("bp,aq->abpq", np.eye(M), X).reshape(N * M, Y.size)
    return np.kron(np.eye(N), Y), by_Y


def cross_gram_vjp(X, Y, G):
    """(∂L/∂X, ∂L/∂Y) for K = XYᵀ and G = ∂L/∂K (N×M): (G Y, Gᵀ X)."""
    return G @ Y, G.T @ X


# --8<-- [end:gram_functions]


# --8<-- [start:distance_functions]
def squared_distances(X, Y):
    """D = r_X 𝟏_Mᵀ + 𝟏_N r_Yᵀ − 2 X Yᵀ, D_ab = ‖x_a − y_b‖²: N×M."""
    r_X = (X * X).sum(axis=1, keepdims=True)  # N×1, the squared row norms
    r_Y = (Y * Y).sum(axis=1, keepdims=True)  # M×1
    return r_X + r_Y.T - 2 * X @ Y.T


def squared_distance_jacobians(X, Y):
    """∂vec_r D/∂vec_r X, (N·M)×(N·d): 2δ_ap (X_aq − Y_bq); and ∂/∂vec_r Y,
    (N·M)×(M·d): −2δ_bp (X_aq − Y_bq)."""
    N, M = len(X), len(Y)
    diff = X[:, None, :] - Y[None, :, :]  # N×M×d: x_a − y_b
    by_X = 2 * np.einsum("ap,abq->abpq", np.eye(N), diff).reshape(N * M, X.size)
    by_Y = -2 * np.einsum("bp,abq->abpq", np.eye(M), diff).reshape(N * M, Y.size)
    return by_X, by_Y


def squared_distance_vjp(X, Y, G):
    """(∂L/∂X, ∂L/∂Y) for G = ∂L/∂D (N×M):
    2(Diag(G𝟏_M) X − G Y) and 2(Diag(Gᵀ𝟏_N) Y − Gᵀ X)."""
    grad_X = 2 * (G.sum(axis=1, keepdims=True) * X - G @ Y)
    grad_Y = 2 * (G.sum(axis=0)[:, None] * Y - G.T @ X)
    return grad_X, grad_Y


def self_squared_distance_vjp(X, G):
    """∂L/∂X for D = squared_distances(X, X), G N×N: both uses of X add,
    2(Diag(S𝟏_N) − S) X with S = G + Gᵀ."""
    S = G + G.T
    return 2 * (S.sum(axis=1, keepdims=True) * X - S @ X)


# --8<-- [end:distance_functions]


# --8<-- [start:distance_root_functions]
def distances(X, Y):
    """E_ab = ‖x_a − y_b‖, from the differences (an exact 0 where rows are equal)."""
    return np.sqrt(((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=2))


def distance_vjp(X, Y, G):
    """(∂L/∂X, ∂L/∂Y) for E = distances(X, Y): G ⊘ 2E into the squared
    distances' VJP, with 0 where E = 0 (torch.cdist's choice there)."""
    E = distances(X, Y)
    G_D = np.where(E > 0, G / (2 * np.where(E > 0, E, 1.0)), 0.0)  # ∂L/∂D
    return squared_distance_vjp(X, Y, G_D)


# --8<-- [end:distance_root_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "Gram matrices and pairwise distances"
CHEAT_SHEET = [
    Row(
        table="Core",
        operation=r"Gram matrix $K = XX^\top$",
        jacobian=r"$\partial K_{ab}/\partial X_{pq} = \delta_{ap} X_{bq} + \delta_{bp} X_{aq}$",
        vjp=r"$(G + G^\top)X$",
        functions=("gram_vjp",),
        anchor="gram-matrices",
    ),
    Row(
        table="Core",
        operation=r"cross Gram $XY^\top$",
        jacobian=r"$I_N \otimes Y$ for $\operatorname{vec}_r X$",
        vjp=r"$GY$; $G^\top X$",
        functions=("cross_gram_vjp",),
        anchor="gram-matrices",
    ),
    Row(
        table="Core",
        operation=r"squared distances "
        r"$D = r_X \mathbf{1}_M^\top + \mathbf{1}_N r_Y^\top - 2XY^\top$",
        jacobian=r"block-diagonal in $\operatorname{vec}_r X$, block $a$: "
        r"$2(\mathbf{1}_M x_a - Y)$",
        vjp=r"$2\big(\operatorname{Diag}(G\mathbf{1}_M)X - GY\big)$; "
        r"$2\big(\operatorname{Diag}(G^\top\mathbf{1}_N)Y - G^\top X\big)$; "
        r"for $X = Y$ both, $2\big(\operatorname{Diag}(S\mathbf{1}_N) - S\big)X$, $S = G + G^\top$",
        functions=("squared_distance_vjp", "self_squared_distance_vjp"),
        anchor="pairwise-squared-distances",
    ),
]


# The pictures of the Jacobians on the page: hooks/jacobian_figures.py draws them at build time,
# tests/test_figures.py checks them against finite differences and their structure keywords.
def structure_figure():
    """∂vec_r K/∂vec_r X for a fixed 3×2 X: 9×6, of rank 5."""
    X = np.array([[0.9, -0.4], [0.3, 1.2], [-0.7, 0.5]])  # N×d = 3×2
    jacobian = gram_jacobian(X)
    return Figure(
        matrix=jacobian,
        of=gram,
        at=X,
        structure="low-rank",
        rows="outputs K_{ab}, row by row",
        columns="inputs X_{pq}, row by row",
        alt=f"The {size(jacobian)} Jacobian of K = XXᵀ for X of 3×2: of rank 5, below its 6 "
        "columns, since rows (a, b) and (b, a) are equal and a rotation of the rows of X leaves "
        "K unchanged.",
        caption=r"$\partial K_{ab}/\partial X_{pq} = \delta_{ap} X_{bq} + \delta_{bp} X_{aq}$: "
        r"rows $(a, b)$ and $(b, a)$ are equal.",
    )


def distance_figure():
    """∂vec_r D/∂vec_r X for a fixed 2×2 X and 3×2 Y: 6×4, a 3×2 block per row of X."""
    X = np.array([[0.4, -0.6], [1.1, 0.2]])  # N×d = 2×2, square
    Y = np.array([[-0.3, 0.8], [0.5, 0.5], [1.4, -0.9]])  # M×d = 3×2
    jacobian, _ = squared_distance_jacobians(X, Y)
    return Figure(
        matrix=jacobian,
        of=lambda Z: squared_distances(Z, Y),
        at=X,
        structure="block-diagonal",
        rows="outputs D_{ab}, row by row",
        columns="inputs X_{pq}, row by row",
        alt=f"The {size(jacobian)} Jacobian of the squared distances D by X, two rows of X "
        "against three of Y: block-diagonal, one 3×2 block per row of X, zero elsewhere.",
        caption=r"Row $a$ of $D$ depends on row $a$ of $X$ alone: block $a$ is "
        r"$2(\mathbf{1}_M x_a - Y)$.",
        blocks=((3, 2), (3, 2)),
    )


if __name__ == "__main__":
    # --8<-- [start:gram_setup]
    rng = np.random.default_rng(0)
    N, M, d = 4, 3, 2  # 4 and 3 points in 2 dimensions
    X = rng.standard_normal((N, d))  # 4×2
    Y = rng.standard_normal((M, d))  # 3×2
    G = rng.standard_normal((N, N))  # ∂L/∂K, 4×4, not symmetric
    G_c = rng.standard_normal((N, M))  # ∂L/∂(XYᵀ), 4×3
    # --8<-- [end:gram_setup]

    # --8<-- [start:gram_check]
    numeric = numerical_jacobian(gram, X)  # 16×8
    assert compare("∂K/∂X vs finite differences", gram_jacobian(X), numeric)
    vjp = (G.ravel() @ numeric).reshape(X.shape)
    assert compare("(G + Gᵀ) X vs g @ numeric Jacobian", gram_vjp(X, G), vjp)
    by_x, by_y = cross_gram_jacobians(X, Y)
    grad_x, grad_y = cross_gram_vjp(X, Y, G_c)
    numeric = numerical_jacobian(lambda Z: Z @ Y.T, X)  # 12×8
    assert compare("∂(XYᵀ)/∂X = I ⊗ Y", by_x, numeric)
    assert compare("G Y", grad_x, (G_c.ravel() @ numeric).reshape(X.shape))
    numeric = numerical_jacobian(lambda Z: X @ Z.T, Y)  # 12×6
    assert compare("∂(XYᵀ)/∂Y vs finite differences", by_y, numeric)
    assert compare("Gᵀ X", grad_y, (G_c.ravel() @ numeric).reshape(Y.shape))
    # --8<-- [end:gram_check]

    # --8<-- [start:gram_mistake]
    numeric = numerical_jacobian(gram, X)  # 16×8
    reference = (G.ravel() @ numeric).reshape(X.shape)
    compare("2 G X (Gᵀ forgotten)", 2 * G @ X, reference)
    S = (G + G.T) / 2  # a symmetric upstream gradient
    reference = (S.ravel() @ numeric).reshape(X.shape)
    compare("2 S X, S symmetric", 2 * S @ X, reference)
    # --8<-- [end:gram_mistake]

    # --8<-- [start:distance_setup]
    rng = np.random.default_rng(1)
    N, M, d = 4, 5, 3  # 4 points against 5, in 3 dimensions
    X = rng.standard_normal((N, d))  # 4×3
    Y = rng.standard_normal((M, d))  # 5×3
    G = rng.standard_normal((N, M))  # ∂L/∂D, 4×5
    G_s = rng.standard_normal((N, N))  # ∂L/∂D for D(X, X), 4×4
    # --8<-- [end:distance_setup]

    # --8<-- [start:distance_check]
    by_x, by_y = squared_distance_jacobians(X, Y)
    grad_x, grad_y = squared_distance_vjp(X, Y, G)
    numeric = numerical_jacobian(lambda Z: squared_distances(Z, Y), X)  # 20×12
    assert compare("∂D/∂X vs finite differences", by_x, numeric)
    vjp = (G.ravel() @ numeric).reshape(X.shape)
    assert compare("2(Diag(G𝟏) X − G Y) vs g @ numeric", grad_x, vjp)
    numeric = numerical_jacobian(lambda Z: squared_distances(X, Z), Y)  # 20×15
    assert compare("∂D/∂Y vs finite differences", by_y, numeric)
    vjp = (G.ravel() @ numeric).reshape(Y.shape)
    assert compare("2(Diag(Gᵀ𝟏) Y − Gᵀ X) vs g @ numeric", grad_y, vjp)
    numeric = numerical_jacobian(lambda Z: squared_distances(Z, Z), X)  # 16×12
    vjp = (G_s.ravel() @ numeric).reshape(X.shape)
    assert compare("X = Y: 2(Diag(S𝟏) − S) X", self_squared_distance_vjp(X, G_s), vjp)
    both = sum(squared_distance_vjp(X, X, G_s))  # ∂L/∂X + ∂L/∂Y at Y = X
    assert compare("X = Y: the two VJPs added", both, vjp)
    # --8<-- [end:distance_check]

    # --8<-- [start:distance_mistake]
    numeric = numerical_jacobian(lambda Z: squared_distances(Z, Z), X)  # 16×12
    reference = (G_s.ravel() @ numeric).reshape(X.shape)
    first, _ = squared_distance_vjp(X, X, G_s)  # as if Y were another array
    compare("X = Y: only ∂L/∂X, Y held fixed", first, reference)
    # --8<-- [end:distance_mistake]
