"""docs/gated_activations.md ↔ snippets/gated_activations.py: SiLU, swish and SwiGLU.

Swish's diagonal Jacobian, its VJP and its derivative by a learned β, and every Jacobian and VJP
of the SwiGLU block (by X, W1, W3, W2), are checked against finite differences and autograd on a
few shapes. GLU is the same block with σ as its gate, and is checked the same way.
"""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.gated_activations import (
    sigmoid,
    silu,
    silu_derivative,
    structure_figure,
    swiglu,
    swiglu_blocks,
    swiglu_figure,
    swiglu_figure_point,
    swiglu_jacobians,
    swiglu_vjp,
    swish,
    swish_beta_derivative,
    swish_beta_vjp,
    swish_derivative,
    swish_jacobian,
    swish_vjp,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo


def swish_reference(r, beta):
    """swish again, for autograd: r/(1 + e^(−βr))."""
    return r / (1 + anp.exp(-beta * r))


# --- swish and SiLU


@pytest.mark.parametrize(("n", "beta"), [(2, 1.0), (5, 1.5), (7, 0.4)])
def test_swish_jacobian_and_vjp(n, beta):
    rng = np.random.default_rng(n)
    r, g = 2 * rng.standard_normal((1, n)), rng.standard_normal((1, n))

    def forward(z):
        return swish(z, beta)

    def reference(z):
        return swish_reference(z, beta)

    check_jacobian("swish_jacobian", swish_jacobian(r, beta), forward, reference, r)
    check_vjp("swish_vjp", swish_vjp(r, g, beta), forward, reference, r, g)


@pytest.mark.parametrize("shape", [(3, 4), (1, 6)])
def test_swish_vjp_on_a_batch(shape):
    rng = np.random.default_rng(sum(shape))
    r, g = 2 * rng.standard_normal(shape), rng.standard_normal(shape)
    beta = 0.8

    def forward(z):
        return swish(z, beta)

    def reference(z):
        return swish_reference(z, beta)

    check_vjp("swish_vjp", swish_vjp(r, g, beta), forward, reference, r, g)


@pytest.mark.parametrize(("n", "beta"), [(3, 1.0), (6, 1.7), (4, 0.5)])
def test_the_derivative_by_a_learned_beta(n, beta):
    rng = np.random.default_rng([n, 3])
    r, g = 2 * rng.standard_normal((1, n)), rng.standard_normal((1, n))
    b = np.array([[beta]])  # β as a 1×1 array, the variable

    def forward(c):
        return swish(r, c[0, 0])

    def reference(c):
        return swish_reference(r, c[0, 0])

    column = swish_beta_derivative(r, beta).reshape(n, 1)  # ∂h/∂β, n×1
    check_jacobian("swish_beta_derivative", column, forward, reference, b)
    check_vjp("swish_beta_vjp", np.array([[swish_beta_vjp(r, g, beta)]]), forward, reference, b, g)


def test_silu_is_swish_with_beta_one_and_its_derivative_has_the_extra_term():
    r = np.linspace(-6.0, 6.0, 13).reshape(1, 13)
    assert_close("silu", silu(r), swish(r, 1.0), 1e-15)
    assert_close("silu_derivative", silu_derivative(r), swish_derivative(r, 1.0), 1e-14)
    check_jacobian(
        "silu_derivative",
        np.diag(silu_derivative(r)[0]),
        silu,
        lambda z: swish_reference(z, 1.0),
        r,
    )
    assert not np.allclose(silu_derivative(r), sigmoid(r)), "σ alone is the common mistake"
    assert silu_derivative(np.array([0.0]))[0] == 0.5


def test_swish_derivative_written_two_ways():
    """σ(βr) + βr σ(βr)(1 − σ(βr)), the product rule as written, is βh + σ(βr)(1 − βh)."""
    rng = np.random.default_rng(11)
    r, beta = 3 * rng.standard_normal(9), 1.3
    s = 1 / (1 + np.exp(-beta * r))
    assert_close("swish′", swish_derivative(r, beta), s + beta * r * s * (1 - s), 1e-14)


def test_the_sigmoid_does_not_overflow():
    r = np.array([-800.0, -30.0, 0.0, 30.0, 800.0])
    with np.errstate(over="raise"):
        s = sigmoid(r)
    assert s[0] == 0.0 and s[2] == 0.5 and s[4] == 1.0
    assert_close("σ(−30)", s[1], np.exp(-30.0) / (1 + np.exp(-30.0)), 1e-12)
    assert np.all(np.isfinite(swish_derivative(r, 1.0)))


# --- GLU and SwiGLU


SWIGLU_SIZES = [(2, 3, 5), (1, 4, 3), (3, 2, 4)]  # (N, d, f)


def draw(rng, N, d, f):
    return (
        rng.standard_normal((N, d)),
        rng.standard_normal((d, f)),
        rng.standard_normal((d, f)),
        rng.standard_normal((f, d)),
        rng.standard_normal((N, d)),
    )


def swiglu_reference(X, W1, W3, W2):
    A = anp.dot(X, W1)
    return anp.dot(A / (1 + anp.exp(-A)) * anp.dot(X, W3), W2)


def glu_reference(X, W1, W3, W2):
    return anp.dot(1 / (1 + anp.exp(-anp.dot(X, W1))) * anp.dot(X, W3), W2)


def sigmoid_derivative(A):
    return sigmoid(A) * (1 - sigmoid(A))


@pytest.mark.parametrize(("N", "d", "f"), SWIGLU_SIZES)
@pytest.mark.parametrize("variant", ["SwiGLU", "GLU"])
def test_swiglu_jacobians_and_vjps(N, d, f, variant):
    rng = np.random.default_rng([N, d, f])
    X, W1, W3, W2, G = draw(rng, N, d, f)
    if variant == "SwiGLU":
        gate, gate_derivative, reference = silu, silu_derivative, swiglu_reference
    else:
        gate, gate_derivative, reference = sigmoid, sigmoid_derivative, glu_reference
    arguments = {"X": X, "W1": W1, "W3": W3, "W2": W2}
    jacobians = swiglu_jacobians(X, W1, W3, W2, gate, gate_derivative)
    grads = swiglu_vjp(X, W1, W3, W2, G, gate, gate_derivative)
    for (name, value), grad in zip(arguments.items(), grads, strict=True):

        def forward(Z, name=name):
            return swiglu(**{**arguments, name: Z}, gate=gate)

        def autograd_forward(Z, name=name):
            return reference(**{**arguments, name: Z})

        label = f"{variant} by {name}"
        check_jacobian(label, jacobians[name], forward, autograd_forward, value)
        check_vjp(label, grad, forward, autograd_forward, value, G)
        assert grad.shape == value.shape


def test_both_branches_of_x_are_needed():
    N, d, f = 2, 3, 5
    X, W1, W3, W2, G = draw(np.random.default_rng(5), N, d, f)
    grad_X = swiglu_vjp(X, W1, W3, W2, G)[0]
    G_H = G @ W2.T
    gate_only = (G_H * (X @ W3) * silu_derivative(X @ W1)) @ W1.T
    linear_only = (G_H * silu(X @ W1)) @ W3.T
    assert_close("the two branches add", gate_only + linear_only, grad_X, 1e-14)
    assert not np.allclose(gate_only, grad_X) and not np.allclose(linear_only, grad_X)


# --- the page


def test_the_figures_draw_what_the_page_says():
    swish_picture = structure_figure()
    diagonal = np.diag(swish_picture.matrix)
    assert np.all(diagonal[:2] < 0) and np.all(diagonal[2:] > 0), "negative slope for r < −1.28"
    assert (swish_picture.at < 0).sum() == 3, "and a negative input whose slope is positive"
    swiglu_picture = swiglu_figure()
    X, W1, W3, W2 = swiglu_figure_point()
    assert np.array_equal(swiglu_picture.at, X)
    assert_close("blocks", swiglu_picture.matrix, swiglu_blocks(X, W1, W3, W2), 1e-14)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("gated_activations")
    differs = [line for line in lines if "DIFFERS" in line]
    assert [line.split(":")[0] for line in differs] == [
        "SiLU′ taken as σ(r)",
        "gate branch only",
        "linear branch only",
    ], "every common mistake must still fail"
    matches = [line for line in lines if "DIFFERS" not in line]
    assert len(matches) == 13 and all(line.endswith(": matches") for line in matches)
    assert differs[0].endswith("relative error 0.19"), "σ(r) for SiLU′: the r σ′(r) term dropped"


def test_the_shape_of_silu_prime_the_page_states():
    """Negative below r ≈ −1.278 (SiLU's minimum, ≈ −0.278), a peak ≈ 1.100 near r = 2.40."""
    r_min, r_peak = -1.2784645, 2.3994
    assert abs(silu_derivative(np.array(r_min))) < 1e-7
    assert silu_derivative(np.array(r_min - 0.01)) < 0 < silu_derivative(np.array(r_min + 0.01))
    assert abs(silu(np.array(r_min)) + 0.2785) < 1e-4
    grid = np.linspace(0.0, 6.0, 60001)
    assert abs(silu_derivative(grid).max() - 1.0998) < 1e-4
    assert abs(grid[np.argmax(silu_derivative(grid))] - r_peak) < 1e-3
    for beta in (0.5, 2.0):  # the minimum scales as −1.278/β
        assert abs(swish_derivative(np.array(r_min / beta), beta)) < 1e-7
    r = np.linspace(-3.0, 3.0, 7)
    assert_close("β = 0: r/2", swish(r, 0.0), r / 2, 1e-15)
    assert_close("large β: ReLU", swish(r, 200.0), np.maximum(r, 0), 1e-12)
