"""docs/cross_entropy_variants.md ↔ snippets/cross_entropy_variants.py: weights, smoothing, NLL.

Every Jacobian and VJP is checked against finite differences and against autograd through a
forward pass written again with autograd.numpy, for each reduction ("none", "sum", "mean") and
with and without class weights, label smoothing and an ignored row. What PyTorch computes is
checked in tests/framework/test_cross_entropy_variants.py.
"""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.cross_entropy_variants import (
    cross_entropy,
    cross_entropy_jacobian,
    cross_entropy_vjp,
    log_softmax,
    log_softmax_vjp,
    nll_jacobian,
    nll_loss,
    nll_vjp,
    reduce,
    structure_figure,
    targets,
    total_weight,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo

REDUCTIONS = ["none", "sum", "mean"]


def logsumexp(T, axis, keepdims):
    """The stable logsumexp again, in autograd.numpy."""
    m = np.max(T._value if hasattr(T, "_value") else T, axis=axis, keepdims=True)
    return m + anp.log(anp.sum(anp.exp(T - m), axis=axis, keepdims=keepdims))


CASES = [  # (N, k, with weights, label smoothing, an ignored row)
    (3, 5, False, 0.0, False),
    (4, 2, True, 0.0, False),
    (2, 7, False, 0.1, False),
    (5, 3, True, 0.25, True),
]


def problem(N, k, weighted, ignored):
    rng = np.random.default_rng([N, k, weighted, ignored])
    Theta = rng.standard_normal((N, k)) * 2
    t = rng.integers(0, k, N)
    t[0] = t[-1]  # a repeated class
    if ignored:
        t[1] = -100
    w = rng.uniform(0.2, 3.0, k) if weighted else None
    return Theta, t, w, rng.standard_normal(N)


def reference_loss(Theta, t, w, eps, reduction):
    """The loss again from its definition, for autograd: per-class weighted smoothed targets."""
    N, k = Theta.shape
    weights = np.ones(k) if w is None else w
    kept = t != -100
    logp = Theta - logsumexp(Theta, axis=1, keepdims=True)
    losses = []
    for a in range(N):
        if not kept[a]:
            losses.append(0.0 * logp[a, 0])
            continue
        nll = -weights[t[a]] * logp[a, t[a]]
        smooth = -anp.sum(weights * logp[a])
        losses.append((1 - eps) * nll + eps / k * smooth)
    losses = anp.stack(losses)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return anp.sum(losses)
    return anp.sum(losses) / np.sum(weights[t[kept]])


def reference_nll(Z, t, w, reduction):
    N, k = Z.shape
    weights = np.ones(k) if w is None else w
    kept = t != -100
    losses = anp.stack(
        [-weights[t[a]] * Z[a, t[a]] if kept[a] else 0.0 * Z[a, 0] for a in range(N)]
    )
    if reduction == "none":
        return losses
    if reduction == "sum":
        return anp.sum(losses)
    return anp.sum(losses) / np.sum(weights[t[kept]])


@pytest.mark.parametrize(("N", "k", "weighted", "eps", "ignored"), CASES)
def test_cross_entropy_jacobian(N, k, weighted, eps, ignored):
    Theta, t, w, _ = problem(N, k, weighted, ignored)
    check_jacobian(
        "cross_entropy_jacobian",
        cross_entropy_jacobian(Theta, t, w, eps),
        lambda T: cross_entropy(T, t, w, eps, "none"),
        lambda T: reference_loss(T, t, w, eps, "none"),
        Theta,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "k", "weighted", "eps", "ignored"), CASES)
def test_cross_entropy_vjp_and_value(N, k, weighted, eps, ignored, reduction):
    Theta, t, w, g = problem(N, k, weighted, ignored)
    upstream = g if reduction == "none" else np.array(1.7)
    check_vjp(
        "cross_entropy_vjp",
        cross_entropy_vjp(Theta, t, w, eps, reduction, upstream),
        lambda T: cross_entropy(T, t, w, eps, reduction),
        lambda T: reference_loss(T, t, w, eps, reduction),
        Theta,
        upstream,
    )
    assert_close(
        "cross_entropy value",
        cross_entropy(Theta, t, w, eps, reduction),
        reference_loss(Theta, t, w, eps, reduction),
        1e-12,
    )


