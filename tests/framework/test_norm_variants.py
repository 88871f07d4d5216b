"""docs/norm_variants.md's claims about PyTorch, checked against PyTorch in float64.

- ``F.batch_norm(..., training=True)`` on an N×C×H×W input, which ``nn.BatchNorm2d`` calls in
  training mode, is the page's spatial batch norm: statistics per channel over N, H and W, the
  biased variance, ε inside the root; its gradients in the input, γ and β are the page's;
- ``F.group_norm`` with K groups is the page's group norm, per-channel γ and β;
- ``F.rms_norm`` over the last axis is the page's RMSNorm, ρ = √(mean(x ∘ x) + ε), and its
  gradients in the input and γ are the page's.
"""

import numpy as np
import pytest
import torch
from torch.nn import functional as nnf

from snippets.norm_variants import (
    group_norm,
    group_norm_vjp,
    rms_norm,
    rms_norm_vjp,
    spatial_batch_norm,
    spatial_batch_norm_vjp,
)

TOLERANCE = 1e-12


def tensors(*arrays):
    return [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]


def close(ours, theirs):
    theirs = theirs.detach().numpy().reshape(np.shape(ours))
    assert np.max(np.abs(ours - theirs)) <= TOLERANCE * max(np.max(np.abs(theirs)), 1.0)


@pytest.mark.parametrize(("N", "C", "h", "w", "eps"), [(2, 3, 4, 5, 1e-5), (3, 2, 1, 4, 0.5)])
def test_batch_norm_2d_in_training_mode_is_spatial_batch_norm(N, C, h, w, eps):
    rng = np.random.default_rng([N, C, h, w])
    x, g = rng.standard_normal((N, C, h, w)), rng.standard_normal((N, C, h, w))
    gamma, beta = rng.standard_normal((1, C)), rng.standard_normal((1, C))
    tx, tgamma, tbeta = tensors(x, gamma.ravel(), beta.ravel())
    y = nnf.batch_norm(tx, None, None, tgamma, tbeta, training=True, eps=eps)
    close(spatial_batch_norm(x, gamma, beta, eps), y)
    y.backward(torch.tensor(g))
    grad_x, grad_gamma, grad_beta = spatial_batch_norm_vjp(x, gamma, g, eps)
    close(grad_x, tx.grad)
    close(grad_gamma, tgamma.grad)
    close(grad_beta, tbeta.grad)


def test_the_module_in_training_mode_calls_the_same():
    N, C, h, w = 2, 3, 4, 5
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, C, h, w))
    layer = torch.nn.BatchNorm2d(C, dtype=torch.float64).train()
    y = layer(torch.tensor(x))
    close(spatial_batch_norm(x, np.ones((1, C)), np.zeros((1, C)), layer.eps), y)


@pytest.mark.parametrize(("N", "C", "K", "h", "w"), [(2, 6, 3, 1, 4), (3, 8, 2, 5, 1)])
def test_group_norm(N, C, K, h, w):
    eps = 1e-5
    rng = np.random.default_rng([N, C, K, h, w])
    x, g = rng.standard_normal((N, C, h, w)), rng.standard_normal((N, C, h, w))
    gamma, beta = rng.standard_normal((1, C)), rng.standard_normal((1, C))
    tx, tgamma, tbeta = tensors(x, gamma.ravel(), beta.ravel())
    y = nnf.group_norm(tx, K, tgamma, tbeta, eps=eps)
    close(group_norm(x, gamma, beta, K, eps), y)
    y.backward(torch.tensor(g))
    grad_x, grad_gamma, grad_beta = group_norm_vjp(x, gamma, g, K, eps)
    close(grad_x, tx.grad)
    close(grad_gamma, tgamma.grad)
    close(grad_beta, tbeta.grad)


@pytest.mark.parametrize(("N", "n", "eps"), [(3, 5, 1e-5), (4, 2, 0.5)])
def test_rms_norm(N, n, eps):
    rng = np.random.default_rng([N, n])
    X, G, gamma = (
        rng.standard_normal((N, n)),
        rng.standard_normal((N, n)),
        rng.standard_normal((1, n)),
    )
    tx, tgamma = tensors(X, gamma.ravel())
    y = nnf.rms_norm(tx, (n,), tgamma, eps=eps)
    close(rms_norm(X, gamma, eps), y)
    y.backward(torch.tensor(G))
    grad_batch, grad_gamma = rms_norm_vjp(X, gamma, G, eps)
    close(grad_batch, tx.grad)
    close(grad_gamma, tgamma.grad)
