"""Stride, padding and im2col: strided convolutions in 1-D and 2-D, im2col/col2im, upsampling.

Shapes (row vectors, see docs/conventions.md; indices from 0):
- 1-D: x is 1×n, the kernel w is 1×k, stride s, zero padding p on each side; the output y is 1×m,
  m = ⌊(n + 2p − k)/s⌋ + 1, y_i = Σ_j w_j x̃_{si+j} with x̃ the padded x (1×(n + 2p)); g is 1×m.
- 2-D, CS231n's layout: x is N×C×H×W, the filters w are F×C×HH×WW, the biases b have F entries,
  the output (and its upstream gradient) is N×F×H'×W', H' = (H + 2p − HH)//s + 1, likewise W'.
- im2col: the patches as rows, (N·H'·W')×(C·HH·WW); the filters flattened, (C·HH·WW)×F.
- nearest-neighbour upsampling by s: N×C×H×W → N×C×sH×sW.
Run ``python -m snippets.conv_stride_padding`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:conv1d_functions]
def output_length(n, k, stride, pad):
    """m = ⌊(n + 2p − k)/s⌋ + 1: the kernel's positions in the padded input."""
    return (n + 2 * pad - k) // stride + 1


def strided_conv1d(x, w, stride, pad):
    """y_i = Σ_j w_j x̃_{si+j}, x̃ = x with p zeros on each side.

    x 1×n, w 1×k, y 1×m."""
    k = w.shape[1]
    padded = np.pad(x[0], pad)  # x̃, length n + 2p
    m = output_length(x.shape[1], k, stride, pad)
    y = [padded[stride * i : stride * i + k] @ w[0] for i in range(m)]
    return np.array([y])


def strided_conv1d_input_jacobian(w, n, stride, pad):
    """∂y/∂x, m×n: entry (i, l) is w_{l+p−si}, 0 unless 0 ≤ l + p − si < k."""
    k = w.shape[1]
    m = output_length(n, k, stride, pad)
    padded = np.zeros((m, n + 2 * pad))  # the same rows, against x̃
    for i in range(m):
        padded[i, stride * i : stride * i + k] = w[0]
    return padded[:, pad : pad + n]  # the padding columns cropped


def strided_conv1d_weight_jacobian(x, k, stride, pad):
    """∂y/∂w, m×k: entry (i, j) is x̃_{si+j}, row i the window of x̃ at si."""
    padded = np.pad(x[0], pad)
    m = output_length(x.shape[1], k, stride, pad)
    return np.array([padded[stride * i : stride * i + k] for i in range(m)])


def dilate(g, stride, length):
    """ĝ = g D: g_i in place si, zeros between and after, 1×length."""
    dilated = np.zeros((1, length))
    dilated[0, ::stride] = g[0]  # m places: length − 1 = s(m − 1) + r, r < s
    return dilated


def strided_conv1d_vjp(x, w, g, stride, pad):
    """∂L/∂x: the entries p … p + n − 1 of ĝ * w (1×n); ∂L/∂w = x̃ ⋆ ĝ (1×k)."""
    n, k = x.shape[1], w.shape[1]
    dilated = dilate(g, stride, n + 2 * pad - k + 1)[0]  # ĝ, the stride-1 length
    full = np.convolve(dilated, w[0], mode="full")  # ĝ * w, length n + 2p
    grad_x = full[pad : pad + n]  # crop the padding
    padded = np.pad(x[0], pad)  # x̃
    grad_w = np.correlate(padded, dilated, mode="valid")  # length k
    return grad_x[np.newaxis], grad_w[np.newaxis]


# --8<-- [end:conv1d_functions]


