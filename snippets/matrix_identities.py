"""Matrix identities by differentials: gradients of scalar functions of a matrix.

Convention (docs/conventions.md): ∂f/∂X has the shape of X, entry (i, j) = ∂f/∂X_ij, so that
df = Σ_ij G_ij dX_ij = tr(GᵀdX) = G : dX with G = ∂f/∂X.
Shapes: X is n×m (square n×n for det, log|det| and the inverse), A is m×n in tr(AX) and n×n in
tr(XᵀAX), the rows a and b are 1×n and 1×m in a X bᵀ; in ‖X − UV‖_F², U is n×k and V is k×m.
A direction E has the shape of the variable it moves.
Run ``python -m snippets.matrix_identities`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def directional_derivatives(f, X, directions, step=1e-6):
    """(f(X + εE) − f(X − εE)) / 2ε for each direction E, stacked: f's derivative along E."""
    return np.array([(f(X + step * E) - f(X - step * E)) / (2 * step) for E in directions])


def frobenius_products(G, directions):
    """G : E = tr(GᵀE) = Σ_ij G_ij E_ij for each direction E (the shape of G), stacked."""
    return np.array([np.sum(G * E) for E in directions])


def trace_of_product_gradient(A, X):
    """∂ tr(AX)/∂X = Aᵀ; A is m×n, X is n×m, the result n×m."""
    return A.T


def trace_quadratic_gradient(A, X):
    """∂ tr(XᵀAX)/∂X = (A + Aᵀ)X; A is n×n, X is n×m, the result n×m."""
    return (A + A.T) @ X


def bilinear_gradient(a, b):
    """∂ (a X bᵀ)/∂X = aᵀb, the outer product; a is 1×n, b is 1×m, the result n×m."""
    return a.T @ b


def squared_norm_gradient(X):
    """∂ ‖X‖_F²/∂X = 2X."""
    return 2 * X


def determinant_gradient(X):
    """∂ det X/∂X = det(X) X⁻ᵀ; X is n×n and invertible."""
    return np.linalg.det(X) * np.linalg.inv(X).T


def log_abs_determinant(X):
    """log |det X| (= log det X when det X > 0), without overflow: numpy's slogdet."""
    return np.linalg.slogdet(X)[1]


def log_abs_determinant_gradient(X):
    """∂ log |det X|/∂X = X⁻ᵀ."""
    return np.linalg.inv(X).T


def inverse_differential(X, E):
    """d(X⁻¹) along the direction E: −X⁻¹ E X⁻¹, n×n."""
    X_inverse = np.linalg.inv(X)
    return -X_inverse @ E @ X_inverse


def inverse_jacobian(X):
    """∂vec(X⁻¹)/∂vec(X), both flattened row by row: −X⁻¹ ⊗ X⁻ᵀ, n²×n²."""
    X_inverse = np.linalg.inv(X)
    return -np.kron(X_inverse, X_inverse.T)


def inverse_vjp(X, G):
    """∂L/∂X from G = ∂L/∂(X⁻¹) without the n²×n² Jacobian: −X⁻ᵀ G X⁻ᵀ, n×n."""
    X_inverse_T = np.linalg.inv(X).T
    return -X_inverse_T @ G @ X_inverse_T


def low_rank_loss(X, U, V):
    """‖X − UV‖_F², a scalar; X is n×m, U is n×k, V is k×m."""
    return np.sum((X - U @ V) ** 2)


def low_rank_gradients(X, U, V):
    """(∂f/∂U, ∂f/∂V) of f = ‖X − UV‖_F²: −2(X − UV)Vᵀ (n×k) and −2Uᵀ(X − UV) (k×m)."""
    residual = X - U @ V
    return -2 * residual @ V.T, -2 * U.T @ residual


# --8<-- [end:functions]


# --8<-- [start:symmetric_functions]
def symmetric_part(G):
    """sym(G) = (G + Gᵀ)/2: the gradient of f among symmetric matrices, if G = ∂f/∂X."""
    return (G + G.T) / 2


def free_entry_partials(G):
    """∂f/∂X_ij with X_ij = X_ji moved together, for every i, j: G_ii on the diagonal,
    G_ij + G_ji off it. As a matrix, 2 sym(G) − I ∘ G. Not a gradient for ':'."""
    return 2 * symmetric_part(G) - np.eye(len(G)) * G


def free_entry_direction(i, j, n):
    """The symmetric direction that moves the free entry X_ij = X_ji alone: n×n, ones at
    (i, j) and (j, i), a single one when i = j."""
    E = np.zeros((n, n))
    E[i, j] = E[j, i] = 1.0
    return E


