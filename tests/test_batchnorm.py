"""docs/batchnorm.md ↔ snippets/batchnorm.py: the coupled batch-norm Jacobian and its VJP."""

from functools import partial

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.batchnorm import (
    batch_norm,
    batch_norm_blocks,
    batch_norm_inference,
    batch_norm_inference_vjp,
    batch_norm_jacobian,
    batch_norm_vjp,
    batch_norm_vjp_along_x_hat,
    batch_norm_vjp_by_paths,
    block_diagonal,
    by_column,
    normalize_columns,
    variance_mean_derivative,
)
from snippets.gradcheck import numerical_jacobian
from tests.gradients import (
    AUTODIFF_TOLERANCE,
    FINITE_DIFFERENCE_TOLERANCE,
    assert_close,
    autograd_vjp,
    check_jacobian,
    check_vjp,
    relative_error,
    run_page_demo,
    with_argument,
)

# (N, d). Not N = 2: a column of two normalizes to about (−1, 1) whatever X is, so its Jacobian
# is of order ε and a relative error against finite differences means nothing.
SHAPES = [(1, 3), (3, 1), (3, 2), (4, 3), (8, 5), (5, 17)]
EPSILONS = [1e-5, 0.5]  # the page's ε, and one large enough that a misplaced ε cannot hide
# (N, d) pairwise distinct, N ≥ 3 (see above), for the paths and the degenerate upstream gradients
DISTINCT = [(3, 2), (4, 3), (8, 5), (5, 17)]


def normalized_reference(X, eps):
    """(X − μ)/√(σ² + ε) column by column, σ² = mean(x²) − μ², written again for autograd."""
    N = X.shape[0]
    mu = anp.sum(X, axis=0, keepdims=True) / N
    variance = anp.sum(X * X, axis=0, keepdims=True) / N - mu * mu
    return (X - mu) / anp.sqrt(variance + eps)


def batch_norm_reference(X, gamma, beta, eps):
    return gamma * normalized_reference(X, eps) + beta


def inference_reference(X, gamma, beta, running_mean, running_variance, eps):
    return (X - running_mean) * (gamma / anp.sqrt(running_variance + eps)) + beta


def random_batch(N, d):
    rng = np.random.default_rng([N, d])
    X = 3 * rng.standard_normal((N, d)) + rng.standard_normal((1, d))  # columns with own μ, σ
    return X, rng.standard_normal((1, d)), rng.standard_normal((1, d)), rng.standard_normal((N, d))


@pytest.mark.parametrize("eps", EPSILONS)
@pytest.mark.parametrize(("N", "d"), SHAPES)
def test_jacobian(N, d, eps):
    X, gamma, beta, _ = random_batch(N, d)
    check_jacobian(
        "batch_norm_jacobian",
        batch_norm_jacobian(X, gamma, eps),
        lambda X: batch_norm(X, gamma, beta, eps),
        lambda X: batch_norm_reference(X, gamma, beta, eps),
        X,
    )


@pytest.mark.parametrize(("N", "d"), [(3, 2), (4, 3), (8, 5), (5, 17)])
def test_jacobian_is_d_blocks_after_reordering_by_column(N, d):
    X, gamma, beta, _ = random_batch(N, d)
    blocks = batch_norm_blocks(X, gamma, 1e-5)
    numeric = numerical_jacobian(lambda X: batch_norm(X, gamma, beta, 1e-5), X)
    reordered = by_column(numeric, N, d)
    assert_close(
        "reordered: d blocks", block_diagonal(blocks), reordered, FINITE_DIFFERENCE_TOLERANCE
    )
    for i in range(d):  # the same block, read directly from the row-major Jacobian
        assert_close(f"block {i}", blocks[i], numeric[i::d, i::d], FINITE_DIFFERENCE_TOLERANCE)
    assert_close(
        "exact reordering",
        by_column(batch_norm_jacobian(X, gamma, 1e-5), N, d),
        block_diagonal(blocks),
        0,
    )
    assert np.all(np.abs(numeric[0::d, 1::d]) < 1e-8), "different columns do not interact"
    corners = np.eye(d)[:, :, None] * np.eye(d)[:, None, :]  # E_ii: a single 1 at (i, i)
    kronecker = sum(np.kron(blocks[i], corners[i]) for i in range(d))
    assert_close("row-major: Σ_i B_i ⊗ E_ii", kronecker, numeric, FINITE_DIFFERENCE_TOLERANCE)


