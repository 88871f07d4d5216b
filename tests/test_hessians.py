"""docs/hessians.md ↔ snippets/hessians.py: Hessians, HVPs and Gauss–Newton.

A Hessian is the Jacobian of a gradient, so each is checked with check_jacobian: against finite
differences of the snippet's own gradient, and against autograd's Jacobian of autograd's gradient
of a loss written again in autograd.numpy (and once more against autograd.hessian). Each gradient
is checked against the loss the same way, and each HVP with check_vjp: the VJP of the gradient.
"""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, hessian

from snippets.hessians import (
    cross_entropy,
    cross_entropy_gradient,
    cross_entropy_hessian,
    cross_entropy_hvp,
    gauss_newton,
    kronecker_figure,
    least_squares_gradient,
    least_squares_hessian,
    least_squares_hvp,
    least_squares_loss,
    logistic_gradient,
    logistic_hessian,
    logistic_hvp,
    logistic_loss,
    sigmoid,
    softmax,
    softmax_regression_gradient,
    softmax_regression_hessian,
    softmax_regression_hvp,
    softmax_regression_loss,
    structure_figure,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo


def draw(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def check_second_order(name, loss_numpy, gradient_numpy, hessian_ours, loss_reference, x):
    """The gradient against the loss, the Hessian against the gradient, and autograd.hessian."""
    check_jacobian(
        f"{name} gradient",
        gradient_numpy(x).reshape(1, -1),
        loss_numpy,
        loss_reference,
        x,
    )
    check_jacobian(f"{name} Hessian", hessian_ours, gradient_numpy, grad(loss_reference), x)
    full = hessian(loss_reference)(x).reshape(x.size, x.size)
    assert_close(f"{name} vs autograd.hessian", hessian_ours, full, 1e-10)


# --- softmax cross-entropy


def cross_entropy_reference(theta, y):
    top = anp.max(theta)
    return top + anp.log(anp.sum(anp.exp(theta - top))) - anp.sum(theta * y)


@pytest.mark.parametrize("k", [2, 5, 9])
def test_cross_entropy_hessian_and_hvp(k):
    theta, v = draw(k, (1, k), (1, k))
    y = np.eye(k)[[k // 2]]
    H = cross_entropy_hessian(theta)
    check_second_order(
        "cross-entropy",
        lambda z: cross_entropy(z, y),
        lambda z: cross_entropy_gradient(z, y),
        H,
        lambda z: cross_entropy_reference(z, y),
        theta,
    )
    check_vjp(
        "cross_entropy_hvp",
        cross_entropy_hvp(theta, v),
        lambda z: cross_entropy_gradient(z, y),
        grad(lambda z: cross_entropy_reference(z, y)),
        theta,
        v,
    )
    eigenvalues = np.linalg.eigvalsh(H)
    assert eigenvalues.min() > -1e-14 and np.sum(eigenvalues > 1e-12) == k - 1, "PSD, rank k − 1"
    assert np.abs(H @ np.ones(k)).max() < 1e-15


def test_cross_entropy_hessian_ignores_the_label_and_large_logits():
    k = 4
    theta = np.array([[800.0, -3.0, 799.0, 0.5]])  # would overflow exp without the shift
    one_hot, soft = np.eye(k)[[1]], np.full((1, k), 1 / k)
    assert np.isfinite(cross_entropy(theta, one_hot))
    assert np.all(np.isfinite(cross_entropy_hessian(theta)))
    gradient_difference = cross_entropy_gradient(theta, one_hot) - cross_entropy_gradient(
        theta, soft
    )
    assert_close("p − y moves by the label only", gradient_difference, soft - one_hot, 1e-15)


def test_the_losses_have_their_values_not_only_their_gradients():
    """A constant added to a loss leaves every derivative alone: pin the values too."""
    N, n, k = 3, 2, 4
    theta, X, W = draw(6, (1, k), (N, n), (n, k))
    y, Y = np.eye(k)[[1]], np.eye(k)[[0, 3, 1]]
    assert_close("ℓ = −log p_y", cross_entropy(theta, y), -np.log(softmax(theta)[0, 1]), 1e-14)
    P = softmax(X @ W)
    expected = -np.mean(np.log(P[np.arange(N), [0, 3, 1]]))
    assert_close("mean −log P_ay", softmax_regression_loss(W, X, Y), expected, 1e-14)
    w, t = W[:, :1], np.array([[1.0], [0.0], [1.0]])
    s = sigmoid(X @ w)
    expected = -np.mean(t * np.log(s) + (1 - t) * np.log(1 - s))
    assert_close("binary cross-entropy", logistic_loss(w, X, t), expected, 1e-14)
    r = np.tanh(X @ w) - t
    assert_close("(1/2N) rᵀr", least_squares_loss(w, X, t), np.sum(r**2) / (2 * N), 1e-14)


def test_softmax_normalizes_along_the_last_axis_of_any_shape():
    N, T, k = 2, 3, 4
    (theta,) = draw(4, (N, T, k))
    p = softmax(theta)
    assert_close("rows sum to 1", p.sum(axis=-1), np.ones((N, T)), 1e-15)
    assert_close("one row", p[1, 2], softmax(theta[1, 2][None])[0], 1e-15)


def test_diag_p_alone_is_not_the_hessian():
    k = 5
    (theta,) = draw(1, (1, k))
    p = softmax(theta)
    assert np.abs(np.diag(p.ravel()) - cross_entropy_hessian(theta) - p.T @ p).max() < 1e-16
    assert np.linalg.eigvalsh(np.diag(p.ravel())).min() > 0, "Diag(p) is definite, H is not"


# --- logistic and softmax regression


def logistic_reference(w, X, t):
    z = anp.dot(X, w)
    return anp.mean(anp.logaddexp(0, z) - t * z)


@pytest.mark.parametrize(("N", "n"), [(6, 3), (4, 5), (9, 2)])
def test_logistic_hessian_and_hvp(N, n):
    X, w, u = draw([N, n], (N, n), (n, 1), (n, 1))
    t = (np.arange(N) % 2).reshape(N, 1).astype(float)
    H = logistic_hessian(w, X)
    check_second_order(
        "logistic",
        lambda c: logistic_loss(c, X, t),
        lambda c: logistic_gradient(c, X, t),
        H,
        lambda c: logistic_reference(c, X, t),
        w,
    )
    check_vjp(
        "logistic_hvp",
        logistic_hvp(w, X, u),
        lambda c: logistic_gradient(c, X, t),
        grad(lambda c: logistic_reference(c, X, t)),
        w,
        u,
    )
    assert np.linalg.eigvalsh(H).min() > -1e-14


def test_sigmoid_is_stable():
    z = np.array([[-800.0], [0.0], [800.0]])
    with np.errstate(over="raise"):
        assert np.array_equal(sigmoid(z), [[0.0], [0.5], [1.0]])


def softmax_regression_reference(W, X, Y):
    logits = anp.dot(X, W)
    top = anp.max(logits, axis=1, keepdims=True)
    log_sum = top + anp.log(anp.sum(anp.exp(logits - top), axis=1, keepdims=True))
    return anp.mean(log_sum[:, 0] - anp.sum(logits * Y, axis=1))


@pytest.mark.parametrize(("N", "n", "k"), [(6, 3, 4), (5, 2, 3), (1, 4, 5)])
def test_softmax_regression_hessian_and_hvp(N, n, k):
    X, W, V, c = draw([N, n, k], (N, n), (n, k), (n, k), (n, 1))
    Y = np.eye(k)[np.arange(N) % k]
    H = softmax_regression_hessian(W, X)
    check_second_order(
        "softmax regression",
        lambda C: softmax_regression_loss(C, X, Y),
        lambda C: softmax_regression_gradient(C, X, Y),
        H,
        lambda C: softmax_regression_reference(C, X, Y),
        W,
    )
    check_vjp(
        "softmax_regression_hvp",
        softmax_regression_hvp(W, X, V),
        lambda C: softmax_regression_gradient(C, X, Y),
        grad(lambda C: softmax_regression_reference(C, X, Y)),
        W,
        V,
    )
    shift = np.kron(c, np.ones((k, 1)))  # vec_r(c 1_kᵀ)
    assert np.abs(H @ shift).max() < 1e-14 * np.abs(H).max()


def test_softmax_regression_at_zero_weights_is_one_kronecker_product():
    N, n, k = 7, 3, 4
    (X,) = draw(2, (N, n))
    H = softmax_regression_hessian(np.zeros((n, k)), X)
    uniform = (np.eye(k) - np.ones((k, k)) / k) / k  # Diag(p) − pᵀp at p = 𝟏ᵀ/k
    assert_close("XᵀX/N ⊗ H_a", H, np.kron(X.T @ X / N, uniform), 1e-14)


# --- Gauss–Newton and the full Hessian


def least_squares_reference(w, X, t, linear):
    z = anp.dot(X, w)
    f = z if linear else anp.tanh(z)
    return anp.sum((f - t) ** 2) / (2 * X.shape[0])


@pytest.mark.parametrize("linear", [False, True])
@pytest.mark.parametrize(("N", "n"), [(8, 3), (5, 4)])
def test_least_squares_hessian_and_hvp(N, n, linear):
    X, w, u, t = draw([N, n, linear], (N, n), (n, 1), (n, 1), (N, 1))
    H = least_squares_hessian(w, X, t, linear)
    check_second_order(
        "least squares",
        lambda c: least_squares_loss(c, X, t, linear),
        lambda c: least_squares_gradient(c, X, t, linear),
        H,
        lambda c: least_squares_reference(c, X, t, linear),
        w,
    )
    check_vjp(
        "least_squares_hvp",
        least_squares_hvp(w, X, t, u, linear),
        lambda c: least_squares_gradient(c, X, t, linear),
        grad(lambda c: least_squares_reference(c, X, t, linear)),
        w,
        u,
    )


@pytest.mark.parametrize(("N", "n"), [(8, 3), (6, 2)])
def test_gauss_newton_is_the_hessian_exactly_when_linear_or_fitted(N, n):
    X, w, t = draw([n, N], (N, n), (n, 1), (N, 1))
    GN = gauss_newton(w, X)
    jacobian = (1 - np.tanh(X @ w) ** 2) * X  # J = Diag(φ'(z)) X, N×n
    assert_close("Jᵀ H_ℓ J", GN, jacobian.T @ jacobian / N, 1e-14)
    assert_close("linear", gauss_newton(w, X, True), least_squares_hessian(w, X, t, True), 1e-15)
    fitted = np.tanh(X @ w)
    assert_close("r = 0", GN, least_squares_hessian(w, X, fitted), 1e-15)
    assert np.abs(GN - least_squares_hessian(w, X, t)).max() > 1e-3, "differs otherwise"


def test_the_hessian_can_be_indefinite_and_gauss_newton_cannot():
    N, n = 8, 3
    rng = np.random.default_rng(1)  # the page's draw
    X, w, t = (
        rng.standard_normal((N, n)),
        rng.standard_normal((n, 1)),
        2 * rng.standard_normal((N, 1)),
    )
    assert np.linalg.eigvalsh(least_squares_hessian(w, X, t)).min() < -0.1
    for seed in range(5):
        X, w, t = draw(seed, (N, n), (n, 1), (N, 1))
        assert np.linalg.eigvalsh(gauss_newton(w, X)).min() > -1e-14


# --- the page


def test_the_figures_draw_what_the_page_says():
    ce, kron = structure_figure(), kronecker_figure()
    assert ce.matrix.shape == (6, 6) and np.allclose(ce.matrix, ce.matrix.T)
    assert np.abs(ce.matrix.sum(axis=1)).max() < 1e-15
    assert kron.matrix.shape == (20, 20) and np.allclose(kron.matrix, np.kron(*kron.factors))
    assert np.array_equal(ce.at, [[1.2, -0.4, 0.3, 2.0, -1.1, 0.6]]), "the drawn logits"
    assert np.array_equal(kron.at, np.linspace(-1, 1, 20).reshape(4, 5)), "the drawn W"
    assert_close("x_aᵀx_a", kron.factors[0][0], 0.8 * np.array([0.8, -1.2, 0.5, 1.0]), 1e-15)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("hessians")
    differs = [line.split(":")[0] for line in lines if "DIFFERS" in line]
    assert differs == [
        "Diag(p) alone",
        "one logistic Hessian per class",
        "Gauss–Newton as the Hessian (tanh, residual ≠ 0)",
    ], "every common mistake must still fail"
    claims = [line for line in lines if "DIFFERS" not in line and "lowest" not in line]
    assert all(line.endswith((": matches", ": True")) for line in claims)
    assert len(claims) == 21
    lowest = next(line for line in lines if line.startswith("lowest eigenvalue"))
    assert float(lowest.split()[3].rstrip(",")) < 0 and lowest.endswith("True")
