"""docs/layernorm.md ↔ snippets/layernorm.py: the layer-norm Jacobian and its three-term VJP."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.gradcheck import numerical_jacobian
from snippets.layernorm import (
    layer_norm,
    layer_norm_jacobian,
    layer_norm_vjp,
    layer_norm_vjp_along_x_hat,
    normalize_rows,
    normalized_jacobian,
)
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

# (N, n). Not n = 2: a row of two normalizes to about (−1, 1) whatever x is, so its Jacobian is
# of order ε and a relative error against finite differences means nothing.
SHAPES = [(1, 1), (1, 3), (1, 5), (1, 17), (3, 4), (8, 5)]
EPSILONS = [1e-5, 0.5]  # the page's ε, and one large enough that a misplaced ε cannot hide
DISTINCT = [(2, 5), (4, 3), (3, 7), (5, 17)]  # (N, n) pairwise distinct, n ≥ 3 (see above)


def normalized_reference(X, eps):
    """(x − μ)/√(σ² + ε) row by row, with σ² = mean(x²) − μ², written again for autograd."""
    n = X.shape[1]
    mu = anp.sum(X, axis=1, keepdims=True) / n
    variance = anp.sum(X * X, axis=1, keepdims=True) / n - mu * mu
    return (X - mu) / anp.sqrt(variance + eps)


def layer_norm_reference(X, gamma, beta, eps):
    return gamma * normalized_reference(X, eps) + beta


def random_layer(N, n):
    rng = np.random.default_rng([N, n])
    X = 3 * rng.standard_normal((N, n)) + rng.standard_normal((N, 1))  # rows with their own μ, σ
    return X, rng.standard_normal((1, n)), rng.standard_normal((1, n)), rng.standard_normal((N, n))


@pytest.mark.parametrize("eps", EPSILONS)
@pytest.mark.parametrize("n", [1, 3, 5, 17])
def test_normalized_jacobian(n, eps):
    x = random_layer(1, n)[0]
    check_jacobian(
        "normalized_jacobian",
        normalized_jacobian(x, eps),
        lambda x: normalize_rows(x, eps)[0],
        lambda x: normalized_reference(x, eps),
        x,
    )


@pytest.mark.parametrize("eps", EPSILONS)
@pytest.mark.parametrize("n", [1, 3, 5, 17])
def test_layer_norm_jacobian(n, eps):
    x, gamma, beta, _ = random_layer(1, n)
    check_jacobian(
        "layer_norm_jacobian",
        layer_norm_jacobian(x, gamma, eps),
        lambda x: layer_norm(x, gamma, beta, eps),
        lambda x: layer_norm_reference(x, gamma, beta, eps),
        x,
    )


@pytest.mark.parametrize("eps", EPSILONS)
@pytest.mark.parametrize("n", [3, 5, 17])
def test_jacobian_structure(n, eps):
    """Symmetric, 1 in its null space (rank n − 1), x̂ an eigenvector with eigenvalue ε/((σ²+ε)s)."""
    x = random_layer(1, n)[0]
    jacobian = normalized_jacobian(x, eps)
    x_hat, s = normalize_rows(x, eps)
    variance = np.var(x)
    scale = np.max(np.abs(jacobian))
    assert_close("symmetric", jacobian, jacobian.T, 1e-15)
    assert np.max(np.abs(jacobian @ np.ones(n))) < 1e-14 * scale, "rows must sum to zero"
    assert np.linalg.matrix_rank(jacobian) == n - 1, "the null space is spanned by 1 alone"
    eigenvalue = eps / ((variance + eps) * s[0, 0])
    assert_close("J x̂ᵀ = ε/((σ²+ε)s) x̂ᵀ", jacobian @ x_hat.T, eigenvalue * x_hat.T, 1e-9)
    centring = np.eye(n) - np.ones((n, n)) / n
    rank_one = (centring / s[0, 0] - jacobian) * n * s[0, 0]
    assert_close("the rank-one part is x̂ᵀx̂", rank_one, np.outer(x_hat, x_hat), 1e-12)


@pytest.mark.parametrize("N", [1, 3, 8])
def test_batch_jacobian_is_block_diagonal(N):
    X, gamma, beta, _ = random_layer(N, 4)
    blocks = np.zeros((4 * N, 4 * N))
    for a in range(N):
        blocks[4 * a : 4 * a + 4, 4 * a : 4 * a + 4] = layer_norm_jacobian(
            X[a : a + 1], gamma, 1e-5
        )
    numeric = numerical_jacobian(lambda X: layer_norm(X, gamma, beta, 1e-5), X)
    assert_close("batch Jacobian", blocks, numeric, FINITE_DIFFERENCE_TOLERANCE)


@pytest.mark.parametrize("eps", EPSILONS)
@pytest.mark.parametrize(("N", "n"), SHAPES)
@pytest.mark.parametrize(("argument", "position"), [("X", 0), ("gamma", 1), ("beta", 2)])
def test_vjp(N, n, eps, argument, position):
    X, gamma, beta, G = random_layer(N, n)
    arguments = [X, gamma, beta]

    check_vjp(
        f"layer_norm_vjp w.r.t. {argument}",
        layer_norm_vjp(X, gamma, G, eps)[position],
        with_argument(layer_norm, arguments, position, eps),
        with_argument(layer_norm_reference, arguments, position, eps),
        arguments[position],
        G,
    )


@pytest.mark.parametrize(("N", "n"), SHAPES)
def test_gradient_rows_sum_to_zero_and_the_shortcut_does_not(N, n):
    """1 is in the Jacobian's null space, so each row of ∂L/∂X sums to 0; g ∘ γ / s does not."""
    X, gamma, _, G = random_layer(N, n)
    grad = layer_norm_vjp(X, gamma, G, 1e-5)[0]
    assert np.max(np.abs(grad.sum(axis=1))) < 1e-12 * np.max(np.abs(grad) + 1)
    shortcut = G * gamma / normalize_rows(X, 1e-5)[1]
    assert np.min(np.abs(shortcut.sum(axis=1))) > 1e-6


