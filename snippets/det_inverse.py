"""Determinants and inverses in other forms, a scalar inside a matrix, and structured matrices.

Convention (docs/conventions.md): ∂f/∂X has the shape of X, entry (i, j) = ∂f/∂X_ij, so that
df = G : dX = tr(GᵀdX) with G = ∂f/∂X; vec_r flattens row by row (numpy's ravel).
Shapes: in det(AXB), A is q×n, X is n×m, B is m×q (AXB is q×q); square A, X, B are n×n. A tall X
in log|det(XᵀX)| is n×m with n > m. In log|det(UV)|, U is m×n and V is n×m. A square X is n×n,
the rows a and b are 1×n, and in tr(AX⁻¹B), A is q×n and B is n×q. Y(t) is n×n and Y_dot = dY/dt.
A row θ of P parameters builds X(θ) = Σ_k θ_k S_k from n×n structure matrices S_k.
Run ``python -m snippets.det_inverse`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def log_abs_det(X):
    """log |det X| without overflow (numpy's slogdet); X is square."""
    return np.linalg.slogdet(X)[1]


def det_of_product_gradient(A, X, B):
    """∂ det(AXB)/∂X = det(M) Aᵀ M⁻ᵀ Bᵀ with M = AXB (q×q, invertible); the shape of X, n×m."""
    M = A @ X @ B
    return np.linalg.det(M) * A.T @ np.linalg.inv(M).T @ B.T


def det_of_square_product_gradient(A, X, B):
    """∂ det(AXB)/∂X = det(AXB) X⁻ᵀ when A, X, B are square (n×n) and invertible."""
    return np.linalg.det(A @ X @ B) * np.linalg.inv(X).T


def log_det_gram_gradient(X):
    """∂ log|det(XᵀX)|/∂X = 2X(XᵀX)⁻¹ for a tall X (n×m, n > m, full column rank); n×m."""
    return 2 * X @ np.linalg.inv(X.T @ X)


def det_of_power_gradient(X, k):
    """∂ det(Xᵏ)/∂X = k det(Xᵏ) X⁻ᵀ for an integer power k ≥ 1; X is n×n and invertible."""
    return k * np.linalg.det(np.linalg.matrix_power(X, k)) * np.linalg.inv(X).T


def log_det_product_gradients(U, V):
    """(∂/∂U, ∂/∂V) of log|det(UV)|, U m×n, V n×m, UV invertible: (UV)⁻ᵀVᵀ (m×n), Uᵀ(UV)⁻ᵀ
    (n×m)."""
    M_inverse_T = np.linalg.inv(U @ V).T
    return M_inverse_T @ V.T, U.T @ M_inverse_T


def inverse_jacobian_entries(X):
    """The 4th-order array J[k, l, i, j] = ∂(X⁻¹)_kl/∂X_ij = −(X⁻¹)_ki (X⁻¹)_jl; n×n×n×n."""
    X_inverse = np.linalg.inv(X)
    return -np.einsum("ki,jl->klij", X_inverse, X_inverse)


def inverse_jacobian(X):
    """∂vec_r(X⁻¹)/∂vec_r(X), both flattened row by row: −X⁻¹ ⊗ X⁻ᵀ, n²×n²."""
    X_inverse = np.linalg.inv(X)
    return -np.kron(X_inverse, X_inverse.T)


def inverse_vjp(X, G):
    """∂L/∂X from G = ∂L/∂(X⁻¹) (n×n) without the n²×n² Jacobian: −X⁻ᵀ G X⁻ᵀ."""
    X_inverse_T = np.linalg.inv(X).T
    return -X_inverse_T @ G @ X_inverse_T


def inverse_bilinear_gradient(a, X, b):
    """∂ (a X⁻¹ bᵀ)/∂X = −X⁻ᵀ aᵀ b X⁻ᵀ: the VJP of X⁻¹ with G = aᵀb; a, b are 1×n rows."""
    return inverse_vjp(X, a.T @ b)


def trace_of_inverse_gradient(A, X, B):
    """∂ tr(AX⁻¹B)/∂X = −X⁻ᵀ AᵀBᵀ X⁻ᵀ: the VJP of X⁻¹ with G = AᵀBᵀ; A q×n, B n×q."""
    return inverse_vjp(X, A.T @ B.T)


# --8<-- [end:functions]


# --8<-- [start:scalar_functions]
def inverse_derivative(Y, Y_dot):
    """d(Y⁻¹)/dt = −Y⁻¹ (dY/dt) Y⁻¹ for a matrix Y(t) (n×n) with derivative Y_dot (n×n)."""
    Y_inverse = np.linalg.inv(Y)
    return -Y_inverse @ Y_dot @ Y_inverse


def determinant_derivative(Y, Y_dot):
    """d det(Y)/dt = det(Y) tr(Y⁻¹ dY/dt), Jacobi's formula; a number."""
    return np.linalg.det(Y) * np.trace(np.linalg.solve(Y, Y_dot))


def log_det_derivative(Y, Y_dot):
    """d log|det Y|/dt = tr(Y⁻¹ dY/dt); a number."""
    return np.trace(np.linalg.solve(Y, Y_dot))


def matrix_exponential(Y, terms=18):
    """e^Y = Σ_j Yʲ/j!, by scaling and squaring: (e^{Y/2ˢ})^(2ˢ) with ‖Y/2ˢ‖₁ ≤ 1/2; n×n."""
    s = int(np.ceil(np.log2(max(np.linalg.norm(Y, 1), 0.5)))) + 1
    Z = Y / 2**s
    term = result = np.eye(len(Y))
    for j in range(1, terms + 1):
        term = term @ Z / j
        result = result + term
    for _ in range(s):
        result = result @ result
    return result


def trace_exp_derivative(Y, Y_dot):
    """d tr(e^Y)/dt = tr(e^Y dY/dt): d tr f(Y) = tr(f′(Y) dY), and f′ = f for exp; a number."""
    return np.sum(matrix_exponential(Y).T * Y_dot)


# --8<-- [end:scalar_functions]


# --8<-- [start:structure_functions]
def diagonal_basis(n):
    """Structure matrices of a diagonal X = Diag(d): S_k = e_k e_kᵀ, k = 0..n−1."""
    return [np.diag(np.eye(n)[k]) for k in range(n)]


def toeplitz_basis(n):
    """Structure matrices of a Toeplitz X, X_ij = θ_(i−j): ones on the diagonal i − j = k, for
    k = −(n−1)..n−1 (2n − 1 parameters)."""
    return [np.eye(n, k=-k) for k in range(-(n - 1), n)]


def symmetric_basis(n):
    """Structure matrices of a symmetric X with free entries X_ij = X_ji, i ≤ j, row by row
    (n(n+1)/2 parameters): ones at (i, j) and (j, i), a single one when i = j."""
    basis = []
    for i in range(n):
        for j in range(i, n):
            S = np.zeros((n, n))
            S[i, j] = S[j, i] = 1.0
            basis.append(S)
    return basis


def structure_jacobian(basis):
    """∂vec_r X/∂θ for X(θ) = Σ_k θ_k S_k: column k is vec_r S_k; n²×P."""
    return np.stack([S.ravel() for S in basis], axis=1)


def from_parameters(theta, basis):
    """X(θ) = Σ_k θ_k S_k, n×n, from a row θ of P parameters (1×P)."""
    return (structure_jacobian(basis) @ theta.ravel()).reshape(basis[0].shape)


def parameter_gradient(G, basis):
    """∂f/∂θ = vec_r(G)ᵀ ∂vec_r X/∂θ (1×P): entry k is G : S_k, the chain rule through X(θ)."""
    return G.ravel()[None, :] @ structure_jacobian(basis)


def diagonal_gradient(G):
    """∂f/∂d for X = Diag(d): the diagonal of G as a 1×n row."""
    return np.diag(G)[None, :]


def toeplitz_gradient(G):
    """∂f/∂θ_k for X_ij = θ_(i−j): the sum of G along the diagonal i − j = k; 1×(2n−1)."""
    n = len(G)
    return np.array([[np.trace(G, offset=-k) for k in range(-(n - 1), n)]])


def symmetric_free_gradient(G):
    """The Cookbook's symmetric rule G + Gᵀ − G ∘ I, read on and above the diagonal, row by row:
    ∂f/∂u for the n(n+1)/2 free entries u of a symmetric X; 1×n(n+1)/2."""
    D = G + G.T - G * np.eye(len(G))
    return D[np.triu_indices(len(G))][None, :]


def toeplitz_projection(G):
    """The gradient of f among Toeplitz matrices with ':': every diagonal of G replaced by its
    mean (the orthogonal projection of G), n×n; sym(G) = (G + Gᵀ)/2 is the same for symmetric."""
    n = len(G)
    return sum(np.trace(G, offset=-k) / (n - abs(k)) * np.eye(n, k=-k) for k in range(1 - n, n))


# --8<-- [end:structure_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "determinants and inverses"
CHEAT_SHEET = [
    Row(
        table="Identities and modes",
        operation=r"$\det(AXB)$",
        derivative=(
            r"$\det(AXB)\,A^\top(AXB)^{-\top}B^\top$; $\det(AXB)\,X^{-\top}$ for square $A$, $B$"
        ),
        functions=("det_of_product_gradient", "det_of_square_product_gradient"),
    ),
    Row(
        table="Identities and modes",
        operation=r"$\log\lvert\det(X^\top X)\rvert$, $X$ tall",
        derivative=r"$2X(X^\top X)^{-1}$",
        functions=("log_det_gram_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$\det(X^k)$",
        derivative=r"$k\det(X^k)\,X^{-\top}$",
        functions=("det_of_power_gradient",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$\log\lvert\det(UV)\rvert$",
        derivative=r"$(UV)^{-\top}V^\top$ for $U$, $U^\top(UV)^{-\top}$ for $V$",
        functions=("log_det_product_gradients",),
    ),
    Row(
        table="Identities and modes",
        operation=r"$X^{-1}$, full Jacobian",
        derivative=(
            r"$\partial(X^{-1})_{kl}/\partial X_{ij} = -(X^{-1})_{ki}(X^{-1})_{jl}$, i.e. "
            r"$-X^{-1} \otimes X^{-\top}$ (row-major vec)"
        ),
        functions=("inverse_jacobian_entries", "inverse_jacobian"),
    ),
    Row(
        table="Identities and modes",
        operation=r"$aX^{-1}b^\top$, $\operatorname{tr}(AX^{-1}B)$",
        derivative=r"$-X^{-\top}a^\top b\,X^{-\top}$, $-X^{-\top}A^\top B^\top X^{-\top}$",
        functions=("inverse_bilinear_gradient", "trace_of_inverse_gradient"),
    ),
    Row(
        table="Identities and modes",
        operation=(
            r"$Y(t)^{-1}$, $\det Y(t)$, $\log\lvert\det Y(t)\rvert$, $\operatorname{tr} e^{Y(t)}$"
        ),
        derivative=(
            r"$\frac{d}{dt}$: $-Y^{-1}\dot{Y}Y^{-1}$, $\det(Y)\operatorname{tr}(Y^{-1}\dot{Y})$, "
            r"$\operatorname{tr}(Y^{-1}\dot{Y})$, $\operatorname{tr}(e^{Y}\dot{Y})$"
        ),
        functions=(
            "inverse_derivative",
            "determinant_derivative",
            "log_det_derivative",
            "trace_exp_derivative",
        ),
    ),
    Row(
        table="Identities and modes",
        operation=r"$f(X(\theta))$, $X = \sum_k \theta_k S_k$ diagonal, Toeplitz or symmetric",
        derivative=(
            r"$\partial f/\partial\theta_k = G : S_k$: $\mathbf{1}_n^\top(G \circ I)$, the "
            r"diagonal of $G$; sums along the diagonals of $G$; $G + G^\top - G \circ I$ (free "
            r"entries)"
        ),
        functions=(
            "parameter_gradient",
            "diagonal_gradient",
            "toeplitz_gradient",
            "symmetric_free_gradient",
        ),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def parametrisation_figure():
    """∂vec_r X/∂θ for a 3×3 Toeplitz X(θ) = Σ_k θ_k S_k: the constant 9×5 matrix S."""
    basis = toeplitz_basis(3)
    theta = np.array([[0.5, -1.0, 3.0, 0.7, -0.2]])
    jacobian = structure_jacobian(basis)
    return Figure(
        matrix=jacobian,
        of=lambda p: from_parameters(p, basis),
        at=theta,
        structure="disjoint-columns",
        rows="entries X_{ij}, row by row",
        columns="parameters θ_k",
        alt=f"The {size(jacobian)} Jacobian of a 3×3 Toeplitz matrix with respect to its "
        f"{len(basis)} parameters: zeros and ones, columns that do not overlap, column k marking "
        "the entries of one diagonal.",
        caption=r"For a Toeplitz $X$, $\partial \operatorname{vec}_r X/\partial\theta = S$: each "
        r"parameter fills one diagonal, so the columns do not overlap.",
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    n, m, q, k = 4, 3, 2, 5  # sizes 4, 3, 2 and a power k = 5
    X = rng.standard_normal((n, n)) + n * np.eye(n)  # square, invertible, not symmetric, 4×4
    X_tall = rng.standard_normal((n, m))  # tall, full column rank, 4×3
    A, B = rng.standard_normal((q, n)), rng.standard_normal((m, q))  # in det(AXB): 2×4, 3×2
    A_square = rng.standard_normal((n, n)) + n * np.eye(n)  # in det(AXB) with square A, B
    B_square = rng.standard_normal((n, n)) + n * np.eye(n)
    U, V = rng.standard_normal((m, n)), rng.standard_normal((n, m))  # in log|det(UV)|: 3×4, 4×3
    a, b = rng.standard_normal((1, n)), rng.standard_normal((1, n))  # rows in a X⁻¹ bᵀ, 1×4
    A_trace, B_trace = rng.standard_normal((q, n)), rng.standard_normal((n, q))  # tr(AX⁻¹B)
    G = rng.standard_normal((n, n))  # an upstream gradient ∂L/∂(X⁻¹), 4×4
    # --8<-- [end:setup]

    # --8<-- [start:check]
    def numerical_gradient(f, Z):
        return numerical_jacobian(f, Z).reshape(np.shape(Z))  # a scalar f: its 1×size row

    numeric = numerical_gradient(lambda Z: np.linalg.det(A @ Z @ B), X_tall)  # 4×3
    ours = det_of_product_gradient(A, X_tall, B)
    assert compare("det(AXB) → det(AXB) Aᵀ(AXB)⁻ᵀBᵀ", ours, numeric)
    numeric = numerical_gradient(lambda Z: np.linalg.det(A_square @ Z @ B_square), X)
    ours = det_of_square_product_gradient(A_square, X, B_square)
    assert compare("det(AXB), A and B square → det(AXB) X⁻ᵀ", ours, numeric)
    numeric = numerical_gradient(lambda Z: log_abs_det(Z.T @ Z), X_tall)  # 4×3
    assert compare("log|det(XᵀX)| → 2X(XᵀX)⁻¹", log_det_gram_gradient(X_tall), numeric)
    numeric = numerical_gradient(lambda Z: np.linalg.det(np.linalg.matrix_power(Z, k)), X)
    assert compare("det(Xᵏ) → k det(Xᵏ) X⁻ᵀ", det_of_power_gradient(X, k), numeric)
    G_U, G_V = log_det_product_gradients(U, V)
    numeric = numerical_gradient(lambda Z: log_abs_det(Z @ V), U)  # 3×4
    assert compare("log|det(UV)| → (UV)⁻ᵀVᵀ", G_U, numeric)
    numeric = numerical_gradient(lambda Z: log_abs_det(U @ Z), V)  # 4×3
    assert compare("log|det(UV)| → Uᵀ(UV)⁻ᵀ", G_V, numeric)
    J = numerical_jacobian(np.linalg.inv, X)  # 16×16: row (k, l), column (i, j)
    ours = inverse_jacobian_entries(X)  # 4×4×4×4, built entry by entry
    assert compare("∂(X⁻¹)_kl/∂X_ij = −(X⁻¹)_ki (X⁻¹)_jl", ours, J.reshape(n, n, n, n))
    assert compare("∂vec_r(X⁻¹)/∂vec_r(X) = −X⁻¹ ⊗ X⁻ᵀ", inverse_jacobian(X), J)
    reference = (G.ravel() @ J).reshape(n, n)  # vec_r(G)ᵀ times the Jacobian
    assert compare("VJP −X⁻ᵀ G X⁻ᵀ", inverse_vjp(X, G), reference)
    numeric = numerical_gradient(lambda Z: (a @ np.linalg.inv(Z) @ b.T)[0, 0], X)
    assert compare("a X⁻¹ bᵀ → −X⁻ᵀaᵀbX⁻ᵀ", inverse_bilinear_gradient(a, X, b), numeric)
    numeric = numerical_gradient(lambda Z: np.trace(A_trace @ np.linalg.inv(Z) @ B_trace), X)
    ours = trace_of_inverse_gradient(A_trace, X, B_trace)
    assert compare("tr(AX⁻¹B) → −X⁻ᵀAᵀBᵀX⁻ᵀ", ours, numeric)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    reference = (G.ravel() @ numerical_jacobian(np.linalg.inv, X)).reshape(n, n)
    X_inverse = np.linalg.inv(X)
    compare("VJP −X⁻¹ G X⁻¹ (transposes dropped)", -X_inverse @ G @ X_inverse, reference)
    numeric = numerical_jacobian(lambda Z: np.linalg.det(A_square @ Z @ B_square), X)
    wrong = np.linalg.det(A_square @ X @ B_square) * X_inverse
    compare("det(AXB) → det(AXB) X⁻¹ (transpose dropped)", wrong, numeric.reshape(n, n))
    numeric = numerical_jacobian(lambda Z: log_abs_det(Z.T @ Z), X_tall).reshape(n, m)
    wrong = X_tall @ np.linalg.inv(X_tall.T @ X_tall)
    compare("log|det(XᵀX)| → X(XᵀX)⁻¹ (one X of two)", wrong, numeric)
    # --8<-- [end:mistake]

    # --8<-- [start:scalar_setup]
    rng = np.random.default_rng(1)
    n, t = 4, 0.3
    Y0 = rng.standard_normal((n, n)) + n * np.eye(n)  # Y(t) = Y₀ + tY₁, invertible near t = 0.3
    Y1 = rng.standard_normal((n, n))  # dY/dt = Y₁, does not commute with Y
    Y = Y0 + t * Y1  # 4×4
    # --8<-- [end:scalar_setup]

    # --8<-- [start:scalar_check]
    def derivative_in_t(F):
        return numerical_jacobian(lambda s: F(Y0 + s * Y1), t).reshape(np.shape(F(Y)))

    numeric = derivative_in_t(np.linalg.inv)  # 4×4, by central differences in t
    assert compare("d(Y⁻¹)/dt = −Y⁻¹ (dY/dt) Y⁻¹", inverse_derivative(Y, Y1), numeric)
    jvp = (inverse_jacobian(Y) @ Y1.ravel()).reshape(n, n)  # the Jacobian of X⁻¹ times vec_r(dY/dt)
    assert compare("… = J vec_r(dY/dt), J = −Y⁻¹ ⊗ Y⁻ᵀ", jvp, numeric)
    numeric = derivative_in_t(np.linalg.det)
    assert compare("d det Y/dt = det(Y) tr(Y⁻¹ dY/dt)", determinant_derivative(Y, Y1), numeric)
    numeric = derivative_in_t(log_abs_det)
    assert compare("d log|det Y|/dt = tr(Y⁻¹ dY/dt)", log_det_derivative(Y, Y1), numeric)
    numeric = derivative_in_t(lambda Z: np.trace(matrix_exponential(Z)))
    assert compare("d tr(e^Y)/dt = tr(e^Y dY/dt)", trace_exp_derivative(Y, Y1), numeric)
    # --8<-- [end:scalar_check]

    # --8<-- [start:scalar_mistake]
    def derivative_in_t(F):
        return numerical_jacobian(lambda s: F(Y0 + s * Y1), t).reshape(np.shape(F(Y)))

    Y_inverse = np.linalg.inv(Y)
    wrong = -Y_inverse @ Y_inverse @ Y1  # as if Y and dY/dt commuted, like numbers
    compare("d(Y⁻¹)/dt = −Y⁻² dY/dt", wrong, derivative_in_t(np.linalg.inv))
    wrong = matrix_exponential(Y) @ Y1  # f′(Y) dY/dt holds under the trace only
    compare("d(e^Y)/dt = e^Y dY/dt", wrong, derivative_in_t(matrix_exponential))
    # --8<-- [end:scalar_mistake]

    # --8<-- [start:structure_setup]
    rng = np.random.default_rng(2)
    n = 4
    a, b = rng.standard_normal((1, n)), rng.standard_normal((1, n))  # f(X) = a X⁻¹ bᵀ, rows 1×4

    def f(X):
        return (a @ np.linalg.inv(X) @ b.T)[0, 0]

    d = rng.standard_normal((1, n)) + 3  # X = Diag(d), 1×4
    theta = rng.standard_normal((1, 2 * n - 1))  # X_ij = θ_(i−j), 1×7 for a 4×4 Toeplitz X
    theta[0, n - 1] += 2 * n  # a heavy main diagonal: invertible
    u = rng.standard_normal((1, n * (n + 1) // 2))  # the 10 free entries of a symmetric X
    u[0, [0, 4, 7, 9]] += 2 * n  # the diagonal ones, (0, 0), (1, 1), (2, 2), (3, 3)
    diagonal, toeplitz, symmetric = diagonal_basis(n), toeplitz_basis(n), symmetric_basis(n)
    # --8<-- [end:structure_setup]

    # --8<-- [start:structure_check]
    G = inverse_bilinear_gradient(a, from_parameters(d, diagonal), b)  # ∂f/∂X, structure ignored
    numeric = numerical_jacobian(lambda p: f(from_parameters(p, diagonal)), d)  # 1×4
    assert compare("diagonal: vec_r(G)ᵀ ∂vec_r X/∂d", parameter_gradient(G, diagonal), numeric)
    assert compare("diagonal: diag(G)", diagonal_gradient(G), numeric)
    G = inverse_bilinear_gradient(a, from_parameters(theta, toeplitz), b)
    numeric = numerical_jacobian(lambda p: f(from_parameters(p, toeplitz)), theta)  # 1×7
    assert compare("Toeplitz: vec_r(G)ᵀ ∂vec_r X/∂θ", parameter_gradient(G, toeplitz), numeric)
    assert compare("Toeplitz: sums of G along its diagonals", toeplitz_gradient(G), numeric)
    G = inverse_bilinear_gradient(a, from_parameters(u, symmetric), b)
    numeric = numerical_jacobian(lambda p: f(from_parameters(p, symmetric)), u)  # 1×10
    assert compare("symmetric: vec_r(G)ᵀ ∂vec_r X/∂u", parameter_gradient(G, symmetric), numeric)
    assert compare("symmetric: G + Gᵀ − G ∘ I, upper triangle", symmetric_free_gradient(G), numeric)
    X = from_parameters(theta, toeplitz)
    G = inverse_bilinear_gradient(a, X, b)
    directions = [from_parameters(p, toeplitz) for p in rng.standard_normal((3, 1, 2 * n - 1))]
    ours = [np.sum(toeplitz_projection(G) * E) for E in directions]  # along Toeplitz E only
    numeric = [(f(X + 1e-6 * E) - f(X - 1e-6 * E)) / 2e-6 for E in directions]
    assert compare("Toeplitz, among Toeplitz matrices: diagonal means of G", ours, numeric)
    # --8<-- [end:structure_check]

    # --8<-- [start:structure_mistake]
    G = inverse_bilinear_gradient(a, from_parameters(theta, toeplitz), b)
    numeric = numerical_jacobian(lambda p: f(from_parameters(p, toeplitz)), theta)
    lengths = n - np.abs(np.arange(1 - n, n))  # entries on each diagonal: 1, 2, 3, 4, 3, 2, 1
    wrong = toeplitz_gradient(G) / lengths  # the means of G along its diagonals, not the sums
    compare("Toeplitz ∂f/∂θ as diagonal means", wrong, numeric)
    G = inverse_bilinear_gradient(a, from_parameters(u, symmetric), b)
    numeric = numerical_jacobian(lambda p: f(from_parameters(p, symmetric)), u)
    wrong = ((G + G.T) / 2)[np.triu_indices(n)][None, :]  # sym(G), the gradient among matrices
    compare("symmetric ∂f/∂u as sym(G)", wrong, numeric)
    # --8<-- [end:structure_mistake]
