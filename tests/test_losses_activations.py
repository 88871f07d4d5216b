"""docs/losses_activations.md ↔ snippets/losses_activations.py: MSE, BCE with logits, tanh, ReLU,
GELU, L2 weight decay and a residual connection, each Jacobian and VJP."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.gradcheck import numerical_jacobian
from snippets.losses_activations import (
    bce_entries,
    bce_entries_jacobian,
    bce_probability_entries,
    bce_probability_gradient,
    bce_vjp,
    bce_with_logits,
    gelu,
    gelu_derivative,
    gelu_jacobian,
    gelu_vjp,
    mse,
    mse_jacobian,
    mse_vjp,
    normal_cdf,
    relu,
    relu_jacobian,
    relu_vjp,
    residual_block,
    residual_jacobian,
    residual_vjp,
    sigmoid,
    tanh_jacobian,
    tanh_vjp,
    weight_decay,
    weight_decay_gradient,
    weight_decay_jacobian,
)
from tests.gradients import (
    assert_close,
    autograd_vjp,
    check_jacobian,
    check_vjp,
    relative_error,
    run_page_demo,
)

WIDTHS = [1, 2, 5, 17]
SHAPES = [(1, 1), (1, 5), (3, 4), (8, 5), (2, 17)]  # (N, n): rows, then entries per row
NODES, WEIGHTS = np.polynomial.legendre.leggauss(60)  # Gauss–Legendre on [−1, 1]


def rng_for(*numbers):
    return np.random.default_rng(list(numbers))


# Independent forwards, written again with autograd.numpy from the definitions.
def mse_reference(Y_hat, Y):
    """The mean over rows of ‖ŷ_a − y_a‖², each row's squared norm as a dot product."""
    D = Y_hat - Y
    return anp.mean(anp.einsum("ai,ai->a", D, D))


def bce_reference(Z, Y):
    """Mean over rows of −Σ_i [y log σ(z) + (1 − y) log(1 − σ(z))], σ as written."""
    s = 1 / (1 + anp.exp(-Z))
    return anp.mean(anp.sum(-(Y * anp.log(s) + (1 - Y) * anp.log(1 - s)), axis=1))


def bce_entries_reference(Z, Y):
    s = 1 / (1 + anp.exp(-Z))
    return -(Y * anp.log(s) + (1 - Y) * anp.log(1 - s))


def tanh_reference(r):
    """tanh from its definition (e^r − e^−r)/(e^r + e^−r)."""
    return (anp.exp(r) - anp.exp(-r)) / (anp.exp(r) + anp.exp(-r))


def relu_reference(r):
    return anp.where(r > 0, r, 0.0)


def gelu_reference(r):
    """r Φ(r) with Φ(r) = 1/2 + ∫_0^r φ(t) dt by 60-point Gauss–Legendre quadrature: no erf,
    and nothing about Φ′ is told to autograd."""
    t = r[..., None] * (1 + NODES) / 2  # the quadrature points on [0, r], one axis more than r
    integral = r / 2 * anp.sum(WEIGHTS * anp.exp(-(t**2) / 2), axis=-1) / anp.sqrt(2 * anp.pi)
    return r * (0.5 + integral)


def weight_decay_reference(W, lam):
    """(λ/2) tr(WᵀW)."""
    return lam / 2 * anp.trace(anp.dot(W.T, W))


def residual_reference(x, W, b):
    return x + tanh_reference(anp.dot(x, W) + b)


def away_from_zero(shape, seed):
    """Random entries of both signs with |r| ≥ 0.1: no finite difference straddles ReLU's kink."""
    rng = rng_for(*shape, seed)
    return rng.choice([-1.0, 1.0], shape) * (0.1 + np.abs(rng.standard_normal(shape)))


# MSE
@pytest.mark.parametrize(("N", "m"), SHAPES)
def test_mse_jacobian_and_vjp(N, m):
    rng = rng_for(N, m)
    Y_hat, Y, g = rng.standard_normal((N, m)), rng.standard_normal((N, m)), rng.uniform(0.5, 2)
    check_jacobian(
        "mse_jacobian",
        mse_jacobian(Y_hat, Y),
        lambda P: mse(P, Y),
        lambda P: mse_reference(P, Y),
        Y_hat,
    )
    check_vjp(
        "mse_vjp",
        mse_vjp(Y_hat, Y, g),
        lambda P: mse(P, Y),
        lambda P: mse_reference(P, Y),
        Y_hat,
        g,
    )