@pytest.mark.parametrize(("N", "k", "weighted", "eps", "ignored"), CASES)
def test_nll_jacobian(N, k, weighted, eps, ignored):
    Theta, t, w, _ = problem(N, k, weighted, ignored)
    Z = log_softmax(Theta)
    check_jacobian(
        "nll_jacobian",
        nll_jacobian(Z, t, w),
        lambda U: nll_loss(U, t, w, "none"),
        lambda U: reference_nll(U, t, w, "none"),
        Z,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "k", "weighted", "eps", "ignored"), CASES)
def test_nll_vjp_and_its_chain_through_log_softmax(N, k, weighted, eps, ignored, reduction):
    Theta, t, w, g = problem(N, k, weighted, ignored)
    Z = log_softmax(Theta)
    upstream = g if reduction == "none" else np.array(0.6)
    G = nll_vjp(Z, t, w, reduction, upstream)
    check_vjp(
        "nll_vjp",
        G,
        lambda U: nll_loss(U, t, w, reduction),
        lambda U: reference_nll(U, t, w, reduction),
        Z,
        upstream,
    )
    check_vjp(
        "log_softmax_vjp of nll_vjp",
        log_softmax_vjp(Theta, G),
        lambda T: nll_loss(log_softmax(T), t, w, reduction),
        lambda T: reference_nll(T - logsumexp(T, axis=1, keepdims=True), t, w, reduction),
        Theta,
        upstream,
    )
    assert_close(
        "NLL ∘ log_softmax = cross-entropy (gradient)",
        log_softmax_vjp(Theta, G),
        cross_entropy_vjp(Theta, t, w, 0.0, reduction, upstream),
        1e-12,
    )


def test_targets_and_the_mean_denominator():
    k = 4
    t = np.array([1, -100, 1, 3])
    w = np.array([1.0, 2.0, 5.0, 0.5])
    Q = targets(t, k, w, 0.2)
    assert np.allclose(Q[1], 0), "an ignored row has no target"
    assert np.allclose(Q[0], w * np.array([0.05, 0.85, 0.05, 0.05]))
    assert total_weight(t, k, w) == 2.0 + 2.0 + 0.5, "Σ w_{t_a} over the kept rows"
    assert total_weight(t, k) == 3, "without weights: the number of kept rows"
    losses = np.array([1.0, 2.0, 4.0])
    assert reduce(losses, "none", 7.0) is losses
    assert reduce(losses, "sum", 7.0) == 7.0 and reduce(losses, "mean", 3.5) == 2.0


def test_cs231n_mean_is_the_unweighted_case():
    N, k = 3, 4
    Theta, t, _, _ = problem(N, k, False, False)
    P, Y = np.exp(log_softmax(Theta)), np.eye(k)[t]
    assert_close("(P − Y)/N", cross_entropy_vjp(Theta, t), (P - Y) / N, 1e-14)
    assert_close("mean −log p", cross_entropy(Theta, t), -np.log(P[np.arange(N), t]).mean(), 1e-14)


def test_the_loss_is_stable_at_large_logits():
    Theta = np.array([[1e4, -1e4, 0.0], [0.0, 800.0, -800.0]])  # N = 2, k = 3
    t = np.array([1, 2])
    assert np.isclose(cross_entropy(Theta, t, reduction="sum"), 2e4 + 1600)
    assert np.all(np.isfinite(cross_entropy_vjp(Theta, t)))


def test_the_figure_is_block_diagonal_with_the_target_most_negative():
    figure = structure_figure()
    blocks = figure.matrix.reshape(3, 3, 5)[np.arange(3), np.arange(3)]  # N = 3 blocks of 1×5
    assert np.array_equal(blocks.argmin(axis=1), [2, 0, 4])
    assert figure.of(figure.at).shape == (3,)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("cross_entropy_variants")
    differs = [line for line in lines if "DIFFERS" in line]
    assert [line.split(":")[0] for line in differs] == [
        "weights, mean over N",
        "smoothing and weights as w_ta (p_a − ỹ_a)/Ω",
    ], "every common mistake must still fail"
    matches = [line for line in lines if "DIFFERS" not in line]
    assert len(matches) == 11 and all(line.endswith(": matches") for line in matches)
