"""docs/forward_reverse.md ↔ snippets/forward_reverse.py: JVPs, VJPs, the Jacobian both ways,
and a Hessian-vector product by forward over reverse."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, hessian_vector_product, make_jvp

from snippets.forward_reverse import (
    counted,
    jacobian_both_ways,
    jacobian_by_jvps,
    jacobian_by_vjps,
    multiplications_per_pass,
    multiplications_shared,
    tanh_layer,
    tanh_layer_gradient_and_hvp,
    tanh_layer_hessian,
    tanh_layer_jacobian,
    tanh_layer_jvp,
    tanh_layer_vjp,
)
from snippets.gradcheck import numerical_jacobian
from tests.gradients import (
    AUTODIFF_TOLERANCE,
    FINITE_DIFFERENCE_TOLERANCE,
    assert_close,
    check_jacobian,
    check_vjp,
    run_page_demo,
)

# (n inputs, k hidden units, m outputs); (3, 4, 5) is the page's function.
SIZES = [(1, 1, 1), (3, 4, 5), (5, 2, 1), (2, 6, 17), (17, 3, 2)]


def tanh_layer_reference(x, A, B):
    """tanh(xA) B again, with tanh from its definition (e^{2r} − 1)/(e^{2r} + 1)."""
    r = anp.dot(x, A)
    return anp.dot(1 - 2 / (anp.exp(2 * r) + 1), B)


def random_problem(n, k, m):
    rng = np.random.default_rng([n, k, m])
    return (
        rng.standard_normal((1, n)),
        rng.standard_normal((n, k)),
        rng.standard_normal((k, m)),
        rng.standard_normal((1, n)),
        rng.standard_normal((1, m)),
    )


@pytest.mark.parametrize(("n", "k", "m"), SIZES)
def test_jacobian(n, k, m):
    x, A, B, _, _ = random_problem(n, k, m)
    jacobian = tanh_layer_jacobian(x, A, B)
    assert jacobian.shape == (m, n)
    check_jacobian(
        "tanh_layer_jacobian",
        jacobian,
        lambda x: tanh_layer(x, A, B),
        lambda x: tanh_layer_reference(x, A, B),
        x,
    )


@pytest.mark.parametrize(("n", "k", "m"), SIZES)
def test_jvp(n, k, m):
    """v Jᵀ against the central difference (f(x + εv) − f(x − εv))/2ε and autograd's make_jvp."""
    x, A, B, v, _ = random_problem(n, k, m)
    ours = tanh_layer_jvp(x, A, B, v)
    assert ours.shape == (1, m)
    along_v = numerical_jacobian(lambda eps: tanh_layer(x + eps * v, A, B), np.zeros((1, 1))).T
    assert_close("JVP vs finite differences", ours, along_v, FINITE_DIFFERENCE_TOLERANCE)
    _, by_autograd = make_jvp(lambda x: tanh_layer_reference(x, A, B))(x)(v)
    assert_close("JVP vs autograd make_jvp", ours, by_autograd, AUTODIFF_TOLERANCE)


@pytest.mark.parametrize(("n", "k", "m"), SIZES)
def test_vjp(n, k, m):
    x, A, B, _, u = random_problem(n, k, m)
    check_vjp(
        "tanh_layer_vjp",
        tanh_layer_vjp(x, A, B, u),
        lambda x: tanh_layer(x, A, B),
        lambda x: tanh_layer_reference(x, A, B),
        x,
        u,
    )


@pytest.mark.parametrize(("n", "k", "m"), SIZES)
def test_jacobian_both_ways_and_their_passes(n, k, m):
    """n JVPs give J column by column, m VJPs row by row; both equal the explicit J."""
    x, A, B, _, _ = random_problem(n, k, m)
    by_columns, by_rows, jvps, vjps = jacobian_both_ways(x, A, B)
    assert (jvps, vjps) == (n, m)
    explicit = tanh_layer_jacobian(x, A, B)
    assert_close("J by JVPs", by_columns, explicit, 1e-14)
    assert_close("J by VJPs", by_rows, explicit, 1e-14)


def test_multiplications_per_pass_counts_the_three_products():
    """vA is (1×n)(n×k): n·k; the ∘ is k; (1×k)(k×m) is k·m. The VJP has the same three."""
    assert multiplications_per_pass(2, 4, 40) == 2 * 4 + 4 + 4 * 40 == 172
    assert multiplications_per_pass(40, 4, 1) == 168


def test_both_modes_share_z_and_its_derivative():
    """z = tanh(xA) is (1×n)(n×k): n·k; 1 − z∘z is k more. Both modes need them, once."""
    assert multiplications_shared(2, 4) == 2 * 4 + 4 == 12
    assert multiplications_shared(40, 4) == 164


