"""docs/batchnorm.md ↔ snippets/batchnorm.py: the coupled batch-norm Jacobian and its VJP."""

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
    block_diagonal,
    by_column,
    normalize_columns,
)
from snippets.gradcheck import numerical_jacobian
from tests.gradients import (
    FINITE_DIFFERENCE_TOLERANCE,
    assert_close,
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
    gamma, G = np.ones((1, 2)), np.ones((4, 2))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        grads = batch_norm_vjp(X, gamma, G, 1e-5)
        Y = batch_norm(X, gamma, np.zeros((1, 2)), 1e-5)
    assert all(np.all(np.isfinite(grad)) for grad in grads) and np.all(np.isfinite(Y))
    assert np.array_equal(Y[:, 0], np.zeros(4)), "a constant column normalizes to 0 thanks to ε"
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


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("batchnorm")
    checks = [line for line in lines if "DIFFERS" not in line]
    mistakes = [line.split(":")[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 7 and all(line.endswith("matches") for line in checks)
    assert mistakes == ["G Diag(γ/s) (inference form in training)"], (
        "the common mistake must still fail"
    )
