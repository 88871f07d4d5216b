"""docs/cross_entropy_variants.md: what it says PyTorch's CrossEntropyLoss and NLLLoss compute.

Each claim is checked against torch in float64: the value for reduction "none", "sum" and "mean"
(mean divides by Σ_a w_{t_a} of the kept rows, not by N), the gradient with respect to the input
from torch.autograd, label smoothing with and without class weights (the smoothing term weighted
by every class's w_c), ignore_index, and CrossEntropyLoss = NLLLoss ∘ log_softmax.
"""

import inspect

import numpy as np
import pytest
import torch
from torch.nn import functional as nnf

from snippets.cross_entropy_variants import (
    cross_entropy,
    cross_entropy_vjp,
    log_softmax,
    nll_loss,
    nll_vjp,
)

TOLERANCE = 1e-12  # relative: both sides compute the same float64 sums
REDUCTIONS = ["none", "sum", "mean"]
CASES = [  # (N, k, with weights, label smoothing, an ignored row)
    (4, 5, False, 0.0, False),
    (6, 3, True, 0.0, False),
    (5, 7, False, 0.1, False),
    (3, 4, True, 0.2, False),
    (7, 2, True, 0.15, True),
    (2, 6, False, 0.0, True),
]


def close(ours, theirs):
    theirs = theirs.detach().numpy()
    assert np.shape(ours) == theirs.shape
    scale = max(np.max(np.abs(theirs)), 1e-300)
    assert np.max(np.abs(ours - theirs)) <= TOLERANCE * scale


def problem(N, k, weighted, ignored):
    rng = np.random.default_rng([N, k, weighted, ignored])
    Theta = rng.standard_normal((N, k)) * 2
    t = rng.integers(0, k, N)
    t[0] = t[-1]  # a repeated class, so Σ w_{t_a} is not a sum of distinct weights
    if ignored:
        t[1] = -100
    w = rng.uniform(0.2, 3.0, k) if weighted else None
    return Theta, t, w, rng.standard_normal(N)


def torch_grad(loss_of, Theta, upstream=None):
    x = torch.tensor(Theta, dtype=torch.float64, requires_grad=True)
    value = loss_of(x)
    value.backward(None if upstream is None else torch.tensor(upstream))
    return value, x.grad


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "k", "weighted", "smoothing", "ignored"), CASES)
def test_cross_entropy_value_and_gradient_match_torch(
    N, k, weighted, smoothing, ignored, reduction
):
    Theta, t, w, g = problem(N, k, weighted, ignored)
    weight = None if w is None else torch.tensor(w)
    upstream = g if reduction == "none" else None

    def torch_loss(x):
        return nnf.cross_entropy(
            x, torch.tensor(t), weight=weight, label_smoothing=smoothing, reduction=reduction
        )

    value, grad = torch_grad(torch_loss, Theta, upstream)
    close(cross_entropy(Theta, t, w, smoothing, reduction), value)
    ours = cross_entropy_vjp(Theta, t, w, smoothing, reduction, 1.0 if upstream is None else g)
    close(ours, grad)
    module = torch.nn.CrossEntropyLoss(weight=weight, label_smoothing=smoothing)
    assert module.reduction == "mean", "the default reduction"
    close(cross_entropy(Theta, t, w, smoothing), module(torch.tensor(Theta), torch.tensor(t)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "k", "weighted", "smoothing", "ignored"), CASES)
def test_nll_value_and_gradient_match_torch(N, k, weighted, smoothing, ignored, reduction):
    Theta, t, w, g = problem(N, k, weighted, ignored)
    Z = log_softmax(Theta)
    weight = None if w is None else torch.tensor(w)
    upstream = g if reduction == "none" else None

    def torch_loss(x):
        return nnf.nll_loss(x, torch.tensor(t), weight=weight, reduction=reduction)

    value, grad = torch_grad(torch_loss, Z, upstream)
    close(nll_loss(Z, t, w, reduction), value)
    close(nll_vjp(Z, t, w, reduction, 1.0 if upstream is None else g), grad)
    if smoothing == 0.0:  # CrossEntropyLoss is NLLLoss of log_softmax
        composed, _ = torch_grad(lambda x: torch_loss(nnf.log_softmax(x, dim=1)), Theta, upstream)
        direct = nnf.cross_entropy(
            torch.tensor(Theta), torch.tensor(t), weight=weight, reduction=reduction
        )
        close(composed.detach().numpy(), direct)


def test_mean_with_weights_divides_by_the_targets_weights_not_by_n():
    """The page's mistake, against torch: dividing the weighted sum by N is not torch's mean."""
    N, k = 5, 3
    Theta, t, w, _ = problem(N, k, True, False)
    theirs = nnf.cross_entropy(torch.tensor(Theta), torch.tensor(t), weight=torch.tensor(w))
    weighted_sum = cross_entropy(Theta, t, w, reduction="sum")
    assert abs(weighted_sum / w[t].sum() - theirs.item()) <= TOLERANCE * abs(theirs.item())
    assert abs(weighted_sum / N - theirs.item()) > 1e-3


def test_smoothing_with_weights_weights_each_class_not_the_target():
    """torch's smoothing term is (ε/k) Σ_c w_c (−log p_ac), not w_{t_a} (ε/k) Σ_c (−log p_ac)."""
    N, k, eps = 4, 6, 0.3
    Theta, t, w, _ = problem(N, k, True, False)
    Z = log_softmax(Theta)
    theirs = nnf.cross_entropy(
        torch.tensor(Theta), torch.tensor(t), weight=torch.tensor(w), label_smoothing=eps
    ).item()
    per_class = ((1 - eps) * -w[t] * Z[np.arange(N), t] - eps / k * (Z * w).sum(axis=1)).sum()
    per_target = (w[t] * ((1 - eps) * -Z[np.arange(N), t] - eps / k * Z.sum(axis=1))).sum()
    assert abs(per_class / w[t].sum() - theirs) <= TOLERANCE * abs(theirs)
    assert abs(per_target / w[t].sum() - theirs) > 1e-3


def test_defaults_and_where_label_smoothing_exists():
    """ignore_index −100 and "mean" by default; label_smoothing only in CrossEntropyLoss."""
    ce, nll = torch.nn.CrossEntropyLoss(), torch.nn.NLLLoss()
    assert (ce.ignore_index, ce.reduction, ce.label_smoothing) == (-100, "mean", 0.0)
    assert (nll.ignore_index, nll.reduction) == (-100, "mean")
    assert "label_smoothing" in inspect.signature(nnf.cross_entropy).parameters
    assert "label_smoothing" not in inspect.signature(nnf.nll_loss).parameters


def test_nll_loss_takes_raw_logits_and_falls_without_bound():
    """NLLLoss does not check that Z holds log-probabilities: it picks −w_{t_a} Z_{a t_a}."""
    N, k = 3, 4
    Theta, t, w, _ = problem(N, k, True, False)
    Z = Theta + 5.0  # raw scores, not log-probabilities: many entries positive
    raised = Z.copy()
    raised[np.arange(N), t] += 100.0  # the target entries grow
    values = [
        nnf.nll_loss(torch.tensor(S), torch.tensor(t), weight=torch.tensor(w)).item()
        for S in (Z, raised)
    ]
    assert abs(values[0] - nll_loss(Z, t, w)) <= TOLERANCE * abs(values[0])
    assert values[1] == pytest.approx(values[0] - 100.0, rel=1e-12), "falls by the rise, no floor"
