"""docs/regression_losses.md: what it says PyTorch's regression losses compute.

Each claim is checked against torch in float64: the value for reduction "none", "sum" and "mean"
("mean" divides by every entry, N·k, not by N), the gradient of each input from torch.autograd
(with an upstream G for "none"), L1's sign(0) = 0 at the kink, Huber = δ · Smooth L1 with β = δ
and Smooth L1 at β = 0 being L1, Poisson's two inputs, its eps and its Stirling term (0 where
y ≤ 1), the Gaussian's clamp of the variance at eps (the gradient passes through it), its full
constant and a variance shared by a row.
"""

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as nnf

from snippets.regression_losses import (
    gaussian_nll_derivatives,
    gaussian_nll_entries,
    huber_derivative,
    huber_entries,
    l1_derivative,
    l1_entries,
    mse_derivative,
    mse_entries,
    poisson_nll_derivative,
    poisson_nll_entries,
    reduce,
    reduce_vjp,
    smooth_l1_derivative,
    smooth_l1_entries,
    stirling,
)

TOLERANCE = 1e-12  # relative: both sides compute the same float64 expressions
REDUCTIONS = ["none", "sum", "mean"]
SHAPES = [(3, 4), (5, 2), (2, 7)]  # (N, k)


def close(ours, theirs, tolerance=TOLERANCE):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert np.shape(ours) == theirs.shape, (np.shape(ours), theirs.shape)
    scale = max(np.max(np.abs(theirs)), 1e-300)
    assert np.max(np.abs(ours - theirs)) <= tolerance * scale


def leaf(array):
    return torch.tensor(array, dtype=torch.float64, requires_grad=True)


def torch_run(loss_of, arrays, reduction, G):
    """The value and the gradient of every argument, by torch.autograd."""
    tensors = [leaf(a) for a in arrays]
    value = loss_of(*tensors, reduction)
    value.backward(torch.tensor(G) if reduction == "none" else None)
    return value, [t.grad for t in tensors]


def draw(N, k, seed=0):
    rng = np.random.default_rng([N, k, seed])
    return rng, 2 * rng.standard_normal((N, k)), rng.standard_normal((N, k))


RESIDUAL_LOSSES = {  # name: (torch, our entries, our entry derivative), δ = β = 0.9
    "l1": (lambda x, y, r: nnf.l1_loss(x, y, reduction=r), l1_entries, l1_derivative),
    "mse": (lambda x, y, r: nnf.mse_loss(x, y, reduction=r), mse_entries, mse_derivative),
    "huber": (
        lambda x, y, r: nnf.huber_loss(x, y, reduction=r, delta=0.9),
        lambda A, B: huber_entries(A, B, 0.9),
        lambda A, B: huber_derivative(A, B, 0.9),
    ),
    "smooth_l1": (
        lambda x, y, r: nnf.smooth_l1_loss(x, y, reduction=r, beta=0.9),
        lambda A, B: smooth_l1_entries(A, B, 0.9),
        lambda A, B: smooth_l1_derivative(A, B, 0.9),
    ),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "k"), SHAPES)
@pytest.mark.parametrize("name", sorted(RESIDUAL_LOSSES))
def test_residual_losses_value_and_gradients(name, N, k, reduction):
    rng, Yhat, Y = draw(N, k)
    G = rng.standard_normal((N, k))
    torch_loss, entries, derivative = RESIDUAL_LOSSES[name]
    value, (grad_input, grad_target) = torch_run(torch_loss, [Yhat, Y], reduction, G)
    close(reduce(entries(Yhat, Y), reduction), value)
    ours = reduce_vjp(derivative(Yhat, Y), reduction, G if reduction == "none" else 1.0)
    close(ours, grad_input)
    close(-ours, grad_target)  # ρ depends on ŷ − y alone


@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_mean_is_over_every_entry(N, k):
    _, Yhat, Y = draw(N, k, seed=1)
    _, (grad, _) = torch_run(lambda x, y, r: nnf.l1_loss(x, y), [Yhat, Y], "mean", None)
    close(np.sign(Yhat - Y) / (N * k), grad)
    assert not np.allclose(grad.numpy(), np.sign(Yhat - Y) / N)
    default = torch.nn.MSELoss()(torch.tensor(Yhat), torch.tensor(Y))
    close(np.array(((Yhat - Y) ** 2).sum() / (N * k)), default)


def test_l1_at_the_kink_has_gradient_zero():
    Y = np.array([[0.5, -1.0, 2.0]])
    Yhat = np.array([[0.5, 0.0, 1.0]])  # residuals 0, 1, −1
    _, (grad, _) = torch_run(lambda x, y, r: nnf.l1_loss(x, y, reduction=r), [Yhat, Y], "sum", None)
    assert grad.tolist() == [[0.0, 1.0, -1.0]]
    close(l1_derivative(Yhat, Y), grad)


@pytest.mark.parametrize("delta", [0.3, 1.0, 2.5])
def test_huber_is_delta_times_smooth_l1(delta):
    N, k = 4, 3
    _, Yhat, Y = draw(N, k, seed=2)
    x, y = torch.tensor(Yhat), torch.tensor(Y)
    huber = nnf.huber_loss(x, y, reduction="none", delta=delta)
    smooth = nnf.smooth_l1_loss(x, y, reduction="none", beta=delta)
    close(delta * smooth.numpy(), huber)
    close(huber_entries(Yhat, Y, delta), huber)
    assert torch.nn.HuberLoss().delta == 1.0 and torch.nn.SmoothL1Loss().beta == 1.0


