"""docs/margin_losses.md ↔ snippets/margin_losses.py: hinge and margin losses for classes.

Each Jacobian and VJP is checked against finite differences and against autograd through a
forward pass written again with autograd.numpy, for each reduction. The hinges have kinks where
their argument is 0; the scores are drawn so that every argument stays at least 0.05 from 0, far
beyond the step 1e-6 of the differences, and a test pins the subgradient 0 taken at a kink. What
PyTorch computes is checked in tests/framework/test_margin_losses.py.
"""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.margin_losses import (
    FIGURE_SCORES,
    FIGURE_TARGETS,
    block_rows,
    label_mask,
    margins,
    multi_margin_loss,
    multi_margin_rows,
    multi_margin_vjp,
    multilabel_margin_loss,
    multilabel_margin_rows,
    multilabel_margin_vjp,
    multilabel_soft_margin_loss,
    multilabel_soft_margin_vjp,
    reduce,
    reduce_rows,
    sigmoid,
    soft_margin_jacobian,
    soft_margin_loss,
    soft_margin_vjp,
    structure_figure,
    svm_loss,
    svm_rows,
    svm_vjp,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo

REDUCTIONS = ["none", "sum", "mean"]
SHAPES = [(3, 5), (5, 4), (4, 6)]  # (N, k), none equal to the power p = 2


def away_from_kinks(rng, N, k, arguments):
    while True:
        X = rng.standard_normal((N, k)) * 1.5
        if np.min(np.abs(arguments(X))) > 0.05:
            return X


def class_problem(N, k, margin):
    rng = np.random.default_rng([N, k, int(margin * 10)])
    t = rng.integers(0, k, N)

    def arguments(X):
        return np.delete(margins(X, t, margin).ravel(), np.arange(N) * k + t)

    return t, away_from_kinks(rng, N, k, arguments), rng


def reference_margins(X, t, margin):
    """Z again for autograd: margin − x_{t_a} + x_c, with the c = t_a entry masked out."""
    k = X.shape[1]
    others = 1.0 - np.eye(k)[t]
    return (margin - anp.sum(X * np.eye(k)[t], axis=1, keepdims=True) + X) * others


def reference_reduce(losses, reduction):
    if reduction == "none":
        return losses
    return anp.sum(losses) if reduction == "sum" else anp.mean(losses)


# --- CS231n's SVM loss and MultiMarginLoss


@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_svm_jacobian_and_vjp(N, k):
    t, X, _ = class_problem(N, k, 1.0)

    def rows(S):
        return np.sum(np.maximum(0.0, margins(S, t)), axis=1)

    def reference_rows(S):
        return anp.sum(anp.maximum(0.0, reference_margins(S, t, 1.0)), axis=1)

    check_jacobian("svm_rows", block_rows(svm_rows(X, t)), rows, reference_rows, X)
    check_vjp(
        "svm_vjp",
        svm_vjp(X, t),
        lambda S: svm_loss(S, t),
        lambda S: anp.mean(reference_rows(S)),
        X,
        np.array(1.0),
    )


def test_svm_rows_are_one_per_violation_and_minus_the_count_at_the_target():
    X = np.array([[2.0, 1.5, 0.1, 2.4]])  # N = 1, k = 4, target 0: margins 0.5, −0.9, 1.4
    rows = svm_rows(X, np.array([0]))
    assert np.array_equal(rows, [[-2.0, 1.0, 0.0, 1.0]])
    assert np.array_equal(rows.sum(axis=1), [0.0]), "each row sums to zero"


def test_at_a_kink_the_hinge_takes_the_subgradient_zero():
    X = np.array([[1.0, 0.0, -3.0]])  # margin 1 − 1 + 0 = 0 exactly for class 1
    assert np.array_equal(svm_rows(X, np.array([0])), [[0.0, 0.0, 0.0]])
    assert np.array_equal(multi_margin_rows(X, np.array([0])), [[0.0, 0.0, 0.0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("p", "margin", "weighted"), [(1, 1.0, False), (2, 0.5, True)])
@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_multi_margin_jacobian_vjp_and_value(N, k, p, margin, weighted, reduction):
    t, X, rng = class_problem(N, k, margin)
    w = rng.uniform(0.2, 3.0, k) if weighted else None
    w_t = np.ones(N) if w is None else w[t]
    g = rng.standard_normal(N) if reduction == "none" else np.array(1.3)

    def reference(S):
        hinge = anp.maximum(0.0, reference_margins(S, t, margin)) ** p
        return reference_reduce(w_t * anp.sum(hinge, axis=1) / k, reduction)

    def forward(S):
        return multi_margin_loss(S, t, p, margin, w, reduction)

    if reduction == "none":
        jacobian = block_rows(multi_margin_rows(X, t, p, margin, w))
        check_jacobian("multi_margin_rows", jacobian, forward, reference, X)
    check_vjp(
        "multi_margin_vjp",
        multi_margin_vjp(X, t, p, margin, w, reduction, g),
        forward,
        reference,
        X,
        g,
    )
    assert_close("multi_margin_loss", forward(X), reference(X), 1e-12)


def test_multi_margin_is_the_svm_over_k():
    N, k = 4, 3
    t, X, _ = class_problem(N, k, 1.0)
    assert_close("value", multi_margin_loss(X, t), svm_loss(X, t) / k, 1e-14)
    assert_close("gradient", multi_margin_vjp(X, t), svm_vjp(X, t) / k, 1e-14)


# --- MultiLabelMarginLoss


def label_rows(rng, N, k):
    T = np.full((N, k), -1)
    for a in range(N):
        count = rng.integers(1, k)
        T[a, :count] = rng.permutation(k)[:count]
        T[a, count + 1 :] = rng.integers(0, k, k - count - 1)  # after the first −1: not read
    return T


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_multilabel_margin_jacobian_vjp_and_value(N, k, reduction):
    rng = np.random.default_rng([N, k, 11])
    T = label_rows(rng, N, k)
    B = label_mask(T, k)
    pairs = B[:, :, None] * (1 - B)[:, None, :]
    X = away_from_kinks(rng, N, k, lambda S: (1 - S[:, :, None] + S[:, None, :])[pairs > 0])
    g = rng.standard_normal(N) if reduction == "none" else np.array(0.8)

    def reference(S):
        hinge = pairs * anp.maximum(0.0, 1 - anp.expand_dims(S, 2) + anp.expand_dims(S, 1))
        return reference_reduce(anp.sum(hinge, axis=(1, 2)) / k, reduction)

    def forward(S):
        return multilabel_margin_loss(S, T, reduction)

    if reduction == "none":
        jacobian = block_rows(multilabel_margin_rows(X, T))
        check_jacobian("multilabel_margin_rows", jacobian, forward, reference, X)
    check_vjp(
        "multilabel_margin_vjp", multilabel_margin_vjp(X, T, reduction, g), forward, reference, X, g
    )
    assert_close("multilabel_margin_loss", forward(X), reference(X), 1e-12)


def test_label_mask_stops_at_the_first_minus_one():
    T = np.array([[2, 0, -1, 1], [-1, 3, 3, 3], [1, 2, 3, 0]])  # N = 3, k = 4
    assert np.array_equal(label_mask(T, 4), [[1, 0, 1, 0], [0, 0, 0, 0], [1, 1, 1, 1]])
    X = np.array([[0.2, 0.9, -0.4, 1.3]] * 3)
    assert np.array_equal(multilabel_margin_loss(X, T, "none")[1:], [0.0, 0.0]), "no pair"


# --- MultiLabelSoftMarginLoss and SoftMarginLoss


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_multilabel_soft_margin_vjp_and_value(N, k, weighted, reduction):
    rng = np.random.default_rng([N, k, weighted])
    X = rng.standard_normal((N, k)) * 3
    Y = rng.integers(0, 2, (N, k)).astype(float)
    w = rng.uniform(0.2, 3.0, k) if weighted else np.ones(k)
    g = rng.standard_normal(N) if reduction == "none" else np.array(-0.7)

    def reference(S):
        binary = Y * anp.logaddexp(0.0, -S) + (1 - Y) * anp.logaddexp(0.0, S)
        return reference_reduce(anp.mean(w * binary, axis=1), reduction)

    def forward(S):
        return multilabel_soft_margin_loss(S, Y, w if weighted else None, reduction)

    if reduction == "none":
        jacobian = block_rows(w * (sigmoid(X) - Y) / k)
        check_jacobian("multilabel soft margin rows", jacobian, forward, reference, X)
    ours = multilabel_soft_margin_vjp(X, Y, w if weighted else None, reduction, g)
    check_vjp("multilabel_soft_margin_vjp", ours, forward, reference, X, g)
    assert_close("multilabel_soft_margin_loss", forward(X), reference(X), 1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_soft_margin_jacobian_vjp_and_value(N, k, reduction):
    rng = np.random.default_rng([N, k, 5])
    X = rng.standard_normal((N, k)) * 3
    Y = rng.choice([-1.0, 1.0], (N, k))
    g = rng.standard_normal((N, k)) if reduction == "none" else np.array(2.1)

    def reference(S):
        return reference_reduce(anp.logaddexp(0.0, -Y * S), reduction)

    def forward(S):
        return soft_margin_loss(S, Y, reduction)

    if reduction == "none":
        check_jacobian("soft_margin_jacobian", soft_margin_jacobian(X, Y), forward, reference, X)
    check_vjp("soft_margin_vjp", soft_margin_vjp(X, Y, reduction, g), forward, reference, X, g)
    assert_close("soft_margin_loss", forward(X), reference(X), 1e-12)


def test_stable_forms_at_large_arguments():
    x = np.array([[-800.0, 800.0, 40.0]])  # N = 1, k = 3
    assert np.array_equal(sigmoid(x), [[0.0, 1.0, 1.0]])
    assert np.all(np.isfinite(soft_margin_loss(x, -np.ones_like(x), "none")))
    assert np.isclose(soft_margin_loss(x, np.ones_like(x), "none")[0, 0], 800.0)
    assert soft_margin_loss(x, np.ones_like(x), "none")[0, 2] > 0, "log1p-size values kept"


def test_reductions():
    losses = np.array([1.0, 2.0, 6.0])
    assert reduce(losses, "none") is losses
    assert reduce(losses, "sum") == 9.0 and reduce(losses, "mean") == 3.0
    N, k = 3, 2
    rows = np.ones((N, k))
    assert np.array_equal(reduce_rows(rows, "none", np.array([1.0, 2.0, 3.0]))[:, 0], [1, 2, 3])
    assert np.array_equal(reduce_rows(rows, "mean", 1.5), rows / 2)


# --- the page


def test_the_figure_has_minus_the_count_at_each_target():
    figure = structure_figure()
    blocks = figure.matrix.reshape(3, 3, 5)[np.arange(3), np.arange(3)]  # N = 3 blocks of 1×5
    counts = (margins(FIGURE_SCORES, FIGURE_TARGETS) > 0).sum(axis=1)
    assert np.array_equal(blocks[np.arange(3), FIGURE_TARGETS], -counts)
    assert np.all(counts > 0) and np.array_equal(blocks.sum(axis=1), np.zeros(3))


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("margin_losses")
    differs = [line for line in lines if "DIFFERS" in line]
    assert [line.split(":")[0] for line in differs] == [
        "SVM without −count at t_a",
        "MultiMarginLoss without its 1/k",
        "log(1 + exp(−y x)) at y x = −800",
    ], "every common mistake must still fail"
    matches = [line for line in lines if "DIFFERS" not in line]
    assert len(matches) == 13 and all(line.endswith(": matches") for line in matches)
