"""docs/kl_divergence.md ↔ snippets/kl_divergence.py: KL divergence, distillation, BCE.

Each gradient is checked against finite differences and autograd (a forward pass written again in
autograd.numpy) on several shapes, every reduction included; the T → ∞ limit of distillation's
gradient and PyTorch's clamps are pinned by their own tests. What PyTorch computes for the same
calls is checked in tests/framework/test_kl_divergence.py.
"""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.kl_divergence import (
    bce,
    bce_figure,
    bce_grad,
    bce_jacobian,
    bce_with_logits,
    bce_with_logits_grad,
    bce_with_logits_jacobian,
    distillation_grad,
    distillation_loss,
    high_temperature_limit,
    kl_div,
    kl_div_grad,
    kl_logits_jacobian,
    kl_logits_vjp,
    kl_per_example,
    log_softmax,
    structure_figure,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo

SHAPES = [(1, 3), (2, 5), (4, 7)]  # N examples × k classes
REDUCTIONS = ["batchmean", "mean", "sum"]


def probabilities(rng, shape, zero=False):
    """Rows of probabilities (N×k), one entry set to 0 when ``zero``."""
    P = np.exp(log_softmax(2 * rng.standard_normal(shape)))
    if zero:
        P[0, -1] = 0.0
    return P / P.sum(axis=1, keepdims=True)


def log_softmax_reference(Theta):
    return Theta - anp.log(anp.sum(anp.exp(Theta), axis=1, keepdims=True))


def kl_reference(Z, P):
    """Σ P (log P − Z) over the entries with P > 0, for autograd."""
    keep = P > 0
    return anp.sum(anp.where(keep, P * (np.log(np.where(keep, P, 1.0)) - Z), 0.0), axis=1)


@pytest.mark.parametrize("shape", SHAPES)
def test_kl_by_logits_jacobian_and_vjp(shape):
    rng = np.random.default_rng(list(shape))
    Theta, P = rng.standard_normal(shape), probabilities(rng, shape, zero=True)
    g = rng.standard_normal((1, shape[0]))

    def forward(S):
        return kl_per_example(S, P)

    def reference(S):
        return kl_reference(log_softmax_reference(S), P)[None, :]

    check_jacobian("kl_logits_jacobian", kl_logits_jacobian(Theta, P), forward, reference, Theta)
    check_vjp("kl_logits_vjp", kl_logits_vjp(Theta, P, g), forward, reference, Theta, g)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES[1:])
def test_kl_div_gradient_by_its_input_for_every_reduction(shape, reduction):
    rng = np.random.default_rng([*shape, len(reduction)])
    P = probabilities(rng, shape, zero=True)
    Z = log_softmax(rng.standard_normal(shape))
    divisor = {"batchmean": shape[0], "mean": P.size, "sum": 1}[reduction]

    def forward(Z_):
        return kl_div(Z_, P, reduction)

    def reference(Z_):
        return anp.sum(kl_reference(Z_, P)) / divisor

    ours = kl_div_grad(P, reduction).reshape(1, -1)
    check_jacobian(f"kl_div_grad ({reduction})", ours, forward, reference, Z)


def test_batchmean_is_the_mean_kl_and_mean_divides_by_every_entry():
    rng = np.random.default_rng(3)
    N, k = 4, 6
    Theta, P = rng.standard_normal((N, k)), probabilities(rng, (N, k))
    Z = log_softmax(Theta)
    mean_kl = kl_per_example(Theta, P).mean()
    assert_close("batchmean", kl_div(Z, P, "batchmean"), mean_kl, 1e-12)
    assert_close("mean", kl_div(Z, P, "mean"), mean_kl / k, 1e-12)
    assert_close("sum", kl_div(Z, P, "sum"), N * mean_kl, 1e-12)


@pytest.mark.parametrize("T", [0.5, 1.0, 3.0, 10.0])
def test_distillation_gradient(T):
    rng = np.random.default_rng(int(10 * T))
    N, k = 3, 4
    Theta, U = rng.standard_normal((N, k)), 2 * rng.standard_normal((N, k))

    def reference(S):
        P_T = anp.exp(log_softmax_reference(U / T))
        return T**2 * anp.sum(P_T * (anp.log(P_T) - log_softmax_reference(S / T))) / N

    ours = distillation_grad(Theta, U, T).reshape(1, -1)
    check_jacobian(
        "distillation_grad", ours, lambda S: distillation_loss(S, U, T), reference, Theta
    )


