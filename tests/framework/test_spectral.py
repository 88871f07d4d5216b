"""docs/spectral.md's claims about PyTorch, checked against PyTorch in float64.

- ``torch.linalg.eigh``'s backward is the page's: Q Diag(g) Qᵀ for the eigenvalues and
  sym(Q (F ∘ QᵀG_Q) Qᵀ) for the eigenvectors, a symmetric gradient; PyTorch's eigenvectors may
  differ from numpy's by signs, and the upstream gradient of a column flips with it;
- ``torch.linalg.svdvals`` and ``torch.linalg.matrix_norm`` (ord 2 and "nuc") backpropagate
  U Diag(g) Vᵀ, u_1 v_1ᵀ and U Vᵀ.
"""

import numpy as np
import torch

from snippets.spectral import (
    eigenvalue_vjp,
    eigenvector_vjp,
    nuclear_norm_gradient,
    singular_value_vjp,
    spectral_norm_gradient,
    sym,
)


def test_eigh_backward_is_the_pages_formula():
    n = 4
    rng = np.random.default_rng(0)
    Q0 = np.linalg.qr(rng.standard_normal((n, n)))[0]
    A = sym(Q0 @ np.diag([-2.0, 0.5, 1.5, 3.0]) @ Q0.T)
    g, G_Q = rng.standard_normal(n), rng.standard_normal((n, n))
    a = torch.tensor(A, requires_grad=True)
    lam, Q = torch.linalg.eigh(a)
    ((lam * torch.tensor(g)).sum() + (Q * torch.tensor(G_Q)).sum()).backward()
    signs = np.sign(np.sum(Q.detach().numpy() * np.linalg.eigh(A)[1], axis=0))  # torch vs numpy
    ours = eigenvalue_vjp(A, g) + eigenvector_vjp(A, G_Q * signs)
    np.testing.assert_allclose(a.grad.numpy(), ours, atol=1e-13)
    np.testing.assert_allclose(a.grad.numpy(), a.grad.numpy().T, atol=1e-15)


def test_svd_and_norm_backward_are_the_pages_formulas():
    m, n = 5, 3
    rng = np.random.default_rng(1)
    A, g = rng.standard_normal((m, n)), rng.standard_normal(n)
    a = torch.tensor(A, requires_grad=True)
    (torch.linalg.svdvals(a) * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), singular_value_vjp(A, g), atol=1e-13)
    for order, gradient in [(2, spectral_norm_gradient), ("nuc", nuclear_norm_gradient)]:
        a.grad = None
        torch.linalg.matrix_norm(a, ord=order).backward()
        np.testing.assert_allclose(a.grad.numpy(), gradient(A), atol=1e-13)
