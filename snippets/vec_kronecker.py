"""vec and Kronecker: Jacobians of matrix-valued functions of a matrix, and their VJPs.

Shapes: X is n×m. In AXB, A is k×n and B is m×p, so AXB is k×p; in XBX the fixed B is m×n, so
XBX is n×m; XᵀX is m×m and XXᵀ is n×n. vec stacks columns (numpy order="F") into a column;
vec_r stacks rows (numpy's default, what ravel and reshape do). A Jacobian ∂vec F/∂vec X has one
row per entry of F and one column per entry of X (numerator layout, docs/conventions.md); the
upstream gradient G = ∂L/∂F has the shape of F, and every VJP returns the shape of X.
Run ``python -m snippets.vec_kronecker`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def vec(M):
    """The textbook vec: the columns of M (r×s) stacked into one rs×1 column (order="F")."""
    return M.reshape(-1, 1, order="F")


def unvec(v, rows, cols):
    """The inverse of vec: the rows·cols entries of v put back column by column, rows×cols."""
    return v.reshape(rows, cols, order="F")


def vec_r(M):
    """Row-major vec: the rows of M laid end to end as one column; M.ravel() holds the same."""
    return M.reshape(-1, 1)


def commutation_matrix(r, s):
    """K_rs, rs×rs, with K_rs vec(M) = vec(Mᵀ) = vec_r(M) for every r×s matrix M."""
    K = np.zeros((r * s, r * s))
    for i in range(r):
        for j in range(s):
            K[j + i * s, i + j * r] = 1.0  # entry M_ij: at i + jr in vec M, at j + is in vec Mᵀ
    return K


def kronecker_sum(P, Q):
    """P ⊕ Q = P ⊗ I + I ⊗ Q for square P (r×r) and Q (s×s): rs×rs."""
    return np.kron(P, np.eye(len(Q))) + np.kron(np.eye(len(P)), Q)


def numerical_vjp(f, X, G):
    """G contracted with the finite-difference Jacobian of f at X: the shape of X."""
    return (G.ravel() @ numerical_jacobian(f, X)).reshape(X.shape)


def axb_jacobian(A, B):
    """∂vec(AXB)/∂vec(X) = Bᵀ ⊗ A, (k·p)×(n·m), for A k×n and B m×p (column-major vec)."""
    return np.kron(B.T, A)


def axb_jacobian_row_major(A, B):
    """∂vec_r(AXB)/∂vec_r(X) = A ⊗ Bᵀ, (k·p)×(n·m): the same numbers, rows and columns permuted."""
    return np.kron(A, B.T)


def axb_vjp(A, B, G):
    """∂L/∂X for F = AXB from G = ∂L/∂F (k×p): AᵀGBᵀ, n×m."""
    return A.T @ G @ B.T


def xtx_jacobian(X):
    """∂vec(XᵀX)/∂vec(X) = (I + K_mm)(I_m ⊗ Xᵀ), m²×nm, for X n×m."""
    m = X.shape[1]
    return (np.eye(m * m) + commutation_matrix(m, m)) @ np.kron(np.eye(m), X.T)


def xtx_vjp(X, G):
    """∂L/∂X for F = XᵀX from G (m×m, symmetric or not): X(G + Gᵀ), n×m."""
    return X @ (G + G.T)


def xxt_jacobian(X):
    """∂vec(XXᵀ)/∂vec(X) = (I + K_nn)(X ⊗ I_n), n²×nm, for X n×m."""
    n = X.shape[0]
    return (np.eye(n * n) + commutation_matrix(n, n)) @ np.kron(X, np.eye(n))


def xxt_vjp(X, G):
    """∂L/∂X for F = XXᵀ from G (n×n, symmetric or not): (G + Gᵀ)X, n×m."""
    return (G + G.T) @ X


def xbx_jacobian(X, B):
    """∂vec(XBX)/∂vec(X) = (BX)ᵀ ⊕ XB = (BX)ᵀ ⊗ I_n + I_m ⊗ XB, nm×nm, for X n×m, B m×n."""
    return kronecker_sum((B @ X).T, X @ B)


def xbx_jacobian_row_major(X, B):
    """∂vec_r(XBX)/∂vec_r(X) = XB ⊕ (BX)ᵀ = XB ⊗ I_m + I_n ⊗ (BX)ᵀ: each Kronecker factor pair
    swapped, nm×nm."""
    return kronecker_sum(X @ B, (B @ X).T)


def xbx_vjp(X, B, G):
    """∂L/∂X for F = XBX from G (n×m): G(BX)ᵀ + (XB)ᵀG, n×m."""
    return G @ (B @ X).T + (X @ B).T @ G


# --8<-- [end:functions]


# --8<-- [start:quadratic_functions]
def quadratic_form(X, B, a, c):
    """a X B Xᵀ cᵀ for rows a and c (1×n), X n×m and B m×m: a number."""
    return (a @ X @ B @ X.T @ c.T)[0, 0]


def quadratic_form_matrix(B, a, c):
    """Bᵀ ⊗ cᵀa, nm×nm: a X B Xᵀ cᵀ = vec(X)ᵀ (Bᵀ ⊗ cᵀa) vec(X) for every B."""
    return np.kron(B.T, c.T @ a)


def cookbook_quadratic_form_matrix(B, a, c):
    """B ⊗ cᵀa, the Cookbook's form: right only when B is symmetric or a and c are parallel."""
    return np.kron(B, c.T @ a)


