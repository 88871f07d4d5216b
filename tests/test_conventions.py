"""docs/conventions.md ↔ snippets/conventions.py: the numerator-layout Jacobian of xW is Wᵀ."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.conventions import linear, linear_jacobian, linear_vjp
from tests.gradients import check_jacobian, check_vjp, run_page_demo

SHAPES = [(1, 1), (2, 3), (4, 3), (5, 2)]  # (n, m): distinct, so W and Wᵀ differ in shape


@pytest.mark.parametrize(("n", "m"), SHAPES)
def test_jacobian_is_w_transposed(n, m):
    rng = np.random.default_rng(n * 10 + m)
    x, W = rng.standard_normal((1, n)), rng.standard_normal((n, m))
    check_jacobian(
        "linear_jacobian", linear_jacobian(W), lambda x: linear(x, W), lambda x: anp.dot(x, W), x
    )


@pytest.mark.parametrize(("n", "m"), SHAPES)
def test_vjp(n, m):
    rng = np.random.default_rng(n * 10 + m)
    x, W, g = rng.standard_normal((1, n)), rng.standard_normal((n, m)), rng.standard_normal((1, m))
    check_vjp("linear_vjp", linear_vjp(W, g), lambda x: linear(x, W), lambda x: anp.dot(x, W), x, g)


def test_column_convention_tab():
    """Column form: r = Wᵀx, ∇_x L = W ∇_r L, the transpose of the row result."""
    rng, n, m = np.random.default_rng(1), 4, 3
    W, g = rng.standard_normal((n, m)), rng.standard_normal((1, m))
    np.testing.assert_allclose(W @ g.T, linear_vjp(W, g).T, rtol=1e-14)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("conventions")
    assert lines[:2] == ["∂r/∂x is Wᵀ: matches", "gradient g Wᵀ: matches"]
    assert len(lines) == 4 and all("DIFFERS" in line for line in lines[2:])


def test_square_w_mistakes_wrong_numbers_or_wrong_shape_only():
    """Square W: taking ∂r/∂x as W has the right shape and wrong numbers; (g Wᵀ)ᵀ only the shape."""
    rng = np.random.default_rng(2)
    W, g = rng.standard_normal((3, 3)), rng.standard_normal((1, 3))  # square on purpose
    assert W.shape == linear_jacobian(W).shape
    assert not np.allclose(W, linear_jacobian(W), rtol=1e-2)
    column = (g @ W.T).T
    assert column.shape == (3, 1) != linear_vjp(W, g).shape
    np.testing.assert_array_equal(column.ravel(), linear_vjp(W, g).ravel())
