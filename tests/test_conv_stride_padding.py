"""docs/conv_stride_padding.md ↔ snippets/conv_stride_padding.py: strided, padded convolutions.

Each Jacobian and VJP is checked against finite differences and against autograd differentiating
a forward pass written again, naively (a loop over the output positions), with autograd.numpy.
Stride and padding are parameters named ``stride`` and ``pad``, not sizes; the sizes of each case
are pairwise distinct, and the cases cover the floor in m = ⌊(n + 2p − k)/s⌋ + 1 (inputs the
kernel never reaches), a stride above the kernel (inputs skipped), stride 1 and no padding.
"""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.conv1d import conv1d_input_jacobian
from snippets.conv_stride_padding import (
    FIGURE_W,
    col2im,
    conv2d_backward,
    conv2d_forward,
    conv2d_im2col,
    conv2d_im2col_backward,
    conv2d_input_jacobian,
    conv_output_shape,
    dilate,
    im2col,
    im2col_figure,
    im2col_jacobian,
    output_length,
    patch_indices,
    strided_conv1d,
    strided_conv1d_input_jacobian,
    strided_conv1d_vjp,
    strided_conv1d_weight_jacobian,
    toeplitz_figure,
    upsample,
    upsample_figure,
    upsample_jacobian,
    upsample_vjp,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo

# (n, k, stride, pad): the floor leaves inputs out, stride > k skips some, stride 1, no padding.
SIZES_1D = [(8, 3, 2, 1), (9, 4, 3, 2), (7, 2, 3, 0), (10, 5, 4, 2), (5, 3, 1, 2), (6, 1, 2, 0)]


def padded_1d(x, pad):
    zeros = anp.zeros(pad)
    return anp.concatenate([zeros, x[0], zeros])


def conv1d_reference(x, w, stride, pad):
    """y_i = Σ_j w_j x̃_{si+j} for autograd, one output at a time."""
    n, k = x.shape[1], w.shape[1]
    padded = padded_1d(x, pad)
    m = (n + 2 * pad - k) // stride + 1
    return anp.reshape(
        anp.array([anp.sum(padded[stride * i : stride * i + k] * w[0]) for i in range(m)]), (1, m)
    )


def random_signal(n, k, stride, pad):
    rng = np.random.default_rng([n, k, stride, pad])
    m = (n + 2 * pad - k) // stride + 1
    return (
        rng.standard_normal((1, n)),
        rng.standard_normal((1, k)),
        rng.standard_normal((1, m)),
    )


@pytest.mark.parametrize(("n", "k", "stride", "pad"), SIZES_1D)
def test_1d_jacobians_and_vjp(n, k, stride, pad):
    x, w, g = random_signal(n, k, stride, pad)

    def of_x(z):
        return strided_conv1d(z, w, stride, pad)

    def of_x_reference(z):
        return conv1d_reference(z, w, stride, pad)

    def of_w(v):
        return strided_conv1d(x, v, stride, pad)

    def of_w_reference(v):
        return conv1d_reference(x, v, stride, pad)

    jacobian_x = strided_conv1d_input_jacobian(w, n, stride, pad)
    check_jacobian("strided_conv1d_input_jacobian", jacobian_x, of_x, of_x_reference, x)
    jacobian_w = strided_conv1d_weight_jacobian(x, k, stride, pad)
    check_jacobian("strided_conv1d_weight_jacobian", jacobian_w, of_w, of_w_reference, w)
    grad_x, grad_w = strided_conv1d_vjp(x, w, g, stride, pad)
    check_vjp("strided_conv1d_vjp, ∂L/∂x", grad_x, of_x, of_x_reference, x, g)
    check_vjp("strided_conv1d_vjp, ∂L/∂w", grad_w, of_w, of_w_reference, w, g)


@pytest.mark.parametrize(("n", "k", "stride", "pad"), SIZES_1D)
def test_1d_jacobian_is_every_sth_row_of_the_cropped_toeplitz(n, k, stride, pad):
    """∂y/∂x = D T Eᵀ: T the stride-1 Toeplitz of x̃, D keeps rows 0, s, 2s, …, Eᵀ crops."""
    _, w, _ = random_signal(n, k, stride, pad)
    toeplitz = conv1d_input_jacobian(w, n + 2 * pad)  # T, of the stride-1 valid convolution of x̃
    keep = np.eye(n + 2 * pad - k + 1)[::stride]  # D
    embed = np.eye(n, n + 2 * pad, k=pad)  # E: x̃ = x E
    jacobian = strided_conv1d_input_jacobian(w, n, stride, pad)
    assert jacobian.shape == (output_length(n, k, stride, pad), n)
    assert_close("D T Eᵀ", keep @ toeplitz @ embed.T, jacobian, 1e-15)
    x = np.random.default_rng(n).standard_normal((1, n))
    assert_close("x̃ = x E", x @ embed, np.pad(x, ((0, 0), (pad, pad))), 1e-15)
    for i, q in np.ndindex(jacobian.shape):
        offset = q + pad - stride * i
        assert jacobian[i, q] == (w[0, offset] if 0 <= offset < k else 0.0)


@pytest.mark.parametrize(("n", "k", "stride", "pad"), SIZES_1D)
def test_output_length_and_the_dilated_gradient(n, k, stride, pad):
    x, w, g = random_signal(n, k, stride, pad)
    m = output_length(n, k, stride, pad)
    assert strided_conv1d(x, w, stride, pad).shape == (1, m)
    assert m == len(range(0, n + 2 * pad - k + 1, stride)), "the positions 0, s, … that fit"
    length = n + 2 * pad - k + 1
    dilated = dilate(g, stride, length)
    keep = np.eye(length)[::stride]  # D
    assert_close("ĝ = g D", dilated, g @ keep, 1e-15)
    assert np.count_nonzero(dilated) == np.count_nonzero(g)


@pytest.mark.parametrize(("n", "k", "stride", "pad"), SIZES_1D)
def test_1d_column_convention_tab(n, k, stride, pad):
    """Columns: ∇_x L = E Tᵀ Dᵀ ∇_y L and ∇_w L = Hᵀ Dᵀ ∇_y L, n×1 and k×1."""
    x, w, g = random_signal(n, k, stride, pad)
    toeplitz = conv1d_input_jacobian(w, n + 2 * pad)
    keep = np.eye(n + 2 * pad - k + 1)[::stride]
    embed = np.eye(n, n + 2 * pad, k=pad)
    grad_x, grad_w = strided_conv1d_vjp(x, w, g, stride, pad)
    column_x = embed @ toeplitz.T @ keep.T @ g.T
    assert column_x.shape == (n, 1)
    assert_close("column tab, ∇_x L", column_x, grad_x.T, 1e-13)
    padded = np.pad(x[0], pad)
    hankel = np.array([padded[t : t + k] for t in range(n + 2 * pad - k + 1)])
    column_w = hankel.T @ keep.T @ g.T
    assert column_w.shape == (k, 1)
    assert_close("column tab, ∇_w L", column_w, grad_w.T, 1e-13)


# --- 2-D, CS231n's layout: (N, C, F, H, W, HH, WW, stride, pad)
SIZES_2D = [
    (2, 3, 1, 5, 6, 4, 1, 2, 1),
    (1, 2, 3, 6, 5, 4, 1, 3, 2),
    (1, 1, 3, 4, 5, 2, 6, 1, 1),
    (2, 3, 1, 4, 6, 1, 5, 2, 0),
]


def conv2d_reference(x, w, b, stride, pad):
    """The naive forward of CS231n's assignment, for autograd: one output at a time."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    rows = anp.zeros((N, C, pad, W))
    padded = anp.concatenate([rows, x, rows], axis=2)
    columns = anp.zeros((N, C, H + 2 * pad, pad))
    padded = anp.concatenate([columns, padded, columns], axis=3)
    out = [
        anp.sum(padded[a, :, stride * i : stride * i + HH, stride * j : stride * j + WW] * w[f])
        + b[f]
        for a in range(N)
        for f in range(F)
        for i in range(Ho)
        for j in range(Wo)
    ]
    return anp.reshape(anp.array(out), (N, F, Ho, Wo))


def random_conv(N, C, F, H, W, HH, WW, stride, pad):
    rng = np.random.default_rng([N, C, F, H, W, HH, WW, stride, pad])
    Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    return (
        rng.standard_normal((N, C, H, W)),
        rng.standard_normal((F, C, HH, WW)),
        rng.standard_normal(F),
        rng.standard_normal((N, F, Ho, Wo)),
    )


@pytest.mark.parametrize(("N", "C", "F", "H", "W", "HH", "WW", "stride", "pad"), SIZES_2D)
def test_2d_forward_jacobian_and_backward(N, C, F, H, W, HH, WW, stride, pad):
    x, w, b, dout = random_conv(N, C, F, H, W, HH, WW, stride, pad)
    assert_close(
        "conv2d_forward",
        conv2d_forward(x, w, b, stride, pad),
        conv2d_reference(x, w, b, stride, pad),
        1e-13,
    )
    dx, dw, db = conv2d_backward(x, w, dout, stride, pad)
    check_jacobian(
        "conv2d_input_jacobian",
        conv2d_input_jacobian(w, x.shape, stride, pad),
        lambda z: conv2d_forward(z, w, b, stride, pad),
        lambda z: conv2d_reference(z, w, b, stride, pad),
        x,
    )
    check_vjp(
        "conv2d_backward, dx",
        dx,
        lambda z: conv2d_forward(z, w, b, stride, pad),
        lambda z: conv2d_reference(z, w, b, stride, pad),
        x,
        dout,
    )
    check_vjp(
        "conv2d_backward, dw",
        dw,
        lambda v: conv2d_forward(x, v, b, stride, pad),
        lambda v: conv2d_reference(x, v, b, stride, pad),
        w,
        dout,
    )
    check_vjp(
        "conv2d_backward, db",
        db,
        lambda c: conv2d_forward(x, w, c, stride, pad),
        lambda c: conv2d_reference(x, w, c, stride, pad),
        b,
        dout,
    )


@pytest.mark.parametrize(("N", "C", "F", "H", "W", "HH", "WW", "stride", "pad"), SIZES_2D)
def test_2d_jacobian_is_block_diagonal_over_the_examples(N, C, F, H, W, HH, WW, stride, pad):
    x, w, _, _ = random_conv(N, C, F, H, W, HH, WW, stride, pad)
    Ho, Wo = conv_output_shape(x.shape, w.shape, stride, pad)
    blocks = conv2d_input_jacobian(w, x.shape, stride, pad).reshape(N, F * Ho * Wo, N, C * H * W)
    single = conv2d_input_jacobian(w, (1, C, H, W), stride, pad)
    for a, e in np.ndindex(N, N):
        expected = single if a == e else np.zeros_like(single)
        assert np.array_equal(blocks[a, :, e], expected)


# --- im2col


@pytest.mark.parametrize(("N", "C", "F", "H", "W", "HH", "WW", "stride", "pad"), SIZES_2D)
def test_im2col_product_is_the_convolution_and_its_backward(N, C, F, H, W, HH, WW, stride, pad):
    x, w, b, dout = random_conv(N, C, F, H, W, HH, WW, stride, pad)
    Ho, Wo = conv_output_shape(x.shape, w.shape, stride, pad)
    cols = im2col(x, HH, WW, stride, pad)
    assert cols.shape == (N * Ho * Wo, C * HH * WW)
    assert_close(
        "im2col product",
        conv2d_im2col(x, w, b, stride, pad),
        conv2d_forward(x, w, b, stride, pad),
        1e-13,
    )
    dx, dw, db = conv2d_im2col_backward(x, w, dout, stride, pad)
    check_vjp(
        "conv2d_im2col_backward, dx",
        dx,
        lambda z: conv2d_im2col(z, w, b, stride, pad),
        lambda z: conv2d_reference(z, w, b, stride, pad),
        x,
        dout,
    )
    check_vjp(
        "conv2d_im2col_backward, dw",
        dw,
        lambda v: conv2d_im2col(x, v, b, stride, pad),
        lambda v: conv2d_reference(x, v, b, stride, pad),
        w,
        dout,
    )
    check_vjp(
        "conv2d_im2col_backward, db",
        db,
        lambda c: conv2d_im2col(x, w, c, stride, pad),
        lambda c: conv2d_reference(x, w, c, stride, pad),
        b,
        dout,
    )


def im2col_reference(x, HH, WW, stride, pad):
    """Each patch of x̃ flattened, for autograd: a loop over (a, i, j)."""
    N, C, H, W = x.shape
    Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    rows = anp.zeros((N, C, pad, W))
    padded = anp.concatenate([rows, x, rows], axis=2)
    columns = anp.zeros((N, C, H + 2 * pad, pad))
    padded = anp.concatenate([columns, padded, columns], axis=3)
    patches = [
        anp.ravel(padded[a, :, stride * i : stride * i + HH, stride * j : stride * j + WW])
        for a in range(N)
        for i in range(Ho)
        for j in range(Wo)
    ]
    return anp.stack(patches)


@pytest.mark.parametrize(("N", "C", "F", "H", "W", "HH", "WW", "stride", "pad"), SIZES_2D)
def test_im2col_jacobian_and_col2im_is_its_vjp(N, C, F, H, W, HH, WW, stride, pad):
    x, _, _, _ = random_conv(N, C, F, H, W, HH, WW, stride, pad)
    rng = np.random.default_rng([F, H, W])
    dcols = rng.standard_normal(im2col(x, HH, WW, stride, pad).shape)

    def forward(z):
        return im2col(z, HH, WW, stride, pad)

    def reference(z):
        return im2col_reference(z, HH, WW, stride, pad)

    jacobian = im2col_jacobian(x.shape, HH, WW, stride, pad)
    check_jacobian("im2col_jacobian", jacobian, forward, reference, x)
    assert set(np.unique(jacobian)) <= {0.0, 1.0}
    assert np.all(jacobian.sum(axis=1) <= 1), "at most one 1 in each row; none for the padding"
    check_vjp("col2im", col2im(dcols, x.shape, HH, WW, stride, pad), forward, reference, x, dcols)


def test_im2col_row_and_column_order():
    """Row (a, i, j) row-major, column (c, u, v) like w[f].ravel(): what the product needs."""
    N, C, H, W, HH, WW, stride = 2, 3, 5, 6, 4, 1, 2  # no padding
    x = np.arange(N * C * H * W, dtype=float).reshape(N, C, H, W)
    cols = im2col(x, HH, WW, stride, 0)
    Ho, Wo = conv_output_shape(x.shape, (1, C, HH, WW), stride, 0)
    a, i, j = 1, 0, 1
    patch = x[a, :, stride * i : stride * i + HH, stride * j : stride * j + WW].ravel()
    assert np.array_equal(cols[(a * Ho + i) * Wo + j], patch)
    channel, rows, columns = patch_indices(x.shape, HH, WW, stride, 0)
    assert channel.shape == (1, C * HH * WW) and rows.shape == columns.shape == (
        Ho * Wo,
        C * HH * WW,
    )


def test_col2im_with_assignment_fails_only_where_patches_overlap():
    """The page's mistake, = for +=: right when the stride is at least the kernel, else wrong."""
    N, C, H, W = 1, 2, 6, 8

    def assigned(dcols, x_shape, HH, WW, stride):
        c, rows, cols = patch_indices(x_shape, HH, WW, stride, 0)
        out = np.zeros(x_shape)
        out[:, c, rows, cols] = dcols.reshape(x_shape[0], -1, c.size)
        return out

    rng = np.random.default_rng(5)
    for HH, WW, stride, overlaps in [(3, 4, 2, True), (3, 4, 4, False)]:
        dcols = rng.standard_normal(im2col(np.zeros((N, C, H, W)), HH, WW, stride, 0).shape)
        right = col2im(dcols, (N, C, H, W), HH, WW, stride, 0)
        wrong = assigned(dcols, (N, C, H, W), HH, WW, stride)
        assert np.allclose(wrong, right) != overlaps


# --- nearest-neighbour upsampling: (N, C, H, W, s)
SIZES_UP = [(1, 3, 4, 5, 2), (2, 1, 3, 4, 5), (3, 2, 1, 4, 6), (2, 4, 3, 1, 5)]


def upsample_reference(x, s):
    """y[a, c, i, j] = x[a, c, i // s, j // s] for autograd, by integer indexing."""
    rows = np.arange(s * x.shape[2]) // s
    columns = np.arange(s * x.shape[3]) // s
    return x[:, :, rows, :][:, :, :, columns]


@pytest.mark.parametrize(("N", "C", "H", "W", "s"), SIZES_UP)
def test_upsample_jacobian_and_vjp(N, C, H, W, s):
    rng = np.random.default_rng([N, C, H, W, s])
    x, g = rng.standard_normal((N, C, H, W)), rng.standard_normal((N, C, s * H, s * W))

    def forward(z):
        return upsample(z, s)

    def reference(z):
        return upsample_reference(z, s)

    jacobian = upsample_jacobian(x.shape, s)
    check_jacobian("upsample_jacobian", jacobian, forward, reference, x)
    check_vjp("upsample_vjp", upsample_vjp(g, s), forward, reference, x, g)
    assert np.array_equal(jacobian.sum(axis=1), np.ones(jacobian.shape[0])), "one 1 in each row"
    assert np.array_equal(jacobian.sum(axis=0), np.full(x.size, s * s)), "s² in each column"


@pytest.mark.parametrize(("N", "C", "H", "W", "s"), SIZES_UP)
def test_upsample_per_channel_kronecker_and_block_sums(N, C, H, W, s):
    """Per channel, Y = S_1 X S_2ᵀ with S_i = I ⊗ 𝟏_s; the VJP S_1ᵀ G S_2 sums s×s blocks."""
    rng = np.random.default_rng([s, W, H, C, N])
    x, g = rng.standard_normal((N, C, H, W)), rng.standard_normal((N, C, s * H, s * W))
    S1, S2 = np.kron(np.eye(H), np.ones((s, 1))), np.kron(np.eye(W), np.ones((s, 1)))
    assert_close("S_1 X S_2ᵀ", S1 @ x @ S2.T, upsample(x, s), 1e-15)
    assert_close("S_1ᵀ G S_2", S1.T @ g @ S2, upsample_vjp(g, s), 1e-14)
    per_channel = upsample_jacobian((1, 1, H, W), s)
    assert np.array_equal(per_channel, np.kron(S1, S2)), "vec_r(S_1 X S_2ᵀ) = (S_1 ⊗ S_2) vec_r X"
    averaged = g.reshape(N, C, H, s, W, s).mean(axis=(3, 5))
    assert_close("the mean is the sum over s²", averaged * s * s, upsample_vjp(g, s), 1e-14)


# --- the page


def test_the_figures_draw_what_the_page_says():
    toeplitz = toeplitz_figure().matrix
    assert toeplitz.shape == (6, 6)
    assert np.array_equal(toeplitz[0, :2], [-1.0, 2.0]), "w_1 < 0: the picture shows a sign"
    assert np.array_equal(
        toeplitz[::2],
        strided_conv1d_input_jacobian(FIGURE_W, 6, 2, 1),
    )
    picture = im2col_figure().matrix
    per_pixel = picture.sum(axis=0).reshape(4, 5)  # how many patches hold each pixel
    assert not per_pixel[[1, 3]].any(), "rows 1 and 3 skipped"
    assert np.array_equal(per_pixel[0], [1, 1, 2, 1, 1]), "column 2 in two patches"
    up = upsample_figure().matrix
    assert up.shape == (12, 3) and np.array_equal(up.sum(axis=0), [4, 4, 4])


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("conv_stride_padding")
    differs = [line.split(": DIFFERS")[0] for line in lines if "DIFFERS" in line]
    assert differs == [
        "g * w, not dilated",
        "g * w, not dilated, zero-filled and cropped",
        "col2im with =, stride 2 < kernel 3",
        "col2im with += on an index array",
        "s×s blocks averaged",
        "g[:, :, ::s, ::s], one entry per block",
    ], "every common mistake must still fail"
    matches = [line for line in lines if "DIFFERS" not in line]
    assert len(matches) == 19 and all(line.endswith(": matches") for line in matches)
    assert "s×s blocks averaged: DIFFERS, relative error 0.75" in lines, "the mean is 1/s² of it"
