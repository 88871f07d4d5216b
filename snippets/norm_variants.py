"""Spatial batch norm, group norm and RMSNorm: each one a reshape of batch or layer norm, or less.

Shapes (row vectors, see docs/conventions.md):
- spatial batch norm: x is N×C×h×w (examples, channels, height, width), γ and β are 1×C; the
  reshape X = x as (N·h·w)×C, row (a, p, q) holding the C channels of one position;
- group norm: x is N×C×h×w, K groups of C/K consecutive channels, γ and β 1×C (per channel);
  the reshape Z = x as (N·K)×((C/K)·h·w), one row per example and group;
- RMSNorm: a row x is 1×n, a batch X is N×n, γ is 1×n; ρ = √(mean(x ∘ x) + ε) is one number
  per row.
The upstream gradient g = ∂L/∂y has the shape of y throughout.
Run ``python -m snippets.norm_variants`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:spatial_functions]
def to_rows(x):
    """x (N×C×h×w) as X ((N·h·w)×C): channels last, then one row per position."""
    return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])


def from_rows(X, shape):
    """The inverse of to_rows: X ((N·h·w)×C) back to shape (N, C, h, w)."""
    N, C, h, w = shape
    return X.reshape(N, h, w, C).transpose(0, 3, 1, 2)


def normalize_columns(X, eps):
    """X̂ = (X − 1μ) Diag(s)⁻¹, s = √(σ² + ε), each column over its M rows: X̂ M×C, s 1×C."""
    centred = X - np.mean(X, axis=0, keepdims=True)
    s = np.sqrt(np.mean(centred**2, axis=0, keepdims=True) + eps)
    return centred / s, s


def spatial_batch_norm(x, gamma, beta, eps):
    """Training mode: each channel normalized over N, h and w; x N×C×h×w, γ and β 1×C."""
    X_hat, _ = normalize_columns(to_rows(x), eps)
    return from_rows(gamma * X_hat + beta, x.shape)


def spatial_batch_norm_blocks(x, gamma, eps):
    """The C blocks B_c = (γ_c/s_c)(I − 11ᵀ/M − x̂_c x̂_cᵀ/M), each M×M, M = N·h·w: C×M×M."""
    X_hat, s = normalize_columns(to_rows(x), eps)
    M = X_hat.shape[0]
    outer = np.einsum("ac,bc->cab", X_hat, X_hat)  # x̂_c x̂_cᵀ for each channel c
    centring = np.eye(M) - np.ones((M, M)) / M
    return (gamma / s).reshape(-1, 1, 1) * (centring - outer / M)


def spatial_batch_norm_jacobian(x, gamma, eps):
    """∂vec_r y/∂vec_r x, (N·C·h·w)², in numpy's order of x: block B_c between the entries
    of channel c, zero between two channels."""
    blocks = spatial_batch_norm_blocks(x, gamma, eps)
    where = to_rows(np.arange(x.size).reshape(x.shape))  # M×C: the index in x of X_(r, c)
    jacobian = np.zeros((x.size, x.size))
    for c, block in enumerate(blocks):
        jacobian[np.ix_(where[:, c], where[:, c])] = block
    return jacobian


def spatial_batch_norm_vjp(x, gamma, g, eps):
    """∂L/∂x (N×C×h×w), ∂L/∂γ and ∂L/∂β (1×C) from g = ∂L/∂y (N×C×h×w): batch norm's
    three terms on the reshape, (1/M)(M G − 1 ∂L/∂β − X̂ ∘ 1 ∂L/∂γ) Diag(γ/s)."""
    X_hat, s = normalize_columns(to_rows(x), eps)
    G = to_rows(g)
    M = G.shape[0]
    grad_gamma = np.sum(G * X_hat, axis=0, keepdims=True)
    grad_beta = np.sum(G, axis=0, keepdims=True)
    grad_rows = (M * G - grad_beta - X_hat * grad_gamma) * gamma / (M * s)
    return from_rows(grad_rows, x.shape), grad_gamma, grad_beta


def block_diagonal(blocks):
    """C blocks of M×M (C×M×M) as one (C·M)×(C·M) block-diagonal matrix."""
    C, M, _ = blocks.shape
    return np.einsum("cab,cd->cadb", blocks, np.eye(C)).reshape(C * M, C * M)


# --8<-- [end:spatial_functions]


# --8<-- [start:group_functions]
def per_channel(v):
    """A 1×C row as a 1×C×1×1 array, to scale the channels of an N×C×h×w array."""
    return v.reshape(1, -1, 1, 1)


def group_normalize(x, K, eps):
    """x̂: each example's K groups of C/K consecutive channels normalized over their
    (C/K)·h·w entries; x̂ N×C×h×w and s, one scale per row of Z, N·K×1."""
    Z = x.reshape(x.shape[0] * K, -1)  # Z: one row per (example, group)
    centred = Z - np.mean(Z, axis=1, keepdims=True)
    s = np.sqrt(np.mean(centred**2, axis=1, keepdims=True) + eps)
    return (centred / s).reshape(x.shape), s


def group_norm(x, gamma, beta, K, eps):
    """y = Γ ∘ x̂ + B: group statistics, per-channel γ and β (1×C); x N×C×h×w."""
    x_hat, _ = group_normalize(x, K, eps)
    return per_channel(gamma) * x_hat + per_channel(beta)


def group_norm_jacobian(x, gamma, K, eps):
    """∂vec_r y/∂vec_r x = Diag(vec_r Γ) · blockdiag(D_e), D_e = (1/s_e)(I − 11ᵀ/m − ẑ_eᵀẑ_e/m)
    layer norm's ∂x̂/∂x for row e of Z, m = (C/K)·h·w: (N·C·h·w)², N·K blocks of m×m."""
    x_hat, s = group_normalize(x, K, eps)
    Z_hat = x_hat.reshape(len(s), -1)
    m = Z_hat.shape[1]
    centring = np.eye(m) - np.ones((m, m)) / m
    jacobian = np.zeros((x.size, x.size))
    for e, z_hat in enumerate(Z_hat):
        rows = slice(e * m, (e + 1) * m)
        jacobian[rows, rows] = (centring - np.outer(z_hat, z_hat) / m) / s[e]
    scale = (per_channel(gamma) * np.ones(x.shape)).ravel()  # vec_r Γ
    return scale[:, None] * jacobian


