"""docs/softmax.md ↔ snippets/softmax.py: the softmax Jacobian Diag(y) − yᵀy and its VJP."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.gradcheck import numerical_jacobian
from snippets.softmax import softmax, softmax_jacobian, softmax_vjp
from tests.gradients import (
    FINITE_DIFFERENCE_TOLERANCE,
    assert_close,
    check_jacobian,
    check_vjp,
    relative_error,
    run_page_demo,
)

SHAPES = [(1, 1), (1, 2), (1, 5), (1, 17), (3, 4), (8, 5)]


def softmax_reference(theta):
    """The definition e^θ_i / Σ_j e^θ_j of each row, written again for autograd."""
    e = anp.exp(theta)
    return e / anp.sum(e, axis=1, keepdims=True)


def logits(shape, seed):
    """Random logits spread wide enough that the softmax is far from uniform."""
    return 2 * np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("n", [2, 3, 5, 17])
def test_jacobian(n):
    """n = 1 is left to test_vjp: its Jacobian is 0, where a relative error means nothing."""
    theta = logits((1, n), n)
    check_jacobian("softmax_jacobian", softmax_jacobian(theta), softmax, softmax_reference, theta)


@pytest.mark.parametrize("n", [2, 5, 17])
def test_jacobian_structure(n):
    theta = logits((1, n), n)
    jacobian, y = softmax_jacobian(theta), softmax(theta)
    assert_close("diagonal minus rank-one", np.diag(y[0]) - jacobian, np.outer(y, y), 1e-15)
    assert_close("symmetric", jacobian, jacobian.T, 1e-15)
    assert np.max(np.abs(jacobian.sum(axis=1))) < 1e-15, "rows must sum to zero"
    assert np.linalg.matrix_rank(jacobian) == n - 1, "the null space is spanned by 1 alone"


@pytest.mark.parametrize("rows", [1, 3, 8])
def test_batch_jacobian_is_block_diagonal(rows):
    Theta = logits((rows, 4), rows)
    blocks = np.zeros((4 * rows, 4 * rows))
    for k in range(rows):
        blocks[4 * k : 4 * k + 4, 4 * k : 4 * k + 4] = softmax_jacobian(Theta[k : k + 1])
    numeric = numerical_jacobian(softmax, Theta)
    assert_close("batch Jacobian", blocks, numeric, FINITE_DIFFERENCE_TOLERANCE)


@pytest.mark.parametrize("shape", SHAPES)
def test_vjp(shape):
    rng = np.random.default_rng(sum(shape))
    theta, g = logits(shape, sum(shape)), rng.standard_normal(shape)
    check_vjp("softmax_vjp", softmax_vjp(theta, g), softmax, softmax_reference, theta, g)


@pytest.mark.parametrize("shape", SHAPES)
def test_forward_matches_the_definition(shape):
    theta = logits(shape, sum(shape))
    y = softmax(theta)
    assert relative_error(y, softmax_reference(theta)) < 1e-14
    assert relative_error(y.sum(axis=1), np.ones(shape[0])) < 1e-15


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_at_large_logits(dtype):
    theta = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4], [1e4, 1e4, -1e4, 0.0, 0.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = softmax(theta)
        vjp = softmax_vjp(theta, np.ones_like(theta))
    assert y.dtype == dtype and np.all(np.isfinite(vjp))
    assert np.array_equal(y, [[0, 0, 0, 0, 1], [0.5, 0.5, 0, 0, 0]])


@pytest.mark.parametrize("n", [1, 2, 5, 17])
def test_column_convention_tab(n):
    """∇_θ L = (Diag(y) − y yᵀ) ∇_y L = s − (1ᵀs) y, s = y ∘ ∇_y L, all n×1 columns."""
    rng = np.random.default_rng(n)
    theta, g = logits((1, n), n), rng.standard_normal((1, n))
    y_column, gradient_column, ones = softmax(theta).T, g.T, np.ones((n, 1))
    s = y_column * gradient_column
    jacobian_form = (np.diag(y_column[:, 0]) - y_column @ y_column.T) @ gradient_column
    vjp_form = s - (ones.T @ s) * y_column
    row_result = softmax_vjp(theta, g)
    assert jacobian_form.shape == vjp_form.shape == (n, 1)
    assert_close("column tab, Jacobian form", jacobian_form, row_result.T, 1e-14)
    assert_close("column tab, VJP form", vjp_form, row_result.T, 1e-14)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("softmax")
    checks = [line for line in lines if "DIFFERS" not in line]
    mistakes = [line.split(":")[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 6 and all(line.endswith("matches") for line in checks)
    assert mistakes == [
        "s − Σ s_j (no y on the sum)",
        "g ∘ y ∘ (1 − y) (diagonal only)",
        "naive exp(θ) / Σ exp(θ) at ±1e4",
    ], "every common mistake must still fail"


def test_scalar_form_error_size_depends_on_the_numbers():
    """The page's 2 for s − Σs is one draw's: other draws give errors far from 2 both ways."""
    errors = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        theta, g = rng.standard_normal((1, 4)), rng.standard_normal((1, 4))
        s = g * softmax(theta)
        errors.append(relative_error(s - np.sum(s), softmax_vjp(theta, g)))
    assert min(errors) < 0.1 and max(errors) > 10