def test_jacobian_builders_place_columns_and_rows():
    """On a linear map y = xM (J = Mᵀ), with M neither square nor symmetric."""
    M = np.arange(6.0).reshape(2, 3)  # x is 1×2, y is 1×3, J is 3×2
    jvp, vjp = counted(lambda v: v @ M), counted(lambda u: u @ M.T)
    assert_close("columns", jacobian_by_jvps(jvp, 2), M.T, 0)
    assert_close("rows", jacobian_by_vjps(vjp, 3), M.T, 0)
    assert (jvp.calls, vjp.calls) == (2, 3)


@pytest.mark.parametrize(("n", "k", "m"), SIZES)
def test_gradient_and_hvp(n, k, m):
    x, A, B, v, u = random_problem(n, k, m)

    def loss_reference(x):
        return anp.sum(tanh_layer_reference(x, A, B) * u)

    gradient, hvp = tanh_layer_gradient_and_hvp(x, A, B, u, v)
    assert gradient.shape == hvp.shape == (1, n)
    assert_close("gradient = u J", gradient, tanh_layer_vjp(x, A, B, u), 1e-14)
    assert_close("gradient vs autograd", gradient, grad(loss_reference)(x), AUTODIFF_TOLERANCE)
    along_v = numerical_jacobian(
        lambda eps: tanh_layer_vjp(x + eps * v, A, B, u), np.zeros((1, 1))
    ).T
    assert_close("Hv vs differences of the gradient", hvp, along_v, FINITE_DIFFERENCE_TOLERANCE)
    by_autograd = hessian_vector_product(loss_reference)(x, v)
    assert_close("Hv vs autograd hessian_vector_product", hvp, by_autograd, AUTODIFF_TOLERANCE)


@pytest.mark.parametrize(("n", "k", "m"), SIZES)
def test_hessian(n, k, m):
    x, A, B, v, u = random_problem(n, k, m)

    def loss_reference(x):
        return anp.sum(tanh_layer_reference(x, A, B) * u)

    hessian = tanh_layer_hessian(x, A, B, u)
    check_jacobian(
        "tanh_layer_hessian",
        hessian,
        lambda x: tanh_layer_vjp(x, A, B, u),
        grad(loss_reference),
        x,
    )
    assert_close("symmetric", hessian, hessian.T, 1e-14)
    assert_close("v ∇²ℓ", tanh_layer_gradient_and_hvp(x, A, B, u, v)[1], v @ hessian, 1e-12)


@pytest.mark.parametrize(("n", "k", "m"), SIZES)
def test_column_convention_tab(n, k, m):
    """Columns: y = Bᵀ tanh(Aᵀx), J v = Bᵀ((1 − z∘z) ∘ (Aᵀv)), Jᵀu = A((1 − z∘z) ∘ (Bu)),
    ∇²ℓ v = A(−2 (Bu) ∘ z ∘ (1 − z∘z) ∘ (Aᵀv)), with x, v, z n×1, k×1 and u m×1."""
    x, A, B, v, u = random_problem(n, k, m)
    x_c, v_c, u_c = x.T, v.T, u.T
    z = np.tanh(A.T @ x_c)  # k×1
    jacobian = B.T @ np.diag(1 - z[:, 0] ** 2) @ A.T  # m×n, the same matrix as for rows
    jvp = B.T @ ((1 - z * z) * (A.T @ v_c))
    vjp = A @ ((1 - z * z) * (B @ u_c))
    hvp = A @ (-2 * (B @ u_c) * z * (1 - z * z) * (A.T @ v_c))
    assert jvp.shape == (m, 1) and vjp.shape == hvp.shape == (n, 1)
    assert_close("y", B.T @ z, tanh_layer(x, A, B).T, 1e-14)
    assert_close("J", jacobian, tanh_layer_jacobian(x, A, B), 1e-14)
    assert_close("J v", jvp, tanh_layer_jvp(x, A, B, v).T, 1e-12)
    assert_close("J v as a product", jacobian @ v_c, jvp, 1e-12)
    assert_close("Jᵀ u", vjp, tanh_layer_vjp(x, A, B, u).T, 1e-12)
    assert_close("Jᵀ u as a product", jacobian.T @ u_c, vjp, 1e-12)
    assert_close("∇²ℓ v", hvp, tanh_layer_gradient_and_hvp(x, A, B, u, v)[1].T, 1e-12)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("forward_reverse")
    checks, mistakes, costs, hvp = lines[:6], lines[6:8], lines[8:10], lines[10:]
    assert all(line.endswith(": matches") for line in checks + costs + hvp), lines
    assert len(hvp) == 5, hvp
    assert mistakes[0].startswith("JVP taken as v J: matmul:") and "mismatch" in mistakes[0]
    assert mistakes[1].startswith("square J, JVP taken as v J: DIFFERS, relative error")
    assert costs[0].startswith(
        "tall 40×2 J, passes: 2 forward (12 + 344 multiplications), 40 reverse (12 + 6880)"
    )
    assert costs[1].startswith(
        "wide 1×40 J, passes: 40 forward (164 + 6720 multiplications), 1 reverse (164 + 168)"
    )
