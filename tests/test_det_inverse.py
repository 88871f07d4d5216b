"""docs/det_inverse.md ↔ snippets/det_inverse.py: determinants of products, powers and XᵀX, scalar
functions of an inverse and its Jacobian, a scalar t inside a matrix, and structured matrices."""

from functools import reduce

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.det_inverse import (
    det_of_power_gradient,
    det_of_product_gradient,
    det_of_square_product_gradient,
    determinant_derivative,
    diagonal_basis,
    diagonal_gradient,
    from_parameters,
    inverse_bilinear_gradient,
    inverse_derivative,
    inverse_jacobian,
    inverse_jacobian_entries,
    inverse_vjp,
    log_abs_det,
    log_det_derivative,
    log_det_gram_gradient,
    log_det_product_gradients,
    matrix_exponential,
    parameter_gradient,
    structure_jacobian,
    symmetric_basis,
    symmetric_free_gradient,
    toeplitz_basis,
    toeplitz_gradient,
    toeplitz_projection,
    trace_exp_derivative,
    trace_of_inverse_gradient,
)
from snippets.gradcheck import numerical_jacobian
from tests.gradients import (
    FINITE_DIFFERENCE_TOLERANCE,
    assert_close,
    check_jacobian,
    check_vjp,
    relative_error,
    run_page_demo,
    with_argument,
)

SQUARE = [2, 3, 5]
RECTANGULAR_PRODUCT = [(2, 4, 3), (2, 3, 5), (3, 6, 4)]  # (q, n, m): A q×n, X n×m, B m×q
TALL = [(4, 3), (5, 2), (7, 3)]  # (n, m), n > m
PRODUCT_OF_TWO = [(2, 3), (3, 5), (4, 6)]  # (m, n): U m×n, V n×m, UV m×m


def rng_for(*numbers):
    return np.random.default_rng(list(numbers))


def well_conditioned(n, rng):
    """A random square matrix, not symmetric, with eigenvalues kept well away from 0."""
    return rng.standard_normal((n, n)) + 2 * np.sqrt(n) * np.eye(n)


def anp_log_abs_det(M):
    return anp.log(anp.abs(anp.linalg.det(M)))


# Determinants of products and powers
@pytest.mark.parametrize(("q", "n", "m"), RECTANGULAR_PRODUCT)
def test_det_of_product(q, n, m):
    rng = rng_for(q, n, m)
    A, X, B = (rng.standard_normal(shape) for shape in [(q, n), (n, m), (m, q)])
    check_vjp(
        "det(AXB) → det(AXB) Aᵀ(AXB)⁻ᵀBᵀ",
        det_of_product_gradient(A, X, B),
        lambda Z: np.linalg.det(A @ Z @ B),
        lambda Z: anp.linalg.det(anp.dot(anp.dot(A, Z), B)),
        X,
        1.0,
    )


@pytest.mark.parametrize("n", SQUARE)
def test_det_of_square_product(n):
    rng = rng_for(n)
    A, X, B = (well_conditioned(n, rng) for _ in range(3))
    ours = det_of_square_product_gradient(A, X, B)
    check_vjp(
        "det(AXB) → det(AXB) X⁻ᵀ",
        ours,
        lambda Z: np.linalg.det(A @ Z @ B),
        lambda Z: anp.linalg.det(anp.dot(anp.dot(A, Z), B)),
        X,
        1.0,
    )
    assert_close(
        "the square case of the general form", ours, det_of_product_gradient(A, X, B), 1e-12
    )


@pytest.mark.parametrize(("n", "m"), TALL)
def test_log_det_gram(n, m):
    rng = rng_for(n, m)
    X = rng.standard_normal((n, m))
    check_vjp(
        "log|det(XᵀX)| → 2X(XᵀX)⁻¹",
        log_det_gram_gradient(X),
        lambda Z: log_abs_det(Z.T @ Z),
        lambda Z: anp_log_abs_det(anp.dot(Z.T, Z)),
        X,
        1.0,
    )