# --8<-- [start:conv2d_functions]
def conv_output_shape(x_shape, w_shape, stride, pad):
    """(H', W') = ((H + 2p − HH)//s + 1, (W + 2p − WW)//s + 1)."""
    (H, W), (HH, WW) = x_shape[2:], w_shape[2:]
    return (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1


def pad_images(x, pad):
    """x̃: p zeros on each side of the two spatial axes of an N×C×H×W array."""
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def conv2d_forward(x, w, b, stride, pad):
    """out[a, f, i, j] = b_f + Σ_{c,u,v} w[f, c, u, v] x̃[a, c, si + u, sj + v].

    N×F×H'×W': a sum over the kernel offsets (u, v) of the strided slices of
    x̃ they meet.
    """
    HH, WW = w.shape[2:]
    Ho, Wo = conv_output_shape(x.shape, w.shape, stride, pad)
    padded = pad_images(x, pad)
    out = np.zeros((x.shape[0], w.shape[0], Ho, Wo)) + b[:, None, None]
    for u, v in np.ndindex(HH, WW):
        rows = slice(u, u + stride * Ho, stride)  # si + u for i < H'
        cols = slice(v, v + stride * Wo, stride)  # sj + v for j < W'
        out += np.einsum("fc,acij->afij", w[:, :, u, v], padded[:, :, rows, cols])
    return out


def conv2d_input_jacobian(w, x_shape, stride, pad):
    """∂vec_r out/∂vec_r x: entry ((a, f, i, j), (a, c, si + u − p, sj + v − p))
    is w[f, c, u, v]; built against x̃, the padding columns cropped."""
    N, C, H, W = x_shape
    F, _, HH, WW = w.shape
    Ho, Wo = conv_output_shape(x_shape, w.shape, stride, pad)
    shape = (N, F, Ho, Wo, N, C, H + 2 * pad, W + 2 * pad)  # against x̃
    jacobian = np.zeros(shape)
    for a, f, i, j in np.ndindex(N, F, Ho, Wo):
        rows = slice(stride * i, stride * i + HH)
        cols = slice(stride * j, stride * j + WW)
        jacobian[a, f, i, j, a, :, rows, cols] = w[f]
    cropped = jacobian[..., pad : pad + H, pad : pad + W]  # the padding cropped
    return cropped.reshape(N * F * Ho * Wo, N * C * H * W)


def conv2d_backward(x, w, dout, stride, pad):
    """dx, dw, db of conv2d_forward: dilate dout, full-convolve, crop.

    dx (N×C×H×W) is the crop of Σ_f Ĝ[a, f] * w[f, c], Ĝ the dilated dout;
    dw[f, c] = Σ_a x̃[a, c] ⋆ Ĝ[a, f] (F×C×HH×WW); db[f] sums dout[:, f].
    """
    N, _, H, W = x.shape
    HH, WW = w.shape[2:]
    L1, L2 = H + 2 * pad - HH + 1, W + 2 * pad - WW + 1  # stride-1 output size
    dilated = np.zeros((N, w.shape[0], L1, L2))
    dilated[:, :, ::stride, ::stride] = dout  # Ĝ: s − 1 zeros between entries
    padded = pad_images(x, pad)
    dpadded = np.zeros(padded.shape)
    dw = np.zeros(w.shape)
    for u, v in np.ndindex(HH, WW):  # one kernel offset at a time
        rows, cols = slice(u, u + L1), slice(v, v + L2)
        # the full convolution Ĝ * w: Ĝ shifted by (u, v), times w[:, :, u, v]
        shifted = np.einsum("afij,fc->acij", dilated, w[:, :, u, v])
        dpadded[:, :, rows, cols] += shifted
        # the correlation x̃ ⋆ Ĝ at offset (u, v)
        seen = padded[:, :, rows, cols]
        dw[:, :, u, v] = np.einsum("afij,acij->fc", dilated, seen)
    dx = dpadded[:, :, pad : pad + H, pad : pad + W]  # crop the padding
    return dx, dw, dout.sum(axis=(0, 2, 3))


# --8<-- [end:conv2d_functions]


# --8<-- [start:im2col_functions]
def patch_indices(x_shape, HH, WW, stride, pad):
    """Where the entries of the im2col matrix come from in x̃.

    Patch (i, j), column (c, u, v) is x̃[:, c, si + u, sj + v]: the channel
    index (1×K), the row and column indices (M×K), with M = H'·W' patches of
    an image and K = C·HH·WW entries in each.
    """
    _, C, H, W = x_shape
    Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    c = np.repeat(np.arange(C), HH * WW)  # (c, u, v) row-major, like w[f].ravel()
    u = np.tile(np.repeat(np.arange(HH), WW), C)
    v = np.tile(np.arange(WW), HH * C)
    i = np.repeat(np.arange(Ho), Wo) * stride  # (i, j) row-major, like out[a, f]
    j = np.tile(np.arange(Wo), Ho) * stride
    return c[None, :], i[:, None] + u[None, :], j[:, None] + v[None, :]


def im2col(x, HH, WW, stride, pad):
    """The patches of x̃ as rows, (N·H'·W')×(C·HH·WW): row (a, i, j),
    column (c, u, v)."""
    c, rows, cols = patch_indices(x.shape, HH, WW, stride, pad)
    return pad_images(x, pad)[:, c, rows, cols].reshape(-1, c.size)


def col2im(dcols, x_shape, HH, WW, stride, pad):
    """The VJP of im2col: each entry of dcols ADDED into the entry of x̃ it
    was copied from, then the padding cropped; N×C×H×W. Patches overlap when
    s < HH or s < WW."""
    N, C, H, W = x_shape
    c, rows, cols = patch_indices(x_shape, HH, WW, stride, pad)
    dpadded = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    np.add.at(dpadded, (slice(None), c, rows, cols), dcols.reshape(N, -1, c.size))
    return dpadded[:, :, pad : pad + H, pad : pad + W]


def conv2d_im2col(x, w, b, stride, pad):
    """The same convolution as one product, im2col(x) @ w_flat + b,
    rearranged to N×F×H'×W'."""
    F, _, HH, WW = w.shape
    Ho, Wo = conv_output_shape(x.shape, w.shape, stride, pad)
    flat = im2col(x, HH, WW, stride, pad) @ w.reshape(F, -1).T + b  # (N·H'·W')×F
    return flat.reshape(x.shape[0], Ho, Wo, F).transpose(0, 3, 1, 2)


def conv2d_im2col_backward(x, w, dout, stride, pad):
    """dx = col2im(Ḡ w_flatᵀ), dw from Pᵀ Ḡ, db = 𝟏ᵀ Ḡ; Ḡ is dout as (N·H'·W')×F."""
    F, _, HH, WW = w.shape
    cols = im2col(x, HH, WW, stride, pad)  # P
    dflat = dout.transpose(0, 2, 3, 1).reshape(-1, F)  # Ḡ, rows in P's order
    dw = (cols.T @ dflat).T.reshape(w.shape)
    dx = col2im(dflat @ w.reshape(F, -1), x.shape, HH, WW, stride, pad)
    return dx, dw, dflat.sum(axis=0)


def im2col_jacobian(x_shape, HH, WW, stride, pad):
    """∂vec_r P/∂vec_r x: 0/1, one row per entry of P, its 1 at the entry of x
    it copies (a zero row for an entry of the padding)."""
    N, C, H, W = x_shape
    eye = np.eye(N * C * H * W).reshape(N * C * H * W, N, C, H, W)
    return np.stack([im2col(e, HH, WW, stride, pad).ravel() for e in eye], axis=1)


# --8<-- [end:im2col_functions]


# --8<-- [start:upsample_functions]
def upsample(x, s):
    """Nearest-neighbour upsampling by s: y[a, c, i, j] = x[a, c, i//s, j//s],
    N×C×sH×sW."""
    return np.repeat(np.repeat(x, s, axis=2), s, axis=3)


def upsample_jacobian(x_shape, s):
    """∂vec_r y/∂vec_r x: (N·C·sH·sW)×(N·C·H·W), a single 1 in each row."""
    N, C, H, W = x_shape
    index = np.arange(N * C * H * W).reshape(x_shape)
    rows = upsample(index, s).ravel()  # which input each output copies
    jacobian = np.zeros((rows.size, N * C * H * W))
    jacobian[np.arange(rows.size), rows] = 1.0
    return jacobian


def upsample_vjp(g, s):
    """Sum pooling: each s×s block of g (N×C×sH×sW) summed, N×C×H×W."""
    N, C, sH, sW = g.shape
    return g.reshape(N, C, sH // s, s, sW // s, s).sum(axis=(3, 5))


# --8<-- [end:upsample_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "stride, padding, im2col"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=r"1-D convolution, stride $s$, zero padding $p$",
        jacobian=r"$D\,T\,E^\top$: rows $0, s, 2s, \dots$ of the stride-1 Toeplitz $T$, padding "
        r"columns cropped",
        vjp=r"$\partial L/\partial x$: $\hat{g} * w$ cropped, $\hat{g} = gD$ dilated; "
        r"$\partial L/\partial w = \tilde{x} \star \hat{g}$",
        functions=("strided_conv1d_vjp",),
        anchor="1-d-convolution-with-stride-and-padding",
    ),
    Row(
        table="Layers",
        operation=r"2-D convolution, $C$ channels, $F$ filters, stride $s$, padding $p$",
        jacobian=r"block-diagonal over the examples; blocks of strided, cropped 2-D Toeplitz "
        r"matrices",
        vjp=r"$\partial L/\partial A$: $\sum_f \hat{G}_{af} * K_{fc}$ cropped; "
        r"$\partial L/\partial K_{fc} = \sum_a \tilde{A}_{ac} \star \hat{G}_{af}$; "
        r"$\partial L/\partial b$: sums of $G$",
        functions=("conv2d_backward",),
        anchor="2-d-convolution-channels-and-filters",
    ),
    Row(
        table="Layers",
        operation=r"convolution as im2col, $\bar{Z} = P\bar{K} + \mathbf{1}_M b$",
        jacobian=r"of $P$ by $A$: 0/1, a single 1 in each row (a padding entry: none)",
        vjp=r"$\partial L/\partial \bar{K} = P^\top \bar{G}$, $\partial L/\partial b = "
        r"\mathbf{1}_M^\top \bar{G}$, $\partial L/\partial A = \operatorname{col2im}(\bar{G}"
        r"\bar{K}^\top)$, overlaps added",
        functions=("conv2d_im2col_backward", "col2im"),
        anchor="the-im2col-view",
    ),
    Row(
        table="Layers",
        operation=r"nearest-neighbour upsampling by $s$",
        jacobian=r"$S_1 \otimes S_2$ per channel, $S_i = I_{n_i} \otimes \mathbf{1}_s$: a "
        r"single 1 in each row",
        vjp=r"$S_1^\top G_{ac} S_2$: each $s \times s$ block of $G$ summed, not averaged",
        functions=("upsample_vjp",),
        anchor="nearest-neighbour-upsampling",
    ),
]


