"""docs/margin_losses.md: what it says PyTorch's margin losses compute, checked against torch.

Each claim in float64: the value for reduction "none", "sum" and "mean" and the gradient with
respect to the input from torch.autograd, for MultiMarginLoss (p = 1 and 2, a margin, class
weights that multiply the power, the 1/k per example, "mean" over N), MultiLabelMarginLoss (class
indices padded with −1, nothing read after the first −1), MultiLabelSoftMarginLoss (the mean over
the k classes of the binary losses, then over N) and SoftMarginLoss (mean over every entry).
Scores are drawn away from the hinges' kinks.
"""

import numpy as np
import pytest
import torch
from torch.nn import functional as nnf

from snippets.margin_losses import (
    label_mask,
    margins,
    multi_margin_loss,
    multi_margin_vjp,
    multilabel_margin_loss,
    multilabel_margin_vjp,
    multilabel_soft_margin_loss,
    multilabel_soft_margin_vjp,
    soft_margin_loss,
    soft_margin_vjp,
    svm_loss,
    svm_vjp,
)

TOLERANCE = 1e-12
REDUCTIONS = ["none", "sum", "mean"]
SHAPES = [(4, 5), (6, 3), (2, 7)]  # (N, k)


def close(ours, theirs):
    theirs = theirs.detach().numpy()
    assert np.shape(ours) == theirs.shape
    scale = max(np.max(np.abs(theirs)), 1e-300)
    assert np.max(np.abs(ours - theirs)) <= TOLERANCE * scale


def value_and_grad(loss_of, X, upstream=None):
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    value = loss_of(x)
    value.backward(None if upstream is None else torch.tensor(upstream))
    return value, x.grad


def away_from_kinks(rng, N, k, offsets):
    """Scores whose hinge arguments (each of offsets[a, c] − x_j + x_i) stay 0.05 from 0."""
    while True:
        X = rng.standard_normal((N, k)) * 1.5
        if np.min(np.abs(offsets(X))) > 0.05:
            return X


def targets_and_scores(N, k, margin):
    rng = np.random.default_rng([N, k, int(margin * 10)])
    t = rng.integers(0, k, N)

    def hinge_arguments(X):
        Z = margins(X, t, margin)
        return np.delete(Z.ravel(), np.arange(N) * k + t)

    return t, away_from_kinks(rng, N, k, hinge_arguments), rng


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("p", "margin", "weighted"), [(1, 1.0, False), (2, 0.5, True), (1, 2.0, True)]
)
@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_multi_margin_loss_matches_torch(N, k, p, margin, weighted, reduction):
    t, X, rng = targets_and_scores(N, k, margin)
    w = rng.uniform(0.2, 3.0, k) if weighted else None
    g = rng.standard_normal(N)
    upstream = g if reduction == "none" else None

    def torch_loss(x):
        weight = None if w is None else torch.tensor(w)
        return nnf.multi_margin_loss(
            x, torch.tensor(t), p=p, margin=margin, weight=weight, reduction=reduction
        )

    value, grad = value_and_grad(torch_loss, X, upstream)
    close(multi_margin_loss(X, t, p, margin, w, reduction), value)
    close(multi_margin_vjp(X, t, p, margin, w, reduction, 1.0 if upstream is None else g), grad)


def test_multi_margin_loss_defaults_and_the_svm():
    """Defaults p = 1, margin = 1, "mean"; the per-example 1/k makes it CS231n's SVM over k."""
    N, k = 5, 4
    t, X, _ = targets_and_scores(N, k, 1.0)
    module = torch.nn.MultiMarginLoss()
    assert (module.p, module.margin, module.reduction) == (1, 1.0, "mean")
    value, grad = value_and_grad(lambda x: module(x, torch.tensor(t)), X)
    close(svm_loss(X, t) / k, value)
    close(svm_vjp(X, t) / k, grad)


def test_multi_margin_weight_multiplies_the_power():
    """For p = 2: w_{t_a} max(0, z)^2, not max(0, w_{t_a} z)^2."""
    N, k, margin = 4, 5, 1.0
    t, X, rng = targets_and_scores(N, k, margin)
    w = rng.uniform(2.0, 3.0, k)
    theirs = nnf.multi_margin_loss(
        torch.tensor(X), torch.tensor(t), p=2, weight=torch.tensor(w), reduction="none"
    ).numpy()
    Z = np.maximum(0.0, margins(X, t, margin))
    assert np.allclose(w[t] * (Z**2).sum(axis=1) / k, theirs, rtol=1e-12)
    assert not np.allclose(((w[t, None] * Z) ** 2).sum(axis=1) / k, theirs)


