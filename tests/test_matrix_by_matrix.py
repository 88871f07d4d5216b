"""docs/matrix_by_matrix.md ↔ snippets/matrix_by_matrix.py: ∂H/∂W, ∂ŷ/∂H and their contraction."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.matrix_by_matrix import (
    chain_of_jacobians,
    prediction_jacobian,
    product_jacobian,
    two_layer_loss,
    two_layer_vjp,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo

SHAPES = [(1, 1, 1), (5, 4, 3), (3, 2, 5), (8, 5, 2), (3, 17, 4)]  # (N, n, k)


def product_reference(X, W):
    """H = XW again, with autograd.numpy: H_ai = Σ_p X_ap W_pi by broadcasting."""
    return anp.sum(X[:, :, None] * W[None, :, :], axis=1)


def loss_reference(X, W, v, y):
    residual = anp.dot(product_reference(X, W), v) - y
    return 0.5 * anp.dot(residual.T, residual)[0, 0]


def random_model(N, n, k):
    rng = np.random.default_rng([N, n, k])
    X, W = rng.standard_normal((N, n)), rng.standard_normal((n, k))
    return X, W, rng.standard_normal((k, 1)), rng.standard_normal((N, 1))


@pytest.mark.parametrize(("N", "n", "k"), SHAPES)
def test_product_jacobian(N, n, k):
    X, W, _, _ = random_model(N, n, k)
    jacobian = product_jacobian(X, k)
    assert jacobian.shape == (N, k, n, k)
    check_jacobian(
        "product_jacobian",
        jacobian.reshape(N * k, n * k),
        lambda W: X @ W,
        lambda W: product_reference(X, W),
        W,
    )


@pytest.mark.parametrize(("N", "n", "k"), SHAPES)
def test_product_jacobian_is_a_kronecker_product_in_both_vec_orders(N, n, k):
    X, W, _, _ = random_model(N, n, k)
    jacobian = product_jacobian(X, k)
    assert_close("row-major", jacobian.reshape(N * k, n * k), np.kron(X, np.eye(k)), 0)
    column_major = jacobian.reshape(N * k, n * k, order="F")
    assert_close("column-major", column_major, np.kron(np.eye(k), X), 0)
    vec_h, vec_w = (X @ W).reshape(-1, 1, order="F"), W.reshape(-1, 1, order="F")
    assert_close("vec(XW) = (I ⊗ X) vec W", vec_h, np.kron(np.eye(k), X) @ vec_w, 1e-12)


@pytest.mark.parametrize(("N", "n", "k"), SHAPES)
def test_prediction_jacobian(N, n, k):
    X, W, v, _ = random_model(N, n, k)
    H = X @ W
    jacobian = prediction_jacobian(v, N)
    assert jacobian.shape == (N, N, k)
    check_jacobian(
        "prediction_jacobian",
        jacobian.reshape(N, N * k),
        lambda H: H @ v,
        lambda H: anp.dot(H, v),
        H,
    )


@pytest.mark.parametrize(("N", "n", "k"), SHAPES)
def test_prediction_jacobian_is_block_diagonal(N, n, k):
    _, _, v, _ = random_model(N, n, k)
    flat = prediction_jacobian(v, N).reshape(N, N * k)
    assert_close("∂ŷ/∂H = I_N ⊗ vᵀ", flat, np.kron(np.eye(N), v.T), 0)


@pytest.mark.parametrize(("N", "n", "k"), SHAPES)
def test_contracted_chain_is_the_gradient(N, n, k):
    X, W, v, y = random_model(N, n, k)
    residual = X @ W @ v - y
    chained = chain_of_jacobians(residual, prediction_jacobian(v, N), product_jacobian(X, k))
    check_vjp(
        "chain_of_jacobians",
        chained,
        lambda W: two_layer_loss(X, W, v, y),
        lambda W: loss_reference(X, W, v, y),
        W,
        1.0,
    )


@pytest.mark.parametrize(("N", "n", "k"), SHAPES)
@pytest.mark.parametrize(("argument", "position"), [("W", 0), ("v", 1)])
def test_vjp(N, n, k, argument, position):
    X, W, v, y = random_model(N, n, k)
    forward = {
        "W": (lambda W: two_layer_loss(X, W, v, y), lambda W: loss_reference(X, W, v, y), W),
        "v": (lambda v: two_layer_loss(X, W, v, y), lambda v: loss_reference(X, W, v, y), v),
    }[argument]
    check_vjp(
        f"two_layer_vjp w.r.t. {argument}", two_layer_vjp(X, W, v, y)[position], *forward, 1.0
    )


@pytest.mark.parametrize(("N", "n", "k"), SHAPES)
def test_loss_matches_the_definition(N, n, k):
    X, W, v, y = random_model(N, n, k)
    assert_close("L", two_layer_loss(X, W, v, y), loss_reference(X, W, v, y), 1e-12)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("matrix_by_matrix")
    checks, mistakes = lines[:8], lines[8:]
    assert all(line.endswith(": matches") for line in checks), checks
    assert len(mistakes) == 3, mistakes
    assert mistakes[0].startswith("X(ŷ − y)vᵀ: matmul:") and "mismatch" in mistakes[0]
    assert mistakes[1].startswith("Xᵀvᵀ(ŷ − y): matmul:") and "mismatch" in mistakes[1]
    assert mistakes[2].endswith("DIFFERS, shape (3, 4) but expected (4, 3)")


@pytest.mark.parametrize(("N", "n", "k"), SHAPES)
def test_column_convention_tab(N, n, k):
    """The Column-vectors tab, literally: examples as columns, X_c = Xᵀ, ŷ_c = vᵀWᵀX_c."""
    X, W, v, y = random_model(N, n, k)
    row_w, row_v = two_layer_vjp(X, W, v, y)
    row_h = (X @ W @ v - y) @ v.T  # ∂L/∂H in rows, N×k
    X_c, y_c = X.T, y.T  # n×N, 1×N
    H_c = W.T @ X_c  # k×N
    e_c = v.T @ H_c - y_c  # ŷ_c − y_c, 1×N
    assert_close("∇_H L = v(ŷ − y) is the row result transposed", v @ e_c, row_h.T, 1e-12)
    assert_close("∇_W L = X_c(ŷ − y)ᵀvᵀ (W keeps its shape)", X_c @ e_c.T @ v.T, row_w, 1e-12)
    assert_close("∇_v L = H_c(ŷ − y)ᵀ (v keeps its shape)", H_c @ e_c.T, row_v, 1e-12)