@pytest.mark.parametrize(("n", "k"), [(2, 3), (3, 5), (4, 2), (5, 3)])
def test_det_of_power(n, k):
    rng = rng_for(n, k)
    X = well_conditioned(n, rng) / np.sqrt(n)  # det(Xᵏ) of moderate size
    check_vjp(
        "det(Xᵏ) → k det(Xᵏ) X⁻ᵀ",
        det_of_power_gradient(X, k),
        lambda Z: np.linalg.det(np.linalg.matrix_power(Z, k)),
        lambda Z: anp.linalg.det(reduce(anp.dot, [Z] * k)),
        X,
        1.0,
    )


@pytest.mark.parametrize(("m", "n"), PRODUCT_OF_TWO)
def test_log_det_product(m, n):
    rng = rng_for(m, n)
    U, V = rng.standard_normal((m, n)), rng.standard_normal((n, m))
    G_U, G_V = log_det_product_gradients(U, V)

    def forward_numpy(U, V):
        return log_abs_det(U @ V)

    def forward_autograd(U, V):
        return anp_log_abs_det(anp.dot(U, V))

    for position, (ours, x) in enumerate([(G_U, U), (G_V, V)]):
        check_vjp(
            f"log|det(UV)|, factor {position}",
            ours,
            with_argument(forward_numpy, (U, V), position),
            with_argument(forward_autograd, (U, V), position),
            x,
            1.0,
        )


@pytest.mark.parametrize("n", SQUARE)
def test_log_det_product_of_square_factors_splits(n):
    """For square U, V: log|det(UV)| = log|det U| + log|det V|, so the gradients are U⁻ᵀ, V⁻ᵀ."""
    rng = rng_for(n, 1)
    U, V = well_conditioned(n, rng), well_conditioned(n, rng)
    G_U, G_V = log_det_product_gradients(U, V)
    assert_close("(UV)⁻ᵀVᵀ = U⁻ᵀ", G_U, np.linalg.inv(U).T, 1e-12)
    assert_close("Uᵀ(UV)⁻ᵀ = V⁻ᵀ", G_V, np.linalg.inv(V).T, 1e-12)


# The inverse and scalar functions of it
@pytest.mark.parametrize("n", SQUARE)
def test_inverse_jacobian(n):
    rng = rng_for(n)
    X = well_conditioned(n, rng)
    entries = inverse_jacobian_entries(X)
    assert entries.shape == (n, n, n, n)
    check_jacobian(
        "−(X⁻¹)_ki (X⁻¹)_jl", entries.reshape(n * n, n * n), np.linalg.inv, anp.linalg.inv, X
    )
    check_jacobian("−X⁻¹ ⊗ X⁻ᵀ", inverse_jacobian(X), np.linalg.inv, anp.linalg.inv, X)
    slice_ij = entries[:, :, 1, 0]  # ∂X⁻¹/∂X_10: −(column 1 of X⁻¹)(row 0 of X⁻¹), rank one
    X_inverse = np.linalg.inv(X)
    assert_close("a slice is rank one", slice_ij, -np.outer(X_inverse[:, 1], X_inverse[0]), 1e-12)


@pytest.mark.parametrize("n", SQUARE)
def test_inverse_jacobian_inverts_to_the_jacobian_at_the_inverse(n):
    """(−X⁻¹ ⊗ X⁻ᵀ)⁻¹ = −X ⊗ Xᵀ: the Jacobian of inversion at X⁻¹, since (X⁻¹)⁻¹ = X."""
    X = well_conditioned(n, rng_for(n, 2))
    inverted = np.linalg.inv(inverse_jacobian(X))
    assert_close("(−X⁻¹ ⊗ X⁻ᵀ)⁻¹ = −X ⊗ Xᵀ", inverted, -np.kron(X, X.T), 1e-10)
    assert_close("= J at X⁻¹", inverted, inverse_jacobian(np.linalg.inv(X)), 1e-10)


@pytest.mark.parametrize("n", SQUARE)
def test_inverse_vjp(n):
    rng = rng_for(n)
    X, G = well_conditioned(n, rng), rng.standard_normal((n, n))
    check_vjp("−X⁻ᵀ G X⁻ᵀ", inverse_vjp(X, G), np.linalg.inv, anp.linalg.inv, X, G)


