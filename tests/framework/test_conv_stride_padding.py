"""docs/conv_stride_padding.md: what it says PyTorch's conv1d, conv2d and interpolate compute.

Each claim is checked against torch in float64: conv1d(x, w, stride=s, padding=p) and
conv2d(x, w, b, stride=s, padding=p) are the cross-correlations of the padded input the page
writes (no flip), with the output size ⌊(n + 2p − k)/s⌋ + 1; their gradients from torch.autograd
are the page's dilate, full-convolve, crop (and im2col/col2im) backward passes; and
interpolate(x, scale_factor=s, mode="nearest") is the page's upsampling, its gradient the sum of
each s×s block.
"""

import numpy as np
import pytest
import torch
from torch.nn import functional as nnf

from snippets.conv_stride_padding import (
    conv2d_backward,
    conv2d_forward,
    conv2d_im2col,
    conv2d_im2col_backward,
    strided_conv1d,
    strided_conv1d_vjp,
    upsample,
    upsample_vjp,
)

TOLERANCE = 1e-12  # relative: both sides compute the same float64 sums


def close(ours, theirs):
    theirs = theirs.detach().numpy()
    assert np.shape(ours) == theirs.shape
    scale = max(np.max(np.abs(theirs)), 1e-300)
    assert np.max(np.abs(ours - theirs)) <= TOLERANCE * scale


def tensor(array):
    return torch.tensor(array, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize(("n", "k", "stride", "pad"), [(8, 3, 2, 1), (9, 4, 3, 2), (7, 2, 3, 0)])
def test_conv1d_is_the_strided_padded_correlation_and_its_gradients(n, k, stride, pad):
    rng = np.random.default_rng([n, k, stride, pad])
    x, w = rng.standard_normal((1, n)), rng.standard_normal((1, k))
    ours = strided_conv1d(x, w, stride, pad)
    g = rng.standard_normal(ours.shape)
    x_t, w_t = tensor(x[None]), tensor(w[None])  # (batch, channels, length) = (1, 1, n), (1, 1, k)
    theirs = nnf.conv1d(x_t, w_t, stride=stride, padding=pad)
    close(ours, theirs[0])
    theirs.backward(torch.tensor(g[None]))
    grad_x, grad_w = strided_conv1d_vjp(x, w, g, stride, pad)
    close(grad_x, x_t.grad[0])
    close(grad_w, w_t.grad[0])


@pytest.mark.parametrize(
    ("N", "C", "F", "H", "W", "HH", "WW", "stride", "pad"),
    [(2, 4, 5, 6, 7, 3, 1, 2, 1), (1, 2, 3, 6, 5, 4, 1, 3, 2), (3, 1, 2, 5, 4, 6, 7, 1, 2)],
)
def test_conv2d_is_the_page_convolution_and_its_gradients(N, C, F, H, W, HH, WW, stride, pad):
    rng = np.random.default_rng([N, C, F, H, W, HH, WW, stride, pad])
    x, w = rng.standard_normal((N, C, H, W)), rng.standard_normal((F, C, HH, WW))
    b = rng.standard_normal(F)
    out = conv2d_forward(x, w, b, stride, pad)
    dout = rng.standard_normal(out.shape)
    x_t, w_t, b_t = tensor(x), tensor(w), tensor(b)
    theirs = nnf.conv2d(x_t, w_t, b_t, stride=stride, padding=pad)
    close(out, theirs)
    close(conv2d_im2col(x, w, b, stride, pad), theirs)
    theirs.backward(torch.tensor(dout))
    for dx, dw, db in (
        conv2d_backward(x, w, dout, stride, pad),
        conv2d_im2col_backward(x, w, dout, stride, pad),
    ):
        close(dx, x_t.grad)
        close(dw, w_t.grad)
        close(db, b_t.grad)


@pytest.mark.parametrize(("N", "C", "H", "W", "s"), [(1, 3, 4, 5, 2), (2, 1, 3, 4, 5)])
def test_interpolate_nearest_is_the_page_upsampling_and_sums_the_blocks(N, C, H, W, s):
    rng = np.random.default_rng([N, C, H, W, s])
    x, g = rng.standard_normal((N, C, H, W)), rng.standard_normal((N, C, s * H, s * W))
    x_t = tensor(x)
    theirs = nnf.interpolate(x_t, scale_factor=s, mode="nearest")
    close(upsample(x, s), theirs)
    theirs.backward(torch.tensor(g))
    close(upsample_vjp(g, s), x_t.grad)
    up = torch.nn.Upsample(scale_factor=s, mode="nearest")
    close(upsample(x, s), up(torch.tensor(x)))
