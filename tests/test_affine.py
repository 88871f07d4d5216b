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
    column_affine,
    column_affine_jacobians,
    column_affine_vjp,
    mean_squared_error,
    mean_squared_error_gradient,
    vec,
)
from snippets.gradcheck import numerical_jacobian
from tests.gradients import (
    assert_close,
    check_jacobian,
    check_vjp,
    run_page_demo,
    with_argument,
)

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
    checks, mistakes, column_checks = lines[:12], lines[12:15], lines[15:]
    assert all(line.endswith(": matches") for line in checks), checks
    assert len(column_checks) == 5, column_checks
    assert all(line.endswith(": matches") for line in column_checks), column_checks
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


# Samples as columns: D = WX with W m×n, X n×N, G = ∂L/∂D m×N
COLUMN_SHAPES = [(3, 4, 5), (2, 5, 3), (4, 2, 7), (5, 3, 2)]  # (m, n, N), distinct, ≥ 2


def column_affine_reference(W, X):
    """D_lk = Σ_j W_lj X_jk again, one column of X at a time, for autograd."""
    return anp.stack([anp.sum(W * X[:, k], axis=1) for k in range(X.shape[1])], axis=1)


def random_column_layer(m, n, N):
    rng = np.random.default_rng([m, n, N, 7])
    return rng.standard_normal((m, n)), rng.standard_normal((n, N)), rng.standard_normal((m, N))


@pytest.mark.parametrize(("m", "n", "N"), COLUMN_SHAPES)
def test_column_jacobians(m, n, N):
    W, X, _ = random_column_layer(m, n, N)
    jacobian_w, jacobian_x = column_affine_jacobians(W, X)
    assert jacobian_w.shape == (m, N, m, n) and jacobian_x.shape == (m, N, n, N)
    check_jacobian(
        "∂D/∂W = δ_li X_jk",
        jacobian_w.reshape(m * N, m * n),
        lambda V: column_affine(V, X),
        lambda V: column_affine_reference(V, X),
        W,
    )
    check_jacobian(
        "∂D/∂X = W_lj δ_kc",
        jacobian_x.reshape(m * N, n * N),
        lambda V: column_affine(W, V),
        lambda V: column_affine_reference(W, V),
        X,
    )


@pytest.mark.parametrize(("m", "n", "N"), COLUMN_SHAPES)
@pytest.mark.parametrize(("argument", "position"), [("W", 0), ("X", 1)])
def test_column_vjp(m, n, N, argument, position):
    W, X, G = random_column_layer(m, n, N)
    arguments = [W, X]
    ours = column_affine_vjp(W, X, G)[position]
    assert ours.shape == arguments[position].shape
    check_vjp(
        f"column_affine_vjp w.r.t. {argument}",
        ours,
        with_argument(column_affine, arguments, position),
        with_argument(column_affine_reference, arguments, position),
        arguments[position],
        G,
    )


@pytest.mark.parametrize(("m", "n", "N"), COLUMN_SHAPES)
def test_column_vjp_entry_by_entry(m, n, N):
    """∂L/∂W_ij = Σ_k G_ik X_jk and ∂L/∂X_jc = Σ_i W_ij G_ic, summed one entry at a time, and
    G contracted with the 4th-order Jacobians; the row result transposed agrees as well."""
    W, X, G = random_column_layer(m, n, N)
    gw, gx = column_affine_vjp(W, X, G)
    by_entry_w = [[sum(G[i, k] * X[j, k] for k in range(N)) for j in range(n)] for i in range(m)]
    by_entry_x = [[sum(W[i, j] * G[i, c] for i in range(m)) for c in range(N)] for j in range(n)]
    assert_close("Σ_k G_ik X_jk", gw, np.array(by_entry_w), 1e-12)
    assert_close("Σ_i W_ij G_ic", gx, np.array(by_entry_x), 1e-12)
    jacobian_w, jacobian_x = column_affine_jacobians(W, X)
    assert_close("G : ∂D/∂W", gw, np.einsum("lk,lkij->ij", G, jacobian_w), 1e-12)
    assert_close("G : ∂D/∂X", gx, np.einsum("lk,lkjc->jc", G, jacobian_x), 1e-12)
    row_x, row_w, _ = affine_vjp(X.T, W.T, G.T)  # the same layer with samples as rows
    assert_close("(X_row^T G_R)^T = G Xᵀ", row_w.T, gw, 1e-12)
    assert_close("(G_R W_row^T)^T = Wᵀ G", row_x.T, gx, 1e-12)