@pytest.mark.parametrize("N", [3, 4, 8])
def test_block_structure(N):
    """Each block: γ_i/s_i times (centring projection − x̂_i x̂_iᵀ/N), symmetric, rank N − 1."""
    X, gamma, _, _ = random_batch(N, 3)
    X_hat, s = normalize_columns(X, 1e-5)
    centring = np.eye(N) - np.ones((N, N)) / N
    for i, block in enumerate(batch_norm_blocks(X, gamma, 1e-5)):
        assert_close("symmetric", block, block.T, 1e-15)
        assert np.max(np.abs(block @ np.ones(N))) < 1e-14 * np.max(np.abs(block))
        assert np.linalg.matrix_rank(block) == N - 1
        rank_one = centring - block * s[0, i] / gamma[0, i]
        assert_close("rank-one part", rank_one, np.outer(X_hat[:, i], X_hat[:, i]) / N, 1e-12)


@pytest.mark.parametrize("eps", EPSILONS)
@pytest.mark.parametrize(("N", "d"), SHAPES)
@pytest.mark.parametrize(("argument", "position"), [("X", 0), ("gamma", 1), ("beta", 2)])
def test_vjp(N, d, eps, argument, position):
    X, gamma, beta, G = random_batch(N, d)
    arguments = [X, gamma, beta]

    check_vjp(
        f"batch_norm_vjp w.r.t. {argument}",
        batch_norm_vjp(X, gamma, G, eps)[position],
        with_argument(batch_norm, arguments, position, eps),
        with_argument(batch_norm_reference, arguments, position, eps),
        arguments[position],
        G,
    )


@pytest.mark.parametrize(("N", "d"), SHAPES)
def test_inference_vjp_is_right_for_the_inference_forward(N, d):
    X, gamma, beta, G = random_batch(N, d)
    rng = np.random.default_rng(N * d)
    running_mean, running_variance = rng.standard_normal((1, d)), rng.uniform(0.5, 2, (1, d))
    statistics = (running_mean, running_variance, 1e-5)
    check_vjp(
        "batch_norm_inference_vjp",
        batch_norm_inference_vjp(gamma, running_variance, G, 1e-5),
        lambda X: batch_norm_inference(X, gamma, beta, *statistics),
        lambda X: inference_reference(X, gamma, beta, *statistics),
        X,
        G,
    )


@pytest.mark.parametrize(("N", "d"), SHAPES)
def test_inference_forward_matches_the_definition(N, d):
    """γ ∘ (X − μ_run)/√(σ²_run + ε) + β; with the batch's own statistics, the training forward."""
    X, gamma, beta, _ = random_batch(N, d)
    rng = np.random.default_rng(N * d)
    running_mean, running_variance = rng.standard_normal((1, d)), rng.uniform(0.5, 2, (1, d))
    statistics = (running_mean, running_variance, 1e-5)
    assert (
        relative_error(
            batch_norm_inference(X, gamma, beta, *statistics),
            inference_reference(X, gamma, beta, *statistics),
        )
        < 1e-14
    )
    own = (np.mean(X, axis=0, keepdims=True), np.var(X, axis=0, keepdims=True), 1e-5)
    assert (
        relative_error(batch_norm_inference(X, gamma, beta, *own), batch_norm(X, gamma, beta, 1e-5))
        < 1e-13
    )


@pytest.mark.parametrize(("N", "d"), [(3, 2), (4, 3), (8, 5), (64, 3)])
def test_inference_vjp_is_wrong_in_training_mode(N, d):
    """Even with running statistics equal to the batch's own, the diagonal form misses terms."""
    X, gamma, _, G = random_batch(N, d)
    training = batch_norm_vjp(X, gamma, G, 1e-5)[0]
    inference = batch_norm_inference_vjp(gamma, np.var(X, axis=0, keepdims=True), G, 1e-5)
    assert relative_error(inference, training) > 0.05
    X_hat, s = normalize_columns(X, 1e-5)
    grad_gamma, grad_beta = (G * X_hat).sum(axis=0), G.sum(axis=0)
    missing = -(grad_beta + X_hat * grad_gamma) * gamma / (N * s)  # the two coupling terms
    assert_close("training − inference", training - inference, missing, 1e-10)


def test_batch_of_one_passes_no_gradient_to_x():
    X, gamma, beta, G = random_batch(1, 4)
    assert np.array_equal(batch_norm(X, gamma, beta, 1e-5), beta)
    assert np.array_equal(batch_norm_vjp(X, gamma, G, 1e-5)[0], np.zeros((1, 4)))


