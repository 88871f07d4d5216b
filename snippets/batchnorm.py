"""Batch normalization in training mode: the coupled Jacobian of a batch and its VJP.

Shapes (row vectors, see docs/conventions.md): a batch X is N×d; its statistics are taken per
column over the batch, so μ, σ² and s = √(σ² + ε) are 1×d; X̂ = (X − μ)/s and Y = γ ∘ X̂ + β are
N×d with γ, β 1×d. The upstream gradient G = ∂L/∂Y is N×d. The full Jacobian ∂Y/∂X is
(N·d)×(N·d) in numpy's row-major order; reordered by column it is d blocks of N×N.
Run ``python -m snippets.batchnorm`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def normalize_columns(X, eps):
    """X̂ = (X − μ)/s for each column of X (N×d), s = √(σ² + ε): returns X̂ (N×d) and s (1×d)."""
    centred = X - np.mean(X, axis=0, keepdims=True)
    s = np.sqrt(np.mean(centred**2, axis=0, keepdims=True) + eps)
    return centred / s, s


def batch_norm(X, gamma, beta, eps):
    """Training mode: Y = γ ∘ X̂ + β with the batch's own statistics; X N×d, γ and β 1×d."""
    X_hat, _ = normalize_columns(X, eps)
    return gamma * X_hat + beta


def batch_norm_blocks(X, gamma, eps):
    """The d blocks (γ_i/s_i)(I − 11ᵀ/N − x̂_i x̂_iᵀ/N), x̂_i column i of X̂ (N×1): d×N×N."""
    X_hat, s = normalize_columns(X, eps)
    N, d = X.shape
    ones = np.ones((N, 1))
    blocks = []
    for i in range(d):
        x_hat = X_hat[:, i : i + 1]  # N×1
        centring = np.eye(N) - ones @ ones.T / N
        blocks.append(gamma[0, i] / s[0, i] * (centring - x_hat @ x_hat.T / N))
    return np.stack(blocks)


def batch_norm_jacobian(X, gamma, eps):
    """∂Y/∂X in numpy's row-major order: (N·d)×(N·d), entry (a·d + i, b·d + j) = δ_ij B_i[a, b]."""
    N, d = X.shape
    full = np.einsum("iab,ij->aibj", batch_norm_blocks(X, gamma, eps), np.eye(d))
    return full.reshape(N * d, N * d)


def by_column(jacobian, N, d):
    """Reorder rows and columns of a row-major (N·d)×(N·d) Jacobian so column 0 of X comes first."""
    return jacobian.reshape(N, d, N, d).transpose(1, 0, 3, 2).reshape(N * d, N * d)


def block_diagonal(blocks):
    """The block-diagonal matrix with the k×k blocks of a d×k×k array on its diagonal."""
    d, k, _ = blocks.shape
    return np.einsum("iab,ij->iajb", blocks, np.eye(d)).reshape(d * k, d * k)


def batch_norm_vjp(X, gamma, G, eps):
    """∂L/∂X (N×d), ∂L/∂γ (1×d), ∂L/∂β (1×d) from G = ∂L/∂Y (N×d), without a Jacobian.

    ∂L/∂X = (1/N)(N G − 1 ∂L/∂β − X̂ ∘ (1 ∂L/∂γ)) Diag(γ/s), 1 a column of N ones.
    """
    X_hat, s = normalize_columns(X, eps)
    N = X.shape[0]
    grad_beta = np.sum(G, axis=0, keepdims=True)  # 1ᵀG
    grad_gamma = np.sum(G * X_hat, axis=0, keepdims=True)  # 1ᵀ(G ∘ X̂)
    grad_batch = (N * G - grad_beta - X_hat * grad_gamma) @ np.diag((gamma / s).ravel()) / N
    return grad_batch, grad_gamma, grad_beta


def batch_norm_inference(X, gamma, beta, running_mean, running_variance, eps):
    """Inference mode: Y = γ ∘ (X − μ_run)/√(σ²_run + ε) + β with fixed 1×d statistics."""
    return gamma * (X - running_mean) / np.sqrt(running_variance + eps) + beta


