"""snippets/gradcheck.py: the central differences and the compare() every page block prints with."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.gradcheck import compare, numerical_jacobian
from tests.gradients import autograd_jacobian, relative_error


@pytest.mark.parametrize("shape", [(1,), (1, 3), (2, 3), (4, 1)])
def test_numerical_jacobian_of_integer_input(shape):
    """x typed as integers is nudged in floats: the step is not rounded away to 0."""
    x = np.arange(1, np.prod(shape) + 1).reshape(shape)  # an integer array
    assert x.dtype.kind == "i"
    ours = numerical_jacobian(lambda x: x**3, x)
    assert ours.shape == (x.size, x.size)
    assert relative_error(ours, autograd_jacobian(lambda x: x**3, x.astype(float))) < 1e-6


@pytest.mark.parametrize(
    ("shape", "expected"), [((1, 3), (3, 1)), ((2, 3), (3, 2)), ((4,), (1, 4))]
)
def test_compare_fails_on_a_shape_mismatch(capsys, shape, expected):
    """Same values, other shape: compare() says so and returns False, whatever the values."""
    assert compare("ours", np.zeros(shape), np.zeros(expected)) is False
    assert capsys.readouterr().out == f"ours: DIFFERS, shape {shape} but expected {expected}\n"


@pytest.mark.parametrize("size", [1e-3, 1e-6, 1e-9])
def test_compare_is_relative_for_small_references(capsys, size):
    """An absolute error below the tolerance is still a relative error of 1e-4 here."""
    reference = np.full((1, 3), size) * [[1.0, -2.0, 3.0]]
    assert compare("small", reference * (1 + 1e-4), reference) is False
    assert capsys.readouterr().out == "small: DIFFERS, relative error 0.0001\n"


@pytest.mark.parametrize(("ours", "matches"), [(1e-19, True), (1e-15, False)])
def test_compare_against_zero_uses_a_floor_of_1e_12(capsys, ours, matches):
    assert compare("zero", np.full((1, 3), ours), np.zeros((1, 3))) is matches
    assert capsys.readouterr().out.endswith("matches\n" if matches else "error 0.001\n")


@pytest.mark.parametrize("tolerance", [0.5, 2**-10, 2**-20])
def test_compare_accepts_an_error_equal_to_the_tolerance(capsys, tolerance):
    """Powers of two, so the relative error is exactly the tolerance; twice it is refused."""
    reference, nudge = np.array([[1.0, -2.0]]), np.array([[tolerance, 0.0]])  # scale 2
    assert compare("edge", reference + 2 * nudge, reference, tolerance) is True
    assert compare("over", reference + 4 * nudge, reference, tolerance) is False
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "edge: matches"
    assert printed[1].startswith("over: DIFFERS, relative error ")


def test_numerical_jacobian_is_row_major_for_matrices():
    """Entry (a, b) is ∂f(X).ravel()[a]/∂X.ravel()[b], as autograd's flattened Jacobian."""
    rng, N, n, m = np.random.default_rng(0), 2, 3, 4
    X, A = rng.standard_normal((N, n)), rng.standard_normal((n, m))
    ours = numerical_jacobian(lambda X: np.tanh(X @ A), X)
    assert relative_error(ours, autograd_jacobian(lambda X: anp.tanh(anp.dot(X, A)), X)) < 1e-8