@pytest.mark.parametrize(("N", "d"), SHAPES)
def test_forward_matches_the_definition(N, d):
    X, gamma, beta, _ = random_batch(N, d)
    Y = batch_norm(X, gamma, beta, 1e-5)
    assert relative_error(Y, batch_norm_reference(X, gamma, beta, 1e-5)) < 1e-12
    X_hat, s = normalize_columns(X, 1e-5)
    assert X_hat.shape == (N, d) and s.shape == (1, d)
    assert np.max(np.abs(X_hat.mean(axis=0))) < 1e-14


def test_finite_for_constant_columns_and_large_offsets():
    X = np.array([[2.0, 1e4], [2.0, 1e4 + 1], [2.0, 1e4 - 1], [2.0, 1e4 + 2]])
    N, d = X.shape  # 4 rows of 2
    gamma, G = np.ones((1, d)), np.ones((N, d))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        grads = batch_norm_vjp(X, gamma, G, 1e-5)
        Y = batch_norm(X, gamma, np.zeros((1, d)), 1e-5)
    assert all(np.all(np.isfinite(grad)) for grad in grads) and np.all(np.isfinite(Y))
    assert np.array_equal(Y[:, 0], np.zeros(N)), "a constant column normalizes to 0 thanks to ε"
    assert_close("offset removed", Y[:, 1:], normalize_columns(X[:, 1:] - 1e4, 1e-5)[0], 1e-9)


@pytest.mark.parametrize(("N", "d"), [(3, 1), (4, 3), (8, 5)])
def test_column_convention_tab(N, d):
    """Examples as columns: X_c = Xᵀ and G_c = ∇_Y L (d×N), γ and s d×1, 1 N×1:
    ∇_X L = (1/N) Diag(γ/s) (N G_c − (G_c 1)1ᵀ − X̂_c ∘ ((G_c ∘ X̂_c)1)1ᵀ),
    ∇_γ L = (G_c ∘ X̂_c)1, ∇_β L = G_c 1, and block B_i acting on row i of G_c as a column."""
    X, gamma, _, G = random_batch(N, d)
    eps = 1e-5
    X_hat_rows, s_row = normalize_columns(X, eps)
    X_hat, s, gamma_column, gradient = X_hat_rows.T, s_row.T, gamma.T, G.T
    ones = np.ones((N, 1))
    scale = np.diag((gamma_column / s).ravel())
    column_form = (
        scale
        @ (
            N * gradient
            - (gradient @ ones) @ ones.T
            - X_hat * (((gradient * X_hat) @ ones) @ ones.T)
        )
        / N
    )
    row_result, row_gamma, row_beta = batch_norm_vjp(X, gamma, G, eps)
    assert column_form.shape == (d, N)
    assert_close("column tab", column_form, row_result.T, 1e-12)
    assert_close("column tab, γ", (gradient * X_hat) @ ones, row_gamma.T, 1e-12)
    assert_close("column tab, β", gradient @ ones, row_beta.T, 1e-12)
    blocks = batch_norm_blocks(X, gamma, eps)
    for i in range(d):  # block B_i acts on row i of G_c, written as a column
        block_form = blocks[i] @ gradient[i : i + 1].T
        assert_close(f"block {i} on row {i}", block_form, row_result[:, i : i + 1], 1e-12)


def frozen_path_reference(X, X0, gamma, beta, eps, path):
    """Y with X entering along one path only, every other use of X frozen at X0, for autograd.

    The paths of step-by-step backprop: "direct" (X in X − μ), "variance" (X in σ², μ frozen),
    "mean" (μ in X − μ), "mean in variance" (μ inside σ² = mean((X − 1μ)²)).
    """
    N = X.shape[0]
    mu0 = anp.sum(X0, axis=0, keepdims=True) / N
    mu = anp.sum(X, axis=0, keepdims=True) / N
    variance0 = anp.sum((X0 - mu0) ** 2, axis=0, keepdims=True) / N
    numerator = {"direct": X - mu0, "mean": X0 - mu}.get(path, X0 - mu0)
    variance = {
        "variance": anp.sum((X - mu0) ** 2, axis=0, keepdims=True) / N,
        "mean in variance": anp.sum((X0 - mu) ** 2, axis=0, keepdims=True) / N,
    }.get(path, variance0)
    return gamma * numerator / anp.sqrt(variance + eps) + beta


