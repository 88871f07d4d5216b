"""docs/multihead_attention.md, "What PyTorch computes": each claim against PyTorch in float64.

nn.MultiheadAttention (bias=False) computes the page's Y with in_proj_weight = [W_Qᵀ; W_Kᵀ; W_Vᵀ]
and out_proj.weight = W_Oᵀ, heads in consecutive blocks of d_h columns, and its gradients are the
page's VJPs; its boolean masks mark with True what is hidden; scaled_dot_product_attention's
boolean attn_mask marks with True what is seen, and a float mask is added after the scaling; a
fully masked row gives zeros in SDPA and in MultiheadAttention with need_weights=False, NaN with
its default need_weights=True.
"""

import numpy as np
import pytest
import torch
from torch.nn import functional

from snippets.multihead_attention import (
    additive_mask,
    masked_softmax,
    multihead_attention,
    multihead_attention_vjp,
)

SIZES = [(2, 5, 3, 4), (3, 4, 2, 5)]  # (N, T, h, d_h)


def setting(N, T, h, d_h):
    rng = np.random.default_rng([N, T, h, d_h])
    d = h * d_h
    X, G = rng.standard_normal((N, T, d)), rng.standard_normal((N, T, d))
    weights = [rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(4)]  # square
    lengths = T - np.arange(N) % T  # T, T − 1, …
    padding = np.arange(T) >= lengths[:, None]  # N×T, True on a padding key
    hidden = np.triu(np.ones((T, T), dtype=bool), k=1)  # T×T, True on a future key
    return X, weights, G, padding, hidden


def torch_layer(weights, h):
    W_Q, W_K, W_V, W_O = weights
    d = W_Q.shape[0]
    layer = torch.nn.MultiheadAttention(d, h, bias=False, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        layer.in_proj_weight.copy_(torch.from_numpy(np.vstack([W_Q.T, W_K.T, W_V.T])))
        layer.out_proj.weight.copy_(torch.from_numpy(W_O.T))
    return layer


@pytest.mark.parametrize(("N", "T", "h", "d_h"), SIZES)
def test_multihead_attention_is_the_pages_layer_with_its_gradients(N, T, h, d_h):
    X, weights, G, padding, hidden = setting(N, T, h, d_h)
    M = additive_mask(~hidden & ~padding[:, None, :])  # the page's M, N×T×T
    layer = torch_layer(weights, h)
    x = torch.from_numpy(X).requires_grad_()
    y, _ = layer(
        x,
        x,
        x,
        attn_mask=torch.from_numpy(hidden),  # True: may NOT see
        key_padding_mask=torch.from_numpy(padding),  # True: a padding key, hidden
    )
    ours = multihead_attention(X, *weights, h, M)
    assert np.max(np.abs(y.detach().numpy() - ours)) < 1e-12
    y.backward(torch.from_numpy(G))
    grads = multihead_attention_vjp(X, *weights, h, M, G)
    assert np.max(np.abs(x.grad.numpy() - grads[0])) < 1e-12
    in_proj = layer.in_proj_weight.grad.numpy()  # (3d)×d: [∂L/∂W_Qᵀ; ∂L/∂W_Kᵀ; ∂L/∂W_Vᵀ]
    d = h * d_h
    for k in range(3):
        assert np.max(np.abs(in_proj[k * d : (k + 1) * d].T - grads[1 + k])) < 1e-12
    assert np.max(np.abs(layer.out_proj.weight.grad.numpy().T - grads[4])) < 1e-12


@pytest.mark.parametrize(("N", "T", "h", "d_h"), SIZES)
def test_a_float_mask_is_added_in_multihead_attention(N, T, h, d_h):
    X, weights, _, padding, hidden = setting(N, T, h, d_h)
    M = additive_mask(~hidden & ~padding[:, None, :], large=1e9)
    layer = torch_layer(weights, h)
    x = torch.from_numpy(X)
    float_mask = torch.from_numpy(np.repeat(M, h, axis=0))  # (N·h)×T×T, example-major
    y, _ = layer(x, x, x, attn_mask=float_mask)
    assert np.max(np.abs(y.detach().numpy() - multihead_attention(X, *weights, h, M))) < 1e-12


@pytest.mark.parametrize(("N", "T", "h", "d_h"), SIZES)
def test_sdpa_bool_mask_true_means_attend_and_a_float_mask_is_added(N, T, h, d_h):
    rng = np.random.default_rng([d_h, h, T, N])
    Q, K, V = (rng.standard_normal((N, h, T, d_h)) for _ in range(3))
    seen = np.tril(np.ones((T, T), dtype=bool))  # True: query t may see key j
    M = additive_mask(seen)
    ours = masked_softmax(Q @ K.swapaxes(-1, -2) / np.sqrt(d_h), M) @ V
    q, k, v = (torch.from_numpy(A) for A in (Q, K, V))
    by_bool = functional.scaled_dot_product_attention(q, k, v, attn_mask=torch.from_numpy(seen))
    by_float = functional.scaled_dot_product_attention(q, k, v, attn_mask=torch.from_numpy(M))
    assert np.max(np.abs(by_bool.numpy() - ours)) < 1e-12
    assert np.max(np.abs(by_float.numpy() - ours)) < 1e-12
    inverted = functional.scaled_dot_product_attention(
        q, k, v, attn_mask=torch.from_numpy(~seen[::-1])
    )
    assert np.max(np.abs(inverted.numpy() - ours)) > 1e-3, "the convention matters"


def test_a_fully_masked_row_zeros_in_sdpa_and_nan_in_multihead_attention_by_default():
    N, T, h, d_h = 1, 4, 2, 3
    X, weights, _, _, _ = setting(N, T, h, d_h)
    hidden = np.triu(np.ones((T, T), dtype=bool), k=1)
    hidden[1] = True  # query 1 sees no key
    layer = torch_layer(weights, h)
    x = torch.from_numpy(X)
    default, _ = layer(x, x, x, attn_mask=torch.from_numpy(hidden))
    fast, _ = layer(x, x, x, attn_mask=torch.from_numpy(hidden), need_weights=False)
    assert torch.isnan(default[0, 1]).all() and torch.isfinite(default[0, [0, 2, 3]]).all()
    assert torch.all(fast[0, 1] == 0) and torch.isfinite(fast).all()
    q = torch.from_numpy(np.random.default_rng(2).standard_normal((N, h, T, d_h)))
    out = functional.scaled_dot_product_attention(q, q, q, attn_mask=torch.from_numpy(~hidden))
    assert torch.all(out[:, :, 1] == 0) and torch.isfinite(out).all()