def label_rows(rng, N, k):
    """T (N×k): each row's labels first, then −1, then filler that must not be read."""
    T = np.full((N, k), -1)
    for a in range(N):
        count = rng.integers(1, k)  # at least one label and one non-label
        T[a, :count] = rng.permutation(k)[:count]
        T[a, count + 1 :] = rng.integers(0, k, k - count - 1)  # after the first −1: ignored
    return T


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_multilabel_margin_loss_matches_torch(N, k, reduction):
    rng = np.random.default_rng([N, k, 7])
    T = label_rows(rng, N, k)
    B = label_mask(T, k)
    pairs = B[:, :, None] * (1 - B)[:, None, :] > 0

    def hinge_arguments(X):
        return (1 - X[:, :, None] + X[:, None, :])[pairs]

    X = away_from_kinks(rng, N, k, hinge_arguments)
    g = rng.standard_normal(N)
    upstream = g if reduction == "none" else None
    value, grad = value_and_grad(
        lambda x: nnf.multilabel_margin_loss(x, torch.tensor(T), reduction=reduction), X, upstream
    )
    close(multilabel_margin_loss(X, T, reduction), value)
    close(multilabel_margin_vjp(X, T, reduction, 1.0 if upstream is None else g), grad)


def test_multilabel_margin_reads_nothing_after_the_first_minus_one():
    X = np.array([[0.3, 1.2, -0.5, 0.8]])  # N = 1, k = 4
    first = nnf.multilabel_margin_loss(torch.tensor(X), torch.tensor([[1, -1, 0, 2]]))
    second = nnf.multilabel_margin_loss(torch.tensor(X), torch.tensor([[1, -1, 3, 3]]))
    assert first.item() == second.item() == multilabel_margin_loss(X, np.array([[1, -1, 0, 2]]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_multilabel_soft_margin_loss_matches_torch(N, k, weighted, reduction):
    rng = np.random.default_rng([N, k, weighted])
    X = rng.standard_normal((N, k)) * 3
    Y = rng.integers(0, 2, (N, k)).astype(float)
    w = rng.uniform(0.2, 3.0, k) if weighted else None
    g = rng.standard_normal(N)
    upstream = g if reduction == "none" else None

    def torch_loss(x):
        weight = None if w is None else torch.tensor(w)
        return nnf.multilabel_soft_margin_loss(
            x, torch.tensor(Y), weight=weight, reduction=reduction
        )

    value, grad = value_and_grad(torch_loss, X, upstream)
    close(multilabel_soft_margin_loss(X, Y, w, reduction), value)
    close(multilabel_soft_margin_vjp(X, Y, w, reduction, 1.0 if upstream is None else g), grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_soft_margin_loss_matches_torch(N, k, reduction):
    rng = np.random.default_rng([N, k, 3])
    X = rng.standard_normal((N, k)) * 3
    Y = rng.choice([-1.0, 1.0], (N, k))
    G = rng.standard_normal((N, k))
    upstream = G if reduction == "none" else None
    value, grad = value_and_grad(
        lambda x: nnf.soft_margin_loss(x, torch.tensor(Y), reduction=reduction), X, upstream
    )
    close(soft_margin_loss(X, Y, reduction), value)
    close(soft_margin_vjp(X, Y, reduction, 1.0 if upstream is None else G), grad)


def test_soft_margin_loss_is_finite_where_exp_overflows():
    X, Y = np.array([[800.0, -800.0]]), np.array([[-1.0, 1.0]])  # y x = −800
    theirs = nnf.soft_margin_loss(torch.tensor(X), torch.tensor(Y), reduction="none")
    close(soft_margin_loss(X, Y, "none"), theirs)


def test_multilabel_soft_margin_mean_is_bce_with_logits_default():
    """Without weights, the mean over N of the means over k is BCEWithLogitsLoss()'s mean."""
    N, k = 4, 6
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((N, k)) * 2, rng.integers(0, 2, (N, k)).astype(float)
    bce = torch.nn.BCEWithLogitsLoss()(torch.tensor(X), torch.tensor(Y))
    close(multilabel_soft_margin_loss(X, Y), bce)


def test_multilabel_margin_row_starting_with_minus_one_has_no_labels():
    X = np.array([[0.3, 1.2, -0.5, 0.8], [1.0, -1.0, 0.5, 0.2]])  # N = 2, k = 4
    T = np.array([[-1, 2, 0, 1], [3, 1, -1, -1]])
    theirs = nnf.multilabel_margin_loss(torch.tensor(X), torch.tensor(T), reduction="none")
    assert theirs[0].item() == 0.0
    close(multilabel_margin_loss(X, T, "none"), theirs)


def test_at_a_kink_torch_takes_the_subgradient_zero_as_the_page_does():
    X = np.array([[1.0, 0.0, -3.0]])  # target 0: class 1's margin 1 − 1 + 0 is exactly 0
    t = np.array([0])
    _, grad = value_and_grad(lambda x: nnf.multi_margin_loss(x, torch.tensor(t)), X)
    assert np.array_equal(grad.numpy(), np.zeros((1, 3)))
    close(multi_margin_vjp(X, t), grad)
    T = np.array([[0, -1, -1]])  # label 0: the pair (0, 1) has the hinge 1 − 1 + 0, exactly 0
    _, grad = value_and_grad(lambda x: nnf.multilabel_margin_loss(x, torch.tensor(T)), X)
    assert np.array_equal(grad.numpy(), np.zeros((1, 3)))
    assert np.array_equal(multilabel_margin_vjp(X, T), np.zeros((1, 3)))