@pytest.mark.parametrize("eps", EPSILONS)
@pytest.mark.parametrize(("N", "d"), DISTINCT)
def test_three_paths_are_the_boxed_three_terms(N, d, eps):
    X, gamma, beta, G = random_batch(N, d)
    direct, through_variance, through_mean, fourth = batch_norm_vjp_by_paths(X, gamma, G, eps)
    three = direct + through_variance + through_mean
    assert_close("three paths vs batch_norm_vjp", three, batch_norm_vjp(X, gamma, G, eps)[0], 1e-12)
    check_vjp(
        "three paths",
        three + fourth,
        lambda X: batch_norm(X, gamma, beta, eps),
        lambda X: batch_norm_reference(X, gamma, beta, eps),
        X,
        G,
    )
    X_hat, s = normalize_columns(X, eps)
    grad_gamma, grad_beta = (G * X_hat).sum(axis=0), G.sum(axis=0)
    assert_close("direct: G Diag(γ/s)", direct, G * gamma / s, 1e-12)
    assert_close(
        "through μ: −1 ∂L/∂β Diag(γ/s)/N",
        through_mean,
        -np.ones((N, 1)) * grad_beta * gamma / (N * s),
        1e-12,
    )
    assert_close(
        "through σ²: −X̂ ∘ 1 ∂L/∂γ Diag(γ/s)/N",
        through_variance,
        -X_hat * grad_gamma * gamma / (N * s),
        1e-12,
    )


@pytest.mark.parametrize("eps", EPSILONS)
@pytest.mark.parametrize(("N", "d"), DISTINCT)
def test_each_path_is_the_derivative_with_the_other_paths_frozen(N, d, eps):
    """Each term is the VJP of Y with X entering along that path alone; the fourth one is 0."""
    X, gamma, beta, G = random_batch(N, d)
    terms = batch_norm_vjp_by_paths(X, gamma, G, eps)
    for path, term in zip(["direct", "variance", "mean"], terms, strict=False):
        forward = partial(frozen_path_reference, X0=X, gamma=gamma, beta=beta, eps=eps, path=path)
        check_vjp(f"path {path}", term, forward, forward, X, G)
    forward = partial(
        frozen_path_reference, X0=X, gamma=gamma, beta=beta, eps=eps, path="mean in variance"
    )
    scale = np.max(np.abs(terms[0]))
    assert np.max(np.abs(terms[3])) < 1e-14 * scale, "the fourth term is 0"
    assert np.max(np.abs(autograd_vjp(forward, X, G))) < 1e-14 * scale, "autograd: 0 as well"
    assert (
        relative_error(
            sum(terms), autograd_vjp(lambda Z: batch_norm_reference(Z, gamma, beta, eps), X, G)
        )
        < 1e-10
    )


@pytest.mark.parametrize(("N", "d"), DISTINCT)
def test_variance_mean_derivative_vanishes_at_the_mean_only(N, d):
    """∂σ²/∂μ = −(2/N) 1ᵀ(X − 1μ): checked at any μ as a diagonal Jacobian, 0 at the mean."""
    X, _, _, _ = random_batch(N, d)
    mu = np.random.default_rng(N).standard_normal((1, d))
    check_jacobian(
        "∂σ²/∂μ",
        np.diag(variance_mean_derivative(X, mu).ravel()),
        lambda mu: np.mean((X - mu) ** 2, axis=0, keepdims=True),
        lambda mu: anp.sum((X - mu) ** 2, axis=0, keepdims=True) / N,
        mu,
    )
    at_mean = variance_mean_derivative(X, np.mean(X, axis=0, keepdims=True))
    assert at_mean.shape == (1, d) and np.max(np.abs(at_mean)) < 1e-14 * np.max(np.abs(X))


@pytest.mark.parametrize("eps", EPSILONS)
@pytest.mark.parametrize(("N", "d"), DISTINCT)
def test_rows_alike_upstream_gradient_gives_zero(N, d, eps):
    """G = 1c: ∂L/∂γ = 0, ∂L/∂β = Nc, and ∂L/∂X = 0; autograd and finite differences agree."""
    X, gamma, beta, G = random_batch(N, d)
    c = G[:1]  # 1×d
    G_alike = np.ones((N, 1)) @ c
    grad_batch, grad_gamma, grad_beta = batch_norm_vjp(X, gamma, G_alike, eps)
    _, s = normalize_columns(X, eps)
    size = np.max(np.abs(G_alike * gamma / s))  # what the inference form would give
    assert np.max(np.abs(grad_batch)) < 1e-13 * size
    assert np.max(np.abs(grad_gamma)) < 1e-13 * np.max(np.abs(c))
    assert_close("∂L/∂β = Nc", grad_beta, N * c, 1e-14)
    by_autograd = autograd_vjp(lambda X: batch_norm_reference(X, gamma, beta, eps), X, G_alike)
    assert np.max(np.abs(by_autograd)) < 1e-12 * size
    numeric = G_alike.ravel() @ numerical_jacobian(lambda X: batch_norm(X, gamma, beta, eps), X)
    assert np.max(np.abs(numeric)) < 1e-7 * size
    blocks = batch_norm_blocks(X, gamma, eps)  # B_i 1 = 0, column by column
    assert np.max(np.abs(blocks @ np.ones(N))) < 1e-13 * np.max(np.abs(blocks))


