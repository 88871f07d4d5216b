"""Numerics at large logits: softmax, log-softmax, cross-entropy, sigmoid and BCE with logits.

At logits of ±1e4, in float32 and float64, every value and every gradient is finite and equal
to its exact value, written out by hand below (0, 1, 1/3, a difference of logits, log 3).
No operation overflows, divides by zero or produces an invalid value on the way.
"""

import numpy as np
import pytest

from snippets.activations import sigmoid, sigmoid_vjp
from snippets.losses_activations import bce_vjp, bce_with_logits
from snippets.softmax import softmax, softmax_vjp
from snippets.softmax_cross_entropy import (
    log_softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_vjp,
)

DTYPES = [np.float32, np.float64]
BIG = 1e4
THETA = [[BIG, 0.0, -BIG], [-BIG, -BIG, BIG], [0.0, 0.0, 0.0]]  # N×3 logits
ONE_HOT = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]


@pytest.fixture(autouse=True)
def no_floating_point_trouble():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield


def exact(values, dtype):
    return np.array(values, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_and_its_vjp(dtype):
    theta = exact(THETA, dtype)
    y = softmax(theta)
    expected = exact([[1, 0, 0], [0, 0, 1], [1 / 3, 1 / 3, 1 / 3]], dtype)
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    vjp = softmax_vjp(theta, exact(ONE_HOT, dtype))
    assert np.all(np.isfinite(vjp)) and vjp.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax(dtype):
    theta = exact(THETA, dtype)
    expected = exact([[0, -BIG, -2 * BIG], [-2 * BIG, -2 * BIG, 0], [-np.log(3)] * 3], dtype)
    np.testing.assert_allclose(log_softmax(theta), expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_and_its_gradient(dtype):
    theta, y = exact(THETA, dtype), exact(ONE_HOT, dtype)
    # rows: −log ŷ of the labelled class = BIG, 2 BIG and log 3; the loss is their mean
    np.testing.assert_allclose(
        softmax_cross_entropy(theta, y), (3 * BIG + np.log(3)) / 3, rtol=1e-6
    )
    gradient = softmax_cross_entropy_vjp(theta, y)
    expected = (exact([[1, 0, 0], [0, 0, 1], [1 / 3] * 3], dtype) - y) / 3
    np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_and_its_vjp(dtype):
    r = exact([-BIG, -50, 0, 50, BIG], dtype)
    np.testing.assert_allclose(sigmoid(r), exact([0, 0, 0.5, 1, 1], dtype), atol=1e-20)
    np.testing.assert_allclose(
        sigmoid_vjp(r, np.ones_like(r)), exact([0, 0, 0.25, 0, 0], dtype), atol=1e-20
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_and_its_gradient(dtype):
    z = exact([[BIG, -BIG, BIG, -BIG]], dtype)
    y = exact([[1, 0, 0, 1]], dtype)
    # right with full confidence costs 0; wrong costs |z| each: 2 BIG in all
    np.testing.assert_allclose(bce_with_logits(z, y), 2 * BIG, rtol=1e-6)
    np.testing.assert_allclose(bce_vjp(z, y), exact([[0, 0, 1, -1]], dtype), atol=1e-20)