def group_norm_vjp(x, gamma, g, K, eps):
    """∂L/∂x (N×C×h×w), ∂L/∂γ and ∂L/∂β (1×C) from g = ∂L/∂y: ĝ = g ∘ Γ first, then
    layer norm's VJP on each row of the reshape, (1/s)(ĝ − mean(ĝ) − mean(ĝ ∘ ẑ) ẑ)."""
    x_hat, s = group_normalize(x, K, eps)
    G_hat = (g * per_channel(gamma)).reshape(len(s), -1)  # the rows of ĝ, like Z
    Z_hat = x_hat.reshape(len(s), -1)
    mean_g = np.mean(G_hat, axis=1, keepdims=True)
    mean_gz = np.mean(G_hat * Z_hat, axis=1, keepdims=True)
    grad_x = ((G_hat - mean_g - Z_hat * mean_gz) / s).reshape(x.shape)
    grad_gamma = np.sum(g * x_hat, axis=(0, 2, 3)).reshape(1, -1)
    grad_beta = np.sum(g, axis=(0, 2, 3)).reshape(1, -1)
    return grad_x, grad_gamma, grad_beta


# --8<-- [end:group_functions]


# --8<-- [start:rms_functions]
def rms(X, eps):
    """ρ = √(mean(x ∘ x) + ε) of each row of X (N×n): N×1."""
    return np.sqrt(np.mean(X * X, axis=1, keepdims=True) + eps)


def rms_norm(X, gamma, eps):
    """y = γ ∘ x/ρ for each row of X (N×n), its own ρ; γ 1×n."""
    return gamma * X / rms(X, eps)