def batch_norm_inference_vjp(gamma, running_variance, G, eps):
    """∂L/∂X of the inference form, G Diag(γ/s_run) with s_run = √(σ²_run + ε): N×d."""
    return G @ np.diag((gamma / np.sqrt(running_variance + eps)).ravel())


def variance_mean_derivative(X, mu):
    """∂σ²/∂μ for σ²(X, μ) = (1/N) 1ᵀ((X − 1μ) ∘ (X − 1μ)), μ (1×d) its own argument: 1×d.

    σ²_j depends on μ_j alone; its derivative −(2/N) Σ_a (X_aj − μ_j) is 0 at μ = the column means.
    """
    return -2 * np.mean(X - mu, axis=0, keepdims=True)


def batch_norm_vjp_by_paths(X, gamma, G, eps):
    """∂L/∂X split by path, as step-by-step backprop meets them: four N×d terms.

    With Ĝ = G Diag(γ), C = X − 1μ and ∂L/∂σ² = −½ 1ᵀ(Ĝ ∘ C) Diag(s)⁻³ (1×d):
    direct Ĝ Diag(s)⁻¹; through σ² (2/N) C Diag(∂L/∂σ²); through μ (1/N) 1 (−1ᵀĜ Diag(s)⁻¹);
    through μ inside σ² (1/N) 1 (∂L/∂σ² ∘ ∂σ²/∂μ), which is 0 since ∂σ²/∂μ = 0.
    """
    N = X.shape[0]
    mu = np.mean(X, axis=0, keepdims=True)
    _, s = normalize_columns(X, eps)
    G_hat, centred = G * gamma, X - mu
    grad_variance = -0.5 * np.sum(G_hat * centred, axis=0, keepdims=True) / s**3  # ∂L/∂σ², 1×d
    ones = np.ones((N, 1))
    direct = G_hat / s
    through_variance = 2 / N * centred * grad_variance
    through_mean = ones @ (-np.sum(G_hat, axis=0, keepdims=True) / s) / N
    through_mean_in_variance = ones @ (grad_variance * variance_mean_derivative(X, mu)) / N
    return direct, through_variance, through_mean, through_mean_in_variance