# --8<-- [end:quadratic_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "vec and Kronecker"
CHEAT_SHEET = [
    Row(
        table="Identities and modes",
        operation=r"$AXB$",
        derivative=(
            r"Jacobian $B^\top \otimes A$ (column-major vec; row-major $A \otimes B^\top$); VJP "
            r"$A^\top G B^\top$"
        ),
        functions=("axb_jacobian", "axb_vjp"),
    ),
    Row(
        table="Identities and modes",
        operation=r"$X^\top X$, $XX^\top$",
        derivative=(
            r"Jacobians $(I + K)(I_m \otimes X^\top)$, $(I + K)(X \otimes I_n)$; VJPs "
            r"$X(G + G^\top)$, $(G + G^\top)X$"
        ),
        functions=("xtx_vjp", "xxt_vjp"),
    ),
    Row(
        table="Identities and modes",
        operation=r"$XBX$",
        derivative=(
            r"Jacobian $(BX)^\top \oplus XB$, a Kronecker sum; VJP $G(BX)^\top + (XB)^\top G$"
        ),
        functions=("xbx_jacobian", "xbx_vjp"),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """∂vec(AXB)/∂vec X = Bᵀ ⊗ A (columns stacked) for fixed A (2×3) and B (4×5): 10×12."""
    A = np.array([[1.0, -0.5, 0.8], [0.3, 1.2, -1.0]])
    B = np.array(
        [
            [0.6, -1.1, 0.4, 0.9, -0.2],
            [1.3, 0.5, -0.7, 0.2, 0.8],
            [-0.4, 0.9, 1.0, -0.6, 0.3],
            [0.7, -0.3, 0.5, 1.1, -0.9],
        ]
    )
    X = np.ones((A.shape[1], len(B)))  # n×m = 3×4
    jacobian = axb_jacobian(A, B)
    return Figure(
        matrix=jacobian,
        of=lambda X_transposed: (A @ X_transposed.T @ B).T,  # vec M is vec_r(Mᵀ)
        at=X.T,
        structure="kronecker",
        rows="entries of AXB, column by column",
        columns="entries of X, column by column",
        alt=f"The {size(jacobian)} Jacobian of vec(AXB) with respect to vec X, columns stacked, "
        "for A 2×3, X 3×4 and B 4×5: the Kronecker product Bᵀ ⊗ A, a 5×4 grid of 2×3 blocks, "
        "each an entry of B times A.",
        caption=r"$\partial \operatorname{vec}(AXB)/\partial \operatorname{vec} X = B^\top "
        r"\otimes A$: every entry is an entry of $B$ times an entry of $A$.",
        factors=(B.T, A),
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    k, n, m, p = 2, 4, 3, 5  # pairwise distinct: a misplaced factor cannot hide
    A = rng.standard_normal((k, n))  # left factor of AXB, k×n
    X = rng.standard_normal((n, m))  # the variable, n×m
    B = rng.standard_normal((m, p))  # right factor of AXB, m×p
    B_mid = rng.standard_normal((m, n))  # the fixed middle factor of XBX, m×n
    G_axb = rng.standard_normal((k, p))  # each upstream gradient has its output's shape
    G_xtx = rng.standard_normal((m, m))  # not symmetric
    G_xxt = rng.standard_normal((n, n))  # not symmetric
    G_xbx = rng.standard_normal((n, m))
    # --8<-- [end:setup]

    # --8<-- [start:check]
    # AXB with column-major vec (order="F") on both sides
    assert compare("vec(AXB) = (Bᵀ ⊗ A) vec X", vec(A @ X @ B), axb_jacobian(A, B) @ vec(X))
    numeric = numerical_jacobian(lambda v: vec(A @ unvec(v, n, m) @ B), vec(X))  # (k·p)×(n·m)
    assert compare("∂vec(AXB)/∂vec X = Bᵀ ⊗ A", axb_jacobian(A, B), numeric)

    # numpy's ravel is row-major: X.ravel() is vec_r X = vec(Xᵀ) = K vec X
    K = commutation_matrix(n, m)
    assert compare("X.ravel() = vec(Xᵀ) = K vec X", X.ravel(), (K @ vec(X)).ravel())
    numeric_r = numerical_jacobian(lambda X: A @ X @ B, X)  # the helper ravels: row-major
    assert compare("∂vec_r(AXB)/∂vec_r X = A ⊗ Bᵀ", axb_jacobian_row_major(A, B), numeric_r)
    twin = commutation_matrix(k, p) @ axb_jacobian(A, B) @ K.T
    assert compare("K (Bᵀ ⊗ A) Kᵀ = A ⊗ Bᵀ", twin, axb_jacobian_row_major(A, B))
    reference = numerical_vjp(lambda X: A @ X @ B, X, G_axb)
    assert compare("AXB: VJP AᵀGBᵀ", axb_vjp(A, B, G_axb), reference)

    # XᵀX, XXᵀ and XBX: each Jacobian against finite differences in vec order, then the VJP
    numeric = numerical_jacobian(lambda v: vec(unvec(v, n, m).T @ unvec(v, n, m)), vec(X))
    assert compare("∂vec(XᵀX)/∂vec X = (I + K)(I ⊗ Xᵀ)", xtx_jacobian(X), numeric)
    reference = numerical_vjp(lambda X: X.T @ X, X, G_xtx)
    assert compare("XᵀX: VJP X(G + Gᵀ)", xtx_vjp(X, G_xtx), reference)
    numeric = numerical_jacobian(lambda v: vec(unvec(v, n, m) @ unvec(v, n, m).T), vec(X))
    assert compare("∂vec(XXᵀ)/∂vec X = (I + K)(X ⊗ I)", xxt_jacobian(X), numeric)
    reference = numerical_vjp(lambda X: X @ X.T, X, G_xxt)
    assert compare("XXᵀ: VJP (G + Gᵀ)X", xxt_vjp(X, G_xxt), reference)
    numeric = numerical_jacobian(lambda v: vec(unvec(v, n, m) @ B_mid @ unvec(v, n, m)), vec(X))
    assert compare("∂vec(XBX)/∂vec X = (BX)ᵀ ⊕ XB", xbx_jacobian(X, B_mid), numeric)
    numeric_r = numerical_jacobian(lambda X: X @ B_mid @ X, X)  # row-major
    assert compare("∂vec_r(XBX)/∂vec_r X = XB ⊕ (BX)ᵀ", xbx_jacobian_row_major(X, B_mid), numeric_r)
    reference = numerical_vjp(lambda X: X @ B_mid @ X, X, G_xbx)
    assert compare("XBX: VJP G(BX)ᵀ + (XB)ᵀG", xbx_vjp(X, B_mid, G_xbx), reference)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    F = A @ X @ B  # k×p
    compare("(Bᵀ ⊗ A) X.ravel() (row-major vec)", axb_jacobian(A, B) @ vec_r(X), vec(F))
    reshaped = (axb_jacobian(A, B) @ vec(X)).reshape(k, p)  # reshape refills row by row
    compare("(Bᵀ ⊗ A) vec X, then .reshape(k, p)", reshaped, F)
    compare("(A ⊗ Bᵀ) vec X (factors swapped)", axb_jacobian_row_major(A, B) @ vec(X), vec(F))
    reference = numerical_vjp(lambda X: X.T @ X, X, G_xtx)
    compare("XᵀX: 2XG (Gᵀ dropped, G not symmetric)", 2 * X @ G_xtx, reference)
    reference = numerical_vjp(lambda X: X @ B_mid @ X, X, G_xbx)
    compare("XBX: G(BX)ᵀ (the second X forgotten)", G_xbx @ (B_mid @ X).T, reference)
    # --8<-- [end:mistake]

    # --8<-- [start:quadratic_setup]
    rng = np.random.default_rng(1)
    n, m = 4, 3
    X = rng.standard_normal((n, m))  # n×m
    v = vec(X)  # nm×1, column-major
    a, c = rng.standard_normal((1, n)), rng.standard_normal((1, n))  # rows, not parallel
    B = rng.standard_normal((m, m))  # not symmetric
    B_sym = B + B.T  # symmetric
    # --8<-- [end:quadratic_setup]

    # --8<-- [start:quadratic_check]
    ours = (v.T @ quadratic_form_matrix(B, a, c) @ v)[0, 0]
    assert compare("vec(X)ᵀ(Bᵀ ⊗ cᵀa)vec(X), any B", ours, quadratic_form(X, B, a, c))
    ours = (v.T @ cookbook_quadratic_form_matrix(B_sym, a, c) @ v)[0, 0]
    assert compare("Cookbook's (B ⊗ cᵀa), B symmetric", ours, quadratic_form(X, B_sym, a, c))
    ours = (v.T @ cookbook_quadratic_form_matrix(B, a, a) @ v)[0, 0]
    assert compare("Cookbook's (B ⊗ cᵀa), c = a", ours, quadratic_form(X, B, a, a))
    # --8<-- [end:quadratic_check]

    # --8<-- [start:quadratic_mistake]
    ours = (v.T @ cookbook_quadratic_form_matrix(B, a, c) @ v)[0, 0]
    compare("Cookbook's (B ⊗ cᵀa), B not symmetric, c ≠ a", ours, quadratic_form(X, B, a, c))
    # --8<-- [end:quadratic_mistake]