# --8<-- [end:symmetric_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "identities"
CHEAT_SHEET = [
    Row(
        table="Identities and modes",
        operation=r"$\operatorname{tr}(AX)$",
        derivative=r"$A^\top$",
        functions=("trace_of_product_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$\operatorname{tr}(X^\top A X)$",
        derivative=r"$(A + A^\top)X$",
        functions=("trace_quadratic_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$aXb^\top$ ($a$, $b$ rows)",
        derivative=r"$a^\top b$",
        functions=("bilinear_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$\lVert X \rVert_F^2$",
        derivative=r"$2X$",
        functions=("squared_norm_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$\det X$, $\log\lvert\det X\rvert$",
        derivative=r"$\det(X)\,X^{-\top}$, $X^{-\top}$",
        functions=("determinant_gradient", "log_abs_determinant_gradient"),
    ),
    Row(
        table="Identities and modes",
        operation=r"$X^{-1}$",
        derivative=r"$d(X^{-1}) = -X^{-1}\,dX\,X^{-1}$; VJP $-X^{-\top}G X^{-\top}$",
        functions=("inverse_vjp",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$\lVert X - UV \rVert_F^2$",
        derivative=r"$-2(X - UV)V^\top$, $-2U^\top(X - UV)$",
        functions=("low_rank_gradients",),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """∂vec_r(X⁻¹)/∂vec_r X = −X⁻¹ ⊗ X⁻ᵀ at a fixed invertible 4×4 X: 16×16."""
    X = np.array(
        [
            [2.0, -0.5, 0.3, 0.8],
            [0.6, 1.8, -0.7, 0.2],
            [-0.4, 0.9, 2.2, -0.6],
            [0.5, -0.3, 0.4, 1.6],
        ]
    )
    X_inverse, n = np.linalg.inv(X), len(X)
    jacobian = inverse_jacobian(X)
    return Figure(
        matrix=jacobian,
        of=np.linalg.inv,
        at=X,
        structure="kronecker",
        rows="entries (X⁻¹)_{kl}, row by row",
        columns="entries X_{ij}, row by row",
        alt=f"The {size(jacobian)} Jacobian of the inverse of a {n}×{n} matrix X, both flattened "
        f"row by row: the Kronecker product −X⁻¹ ⊗ X⁻ᵀ, a {n}×{n} grid of {n}×{n} blocks, each "
        "block an entry of −X⁻¹ times X⁻ᵀ.",
        caption=r"$dY = -X^{-1}\, dX\, X^{-1}$ flattened row by row is $-X^{-1} \otimes "
        r"X^{-\top}$: one Kronecker product, all from $X^{-1}$.",
        factors=(-X_inverse, X_inverse.T),
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    n, m, k = 4, 3, 2
    X = rng.standard_normal((n, m))  # a rectangular variable, 4×3
    A_left = rng.standard_normal((m, n))  # A in tr(AX), 3×4
    A = rng.standard_normal((n, n))  # A in tr(XᵀAX), 4×4, not symmetric
    a, b = rng.standard_normal((1, n)), rng.standard_normal((1, m))  # rows, 1×4 and 1×3
    S = rng.standard_normal((n, n)) + n * np.eye(n)  # square, invertible, not symmetric
    U, V = rng.standard_normal((n, k)), rng.standard_normal((k, m))  # factors, 4×2 and 2×3
    directions = rng.standard_normal((5, n, m))  # five random directions for X, each 4×3
    square_directions = rng.standard_normal((5, n, n))  # five for S, each 4×4
    directions_u = rng.standard_normal((5, n, k))  # five for U, each 4×2
    directions_v = rng.standard_normal((5, k, m))  # five for V, each 2×3
    # --8<-- [end:setup]

    # --8<-- [start:check]
    ours = frobenius_products(trace_of_product_gradient(A_left, X), directions)
    numeric = directional_derivatives(lambda Y: np.trace(A_left @ Y), X, directions)
    assert compare("tr(AX) → Aᵀ", ours, numeric)
    ours = frobenius_products(trace_quadratic_gradient(A, X), directions)
    numeric = directional_derivatives(lambda Y: np.trace(Y.T @ A @ Y), X, directions)
    assert compare("tr(XᵀAX) → (A + Aᵀ)X", ours, numeric)
    ours = frobenius_products(bilinear_gradient(a, b), directions)
    numeric = directional_derivatives(lambda Y: (a @ Y @ b.T)[0, 0], X, directions)
    assert compare("a X bᵀ → aᵀb", ours, numeric)
    ours = frobenius_products(squared_norm_gradient(X), directions)
    numeric = directional_derivatives(lambda Y: np.sum(Y**2), X, directions)
    assert compare("‖X‖²_F → 2X", ours, numeric)
    ours = frobenius_products(determinant_gradient(S), square_directions)
    numeric = directional_derivatives(np.linalg.det, S, square_directions)
    assert compare("det X → det(X) X⁻ᵀ", ours, numeric)
    ours = frobenius_products(log_abs_determinant_gradient(S), square_directions)
    numeric = directional_derivatives(log_abs_determinant, S, square_directions)
    assert compare("log|det X| → X⁻ᵀ", ours, numeric)
    ours = np.array([inverse_differential(S, E) for E in square_directions])  # 5×4×4
    numeric = directional_derivatives(np.linalg.inv, S, square_directions)  # 5×4×4
    assert compare("d(X⁻¹) = −X⁻¹ dX X⁻¹", ours, numeric)
    numeric = numerical_jacobian(np.linalg.inv, S)  # 16×16, flattened row by row
    assert compare("∂vec(X⁻¹)/∂vec(X) = −X⁻¹ ⊗ X⁻ᵀ", inverse_jacobian(S), numeric)
    G = rng.standard_normal((n, n))  # an upstream gradient ∂L/∂(X⁻¹), 4×4
    reference = (G.ravel() @ numeric).reshape(n, n)  # vec(G)ᵀ times the Jacobian
    assert compare("VJP −X⁻ᵀ G X⁻ᵀ", inverse_vjp(S, G), reference)
    G_U, G_V = low_rank_gradients(X, U, V)
    ours = frobenius_products(G_U, directions_u)
    numeric = directional_derivatives(lambda W: low_rank_loss(X, W, V), U, directions_u)
    assert compare("‖X − UV‖²_F → −2(X − UV)Vᵀ", ours, numeric)
    ours = frobenius_products(G_V, directions_v)
    numeric = directional_derivatives(lambda W: low_rank_loss(X, U, W), V, directions_v)
    assert compare("‖X − UV‖²_F → −2Uᵀ(X − UV)", ours, numeric)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    numeric = numerical_jacobian(lambda Y: np.trace(A_left @ Y), X).reshape(X.shape)  # 4×3
    compare("tr(AX) → A (transpose dropped)", A_left, numeric)
    numeric = numerical_jacobian(lambda Y: np.trace(Y.T @ A @ Y), X).reshape(X.shape)  # 4×3
    compare("tr(XᵀAX) → 2AX (A not symmetric)", 2 * A @ X, numeric)
    numeric = numerical_jacobian(log_abs_determinant, S).reshape(S.shape)  # 4×4
    compare("log|det X| → X⁻¹ (X not symmetric)", np.linalg.inv(S), numeric)
    # --8<-- [end:mistake]

    # --8<-- [start:symmetric_setup]
    rng = np.random.default_rng(1)
    n = 4
    B = rng.standard_normal((n, n))
    P = B @ B.T + n * np.eye(n)  # symmetric positive definite, well conditioned
    A = rng.standard_normal((n, n))  # not symmetric
    symmetric = [symmetric_part(E) for E in rng.standard_normal((3, n, n))]  # each E = Eᵀ
    general = rng.standard_normal((3, n, n))  # not symmetric: they leave the symmetric set
    free = [free_entry_direction(i, j, n) for i in range(n) for j in range(n)]  # 16 of them
    # --8<-- [end:symmetric_setup]

    # --8<-- [start:symmetric_check]
    G = np.linalg.inv(P)  # ∂ log det X/∂X = X⁻ᵀ, which is X⁻¹ for a symmetric X
    ours = frobenius_products(G, symmetric)
    numeric = directional_derivatives(log_abs_determinant, P, symmetric)
    assert compare("log det, symmetric E: X⁻¹ : E", ours, numeric)
    ours = frobenius_products(symmetric_part(A.T), symmetric)  # the unconstrained G is Aᵀ
    numeric = directional_derivatives(lambda Y: np.trace(A @ Y), P, symmetric)
    assert compare("tr(AX), symmetric E: sym(Aᵀ) : E", ours, numeric)
    partials = directional_derivatives(log_abs_determinant, P, free).reshape(n, n)
    assert compare("log det, free entries: 2X⁻¹ − I ∘ X⁻¹", free_entry_partials(G), partials)
    # --8<-- [end:symmetric_check]

    # --8<-- [start:symmetric_mistake]
    G = np.linalg.inv(P)
    ours = frobenius_products(free_entry_partials(G), symmetric)  # (2X⁻¹ − I ∘ X⁻¹) : E
    numeric = directional_derivatives(log_abs_determinant, P, symmetric)
    compare("(2X⁻¹ − I ∘ X⁻¹) : E, symmetric E", ours, numeric)
    ours = frobenius_products(symmetric_part(A.T), general)
    numeric = directional_derivatives(lambda Y: np.trace(A @ Y), P, general)
    compare("sym(Aᵀ) : E, E not symmetric", ours, numeric)
    # --8<-- [end:symmetric_mistake]