def batch_norm_vjp_along_x_hat(X, gamma, k, eps):
    """∂L/∂X (N×d) when G = X̂ Diag(k), k 1×d: column i is (k_i γ_i ε / s_i³) x̂_i; 0 at ε = 0."""
    X_hat, s = normalize_columns(X, eps)
    return X_hat * (k * gamma * eps / s**3)


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "batch norm"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=r"batch norm, training, per column",
        jacobian=(
            r"$d$ blocks $\frac{\gamma_i}{s_i}\big(I - \frac1N\mathbf{1}_N\mathbf{1}_N^\top - "
            r"\frac1N \hat{x}_i\hat{x}_i^\top\big)$"
        ),
        vjp=(
            r"$\frac1N\big(NG - \mathbf{1}_N\,\partial_\beta L - \hat{X} \circ "
            r"(\mathbf{1}_N\,\partial_\gamma L)\big)\operatorname{Diag}(\gamma/s)$"
        ),
        functions=("batch_norm_vjp",),
    ),
    Row(
        table="Layers",
        operation=r"batch norm, training, $\gamma$ and $\beta$",
        jacobian=(
            r"$\partial Y_{ai}/\partial \gamma_i = \hat{X}_{ai}$, "
            r"$\partial Y_{ai}/\partial \beta_i = 1$"
        ),
        vjp=(
            r"$\partial_\gamma L = \mathbf{1}_N^\top(G \circ \hat{X})$; "
            r"$\partial_\beta L = \mathbf{1}_N^\top G$"
        ),
        functions=("batch_norm_vjp",),
    ),
    Row(
        table="Layers",
        operation=(
            r"batch norm, inference, fixed $\mu_{\text{run}}$, "
            r"$s_{\text{run}} = \sqrt{\sigma^2_{\text{run}} + \epsilon}$"
        ),
        jacobian=r"diagonal: $\operatorname{Diag}(\gamma/s_{\text{run}})$ for each row",
        vjp=r"$G\operatorname{Diag}(\gamma/s_{\text{run}})$",
        functions=("batch_norm_inference_vjp",),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """∂Y/∂X reordered by column (column 0 of X first) for a fixed 4×3 batch: 12×12, d blocks."""
    X = np.array([[1.0, -0.5, 2.0], [0.3, 1.2, -1.0], [-1.4, 0.8, 0.5], [0.6, -2.0, 1.3]])
    (N, d), eps = X.shape, 1e-5
    gamma, beta = np.array([[1.5, -0.8, 1.0]]), np.zeros((1, d))
    jacobian = by_column(batch_norm_jacobian(X, gamma, eps), N, d)
    return Figure(
        matrix=jacobian,
        of=lambda X_by_column: batch_norm(X_by_column.T, gamma, beta, eps).T,
        at=X.T,
        structure="block-diagonal",
        rows="outputs Y_{ai}, column by column",
        columns="inputs X_{bj}, column by column",
        alt=f"The {size(jacobian)} batch-norm Jacobian for a batch of {N} examples with {d} "
        f"features, reordered column by column: block-diagonal, {d} blocks of {N}×{N}, one per "
        f"feature, each coupling all {N} examples of that feature and nothing else; "
        f"{np.count_nonzero(jacobian)} of its {jacobian.size} entries are non-zero.",
        caption=r"Reordered by column, $\partial Y/\partial X$ is block-diagonal: block $i$ is "
        r"$\frac{\gamma_i}{s_i}\big(I - \frac{1}{N}\mathbf{1}_N\mathbf{1}_N^\top - "
        r"\frac{1}{N}\hat{x}_i\hat{x}_i^\top\big)$, and it couples the examples of column $i$.",
        blocks=((N, N),) * d,
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    N, d, eps = 4, 3, 1e-5
    X = rng.standard_normal((N, d))  # a batch of 4 rows, 3 features each, 4×3
    gamma = rng.standard_normal((1, d))  # scale γ, 1×3
    beta = rng.standard_normal((1, d))  # shift β, 1×3
    G = rng.standard_normal((N, d))  # upstream gradient ∂L/∂Y, 4×3
    # --8<-- [end:setup]

    # --8<-- [start:check]
    # The full Jacobian, 12×12, built explicitly from its d blocks
    jacobian = batch_norm_jacobian(X, gamma, eps)
    numeric = numerical_jacobian(lambda X: batch_norm(X, gamma, beta, eps), X)
    assert compare("∂Y/∂X vs finite differences", jacobian, numeric)
    blocks = batch_norm_blocks(X, gamma, eps)  # 3 blocks of 4×4
    assert compare(
        "numeric ∂Y/∂X by column: d blocks", by_column(numeric, N, d), block_diagonal(blocks)
    )
    centring = np.eye(N) - np.ones((N, N)) / N  # I − 11ᵀ/N
    assert compare("1 in each block's null space", blocks @ centring, blocks)

    # The VJP and the gradients of γ and β
    grad_batch, grad_gamma, grad_beta = batch_norm_vjp(X, gamma, G, eps)
    numeric_gamma = numerical_jacobian(lambda gamma: batch_norm(X, gamma, beta, eps), gamma)
    numeric_beta = numerical_jacobian(lambda beta: batch_norm(X, gamma, beta, eps), beta)
    assert compare("∂L/∂X vs G @ numeric Jacobian", grad_batch, (G.ravel() @ numeric).reshape(N, d))
    assert compare("∂L/∂γ", grad_gamma, (G.ravel() @ numeric_gamma).reshape(1, d))
    assert compare("∂L/∂β", grad_beta, (G.ravel() @ numeric_beta).reshape(1, d))

    # Inference mode: fixed running statistics, a diagonal Jacobian, right for its own forward
    running_mean, running_variance = rng.standard_normal((1, d)), rng.uniform(0.5, 2, (1, d))
    numeric_inference = numerical_jacobian(
        lambda X: batch_norm_inference(X, gamma, beta, running_mean, running_variance, eps), X
    )
    inference_reference = (G.ravel() @ numeric_inference).reshape(N, d)
    inference_grad = batch_norm_inference_vjp(gamma, running_variance, G, eps)
    assert compare("inference VJP vs its own forward", inference_grad, inference_reference)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    reference = G.ravel() @ numerical_jacobian(lambda X: batch_norm(X, gamma, beta, eps), X)
    reference = reference.reshape(N, d)  # ∂L/∂X in training mode
    batch_variance = np.var(X, axis=0, keepdims=True)  # running statistics = this batch's
    inference_grad = batch_norm_inference_vjp(gamma, batch_variance, G, eps)
    compare("G Diag(γ/s) (inference form in training)", inference_grad, reference)
    # --8<-- [end:mistake]

    # --8<-- [start:paths]
    # Step-by-step backprop: the paths through X̂ directly, σ², μ, and μ inside σ²
    direct, through_variance, through_mean, fourth = batch_norm_vjp_by_paths(X, gamma, G, eps)
    three = direct + through_variance + through_mean  # 4×3
    numeric = numerical_jacobian(lambda X: batch_norm(X, gamma, beta, eps), X)  # 12×12
    reference = (G.ravel() @ numeric).reshape(N, d)  # ∂L/∂X
    assert compare("three paths vs G @ numeric Jacobian", three, reference)
    boxed = batch_norm_vjp(X, gamma, G, eps)[0]
    assert compare("three paths vs the boxed three terms", three, boxed)
    dvariance_dmu = variance_mean_derivative(X, np.mean(X, axis=0, keepdims=True))  # 1×3
    ratio = np.max(np.abs(dvariance_dmu)) / np.max(np.abs(X))
    print("∂σ²/∂μ = −(2/N) Σ_a (X_aj − μ_j), below 1e-12 of X:", ratio < 1e-12)
    ratio = np.max(np.abs(fourth)) / np.max(np.abs(three))
    print("fourth term, below 1e-12 of ∂L/∂X:", ratio < 1e-12)
    # --8<-- [end:paths]

    # --8<-- [start:degenerate]
    X_hat, s = normalize_columns(X, eps)  # 4×3 and 1×3
    more = np.random.default_rng(1)
    c = more.standard_normal((1, d))  # one number per column, 1×3
    k = more.standard_normal((1, d))  # one factor per column, 1×3

    # G = 1c: every row of the upstream gradient the same
    G_alike = np.ones((N, 1)) @ c  # 4×3
    grad_batch, _, grad_beta = batch_norm_vjp(X, gamma, G_alike, eps)
    size = np.max(np.abs(G_alike * gamma / s))  # the largest entry of G Diag(γ/s)
    print("G = 1c: ∂L/∂X below 1e-12 of G Diag(γ/s):", np.max(np.abs(grad_batch)) < 1e-12 * size)
    numeric = numerical_jacobian(lambda X: batch_norm(X, gamma, beta, eps), X)  # 12×12
    reference = G_alike.ravel() @ numeric  # ∂L/∂X by finite differences, flattened
    print(
        "G = 1c: finite differences, below 1e-8 of G Diag(γ/s):",
        np.max(np.abs(reference)) < 1e-8 * size,
    )
    assert compare("G = 1c: ∂L/∂β = Nc", grad_beta, N * c)

    # G = X̂ Diag(k): column i of the upstream gradient is k_i times column i of X̂
    G_along = X_hat * k  # 4×3
    grad_batch = batch_norm_vjp(X, gamma, G_along, eps)[0]
    formula = batch_norm_vjp_along_x_hat(X, gamma, k, eps)  # X̂ Diag(kγε/s³)
    assert compare("G = X̂ Diag(k): ∂L/∂X vs X̂ Diag(kγε/s³)", grad_batch, formula)
    ratio = np.max(np.abs(grad_batch)) / np.max(np.abs(G_along * gamma / s))
    print(f"G = X̂ Diag(k): ∂L/∂X is {ratio:.1e} of G Diag(γ/s)")
    X_hat_0, s_0 = normalize_columns(X, 0.0)  # ε = 0
    grad_batch = batch_norm_vjp(X, gamma, X_hat_0 * k, 0.0)[0]
    ratio = np.max(np.abs(grad_batch)) / np.max(np.abs(X_hat_0 * k * gamma / s_0))
    print("ε = 0, G = X̂ Diag(k): ∂L/∂X below 1e-12 of G Diag(γ/s):", ratio < 1e-12)
    # --8<-- [end:degenerate]
