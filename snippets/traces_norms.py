"""Traces, norms and quadratic forms: gradients of scalar functions, by differentials.

Convention (docs/conventions.md): ∂f/∂X has the shape of X, entry (i, j) = ∂f/∂X_ij, so that
df = Σ_ij G_ij dX_ij = tr(GᵀdX) with G = ∂f/∂X; vectors are rows.
Shapes: X is n×m (n×n in tr(Xᵏ)), x is 1×n; the constants' shapes are in each docstring and in
the Setup table of docs/traces_norms.md. Sizes n, m, p, q are pairwise distinct in the checks.
Run ``python -m snippets.traces_norms`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def numerical_gradient(f, X):
    """∂f/∂X by central differences: the 1×(size of X) Jacobian of a scalar f, in X's shape."""
    return numerical_jacobian(f, X).reshape(X.shape)


def form(u, C, v):
    """The number u C vᵀ, for rows u (1×p) and v (1×q) and a p×q matrix C."""
    return (u @ C @ v.T)[0, 0]


# Gradient of a trace
def trace_linear_gradient(A):
    """∂ tr(AX)/∂X = ∂ tr(XA)/∂X = Aᵀ; A is m×n, X is n×m."""
    return A.T


def trace_axb_gradient(A, B):
    """∂ tr(AXB)/∂X = AᵀBᵀ; A is p×n, X is n×m, B is m×p."""
    return A.T @ B.T


def trace_axtb_gradient(A, B):
    """∂ tr(AXᵀB)/∂X = BA; A is p×m, X is n×m, B is n×p."""
    return B @ A


def trace_xtax_gradient(A, X):
    """∂ tr(XᵀAX)/∂X = (A + Aᵀ)X; A is n×n."""
    return (A + A.T) @ X


def trace_xaxt_gradient(A, X):
    """∂ tr(XAXᵀ)/∂X = X(A + Aᵀ); A is m×m."""
    return X @ (A + A.T)


def trace_xtbxc_gradient(B, C, X):
    """∂ tr(XᵀBXC)/∂X = BXC + BᵀXCᵀ; B is n×n, C is m×m."""
    return B @ X @ C + B.T @ X @ C.T


def trace_axbx_gradient(A, B, X):
    """∂ tr(AXBX)/∂X = AᵀXᵀBᵀ + BᵀXᵀAᵀ; A and B are m×n, X is n×m."""
    return A.T @ X.T @ B.T + B.T @ X.T @ A.T


def trace_power_gradient(X, k):
    """∂ tr(Xᵏ)/∂X = k (Xᵏ⁻¹)ᵀ; X is n×n, k ≥ 1."""
    return k * np.linalg.matrix_power(X, k - 1).T


# Gradient of a Frobenius norm
def squared_frobenius_gradient(X):
    """∂ ‖X‖²_F/∂X = ∂ tr(XᵀX)/∂X = 2X."""
    return 2 * X


def frobenius_norm_gradient(X):
    """∂ ‖X‖_F/∂X = X/‖X‖_F; there is none at X = 0, where the norm has a corner."""
    norm = np.linalg.norm(X)
    if norm == 0:
        raise ValueError("‖X‖_F has no gradient at X = 0")
    return X / norm


def least_squares_gradient(A, X, B):
    """∂ ‖AX − B‖²_F/∂X = 2Aᵀ(AX − B); A is p×n, X is n×m, B is p×m."""
    return 2 * A.T @ (A @ X - B)


def transpose_residual_gradient(A, X):
    """∂ ‖Xᵀ − A‖²_F/∂X = 2(X − Aᵀ); A is m×n."""
    return 2 * (X - A.T)


def gram_norm_gradient(X):
    """∂ ‖XᵀX‖²_F/∂X = 4XXᵀX; X is n×m."""
    return 4 * X @ X.T @ X


