"""docs/temporal_layers.md, "What PyTorch computes": each claim against PyTorch in float64.

nn.Linear on an N×T×D input is the temporal affine layer with weight = Wᵀ and bias = b, and its
gradients are the page's (the weight's summed over N and T); F.cross_entropy on N×V×T scores with
the padding targets set to ignore_index gives CS231n's loss as reduction="sum" divided by N, and
the mean over the steps kept as the default reduction="mean", with the page's gradients.
"""

import numpy as np
import pytest
import torch
from torch.nn import functional

from snippets.temporal_layers import (
    temporal_affine,
    temporal_affine_vjp,
    temporal_softmax_loss,
    temporal_softmax_loss_gradient,
)

IGNORED = -100  # cross_entropy's default ignore_index


@pytest.mark.parametrize(("N", "T", "D", "M"), [(2, 3, 4, 5), (3, 5, 2, 4)])
def test_linear_on_every_step_is_the_temporal_affine_layer(N, T, D, M):
    rng = np.random.default_rng([N, T, D, M])
    x, W = rng.standard_normal((N, T, D)), rng.standard_normal((D, M))
    b, G = rng.standard_normal((1, M)), rng.standard_normal((N, T, M))
    layer = torch.nn.Linear(D, M, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(W.T))
        layer.bias.copy_(torch.from_numpy(b[0]))
    inputs = torch.from_numpy(x).requires_grad_()
    out = layer(inputs)
    assert np.max(np.abs(out.detach().numpy() - temporal_affine(x, W, b))) < 1e-12
    out.backward(torch.from_numpy(G))
    grad_x, grad_w, grad_b = temporal_affine_vjp(x, W, G)
    assert np.max(np.abs(inputs.grad.numpy() - grad_x)) < 1e-12
    assert np.max(np.abs(layer.weight.grad.numpy().T - grad_w)) < 1e-12
    assert np.max(np.abs(layer.bias.grad.numpy() - grad_b[0])) < 1e-12


@pytest.mark.parametrize(("N", "T", "V"), [(3, 4, 5), (2, 5, 3)])
def test_cross_entropy_sum_over_n_is_cs231n_and_mean_is_per_step_kept(N, T, V):
    rng = np.random.default_rng([N, T, V])
    theta, y = 2 * rng.standard_normal((N, T, V)), rng.integers(0, V, (N, T))
    lengths = rng.integers(1, T, N)
    lengths[0] = T
    mask = (np.arange(T) < lengths[:, None]).astype(float)
    targets = torch.from_numpy(np.where(mask > 0, y, IGNORED))
    for reduction, per, divide in [("sum", "N", N), ("mean", "step", 1)]:
        scores = torch.from_numpy(theta).requires_grad_()
        loss = functional.cross_entropy(
            scores.permute(0, 2, 1), targets, ignore_index=IGNORED, reduction=reduction
        )
        loss = loss / divide
        ours = temporal_softmax_loss(theta, y, mask, per)
        assert abs(loss.item() - ours) < 1e-12 * abs(ours)
        loss.backward()
        gradient = temporal_softmax_loss_gradient(theta, y, mask, per)
        assert np.max(np.abs(scores.grad.numpy() - gradient)) < 1e-12
    assert mask.sum() != N, "the two reductions differ on this batch"