def test_distillation_gradient_tends_to_the_centred_logit_difference():
    """With T², the soft term's gradient tends to a limit (error O(1/T)); without, it vanishes."""
    rng = np.random.default_rng(5)
    N, k = 2, 5
    Theta, U = rng.standard_normal((N, k)), rng.standard_normal((N, k))
    limit = high_temperature_limit(Theta, U)
    errors = [np.abs(distillation_grad(Theta, U, T) - limit).max() for T in (1e2, 1e3, 1e4)]
    assert errors[0] > 5 * errors[1] > 25 * errors[2]
    assert np.abs(limit.sum(axis=1)).max() < 1e-15, "each row of the limit is centred"


def test_log_softmax_is_stable_at_large_logits():
    Theta = np.array([[800.0, 0.0, -1.0]])  # N = 1, k = 3: e^800 overflows
    expected = np.array([[0.0, -800.0, -801.0]])  # to float64 precision
    assert_close("log_softmax", log_softmax(Theta), expected, 1e-15)


def test_distillation_loss_is_finite_when_a_teacher_probability_underflows():
    Theta, U = np.zeros((1, 3)), np.array([[0.0, -800.0, 1.0]])  # N = 1, k = 3: e^-800 is 0
    loss = distillation_loss(Theta, U, 1.0)  # the student's q is uniform, 1/3 each
    assert np.isfinite(loss), "0 · log 0 must count 0, not nan"
    p = np.exp(log_softmax(U))[0]
    by_hand = sum(p_i * (np.log(p_i) + np.log(3.0)) for p_i in p if p_i > 0)
    assert_close("distillation_loss", loss, by_hand, 1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_bce_on_probabilities(shape):
    rng = np.random.default_rng([*shape, 1])
    p = 0.05 + 0.9 * rng.random(shape)
    y = (rng.random(shape) < 0.5).astype(float)

    def reference(p_):
        return -(y * anp.log(p_) + (1 - y) * anp.log(1 - p_))

    check_jacobian("bce_jacobian", bce_jacobian(p, y), lambda p_: bce(p_, y), reference, p)


@pytest.mark.parametrize("shape", SHAPES)
def test_bce_with_logits_and_positive_weight(shape):
    rng = np.random.default_rng([*shape, 2])
    z, y = 3 * rng.standard_normal(shape), (rng.random(shape) < 0.5).astype(float)
    w = 0.5 + 2 * rng.random((1, shape[1]))
    G = rng.standard_normal(shape)

    def reference(z_):
        sigma = 1 / (1 + anp.exp(-z_))
        return -(w * y * anp.log(sigma) + (1 - y) * anp.log(1 - sigma))

    forward = lambda z_: bce_with_logits(z_, y, w)  # noqa: E731
    jacobian = bce_with_logits_jacobian(z, y, w)
    check_jacobian("bce_with_logits_jacobian", jacobian, forward, reference, z)
    ours = G * bce_with_logits_grad(z, y, w)
    check_vjp("bce_with_logits_grad", ours, lambda z_: bce_with_logits(z_, y, w), reference, z, G)


def test_pytorchs_clamps_as_the_page_states():
    p, y = np.array([[1.0, 0.0, 0.5]]), np.array([[0.0, 1.0, 1.0]])
    assert bce(p, y).tolist() == [[100.0, 100.0, -np.log(0.5)]]
    assert bce_grad(p, y)[0, :2].tolist() == [1e12, -1e12]
    assert bce_with_logits(np.array([[40.0]]), np.array([[0.0]]), 1.0)[0, 0] == 40.0


@pytest.mark.parametrize("figure", [structure_figure, bce_figure])
def test_figures_are_their_functions_jacobians(figure):
    drawn = figure()
    numeric = np.stack(
        [
            (drawn.of(drawn.at + e) - drawn.of(drawn.at - e)).ravel() / 2e-6
            for e in 1e-6 * np.eye(drawn.at.size).reshape(-1, *drawn.at.shape)
        ],
        axis=1,
    )
    assert_close(figure.__name__, drawn.matrix, numeric, 1e-6)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("kl_divergence")
    differs = [line for line in lines if "DIFFERS" in line]
    assert [line.split(":")[0] for line in differs] == [
        'reduction "mean" as the mean KL',
        "T²(Q^T − P^T)/N, the 1/T of Θ/T dropped",
        "gradient through p",
    ]
    assert sum("matches" in line for line in lines) == 12
