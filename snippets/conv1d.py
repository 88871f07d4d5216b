"""1-D convolution (a valid cross-correlation, as deep-learning libraries define it), and 2-D.

Shapes (row vectors, see docs/conventions.md; indices from 0): x is 1×n, the kernel w is 1×k,
y = x ⋆ w is 1×m with m = n − k + 1, y_i = Σ_j w_j x_{i+j}; g = ∂L/∂y is 1×m.
∂y/∂x is m×n (Toeplitz), ∂y/∂w is m×k (Hankel: the windows of x).
2-D: X is n1×n2, W is k1×k2, Y = X ⋆ W is m1×m2 with m = n − k + 1 in each axis, G = ∂L/∂Y.
Run ``python -m snippets.conv1d`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def conv1d(x, w):
    """y = x ⋆ w, y_i = Σ_j w_j x_{i+j}: x 1×n, kernel w 1×k, y 1×(n − k + 1).

    A valid cross-correlation, the operation PyTorch and TensorFlow call a convolution.
    """
    n, k = x.shape[1], w.shape[1]
    return np.array([[x[0, i : i + k] @ w[0] for i in range(n - k + 1)]])


def conv1d_input_jacobian(w, n):
    """∂y/∂x: (n − k + 1)×n Toeplitz band, entry (i, l) is w_{l−i}, 0 unless 0 ≤ l − i < k."""
    k = w.shape[1]
    jacobian = np.zeros((n - k + 1, n))
    for i in range(n - k + 1):
        jacobian[i, i : i + k] = w[0]
    return jacobian


def conv1d_weight_jacobian(x, k):
    """∂y/∂w: (n − k + 1)×k Hankel, entry (i, j) is x_{i+j}: row i is the window x_i … x_{i+k−1}."""
    n = x.shape[1]
    return np.array([x[0, i : i + k] for i in range(n - k + 1)])


def conv1d_vjp(x, w, g):
    """∂L/∂x = g * w, the full convolution (1×n); ∂L/∂w = x ⋆ g, a valid correlation (1×k)."""
    grad_x = np.convolve(g[0], w[0], mode="full")
    grad_w = np.correlate(x[0], g[0], mode="valid")
    return grad_x[np.newaxis], grad_w[np.newaxis]


def conv2d(X, W):
    """Y = X ⋆ W, Y_ab = Σ_pq W_pq X_{a+p, b+q}: X n1×n2, W k1×k2, Y (n1 − k1 + 1)×(n2 − k2 + 1)."""
    (n1, n2), (k1, k2) = X.shape, W.shape
    Y = np.zeros((n1 - k1 + 1, n2 - k2 + 1))
    for a, b in np.ndindex(Y.shape):
        Y[a, b] = np.sum(W * X[a : a + k1, b : b + k2])
    return Y


def conv2d_input_jacobian(W, input_shape):
    """∂vec Y/∂vec X, rows stacked: (m1 m2)×(n1 n2), entry ((a, b), (a + p, b + q)) is W_pq."""
    (n1, n2), (k1, k2) = input_shape, W.shape
    m1, m2 = n1 - k1 + 1, n2 - k2 + 1
    jacobian = np.zeros((m1, m2, n1, n2))
    for a, b in np.ndindex(m1, m2):
        jacobian[a, b, a : a + k1, b : b + k2] = W
    return jacobian.reshape(m1 * m2, n1 * n2)


def conv2d_vjp(X, W, G):
    """∂L/∂X = pad(G) ⋆ flip(W), the full 2-D convolution (n1×n2); ∂L/∂W = X ⋆ G (k1×k2)."""
    k1, k2 = W.shape
    padded = np.pad(G, ((k1 - 1, k1 - 1), (k2 - 1, k2 - 1)))  # k − 1 zeros on every side
    return conv2d(padded, W[::-1, ::-1]), conv2d(X, G)


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "convolution"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=r"1-D convolution (cross-correlation)",
        jacobian=(
            r"$\partial y/\partial x$ Toeplitz (entries from $w$); $\partial y/\partial w$ Hankel "
            r"(entries from $x$)"
        ),
        vjp=(
            r"$\partial L/\partial x = \operatorname{pad}(g) \star \operatorname{flip}(w)$; "
            r"$\partial L/\partial w = x \star g$"
        ),
        functions=("conv1d_vjp",),
    ),
    Row(
        table="Layers",
        operation=r"2-D convolution $Y = X \star W$, upstream $G$",
        jacobian=(
            r"$\partial \operatorname{vec}_r Y/\partial \operatorname{vec}_r X$ block Toeplitz "
            r"with Toeplitz blocks"
        ),
        vjp=(
            r"$\partial L/\partial X = \operatorname{pad}(G) \star \operatorname{flip}(W)$; "
            r"$\partial L/\partial W = X \star G$"
        ),
        functions=("conv2d_vjp",),
        anchor="two-dimensions",
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
FIGURE_X = np.array([[1.0, -0.5, 2.0, 0.3, -1.2, 0.8, 1.5]])  # the pictures' input, 1×7
FIGURE_W = np.array([[0.5, -1.0, 2.0]])  # and kernel, 1×3


def structure_figure():
    """∂y/∂x for the fixed kernel FIGURE_W and n = 7: 5×7, Toeplitz."""
    n, k = FIGURE_X.shape[1], FIGURE_W.shape[1]
    jacobian = conv1d_input_jacobian(FIGURE_W, n)
    return Figure(
        matrix=jacobian,
        of=lambda x: conv1d(x, FIGURE_W),
        at=FIGURE_X,
        structure="toeplitz",
        rows="outputs y_i",
        columns="inputs x_l",
        alt=f"The {size(jacobian)} Jacobian of a valid convolution with a kernel of {k} with "
        f"respect to its input of {n}: Toeplitz and banded, every diagonal constant, each row the "
        f"kernel shifted one place further; {np.count_nonzero(jacobian)} of its {jacobian.size} "
        "entries are non-zero.",
        caption=r"$\partial y/\partial x$ is Toeplitz: entry $(i, l)$ is $w_{l-i}$, the kernel "
        r"shifted one place per row, and zero outside a band $k$ wide.",
    )


def weight_figure():
    """∂y/∂w for the fixed input FIGURE_X and k = 3: 5×3, Hankel."""
    k = FIGURE_W.shape[1]
    jacobian = conv1d_weight_jacobian(FIGURE_X, k)
    return Figure(
        matrix=jacobian,
        of=lambda w: conv1d(FIGURE_X, w),
        at=FIGURE_W,
        structure="hankel",
        rows="outputs y_i",
        columns="kernel w_j",
        alt=f"The {size(jacobian)} Jacobian of the same convolution with respect to its kernel: "
        f"Hankel, constant along every anti-diagonal, row i the window of {k} inputs the kernel "
        "sees at output i.",
        caption=r"$\partial y/\partial w$ is Hankel: entry $(i, j)$ is $x_{i+j}$, so row $i$ is "
        r"the window of $x$ the kernel sees.",
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    n, k = 7, 3
    x = rng.standard_normal((1, n))  # input, 1×7
    w = rng.standard_normal((1, k))  # kernel, 1×3, not symmetric
    g = rng.standard_normal((1, n - k + 1))  # upstream gradient ∂L/∂y, 1×5
    n1, n2, k1, k2 = 6, 8, 4, 2  # 2-D: every size its own number, n and k included
    X = rng.standard_normal((n1, n2))  # a 6×8 image
    W = rng.standard_normal((k1, k2))  # a 4×2 kernel
    G = rng.standard_normal((n1 - k1 + 1, n2 - k2 + 1))  # ∂L/∂Y, 3×7, the shape of Y = X ⋆ W
    # --8<-- [end:setup]

    # --8<-- [start:check]
    jacobian_x = conv1d_input_jacobian(w, n)  # 5×7
    numeric_x = numerical_jacobian(lambda x: conv1d(x, w), x)
    assert compare("∂y/∂x vs finite differences", jacobian_x, numeric_x)
    assert compare("∂y/∂x is constant along diagonals", jacobian_x[1:, 1:], jacobian_x[:-1, :-1])
    jacobian_w = conv1d_weight_jacobian(x, k)  # 5×3
    numeric_w = numerical_jacobian(lambda w: conv1d(x, w), w)
    assert compare("∂y/∂w vs finite differences", jacobian_w, numeric_w)
    grad_x, grad_w = conv1d_vjp(x, w, g)
    assert compare("∂L/∂x = g * w vs g @ numeric Jacobian", grad_x, g @ numeric_x)
    flipped = np.correlate(np.pad(g[0], k - 1), w[0, ::-1], mode="valid")  # pad(g) ⋆ flip(w)
    assert compare("g * w = pad(g) ⋆ flip(w)", flipped[np.newaxis], grad_x)
    assert compare("∂L/∂w = x ⋆ g vs g @ numeric Jacobian", grad_w, g @ numeric_w)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    reference_x = g @ numerical_jacobian(lambda x: conv1d(x, w), x)  # ∂L/∂x, 1×7
    reference_w = g @ numerical_jacobian(lambda w: conv1d(x, w), w)  # ∂L/∂w, 1×3
    unflipped = np.correlate(g[0], w[0], mode="full")  # = pad(g) ⋆ w
    compare("∂L/∂x = pad(g) ⋆ w (kernel not flipped)", unflipped[np.newaxis], reference_x)
    convolved = np.convolve(x[0], g[0], mode="valid")  # valid convolution = x ⋆ flip(g)
    compare("∂L/∂w = x ⋆ flip(g) (a flip where none belongs)", convolved[np.newaxis], reference_w)
    # --8<-- [end:mistake]

    # --8<-- [start:two_d]
    jacobian_image = conv2d_input_jacobian(W, X.shape)  # 21×48
    numeric_image = numerical_jacobian(lambda X: conv2d(X, W), X)
    assert compare("2-D: ∂vec Y/∂vec X vs finite differences", jacobian_image, numeric_image)
    grad_image, grad_kernel = conv2d_vjp(X, W, G)
    reference_image = (G.ravel() @ numeric_image).reshape(X.shape)
    assert compare("2-D: ∂L/∂X = pad(G) ⋆ flip(W)", grad_image, reference_image)
    numeric_kernel = numerical_jacobian(lambda W: conv2d(X, W), W)
    assert compare("2-D: ∂L/∂W = X ⋆ G", grad_kernel, (G.ravel() @ numeric_kernel).reshape(W.shape))
    padded = np.pad(G, ((k1 - 1, k1 - 1), (k2 - 1, k2 - 1)))  # k − 1 zeros on every side
    compare("2-D: pad(G) ⋆ W (kernel not flipped)", conv2d(padded, W), reference_image)
    compare(
        "2-D: pad(G) ⋆ W flipped along one axis only", conv2d(padded, W[::-1, :]), reference_image
    )
    # --8<-- [end:two_d]
