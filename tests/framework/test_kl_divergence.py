"""docs/kl_divergence.md's claims about PyTorch, against PyTorch (float64, CPU).

KLDivLoss takes log-probabilities and divides by N·k under "mean" and by N under "batchmean";
BCELoss clamps each log at −100 and its gradient's denominator at 1e-12; BCEWithLogitsLoss's
pos_weight weighs the positive term; distillation's T²-scaled loss has the gradient the page
derives.
"""

import warnings

import numpy as np
import pytest
import torch
from torch.nn import functional

from snippets.kl_divergence import (
    bce,
    bce_grad,
    bce_with_logits,
    bce_with_logits_grad,
    distillation_grad,
    distillation_loss,
    kl_div,
    kl_div_grad,
    log_softmax,
)

REDUCTIONS = {"mean": np.mean, "sum": np.sum}


def tensor(array, grad=False):
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


def close(ours, theirs, rtol=1e-12):
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=rtol, atol=1e-15)


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    N, k = 3, 5
    P = np.exp(log_softmax(2 * rng.standard_normal((N, k))))
    P[0, 1] = 0.0
    return log_softmax(rng.standard_normal((N, k))), P / P.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("reduction", ["batchmean", "mean", "sum"])
def test_kl_div_value_and_gradient_for_each_reduction(batch, reduction):
    Z, P = batch
    input_ = tensor(Z, grad=True)
    with warnings.catch_warnings():  # "mean" warns that it is not the KL: the page's point
        warnings.simplefilter("ignore", UserWarning)
        loss = functional.kl_div(input_, tensor(P), reduction=reduction)
    loss.backward()
    close(kl_div(Z, P, reduction), loss)
    close(kl_div_grad(P, reduction), input_.grad)


def test_kl_div_none_is_the_pointwise_terms(batch):
    Z, P = batch
    pointwise = functional.kl_div(tensor(Z), tensor(P), reduction="none").numpy()
    close(kl_div(Z, P, "sum"), torch.tensor(pointwise.sum()))
    assert pointwise[0, 1] == 0.0, "0 log 0 = 0"


@pytest.mark.parametrize("T", [1.0, 4.0])
def test_distillation_loss_and_gradient(T):
    rng = np.random.default_rng(1)
    Theta, U = rng.standard_normal((3, 5)), 2 * rng.standard_normal((3, 5))
    student = tensor(Theta, grad=True)
    soft_targets = functional.softmax(tensor(U) / T, dim=1)
    loss = T**2 * functional.kl_div(
        functional.log_softmax(student / T, dim=1), soft_targets, reduction="batchmean"
    )
    loss.backward()
    close(distillation_loss(Theta, U, T), loss)
    close(distillation_grad(Theta, U, T), student.grad)


def test_bce_clamps_its_logs_at_minus_100_and_its_denominator_at_about_1e_12():
    """PyTorch's 1e-12 is a float32 constant, 1e-12 to 4e-9 relative."""
    p, y = np.array([[1.0, 0.0, 0.3]]), np.array([[0.0, 1.0, 1.0]])
    input_ = tensor(p, grad=True)
    losses = functional.binary_cross_entropy(input_, tensor(y), reduction="none")
    losses.sum().backward()
    close(bce(p, y), losses)
    close(bce_grad(p, y), input_.grad, rtol=1e-8)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_and_bce_with_logits_with_pos_weight(reduction):
    rng = np.random.default_rng(2)
    z, y = 3 * rng.standard_normal((3, 5)), (rng.random((3, 5)) < 0.5).astype(float)
    w = np.array([[2.0, 1.0, 0.5, 1.0, 3.0]])
    p = 1 / (1 + np.exp(-z))
    reduce = REDUCTIONS[reduction]
    divisor = z.size if reduction == "mean" else 1

    probabilities = tensor(p, grad=True)
    loss = functional.binary_cross_entropy(probabilities, tensor(y), reduction=reduction)
    loss.backward()
    close(reduce(bce(p, y)), loss)
    close(bce_grad(p, y) / divisor, probabilities.grad)

    logits = tensor(z, grad=True)
    loss = functional.binary_cross_entropy_with_logits(
        logits, tensor(y), pos_weight=tensor(w[0]), reduction=reduction
    )
    loss.backward()
    close(reduce(bce_with_logits(z, y, w)), loss)
    close(bce_with_logits_grad(z, y, w) / divisor, logits.grad)