@pytest.mark.parametrize(("N", "n"), SHAPES)
def test_forward_matches_the_definition(N, n):
    X, gamma, beta, _ = random_layer(N, n)
    Y = layer_norm(X, gamma, beta, 1e-5)
    assert relative_error(Y, layer_norm_reference(X, gamma, beta, 1e-5)) < 1e-12
    X_hat, s = normalize_rows(X, 1e-5)
    assert X_hat.shape == (N, n) and s.shape == (N, 1)
    assert np.max(np.abs(X_hat.mean(axis=1))) < 1e-14


def test_finite_for_constant_rows_and_large_offsets():
    X = np.array([[2.0, 2.0, 2.0, 2.0], [1e4, 1e4 + 1, 1e4 - 1, 1e4 + 2]])
    N, n = X.shape  # 2 rows of 4
    gamma, G = np.ones((1, n)), np.ones((N, n))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        grads = layer_norm_vjp(X, gamma, G, 1e-5)
        Y = layer_norm(X, gamma, np.zeros((1, n)), 1e-5)
    assert all(np.all(np.isfinite(grad)) for grad in grads) and np.all(np.isfinite(Y))
    assert np.array_equal(Y[0], np.zeros(n)), "a constant row normalizes to 0 thanks to ε"
    assert_close("offset removed", Y[1], normalize_rows(X[1:] - 1e4, 1e-5)[0][0], 1e-9)


@pytest.mark.parametrize("n", [1, 3, 5, 17])
def test_column_convention_tab(n):
    """J = (1/s)(I − 11ᵀ/n − x̂x̂ᵀ/n); ∇_x L = J(γ ∘ ∇_y L) = (1/s)(ĝ − (1ᵀĝ/n)1 − (x̂ᵀĝ/n)x̂)."""
    x, gamma, _, g = random_layer(1, n)
    eps = 1e-5
    x_hat_row, s_matrix = normalize_rows(x, eps)
    x_hat, s, gamma_column, gradient = x_hat_row.T, s_matrix[0, 0], gamma.T, g.T  # n×1 columns
    ones = np.ones((n, 1))
    g_hat = gamma_column * gradient
    jacobian = (np.eye(n) - ones @ ones.T / n - x_hat @ x_hat.T / n) / s
    jacobian_form = jacobian @ g_hat
    vjp_form = (g_hat - (ones.T @ g_hat) / n * ones - (x_hat.T @ g_hat) / n * x_hat) / s
    row_result = layer_norm_vjp(x, gamma, g, eps)[0]
    assert jacobian_form.shape == vjp_form.shape == (n, 1)
    assert_close("column tab, Jacobian form", jacobian_form, row_result.T, 1e-12)
    assert_close("column tab, VJP form", vjp_form, row_result.T, 1e-12)