def rms_norm_jacobian(x, gamma, eps):
    """∂y/∂x for one row x (1×n): n×n, Diag(γ) (I − x̂ᵀx̂/n)/ρ with x̂ = x/ρ."""
    rho = rms(x, eps)
    x_hat = x / rho
    n = x.shape[1]
    return np.diag(gamma.ravel()) @ (np.eye(n) - np.outer(x_hat, x_hat) / n) / rho


def rms_norm_vjp(X, gamma, G, eps):
    """∂L/∂X (N×n) and ∂L/∂γ (1×n) from G = ∂L/∂Y (N×n): row by row, with ĝ = g ∘ γ,
    (ĝ − mean(ĝ ∘ x̂) x̂)/ρ; ∂L/∂γ sums g ∘ x̂ over the rows."""
    rho = rms(X, eps)
    X_hat = X / rho
    G_hat = G * gamma
    mean_gx = np.mean(G_hat * X_hat, axis=1, keepdims=True)  # N×1
    return (G_hat - X_hat * mean_gx) / rho, np.sum(G * X_hat, axis=0, keepdims=True)


# --8<-- [end:rms_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "norm variants"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=r"spatial batch norm, training, $N \times C \times h \times w$, per channel",
        jacobian=(
            r"batch norm's on the $(Nhw) \times C$ reshape: $C$ blocks "
            r"$\frac{\gamma_c}{s_c}\big(I - \frac1M\mathbf{1}_M\mathbf{1}_M^\top - "
            r"\frac1M \hat{x}_c\hat{x}_c^\top\big)$, $M = Nhw$"
        ),
        vjp=(
            r"batch norm's three terms on the reshape, reshaped back; "
            r"$\partial_\gamma L$, $\partial_\beta L$ summed over $N$, $h$, $w$"
        ),
        functions=("spatial_batch_norm_vjp",),
        anchor="spatial-batch-normalization",
    ),
    Row(
        table="Layers",
        operation=r"group norm, $K$ groups, per-channel $\gamma$, $\beta$",
        jacobian=(
            r"$\operatorname{Diag}(\operatorname{vec}_r \Gamma)$ times $NK$ blocks of layer "
            r"norm's $\partial \hat{x}/\partial x$, one per example and group"
        ),
        vjp=(
            r"$\hat{g} = g \circ \Gamma$ first, then layer norm's VJP without $\gamma$ on each "
            r"row of its reshape"
        ),
        functions=("group_norm_vjp",),
        anchor="group-normalization",
    ),
    Row(
        table="Layers",
        operation=(
            r"RMSNorm $y = \gamma \circ x/\rho$, $\rho = \sqrt{\frac1n x x^\top + \epsilon}$, "
            r"$\hat{x} = x/\rho$"
        ),
        jacobian=(
            r"$\operatorname{Diag}(\gamma)\,\frac{1}{\rho}\big(I - \frac1n "
            r"\hat{x}^\top\hat{x}\big)$, diagonal minus rank one"
        ),
        vjp=(
            r"$\frac{1}{\rho}\big(\hat{g} - \frac1n(\hat{g}\hat{x}^\top)\,\hat{x}\big)$, "
            r"$\hat{g} = g \circ \gamma$; $\partial_\gamma L = \sum_a g_a \circ \hat{x}_a$"
        ),
        functions=("rms_norm_vjp",),
        anchor="rmsnorm",
    ),
]


