"""docs/matrix_identities.md ↔ snippets/matrix_identities.py: gradients of scalar functions of a
matrix by differentials, the inverse's differential, and functions of a symmetric matrix."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from snippets.matrix_identities import (
    bilinear_gradient,
    determinant_gradient,
    directional_derivatives,
    free_entry_direction,
    free_entry_partials,
    frobenius_products,
    inverse_differential,
    inverse_jacobian,
    inverse_vjp,
    log_abs_determinant,
    log_abs_determinant_gradient,
    low_rank_gradients,
    low_rank_loss,
    squared_norm_gradient,
    symmetric_part,
    trace_of_product_gradient,
    trace_quadratic_gradient,
)
from tests.gradients import (
    FINITE_DIFFERENCE_TOLERANCE,
    assert_close,
    check_jacobian,
    check_vjp,
    relative_error,
    run_page_demo,
)

RECTANGULAR = [(1, 1), (2, 3), (4, 3), (3, 5), (6, 2)]  # (n, m)
SQUARE = [1, 2, 4, 7]


def rng_for(*numbers):
    return np.random.default_rng(list(numbers))


def well_conditioned(n, rng):
    """A random square matrix, not symmetric, with eigenvalues kept well away from 0."""
    return rng.standard_normal((n, n)) + 2 * np.sqrt(n) * np.eye(n)


def spd(n, rng):
    """A random symmetric positive definite matrix, BBᵀ + nI."""
    B = rng.standard_normal((n, n))
    return B @ B.T + n * np.eye(n)


def check_identity(name, gradient, f_numpy, f_autograd, X, rng):
    """A claimed gradient against: finite differences entry by entry, autograd, and the
    directional derivatives (f(X + εE) − f(X − εE))/2ε along eight random directions E."""
    check_vjp(name, gradient, f_numpy, f_autograd, X, 1.0)
    directions = rng.standard_normal((8, *X.shape))  # 8 directions: no size of X is 8
    assert_close(
        f"{name} along random directions",
        frobenius_products(gradient, directions),
        directional_derivatives(f_numpy, X, directions),
        FINITE_DIFFERENCE_TOLERANCE,
    )


@pytest.mark.parametrize(("n", "m"), RECTANGULAR)
def test_trace_of_product(n, m):
    rng = rng_for(n, m)
    A, X = rng.standard_normal((m, n)), rng.standard_normal((n, m))
    check_identity(
        "tr(AX) → Aᵀ",
        trace_of_product_gradient(A, X),
        lambda Y: np.trace(A @ Y),
        lambda Y: anp.trace(anp.dot(A, Y)),
        X,
        rng,
    )


@pytest.mark.parametrize(("n", "m"), RECTANGULAR)
def test_trace_quadratic(n, m):
    rng = rng_for(n, m)
    A, X = rng.standard_normal((n, n)), rng.standard_normal((n, m))
    check_identity(
        "tr(XᵀAX) → (A + Aᵀ)X",
        trace_quadratic_gradient(A, X),
        lambda Y: np.trace(Y.T @ A @ Y),
        lambda Y: anp.sum(Y * anp.dot(A, Y)),  # Σ_ij X_ij (AX)_ij, the same trace
        X,
        rng,
    )


@pytest.mark.parametrize(("n", "m"), RECTANGULAR)
def test_bilinear(n, m):
    rng = rng_for(n, m)
    a, b, X = rng.standard_normal((1, n)), rng.standard_normal((1, m)), rng.standard_normal((n, m))
    check_identity(
        "a X bᵀ → aᵀb",
        bilinear_gradient(a, b),
        lambda Y: (a @ Y @ b.T)[0, 0],
        lambda Y: anp.sum(anp.dot(anp.dot(a, Y), b.T)),
        X,
        rng,
    )


@pytest.mark.parametrize(("n", "m"), RECTANGULAR)
def test_squared_norm(n, m):
    rng = rng_for(n, m)
    X = rng.standard_normal((n, m))
    check_identity(
        "‖X‖²_F → 2X",
        squared_norm_gradient(X),
        lambda Y: np.sum(Y**2),
        lambda Y: anp.trace(anp.dot(Y.T, Y)),
        X,
        rng,
    )


@pytest.mark.parametrize("n", SQUARE)
def test_determinant(n):
    rng = rng_for(n)
    X = well_conditioned(n, rng)
    check_identity(
        "det X → det(X) X⁻ᵀ", determinant_gradient(X), np.linalg.det, anp.linalg.det, X, rng
    )


@pytest.mark.parametrize("n", SQUARE)
@pytest.mark.parametrize("sign", [1, -1])
def test_log_abs_determinant(n, sign):
    rng = rng_for(n, sign + 1)
    X = well_conditioned(n, rng)
    X[0] *= sign  # det X < 0 too: the gradient of log|det X| is X⁻ᵀ either way
    assert np.sign(np.linalg.det(X)) == sign
    check_identity(
        "log|det X| → X⁻ᵀ",
        log_abs_determinant_gradient(X),
        log_abs_determinant,
        lambda Y: anp.log(anp.abs(anp.linalg.det(Y))),
        X,
        rng,
    )


@pytest.mark.parametrize("n", SQUARE)
def test_inverse(n):
    rng = rng_for(n)
    X, G = well_conditioned(n, rng), rng.standard_normal((n, n))
    check_jacobian("−X⁻¹ ⊗ X⁻ᵀ", inverse_jacobian(X), np.linalg.inv, anp.linalg.inv, X)
    check_vjp("−X⁻ᵀ G X⁻ᵀ", inverse_vjp(X, G), np.linalg.inv, anp.linalg.inv, X, G)
    directions = rng.standard_normal((5, n, n))
    assert_close(
        "d(X⁻¹) = −X⁻¹ dX X⁻¹ along random directions",
        np.array([inverse_differential(X, E) for E in directions]),
        directional_derivatives(np.linalg.inv, X, directions),
        FINITE_DIFFERENCE_TOLERANCE,
    )


@pytest.mark.parametrize(("n", "m", "k"), [(1, 1, 1), (4, 3, 2), (3, 5, 2), (6, 4, 1)])
def test_low_rank(n, m, k):
    rng = rng_for(n, m, k)
    X, U, V = (rng.standard_normal(shape) for shape in [(n, m), (n, k), (k, m)])
    G_U, G_V = low_rank_gradients(X, U, V)
    check_identity(
        "∂/∂U = −2(X − UV)Vᵀ",
        G_U,
        lambda W: low_rank_loss(X, W, V),
        lambda W: anp.trace(anp.dot((X - anp.dot(W, V)).T, X - anp.dot(W, V))),
        U,
        rng,
    )
    check_identity(
        "∂/∂V = −2Uᵀ(X − UV)",
        G_V,
        lambda W: low_rank_loss(X, U, W),
        lambda W: anp.trace(anp.dot((X - anp.dot(U, W)).T, X - anp.dot(U, W))),
        V,
        rng,
    )


def test_common_mistakes_are_wrong():
    """A for Aᵀ, 2AX for (A + Aᵀ)X, X⁻¹ for X⁻ᵀ: all fail for a non-symmetric matrix."""
    rng, n, m = rng_for(5), 4, 3
    A, X, S = rng.standard_normal((n, n)), rng.standard_normal((n, m)), well_conditioned(n, rng)
    assert relative_error(A, trace_of_product_gradient(A, S)) > 0.1
    assert relative_error(2 * A @ X, trace_quadratic_gradient(A, X)) > 0.1
    assert relative_error(np.linalg.inv(S), log_abs_determinant_gradient(S)) > 0.1


# Functions of a symmetric matrix
def free_entries(n):
    return [(i, j) for i in range(n) for j in range(i, n)]


def from_free_entries(u, n):
    """The symmetric n×n matrix whose entries on and above the diagonal are u, in order."""
    return sum(u[p] * free_entry_direction(i, j, n) for p, (i, j) in enumerate(free_entries(n)))


def orthonormal_symmetric_basis(n):
    """A basis of the symmetric n×n matrices, orthonormal for ':': e_i e_iᵀ, and
    (e_i e_jᵀ + e_j e_iᵀ)/√2 for i < j."""
    return [
        free_entry_direction(i, j, n) / (1 if i == j else np.sqrt(2)) for i, j in free_entries(n)
    ]


def log_det_reference(Y):
    return anp.log(anp.linalg.det(Y))


def gradient_among_symmetric(f, P):
    """The gradient of f at P in the symmetric matrices with ':', from its definition: over an
    orthonormal basis B_k of that space, Σ_k (∂/∂c_k) f(P + Σ_l c_l B_l) B_k, by autograd."""
    basis = orthonormal_symmetric_basis(len(P))
    coordinates = grad(lambda c: f(P + sum(c_k * B for c_k, B in zip(c, basis, strict=True))))(
        np.zeros(len(basis))
    )
    return sum(c_k * B for c_k, B in zip(coordinates, basis, strict=True))


@pytest.mark.parametrize("n", [1, 2, 4, 7])
def test_symmetric_gradient_is_sym_of_g(n):
    """log det: G = X⁻¹ is already symmetric; tr(AX): G = Aᵀ is not, and sym(Aᵀ) is the one."""
    rng = rng_for(n)
    P, A = spd(n, rng), rng.standard_normal((n, n))
    log_det_gradient = gradient_among_symmetric(log_det_reference, P)
    assert_close("log det: X⁻¹", log_det_gradient, np.linalg.inv(P), 1e-10)
    trace_gradient = gradient_among_symmetric(lambda Y: anp.trace(anp.dot(A, Y)), P)
    assert_close("tr(AX): sym(Aᵀ)", trace_gradient, symmetric_part(A.T), 1e-10)
    if n > 1:
        assert relative_error(trace_gradient, A.T) > 1e-2, "Aᵀ itself is not the gradient here"


@pytest.mark.parametrize("n", [1, 2, 4, 7])
def test_free_entry_partials(n):
    """2 sym(G) − I ∘ G holds the partial derivatives w.r.t. the n(n+1)/2 free entries, by
    autograd through X(u) and by central differences along free_entry_direction(i, j)."""
    rng = rng_for(n)
    P = spd(n, rng)
    partials = free_entry_partials(np.linalg.inv(P))
    u = np.array([P[i, j] for i, j in free_entries(n)])
    by_autograd = grad(lambda v: log_det_reference(from_free_entries(v, n)))(u)
    on_and_above = np.array([partials[i, j] for i, j in free_entries(n)])
    assert_close("free-entry partials vs autograd", on_and_above, by_autograd, 1e-10)
    free = [free_entry_direction(i, j, n) for i in range(n) for j in range(n)]
    numeric = directional_derivatives(log_abs_determinant, P, free).reshape(n, n)
    assert_close("free-entry partials vs finite differences", partials, numeric, 1e-6)
    cookbook = 2 * np.linalg.inv(P) - np.eye(n) * np.linalg.inv(P)
    assert_close("the form 2X⁻¹ − I ∘ X⁻¹", partials, cookbook, 1e-15)


@pytest.mark.parametrize("n", [2, 4, 7])
def test_free_entry_partials_are_not_the_frobenius_gradient(n):
    """Along symmetric E, sym(G) : E is the derivative and (2 sym(G) − I ∘ G) : E is not; along a
    non-symmetric E the symmetric gradient does not give the derivative of tr(AX)."""
    rng = rng_for(n, 1)
    P, A = spd(n, rng), rng.standard_normal((n, n))
    symmetric = [symmetric_part(E) for E in rng.standard_normal((5, n, n))]
    numeric = directional_derivatives(log_abs_determinant, P, symmetric)
    G = np.linalg.inv(P)
    assert_close("X⁻¹ : E", frobenius_products(G, symmetric), numeric, 1e-6)
    assert relative_error(frobenius_products(free_entry_partials(G), symmetric), numeric) > 1e-2
    general = rng.standard_normal((5, n, n))
    numeric = directional_derivatives(lambda Y: np.trace(A @ Y), P, general)
    assert relative_error(frobenius_products(symmetric_part(A.T), general), numeric) > 1e-2
    assert_close("Aᵀ : E, any E", frobenius_products(A.T, general), numeric, 1e-6)


def test_column_convention_tab():
    """With a, b as n×1 and m×1 columns, ∂(aᵀXb)/∂X = abᵀ. X is the same matrix in both
    conventions and the gradient has its shape, so it equals the row result (not transposed);
    every other identity on the page is written the same in both tabs."""
    rng, n, m = rng_for(3), 4, 3
    a, b = rng.standard_normal((1, n)), rng.standard_normal((1, m))
    a_column, b_column = a.T, b.T
    column_result = a_column @ b_column.T
    assert column_result.shape == (n, m)
    assert_close("abᵀ (columns) = aᵀb (rows)", column_result, bilinear_gradient(a, b), 1e-15)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("matrix_identities")
    checks = [line for line in lines if "DIFFERS" not in line]
    mistakes = [line.rsplit(": DIFFERS", 1)[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 14 and all(line.endswith("matches") for line in checks)
    assert mistakes == [
        "tr(AX) → A (transpose dropped)",
        "tr(XᵀAX) → 2AX (A not symmetric)",
        "log|det X| → X⁻¹ (X not symmetric)",
        "(2X⁻¹ − I ∘ X⁻¹) : E, symmetric E",
        "sym(Aᵀ) : E, E not symmetric",
    ], "every common mistake must still fail"
