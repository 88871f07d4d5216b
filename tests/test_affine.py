"""docs/affine.md ↔ snippets/affine.py: the affine layer's Jacobians, Kronecker form and VJPs."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.affine import (
    affine,
    affine_bias_jacobian,
    affine_input_jacobian,
    affine_vjp,
    affine_weight_jacobian,
    mean_squared_error,
    mean_squared_error_gradient,
    vec,
)
from snippets.gradcheck import numerical_jacobian
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo

SHAPES = [(1, 1, 1), (1, 4, 3), (3, 2, 5), (8, 5, 2), (3, 17, 4)]  # (N, n, m)


def affine_reference(X, W, b):
    """R = XW + b again, written with autograd.numpy, row by row."""
    rows = [anp.sum(X[a][:, None] * W, axis=0) for a in range(X.shape[0])]
    return anp.stack(rows) + b


def mean_squared_error_reference(R, T):
    return anp.sum((R - T) ** 2) / (2 * R.shape[0])


def random_layer(N, n, m):
    rng = np.random.default_rng([N, n, m])
    X, W, b = rng.standard_normal((N, n)), rng.standard_normal((n, m)), rng.standard_normal((1, m))
    return X, W, b, rng.standard_normal((N, m))


@pytest.mark.parametrize(("N", "n", "m"), SHAPES)
def test_input_jacobian(N, n, m):
    X, W, b, _ = random_layer(N, n, m)
    x = X[:1]
    check_jacobian(
        "affine_input_jacobian",
        affine_input_jacobian(W),
        lambda x: affine(x, W, b),
        lambda x: affine_reference(x, W, b),
        x,
    )


@pytest.mark.parametrize(("N", "n", "m"), SHAPES)
def test_weight_jacobian(N, n, m):
    X, W, b, _ = random_layer(N, n, m)
    jacobian = affine_weight_jacobian(X, m)
    assert jacobian.shape == (N, m, n, m)
    check_jacobian(
        "affine_weight_jacobian",
        jacobian.reshape(N * m, n * m),
        lambda W: affine(X, W, b),
        lambda W: affine_reference(X, W, b),
        W,
    )


@pytest.mark.parametrize(("N", "n", "m"), SHAPES)
def test_bias_jacobian(N, n, m):
    X, W, b, _ = random_layer(N, n, m)
    jacobian = affine_bias_jacobian(N, m)
    assert jacobian.shape == (N, m, m)
    check_jacobian(
        "affine_bias_jacobian",
        jacobian.reshape(N * m, m),
        lambda b: affine(X, W, b),
        lambda b: affine_reference(X, W, b),
        b,
    )


@pytest.mark.parametrize(("N", "n", "m"), SHAPES)
@pytest.mark.parametrize(("argument", "position"), [("X", 0), ("W", 1), ("b", 2)])
def test_vjp(N, n, m, argument, position):
    X, W, b, G = random_layer(N, n, m)
    arguments = [X, W, b]

    def with_argument(forward):
        def f(value):
            replaced = list(arguments)
            replaced[position] = value
            return forward(*replaced)

        return f

    check_vjp(
        f"affine_vjp w.r.t. {argument}",
        affine_vjp(X, W, G)[position],
        with_argument(affine),
        with_argument(affine_reference),
        arguments[position],
        G,
    )


@pytest.mark.parametrize(("N", "n", "m"), SHAPES)
def test_weight_jacobian_is_a_kronecker_product_in_both_vec_orders(N, n, m):
    X, W, _, _ = random_layer(N, n, m)
    jacobian = affine_weight_jacobian(X, m)
    row_major = jacobian.reshape(N * m, n * m)
    column_major = jacobian.reshape(N * m, n * m, order="F")
    assert_close("row-major: X ⊗ I_m", row_major, np.kron(X, np.eye(m)), 0)
    assert_close("column-major: I_m ⊗ X", column_major, np.kron(np.eye(m), X), 0)
    assert_close("vec(XW) = (I ⊗ X) vec W", vec(X @ W), np.kron(np.eye(m), X) @ vec(W), 1e-12)
    assert_close("vec stacks columns", vec(W)[:n, 0], W[:, 0], 0)


@pytest.mark.parametrize(("N", "n", "m"), SHAPES)
def test_batch_input_and_bias_jacobians_are_the_kronecker_products_on_the_page(N, n, m):
    X, W, b, _ = random_layer(N, n, m)
    numeric_x = numerical_jacobian(lambda X: affine(X, W, b), X)
    numeric_b = numerical_jacobian(lambda b: affine(X, W, b), b)
    assert_close("∂R/∂X = I_N ⊗ Wᵀ", np.kron(np.eye(N), W.T), numeric_x, 1e-6)
    assert_close("∂R/∂b = 1 ⊗ I_m", np.kron(np.ones((N, 1)), np.eye(m)), numeric_b, 1e-6)
    assert_close("∂R/∂b, stacked", affine_bias_jacobian(N, m).reshape(N * m, m), numeric_b, 1e-6)


@pytest.mark.parametrize(("N", "n", "m"), SHAPES)
def test_mean_loss_gradient_carries_one_over_n(N, n, m):
    X, W, b, T = random_layer(N, n, m)
    R = affine(X, W, b)
    assert abs(mean_squared_error(R, T) - mean_squared_error_reference(R, T)) < 1e-12
    check_vjp(
        "mean_squared_error_gradient",
        mean_squared_error_gradient(R, T),
        lambda R: mean_squared_error(R, T),
        lambda R: mean_squared_error_reference(R, T),
        R,
        1.0,
    )
    check_vjp(
        "Xᵀ G for the mean loss",
        affine_vjp(X, W, mean_squared_error_gradient(R, T))[1],
        lambda W: mean_squared_error(affine(X, W, b), T),
        lambda W: mean_squared_error_reference(affine_reference(X, W, b), T),
        W,
        1.0,
    )


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("affine")
    checks, mistakes = lines[:12], lines[12:]
    assert all(line.endswith(": matches") for line in checks), checks
    assert len(mistakes) == 3, mistakes
    assert mistakes[0].startswith("g W (W for Wᵀ): matmul:") and "mismatch" in mistakes[0]
    assert "DIFFERS, shape (3, 4) but expected (4, 3)" in mistakes[1]
    assert mistakes[2].endswith("DIFFERS, relative error 4"), "the sum is N = 5 times the mean"


@pytest.mark.parametrize(("N", "n", "m"), SHAPES)
def test_column_convention_tab(N, n, m):
    """The Column-vectors tab, literally: x n×1, r = Wᵀx + b, ∇_x L = W ∇_r L, ∇_W L = x ∇_r Lᵀ."""
    X, W, b, G = random_layer(N, n, m)
    row_x, row_w, row_b = affine_vjp(X[:1], W, G[:1])
    x, grad_r, b_column = X[:1].T, G[:1].T, b.T  # n×1, m×1, m×1
    assert_close("r = Wᵀx + b", W.T @ x + b_column, affine(X[:1], W, b).T, 1e-12)
    assert_close("∇_x L = W ∇_r L", W @ grad_r, row_x.T, 1e-12)
    assert_close("∇_W L = x (∇_r L)ᵀ (W keeps its shape)", x @ grad_r.T, row_w, 1e-12)
    assert_close("∇_b L = ∇_r L", grad_r, row_b.T, 1e-12)
    # A batch as columns: X_c = Xᵀ (n×N), Γ = ∇_R L as columns (m×N)
    batch_x, batch_w, batch_b = affine_vjp(X, W, G)
    X_columns, gamma = X.T, G.T
    assert_close("∇_X L = W Γ", W @ gamma, batch_x.T, 1e-12)
    assert_close("∇_W L = X_c Γᵀ", X_columns @ gamma.T, batch_w, 1e-12)
    assert_close("∇_b L = Γ 1", gamma @ np.ones((N, 1)), batch_b.T, 1e-12)