# The pictures of the Jacobians on the page: hooks/jacobian_figures.py draws them at build time,
# tests/test_figures.py checks them against finite differences and their structure keywords.
def structure_figure():
    """Spatial batch norm's ∂vec_r y/∂vec_r x for one 2×3×3 image (N = 1): 18×18, 2 blocks."""
    N, C, h = 1, 2, 3  # one example, two channels of 3×3
    x = np.sin(np.arange(N * C * h * h) * 1.3).reshape(N, C, h, h) + 0.2
    gamma, beta, eps = np.array([[1.4, -0.7]]), np.zeros((1, C)), 1e-5
    jacobian = spatial_batch_norm_jacobian(x, gamma, eps)
    return Figure(
        matrix=jacobian,
        of=lambda z: spatial_batch_norm(z, gamma, beta, eps),
        at=x,
        structure="block-diagonal",
        rows="outputs y_{acpq}, in numpy's order",
        columns="inputs x_{acpq}, in numpy's order",
        alt=f"The {size(jacobian)} spatial batch-norm Jacobian for one image of {C} channels of "
        f"{h}×{h}: block-diagonal, {C} blocks of {h * h}×{h * h}, one per channel, each coupling "
        "every position of that channel and nothing else.",
        caption=r"Spatial batch norm: one block $B_c$ per channel, coupling every example and "
        r"position of channel $c$; with $N = 1$ numpy's order is already the channel's order.",
        blocks=((h * h, h * h),) * C,
    )


def group_figure():
    """Group norm's ∂vec_r y/∂vec_r x for one 6×1×3 input, K = 2 groups: 18×18, 2 blocks."""
    N, C, K, w = 1, 6, 2, 3  # one example, 6 channels in 2 groups of 3, each of width 3
    x = np.cos(np.arange(N * C * w) * 0.7).reshape(N, C, 1, w) * 1.5
    gamma = np.array([[1.2, 0.6, -0.9, 1.5, 0.8, -1.1]])  # one per channel
    beta, eps = np.zeros((1, C)), 1e-5
    jacobian = group_norm_jacobian(x, gamma, K, eps)
    m = jacobian.shape[0] // K
    return Figure(
        matrix=jacobian,
        of=lambda z: group_norm(z, gamma, beta, K, eps),
        at=x,
        structure="block-diagonal",
        rows="outputs y_{acpq}, in numpy's order",
        columns="inputs x_{acpq}, in numpy's order",
        alt=f"The {size(jacobian)} group-norm Jacobian for one example of {C} channels of width "
        f"{w} in {K} groups: block-diagonal, {K} blocks of {m}×{m}, one per group, each layer "
        "norm's Jacobian with its rows scaled by the channels' gamma.",
        caption=r"Group norm: one block per example and group, layer norm's "
        r"$\partial \hat{x}/\partial x$ for that group with row $i$ scaled by its channel's "
        r"$\gamma_c$.",
        blocks=((m, m),) * K,
    )


def rms_figure():
    """RMSNorm's ∂y/∂x at a fixed 1×6 row: 6×6, Diag(γ/ρ) minus a rank-one matrix."""
    x = np.array([[0.9, -1.6, 0.4, 1.2, -0.3, 2.0]])
    gamma, eps = np.array([[1.3, 0.7, -0.5, 1.0, 1.8, 0.6]]), 1e-5
    jacobian = rms_norm_jacobian(x, gamma, eps)
    return Figure(
        matrix=jacobian,
        of=lambda z: rms_norm(z, gamma, eps),
        at=x,
        structure="diagonal-minus-rank-one",
        rows="outputs y_i",
        columns="inputs x_j",
        alt=f"The {size(jacobian)} RMSNorm Jacobian of one row: a diagonal matrix minus a "
        "rank-one matrix, Diag(gamma/rho) minus (gamma ∘ x̂)ᵀ x̂/(n rho); no centring, so its "
        "rows do not sum to zero.",
        caption=r"RMSNorm: $\partial y/\partial x = \operatorname{Diag}(\gamma/\rho) - "
        r"\frac{1}{n\rho}(\gamma \circ \hat{x})^\top\hat{x}$, a diagonal minus a rank-one matrix.",
    )


