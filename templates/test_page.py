"""docs/__NAME__.md ↔ snippets/__NAME__.py: __TITLE__.

SCAFFOLD: tests of the placeholder y = x ∘ x; test your functions the same way.
"""

import numpy as np
import pytest

from snippets.__NAME__ import square, square_jacobian, square_vjp
from tests.gradients import check_jacobian, check_vjp, run_page_demo


def square_reference(x):
    """The forward pass again, for autograd to differentiate."""
    return x**2


# Sizes distinct and at least 2: at n = 1 some Jacobians (a normalization's) are ε-sized.
@pytest.mark.parametrize("n", [2, 5, 17])
def test_jacobian(n):
    x = np.random.default_rng(n).standard_normal((1, n))
    check_jacobian("square_jacobian", square_jacobian(x), square, square_reference, x)


@pytest.mark.parametrize("shape", [(1, 3), (1, 5), (4, 7)])
def test_vjp(shape):
    rng = np.random.default_rng(sum(shape))
    x, g = rng.standard_normal(shape), rng.standard_normal(shape)
    check_vjp("square_vjp", square_vjp(x, g), square, square_reference, x, g)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("__NAME__")
    assert lines[:2] == [
        "Jacobian vs finite differences: matches",
        "VJP vs g @ numeric Jacobian: matches",
    ]
    assert all("DIFFERS" in line for line in lines[2:]) and len(lines) == 3
