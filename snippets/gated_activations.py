"""SiLU, swish and SwiGLU: diagonal Jacobians, a learned slope, and a gated feed-forward block.

Shapes (row vectors, see docs/conventions.md):
- swish: r and h = r ∘ σ(βr) are 1×n (or any shape, entry by entry), β a number, g = ∂L/∂h like r;
- SwiGLU: X is N×d, W1 and W3 are d×f, W2 is f×d; A = X W1, B = X W3, S = φ(A) and H = S ∘ B
  are N×f, Y = H W2 and G = ∂L/∂Y are N×d. The gate φ is SiLU (SwiGLU) or σ (GLU).
Run ``python -m snippets.gated_activations`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size, stacked_blocks
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:sigmoid]
def sigmoid(r):
    """σ(r) = 1/(1 + e^(−r)), stably: e^(−|r|) never overflows."""
    e = np.exp(-np.abs(r))
    return np.where(r >= 0, 1 / (1 + e), e / (1 + e))


# --8<-- [end:sigmoid]


# --8<-- [start:swish_functions]
def swish(r, beta=1.0):
    """h = r ∘ σ(βr), entry by entry; β = 1 is SiLU."""
    return r * sigmoid(beta * r)


def swish_derivative(r, beta=1.0):
    """dh/dr entry by entry: σ(βr) + βr σ(βr)(1 − σ(βr)) = βh + σ(βr)(1 − βh)."""
    h, s = swish(r, beta), sigmoid(beta * r)
    return beta * h + s * (1 - beta * h)


def swish_jacobian(r, beta=1.0):
    """∂h/∂r for a 1×n row r: n×n, diagonal."""
    return np.diag(swish_derivative(r, beta).ravel())


def swish_vjp(r, g, beta=1.0):
    """g (∂h/∂r) without the Jacobian: g ∘ swish′(r), the shape of r."""
    return g * swish_derivative(r, beta)


def swish_beta_derivative(r, beta=1.0):
    """∂h/∂β entry by entry: r² σ(βr)(1 − σ(βr)), the shape of r."""
    s = sigmoid(beta * r)
    return r * r * s * (1 - s)


def swish_beta_vjp(r, g, beta=1.0):
    """∂L/∂β for one β shared by every entry: Σ g ∘ r² ∘ σ(βr)(1 − σ(βr))."""
    return np.sum(g * swish_beta_derivative(r, beta))


# --8<-- [end:swish_functions]


# --8<-- [start:silu]
def silu(A):
    """SiLU(A) = A ∘ σ(A), entry by entry: swish with β = 1."""
    return A * sigmoid(A)


def silu_derivative(A):
    """SiLU′(A) = SiLU(A) + σ(A)(1 − SiLU(A)), entry by entry."""
    s = sigmoid(A)
    return A * s + s * (1 - A * s)


# --8<-- [end:silu]


# --8<-- [start:swiglu_functions]
def swiglu(X, W1, W3, W2, gate=silu):
    """Y = (φ(X W1) ∘ (X W3)) W2: X N×d, W1, W3 d×f, W2 f×d; Y N×d."""
    return (gate(X @ W1) * (X @ W3)) @ W2


def swiglu_jacobians(X, W1, W3, W2, gate=silu, gate_derivative=silu_derivative):
    """∂vec_r Y/∂vec_r of X, W1, W3, W2 (row-major), each (N·d)×(size of the variable)."""
    N, f = X.shape[0], W1.shape[1]
    A, B = X @ W1, X @ W3
    H = gate(A) * B
    D1 = np.diag((B * gate_derivative(A)).ravel())  # ∂vec_r H/∂vec_r A, (N·f)×(N·f)
    D3 = np.diag(gate(A).ravel())  # ∂vec_r H/∂vec_r B
    out = np.kron(np.eye(N), W2.T)  # ∂vec_r Y/∂vec_r H = I_N ⊗ W2ᵀ
    return {
        "X": out @ (D1 @ np.kron(np.eye(N), W1.T) + D3 @ np.kron(np.eye(N), W3.T)),
        "W1": out @ D1 @ np.kron(X, np.eye(f)),
        "W3": out @ D3 @ np.kron(X, np.eye(f)),
        "W2": np.kron(H, np.eye(W2.shape[1])),
    }


def swiglu_vjp(X, W1, W3, W2, G, gate=silu, gate_derivative=silu_derivative):
    """∂L/∂X, ∂L/∂W1, ∂L/∂W3, ∂L/∂W2 from G = ∂L/∂Y (N×d), without the Jacobians."""
    A, B = X @ W1, X @ W3
    S = gate(A)
    G_H = G @ W2.T  # ∂L/∂H, N×f
    G_A = G_H * B * gate_derivative(A)  # ∂L/∂A, through the gate
    G_B = G_H * S  # ∂L/∂B, through the linear branch
    grad_X = G_A @ W1.T + G_B @ W3.T  # X feeds both branches: the two add
    return grad_X, X.T @ G_A, X.T @ G_B, (S * B).T @ G


# --8<-- [end:swiglu_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "SiLU, swish and SwiGLU"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=r"swish $h = r \circ \sigma(\beta r)$; SiLU is $\beta = 1$",
        jacobian=r"$\operatorname{Diag}\big(\beta h + \sigma(\beta r) \circ (1 - \beta h)\big)$, "
        "diagonal",
        vjp=r"$g \circ \big(\beta h + \sigma(\beta r) \circ (1 - \beta h)\big)$; "
        r"$\partial L/\partial \beta = \sum_i g_i r_i^2\,"
        r"\sigma(\beta r_i)(1 - \sigma(\beta r_i))$",
        functions=("swish_vjp", "swish_beta_vjp"),
        anchor="swish-and-silu",
    ),
    Row(
        table="Layers",
        operation=r"SwiGLU $Y = \big(\operatorname{SiLU}(X W_1) \circ X W_3\big) W_2$",
        jacobian=r"$(I_N \otimes W_2^\top)\big(D_1 (I_N \otimes W_1^\top) + D_3 (I_N \otimes "
        r"W_3^\top)\big)$, block-diagonal",
        vjp=r"$\partial L/\partial X = G_A W_1^\top + G_B W_3^\top$, "
        r"$\partial L/\partial W_1 = X^\top G_A$, $\partial L/\partial W_3 = X^\top G_B$, "
        r"$\partial L/\partial W_2 = H^\top G$",
        functions=("swiglu_vjp",),
        anchor="glu-and-swiglu",
    ),
]


# The pictures of the Jacobians on the page: hooks/jacobian_figures.py draws them at build time,
# tests/test_figures.py checks them against finite differences and their structure keywords.
SWISH_ROW = np.array([[-2.5, -1.2, -0.4, 0.3, 1.1, 2.6]])  # 1×6


def structure_figure():
    """∂h/∂r of swish with β = 1.5 at a fixed 1×6 row: 6×6, diagonal."""
    beta = 1.5
    jacobian = swish_jacobian(SWISH_ROW, beta)
    return Figure(
        matrix=jacobian,
        of=lambda r: swish(r, beta),
        at=SWISH_ROW,
        structure="diagonal",
        rows="outputs h_i",
        columns="inputs r_j",
        alt=f"The {size(jacobian)} Jacobian of swish with beta = 1.5: diagonal, entry i the slope "
        "of swish at r_i, slightly negative for the two most negative inputs; every off-diagonal "
        "entry is zero.",
        caption=r"$\partial h/\partial r = \operatorname{Diag}\big(\operatorname{swish}'(r)\big)$ "
        r"is diagonal: each output moves with its own input only.",
    )


def swiglu_figure_point():
    """The point of the SwiGLU picture: X 3×4, W1, W3 4×5, W2 5×4, seeded."""
    N, d, f = 3, 4, 5
    rng = np.random.default_rng(4)
    X = rng.standard_normal((N, d))
    W1, W3 = rng.standard_normal((d, f)) / 2, rng.standard_normal((d, f)) / 2
    return X, W1, W3, rng.standard_normal((f, d)) / 2


def swiglu_figure():
    """∂vec_r Y/∂vec_r X of SwiGLU, N = 3, d = 4, f = 5: 12×12, block-diagonal, 3 blocks of 4×4."""
    X, W1, W3, W2 = swiglu_figure_point()
    N, d = X.shape
    jacobian = swiglu_jacobians(X, W1, W3, W2)["X"]
    return Figure(
        matrix=jacobian,
        of=lambda Z: swiglu(Z, W1, W3, W2),
        at=X,
        structure="block-diagonal",
        rows="outputs Y_{ai}, row by row",
        columns="inputs X_{bj}, row by row",
        alt=f"The {size(jacobian)} Jacobian of SwiGLU's output by its input for {N} examples of "
        f"width {d}: block-diagonal, {N} dense blocks of {d}×{d}, one per example; zero between "
        "examples.",
        caption=r"SwiGLU's $\partial \operatorname{vec}_r Y/\partial \operatorname{vec}_r X$ is "
        r"block-diagonal: each row of $Y$ depends on its own row of $X$ only.",
        blocks=((d, d),) * N,
    )


def swiglu_blocks(X, W1, W3, W2):
    """The N diagonal blocks of ∂vec_r Y/∂vec_r X, each d×d (for the tests)."""
    blocks = []
    for x in X:
        a, b = x @ W1, x @ W3
        blocks.append(W2.T @ (np.diag(b * silu_derivative(a)) @ W1.T + np.diag(silu(a)) @ W3.T))
    return stacked_blocks(blocks)


if __name__ == "__main__":
    # --8<-- [start:swish_setup]
    rng = np.random.default_rng(0)
    n, beta = 6, 1.5  # a row of width 6, swish's slope β
    r = rng.standard_normal((1, n)) * 2  # pre-activation, 1×6
    g = rng.standard_normal((1, n))  # upstream gradient ∂L/∂h, 1×6
    # --8<-- [end:swish_setup]

    # --8<-- [start:swish_check]
    numeric = numerical_jacobian(lambda z: swish(z, beta), r)  # 6×6
    assert compare("Jacobian Diag(swish′(r))", swish_jacobian(r, beta), numeric)
    ours = swish_vjp(r, g, beta)
    assert compare("VJP g ∘ swish′(r)", ours, g @ numeric)
    by_beta = numerical_jacobian(lambda b: swish(r, b[0, 0]), np.array([[beta]]))
    assert compare("∂h/∂β = r² σ(βr)(1 − σ(βr))", swish_beta_derivative(r, beta), by_beta.T)
    assert compare("∂L/∂β", swish_beta_vjp(r, g, beta), (g @ by_beta)[0, 0])
    numeric = numerical_jacobian(silu, r)  # SiLU: β = 1
    assert compare("SiLU′ = SiLU + σ(1 − SiLU)", np.diag(silu_derivative(r)[0]), numeric)
    # --8<-- [end:swish_check]

    # --8<-- [start:swish_mistake]
    numeric = numerical_jacobian(silu, r)  # 6×6, SiLU: β = 1
    compare("SiLU′ taken as σ(r)", g * sigmoid(r), g @ numeric)
    # --8<-- [end:swish_mistake]

    # --8<-- [start:swiglu_setup]
    rng = np.random.default_rng(0)
    N, d, f = 2, 3, 5  # 2 tokens of width 3, a hidden width of 5
    X = rng.standard_normal((N, d))  # input, 2×3
    W1 = rng.standard_normal((d, f))  # gate branch, 3×5
    W3 = rng.standard_normal((d, f))  # linear branch, 3×5
    W2 = rng.standard_normal((f, d))  # down projection, 5×3
    G = rng.standard_normal((N, d))  # upstream gradient ∂L/∂Y, 2×3
    # --8<-- [end:swiglu_setup]

    # --8<-- [start:swiglu_check]
    weights = {"X": X, "W1": W1, "W3": W3, "W2": W2}
    jacobians = swiglu_jacobians(X, W1, W3, W2)
    grads = dict(zip(weights, swiglu_vjp(X, W1, W3, W2, G), strict=True))
    for name, value in weights.items():

        def forward(Z, name=name):
            return swiglu(**{**weights, name: Z})

        numeric = numerical_jacobian(forward, value)  # 6×(size of the variable)
        assert compare(f"∂vec_r Y/∂vec_r {name}", jacobians[name], numeric)
        vjp = (G.ravel() @ numeric).reshape(value.shape)
        assert compare(f"VJP ∂L/∂{name}", grads[name], vjp)
    # --8<-- [end:swiglu_check]

    # --8<-- [start:swiglu_mistake]
    numeric = numerical_jacobian(lambda Z: swiglu(Z, W1, W3, W2), X)  # 6×6
    reference = (G.ravel() @ numeric).reshape(X.shape)
    S, B = silu(X @ W1), X @ W3
    G_H = G @ W2.T
    compare("gate branch only", (G_H * B * silu_derivative(X @ W1)) @ W1.T, reference)
    compare("linear branch only", (G_H * S) @ W3.T, reference)
    # --8<-- [end:swiglu_mistake]
