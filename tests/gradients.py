"""Reference derivatives for the snippet tests: central differences and autograd.

Every derivative a snippet claims is compared, in float64, with two references:

* central finite differences (``snippets.gradcheck.numerical_jacobian``), tolerance 1e-6
  relative, since their truncation and rounding error is about 1e-9 here;
* autograd 1.9 differentiating an independent forward definition written with
  ``autograd.numpy``, tolerance 1e-10 relative, since both sides are exact up to rounding.
"""

from __future__ import annotations

import contextlib
import io
import runpy
from pathlib import Path

import numpy as np
from autograd import jacobian as autograd_jacobian_of
from autograd import make_vjp

from snippets.gradcheck import numerical_jacobian

FINITE_DIFFERENCE_TOLERANCE = 1e-6
AUTODIFF_TOLERANCE = 1e-10
SNIPPETS = Path(__file__).resolve().parent.parent / "snippets"
KIND_OF_TOLERANCE = {
    FINITE_DIFFERENCE_TOLERANCE: "finite differences",
    AUTODIFF_TOLERANCE: "autograd",
}

# (kind, relative error) of every comparison the running test made; tests/conftest.py moves them
# into the test's report, from which the page's verification record is written.
RECORDED: list[tuple[str, float]] = []


def relative_error(ours, reference) -> float:
    ours, reference = np.asarray(ours), np.asarray(reference)
    assert ours.shape == reference.shape, f"shape {ours.shape}, expected {reference.shape}"
    return float(np.max(np.abs(ours - reference)) / max(np.max(np.abs(reference)), 1e-12))


def autograd_jacobian(forward, x):
    """Jacobian of ``forward`` at ``x`` by autograd, flattened to (output size, input size)."""
    full = autograd_jacobian_of(forward)(x)
    return full.reshape(-1, np.size(x))


def autograd_vjp(forward, x, g):
    """g·(∂forward/∂x) by autograd's reverse mode; the shape of x."""
    vjp, _ = make_vjp(forward)(x)
    return vjp(g)


def assert_close(name: str, ours, reference, tolerance: float) -> float:
    error = relative_error(ours, reference)
    RECORDED.append((KIND_OF_TOLERANCE.get(tolerance, "reference"), error))
    assert error <= tolerance, f"{name}: relative error {error:.2e} > {tolerance:.0e}"
    return error


def check_jacobian(name, ours, forward_numpy, forward_autograd, x):
    """Assert a claimed full Jacobian against finite differences and autograd."""
    assert_close(
        f"{name} vs finite differences",
        ours,
        numerical_jacobian(forward_numpy, x),
        FINITE_DIFFERENCE_TOLERANCE,
    )
    assert_close(
        f"{name} vs autograd", ours, autograd_jacobian(forward_autograd, x), AUTODIFF_TOLERANCE
    )


def check_vjp(name, ours, forward_numpy, forward_autograd, x, g):
    """Assert a claimed VJP against g·(finite-difference Jacobian) and autograd's VJP."""
    numeric = (np.ravel(g) @ numerical_jacobian(forward_numpy, x)).reshape(np.shape(x))
    assert_close(f"{name} vs finite differences", ours, numeric, FINITE_DIFFERENCE_TOLERANCE)
    assert_close(
        f"{name} vs autograd", ours, autograd_vjp(forward_autograd, x, g), AUTODIFF_TOLERANCE
    )


def with_argument(forward, arguments, position, *rest):
    """forward as a function of arguments[position] alone, the others and ``rest`` held fixed."""

    def of_one(value):
        replaced = list(arguments)
        replaced[position] = value
        return forward(*replaced, *rest)

    return of_one


def run_page_demo(module: str) -> list[str]:
    """Run ``python -m snippets.<module>`` in-process; the lines it prints."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        runpy.run_path(str(SNIPPETS / f"{module}.py"), run_name="__main__")
    return printed.getvalue().splitlines()