@pytest.mark.parametrize("n", SQUARE)
def test_inverse_bilinear(n):
    rng = rng_for(n)
    X, a, b = well_conditioned(n, rng), rng.standard_normal((1, n)), rng.standard_normal((1, n))
    check_vjp(
        "a X⁻¹ bᵀ → −X⁻ᵀaᵀbX⁻ᵀ",
        inverse_bilinear_gradient(a, X, b),
        lambda Z: (a @ np.linalg.inv(Z) @ b.T)[0, 0],
        lambda Z: anp.sum(anp.dot(anp.dot(a, anp.linalg.inv(Z)), b.T)),
        X,
        1.0,
    )


@pytest.mark.parametrize(("q", "n"), [(2, 3), (3, 5), (5, 2)])
def test_trace_of_inverse(q, n):
    rng = rng_for(q, n)
    X, A, B = well_conditioned(n, rng), rng.standard_normal((q, n)), rng.standard_normal((n, q))
    check_vjp(
        "tr(AX⁻¹B) → −X⁻ᵀAᵀBᵀX⁻ᵀ",
        trace_of_inverse_gradient(A, X, B),
        lambda Z: np.trace(A @ np.linalg.inv(Z) @ B),
        lambda Z: anp.trace(anp.dot(anp.dot(A, anp.linalg.inv(Z)), B)),
        X,
        1.0,
    )


# A scalar t inside a matrix
def curves(n, rng):
    """Two matrix curves t ↦ (Y(t), dY/dt), for numpy and for autograd: the page's Y₀ + tY₁, and
    Y₀ + tY₁ + t²Y₂, whose derivative Y₁ + 2tY₂ depends on t."""
    Y0 = well_conditioned(n, rng) / 2
    Y1, Y2 = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    return [
        ("Y₀ + tY₁", lambda t: Y0 + t * Y1, lambda t: Y1),
        ("Y₀ + tY₁ + t²Y₂", lambda t: Y0 + t * Y1 + t**2 * Y2, lambda t: Y1 + 2 * t * Y2),
    ]


def anp_matrix_exponential(Y, terms=60):
    """e^Y by its plain series Σ_j Yʲ/j!, no scaling: a different algorithm from the snippet's."""
    result = term = anp.eye(Y.shape[0])
    for j in range(1, terms):
        term = anp.dot(term, Y) / j
        result = result + term
    return result


SCALAR_CASES = {
    "Y⁻¹": (inverse_derivative, np.linalg.inv, anp.linalg.inv),
    "det Y": (determinant_derivative, np.linalg.det, anp.linalg.det),
    "log|det Y|": (log_det_derivative, log_abs_det, anp_log_abs_det),
    "tr(e^Y)": (
        trace_exp_derivative,
        lambda Y: np.trace(matrix_exponential(Y)),
        lambda Y: anp.trace(anp_matrix_exponential(Y)),
    ),
}


@pytest.mark.parametrize("function", SCALAR_CASES, ids=["inverse", "det", "log_det", "tr_exp"])
@pytest.mark.parametrize("n", SQUARE)
@pytest.mark.parametrize("t", [-0.4, 0.3])
def test_derivative_in_t(function, n, t):
    derivative, F_numpy, F_autograd = SCALAR_CASES[function]
    for name, Y, Y_dot in curves(n, rng_for(n)):
        ours = np.reshape(derivative(Y(t), Y_dot(t)), (-1, 1))  # ∂ vec_r F(Y(t))/∂t: size × 1
        check_jacobian(
            f"d {function}/dt along {name}",
            ours,
            lambda s, Y=Y: F_numpy(Y(s[0])),
            lambda s, Y=Y: F_autograd(Y(s[0])),
            np.array([t]),
        )


@pytest.mark.parametrize("n", SQUARE)
def test_derivative_of_inverse_is_the_jacobian_times_dy_dt(n):
    """d(Y⁻¹)/dt = J vec_r(dY/dt) with J = −Y⁻¹ ⊗ Y⁻ᵀ: forward mode through the inverse."""
    rng = rng_for(n, 3)
    Y, Y_dot = well_conditioned(n, rng), rng.standard_normal((n, n))
    jvp = (inverse_jacobian(Y) @ Y_dot.ravel()).reshape(n, n)
    assert_close("J vec_r(dY/dt)", jvp, inverse_derivative(Y, Y_dot), 1e-12)


