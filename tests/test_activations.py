"""docs/activations.md ↔ snippets/activations.py: the sigmoid's diagonal Jacobian and its VJP."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.activations import (
    sigmoid,
    sigmoid_derivative,
    sigmoid_derivative_quotient,
    sigmoid_jacobian,
    sigmoid_vjp,
)
from tests.gradients import (
    assert_close,
    check_jacobian,
    check_vjp,
    relative_error,
    run_page_demo,
)


def sigmoid_reference(r):
    return 1 / (1 + anp.exp(-r))


@pytest.mark.parametrize("n", [1, 2, 5, 17])
def test_jacobian(n):
    r = np.random.default_rng(n).standard_normal((1, n))
    check_jacobian("sigmoid_jacobian", sigmoid_jacobian(r), sigmoid, sigmoid_reference, r)


@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (1, 17), (4, 3)])
def test_vjp(shape):
    rng = np.random.default_rng(sum(shape))
    r, g = rng.standard_normal(shape), rng.standard_normal(shape)
    check_vjp("sigmoid_vjp", sigmoid_vjp(r, g), sigmoid, sigmoid_reference, r, g)


@pytest.mark.parametrize("shape", [(1, 2), (1, 5), (1, 17), (3, 4), (5, 2)])
def test_derivative_as_derived_equals_the_rewrite_and_finite_differences(shape):
    """σ′ = e^−r/(1 + e^−r)² (the chain rule) = σ(1 − σ) (the rewrite), entry by entry. The VJP
    of the element-wise σ with g = 1 is σ′ itself: checked against finite differences, autograd."""
    r = 3 * np.random.default_rng(list(shape)).standard_normal(shape)
    quotient = sigmoid_derivative_quotient(r)
    assert quotient.shape == r.shape
    assert_close("σ(1 − σ) = e^−r/(1 + e^−r)²", sigmoid_derivative(r), quotient, 1e-14)
    ones = np.ones(shape)
    check_vjp("e^−r/(1 + e^−r)²", quotient, sigmoid, sigmoid_reference, r, ones)
    check_vjp("σ(1 − σ)", sigmoid_derivative(r), sigmoid, sigmoid_reference, r, ones)


@pytest.mark.parametrize("n", [2, 5, 17])
def test_jacobian_diagonal_is_the_derivative(n):
    r = np.random.default_rng(n).standard_normal((1, n))
    assert_close("diag = σ′", np.diag(sigmoid_jacobian(r)), sigmoid_derivative(r)[0], 1e-15)
    assert np.max(sigmoid_derivative(np.linspace(-8, 8, 1601))) == 0.25  # at r = 0


def test_forward_matches_the_definition():
    r = np.linspace(-30, 30, 61)
    assert relative_error(sigmoid(r), sigmoid_reference(r)) < 1e-14


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_at_large_inputs(dtype):
    r = np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        h = sigmoid(r)
        vjp = sigmoid_vjp(r, np.ones_like(r))
    assert np.all(np.isfinite(h)) and np.all(np.isfinite(vjp))
    assert h[0] == 0 and h[-1] == 1 and h[2] == 0.5


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("activations")
    checks = [line for line in lines if "DIFFERS" not in line]
    assert len(checks) == 5 and all(line.endswith("matches") for line in checks)
    assert len(lines) - len(checks) == 2, "both common mistakes must still fail"
