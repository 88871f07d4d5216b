"""docs/network.md ↔ snippets/network.py: the chain of five Jacobians and the backward pass."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.network import (
    cross_entropy,
    finite_difference_gradients,
    log_softmax,
    network_backward,
    network_forward,
    network_jacobians,
    network_loss,
    softmax,
)
from tests.gradients import (
    FINITE_DIFFERENCE_TOLERANCE,
    assert_close,
    autograd_vjp,
    check_jacobian,
    check_vjp,
    relative_error,
    run_page_demo,
)

# (n inputs, m hidden units, k classes); (5, 3, 4) is the page's network. Batches N: no size
# of SIZES, so that every size of one case is its own number.
SIZES = [(1, 1, 2), (5, 3, 4), (2, 4, 3), (17, 6, 4)]
BATCHES = [1, 7, 8]
VARIABLES = ["X", "W1", "b1", "W2", "b2"]


def softmax_reference(theta):
    exps = anp.exp(theta)
    return exps / anp.sum(exps, axis=1, keepdims=True)


def loss_reference(X, Y, W1, b1, W2, b2):
    """The network's mean cross-entropy, written again without the snippet's helpers."""
    hidden = 1 / (1 + anp.exp(-(anp.dot(X, W1) + b1)))
    return -anp.sum(Y * anp.log(softmax_reference(anp.dot(hidden, W2) + b2))) / X.shape[0]


def random_network(n, m, k, N, seed):
    rng = np.random.default_rng(seed)
    return {
        "X": rng.standard_normal((N, n)),
        "Y": np.eye(k)[rng.integers(0, k, size=N)],
        "W1": rng.standard_normal((n, m)),
        "b1": rng.standard_normal((1, m)),
        "W2": rng.standard_normal((m, k)),
        "b2": rng.standard_normal((1, k)),
    }


def with_one(forward, arguments, name):
    """forward as a function of the argument `name` alone, the others held fixed."""
    return lambda value: forward(**{**arguments, name: value})


@pytest.mark.parametrize(("n", "m", "k"), SIZES)
def test_each_jacobian_of_the_chain(n, m, k):
    a = random_network(n, m, k, 1, seed=n + m + k)
    x, y = a["X"], a["Y"]
    r, h, theta = network_forward(x, a["W1"], a["b1"], a["W2"], a["b2"])
    yhat = softmax(theta)
    dl_dyhat, dyhat_dtheta, dtheta_dh, dh_dr, dr_dx = network_jacobians(
        x, y, a["W1"], a["b1"], a["W2"], a["b2"]
    )
    check_jacobian(
        "∂ℓ/∂ŷ",
        dl_dyhat,
        lambda p: -np.sum(y * np.log(p)),
        lambda p: -anp.sum(y * anp.log(p)),
        yhat,
    )
    check_jacobian("∂ŷ/∂θ", dyhat_dtheta, softmax, softmax_reference, theta)
    check_jacobian(
        "∂θ/∂h",
        dtheta_dh,
        lambda h: h @ a["W2"] + a["b2"],
        lambda h: anp.dot(h, a["W2"]) + a["b2"],
        h,
    )
    check_jacobian(
        "∂h/∂r", dh_dr, lambda r: 1 / (1 + np.exp(-r)), lambda r: 1 / (1 + anp.exp(-r)), r
    )
    check_jacobian(
        "∂r/∂x",
        dr_dx,
        lambda x: x @ a["W1"] + a["b1"],
        lambda x: anp.dot(x, a["W1"]) + a["b1"],
        x,
    )


@pytest.mark.parametrize(("n", "m", "k"), SIZES)
def test_chain_product_is_the_input_gradient(n, m, k):
    a = random_network(n, m, k, 1, seed=2 * n + m)
    chain = network_jacobians(a["X"], a["Y"], a["W1"], a["b1"], a["W2"], a["b2"])
    product = chain[0] @ chain[1] @ chain[2] @ chain[3] @ chain[4]
    check_vjp(
        "chain of five Jacobians",
        product,
        with_one(network_loss, a, "X"),
        with_one(loss_reference, a, "X"),
        a["X"],
        1.0,
    )


@pytest.mark.parametrize("name", VARIABLES)
@pytest.mark.parametrize("N", BATCHES)
@pytest.mark.parametrize(("n", "m", "k"), SIZES)
def test_backward_pass_every_gradient(n, m, k, N, name):
    a = random_network(n, m, k, N, seed=100 * N + n + m + k)
    ours = network_backward(**a)[name]
    check_vjp(
        f"network_backward[{name}]",
        ours,
        with_one(network_loss, a, name),
        with_one(loss_reference, a, name),
        a[name],
        1.0,
    )


@pytest.mark.parametrize("N", BATCHES)
@pytest.mark.parametrize(("n", "m", "k"), SIZES)
def test_finite_difference_gradients_are_the_loss_gradients(n, m, k, N):
    """The page's numeric reference itself: every gradient, against autograd on loss_reference."""
    a = random_network(n, m, k, N, seed=200 * N + n + m + k)
    numeric = finite_difference_gradients(**a)
    assert list(numeric) == VARIABLES
    for name in VARIABLES:
        exact = autograd_vjp(with_one(loss_reference, a, name), a[name], 1.0)
        assert_close(
            f"finite_difference_gradients[{name}] vs autograd",
            numeric[name],
            exact,
            FINITE_DIFFERENCE_TOLERANCE,
        )


