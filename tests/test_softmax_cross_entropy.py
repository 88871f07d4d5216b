"""docs/softmax_cross_entropy.md ↔ snippets/softmax_cross_entropy.py: ∂ℓ/∂θ = (Σ y_i) ŷ − y."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.softmax import softmax
from snippets.softmax_cross_entropy import (
    cross_entropy,
    cross_entropy_gradient,
    log_softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_jacobian,
    softmax_cross_entropy_vjp,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, relative_error, run_page_demo

SHAPES = [(1, 2), (1, 5), (1, 17), (3, 4), (8, 5)]
SUMMING_TO_ONE = ["one-hot", "soft"]
LABELS = [*SUMMING_TO_ONE, "unnormalised"]


def softmax_cross_entropy_reference(theta, y):
    """Mean over rows of −Σ_i y_i log(e^θ_i / Σ_j e^θ_j), written again for autograd."""
    log_probabilities = theta - anp.log(anp.sum(anp.exp(theta), axis=1, keepdims=True))
    return anp.mean(-anp.sum(y * log_probabilities, axis=1))


def cross_entropy_reference(y_hat, y):
    """Mean over rows of −Σ_i y_i log ŷ_i, written again for autograd."""
    return anp.mean(-anp.sum(y * anp.log(y_hat), axis=1))


def example(shape, kind):
    """Random logits, and labels of one kind: one-hot, soft (a distribution), or unnormalised."""
    rng = np.random.default_rng([sum(shape), LABELS.index(kind)])
    rows, n = shape
    theta = 2 * rng.standard_normal(shape)
    labels = {
        "one-hot": lambda: np.eye(n)[rng.integers(n, size=rows)],
        "soft": lambda: rng.dirichlet(np.ones(n), size=rows),
        "unnormalised": lambda: rng.uniform(0.0, 2.0, shape),
    }
    return theta, labels[kind]()


@pytest.mark.parametrize("kind", LABELS)
@pytest.mark.parametrize("shape", SHAPES)
def test_probability_gradient(shape, kind):
    _, y = example(shape, kind)
    # ŷ kept away from 0 (log's curvature 1/ŷ² would swamp central differences); the formula
    # −y ⊘ ŷ / N holds for any positive ŷ, normalised or not
    y_hat = np.random.default_rng(sum(shape)).uniform(0.2, 1.0, shape)
    check_vjp(
        "cross_entropy_gradient",
        cross_entropy_gradient(y_hat, y),
        lambda p: cross_entropy(p, y),
        lambda p: cross_entropy_reference(p, y),
        y_hat,
        1.0,
    )


@pytest.mark.parametrize("kind", LABELS)
@pytest.mark.parametrize("n", [2, 3, 5, 17])
def test_jacobian_chain(n, kind):
    theta, y = example((1, n), kind)
    check_jacobian(
        "softmax_cross_entropy_jacobian",
        softmax_cross_entropy_jacobian(theta, y),
        lambda t: softmax_cross_entropy(t, y),
        lambda t: softmax_cross_entropy_reference(t, y),
        theta,
    )


@pytest.mark.parametrize("kind", LABELS)
@pytest.mark.parametrize("shape", SHAPES)
def test_vjp(shape, kind):
    theta, y = example(shape, kind)
    g = 1.0 + np.random.default_rng(shape).uniform()  # an upstream scalar ∂(objective)/∂L
    check_vjp(
        "softmax_cross_entropy_vjp",
        softmax_cross_entropy_vjp(theta, y, g),
        lambda t: softmax_cross_entropy(t, y),
        lambda t: softmax_cross_entropy_reference(t, y),
        theta,
        g,
    )


@pytest.mark.parametrize("kind", LABELS)
@pytest.mark.parametrize("shape", SHAPES)
def test_shortcut_holds_only_for_labels_summing_to_one(shape, kind):
    theta, y = example(shape, kind)
    shortcut = (softmax(theta) - y) / shape[0]  # (Ŷ − Y)/N
    if kind in SUMMING_TO_ONE:
        assert_close("(Ŷ − Y)/N", softmax_cross_entropy_vjp(theta, y), shortcut, 1e-14)
    else:
        assert relative_error(shortcut, softmax_cross_entropy_vjp(theta, y)) > 1e-2


@pytest.mark.parametrize("kind", LABELS)
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_matches_the_definition(shape, kind):
    theta, y = example(shape, kind)
    expected = softmax_cross_entropy_reference(theta, y)  # rounding is relative to logsumexp
    assert np.isclose(softmax_cross_entropy(theta, y), expected, rtol=1e-13, atol=1e-14)
    assert np.isclose(cross_entropy(softmax(theta), y), expected, rtol=1e-13, atol=1e-14)
    assert relative_error(np.exp(log_softmax(theta)), softmax(theta)) < 1e-14


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_form_finite_and_right_at_large_logits(dtype):
    theta = np.array([[1e4, -1e4, 0.0, 5.0], [0.0, 120.0, 0.0, 0.0]], dtype=dtype)
    y = np.array([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = softmax_cross_entropy(theta, y)
        gradient = softmax_cross_entropy_vjp(theta, y)
    assert loss.dtype == dtype and loss == (2e4 + 120.0) / 2  # exact: logsumexp rounds to max
    exact = [[0.5, -0.5, 0, 0], [-0.5, 0.5, 0, 0]]  # (Ŷ − Y)/2; e^-120 is 0 only in float32
    assert gradient.dtype == dtype and relative_error(gradient, exact) < 1e-15


@pytest.mark.parametrize("kind", LABELS)
@pytest.mark.parametrize("n", [2, 5, 17])
def test_column_convention_tab(n, kind):
    """∇_θ ℓ = (Diag(ŷ) − ŷŷᵀ)(−y ⊘ ŷ) = (1ᵀy) ŷ − y with n×1 columns; (Ŷ − Y)/N for n×N."""
    theta, y = example((1, n), kind)
    y_hat, y_column, ones = softmax(theta).T, y.T, np.ones((n, 1))
    chain = (np.diag(y_hat[:, 0]) - y_hat @ y_hat.T) @ (-y_column / y_hat)
    collapsed = (ones.T @ y_column) * y_hat - y_column
    assert chain.shape == collapsed.shape == (n, 1)
    assert_close("column tab, chain", chain, softmax_cross_entropy_jacobian(theta, y).T, 1e-14)
    assert_close("column tab, collapsed", collapsed, softmax_cross_entropy_vjp(theta, y).T, 1e-14)


@pytest.mark.parametrize("kind", SUMMING_TO_ONE)
@pytest.mark.parametrize("rows", [1, 3, 8])
def test_column_convention_tab_minibatch(rows, kind):
    """With the N examples as the columns of n×N arrays, ∇_Θ L = (Ŷ − Y)/N."""
    theta, y = example((rows, 5), kind)
    Y_hat, Y = softmax(theta).T, y.T  # 5×N
    column_result = (Y_hat - Y) / Y.shape[1]
    assert_close(
        "column tab, minibatch", column_result, softmax_cross_entropy_vjp(theta, y).T, 1e-14
    )


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("softmax_cross_entropy")
    checks = [line for line in lines if "DIFFERS" not in line]
    mistakes = [line.split(":")[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 9 and all(line.endswith("matches") for line in checks)
    assert mistakes == [
        "y − ŷ (minus sign dropped)",
        "ŷ − y for labels summing to 2",
        "log(softmax(θ)) at ±1e4",
        "(−y ⊘ ŷ)(∂ŷ/∂θ) at ±1e4",
        "log(softmax(θ)) in float32, gap 120",
    ], "every common mistake must still fail"
