"""docs/pairwise_distances.md's claims about PyTorch, checked against PyTorch in float64.

- ``torch.cdist(X, Y)`` is E, E_ab = ‖x_a − y_b‖, and its gradients are the page's: the squared
  distances' VJP with G ⊘ 2E in the place of G;
- at a zero distance (the diagonal of ``torch.cdist(X, X)``) its gradient is 0, not NaN: the
  page's ``distance_vjp``, which drops those entries of G.
"""

import numpy as np
import torch

from snippets.pairwise_distances import distance_vjp, distances, self_squared_distance_vjp


def test_cdist_is_the_distance_and_its_gradients_are_the_pages():
    N, M, d = 4, 5, 3
    rng = np.random.default_rng(0)
    X, Y, G = (rng.standard_normal(s) for s in [(N, d), (M, d), (N, M)])
    x, y = torch.tensor(X, requires_grad=True), torch.tensor(Y, requires_grad=True)
    E = torch.cdist(x, y)
    E.backward(torch.tensor(G))
    np.testing.assert_allclose(E.detach().numpy(), distances(X, Y), rtol=1e-13)
    grad_x, grad_y = distance_vjp(X, Y, G)
    np.testing.assert_allclose(x.grad.numpy(), grad_x, rtol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), grad_y, rtol=1e-12)


def test_cdist_gives_zero_gradient_at_zero_distance():
    N, d = 5, 2
    rng = np.random.default_rng(1)
    X, G = rng.standard_normal((N, d)), rng.standard_normal((N, N))
    x = torch.tensor(X, requires_grad=True)
    E = torch.cdist(x, x)
    assert np.array_equal(np.diag(E.detach().numpy()), np.zeros(N))
    E.backward(torch.tensor(G))
    assert torch.isfinite(x.grad).all()
    off = G * (1 - np.eye(N))  # the diagonal's upstream gradient does not reach X
    np.testing.assert_allclose(x.grad.numpy(), sum(distance_vjp(X, X, off)), rtol=1e-12)


def test_squared_self_distances_through_autograd_are_the_pages():
    N, d = 4, 3
    rng = np.random.default_rng(2)
    X, G = rng.standard_normal((N, d)), rng.standard_normal((N, N))
    x = torch.tensor(X, requires_grad=True)
    r = (x * x).sum(dim=1, keepdim=True)
    D = r + r.T - 2 * x @ x.T
    D.backward(torch.tensor(G))
    np.testing.assert_allclose(x.grad.numpy(), self_squared_distance_vjp(X, G), rtol=1e-12)
