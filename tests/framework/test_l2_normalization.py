"""docs/l2_normalization.md's claims about PyTorch, checked against PyTorch in float64.

- ``F.normalize`` divides each row by max(‖x‖, ε), ε = 1e-12 by default, and its gradient is the
  page's: (g − (g uᵀ) u)/‖x‖ above the floor, g/ε below it;
- ``F.cosine_similarity`` is â b̂ᵀ with each row floored on its own, max(‖a‖, ε) max(‖b‖, ε),
  ε = 1e-8 by default, and its gradients are the page's above the floor; below it, its backward
  does not differentiate the floor: g(b̂ − c a/‖a‖)/ε, not the g b̂/ε of its forward pass;
- ``torch.nn.utils.weight_norm`` of an ``nn.Linear`` (default ``dim=0``) normalizes each row of
  its (out, in) weight, a column of the page's W = weight.T, without ε; weight_g is γ (out×1),
  weight_v is Vᵀ, and their gradients are the page's.
"""

import inspect
import warnings

import numpy as np
import pytest
import torch
from torch.nn import functional as nnf

from snippets.l2_normalization import (
    cosine_similarity,
    cosine_vjp,
    l2_normalize,
    l2_normalize_vjp,
    weight_norm,
    weight_norm_vjp,
)


def test_the_default_floors():
    assert inspect.signature(nnf.normalize).parameters["eps"].default == 1e-12
    assert "eps=1e-8" in nnf.cosine_similarity.__doc__.splitlines()[1]


@pytest.mark.parametrize(("scale", "eps"), [(1.0, 1e-12), (0.01, 0.1)])
def test_normalize_and_its_gradient(scale, eps):
    """scale 0.01 with ε = 0.1: every row below the floor."""
    N, n = 3, 4
    rng = np.random.default_rng(0)
    X, G = scale * rng.standard_normal((N, n)), rng.standard_normal((N, n))
    x = torch.tensor(X, requires_grad=True)
    out = nnf.normalize(x, dim=1, eps=eps)
    out.backward(torch.tensor(G))
    np.testing.assert_allclose(out.detach().numpy(), l2_normalize(X, eps), rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), l2_normalize_vjp(X, G, eps), rtol=1e-12)


def test_cosine_similarity_floors_each_norm_and_its_gradients_are_the_pages():
    N, n = 4, 2
    rng = np.random.default_rng(1)
    A, B, g = (rng.standard_normal(s) for s in [(N, n), (N, n), (N, 1)])
    a, b = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    c = nnf.cosine_similarity(a, b, dim=1)
    assert tuple(c.shape) == (N,), "one cosine per pair, the dimension dropped"
    c.backward(torch.tensor(g[:, 0]))
    np.testing.assert_allclose(c.detach().numpy(), cosine_similarity(A, B)[:, 0], rtol=1e-13)
    grad_A, grad_B = cosine_vjp(A, B, g)
    np.testing.assert_allclose(a.grad.numpy(), grad_A, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), grad_B, rtol=1e-12)


def test_below_the_floor_cosine_similarity_does_not_differentiate_its_floor():
    """The page: the value uses max(‖a‖, ε), the gradient g(b̂ − c a/‖a‖)/ε, not g b̂/ε."""
    eps = 1.0
    A = np.array([[0.3, 0.4], [1.2, -0.9]])  # N×n = 2×2, square: norms 0.5 (below), 1.5
    B = np.array([[2.0, 1.0], [0.4, 0.3]])  # norms √5, 0.5 (below)
    g = np.array([[1.0], [-0.6]])
    a, b = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    c = nnf.cosine_similarity(a, b, dim=1, eps=eps)
    c.backward(torch.tensor(g[:, 0]))
    ours = cosine_similarity(A, B, eps)
    np.testing.assert_allclose(c.detach().numpy(), ours[:, 0], rtol=1e-14)
    norms = np.linalg.norm(A, axis=1, keepdims=True) * np.linalg.norm(B, axis=1, keepdims=True)
    product_floor = (A * B).sum(axis=1, keepdims=True) / np.maximum(norms, eps)
    assert not np.allclose(ours, product_floor), "each norm floored, not their product"
    grad_A, grad_B = cosine_vjp(A, B, g, eps)  # the derivative of the forward pass
    np.testing.assert_allclose(a.grad.numpy()[1], grad_A[1], rtol=1e-12)  # above: the same
    np.testing.assert_allclose(b.grad.numpy()[0], grad_B[0], rtol=1e-12)
    assert not np.allclose(a.grad.numpy()[0], grad_A[0])  # below: it is not
    unit_a, unit_b = A / np.linalg.norm(A, axis=1, keepdims=True), l2_normalize(B, eps)
    kept = g * (unit_b - ours * unit_a) / eps  # the projection kept, the norm as ε
    np.testing.assert_allclose(a.grad.numpy()[0], kept[0], rtol=1e-12)


def test_weight_norm_of_a_linear_layer_is_the_pages_per_column():
    n, m = 4, 3
    torch.manual_seed(0)
    layer = torch.nn.Linear(n, m, bias=False, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # deprecated for the parametrization
        layer = torch.nn.utils.weight_norm(layer)
    assert tuple(layer.weight_g.shape) == (m, 1) and tuple(layer.weight_v.shape) == (m, n)
    with torch.no_grad():
        layer.weight_g.copy_(torch.tensor([[1.5], [-0.7], [2.0]]))
    V, gamma = layer.weight_v.detach().numpy().T, layer.weight_g.detach().numpy().T
    rng = np.random.default_rng(2)
    X, G = rng.standard_normal((5, n)), rng.standard_normal((5, m))  # N = 5 rows
    y = layer(torch.tensor(X))
    np.testing.assert_allclose(layer.weight.detach().numpy().T, weight_norm(V, gamma), rtol=1e-14)
    y.backward(torch.tensor(G))
    grad_V, grad_gamma = weight_norm_vjp(V, gamma, X.T @ G)  # ∂L/∂W = Xᵀ G
    np.testing.assert_allclose(layer.weight_v.grad.numpy().T, grad_V, rtol=1e-12)
    np.testing.assert_allclose(layer.weight_g.grad.numpy().T, grad_gamma, rtol=1e-12)