@pytest.mark.parametrize("eps", EPSILONS)
@pytest.mark.parametrize(("N", "n"), DISTINCT)
def test_constant_upstream_gradient_of_x_hat_gives_zero(N, n, eps):
    """Ĝ = G ∘ γ = c1 (c N×1): 1(I − 11ᵀ/n) = 0 and 1x̂ᵀ = 0, so ∂L/∂X = 0; autograd agrees."""
    X, gamma, beta, G = random_layer(N, n)
    c = G[:, :1]  # N×1
    ones = np.ones((1, n))
    G_flat = c @ ones / gamma
    size = np.max(np.abs(c @ ones / normalize_rows(X, eps)[1]))  # Ĝ/s
    assert np.max(np.abs(layer_norm_vjp(X, gamma, G_flat, eps)[0])) < 1e-13 * size
    by_autograd = autograd_vjp(lambda X: layer_norm_reference(X, gamma, beta, eps), X, G_flat)
    assert np.max(np.abs(by_autograd)) < 1e-12 * size
    numeric = G_flat.ravel() @ numerical_jacobian(lambda X: layer_norm(X, gamma, beta, eps), X)
    assert np.max(np.abs(numeric)) < 1e-7 * size
    unit = np.ones((1, n))  # γ = 1: the upstream gradient G itself constant across each row
    assert np.max(np.abs(layer_norm_vjp(X, unit, c @ ones, eps)[0])) < 1e-13 * size
    for a in range(N):  # row by row: 1 is a left null vector of the symmetric ∂x̂/∂x
        jacobian = normalized_jacobian(X[a : a + 1], eps)
        assert np.max(np.abs(ones @ jacobian)) < 1e-13 * np.max(np.abs(jacobian))


@pytest.mark.parametrize(("N", "n"), DISTINCT)
def test_constant_upstream_gradient_with_a_learned_gamma_is_not_degenerate(N, n):
    """G = c1 with γ not constant: ∂L/∂x = (c/s)(γ − mean(γ)1 − mean(γ ∘ x̂)x̂), not 0."""
    X, gamma, beta, G = random_layer(N, n)
    c = G[:, :1]
    G_flat = c @ np.ones((1, n))
    X_hat, s = normalize_rows(X, 1e-5)
    formula = c / s * (gamma - gamma.mean() - np.mean(gamma * X_hat, axis=1, keepdims=True) * X_hat)
    ours = layer_norm_vjp(X, gamma, G_flat, 1e-5)[0]
    assert_close("(c/s)(γ − mean(γ) − mean(γ∘x̂)x̂)", ours, formula, 1e-12)
    check_vjp(
        "G = c1 with a learned γ",
        ours,
        lambda X: layer_norm(X, gamma, beta, 1e-5),
        lambda X: layer_norm_reference(X, gamma, beta, 1e-5),
        X,
        G_flat,
    )
    assert np.min(np.max(np.abs(ours), axis=1) / np.max(np.abs(c * gamma / s), axis=1)) > 0.01


@pytest.mark.parametrize("eps", [1e-5, 0.1, 0.5])
@pytest.mark.parametrize(("N", "n"), DISTINCT)
def test_upstream_gradient_of_x_hat_along_x_hat(N, n, eps):
    """Ĝ = Diag(k) X̂: ∂L/∂X = Diag(kε/s³) X̂, of relative size ε/(σ² + ε) per row."""
    X, gamma, beta, _ = random_layer(N, n)
    k = np.random.default_rng(n).standard_normal((N, 1))
    X_hat, s = normalize_rows(X, eps)
    G_along = k * X_hat / gamma
    ours = layer_norm_vjp_along_x_hat(X, k, eps)
    assert ours.shape == (N, n)
    assert_close("vs layer_norm_vjp", ours, layer_norm_vjp(X, gamma, G_along, eps)[0], 1e-9)
    by_autograd = autograd_vjp(lambda X: layer_norm_reference(X, gamma, beta, eps), X, G_along)
    # with ε = 1e-5 the result is a difference of numbers about 1e5 times larger
    assert_close("vs autograd", ours, by_autograd, 1e-8 if eps < 1e-3 else AUTODIFF_TOLERANCE)
    if eps >= 0.1:  # large enough for central differences to resolve it
        numeric = G_along.ravel() @ numerical_jacobian(lambda X: layer_norm(X, gamma, beta, eps), X)
        assert_close(
            "vs finite differences", ours, numeric.reshape(N, n), FINITE_DIFFERENCE_TOLERANCE
        )
    variance = np.var(X, axis=1)
    per_row = np.max(np.abs(ours), axis=1) / np.max(np.abs(k * X_hat / s), axis=1)
    assert_close("relative size ε/(σ²+ε)", per_row, eps / (variance + eps), 1e-9)