# Gradient of a quadratic form (vectors are rows)
def bilinear_gradient(a, b):
    """∂ (a X bᵀ)/∂X = aᵀb, an outer product; a is 1×n, b is 1×m."""
    return np.outer(a, b)


def transposed_bilinear_gradient(a, b):
    """∂ (a Xᵀ bᵀ)/∂X = bᵀa, an outer product; a is 1×m, b is 1×n."""
    return np.outer(b, a)


def quadratic_form_gradient(x, A):
    """∂ (x A xᵀ)/∂x = x(A + Aᵀ), a row; x is 1×n, A is n×n. 2xA only if A = Aᵀ."""
    return x @ (A + A.T)


def affine_bilinear_gradient(x, A, b, C, D, d):
    """∂ (xA + b) C (xD + d)ᵀ/∂x = (xD + d)CᵀAᵀ + (xA + b)CDᵀ, a row; x is 1×n, A is n×p,
    b is 1×p, C is p×q, D is n×q, d is 1×q."""
    return (x @ D + d) @ C.T @ A.T + (x @ A + b) @ C @ D.T


def weighted_bilinear_gradient(b, X, D, c):
    """∂ (b Xᵀ D X cᵀ)/∂X = DᵀXbᵀc + DXcᵀb; b and c are 1×m, D is n×n."""
    return np.outer(D.T @ X @ b.T, c) + np.outer(D @ X @ c.T, b)