# The pictures of the Jacobians on the page: hooks/jacobian_figures.py draws them at build time,
# tests/test_figures.py checks them against finite differences and their structure keywords.
FIGURE_W = np.array([[0.5, -1.0, 2.0]])  # the 1-D picture's kernel, 1×3


def toeplitz_figure():
    """∂y/∂x of a stride-1 convolution with padding 1, n = 6, k = 3: 6×6, Toeplitz."""
    n, pad = 6, 1
    x = np.arange(1.0, n + 1)[np.newaxis] / 4  # any x: the Jacobian is w's alone
    jacobian = strided_conv1d_input_jacobian(FIGURE_W, n, 1, pad)
    return Figure(
        matrix=jacobian,
        of=lambda z: strided_conv1d(z, FIGURE_W, 1, pad),
        at=x,
        structure="toeplitz",
        rows="outputs y_t, stride 1",
        columns="inputs x_l",
        alt=f"The {size(jacobian)} Jacobian of a stride-1 convolution with a kernel of 3 and one "
        "zero of padding on each side: Toeplitz, every diagonal constant; the first and last rows "
        "are cut short where the kernel meets the padding. Stride 2 keeps rows 0, 2 and 4.",
        caption=r"Stride 1, padding 1: $T E^\top$ is Toeplitz, and stride $s$ keeps its rows "
        r"$0, s, 2s, \dots$ (here $s = 2$: rows $0, 2, 4$).",
    )