@pytest.mark.parametrize(("N", "n"), DISTINCT)
def test_upstream_gradient_of_x_hat_along_x_hat_gives_zero_without_eps(N, n):
    X, gamma, beta, _ = random_layer(N, n)
    k = np.random.default_rng(n).standard_normal((N, 1))
    X_hat, s = normalize_rows(X, 0.0)
    assert not layer_norm_vjp_along_x_hat(X, k, 0.0).any()
    size = np.max(np.abs(k * X_hat / s))
    G_along = k * X_hat / gamma
    assert np.max(np.abs(layer_norm_vjp(X, gamma, G_along, 0.0)[0])) < 1e-13 * size
    by_autograd = autograd_vjp(lambda X: layer_norm_reference(X, gamma, beta, 0.0), X, G_along)
    assert np.max(np.abs(by_autograd)) < 1e-12 * size


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("layernorm")
    sizes = [line for line in lines if ": ∂L/∂X is " in line]
    checks = [line for line in lines if "DIFFERS" not in line and line not in sizes]
    mistakes = [line.split(":")[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 13 and all(line.endswith(("matches", ": True")) for line in checks)
    assert [line.split(": ∂L/∂X is ")[0] for line in sizes] == [
        "the page's γ, G = c1",
        "Ĝ = Diag(k) X̂",
    ]
    assert float(sizes[0].split()[-3]) > 0.1, "a learned γ makes G = c1 an ordinary gradient"
    assert float(sizes[1].split()[-3]) < 1e-4, "ε/(σ² + ε) of Ĝ/s"
    assert mistakes == [
        "g ∘ γ / s (μ and σ held constant)",
        "(ĝ − mean(ĝ)) / s (σ held constant)",
    ], "both common mistakes must still fail"


def test_x_hat_unchanged_by_positive_factor_only_when_eps_is_0():
    """x̂(cx) = x̂(x) for c > 0 with ε = 0; a negative factor flips it: x̂(−x) = −x̂(x)."""
    x = np.random.default_rng(7).standard_normal((1, 5))
    x_hat = normalize_rows(x, 0.0)[0]
    assert_close("x̂(3x)", normalize_rows(3 * x, 0.0)[0], x_hat, 1e-14)
    assert_close("x̂(−2x)", normalize_rows(-2 * x, 0.0)[0], -x_hat, 1e-14)
    assert not np.allclose(normalize_rows(-2 * x, 0.0)[0], x_hat)


def test_first_part_is_direct_path_plus_mean():
    """(1/s)(I − 𝟏ᵀ𝟏/n), the Jacobian of (x − μ𝟏)/s with s held: the direct path I plus μ's."""
    eps, n = 1e-5, 5
    x = np.random.default_rng(8).standard_normal((1, n))
    _, s = normalize_rows(x, eps)
    first = (np.eye(n) - np.ones((n, n)) / n) / s
    held_s = numerical_jacobian(lambda z: (z - z.mean(axis=1, keepdims=True)) / s, x)
    assert_close("direct path + μ", first, held_s, FINITE_DIFFERENCE_TOLERANCE)
    mean_only = numerical_jacobian(
        lambda z: -z.mean(axis=1, keepdims=True) * np.ones((1, n)) / s, x
    )
    assert_close("μ's part alone", -np.ones((n, n)) / n / s, mean_only, FINITE_DIFFERENCE_TOLERANCE)
