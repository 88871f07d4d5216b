"""docs/pairwise_distances.md ↔ snippets/pairwise_distances.py: Gram matrices and distances.

Each Jacobian and VJP is checked against finite differences and autograd on several shapes; the
upstream gradients are not symmetric, so that a forgotten Gᵀ fails.
"""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.pairwise_distances import (
    cross_gram_jacobians,
    cross_gram_vjp,
    distance_figure,
    distance_vjp,
    distances,
    gram,
    gram_jacobian,
    gram_vjp,
    self_squared_distance_vjp,
    squared_distance_jacobians,
    squared_distance_vjp,
    squared_distances,
    structure_figure,
)
from tests.gradients import check_jacobian, check_vjp, run_page_demo


def squared_distances_reference(X, Y):
    """D_ab = Σ_q (X_aq − Y_bq)², from the differences, for autograd."""
    return anp.sum((X[:, None, :] - Y[None, :, :]) ** 2, axis=2)


SIZES = [(2, 3, 4), (4, 1, 3), (5, 2, 1), (3, 5, 2)]  # (N, M, d)


@pytest.mark.parametrize(("N", "M", "d"), SIZES)
def test_gram_jacobian_and_vjp(N, M, d):
    rng = np.random.default_rng([N, M, d])
    X, G = rng.standard_normal((N, d)), rng.standard_normal((N, N))

    def reference(Z):
        return anp.dot(Z, Z.T)

    check_jacobian("gram_jacobian", gram_jacobian(X), gram, reference, X)
    check_vjp("gram_vjp", gram_vjp(X, G), gram, reference, X, G)


def swap(N):
    """T_NN: T vec_r A = vec_r Aᵀ for every N×N A (the same for column-major vec)."""
    T = np.zeros((N * N, N * N))
    for a in range(N):
        for b in range(N):
            T[a * N + b, b * N + a] = 1.0
    return T


@pytest.mark.parametrize(("N", "d"), [(3, 2), (2, 4)])
def test_gram_jacobian_is_the_pages_kronecker_form(N, d):
    X = np.random.default_rng([N, d, 3]).standard_normal((N, d))
    T = swap(N)
    A = np.random.default_rng(4).standard_normal((N, N))
    assert np.array_equal(T @ A.ravel(), A.T.ravel())
    page = (np.eye(N * N) + T) @ np.kron(np.eye(N), X)
    assert np.allclose(gram_jacobian(X), page, rtol=1e-14, atol=1e-15)
    column_major = (np.eye(N * N) + T) @ np.kron(X, np.eye(N))  # vec K by vec X

    def of_columns(Xt):  # row-major of Xᵀ is vec X, and of Kᵀ = K is vec K
        return gram(Xt.T)

    def of_columns_reference(Xt):
        return anp.dot(Xt.T, Xt)

    check_jacobian("(I + T)(X ⊗ I)", column_major, of_columns, of_columns_reference, X.T)


@pytest.mark.parametrize(("N", "M", "d"), SIZES)
def test_cross_gram_jacobians_and_vjps(N, M, d):
    rng = np.random.default_rng([M, N, d])
    X, Y, G = (rng.standard_normal(s) for s in [(N, d), (M, d), (N, M)])
    by_x, by_y = cross_gram_jacobians(X, Y)
    grad_x, grad_y = cross_gram_vjp(X, Y, G)

    def of_x(Z):
        return Z @ Y.T

    def of_x_reference(Z):
        return anp.dot(Z, Y.T)

    def of_y(Z):
        return X @ Z.T

    def of_y_reference(Z):
        return anp.dot(X, Z.T)

    check_jacobian("cross_gram_jacobians ∂/∂X", by_x, of_x, of_x_reference, X)
    check_jacobian("cross_gram_jacobians ∂/∂Y", by_y, of_y, of_y_reference, Y)
    check_vjp("cross_gram_vjp ∂L/∂X", grad_x, of_x, of_x_reference, X, G)
    check_vjp("cross_gram_vjp ∂L/∂Y", grad_y, of_y, of_y_reference, Y, G)