def im2col_figure():
    """∂vec_r P/∂vec_r x for one 4×5 image, kernel 1×3, stride 2, no padding: 12×20, 0/1."""
    n1, n2, k2, stride = 4, 5, 3, 2
    x = np.arange(n1 * n2, dtype=float).reshape(1, 1, n1, n2) / 10
    jacobian = im2col_jacobian(x.shape, 1, k2, stride, 0)
    return Figure(
        matrix=jacobian,
        of=lambda z: im2col(z, 1, k2, stride, 0),
        at=x,
        structure="selection",
        rows="entries of P, patch by patch",
        columns="pixels of the image, row by row",
        alt=f"The {size(jacobian)} Jacobian of im2col for a 4×5 image, patches of 1×3 at stride 2: "
        "a single 1 in each row, each entry of a patch copying one pixel; the pixels in the middle "
        "column of a patch row, shared by two patches, have two 1s in their column, and the "
        "skipped image rows 1 and 3 have none.",
        caption=r"im2col copies: a single 1 in each row, and a pixel in two patches has two 1s "
        r"in its column, which col2im must add.",
    )


def upsample_figure():
    """∂vec_r y/∂vec_r x of upsampling a 1×3 image by 2: 12×3, a single 1 in each row."""
    s = 2
    x = np.array([[[[0.4, 1.1, 0.7]]]])  # 1×1×1×3; any x: the Jacobian is 0/1
    jacobian = upsample_jacobian(x.shape, s)
    return Figure(
        matrix=jacobian,
        of=lambda z: upsample(z, s),
        at=x,
        structure="selection",
        rows="outputs y_ij, row by row (2×6)",
        columns="inputs x_l",
        alt=f"The {size(jacobian)} Jacobian of nearest-neighbour upsampling of a 1×3 image by 2 "
        "into 2×6: a single 1 in each row; each input's column holds four 1s, the 2×2 block it "
        "is copied to.",
        caption=r"Upsampling copies: a single 1 in each row, and $s^2$ ones in each column.",
    )


