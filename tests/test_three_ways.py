"""docs/three_ways.md ↔ snippets/three_ways.py: Jacobian chain, differentials and einsum agree."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from snippets.network import network_loss
from snippets.three_ways import (
    affine_weight_jacobian,
    chain_gradients,
    differential_gradients,
    einsum_gradients,
    frobenius,
)
from tests.gradients import check_jacobian, check_vjp, relative_error, run_page_demo

# (n inputs, m hidden units, k classes); (5, 3, 4) is the page's network.
SIZES = [(1, 1, 2), (5, 3, 4), (2, 4, 3), (17, 6, 4)]
WAYS = [chain_gradients, differential_gradients, einsum_gradients]


def loss_reference(x, y, W1, b1, W2, b2):
    """ℓ for one example, written again with autograd.numpy."""
    hidden = 1 / (1 + anp.exp(-(anp.dot(x, W1) + b1)))
    theta = anp.dot(hidden, W2) + b2
    return -anp.sum(y * (theta - anp.log(anp.sum(anp.exp(theta)))))


def random_example(n, m, k, seed):
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((1, n)),
        "y": np.eye(k)[[rng.integers(0, k)]],
        "W1": rng.standard_normal((n, m)),
        "b1": rng.standard_normal((1, m)),
        "W2": rng.standard_normal((m, k)),
        "b2": rng.standard_normal((1, k)),
    }


def with_one(forward, arguments, name):
    """forward as a function of the argument `name` alone, the others held fixed."""
    return lambda value: forward(**{**arguments, name: value})


def snippet_loss(x, y, W1, b1, W2, b2):
    return network_loss(x, y, W1, b1, W2, b2)


@pytest.mark.parametrize(("n", "m", "k"), SIZES)
def test_affine_weight_jacobian(n, m, k):
    a = random_example(n, m, k, seed=n * m + k)
    check_jacobian(
        "affine_weight_jacobian",
        affine_weight_jacobian(a["x"], m),
        lambda W: a["x"] @ W + a["b1"],
        lambda W: anp.dot(a["x"], W) + a["b1"],
        a["W1"],
    )


@pytest.mark.parametrize("name", ["x", "W1"])
@pytest.mark.parametrize("way", WAYS, ids=lambda way: way.__name__)
@pytest.mark.parametrize(("n", "m", "k"), SIZES)
def test_each_way_against_references(n, m, k, way, name):
    a = random_example(n, m, k, seed=10 * n + m + k)
    check_vjp(
        f"{way.__name__}[{name}]",
        way(**a)[name],
        with_one(snippet_loss, a, name),
        with_one(loss_reference, a, name),
        a[name],
        1.0,
    )


@pytest.mark.parametrize(("n", "m", "k"), SIZES)
def test_the_three_ways_agree_to_rounding(n, m, k):
    a = random_example(n, m, k, seed=n + 3 * m + k)
    reference = chain_gradients(**a)
    for way in WAYS[1:]:
        for name in ["x", "W1"]:
            assert relative_error(way(**a)[name], reference[name]) < 1e-12, (way, name)


@pytest.mark.parametrize("shapes", [(1, 3, 5), (4, 2, 3), (5, 3, 2)])
def test_frobenius_identities(shapes):
    p, q, s = shapes
    rng = np.random.default_rng(sum(shapes))
    A, B, C = rng.standard_normal((p, s)), rng.standard_normal((p, q)), rng.standard_normal((q, s))
    assert frobenius(A, B @ C) == pytest.approx(frobenius(B.T @ A, C), rel=1e-12)
    assert frobenius(A, B @ C) == pytest.approx(frobenius(A @ C.T, B), rel=1e-12)
    D, E = rng.standard_normal((p, s)), rng.standard_normal((p, s))
    assert frobenius(A, D * E) == pytest.approx(frobenius(A * D, E), rel=1e-12)
    assert frobenius(A, D) == pytest.approx(np.sum(A * D), rel=1e-12)
    assert frobenius(A, D) != pytest.approx(np.sum(A.T @ D))  # not the sum of AᵀD


def autograd_derivative_along(a, dx, dW1):
    """d/dt of ℓ(x + t dx, W1 + t dW1) at t = 0, by autograd."""

    def loss_at(t):
        return loss_reference(a["x"] + t * dx, a["y"], a["W1"] + t * dW1, a["b1"], a["W2"], a["b2"])

    return grad(loss_at)(0.0)


@pytest.mark.parametrize(("n", "m", "k"), SIZES)
def test_differential_is_the_change_of_the_loss(n, m, k):
    """dℓ = G_x:dx + G_W1:dW1 against autograd's directional derivative."""
    a = random_example(n, m, k, seed=5 * n + m + k)
    rng = np.random.default_rng(k)
    dx, dW1 = rng.standard_normal((1, n)), rng.standard_normal((n, m))
    G = differential_gradients(**a)
    along = autograd_derivative_along(a, dx, dW1)
    assert frobenius(G["x"], dx) + frobenius(G["W1"], dW1) == pytest.approx(along, rel=1e-10)


def test_column_convention_tab():
    """The Column-vectors tab, literally, with n×1 columns and the same W1, W2."""
    a = random_example(5, 3, 4, seed=11)
    x, y, b1, b2 = (a[key].T for key in ["x", "y", "b1", "b2"])  # columns
    W1, W2 = a["W1"], a["W2"]
    h = 1 / (1 + np.exp(-(W1.T @ x + b1)))  # r = W1ᵀx + b1
    theta = W2.T @ h + b2
    yhat = np.exp(theta) / np.sum(np.exp(theta))
    delta1 = h * (1 - h) * (W2 @ (yhat - y))
    for way in WAYS:
        row = way(**a)
        assert relative_error(W1 @ delta1, row["x"].T) < 1e-12, way  # ∇_x ℓ = W1 δ1
        assert relative_error(x @ delta1.T, row["W1"]) < 1e-12, way  # ∇_W1 ℓ = x δ1ᵀ


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("three_ways")
    checks, mistakes = lines[:7], lines[7:]
    assert all(line.endswith("matches") for line in checks), checks
    assert len(mistakes) == 3, mistakes
    assert all("DIFFERS" in line for line in mistakes[:2]), mistakes
    assert "operands could not be broadcast together" in mistakes[2]
