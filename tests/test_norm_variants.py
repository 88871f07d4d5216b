"""docs/norm_variants.md ↔ snippets/norm_variants.py: spatial batch norm, group norm, RMSNorm.

Each Jacobian and VJP is checked against finite differences and against autograd differentiating
a forward pass written again in autograd.numpy, on a few small shapes; the parameter gradients the
same way. ε = 0.5 appears among the cases so that a misplaced ε cannot hide.
"""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.norm_variants import (
    block_diagonal,
    from_rows,
    group_figure,
    group_norm,
    group_norm_jacobian,
    group_norm_vjp,
    group_normalize,
    per_channel,
    rms,
    rms_figure,
    rms_norm,
    rms_norm_jacobian,
    rms_norm_vjp,
    spatial_batch_norm,
    spatial_batch_norm_blocks,
    spatial_batch_norm_jacobian,
    spatial_batch_norm_vjp,
    structure_figure,
    to_rows,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo


def draw(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


# --- spatial batch norm


def spatial_reference(x, gamma, beta, eps):
    """Training-mode spatial batch norm in autograd.numpy, statistics over axes 0, 2, 3."""
    C = x.shape[1]
    mu = anp.mean(x, axis=(0, 2, 3), keepdims=True)
    variance = anp.mean((x - mu) ** 2, axis=(0, 2, 3), keepdims=True)
    scale, shift = anp.reshape(gamma, (1, C, 1, 1)), anp.reshape(beta, (1, C, 1, 1))
    return scale * (x - mu) / anp.sqrt(variance + eps) + shift


SPATIAL = [(2, 3, 4, 5, 1e-5), (3, 2, 1, 4, 0.5), (1, 4, 3, 2, 1e-5)]  # (N, C, h, w, ε)


@pytest.mark.parametrize(("N", "C", "h", "w", "eps"), SPATIAL)
def test_spatial_batch_norm_jacobian_and_vjp(N, C, h, w, eps):
    x, gamma, beta, g = draw([N, C, h, w], (N, C, h, w), (1, C), (1, C), (N, C, h, w))
    grad_x, grad_gamma, grad_beta = spatial_batch_norm_vjp(x, gamma, g, eps)

    def forward(z):
        return spatial_batch_norm(z, gamma, beta, eps)

    def reference(z):
        return spatial_reference(z, gamma, beta, eps)

    check_jacobian(
        "spatial_batch_norm_jacobian",
        spatial_batch_norm_jacobian(x, gamma, eps),
        forward,
        reference,
        x,
    )
    check_vjp("spatial_batch_norm_vjp", grad_x, forward, reference, x, g)
    check_vjp(
        "spatial ∂L/∂γ",
        grad_gamma,
        lambda c: spatial_batch_norm(x, c, beta, eps),
        lambda c: spatial_reference(x, c, beta, eps),
        gamma,
        g,
    )
    check_vjp(
        "spatial ∂L/∂β",
        grad_beta,
        lambda c: spatial_batch_norm(x, gamma, c, eps),
        lambda c: spatial_reference(x, gamma, c, eps),
        beta,
        g,
    )
    assert np.max(np.abs(grad_x.sum(axis=(0, 2, 3)))) < 1e-12 * np.max(np.abs(grad_x))


def test_the_reshape_puts_each_channel_in_a_column():
    N, C, h, w = 2, 3, 4, 5
    x = np.arange(N * C * h * w, dtype=float).reshape(N, C, h, w)
    X = to_rows(x)
    assert X.shape == (N * h * w, C)
    assert np.array_equal(X[:, 1], x[:, 1].ravel()), "column c is channel c, in numpy's order"
    assert np.array_equal(X[(1 * h + 2) * w + 3], x[1, :, 2, 3]), "row (a, p, q)"
    assert np.array_equal(from_rows(X, x.shape), x)


def test_spatial_blocks_are_the_reordered_jacobian():
    N, C, h, w, eps = 2, 3, 1, 4, 1e-5
    x, gamma = draw(7, (N, C, h, w), (1, C))
    where = to_rows(np.arange(x.size).reshape(x.shape))  # M×C
    by_channel = where.T.ravel()
    jacobian = spatial_batch_norm_jacobian(x, gamma, eps)
    blocks = spatial_batch_norm_blocks(x, gamma, eps)
    assert blocks.shape == (C, N * h * w, N * h * w)
    assert_close("P J Pᵀ", jacobian[np.ix_(by_channel, by_channel)], block_diagonal(blocks), 1e-15)
    assert np.max(np.abs(blocks @ np.ones(N * h * w))) < 1e-12 * np.max(np.abs(blocks))


# --- group norm


def group_reference(x, gamma, beta, K, eps):
    """Group norm in autograd.numpy: statistics over axes 2, 3, 4 of the N×K×(C/K)×h×w view."""
    N, C, h, w = x.shape
    grouped = anp.reshape(x, (N, K, C // K, h, w))
    mu = anp.mean(grouped, axis=(2, 3, 4), keepdims=True)
    variance = anp.mean((grouped - mu) ** 2, axis=(2, 3, 4), keepdims=True)
    x_hat = anp.reshape((grouped - mu) / anp.sqrt(variance + eps), (N, C, h, w))
    return anp.reshape(gamma, (1, C, 1, 1)) * x_hat + anp.reshape(beta, (1, C, 1, 1))


GROUPS = [(2, 6, 3, 1, 4, 1e-5), (3, 4, 2, 5, 1, 0.5), (1, 8, 4, 2, 3, 1e-5)]  # (N, C, K, h, w, ε)


@pytest.mark.parametrize(("N", "C", "K", "h", "w", "eps"), GROUPS)
def test_group_norm_jacobian_and_vjp(N, C, K, h, w, eps):
    x, gamma, beta, g = draw([N, C, K, h, w], (N, C, h, w), (1, C), (1, C), (N, C, h, w))
    grad_x, grad_gamma, grad_beta = group_norm_vjp(x, gamma, g, K, eps)

    def forward(z):
        return group_norm(z, gamma, beta, K, eps)

    def reference(z):
        return group_reference(z, gamma, beta, K, eps)

    check_jacobian(
        "group_norm_jacobian", group_norm_jacobian(x, gamma, K, eps), forward, reference, x
    )
    check_vjp("group_norm_vjp", grad_x, forward, reference, x, g)
    check_vjp(
        "group ∂L/∂γ",
        grad_gamma,
        lambda c: group_norm(x, c, beta, K, eps),
        lambda c: group_reference(x, c, beta, K, eps),
        gamma,
        g,
    )
    check_vjp(
        "group ∂L/∂β",
        grad_beta,
        lambda c: group_norm(x, gamma, c, K, eps),
        lambda c: group_reference(x, gamma, c, K, eps),
        beta,
        g,
    )


def test_group_norm_is_block_diagonal_and_each_example_is_alone():
    N, C, K, h, w, eps = 2, 6, 3, 1, 4, 1e-5
    x, gamma = draw(3, (N, C, h, w), (1, C))
    jacobian = group_norm_jacobian(x, gamma, K, eps)
    m = x.size // (N * K)
    outside = jacobian.copy()
    for e in range(N * K):
        outside[e * m : (e + 1) * m, e * m : (e + 1) * m] = 0
    assert not outside.any()
    x_hat, s = group_normalize(x, K, eps)
    assert s.shape == (N * K, 1)
    rows = x_hat.reshape(N * K, m)
    assert np.max(np.abs(rows.mean(axis=1))) < 1e-14, "each group centred"


def test_gamma_applied_after_is_wrong_unless_a_group_shares_one_gamma():
    N, C, K, h, w, eps = 2, 6, 3, 1, 4, 1e-5
    x, g = draw(5, (N, C, h, w), (N, C, h, w))
    shared = np.repeat(np.array([[1.5, -0.4, 0.8]]), C // K, axis=1)  # one γ per group, 1×6
    varied = shared + np.arange(C) / 10  # different γ within each group
    ones = np.ones((1, C))
    for gamma, alike in ((shared, True), (varied, False)):
        after = group_norm_vjp(x, ones, g, K, eps)[0] * per_channel(gamma)
        right = group_norm_vjp(x, gamma, g, K, eps)[0]
        assert np.allclose(after, right, rtol=1e-12, atol=1e-12) == alike


# --- RMSNorm


def rms_reference(X, gamma, eps):
    return gamma * X / anp.sqrt(anp.mean(X**2, axis=1, keepdims=True) + eps)


@pytest.mark.parametrize(("n", "eps"), [(3, 1e-5), (6, 0.5), (11, 1e-5)])
def test_rms_norm_jacobian(n, eps):
    x, gamma = draw(n, (1, n), (1, n))
    jacobian = rms_norm_jacobian(x, gamma, eps)
    check_jacobian(
        "rms_norm_jacobian",
        jacobian,
        lambda z: rms_norm(z, gamma, eps),
        lambda z: rms_reference(z, gamma, eps),
        x,
    )
    rho = rms(x, eps)
    x_hat = x / rho
    rank_one = np.diag((gamma / rho).ravel()) - jacobian
    assert_close("the rank-one term", rank_one, (gamma * x_hat).T @ x_hat / (n * rho), 1e-13)
    assert np.linalg.matrix_rank(rank_one) == 1


@pytest.mark.parametrize(("N", "n", "eps"), [(1, 4, 1e-5), (3, 5, 0.5), (6, 2, 1e-5)])
def test_rms_norm_vjp(N, n, eps):
    X, gamma, G = draw([N, n], (N, n), (1, n), (N, n))
    grad_batch, grad_gamma = rms_norm_vjp(X, gamma, G, eps)
    check_vjp(
        "rms_norm_vjp",
        grad_batch,
        lambda Z: rms_norm(Z, gamma, eps),
        lambda Z: rms_reference(Z, gamma, eps),
        X,
        G,
    )
    check_vjp(
        "rms ∂L/∂γ",
        grad_gamma,
        lambda c: rms_norm(X, c, eps),
        lambda c: rms_reference(X, c, eps),
        gamma,
        G,
    )


def test_rms_constant_rho_differs_along_x_hat_only():
    N, n, eps = 3, 5, 1e-5
    X, gamma, G = draw(2, (N, n), (1, n), (N, n))
    rho = rms(X, eps)
    difference = G * gamma / rho - rms_norm_vjp(X, gamma, G, eps)[0]
    X_hat = X / rho
    expected = np.mean(G * gamma * X_hat, axis=1, keepdims=True) * X_hat / rho
    assert_close("ρ-constant error is along x̂", difference, expected, 1e-12)


def test_rms_scale_invariance_up_to_eps():
    n = 5
    x, gamma = draw(9, (1, n), (1, n))
    jacobian = rms_norm_jacobian(x, gamma, 0.0)
    assert np.max(np.abs(jacobian @ x.T)) < 1e-13 * np.max(np.abs(jacobian)), "ε = 0: x is null"
    assert np.abs(jacobian.sum(axis=1)).max() > 1e-3, "no centring: rows do not sum to zero"


# --- the page


def test_the_figures_draw_what_the_page_says():
    spatial, group, rms_picture = structure_figure(), group_figure(), rms_figure()
    assert spatial.matrix.shape == (18, 18) and spatial.blocks == ((9, 9),) * 2
    assert spatial.at[0, 0, 0, 0] == 0.2, "the drawn point: sin(1.3 i) + 0.2"
    assert spatial.matrix[9, 9] < 0 < spatial.matrix[0, 0], (
        "γ = (1.4, −0.7): the second block flips"
    )
    assert group.matrix.shape == (18, 18) and group.blocks == ((9, 9),) * 2
    signs = np.sign(np.diag(group.matrix)).reshape(6, 3)[:, 0]  # each channel's γ_c
    assert np.array_equal(signs, [1, 1, -1, 1, 1, -1]), "γ = (1.2, 0.6, −0.9, 1.5, 0.8, −1.1)"
    assert rms_picture.matrix.shape == (6, 6)
    assert np.array_equal(np.sign(rms_picture.at), [[1, -1, 1, 1, -1, 1]])
    assert np.array_equal(np.sign(np.diag(rms_picture.matrix)), [1, 1, -1, 1, 1, 1]), "γ's signs"
    assert not np.allclose(rms_picture.matrix, rms_picture.matrix.T), "γ makes it unsymmetric"


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("norm_variants")
    differs = [line.split(":")[0] for line in lines if "DIFFERS" in line]
    assert differs == [
        "batch norm's VJP on x.reshape(-1, C)",
        "VJP of g, then times γ",
        "g ∘ γ/ρ (ρ held constant)",
    ], "every common mistake must still fail"
    assert "x.reshape(-1, C) keeps channels apart: False" in lines
    matches = [line for line in lines if line.endswith(": matches")]
    assert len(matches) == 15 and len(lines) == 19


def test_the_forward_passes_have_their_values():
    """Derivatives do not see an added constant: pin each layer's output to its reference."""
    N, C, K, h, w, eps = 2, 6, 3, 4, 5, 1e-5
    x, gamma, beta = draw(8, (N, C, h, w), (1, C), (1, C))
    assert_close(
        "spatial",
        spatial_batch_norm(x, gamma, beta, eps),
        spatial_reference(x, gamma, beta, eps),
        1e-14,
    )
    assert_close(
        "group",
        group_norm(x, gamma, beta, K, eps),
        group_reference(x, gamma, beta, K, eps),
        1e-14,
    )
    X, scale = x.reshape(N * C, h * w), draw(9, (1, h * w))[0]
    assert_close("rms", rms_norm(X, scale, eps), rms_reference(X, scale, eps), 1e-14)