def test_smooth_l1_at_beta_zero_is_l1():
    N, k = 3, 5
    _, Yhat, Y = draw(N, k, seed=3)
    value = nnf.smooth_l1_loss(torch.tensor(Yhat), torch.tensor(Y), reduction="none", beta=0.0)
    close(l1_entries(Yhat, Y), value)


POISSON_CASES = [(True, False), (True, True), (False, False), (False, True)]  # (log_input, full)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("log_input", "full"), POISSON_CASES)
def test_poisson_nll(log_input, full, reduction):
    N, k = 4, 6
    rng = np.random.default_rng([N, k, log_input, full])
    X = rng.standard_normal((N, k))
    at = X if log_input else np.exp(X)
    Y = rng.poisson(2.0, (N, k)).astype(float)
    assert np.any(Y <= 1) and np.any(Y > 1), "both sides of the Stirling mask"
    G = rng.standard_normal((N, k))

    def torch_loss(x, y, r):
        return nnf.poisson_nll_loss(x, y, log_input=log_input, full=full, reduction=r)

    value, (grad, _) = torch_run(torch_loss, [at, Y], reduction, G)
    close(reduce(poisson_nll_entries(at, Y, log_input, full), reduction), value)
    D = poisson_nll_derivative(at, Y, log_input)
    close(reduce_vjp(D, reduction, G if reduction == "none" else 1.0), grad)


def test_poisson_eps_and_the_stirling_mask():
    Y = np.array([[0.0, 1.0, 3.0, 12.0]])
    rate = np.array([[0.0, 0.5, 2.0, 9.0]])  # a rate of exactly 0: log(0 + eps)
    value = nnf.poisson_nll_loss(
        torch.tensor(rate), torch.tensor(Y), log_input=False, reduction="none"
    )
    close(poisson_nll_entries(rate, Y, log_input=False), value)
    assert value[0, 0].item() == 0.0  # y = 0: 0 − 0·log(eps)
    zero = torch.zeros(1, 4, dtype=torch.float64)
    full = nnf.poisson_nll_loss(zero, torch.tensor(Y), full=True, reduction="none")
    bare = nnf.poisson_nll_loss(zero, torch.tensor(Y), reduction="none")
    close(stirling(Y), full - bare)
    assert (full - bare)[0, :2].tolist() == [0.0, 0.0], "no Stirling term where y <= 1"
    expected = 3 * math.log(3) - 3 + 0.5 * math.log(2 * math.pi * 3)
    assert (full - bare)[0, 2].item() == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_gaussian_nll_value_and_gradients(N, k, full, reduction):
    rng, Yhat, Y = draw(N, k, seed=4)
    V = rng.uniform(0.2, 2.0, (N, k))
    G = rng.standard_normal((N, k))

    def torch_loss(x, y, v, r):
        return nnf.gaussian_nll_loss(x, y, v, full=full, reduction=r)

    value, (grad_input, grad_target, grad_var) = torch_run(torch_loss, [Yhat, Y, V], reduction, G)
    close(reduce(gaussian_nll_entries(Yhat, Y, V, full), reduction), value)
    D, D_var = gaussian_nll_derivatives(Yhat, Y, V)
    g = G if reduction == "none" else 1.0
    close(reduce_vjp(D, reduction, g), grad_input)
    close(-reduce_vjp(D, reduction, g), grad_target)
    close(reduce_vjp(D_var, reduction, g), grad_var)


def test_gaussian_clamp_passes_the_gradient_through():
    """A variance below eps: torch's value and gradient are the formula at eps, not 0."""
    Yhat, Y = np.array([[0.3, -0.2, 1.1]]), np.array([[0.1, 0.4, 0.2]])
    V = np.array([[1e-9, 0.5, 2e-7]])  # two entries below the default eps 1e-6
    value, (_, _, grad_var) = torch_run(
        lambda x, y, v, r: nnf.gaussian_nll_loss(x, y, v, reduction=r), [Yhat, Y, V], "sum", None
    )
    close(reduce(gaussian_nll_entries(Yhat, Y, V), "sum"), value)
    _, D_var = gaussian_nll_derivatives(Yhat, Y, V)
    close(D_var, grad_var)
    eps = 1e-6
    u = Yhat - Y
    close(D_var[0, [0, 2]], (1 / eps - u[0, [0, 2]] ** 2 / eps**2) / 2)
    assert np.all(grad_var.numpy()[0, [0, 2]] != 0), "not the clamped function's zero slope"


def test_gaussian_shared_variance_sums_along_the_row():
    N, k = 5, 3
    rng, Yhat, Y = draw(N, k, seed=5)
    V = rng.uniform(0.5, 1.5, (N, 1))  # one variance per example, shared by its k outputs
    value, (_, _, grad_var) = torch_run(
        lambda x, y, v, r: nnf.gaussian_nll_loss(x, y, v, reduction=r), [Yhat, Y, V], "mean", None
    )
    close(reduce(gaussian_nll_entries(Yhat, Y, V), "mean"), value)
    _, D_var = gaussian_nll_derivatives(Yhat, Y, V)  # N×k, V broadcast
    close(reduce_vjp(D_var, "mean").sum(axis=1, keepdims=True), grad_var)