def test_backward_of_one_row_is_the_chain_product():
    a = random_network(5, 3, 4, 1, seed=7)
    chain = network_jacobians(a["X"], a["Y"], a["W1"], a["b1"], a["W2"], a["b2"])
    product = chain[0] @ chain[1] @ chain[2] @ chain[3] @ chain[4]
    assert relative_error(network_backward(**a)["X"], product) < 1e-12


@pytest.mark.parametrize("N", BATCHES)
def test_forward_matches_the_definition(N):
    a = random_network(5, 3, 4, N, seed=N)
    theta = network_forward(a["X"], a["W1"], a["b1"], a["W2"], a["b2"])[2]
    assert relative_error(softmax(theta), softmax_reference(theta)) < 1e-14
    assert relative_error(log_softmax(theta), anp.log(softmax_reference(theta))) < 1e-13
    assert abs(network_loss(**a) - loss_reference(**a)) < 1e-13 * abs(loss_reference(**a))


def test_finite_at_large_logits():
    theta = np.array([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4]])
    Y = np.eye(3)[[0, 2]]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        probabilities, logs, loss = softmax(theta), log_softmax(theta), cross_entropy(theta, Y)
    assert np.all(np.isfinite(logs)) and np.isfinite(loss)
    assert np.array_equal(probabilities, [[0, 0, 1], [0.5, 0.5, 0]])
    assert loss == pytest.approx((2e4 + (2e4 + np.log(2))) / 2)
    a = random_network(5, 3, 4, 6, seed=3)
    a["W2"] = 1e4 * a["W2"]  # logits of order 1e4
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        gradients = network_backward(**a)
        loss = network_loss(**a)
    assert np.isfinite(loss) and all(np.all(np.isfinite(g)) for g in gradients.values())


def test_column_convention_tab():
    """The Column-vectors tab, literally, with n×1 columns and the same W1, W2."""
    a = random_network(5, 3, 4, 1, seed=11)
    x, y, b1, b2 = (a[key].T for key in ["X", "Y", "b1", "b2"])  # columns
    W1, W2 = a["W1"], a["W2"]
    h = 1 / (1 + np.exp(-(W1.T @ x + b1)))  # r = W1ᵀx + b1
    theta = W2.T @ h + b2
    yhat = np.exp(theta) / np.sum(np.exp(theta))
    delta1 = h * (1 - h) * (W2 @ (yhat - y))
    column = {
        "X": W1 @ (h * (1 - h) * (W2 @ (yhat - y))),
        "W1": x @ delta1.T,
        "b1": delta1,
        "W2": h @ (yhat - y).T,
        "b2": yhat - y,
    }
    row = network_backward(**a)
    for name in ["X", "b1", "b2"]:  # vectors: the row result transposed
        assert relative_error(column[name], row[name].T) < 1e-12, name
    for name in ["W1", "W2"]:  # weights have the same shape in both conventions
        assert relative_error(column[name], row[name]) < 1e-12, name


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("network")
    checks, mistakes = lines[:11], lines[11:]
    assert all(line.endswith("matches") for line in checks), checks
    assert len(mistakes) == 3, mistakes
    assert "could not be broadcast together with shapes (1,3) (1,5)" in mistakes[0]
    assert "mismatch in its core dimension" in mistakes[1]
    assert "DIFFERS" in mistakes[2]