@pytest.mark.parametrize("eps", [1e-5, 0.1, 0.5])
@pytest.mark.parametrize(("N", "d"), DISTINCT)
def test_upstream_gradient_along_x_hat(N, d, eps):
    """G = X̂ Diag(k): ∂L/∂X = X̂ Diag(kγε/s³), of relative size ε/(σ² + ε)."""
    X, gamma, beta, _ = random_batch(N, d)
    k = np.random.default_rng(d).standard_normal((1, d))
    X_hat, s = normalize_columns(X, eps)
    G_along = X_hat * k
    ours = batch_norm_vjp_along_x_hat(X, gamma, k, eps)
    assert ours.shape == (N, d)
    assert_close("vs batch_norm_vjp", ours, batch_norm_vjp(X, gamma, G_along, eps)[0], 1e-9)
    by_autograd = autograd_vjp(lambda X: batch_norm_reference(X, gamma, beta, eps), X, G_along)
    assert_close("vs autograd", ours, by_autograd, 1e-8 if eps < 1e-3 else AUTODIFF_TOLERANCE)
    if eps >= 0.1:  # large enough for central differences to resolve it
        numeric = G_along.ravel() @ numerical_jacobian(lambda X: batch_norm(X, gamma, beta, eps), X)
        assert_close(
            "vs finite differences", ours, numeric.reshape(N, d), FINITE_DIFFERENCE_TOLERANCE
        )
    variance = np.var(X, axis=0, keepdims=True)
    per_column = np.max(np.abs(ours), axis=0) / np.max(np.abs(G_along * gamma / s), axis=0)
    assert_close("relative size ε/(σ²+ε)", per_column, (eps / (variance + eps)).ravel(), 1e-9)


@pytest.mark.parametrize(("N", "d"), DISTINCT)
def test_upstream_gradient_along_x_hat_gives_zero_without_eps(N, d):
    X, gamma, beta, _ = random_batch(N, d)
    k = np.random.default_rng(d).standard_normal((1, d))
    X_hat, s = normalize_columns(X, 0.0)
    assert not batch_norm_vjp_along_x_hat(X, gamma, k, 0.0).any()
    size = np.max(np.abs(X_hat * k * gamma / s))
    assert np.max(np.abs(batch_norm_vjp(X, gamma, X_hat * k, 0.0)[0])) < 1e-13 * size
    by_autograd = autograd_vjp(lambda X: batch_norm_reference(X, gamma, beta, 0.0), X, X_hat * k)
    assert np.max(np.abs(by_autograd)) < 1e-12 * size


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("batchnorm")
    sizes = [line for line in lines if line.startswith("G = X̂ Diag(k): ∂L/∂X is ")]
    checks = [line for line in lines if "DIFFERS" not in line and line not in sizes]
    mistakes = [line.split(":")[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 16 and all(line.endswith(("matches", ": True")) for line in checks)
    assert len(sizes) == 1 and float(sizes[0].split()[-4]) < 1e-4, "ε/(σ² + ε) of the direct term"
    assert mistakes == ["G Diag(γ/s) (inference form in training)"], (
        "the common mistake must still fail"
    )


def test_extra_training_terms_vanish_in_a_column_with_gamma_zero():
    """With γ_j = 0 column j of ∂L/∂X is G Diag(γ/s)'s (both 0) though ∂L/∂γ_j, ∂L/∂β_j are not."""
    rng = np.random.default_rng(11)
    N, d, eps = 5, 3, 1e-5
    X, G = rng.standard_normal((N, d)), rng.standard_normal((N, d))
    gamma = np.array([[1.5, 0.0, -0.7]])
    grad_X, grad_gamma, grad_beta = batch_norm_vjp(X, gamma, G, eps)
    diagonal_form = batch_norm_inference_vjp(gamma, X.var(axis=0, keepdims=True), G, eps)
    assert abs(grad_gamma[0, 1]) > 1e-3 and abs(grad_beta[0, 1]) > 1e-3
    np.testing.assert_array_equal(grad_X[:, 1], 0.0)
    np.testing.assert_array_equal(diagonal_form[:, 1], 0.0)
    for j in (0, 2):
        assert relative_error(grad_X[:, j], diagonal_form[:, j]) > 1e-2