def affine_quadratic_gradient(b, X, c, D):
    """∂ r D rᵀ/∂X for the row r = bXᵀ + c: (D + Dᵀ)rᵀb; b is 1×m, c is 1×n, D is n×n.
    2Drᵀb only if D = Dᵀ."""
    r = b @ X.T + c
    return np.outer((D + D.T) @ r.T, b)


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "traces and norms"
CHEAT_SHEET = [
    Row(
        table="Identities and modes",
        operation=r"$\operatorname{tr}(AXB)$, $\operatorname{tr}(AX^\top B)$",
        derivative=r"$A^\top B^\top$, $BA$",
        functions=("trace_axb_gradient", "trace_axtb_gradient"),
    ),
    Row(
        table="Identities and modes",
        operation=r"$\operatorname{tr}(XAX^\top)$, $\operatorname{tr}(X^\top BXC)$",
        derivative=r"$X(A + A^\top)$, $BXC + B^\top XC^\top$",
        functions=("trace_xaxt_gradient", "trace_xtbxc_gradient"),
    ),
    Row(
        table="Identities and modes",
        operation=r"$\operatorname{tr}(AXBX)$",
        derivative=r"$A^\top X^\top B^\top + B^\top X^\top A^\top$",
        functions=("trace_axbx_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$\operatorname{tr}(X^k)$",
        derivative=r"$k\,(X^{k-1})^\top$",
        functions=("trace_power_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$\lVert X \rVert_F$",
        derivative=r"$X/\lVert X \rVert_F$, none at $X = 0$",
        functions=("frobenius_norm_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$\lVert AX - B \rVert_F^2$, $\lVert X^\top - A \rVert_F^2$",
        derivative=r"$2A^\top(AX - B)$, $2(X - A^\top)$",
        functions=("least_squares_gradient", "transpose_residual_gradient"),
    ),
    Row(
        table="Identities and modes",
        operation=r"$\lVert X^\top X \rVert_F^2$",
        derivative=r"$4XX^\top X$",
        functions=("gram_norm_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$aX^\top b^\top$ ($a$, $b$ rows)",
        derivative=r"$b^\top a$",
        functions=("transposed_bilinear_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$xAx^\top$ ($x$ a row; gradient $1 \times n$)",
        derivative=r"$x(A + A^\top)$; $2xA$ only for a symmetric $A$",
        functions=("quadratic_form_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$(xA + b)\,C\,(xD + d)^\top$ ($x$ a row)",
        derivative=r"$(xD + d)C^\top A^\top + (xA + b)CD^\top$",
        functions=("affine_bilinear_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$bX^\top DXc^\top$",
        derivative=r"$D^\top Xb^\top c + DXc^\top b$",
        functions=("weighted_bilinear_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$rDr^\top$, $r = bX^\top + c$",
        derivative=r"$(D + D^\top)\,r^\top b$; $2Dr^\top b$ only for a symmetric $D$",
        functions=("affine_quadratic_gradient",),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """The Jacobian of the gradient x ↦ x(A + Aᵀ) of xAxᵀ (its Hessian), fixed A (4×4): 4×4."""
    A = np.array(
        [
            [1.0, -2.0, 0.5, 0.3],
            [0.4, 0.8, -1.5, 1.2],
            [-0.6, 1.1, 0.2, -0.9],
            [1.4, -0.3, 0.7, 0.6],
        ]
    )
    x = np.array([[0.5, -1.0, 2.0, 0.3]])
    basis = np.eye(len(A))[:, None, :]  # the rows e_i, 1×n each
    jacobian = np.vstack([quadratic_form_gradient(e, A) for e in basis]).T  # linear in x
    return Figure(
        matrix=jacobian,
        of=lambda v: quadratic_form_gradient(v, A),
        at=x,
        structure="symmetric",
        rows="gradient entries ∂f/∂x_i",
        columns="inputs x_j",
        alt=f"The {size(jacobian)} Jacobian of the gradient x(A + Aᵀ) of xAxᵀ, its Hessian: "
        "symmetric, A + Aᵀ, although A itself is not.",
        caption=r"The Hessian of $x A x^\top$ is $A + A^\top$, symmetric whatever $A$ is: the two "
        r"terms of the gradient merge into $2xA$ only when $A$ is symmetric too.",
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    n, m, p, q = 4, 3, 2, 5  # pairwise distinct: a misplaced transpose changes a shape
    X = rng.standard_normal((n, m))  # the matrix variable, 4×3
    S = rng.standard_normal((n, n))  # a square variable, for tr(X³), 4×4
    x = rng.standard_normal((1, n))  # the vector variable, a row, 1×4

    def draw(*shapes):
        return [rng.standard_normal(shape) for shape in shapes]

    # constants named by their shape (A_pn is p×n); no square one is symmetric
    A_mn, B_mn, A_pn, B_mp, A_pm, B_np = draw((m, n), (m, n), (p, n), (m, p), (p, m), (n, p))
    A_nn, A_mm, B_nn, C_mm, B_pm = draw((n, n), (m, m), (n, n), (m, m), (p, m))
    A_np, C_pq, D_nq, D_nn = draw((n, p), (p, q), (n, q), (n, n))
    A_nq, C_qq = draw((n, q), (q, q))
    a_n, b_n, c_n, a_m, b_m, c_m = draw((1, n), (1, n), (1, n), (1, m), (1, m), (1, m))
    b_p, b_q, d_q = draw((1, p), (1, q), (1, q))
    # --8<-- [end:setup]

    # --8<-- [start:check]
    # Gradient of a trace
    numeric = numerical_gradient(lambda Y: np.trace(A_mn @ Y), X)
    assert compare("tr(AX) → Aᵀ", trace_linear_gradient(A_mn), numeric)
    numeric = numerical_gradient(lambda Y: np.trace(Y @ A_mn), X)
    assert compare("tr(XA) → Aᵀ", trace_linear_gradient(A_mn), numeric)
    numeric = numerical_gradient(lambda Y: np.trace(A_pn @ Y @ B_mp), X)
    assert compare("tr(AXB) → AᵀBᵀ", trace_axb_gradient(A_pn, B_mp), numeric)
    numeric = numerical_gradient(lambda Y: np.trace(A_pm @ Y.T @ B_np), X)
    assert compare("tr(AXᵀB) → BA", trace_axtb_gradient(A_pm, B_np), numeric)
    numeric = numerical_gradient(lambda Y: np.trace(Y.T @ A_nn @ Y), X)
    assert compare("tr(XᵀAX) → (A + Aᵀ)X", trace_xtax_gradient(A_nn, X), numeric)
    numeric = numerical_gradient(lambda Y: np.trace(Y @ A_mm @ Y.T), X)
    assert compare("tr(XAXᵀ) → X(A + Aᵀ)", trace_xaxt_gradient(A_mm, X), numeric)
    numeric = numerical_gradient(lambda Y: np.trace(Y.T @ B_nn @ Y @ C_mm), X)
    assert compare("tr(XᵀBXC) → BXC + BᵀXCᵀ", trace_xtbxc_gradient(B_nn, C_mm, X), numeric)
    numeric = numerical_gradient(lambda Y: np.trace(A_mn @ Y @ B_mn @ Y), X)
    assert compare("tr(AXBX) → AᵀXᵀBᵀ + BᵀXᵀAᵀ", trace_axbx_gradient(A_mn, B_mn, X), numeric)
    numeric = numerical_gradient(lambda Y: np.trace(Y @ Y @ Y), S)
    assert compare("tr(X³) → 3(X²)ᵀ", trace_power_gradient(S, 3), numeric)
    numeric = numerical_gradient(lambda Y: np.trace(Y.T @ Y), X)
    assert compare("tr(XᵀX) → 2X", squared_frobenius_gradient(X), numeric)
    # Gradient of a Frobenius norm
    numeric = numerical_gradient(lambda Y: np.sum(Y**2), X)
    assert compare("‖X‖²_F → 2X", squared_frobenius_gradient(X), numeric)
    numeric = numerical_gradient(np.linalg.norm, X)
    assert compare("‖X‖_F → X/‖X‖_F", frobenius_norm_gradient(X), numeric)
    numeric = numerical_gradient(lambda Y: np.sum((A_pn @ Y - B_pm) ** 2), X)
    assert compare("‖AX − B‖²_F → 2Aᵀ(AX − B)", least_squares_gradient(A_pn, X, B_pm), numeric)
    numeric = numerical_gradient(lambda Y: np.sum((Y.T - A_mn) ** 2), X)
    assert compare("‖Xᵀ − A‖²_F → 2(X − Aᵀ)", transpose_residual_gradient(A_mn, X), numeric)
    numeric = numerical_gradient(lambda Y: np.sum((Y.T @ Y) ** 2), X)
    assert compare("‖XᵀX‖²_F → 4XXᵀX", gram_norm_gradient(X), numeric)
    # Gradient of a quadratic form
    numeric = numerical_gradient(lambda Y: form(a_n, Y, b_m), X)
    assert compare("a X bᵀ → aᵀb", bilinear_gradient(a_n, b_m), numeric)
    numeric = numerical_gradient(lambda Y: form(a_m, Y.T, b_n), X)
    assert compare("a Xᵀ bᵀ → bᵀa", transposed_bilinear_gradient(a_m, b_n), numeric)
    numeric = numerical_gradient(lambda y: form(y, A_nn, y), x)
    assert compare("x A xᵀ → x(A + Aᵀ)", quadratic_form_gradient(x, A_nn), numeric)
    numeric = numerical_gradient(lambda y: form(y @ A_np + b_p, C_pq, y @ D_nq + d_q), x)
    ours = affine_bilinear_gradient(x, A_np, b_p, C_pq, D_nq, d_q)
    assert compare("(xA + b)C(xD + d)ᵀ → (xD + d)CᵀAᵀ + (xA + b)CDᵀ", ours, numeric)
    numeric = numerical_gradient(lambda Y: form(b_m @ Y.T, D_nn, c_m @ Y.T), X)
    ours = weighted_bilinear_gradient(b_m, X, D_nn, c_m)
    assert compare("b XᵀDX cᵀ → DᵀXbᵀc + DXcᵀb", ours, numeric)
    numeric = numerical_gradient(lambda Y: form(b_m @ Y.T + c_n, D_nn, b_m @ Y.T + c_n), X)
    ours = affine_quadratic_gradient(b_m, X, c_n, D_nn)
    assert compare("r D rᵀ, r = bXᵀ + c → (D + Dᵀ)rᵀb", ours, numeric)
    # The shortcuts with a 2, for a symmetric matrix in the middle
    A_sym, C_sym, D_sym = (A_nn + A_nn.T) / 2, (C_qq + C_qq.T) / 2, (D_nn + D_nn.T) / 2
    numeric = numerical_gradient(lambda y: form(y, A_sym, y), x)
    assert compare("x A xᵀ → 2xA, A symmetric", 2 * x @ A_sym, numeric)
    u = x @ A_nq + b_q  # 1×q
    numeric = numerical_gradient(lambda y: form(y @ A_nq + b_q, C_sym, y @ A_nq + b_q), x)
    assert compare("u C uᵀ, u = xA + b → 2uCAᵀ, C symmetric", 2 * u @ C_sym @ A_nq.T, numeric)
    r = b_m @ X.T + c_n  # 1×n
    numeric = numerical_gradient(lambda Y: form(b_m @ Y.T + c_n, D_sym, b_m @ Y.T + c_n), X)
    assert compare("r D rᵀ → 2Drᵀb, D symmetric", 2 * np.outer(D_sym @ r.T, b_m), numeric)
    # A loss on top, L = g f: the upstream gradient g = ∂L/∂f is a scalar
    g = 0.7
    J = numerical_jacobian(np.linalg.norm, X)  # the 1×12 Jacobian of f = ‖X‖_F
    reference = (g * J).reshape(n, m)  # g J, laid out in the shape of X
    assert compare("VJP g X/‖X‖_F, g a scalar", g * frobenius_norm_gradient(X), reference)
    J = numerical_jacobian(lambda Y: A_pn @ Y, X)  # R = AX − B moves as AX: ∂vec_r R/∂vec_r X, 6×12
    assert compare("∂vec_r(AX − B)/∂vec_r X = A ⊗ I_m", np.kron(A_pn, np.eye(m)), J)
    G_R = 2 * (A_pn @ X - B_pm)  # the norm's upstream gradient ∂L/∂R, p×m
    reference = (G_R.ravel() @ J).reshape(n, m)  # vec_r(G_R)ᵀ (A ⊗ I_m), laid out as X
    assert compare(
        "VJP vec_r(2R)ᵀ(A ⊗ I_m) = 2Aᵀ(AX − B)", least_squares_gradient(A_pn, X, B_pm), reference
    )
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    numeric = numerical_gradient(lambda y: form(y, A_nn, y), x)
    compare("x A xᵀ → 2xA (A not symmetric)", 2 * x @ A_nn, numeric)
    numeric = numerical_gradient(lambda Y: np.trace(A_pm @ Y.T @ B_np), X)
    compare("tr(AXᵀB) → AᵀBᵀ (transpose missing)", A_pm.T @ B_np.T, numeric)
    u = x @ A_nq + b_q  # 1×q
    numeric = numerical_gradient(lambda y: form(y @ A_nq + b_q, C_qq, y @ A_nq + b_q), x)
    compare("u C uᵀ, u = xA + b → 2uCAᵀ (C not symmetric)", 2 * u @ C_qq @ A_nq.T, numeric)
    r = b_m @ X.T + c_n  # 1×n
    numeric = numerical_gradient(lambda Y: form(b_m @ Y.T + c_n, D_nn, b_m @ Y.T + c_n), X)
    compare("r D rᵀ → 2Drᵀb (D not symmetric)", 2 * np.outer(D_nn @ r.T, b_m), numeric)
    # --8<-- [end:mistake]
