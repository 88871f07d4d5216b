"""docs/gated_activations.md's claims about PyTorch, checked against PyTorch in float64.

- ``torch.nn.functional.silu`` is swish with β = 1, and its gradient is SiLU′ = h + σ(r)(1 − h);
- ``w2(F.silu(w1(x)) * w3(x))`` with bias-free ``nn.Linear`` layers is the page's SwiGLU with
  W1 = w1.weight.T, W3 = w3.weight.T, W2 = w2.weight.T, and autograd's gradients are the page's.
- ``F.silu`` has no argument for β.
"""

import inspect

import numpy as np
import torch
from torch.nn import functional

from snippets.gated_activations import silu_derivative, swiglu, swiglu_vjp, swish


def test_silu_is_swish_with_beta_one_and_its_gradient_is_silu_prime():
    n = 9
    rng = np.random.default_rng(0)
    r, g = 3 * rng.standard_normal((1, n)), rng.standard_normal((1, n))
    x = torch.tensor(r, dtype=torch.float64, requires_grad=True)
    out = functional.silu(x)
    out.backward(torch.tensor(g, dtype=torch.float64))
    np.testing.assert_allclose(out.detach().numpy(), swish(r, 1.0), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(x.grad.numpy(), g * silu_derivative(r), rtol=1e-13, atol=1e-15)


def test_a_llama_style_feed_forward_block_is_the_pages_swiglu():
    N, d, f = 4, 3, 5
    torch.manual_seed(0)
    w1 = torch.nn.Linear(d, f, bias=False, dtype=torch.float64)
    w2 = torch.nn.Linear(f, d, bias=False, dtype=torch.float64)
    w3 = torch.nn.Linear(d, f, bias=False, dtype=torch.float64)
    assert tuple(w1.weight.shape) == (f, d), "a Linear layer stores (out, in)"
    rng = np.random.default_rng(1)
    X, G = rng.standard_normal((N, d)), rng.standard_normal((N, d))
    x = torch.tensor(X, requires_grad=True)
    y = w2(functional.silu(w1(x)) * w3(x))
    y.backward(torch.tensor(G))
    W1, W2, W3 = (w.weight.detach().numpy().T for w in (w1, w2, w3))
    np.testing.assert_allclose(y.detach().numpy(), swiglu(X, W1, W3, W2), rtol=1e-13)
    grad_X, grad_W1, grad_W3, grad_W2 = swiglu_vjp(X, W1, W3, W2, G)
    np.testing.assert_allclose(x.grad.numpy(), grad_X, rtol=1e-12)
    np.testing.assert_allclose(w1.weight.grad.numpy().T, grad_W1, rtol=1e-12)
    np.testing.assert_allclose(w3.weight.grad.numpy().T, grad_W3, rtol=1e-12)
    np.testing.assert_allclose(w2.weight.grad.numpy().T, grad_W2, rtol=1e-12)


def test_silu_has_no_beta_argument():
    assert list(inspect.signature(functional.silu).parameters) == ["input", "inplace"]