@pytest.mark.parametrize("scale", [0.1, 1.0, 7.0, 30.0])
def test_matrix_exponential(scale):
    """Against e^Y = Q Diag(e^λ) Qᵀ for a symmetric Y, and e^{Y} e^{−Y} = I for any Y."""
    rng = rng_for(int(scale * 10))
    M = rng.standard_normal((4, 4))  # square
    S = scale * (M + M.T) / 2
    eigenvalues, Q = np.linalg.eigh(S)
    assert_close(
        "e^S by eigh", matrix_exponential(S), Q @ np.diag(np.exp(eigenvalues)) @ Q.T, 1e-12
    )
    Y = scale * M / 4
    assert_close("e^Y e^−Y = I", matrix_exponential(Y) @ matrix_exponential(-Y), np.eye(4), 1e-10)


# Structured matrices
def f_numpy(a, b):
    return lambda X: (a @ np.linalg.inv(X) @ b.T)[0, 0]


def f_autograd(a, b):
    return lambda X: anp.sum(anp.dot(anp.dot(a, anp.linalg.inv(X)), b.T))


def structures(n, rng):
    """(name, basis, parameters, closed form of ∂f/∂θ) for a diagonal, a Toeplitz and a symmetric
    X(θ), each invertible: a heavy main diagonal."""
    d = rng.standard_normal((1, n)) + 3
    theta = rng.standard_normal((1, 2 * n - 1))
    theta[0, n - 1] += 2 * n
    u = rng.standard_normal((1, n * (n + 1) // 2))
    rows, columns = np.triu_indices(n)
    u[0, rows == columns] += 2 * n
    return [
        ("diagonal", diagonal_basis(n), d, diagonal_gradient),
        ("Toeplitz", toeplitz_basis(n), theta, toeplitz_gradient),
        ("symmetric", symmetric_basis(n), u, symmetric_free_gradient),
    ]


@pytest.mark.parametrize("n", SQUARE)
def test_structure_matrices(n):
    """The bases span what they claim: X(θ) is diagonal, Toeplitz, symmetric; θ is read back."""
    rng = rng_for(n, 4)
    for name, basis, params, _ in structures(n, rng):
        X = from_parameters(params, basis)
        S = structure_jacobian(basis)
        assert S.shape == (n * n, params.size), name
        assert_close(f"{name}: θ from vec_r X", np.linalg.lstsq(S, X.ravel())[0], params[0], 1e-12)
        assert_close(f"{name}: vec_r X = S θ", S @ params[0], X.ravel(), 1e-15)
    d, theta, u = (params for _, _, params, _ in structures(n, rng_for(n, 4)))
    assert_close("Diag(d)", from_parameters(d, diagonal_basis(n)), np.diag(d[0]), 0)
    T = from_parameters(theta, toeplitz_basis(n))
    for i in range(n):
        for j in range(n):
            assert T[i, j] == theta[0, i - j + n - 1]
    X = from_parameters(u, symmetric_basis(n))
    assert_close("symmetric", X, X.T, 0)
    assert_close("upper triangle is u", X[np.triu_indices(n)], u[0], 0)


@pytest.mark.parametrize("n", SQUARE)
def test_projection_onto_each_structure(n):
    """The columns of S have disjoint supports, so the S_k are orthogonal and the projection of G
    is Σ_k (G : S_k)/(S_k : S_k) S_k: Diag(diag(G)), the diagonal means, sym(G)."""
    rng = rng_for(n, 8)
    G = rng.standard_normal((n, n))
    expected = {
        "diagonal": np.diag(np.diag(G)),
        "Toeplitz": toeplitz_projection(G),
        "symmetric": (G + G.T) / 2,
    }
    for name, basis, _, _ in structures(n, rng):
        S = structure_jacobian(basis)
        assert np.all(np.count_nonzero(S, axis=1) <= 1), f"{name}: an entry in two parameters"
        counts = np.sum(S * S, axis=0)  # S_k : S_k, the entries each parameter fills
        projection = from_parameters(parameter_gradient(G, basis) / counts, basis)
        assert_close(f"{name}: projection", projection, expected[name], 1e-12)


def test_wide_gram_matrix_is_singular():
    """For a wide X (n < m), XᵀX (m×m) has rank n: det(XᵀX) = 0, no log-determinant."""
    n, m = 2, 3
    X = rng_for(10).standard_normal((n, m))
    assert np.linalg.matrix_rank(X.T @ X) == n
    assert abs(np.linalg.det(X.T @ X)) < 1e-12


@pytest.mark.parametrize("n", SQUARE)
def test_parameter_gradients(n):
    """∂f/∂θ = vec_r(G)ᵀ ∂vec_r X/∂θ, and its closed form, against f(X(θ)) by finite differences and
    by autograd, for f(X) = a X⁻¹ bᵀ."""
    rng = rng_for(n, 5)
    a, b = rng.standard_normal((1, n)), rng.standard_normal((1, n))
    for name, basis, params, closed_form in structures(n, rng):
        G = inverse_bilinear_gradient(a, from_parameters(params, basis), b)
        by_chain_rule = parameter_gradient(G, basis)
        check_vjp(
            f"{name}: vec_r(G)ᵀ S",
            by_chain_rule,
            lambda p, basis=basis: f_numpy(a, b)(from_parameters(p, basis)),
            lambda p, basis=basis: f_autograd(a, b)(
                anp.reshape(anp.dot(structure_jacobian(basis), p[0]), (n, n))
            ),
            params,
            1.0,
        )
        assert_close(f"{name}: closed form", closed_form(G), by_chain_rule, 1e-12)


@pytest.mark.parametrize("n", SQUARE)
def test_toeplitz_projection_is_the_gradient_among_toeplitz_matrices(n):
    """It is Toeplitz, it gives df along every Toeplitz direction, and G − it is orthogonal to
    every Toeplitz matrix; G itself gives df too but is not Toeplitz."""
    rng = rng_for(n, 6)
    a, b = rng.standard_normal((1, n)), rng.standard_normal((1, n))
    _, basis, theta, _ = structures(n, rng)[1]
    X = from_parameters(theta, basis)
    G = inverse_bilinear_gradient(a, X, b)
    P = toeplitz_projection(G)
    assert_close(
        "P is Toeplitz", from_parameters(toeplitz_gradient(P) / lengths(n), basis), P, 1e-12
    )
    directions = [from_parameters(p, basis) for p in rng.standard_normal((4, 1, 2 * n - 1))]
    f = f_numpy(a, b)
    numeric = np.array([(f(X + 1e-6 * E) - f(X - 1e-6 * E)) / 2e-6 for E in directions])
    ours = np.array([np.sum(P * E) for E in directions])
    assert_close("P : E", ours, numeric, FINITE_DIFFERENCE_TOLERANCE)
    residual = parameter_gradient(G - P, basis)  # (G − P) : S_k for every k
    assert np.max(np.abs(residual)) <= 1e-12 * np.max(np.abs(G)), "G − P is orthogonal to them"
    assert relative_error(P, G) > 1e-2, "G is not Toeplitz"


def lengths(n):
    """How many entries each Toeplitz parameter fills: n − |k| for the diagonal i − j = k."""
    return n - np.abs(np.arange(1 - n, n))


@pytest.mark.parametrize("n", SQUARE)
def test_cookbook_symmetric_rule_is_the_free_entry_gradient(n):
    """G + Gᵀ − G ∘ I gives ∂f/∂u; sym(G) does not (off-diagonal entries halved), and on the
    diagonal the two agree; sym(G) is the gradient among symmetric matrices (matrix_identities)."""
    rng = rng_for(n, 7)
    a, b = rng.standard_normal((1, n)), rng.standard_normal((1, n))
    _, basis, u, _ = structures(n, rng)[2]
    G = inverse_bilinear_gradient(a, from_parameters(u, basis), b)
    free = symmetric_free_gradient(G)
    sym = ((G + G.T) / 2)[np.triu_indices(n)][None, :]
    rows, columns = np.triu_indices(n)
    assert_close("diagonal", free[0, rows == columns], sym[0, rows == columns], 1e-12)
    assert_close("off the diagonal", free[0, rows != columns], 2 * sym[0, rows != columns], 1e-12)


def test_common_mistakes_are_wrong():
    """−X⁻¹GX⁻¹, det(X)X⁻¹, X(XᵀX)⁻¹, −Y⁻²Ẏ, e^Y Ẏ, diagonal means: each fails."""
    rng, n, m = rng_for(8), 4, 3  # X is n×n, X_tall n×m
    X, G = well_conditioned(n, rng), rng.standard_normal((n, n))
    X_inverse = np.linalg.inv(X)
    assert relative_error(-X_inverse @ G @ X_inverse, inverse_vjp(X, G)) > 0.1
    A, B = well_conditioned(n, rng), well_conditioned(n, rng)
    right = det_of_square_product_gradient(A, X, B)
    assert relative_error(np.linalg.det(A @ X @ B) * X_inverse, right) > 0.1
    X_tall = rng.standard_normal((n, m))
    wrong = X_tall @ np.linalg.inv(X_tall.T @ X_tall)
    assert relative_error(wrong, log_det_gram_gradient(X_tall)) == pytest.approx(0.5)
    Y_dot = rng.standard_normal((n, n))
    assert relative_error(-X_inverse @ X_inverse @ Y_dot, inverse_derivative(X, Y_dot)) > 0.1
    e_Y = matrix_exponential(X / 4)
    derivative = matrix_exponential(X / 4 + 1e-6 * Y_dot) - matrix_exponential(X / 4 - 1e-6 * Y_dot)
    assert relative_error(e_Y @ Y_dot, derivative / 2e-6) > 0.1
    assert np.trace(e_Y @ Y_dot) == pytest.approx(np.trace(derivative / 2e-6), rel=1e-6)
    assert relative_error(toeplitz_gradient(G) / lengths(n), toeplitz_gradient(G)) > 0.1
    P = X + X.T  # symmetric: X⁻ᵀ = X⁻¹, so the first two slips pass by accident
    P_inverse = np.linalg.inv(P)
    assert_close("−P⁻¹GP⁻¹", -P_inverse @ G @ P_inverse, inverse_vjp(P, G), 1e-12)
    wrong = np.linalg.det(A @ P @ B) * P_inverse
    assert_close("det(APB) P⁻¹", wrong, det_of_square_product_gradient(A, P, B), 1e-12)


def test_column_convention_tab():
    """With a, b as n×1 columns, ∂(aᵀX⁻¹b)/∂X = −X⁻ᵀabᵀX⁻ᵀ: the row result, not transposed."""
    rng = rng_for(9)
    X, a, b = well_conditioned(4, rng), rng.standard_normal((1, 4)), rng.standard_normal((1, 4))
    a_column, b_column = a.T, b.T
    X_inverse_T = np.linalg.inv(X).T
    column_result = -X_inverse_T @ a_column @ b_column.T @ X_inverse_T
    assert_close("columns = rows", column_result, inverse_bilinear_gradient(a, X, b), 1e-15)
    column_major = numerical_jacobian(
        lambda Z: np.linalg.inv(Z.reshape(4, 4, order="F")).ravel(order="F"), X.ravel(order="F")
    )
    X_inverse = np.linalg.inv(X)
    assert_close(
        "column-major vec: −X⁻ᵀ ⊗ X⁻¹",
        -np.kron(X_inverse.T, X_inverse),
        column_major,
        FINITE_DIFFERENCE_TOLERANCE,
    )


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("det_inverse")
    checks = [line for line in lines if "DIFFERS" not in line]
    mistakes = [line.rsplit(": DIFFERS", 1)[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 23 and all(line.endswith("matches") for line in checks)
    assert mistakes == [
        "VJP −X⁻¹ G X⁻¹ (transposes dropped)",
        "det(AXB) → det(AXB) X⁻¹ (transpose dropped)",
        "log|det(XᵀX)| → X(XᵀX)⁻¹ (one X of two)",
        "d(Y⁻¹)/dt = −Y⁻² dY/dt",
        "d(e^Y)/dt = e^Y dY/dt",
        "Toeplitz ∂f/∂θ as diagonal means",
        "symmetric ∂f/∂u as sym(G)",
    ], "every common mistake must still fail"
