"""Layer normalization: the Jacobian of one normalized row and the three-term VJP.

Shapes (row vectors, see docs/conventions.md): one row x is 1×n, its mean μ and variance σ² are
scalars, s = √(σ² + ε), x̂ = (x − μ)/s and y = γ ∘ x̂ + β are 1×n with γ, β 1×n. The Jacobians
∂x̂/∂x and ∂y/∂x are n×n. A batch X is N×n, normalized row by row; then s is N×1 and X̂, Y and
the upstream gradient G = ∂L/∂Y are N×n, while ∂L/∂γ and ∂L/∂β are 1×n.
Run ``python -m snippets.layernorm`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size, stacked_blocks
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def normalize_rows(X, eps):
    """X̂ = (X − μ)/s for each row of X (N×n), s = √(σ² + ε): returns X̂ (N×n) and s (N×1)."""
    centred = X - np.mean(X, axis=1, keepdims=True)
    s = np.sqrt(np.mean(centred**2, axis=1, keepdims=True) + eps)
    return centred / s, s


def layer_norm(X, gamma, beta, eps):
    """Y = γ ∘ X̂ + β, each row normalized by its own statistics; X N×n, γ and β 1×n."""
    X_hat, _ = normalize_rows(X, eps)
    return gamma * X_hat + beta


def normalized_jacobian(x, eps):
    """∂x̂/∂x for one row x (1×n): n×n, (1/s)(I − 11ᵀ/n − x̂ᵀx̂/n), 1 the n×1 column of ones."""
    x_hat, s = normalize_rows(x, eps)
    n = x.shape[1]
    ones = np.ones((1, n))
    return (np.eye(n) - ones.T @ ones / n - x_hat.T @ x_hat / n) / s


def layer_norm_jacobian(x, gamma, eps):
    """∂y/∂x for one row x (1×n): n×n, Diag(γ) (∂x̂/∂x)."""
    return np.diag(gamma.ravel()) @ normalized_jacobian(x, eps)


def layer_norm_vjp(X, gamma, G, eps):
    """∂L/∂X (N×n), ∂L/∂γ (1×n), ∂L/∂β (1×n) from G = ∂L/∂Y (N×n), without a Jacobian.

    Row by row, with ĝ = g ∘ γ: (1/s)(ĝ − mean(ĝ) 1 − mean(ĝ ∘ x̂) x̂).
    """
    X_hat, s = normalize_rows(X, eps)
    G_hat = G * gamma
    mean_g = np.mean(G_hat, axis=1, keepdims=True)  # N×1
    mean_gx = np.mean(G_hat * X_hat, axis=1, keepdims=True)  # N×1
    grad_batch = (G_hat - mean_g - X_hat * mean_gx) / s
    return grad_batch, np.sum(G * X_hat, axis=0, keepdims=True), np.sum(G, axis=0, keepdims=True)


def layer_norm_vjp_along_x_hat(X, k, eps):
    """∂L/∂X (N×n) when Ĝ = G ∘ γ = Diag(k) X̂, k N×1: row a is (k_a ε / s_a³) x̂_a; 0 at ε = 0."""
    X_hat, s = normalize_rows(X, eps)
    return k * eps / s**3 * X_hat


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "layer norm"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=(
            r"layer norm, one row, $y = \gamma \circ \hat{x} + \beta$, "
            r"$s = \sqrt{\sigma^2 + \epsilon}$, $\hat{g} = g \circ \gamma$"
        ),
        jacobian=(
            r"$\partial y/\partial x = \operatorname{Diag}(\gamma)\,\partial \hat{x}/\partial x$ "
            r"with $\partial \hat{x}/\partial x = \frac{1}{s}\big(I - \frac1n "
            r"\mathbf{1}_n\mathbf{1}_n^\top - \frac1n \hat{x}^\top\hat{x}\big)$, projection minus "
            r"rank one"
        ),
        vjp=(
            r"$\frac{1}{s}\big(\hat{g} - \frac1n(\hat{g}\mathbf{1}_n)\mathbf{1}_n^\top - "
            r"\frac1n(\hat{g}\hat{x}^\top)\hat{x}\big)$"
        ),
        functions=("layer_norm_vjp",),
    ),
    Row(
        table="Layers",
        operation=r"layer norm, $\gamma$ and $\beta$, rows $g_a$, $\hat{x}_a$ of a batch",
        jacobian=(
            r"$\partial y/\partial \gamma = \operatorname{Diag}(\hat{x})$, "
            r"$\partial y/\partial \beta = I$, per row"
        ),
        vjp=(
            r"$\partial L/\partial \gamma = \sum_a g_a \circ \hat{x}_a$; "
            r"$\partial L/\partial \beta = \sum_a g_a$"
        ),
        functions=("layer_norm_vjp",),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
FIGURE_X = np.array([[1.2, -0.7, 0.4, 2.1, -1.5], [0.3, 1.8, -0.6, -1.1, 0.9]])  # N×n = 2×5
FIGURE_EPS = 1e-5


def structure_figure():
    """∂x̂/∂x for the first row x (1×5) of FIGURE_X: 5×5."""
    x = FIGURE_X[:1]
    jacobian = normalized_jacobian(x, FIGURE_EPS)
    return Figure(
        matrix=jacobian,
        of=lambda v: normalize_rows(v, FIGURE_EPS)[0],
        at=x,
        structure="centring-minus-rank-one",
        rows="outputs x̂_i",
        columns="inputs x_j",
        alt=f"The {size(jacobian)} Jacobian of the normalized row x̂ with respect to x: a "
        "centring projection minus a rank-one matrix, scaled by 1/s; symmetric, every row and "
        "every column summing to zero.",
        caption=r"$\partial \hat{x}/\partial x = \frac{1}{s}\big(I - "
        r"\frac{1}{n}\mathbf{1}_n\mathbf{1}_n^\top - \frac{1}{n}\hat{x}^\top\hat{x}\big)$: a "
        r"centring projection minus a rank-one term, scaled.",
    )


def batch_figure():
    """∂vec_r X̂/∂vec_r X for the batch FIGURE_X (N×n = 2×5): 10×10, one n×n block per row."""
    N, n = FIGURE_X.shape
    jacobian = stacked_blocks([normalized_jacobian(x[None, :], FIGURE_EPS) for x in FIGURE_X])
    return Figure(
        matrix=jacobian,
        of=lambda X: normalize_rows(X, FIGURE_EPS)[0],
        at=FIGURE_X,
        structure="block-diagonal",
        rows="outputs X̂_{ai}, row by row",
        columns="inputs X_{bj}, row by row",
        alt=f"The {size(jacobian)} Jacobian of a batch of {N} normalized rows of {n}, flattened "
        f"row by row: block-diagonal, {N} blocks of {n}×{n}, one per row, zero between rows.",
        caption=r"A batch: one block per row of $X$, each with its own $\mu$ and $s$, and zeros "
        r"between rows.",
        blocks=((n, n),) * N,
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    N, n, eps = 3, 5, 1e-5
    X = rng.standard_normal((N, n))  # a batch of 3 rows, 3×5, each normalized on its own
    gamma = rng.standard_normal((1, n))  # scale γ, 1×5
    beta = rng.standard_normal((1, n))  # shift β, 1×5
    G = rng.standard_normal((N, n))  # upstream gradient ∂L/∂Y, 3×5
    x, g = X[:1], G[:1]  # one row x (1×5) and its upstream gradient g (1×5)
    # --8<-- [end:setup]

    # --8<-- [start:check]
    # One row: the Jacobians, built explicitly
    jacobian_hat = normalized_jacobian(x, eps)  # ∂x̂/∂x, 5×5
    numeric_hat = numerical_jacobian(lambda x: normalize_rows(x, eps)[0], x)
    assert compare("∂x̂/∂x vs finite differences", jacobian_hat, numeric_hat)
    assert compare("∂x̂/∂x is symmetric", jacobian_hat, jacobian_hat.T)
    centring = np.eye(n) - np.ones((n, n)) / n  # I − 11ᵀ/n
    assert compare("1 in the null space: J (I − 11ᵀ/n) = J", jacobian_hat @ centring, jacobian_hat)
    numeric = numerical_jacobian(lambda x: layer_norm(x, gamma, beta, eps), x)  # ∂y/∂x, 5×5
    assert compare("∂y/∂x = Diag(γ) ∂x̂/∂x", layer_norm_jacobian(x, gamma, eps), numeric)

    # The VJP, for one row and for the batch, and the gradients of γ and β
    assert compare("VJP vs g @ numeric Jacobian", layer_norm_vjp(x, gamma, g, eps)[0], g @ numeric)
    grad_batch, grad_gamma, grad_beta = layer_norm_vjp(X, gamma, G, eps)
    numeric_batch = numerical_jacobian(lambda X: layer_norm(X, gamma, beta, eps), X)  # 15×15
    numeric_gamma = numerical_jacobian(lambda gamma: layer_norm(X, gamma, beta, eps), gamma)
    numeric_beta = numerical_jacobian(lambda beta: layer_norm(X, gamma, beta, eps), beta)
    assert compare("batch ∂L/∂X", grad_batch, (G.ravel() @ numeric_batch).reshape(N, n))
    assert compare("∂L/∂γ", grad_gamma, (G.ravel() @ numeric_gamma).reshape(1, n))
    assert compare("∂L/∂β", grad_beta, (G.ravel() @ numeric_beta).reshape(1, n))
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    _, s = normalize_rows(x, eps)  # s = √(σ² + ε) of the row
    g_hat = g * gamma
    reference = g @ numerical_jacobian(lambda x: layer_norm(x, gamma, beta, eps), x)
    compare("g ∘ γ / s (μ and σ held constant)", g_hat / s, reference)
    compare("(ĝ − mean(ĝ)) / s (σ held constant)", (g_hat - np.mean(g_hat)) / s, reference)
    # --8<-- [end:mistake]

    # --8<-- [start:degenerate]
    X_hat, s = normalize_rows(X, eps)  # 3×5 and 3×1
    more = np.random.default_rng(1)
    c = more.standard_normal((N, 1))  # one number per row, 3×1
    k = more.standard_normal((N, 1))  # one factor per row, 3×1
    ones = np.ones((1, n))  # a row of n ones

    # Ĝ = G ∘ γ = c1: the upstream gradient of X̂ constant across the features of each row
    G_flat = c @ ones / gamma  # 3×5, so that G ∘ γ = c1
    size = np.max(np.abs(c @ ones / s))  # the largest entry of Ĝ/s, 3×5
    grad_batch = layer_norm_vjp(X, gamma, G_flat, eps)[0]
    print("Ĝ = c1: ∂L/∂X below 1e-12 of Ĝ/s:", np.max(np.abs(grad_batch)) < 1e-12 * size)
    numeric = numerical_jacobian(lambda X: layer_norm(X, gamma, beta, eps), X)  # 15×15
    reference = G_flat.ravel() @ numeric  # ∂L/∂X by finite differences, flattened
    print("Ĝ = c1: finite differences, below 1e-8 of Ĝ/s:", np.max(np.abs(reference)) < 1e-8 * size)
    grad_batch = layer_norm_vjp(X, np.ones((1, n)), c @ ones, eps)[0]  # γ = 1, so Ĝ = G = c1
    print("γ = 1, G = c1: ∂L/∂X below 1e-12 of Ĝ/s:", np.max(np.abs(grad_batch)) < 1e-12 * size)
    grad_batch = layer_norm_vjp(X, gamma, c @ ones, eps)[0]  # G = c1 but Ĝ = c1 ∘ γ
    ratio = np.max(np.abs(grad_batch)) / np.max(np.abs(c @ ones * gamma / s))
    print(f"the page's γ, G = c1: ∂L/∂X is {ratio:.2g} of Ĝ/s")

    # Ĝ = Diag(k) X̂: the upstream gradient of each row of X̂ along that row
    G_along = k * X_hat / gamma  # 3×5, so that G ∘ γ = Diag(k) X̂
    grad_batch = layer_norm_vjp(X, gamma, G_along, eps)[0]
    formula = layer_norm_vjp_along_x_hat(X, k, eps)  # Diag(kε/s³) X̂
    assert compare("Ĝ = Diag(k) X̂: ∂L/∂X vs Diag(kε/s³) X̂", grad_batch, formula)
    ratio = np.max(np.abs(grad_batch)) / np.max(np.abs(k * X_hat / s))
    print(f"Ĝ = Diag(k) X̂: ∂L/∂X is {ratio:.1e} of Ĝ/s")
    X_hat_0, s_0 = normalize_rows(X, 0.0)  # ε = 0
    grad_batch = layer_norm_vjp(X, gamma, k * X_hat_0 / gamma, 0.0)[0]
    ratio = np.max(np.abs(grad_batch)) / np.max(np.abs(k * X_hat_0 / s_0))
    print("ε = 0, Ĝ = Diag(k) X̂: ∂L/∂X below 1e-12 of Ĝ/s:", ratio < 1e-12)
    # --8<-- [end:degenerate]