@pytest.mark.parametrize(("N", "m"), SHAPES)
def test_mse_forward_and_structure(N, m):
    rng = rng_for(N, m, 1)
    Y_hat, Y = rng.standard_normal((N, m)), rng.standard_normal((N, m))
    assert relative_error(mse(Y_hat, Y), mse_reference(Y_hat, Y)) < 1e-14
    squares = np.ones((1, N * m)) @ np.diag(2 * (Y_hat - Y).ravel())
    assert_close("Jacobian = (1/N) 1 Diag(2r)", mse_jacobian(Y_hat, Y), squares / N, 1e-15)


# Binary cross-entropy with logits
def bce_example(shape, seed=0):
    rng = rng_for(*shape, seed)
    return 2 * rng.standard_normal(shape), rng.uniform(0.0, 1.0, shape)


@pytest.mark.parametrize("n", WIDTHS)
def test_bce_entries_jacobian(n):
    z, y = bce_example((1, n))
    check_jacobian(
        "bce_entries_jacobian",
        bce_entries_jacobian(z, y),
        lambda t: bce_entries(t, y),
        lambda t: bce_entries_reference(t, y),
        z,
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_bce_vjp(shape):
    Z, Y = bce_example(shape)
    g = rng_for(*shape).uniform(0.5, 2.0)
    check_vjp(
        "bce_vjp",
        bce_vjp(Z, Y, g),
        lambda t: bce_with_logits(t, Y),
        lambda t: bce_reference(t, Y),
        Z,
        g,
    )


def bce_probability_reference(P, Y):
    """Σ of −[y log p + (1 − y) log(1 − p)] over every entry, written again for autograd."""
    return -anp.sum(Y * anp.log(P) + (1 - Y) * anp.log(1 - P))


CHAIN_SHAPES = [(2, 3), (3, 4), (5, 2), (4, 7)]  # (N, n), distinct and at least 2


@pytest.mark.parametrize("labels", ["hard", "soft"])
@pytest.mark.parametrize("shape", CHAIN_SHAPES)
def test_bce_probability_gradient(shape, labels):
    """∂ℓ/∂p = −y/p + (1 − y)/(1 − p) = (p − y)/(p(1 − p)), against finite differences and
    autograd of the loss written in p; p kept in [0.2, 0.8], away from log's steep ends."""
    rng = rng_for(*shape, 3)
    P = rng.uniform(0.2, 0.8, shape)
    Y = rng.integers(0, 2, shape).astype(float) if labels == "hard" else rng.uniform(0, 1, shape)
    ours = bce_probability_gradient(P, Y)
    assert_close("two terms = one fraction", ours, -Y / P + (1 - Y) / (1 - P), 1e-14)
    check_vjp(
        "bce_probability_gradient",
        ours,
        lambda Q: np.sum(bce_probability_entries(Q, Y)),
        lambda Q: bce_probability_reference(Q, Y),
        P,
        1.0,
    )
    assert (
        relative_error(bce_probability_entries(P, Y), bce_entries_reference(np.log(P / (1 - P)), Y))
        < 1e-13
    )


@pytest.mark.parametrize("shape", CHAIN_SHAPES)
def test_bce_chain_through_the_probability_is_sigma_minus_y(shape):
    """(∂ℓ/∂p) ∘ σ′(z) with σ′ = p(1 − p) is σ(z) − y: the N-row batch gradient times N."""
    Z, Y = bce_example(shape, 2)
    P = sigmoid(Z)
    chain = bce_probability_gradient(P, Y) * P * (1 - P)
    assert_close("(∂ℓ/∂p) ∘ σ′(z) = σ(z) − y", chain, P - Y, 1e-12)
    assert_close("= N ∂L/∂Z", chain, shape[0] * bce_vjp(Z, Y), 1e-12)
    flipped = (Y - P) / (P * (1 - P)) * P * (1 - P)  # the minus in front of the loss lost
    assert relative_error(flipped, bce_vjp(Z, Y) * shape[0]) == pytest.approx(2)


@pytest.mark.parametrize("shape", SHAPES)
def test_bce_forward_matches_the_definition(shape):
    Z, Y = bce_example(shape, 1)
    assert relative_error(bce_entries(Z, Y), bce_entries_reference(Z, Y)) < 1e-13
    assert relative_error(bce_with_logits(Z, Y), bce_reference(Z, Y)) < 1e-13
    assert relative_error(sigmoid(Z), 1 / (1 + np.exp(-Z))) < 1e-15


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_finite_and_right_at_large_logits(dtype):
    moderate = np.array([20.0, -20.0, 0.0, 5.0])
    Z = np.array([[1e4, 1e4, -1e4, -1e4], moderate], dtype=dtype)
    Y = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.5, 1.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        losses, gradient = bce_entries(Z, Y), bce_vjp(Z, Y)
    tail = np.log1p(np.exp(-np.array([20.0, 20.0, 0.0, 5.0])))  # log(1 + e^−|z|)
    expected_losses = [[0.0, 1e4, 0.0, 1e4], np.array([20.0, 20.0, 0.0, 0.0]) + tail]
    expected_gradient = [[0.0, 1.0, 0.0, -1.0], 1 / (1 + np.exp(-moderate)) - Y[1]]
    tolerance = 1e-6 if dtype is np.float32 else 1e-15
    assert losses.dtype == gradient.dtype == dtype
    assert relative_error(losses, expected_losses) < tolerance
    assert relative_error(gradient, np.array(expected_gradient) / 2) < tolerance


def test_bce_naive_form_fails_where_the_stable_one_does_not():
    z = np.array([[1e4, 1e4, -1e4, -1e4]])
    y = np.array([[1.0, 0.0, 0.0, 1.0]])
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        naive = bce_entries_reference(z, y)
        float32_wrong = bce_entries_reference(np.float32([[20.0]]), np.float32([[0.0]]))
    assert np.isnan(naive[0, 0]) and np.isinf(naive[0, 1]) and np.isinf(float32_wrong[0, 0])
    assert np.array_equal(bce_entries(z, y), [[0, 1e4, 0, 1e4]])
    assert bce_entries(np.float32([[20.0]]), np.float32([[0.0]]))[0, 0] == 20


# tanh
@pytest.mark.parametrize("n", WIDTHS)
def test_tanh_jacobian(n):
    r = rng_for(n).standard_normal((1, n))
    check_jacobian("tanh_jacobian", tanh_jacobian(r), np.tanh, tanh_reference, r)


@pytest.mark.parametrize("shape", SHAPES)
def test_tanh_vjp(shape):
    rng = rng_for(*shape)
    r, g = rng.standard_normal(shape), rng.standard_normal(shape)
    check_vjp("tanh_vjp", tanh_vjp(r, g), np.tanh, tanh_reference, r, g)


# ReLU
@pytest.mark.parametrize("n", WIDTHS)
def test_relu_jacobian_away_from_the_kink(n):
    r = away_from_zero((1, n), 0)
    check_jacobian("relu_jacobian", relu_jacobian(r), relu, relu_reference, r)


@pytest.mark.parametrize("shape", SHAPES)
def test_relu_vjp_away_from_the_kink(shape):
    r, g = away_from_zero(shape, 0), rng_for(*shape).standard_normal(shape)
    check_vjp("relu_vjp", relu_vjp(r, g), relu, relu_reference, r, g)


def test_relu_at_the_kink():
    """At r = 0 we (like PyTorch, TensorFlow, JAX) use 0; a central difference gives 1/2, and
    so does autograd's np.maximum, which splits a tie between its two arguments."""
    r = np.array([[-1.0, 0.0, 2.0]])
    assert np.array_equal(np.diag(relu_jacobian(r)), [0, 0, 1])
    assert np.array_equal(relu_vjp(r, np.ones_like(r)), [[0, 0, 1]])
    assert np.diag(numerical_jacobian(relu, r))[1] == 0.5
    assert autograd_vjp(lambda t: anp.maximum(t, 0.0), r, np.ones_like(r))[0, 1] == 0.5


# GELU
@pytest.mark.parametrize("n", WIDTHS)
def test_gelu_jacobian(n):
    r = 1.5 * rng_for(n).standard_normal((1, n))
    check_jacobian("gelu_jacobian", gelu_jacobian(r), gelu, gelu_reference, r)


@pytest.mark.parametrize("shape", SHAPES)
def test_gelu_vjp(shape):
    rng = rng_for(*shape)
    r, g = 1.5 * rng.standard_normal(shape), rng.standard_normal(shape)
    check_vjp("gelu_vjp", gelu_vjp(r, g), gelu, gelu_reference, r, g)


def test_gelu_forward_and_derivative_shape():
    r = np.linspace(-5, 5, 101)
    assert relative_error(gelu(r), gelu_reference(r)) < 1e-14
    assert (
        relative_error(normal_cdf(np.array([-1.0, 0.0, 1.0])), [0.15865525, 0.5, 0.84134475]) < 1e-8
    )
    # the numbers the page states: GELU′ is −0.129 at −√2, 0 near −0.752, 1.129 at √2
    s = np.sqrt(2)
    assert abs(gelu_derivative(np.array(s)) - 1.1289) < 1e-4
    assert abs(gelu_derivative(np.array(-s)) + 0.1289) < 1e-4
    assert gelu_derivative(np.array(-0.753)) < 0 < gelu_derivative(np.array(-0.751))
    fine = np.linspace(-6, 6, 12001)
    assert np.isclose(gelu_derivative(fine).max(), gelu_derivative(np.array(s)), atol=1e-6)
    assert (
        relative_error(gelu_derivative(fine) + gelu_derivative(-fine), np.ones_like(fine)) < 1e-15
    )


# L2 weight decay
@pytest.mark.parametrize(("n", "m"), [(1, 1), (4, 3), (2, 7), (5, 6)])
def test_weight_decay(n, m):
    W, lam = rng_for(n, m).standard_normal((n, m)), 0.1 * (n + m)
    decay, reference = (lambda V: weight_decay(V, lam)), (lambda V: weight_decay_reference(V, lam))
    check_jacobian("weight_decay_jacobian", weight_decay_jacobian(W, lam), decay, reference, W)
    check_vjp("weight_decay_gradient", weight_decay_gradient(W, lam), decay, reference, W, 1.0)


# Residual connection
def residual_example(N, n):
    rng = rng_for(N, n)
    x, W, b = rng.standard_normal((N, n)), rng.standard_normal((n, n)), rng.standard_normal((1, n))
    return x, W, b, rng.standard_normal((N, n))


@pytest.mark.parametrize("n", WIDTHS)
def test_residual_jacobian(n):
    x, W, b, _ = residual_example(1, n)
    check_jacobian(
        "residual_jacobian",
        residual_jacobian(x, W, b),
        lambda v: residual_block(v, W, b),
        lambda v: residual_reference(v, W, b),
        x,
    )
    branch = residual_jacobian(x, W, b) - np.eye(n)  # J_f alone: the tanh layer's Jacobian
    assert_close("J_f = Diag(1 − h²) Wᵀ", branch, tanh_jacobian(x @ W + b) @ W.T, 1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_residual_vjp(shape):
    x, W, b, g = residual_example(*shape)
    check_vjp(
        "residual_vjp",
        residual_vjp(x, W, b, g),
        lambda v: residual_block(v, W, b),
        lambda v: residual_reference(v, W, b),
        x,
        g,
    )


# The Column-vectors tabs, evaluated literally with columns
@pytest.mark.parametrize(("N", "m"), SHAPES)
def test_column_convention_tab(N, m):
    """Examples as columns: MSE (2/N)(Ŷ_c − Y_c), BCE (σ(Z_c) − Y_c)/N, tanh Diag(1 − h²)∇,
    ReLU Diag([r > 0])∇, GELU Diag(Φ + rφ)∇, residual ∇ + W((1 − h²) ∘ ∇), decay λW."""
    rng = rng_for(N, m, 2)
    A, B = rng.standard_normal((N, m)), rng.uniform(0, 1, (N, m))  # row-major batches
    A_c, B_c = A.T, B.T  # the same data, one example per column (m×N)
    assert_close("MSE", 2 * (A_c - B_c) / N, mse_vjp(A, B).T, 1e-15)
    assert_close("BCE", (1 / (1 + np.exp(-A_c)) - B_c) / N, bce_vjp(A, B).T, 1e-14)
    r, g = A[:1], B[:1]  # one example as a row; as a column: r.T, g.T (m×1)
    h = np.tanh(r.T)
    assert_close("tanh", np.diag(1 - h[:, 0] ** 2) @ g.T, tanh_vjp(r, g).T, 1e-15)
    step = (r.T > 0).astype(float)
    assert_close("ReLU", np.diag(step[:, 0]) @ g.T, relu_vjp(r, g).T, 1e-15)
    slope = gelu_derivative(r.T)
    assert_close("GELU", np.diag(slope[:, 0]) @ g.T, gelu_vjp(r, g).T, 1e-15)
    W, b = rng.standard_normal((m, m)), rng.standard_normal((m, 1))
    h = np.tanh(W.T @ r.T + b)  # the branch with columns: tanh(Wᵀx + b)
    column = g.T + W @ ((1 - h**2) * g.T)
    assert_close("residual", column, residual_vjp(r, W, b.T, g).T, 1e-14)
    assert_close("decay", 0.1 * A, weight_decay_gradient(A, 0.1), 0)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("losses_activations")
    checks = [line for line in lines if "DIFFERS" not in line]
    mistakes = [line.rsplit(": DIFFERS", 1)[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 26 and all(line.endswith("matches") for line in checks)
    assert mistakes == [
        "(Ŷ − Y)/N (the 2 dropped)",
        "2(Ŷ − Y) (the 1/N dropped)",
        "∂ℓ/∂p = (y − p)/(p(1 − p)) (sign flipped)",
        "y − σ(z) (sign flipped)",
        "−[y log σ + (1 − y) log(1 − σ)] at ±1e4",
        "−log(1 − σ(z)) at z = 20, float32",
        "Diag([r > 0]) at r = 0 vs that difference",
        "g ∘ Φ(r) (product rule dropped)",
        "g J_f (identity dropped)",
    ], "every common mistake must still fail"