@pytest.mark.parametrize(("N", "M", "d"), SIZES)
def test_squared_distance_jacobians_and_vjps(N, M, d):
    rng = np.random.default_rng([d, M, N])
    X, Y, G = (rng.standard_normal(s) for s in [(N, d), (M, d), (N, M)])
    by_x, by_y = squared_distance_jacobians(X, Y)
    grad_x, grad_y = squared_distance_vjp(X, Y, G)

    def of_x(Z):
        return squared_distances(Z, Y)

    def of_x_reference(Z):
        return squared_distances_reference(Z, Y)

    def of_y(Z):
        return squared_distances(X, Z)

    def of_y_reference(Z):
        return squared_distances_reference(X, Z)

    check_jacobian("squared_distance_jacobians ∂/∂X", by_x, of_x, of_x_reference, X)
    check_jacobian("squared_distance_jacobians ∂/∂Y", by_y, of_y, of_y_reference, Y)
    check_vjp("squared_distance_vjp ∂L/∂X", grad_x, of_x, of_x_reference, X, G)
    check_vjp("squared_distance_vjp ∂L/∂Y", grad_y, of_y, of_y_reference, Y, G)
    total = grad_x.sum(axis=0) + grad_y.sum(axis=0)  # a common shift leaves D unchanged
    assert np.max(np.abs(total)) < 1e-12 * np.max(np.abs(grad_x))


@pytest.mark.parametrize(("N", "d"), [(2, 3), (4, 2), (5, 1)])
def test_self_squared_distance_vjp_adds_both_uses(N, d):
    rng = np.random.default_rng([N, d, 7])
    X, G = rng.standard_normal((N, d)), rng.standard_normal((N, N))

    def forward(Z):
        return squared_distances(Z, Z)

    def reference(Z):
        return squared_distances_reference(Z, Z)

    ours = self_squared_distance_vjp(X, G)
    check_vjp("self_squared_distance_vjp", ours, forward, reference, X, G)
    assert np.allclose(ours, sum(squared_distance_vjp(X, X, G)), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize(("N", "M", "d"), [(2, 3, 4), (3, 4, 2)])
def test_distance_vjp_away_from_zero(N, M, d):
    rng = np.random.default_rng([N, M, d, 1])
    X, Y, G = (rng.standard_normal(s) for s in [(N, d), (M, d), (N, M)])

    def reference(Z):
        return anp.sqrt(squared_distances_reference(Z, Y))

    grad_x, grad_y = distance_vjp(X, Y, G)
    check_vjp("distance_vjp ∂L/∂X", grad_x, lambda Z: distances(Z, Y), reference, X, G)

    def reference_y(Z):
        return anp.sqrt(squared_distances_reference(X, Z))

    check_vjp("distance_vjp ∂L/∂Y", grad_y, lambda Z: distances(X, Z), reference_y, Y, G)


def test_distance_vjp_gives_zero_at_zero_distance():
    """The diagonal of E(X, X): ‖x_a − x_a‖ = 0, where the derivative of the root is infinite."""
    N, d = 3, 2
    rng = np.random.default_rng(5)
    X, G = rng.standard_normal((N, d)), rng.standard_normal((N, N))
    off = G * (1 - np.eye(N))  # the diagonal's gradient, dropped
    grad_x, grad_y = distance_vjp(X, X, G)
    expected_x, expected_y = distance_vjp(X, X, off)
    assert np.all(np.isfinite(grad_x)) and np.array_equal(np.diag(distances(X, X)), np.zeros(N))
    assert np.array_equal(grad_x, expected_x) and np.array_equal(grad_y, expected_y)


def test_the_pictures_show_the_structures():
    gram_picture = structure_figure()
    J = gram_picture.matrix.reshape(3, 3, 6)  # N, N, N·d
    assert np.array_equal(J, J.transpose(1, 0, 2)), "rows (a, b) and (b, a) are equal"
    assert np.linalg.matrix_rank(gram_picture.matrix) == 5
    distance_picture = distance_figure()
    assert distance_picture.matrix.shape == (6, 4)
    # the points the pictures are drawn at, as their docstrings give them
    assert np.array_equal(gram_picture.at, [[0.9, -0.4], [0.3, 1.2], [-0.7, 0.5]])
    assert np.array_equal(distance_picture.at, [[0.4, -0.6], [1.1, 0.2]])
    Y = np.array([[-0.3, 0.8], [0.5, 0.5], [1.4, -0.9]])  # M×d = 3×2
    drawn = distance_picture.of(distance_picture.at)
    assert np.allclose(drawn, squared_distances(distance_picture.at, Y), rtol=1e-15)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("pairwise_distances")
    differs = [line for line in lines if "DIFFERS" in line]
    assert [line.split(":")[0] for line in differs] == [
        "2 G X (Gᵀ forgotten)",
        "X = Y",
    ], "every common mistake must still fail"
    matches = [line for line in lines if "DIFFERS" not in line]
    assert len(matches) == 13 and all(line.endswith(": matches") for line in matches)
    assert "2 S X, S symmetric: matches" in matches, "with G symmetric, 2GX is right"