if __name__ == "__main__":
    # --8<-- [start:conv1d_setup]
    rng = np.random.default_rng(0)
    n, k = 8, 3  # input of 8, kernel of 3
    stride, pad = 2, 1  # m = ⌊(8 + 2 − 3)/2⌋ + 1 = 4 outputs
    m = output_length(n, k, stride, pad)
    x = rng.standard_normal((1, n))  # input, 1×8
    w = rng.standard_normal((1, k))  # kernel, 1×3
    g = rng.standard_normal((1, m))  # upstream gradient ∂L/∂y, 1×4
    # --8<-- [end:conv1d_setup]

    # --8<-- [start:conv1d_check]
    jacobian_x = strided_conv1d_input_jacobian(w, n, stride, pad)  # 4×8
    numeric_x = numerical_jacobian(lambda z: strided_conv1d(z, w, stride, pad), x)
    assert compare("∂y/∂x vs finite differences", jacobian_x, numeric_x)
    L = n + 2 * pad - k + 1  # stride-1 outputs, 8
    T = np.zeros((L, n + 2 * pad))  # the stride-1 Toeplitz matrix, 8×10
    for t in range(L):
        T[t, t : t + k] = w[0]
    D = np.eye(L)[::stride]  # rows 0, s, 2s, …: 4×8
    E = np.eye(n, n + 2 * pad, k=pad)  # x̃ = x E: 8×10
    assert compare("∂y/∂x = D T Eᵀ", D @ T @ E.T, jacobian_x)
    jacobian_w = strided_conv1d_weight_jacobian(x, k, stride, pad)  # 4×3
    numeric_w = numerical_jacobian(lambda v: strided_conv1d(x, v, stride, pad), w)
    assert compare("∂y/∂w vs finite differences", jacobian_w, numeric_w)
    grad_x, grad_w = strided_conv1d_vjp(x, w, g, stride, pad)
    assert compare("∂L/∂x: dilate, full-convolve, crop", grad_x, g @ numeric_x)
    assert compare("∂L/∂w = x̃ ⋆ ĝ", grad_w, g @ numeric_w)
    # --8<-- [end:conv1d_check]

    # --8<-- [start:conv1d_mistake]
    reference = g @ numerical_jacobian(lambda z: strided_conv1d(z, w, stride, pad), x)
    undilated = np.convolve(g[0], w[0], mode="full")  # g * w, length m + k − 1 = 6
    compare("g * w, not dilated", undilated[np.newaxis], reference)
    filled = np.zeros(n + 2 * pad)  # zero-filled to the length of x̃
    filled[: undilated.size] = undilated
    wrong = filled[pad : pad + n]  # and cropped
    compare("g * w, not dilated, zero-filled and cropped", wrong[np.newaxis], reference)
    # --8<-- [end:conv1d_mistake]

    # --8<-- [start:conv2d_setup]
    rng = np.random.default_rng(0)
    N, C, H, W = 2, 4, 6, 7  # 2 images of 4 channels, 6×7
    F, k = 5, 3  # 5 filters of 3×3 (a square: one name used twice)
    stride, pad = 2, 1  # H' = (6 + 2 − 3)//2 + 1 = 3, W' = 4
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((F, C, k, k))
    b = rng.standard_normal(F)
    Ho, Wo = conv_output_shape(x.shape, w.shape, stride, pad)
    dout = rng.standard_normal((N, F, Ho, Wo))  # ∂L/∂out, 2×5×3×4
    # --8<-- [end:conv2d_setup]

    # --8<-- [start:conv2d_check]
    def forward(z, v, c):
        return conv2d_forward(z, v, c, stride, pad)

    numeric_x = numerical_jacobian(lambda z: forward(z, w, b), x)  # 120×336
    jacobian_x = conv2d_input_jacobian(w, x.shape, stride, pad)
    assert compare("∂vec out/∂vec x vs finite differences", jacobian_x, numeric_x)
    dx, dw, db = conv2d_backward(x, w, dout, stride, pad)
    reference_x = (dout.ravel() @ numeric_x).reshape(x.shape)
    assert compare("dx vs g @ numeric Jacobian", dx, reference_x)
    numeric_w = numerical_jacobian(lambda v: forward(x, v, b), w)
    reference_w = (dout.ravel() @ numeric_w).reshape(w.shape)
    assert compare("dw vs g @ numeric Jacobian", dw, reference_w)
    numeric_b = numerical_jacobian(lambda c: forward(x, w, c), b)
    assert compare("db vs g @ numeric Jacobian", db, dout.ravel() @ numeric_b)
    # --8<-- [end:conv2d_check]

    # --8<-- [start:im2col_check]
    def product(z, v, c):
        return conv2d_im2col(z, v, c, stride, pad)

    cols = im2col(x, k, k, stride, pad)  # P: (2·3·4)×(4·3·3) = 24×36
    direct = conv2d_forward(x, w, b, stride, pad)
    assert compare("im2col product vs the direct convolution", product(x, w, b), direct)
    numeric_cols = numerical_jacobian(lambda z: im2col(z, k, k, stride, pad), x)
    jacobian_cols = im2col_jacobian(x.shape, k, k, stride, pad)  # 864×336
    assert compare("∂vec P/∂vec x vs finite differences", jacobian_cols, numeric_cols)
    dcols = rng.standard_normal(cols.shape)  # an upstream gradient for P
    reference = (dcols.ravel() @ numeric_cols).reshape(x.shape)
    ours = col2im(dcols, x.shape, k, k, stride, pad)
    assert compare("col2im vs g @ numeric Jacobian", ours, reference)
    dx, dw, db = conv2d_im2col_backward(x, w, dout, stride, pad)
    numeric_x = numerical_jacobian(lambda z: product(z, w, b), x)
    reference_x = (dout.ravel() @ numeric_x).reshape(x.shape)
    assert compare("dx by col2im vs g @ numeric Jacobian", dx, reference_x)
    numeric_w = numerical_jacobian(lambda v: product(x, v, b), w)
    reference_w = (dout.ravel() @ numeric_w).reshape(w.shape)
    assert compare("dw = (Pᵀ Ḡ)ᵀ vs g @ numeric Jacobian", dw, reference_w)
    numeric_b = numerical_jacobian(lambda c: product(x, w, c), b)
    assert compare("db = 𝟏ᵀ Ḡ vs g @ numeric Jacobian", db, dout.ravel() @ numeric_b)
    # --8<-- [end:im2col_check]

    # --8<-- [start:im2col_mistake]
    def col2im_assigned(dcols, x_shape, HH, WW, stride, pad):
        """The mistake: each patch written into x̃, so an overlap keeps one."""
        N, C, H, W = x_shape
        c, rows, cols = patch_indices(x_shape, HH, WW, stride, pad)
        dpadded = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
        dpadded[:, c, rows, cols] = dcols.reshape(N, -1, c.size)
        return dpadded[:, :, pad : pad + H, pad : pad + W]

    def col2im_buffered(dcols, x_shape, HH, WW, stride, pad):
        """The same with +=: numpy reads dpadded[:, c, rows, cols] once."""
        N, C, H, W = x_shape
        c, rows, cols = patch_indices(x_shape, HH, WW, stride, pad)
        dpadded = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
        dpadded[:, c, rows, cols] += dcols.reshape(N, -1, c.size)
        return dpadded[:, :, pad : pad + H, pad : pad + W]

    numeric_cols = numerical_jacobian(lambda z: im2col(z, k, k, stride, pad), x)
    rng = np.random.default_rng(1)
    dcols = rng.standard_normal((N * Ho * Wo, C * k * k))  # ∂L/∂P, 24×36
    reference = (dcols.ravel() @ numeric_cols).reshape(x.shape)
    wrong = col2im_assigned(dcols, x.shape, k, k, stride, pad)
    compare("col2im with =, stride 2 < kernel 3", wrong, reference)
    wrong = col2im_buffered(dcols, x.shape, k, k, stride, pad)
    compare("col2im with += on an index array", wrong, reference)
    # --8<-- [end:im2col_mistake]

    # --8<-- [start:upsample_setup]
    rng = np.random.default_rng(0)
    N, C, H, W = 1, 3, 4, 5  # one image of 3 channels, 4×5
    s = 2  # upsampled to 8×10
    x = rng.standard_normal((N, C, H, W))
    g = rng.standard_normal((N, C, s * H, s * W))  # upstream gradient ∂L/∂y, 1×3×8×10
    # --8<-- [end:upsample_setup]

    # --8<-- [start:upsample_check]
    numeric = numerical_jacobian(lambda z: upsample(z, s), x)  # 240×60
    jacobian = upsample_jacobian(x.shape, s)
    assert compare("Jacobian vs finite differences", jacobian, numeric)
    ones = np.ones(jacobian.shape[0])
    assert compare("a single 1 in each row", jacobian.sum(axis=1), ones)
    copies = np.full(x.size, s * s)
    assert compare("s² ones in each column", jacobian.sum(axis=0), copies)
    reference = (g.ravel() @ numeric).reshape(x.shape)
    ours = upsample_vjp(g, s)
    assert compare("VJP, s×s blocks summed, vs g @ numeric Jacobian", ours, reference)
    # --8<-- [end:upsample_check]

    # --8<-- [start:upsample_mistake]
    numeric = numerical_jacobian(lambda z: upsample(z, s), x)
    reference = (g.ravel() @ numeric).reshape(x.shape)
    averaged = g.reshape(N, C, H, s, W, s).mean(axis=(3, 5))  # average pooling
    compare("s×s blocks averaged", averaged, reference)
    compare("g[:, :, ::s, ::s], one entry per block", g[:, :, ::s, ::s], reference)
    # --8<-- [end:upsample_mistake]