if __name__ == "__main__":
    # --8<-- [start:spatial_setup]
    rng = np.random.default_rng(0)
    N, C, h, w, eps = 2, 3, 4, 5, 1e-5  # 2 images of 3 channels, 4×5 each
    x = rng.standard_normal((N, C, h, w))  # input, 2×3×4×5
    gamma = rng.standard_normal((1, C))  # scale γ, one per channel, 1×3
    beta = rng.standard_normal((1, C))  # shift β, 1×3
    g = rng.standard_normal((N, C, h, w))  # upstream gradient ∂L/∂y, 2×3×4×5
    # --8<-- [end:spatial_setup]

    # --8<-- [start:spatial_check]
    def forward(z):
        return spatial_batch_norm(z, gamma, beta, eps)

    numeric = numerical_jacobian(forward, x)  # 120×120
    jacobian = spatial_batch_norm_jacobian(x, gamma, eps)
    assert compare("∂y/∂x vs finite differences", jacobian, numeric)
    where = to_rows(np.arange(x.size).reshape(x.shape))  # 40×3: x's index of X_(r, c)
    by_channel = where.T.ravel()  # channel 0's 40 entries first, then channel 1's, …
    blocks = spatial_batch_norm_blocks(x, gamma, eps)  # 3 blocks of 40×40
    reordered = numeric[np.ix_(by_channel, by_channel)]
    assert compare("numeric ∂y/∂x by channel: C blocks", reordered, block_diagonal(blocks))
    grad_x, grad_gamma, grad_beta = spatial_batch_norm_vjp(x, gamma, g, eps)
    reference = (g.ravel() @ numeric).reshape(x.shape)
    assert compare("∂L/∂x vs g @ numeric Jacobian", grad_x, reference)
    numeric_gamma = numerical_jacobian(lambda c: spatial_batch_norm(x, c, beta, eps), gamma)
    assert compare("∂L/∂γ", grad_gamma, (g.ravel() @ numeric_gamma).reshape(1, C))
    numeric_beta = numerical_jacobian(lambda c: spatial_batch_norm(x, gamma, c, eps), beta)
    assert compare("∂L/∂β", grad_beta, (g.ravel() @ numeric_beta).reshape(1, C))
    # --8<-- [end:spatial_check]

    # --8<-- [start:spatial_mistake]
    def forward(z):
        return spatial_batch_norm(z, gamma, beta, eps)

    reference = (g.ravel() @ numerical_jacobian(forward, x)).reshape(x.shape)
    X = x.reshape(-1, C)  # no transpose: each "column" mixes channels
    print("x.reshape(-1, C) keeps channels apart:", np.allclose(X, to_rows(x)))
    # batch norm's backward on the wrong reshape, reshaped back the same wrong way
    X_hat, s_wrong = normalize_columns(X, eps)
    G, M = g.reshape(-1, C), N * h * w
    grad_beta, grad_gamma = G.sum(axis=0), (G * X_hat).sum(axis=0)
    wrong = (M * G - grad_beta - X_hat * grad_gamma) * gamma / (M * s_wrong)
    compare("batch norm's VJP on x.reshape(-1, C)", wrong.reshape(x.shape), reference)
    # --8<-- [end:spatial_mistake]

    # --8<-- [start:group_setup]
    rng = np.random.default_rng(0)
    N, C, K, h, w, eps = 3, 8, 2, 5, 6, 1e-5  # 3 examples, 8 channels in 2 groups of 4, 5×6
    x = rng.standard_normal((N, C, h, w))  # input, 3×8×5×6
    gamma = rng.standard_normal((1, C))  # scale γ, one per channel, 1×8
    beta = rng.standard_normal((1, C))  # shift β, 1×8
    g = rng.standard_normal((N, C, h, w))  # upstream gradient ∂L/∂y, 3×8×5×6
    # --8<-- [end:group_setup]

    # --8<-- [start:group_check]
    def forward(z):
        return group_norm(z, gamma, beta, K, eps)

    numeric = numerical_jacobian(forward, x)  # 720×720
    jacobian = group_norm_jacobian(x, gamma, K, eps)
    assert compare("∂y/∂x vs finite differences", jacobian, numeric)
    m = x.size // (N * K)  # 120 entries in each group
    off_blocks = numeric.copy()
    for e in range(N * K):  # blank the N·K diagonal blocks of m×m
        off_blocks[e * m : (e + 1) * m, e * m : (e + 1) * m] = 0
    assert compare("outside the N·K blocks: zero", off_blocks, np.zeros_like(numeric))
    grad_x, grad_gamma, grad_beta = group_norm_vjp(x, gamma, g, K, eps)
    reference = (g.ravel() @ numeric).reshape(x.shape)
    assert compare("∂L/∂x vs g @ numeric Jacobian", grad_x, reference)
    numeric_gamma = numerical_jacobian(lambda c: group_norm(x, c, beta, K, eps), gamma)
    assert compare("∂L/∂γ", grad_gamma, (g.ravel() @ numeric_gamma).reshape(1, C))
    numeric_beta = numerical_jacobian(lambda c: group_norm(x, gamma, c, K, eps), beta)
    assert compare("∂L/∂β", grad_beta, (g.ravel() @ numeric_beta).reshape(1, C))
    # --8<-- [end:group_check]

    # --8<-- [start:group_mistake]
    def forward(z):
        return group_norm(z, gamma, beta, K, eps)

    reference = (g.ravel() @ numerical_jacobian(forward, x)).reshape(x.shape)
    ones = np.ones((1, C))  # γ = 1: layer norm's VJP of g itself
    wrong = group_norm_vjp(x, ones, g, K, eps)[0] * per_channel(gamma)  # γ applied after
    compare("VJP of g, then times γ", wrong, reference)
    # --8<-- [end:group_mistake]

    # --8<-- [start:rms_setup]
    rng = np.random.default_rng(0)
    N, n, eps = 3, 5, 1e-5  # a batch of 3 rows of 5 features
    X = rng.standard_normal((N, n))  # input, 3×5
    gamma = rng.standard_normal((1, n))  # scale γ, 1×5
    G = rng.standard_normal((N, n))  # upstream gradient ∂L/∂Y, 3×5
    x, g = X[:1], G[:1]  # one row and its upstream gradient, 1×5
    # --8<-- [end:rms_setup]

    # --8<-- [start:rms_check]
    numeric = numerical_jacobian(lambda z: rms_norm(z, gamma, eps), x)  # 5×5
    jacobian = rms_norm_jacobian(x, gamma, eps)
    assert compare("∂y/∂x vs finite differences", jacobian, numeric)
    rho = rms(x, eps)  # 1×1
    x_hat = x / rho
    diagonal = np.diag((gamma / rho).ravel())  # Diag(γ/ρ)
    rank_one = np.outer(gamma * x_hat, x_hat) / (n * rho)  # (γ ∘ x̂)ᵀ x̂/(nρ)
    assert compare("∂y/∂x = Diag(γ/ρ) − (γ ∘ x̂)ᵀx̂/(nρ)", diagonal - rank_one, numeric)
    grad_x, _ = rms_norm_vjp(x, gamma, g, eps)
    assert compare("VJP vs g @ numeric Jacobian", grad_x, g @ numeric)
    numeric_batch = numerical_jacobian(lambda Z: rms_norm(Z, gamma, eps), X)  # 15×15
    grad_batch, grad_gamma = rms_norm_vjp(X, gamma, G, eps)
    assert compare("batch ∂L/∂X", grad_batch, (G.ravel() @ numeric_batch).reshape(N, n))
    numeric_gamma = numerical_jacobian(lambda c: rms_norm(X, c, eps), gamma)
    assert compare("∂L/∂γ", grad_gamma, (G.ravel() @ numeric_gamma).reshape(1, n))
    # --8<-- [end:rms_check]

    # --8<-- [start:rms_mistake]
    numeric_batch = numerical_jacobian(lambda Z: rms_norm(Z, gamma, eps), X)  # 15×15
    reference = (G.ravel() @ numeric_batch).reshape(N, n)
    compare("g ∘ γ/ρ (ρ held constant)", G * gamma / rms(X, eps), reference)
    # --8<-- [end:rms_mistake]
