"""docs/traces_norms.md ↔ snippets/traces_norms.py: gradients of traces of products, Frobenius
norms and quadratic and bilinear forms, each against finite differences and autograd."""

from functools import reduce

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.traces_norms import (
    affine_bilinear_gradient,
    affine_quadratic_gradient,
    bilinear_gradient,
    form,
    frobenius_norm_gradient,
    gram_norm_gradient,
    least_squares_gradient,
    numerical_gradient,
    quadratic_form_gradient,
    squared_frobenius_gradient,
    trace_axb_gradient,
    trace_axbx_gradient,
    trace_axtb_gradient,
    trace_linear_gradient,
    trace_power_gradient,
    trace_xaxt_gradient,
    trace_xtax_gradient,
    trace_xtbxc_gradient,
    transpose_residual_gradient,
    transposed_bilinear_gradient,
    weighted_bilinear_gradient,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, relative_error, run_page_demo

# (n, m, p, q): pairwise distinct and at least 2, so a misplaced transpose changes a shape
SIZES = [(4, 3, 2, 5), (2, 5, 3, 4), (5, 2, 4, 3), (3, 6, 5, 2)]
SQUARE = [2, 3, 5]


def rng_for(*numbers):
    return np.random.default_rng(list(numbers))


def draw(rng, *shapes):
    return [rng.standard_normal(shape) for shape in shapes]


def check_gradient(name, gradient, f_numpy, f_autograd, X, rng):
    """A claimed ∂f/∂X for a scalar f: in X's shape; laid out as the 1×(size of X) Jacobian
    against finite differences and autograd; times a random scalar upstream g as a VJP."""
    assert np.shape(gradient) == np.shape(X), f"{name}: shape {np.shape(gradient)}"
    check_jacobian(name, np.reshape(gradient, (1, -1)), f_numpy, f_autograd, X)
    g = float(rng.standard_normal())
    check_vjp(f"{name}, g = {g:.2f}", g * gradient, f_numpy, f_autograd, X, g)


def a_trace(*factors):
    """tr(P₁P₂⋯) by autograd, written as Σ_ij (P₁⋯P_{k−1})_ij (P_k)_ji."""
    head = reduce(anp.dot, factors[:-1])
    return anp.sum(head * factors[-1].T)


# Gradient of a trace
@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_trace_of_ax_and_xa(n, m, p, q):
    rng = rng_for(n, m, p, q)
    A, X = draw(rng, (m, n), (n, m))
    G = trace_linear_gradient(A)
    check_gradient("tr(AX) → Aᵀ", G, lambda Y: np.trace(A @ Y), lambda Y: a_trace(A, Y), X, rng)
    check_gradient("tr(XA) → Aᵀ", G, lambda Y: np.trace(Y @ A), lambda Y: a_trace(Y, A), X, rng)


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_trace_of_axb(n, m, p, q):
    rng = rng_for(n, m, p, q)
    A, B, X = draw(rng, (p, n), (m, p), (n, m))
    check_gradient(
        "tr(AXB) → AᵀBᵀ",
        trace_axb_gradient(A, B),
        lambda Y: np.trace(A @ Y @ B),
        lambda Y: a_trace(A, Y, B),
        X,
        rng,
    )


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_trace_of_axtb(n, m, p, q):
    rng = rng_for(n, m, p, q)
    A, B, X = draw(rng, (p, m), (n, p), (n, m))
    check_gradient(
        "tr(AXᵀB) → BA",
        trace_axtb_gradient(A, B),
        lambda Y: np.trace(A @ Y.T @ B),
        lambda Y: a_trace(A, anp.transpose(Y), B),
        X,
        rng,
    )


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_trace_of_xtax_and_xaxt(n, m, p, q):
    rng = rng_for(n, m, p, q)
    A_n, A_m, X = draw(rng, (n, n), (m, m), (n, m))
    check_gradient(
        "tr(XᵀAX) → (A + Aᵀ)X",
        trace_xtax_gradient(A_n, X),
        lambda Y: np.trace(Y.T @ A_n @ Y),
        lambda Y: anp.sum(Y * anp.dot(A_n, Y)),  # Σ_ij X_ij (AX)_ij
        X,
        rng,
    )
    check_gradient(
        "tr(XAXᵀ) → X(A + Aᵀ)",
        trace_xaxt_gradient(A_m, X),
        lambda Y: np.trace(Y @ A_m @ Y.T),
        lambda Y: anp.sum(anp.dot(Y, A_m) * Y),  # Σ_ij (XA)_ij X_ij
        X,
        rng,
    )


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_trace_of_xtbxc(n, m, p, q):
    rng = rng_for(n, m, p, q)
    B, C, X = draw(rng, (n, n), (m, m), (n, m))
    check_gradient(
        "tr(XᵀBXC) → BXC + BᵀXCᵀ",
        trace_xtbxc_gradient(B, C, X),
        lambda Y: np.trace(Y.T @ B @ Y @ C),
        lambda Y: a_trace(anp.transpose(Y), B, Y, C),
        X,
        rng,
    )
    identity_n, identity_m = np.eye(n), np.eye(m)
    assert_close(
        "C = I gives tr(XᵀBX)",
        trace_xtbxc_gradient(B, identity_m, X),
        trace_xtax_gradient(B, X),
        1e-12,
    )
    assert_close(
        "B = I gives tr(XCXᵀ)",
        trace_xtbxc_gradient(identity_n, C, X),
        trace_xaxt_gradient(C, X),
        1e-12,
    )


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_trace_of_axbx(n, m, p, q):
    rng = rng_for(n, m, p, q)
    A, B, X = draw(rng, (m, n), (m, n), (n, m))
    check_gradient(
        "tr(AXBX) → AᵀXᵀBᵀ + BᵀXᵀAᵀ",
        trace_axbx_gradient(A, B, X),
        lambda Y: np.trace(A @ Y @ B @ Y),
        lambda Y: a_trace(A, Y, B, Y),
        X,
        rng,
    )


@pytest.mark.parametrize("n", SQUARE)
@pytest.mark.parametrize("power", [1, 2, 3, 4])  # an exponent, not a size
def test_trace_of_power(n, power):
    rng = rng_for(n, power)
    (X,) = draw(rng, (n, n))
    check_gradient(
        f"tr(X^{power}) → {power}(X^{power - 1})ᵀ",
        trace_power_gradient(X, power),
        lambda Y: np.trace(np.linalg.matrix_power(Y, power)),
        lambda Y: anp.trace(reduce(anp.dot, [Y] * power)),
        X,
        rng,
    )


# Gradient of a Frobenius norm
@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_squared_frobenius_norm(n, m, p, q):
    rng = rng_for(n, m, p, q)
    (X,) = draw(rng, (n, m))
    check_gradient(
        "‖X‖²_F = tr(XᵀX) → 2X",
        squared_frobenius_gradient(X),
        lambda Y: np.trace(Y.T @ Y),
        lambda Y: anp.sum(Y**2),
        X,
        rng,
    )


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_frobenius_norm(n, m, p, q):
    rng = rng_for(n, m, p, q)
    (X,) = draw(rng, (n, m))
    check_gradient(
        "‖X‖_F → X/‖X‖_F",
        frobenius_norm_gradient(X),
        np.linalg.norm,
        lambda Y: anp.sqrt(anp.sum(Y**2)),
        X,
        rng,
    )


def test_frobenius_norm_has_no_gradient_at_zero():
    """At X = 0 the norm is a cone, ‖tE‖_F = |t| ‖E‖_F: it rises at slope ‖E‖_F along E and
    along −E, which no linear map G : E does, so there is no gradient; the function says so."""
    rng, n, m = rng_for(0), 3, 4
    zero, (E,) = np.zeros((n, m)), draw(rng, (n, m))
    with pytest.raises(ValueError, match="no gradient at X = 0"):
        frobenius_norm_gradient(zero)
    step = 1e-6
    up, down = (np.linalg.norm(zero + step * D) / step for D in (E, -E))
    assert_close("slope along E", up, np.linalg.norm(E), 1e-12)
    assert_close("slope along −E", down, np.linalg.norm(E), 1e-12)
    central = (np.linalg.norm(step * E) - np.linalg.norm(-step * E)) / (2 * step)
    assert central == 0, "the central difference at 0 reports a gradient 0 that is not there"


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_least_squares_norm(n, m, p, q):
    rng = rng_for(n, m, p, q)
    A, B, X = draw(rng, (p, n), (p, m), (n, m))
    check_gradient(
        "‖AX − B‖²_F → 2Aᵀ(AX − B)",
        least_squares_gradient(A, X, B),
        lambda Y: np.sum((A @ Y - B) ** 2),
        lambda Y: a_trace(anp.transpose(anp.dot(A, Y) - B), anp.dot(A, Y) - B),
        X,
        rng,
    )


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_transpose_residual_norm(n, m, p, q):
    rng = rng_for(n, m, p, q)
    A, X = draw(rng, (m, n), (n, m))
    check_gradient(
        "‖Xᵀ − A‖²_F → 2(X − Aᵀ)",
        transpose_residual_gradient(A, X),
        lambda Y: np.sum((Y.T - A) ** 2),
        lambda Y: anp.sum((Y - anp.transpose(A)) ** 2),  # the same entries, transposed
        X,
        rng,
    )


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_gram_norm(n, m, p, q):
    rng = rng_for(n, m, p, q)
    (X,) = draw(rng, (n, m))
    check_gradient(
        "‖XᵀX‖²_F → 4XXᵀX",
        gram_norm_gradient(X),
        lambda Y: np.sum((Y.T @ Y) ** 2),
        lambda Y: anp.sum(anp.dot(Y, anp.transpose(Y)) ** 2),  # ‖XᵀX‖_F = ‖XXᵀ‖_F
        X,
        rng,
    )


# Gradient of a quadratic form
@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_bilinear_forms(n, m, p, q):
    rng = rng_for(n, m, p, q)
    a_n, b_m, a_m, b_n, X = draw(rng, (1, n), (1, m), (1, m), (1, n), (n, m))
    check_gradient(
        "a X bᵀ → aᵀb",
        bilinear_gradient(a_n, b_m),
        lambda Y: form(a_n, Y, b_m),
        lambda Y: anp.sum(anp.transpose(a_n) * Y * b_m),  # Σ_ij a_i X_ij b_j
        X,
        rng,
    )
    check_gradient(
        "a Xᵀ bᵀ → bᵀa",
        transposed_bilinear_gradient(a_m, b_n),
        lambda Y: form(a_m, Y.T, b_n),
        lambda Y: anp.sum(anp.transpose(b_n) * Y * a_m),  # Σ_ij b_i X_ij a_j
        X,
        rng,
    )


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_quadratic_form(n, m, p, q):
    rng = rng_for(n, m, p, q)
    A, x = draw(rng, (n, n), (1, n))
    G = quadratic_form_gradient(x, A)
    check_gradient(
        "x A xᵀ → x(A + Aᵀ)",
        G,
        lambda y: form(y, A, y),
        lambda y: anp.sum(anp.transpose(y) * A * y),  # Σ_ij x_i A_ij x_j
        x,
        rng,
    )
    assert relative_error(2 * x @ A, G) > 0.05, "2xA is wrong for a non-symmetric A"
    assert relative_error(2 * x @ A.T, G) > 0.05, "and so is 2xAᵀ"


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_affine_bilinear_form(n, m, p, q):
    rng = rng_for(n, m, p, q)
    A, b, C, D, d, x = draw(rng, (n, p), (1, p), (p, q), (n, q), (1, q), (1, n))
    check_gradient(
        "(xA + b)C(xD + d)ᵀ → (xD + d)CᵀAᵀ + (xA + b)CDᵀ",
        affine_bilinear_gradient(x, A, b, C, D, d),
        lambda y: form(y @ A + b, C, y @ D + d),
        lambda y: anp.sum(anp.dot(anp.dot(y, A) + b, C) * (anp.dot(y, D) + d)),
        x,
        rng,
    )


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_weighted_bilinear_form(n, m, p, q):
    rng = rng_for(n, m, p, q)
    b, c, D, X = draw(rng, (1, m), (1, m), (n, n), (n, m))
    check_gradient(
        "b XᵀDX cᵀ → DᵀXbᵀc + DXcᵀb",
        weighted_bilinear_gradient(b, X, D, c),
        lambda Y: form(b @ Y.T, D, c @ Y.T),
        lambda Y: anp.sum(anp.dot(Y, anp.transpose(b)) * anp.dot(D, anp.dot(Y, anp.transpose(c)))),
        X,
        rng,
    )


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_affine_quadratic_form(n, m, p, q):
    rng = rng_for(n, m, p, q)
    b, c, D, X = draw(rng, (1, m), (1, n), (n, n), (n, m))

    def column(Y):  # Xbᵀ + cᵀ, the row r = bXᵀ + c as a column
        return anp.dot(Y, anp.transpose(b)) + anp.transpose(c)

    check_gradient(
        "r D rᵀ, r = bXᵀ + c → (D + Dᵀ)rᵀb",
        affine_quadratic_gradient(b, X, c, D),
        lambda Y: form(b @ Y.T + c, D, b @ Y.T + c),
        lambda Y: anp.sum(column(Y) * anp.dot(D, column(Y))),
        X,
        rng,
    )


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_shortcuts_with_a_two_need_a_symmetric_matrix(n, m, p, q):
    """2xA, 2uCAᵀ and 2Drᵀb are the gradients when A, C, D are symmetric, and are wrong when
    they are not: the general forms average the matrix with its transpose."""
    rng = rng_for(n, m, p, q, 1)
    A, C, D, A_q, b_q, b, c, x, X = draw(
        rng, (n, n), (q, q), (n, n), (n, q), (1, q), (1, m), (1, n), (1, n), (n, m)
    )
    u, r = x @ A_q + b_q, b @ X.T + c  # u C uᵀ is (xA + b)C(xD + d)ᵀ with D = A, d = b
    for name, square in [("A", A), ("C", C), ("D", D)]:
        assert relative_error(square, square.T) > 0.1, f"{name} should not be symmetric"
    general = [
        quadratic_form_gradient(x, A),
        affine_bilinear_gradient(x, A_q, b_q, C, A_q, b_q),
        affine_quadratic_gradient(b, X, c, D),
    ]
    shortcut = [2 * x @ A, 2 * u @ C @ A_q.T, 2 * np.outer(D @ r.T, b)]
    for ours, wrong in zip(general, shortcut, strict=True):
        assert relative_error(wrong, ours) > 1e-2
    symmetric = [(M + M.T) / 2 for M in (A, C, D)]
    A_s, C_s, D_s = symmetric
    general = [
        quadratic_form_gradient(x, A_s),
        affine_bilinear_gradient(x, A_q, b_q, C_s, A_q, b_q),
        affine_quadratic_gradient(b, X, c, D_s),
    ]
    shortcut = [2 * x @ A_s, 2 * u @ C_s @ A_q.T, 2 * np.outer(D_s @ r.T, b)]
    for ours, right in zip(general, shortcut, strict=True):
        assert_close("the shortcut with a symmetric matrix", right, ours, 1e-12)


def test_tr_axtb_missing_transpose_is_wrong():
    """AᵀBᵀ, the tr(AXB) answer, is ∂f/∂(Xᵀ): m×n, and BA is its transpose."""
    rng, n, m, p = rng_for(7), 4, 3, 2
    A, B = draw(rng, (p, m), (n, p))
    assert trace_axtb_gradient(A, B).shape == (n, m)
    assert (A.T @ B.T).shape == (m, n)
    assert_close("BA = (AᵀBᵀ)ᵀ", trace_axtb_gradient(A, B), (A.T @ B.T).T, 1e-15)


def test_numerical_gradient_is_the_jacobian_laid_out():
    rng, n, m = rng_for(8), 4, 3
    A, X = draw(rng, (m, n), (n, m))
    numeric = numerical_gradient(lambda Y: np.trace(A @ Y), X)
    assert numeric.shape == X.shape
    assert_close("tr(AX) by differences", numeric, A.T, 1e-6)


@pytest.mark.parametrize(("n", "m", "p", "q"), SIZES)
def test_column_convention_tab(n, m, p, q):
    """The Column-vectors tab, literally, with every vector a column: aᵀXb → abᵀ,
    aᵀXᵀb → baᵀ, xᵀAx → (A + Aᵀ)x, (Aᵀx + b)ᵀC(Dᵀx + d) → AC(Dᵀx + d) + DCᵀ(Aᵀx + b),
    bᵀXᵀDXc → DᵀXbcᵀ + DXcbᵀ, (Xb + c)ᵀD(Xb + c) → (D + Dᵀ)(Xb + c)bᵀ. The matrix gradients
    are the row results (X keeps its shape); the vector ones are the row results transposed."""
    rng = rng_for(n, m, p, q, 2)
    A_n, A_np, C_pq, D_nq, D_n, X = draw(rng, (n, n), (n, p), (p, q), (n, q), (n, n), (n, m))
    a_n, b_m, a_m, b_n, b_p, d_q, c_m, c_n, x = draw(
        rng, (1, n), (1, m), (1, m), (1, n), (1, p), (1, q), (1, m), (1, n), (1, n)
    )
    col = np.transpose
    pairs = [
        ("abᵀ", col(a_n) @ b_m, bilinear_gradient(a_n, b_m)),
        ("baᵀ", col(b_n) @ a_m, transposed_bilinear_gradient(a_m, b_n)),
        ("(A + Aᵀ)x", (A_n + A_n.T) @ col(x), col(quadratic_form_gradient(x, A_n))),
        (
            "AC(Dᵀx + d) + DCᵀ(Aᵀx + b)",
            A_np @ C_pq @ (D_nq.T @ col(x) + col(d_q))
            + D_nq @ C_pq.T @ (A_np.T @ col(x) + col(b_p)),
            col(affine_bilinear_gradient(x, A_np, b_p, C_pq, D_nq, d_q)),
        ),
        (
            "DᵀXbcᵀ + DXcbᵀ",
            D_n.T @ X @ col(b_m) @ c_m + D_n @ X @ col(c_m) @ b_m,
            weighted_bilinear_gradient(b_m, X, D_n, c_m),
        ),
        (
            "(D + Dᵀ)(Xb + c)bᵀ",
            (D_n + D_n.T) @ (X @ col(b_m) + col(c_n)) @ b_m,
            affine_quadratic_gradient(b_m, X, c_n, D_n),
        ),
    ]
    for name, column_result, row_result in pairs:
        assert_close(name, column_result, row_result, 1e-12)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("traces_norms")
    checks = [line for line in lines if "DIFFERS" not in line]
    mistakes = [line.rsplit(": DIFFERS", 1)[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 27 and all(line.endswith(": matches") for line in checks), checks
    assert mistakes == [
        "x A xᵀ → 2xA (A not symmetric)",
        "tr(AXᵀB) → AᵀBᵀ (transpose missing)",
        "u C uᵀ, u = xA + b → 2uCAᵀ (C not symmetric)",
        "r D rᵀ → 2Drᵀb (D not symmetric)",
    ], "every common mistake must still fail"
    assert "DIFFERS, shape (3, 4) but expected (4, 3)" in lines[-3]
