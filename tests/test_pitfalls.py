"""docs/pitfalls.md ↔ snippets/pitfalls.py: per pitfall, the right form checks, the wrong fails."""

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.pitfalls import (
    affine,
    affine_input_vjp,
    affine_input_vjp_untransposed,
    cross_entropy,
    cross_entropy_gradient,
    cross_entropy_gradient_sign_dropped,
    log_softmax,
    mean_cross_entropy,
    mean_cross_entropy_weight_gradient,
    mean_cross_entropy_weight_gradient_summed,
    sigmoid,
    sigmoid_derivative,
    sigmoid_layer,
    sigmoid_layer_input_vjp,
    sigmoid_layer_input_vjp_hadamard_last,
    sigmoid_layer_jacobian,
    softmax,
    softmax_jacobian,
    softmax_vjp,
    softmax_vjp_elementwise,
    softmax_vjp_scalar_subtracted,
)
from tests.gradients import (
    autograd_vjp,
    check_jacobian,
    check_vjp,
    relative_error,
    run_page_demo,
)
from tests.pages import ROOT, python_blocks

PAGE = ROOT / "docs" / "pitfalls.md"
SNIPPET = ROOT / "snippets" / "pitfalls.py"

# Independent forward definitions for autograd: no max subtraction, no logsumexp.


def softmax_reference(theta):
    e = anp.exp(theta)
    return e / anp.sum(e, axis=1, keepdims=True)


def cross_entropy_reference(theta, y):
    return -anp.sum(y * anp.log(softmax_reference(theta)), axis=1, keepdims=True)


def sigmoid_reference(r):
    return 1 / (1 + anp.exp(-r))


def sigmoid_layer_reference(x, W):
    return sigmoid_reference(anp.dot(x, W))


@dataclass
class Pitfall:
    """One pitfall at one size: the right and the wrong form of ∂L/∂x, and what x feeds."""

    x: np.ndarray
    g: np.ndarray  # upstream gradient on the forward's output
    forward: Callable  # numpy forward of x
    forward_reference: Callable  # independent autograd forward of x
    right: Callable  # () -> the right form
    wrong: Callable  # () -> the wrong form (may raise a numpy shape error)


def one_hot(rng, rows, m):
    return np.eye(m)[rng.integers(0, m, size=rows)]


def sign(rng, k):
    theta, y = rng.standard_normal((1, k)), one_hot(rng, 1, k)
    return Pitfall(
        theta,
        np.ones((1, 1)),
        lambda t: cross_entropy(t, y),
        lambda t: cross_entropy_reference(t, y),
        lambda: cross_entropy_gradient(theta, y),
        lambda: cross_entropy_gradient_sign_dropped(theta, y),
    )


def transpose(rng, k, m):
    x, W, b, g = (rng.standard_normal(s) for s in [(1, k), (k, m), (1, m), (1, m)])
    return Pitfall(
        x,
        g,
        lambda x: affine(x, W, b),
        lambda x: anp.dot(x, W) + b,
        lambda: affine_input_vjp(W, g),
        lambda: affine_input_vjp_untransposed(W, g),
    )


def hadamard_misplaced(rng, k):
    x, W, g = (rng.standard_normal(s) for s in [(1, k + 2), (k + 2, k), (1, k)])
    return Pitfall(
        x,
        g,
        lambda x: sigmoid_layer(x, W),
        lambda x: sigmoid_layer_reference(x, W),
        lambda: sigmoid_layer_input_vjp(x, W, g),
        lambda: sigmoid_layer_input_vjp_hadamard_last(x, W, g),
    )


def hadamard_broadcast(rng, k):
    r, g = rng.standard_normal((1, k)), rng.standard_normal((1, k))
    return Pitfall(
        r,
        g,
        sigmoid,
        sigmoid_reference,
        lambda: g * sigmoid_derivative(r),
        lambda: g * sigmoid_derivative(r.T),
    )


def softmax_case(wrong_vjp):
    def make(rng, k):
        rows = 1 if k < 5 else 3
        theta, g = rng.standard_normal((rows, k)), rng.standard_normal((rows, k))
        return Pitfall(
            theta,
            g,
            softmax,
            softmax_reference,
            lambda: softmax_vjp(theta, g),
            lambda: wrong_vjp(theta, g),
        )

    return make


def mean(rng, k):
    n, m = 4, 6  # inputs, classes: no batch size k of the test is 4 or 6
    X, W, b, Y = (
        rng.standard_normal((k, n)),
        rng.standard_normal((n, m)),
        rng.standard_normal((1, m)),
        one_hot(rng, k, m),
    )
    return Pitfall(
        W,
        np.ones(()),
        lambda W: mean_cross_entropy(X, W, b, Y),
        lambda W: anp.mean(cross_entropy_reference(anp.dot(X, W) + b, Y)),
        lambda: mean_cross_entropy_weight_gradient(X, W, b, Y),
        lambda: mean_cross_entropy_weight_gradient_summed(X, W, b, Y),
    )


def layout(rng, k, m):
    x, W, g = (rng.standard_normal(s) for s in [(1, k), (k, m), (1, m)])
    return Pitfall(
        x,
        g,
        lambda x: sigmoid_layer(x, W),
        lambda x: sigmoid_layer_reference(x, W),
        lambda: g @ sigmoid_layer_jacobian(x, W),
        lambda: g @ sigmoid_layer_jacobian(x, W).T,
    )


PITFALLS = {
    "1 minus sign dropped": sign,
    "2 W for Wᵀ, n ≠ m": lambda rng, k: transpose(rng, k, k + 1),
    "2 W for Wᵀ, square W": lambda rng, k: transpose(rng, k, k),
    "3 Hadamard of 1×m and 1×n": hadamard_misplaced,
    "3 Hadamard of 1×m and m×1": hadamard_broadcast,
    "4 softmax as element-wise": softmax_case(softmax_vjp_elementwise),
    "5 scalar subtracted": softmax_case(softmax_vjp_scalar_subtracted),
    "6 sum for a mean": mean,
    "7 layout, non-square J": lambda rng, k: layout(rng, k, k + 1),
    "7 layout, square J": lambda rng, k: layout(rng, k, k),
}


def wrong_differs(wrong, reference):
    """True when the wrong form raises a shape error, has another shape, or other numbers."""
    try:
        value = wrong()
    except ValueError:
        return True
    return np.shape(value) != np.shape(reference) or relative_error(value, reference) > 1e-3


@pytest.mark.parametrize("k", [2, 3, 5, 17])
@pytest.mark.parametrize("name", PITFALLS)
def test_right_form_checks_and_wrong_form_fails(name, k):
    case = PITFALLS[name](np.random.default_rng(k), k)
    right = case.right()
    check_vjp(name, right, case.forward, case.forward_reference, case.x, case.g)
    exact = autograd_vjp(case.forward_reference, case.x, case.g)
    assert wrong_differs(case.wrong, exact), f"{name}: the wrong form agrees at size {k}"


@pytest.mark.parametrize("n", [1, 2, 5, 17])
def test_softmax_jacobian(n):
    theta = np.random.default_rng(n).standard_normal((1, n))
    check_jacobian("softmax_jacobian", softmax_jacobian(theta), softmax, softmax_reference, theta)


@pytest.mark.parametrize(("n", "m"), [(1, 1), (2, 3), (5, 4), (17, 6)])
def test_sigmoid_layer_jacobian(n, m):
    rng = np.random.default_rng(n + m)
    x, W = rng.standard_normal((1, n)), rng.standard_normal((n, m))
    check_jacobian(
        "sigmoid_layer_jacobian",
        sigmoid_layer_jacobian(x, W),
        lambda x: sigmoid_layer(x, W),
        lambda x: sigmoid_layer_reference(x, W),
        x,
    )


def test_forwards_match_their_definitions():
    rng, N, n, m = np.random.default_rng(1), 4, 3, 6
    theta, y = 3 * rng.standard_normal((N, m)), one_hot(rng, N, m)
    assert relative_error(softmax(theta), softmax_reference(theta)) < 1e-14
    assert relative_error(log_softmax(theta), np.log(softmax_reference(theta))) < 1e-14
    assert relative_error(cross_entropy(theta, y), cross_entropy_reference(theta, y)) < 1e-14
    assert relative_error(sigmoid(theta), sigmoid_reference(theta)) < 1e-14
    X, W, b = rng.standard_normal((N, n)), rng.standard_normal((n, m)), rng.standard_normal((1, m))
    losses = [cross_entropy(X[k : k + 1] @ W + b, Y[None]) for k, Y in enumerate(y)]
    assert relative_error(mean_cross_entropy(X, W, b, y), np.sum(losses) / N) < 1e-14


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_at_large_logits(dtype):
    theta = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=dtype)
    y, g = np.eye(5, dtype=dtype)[[0]], np.ones((1, 5), dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values = [
            softmax(theta),
            log_softmax(theta),
            cross_entropy(theta, y),
            cross_entropy_gradient(theta, y),
            softmax_vjp(theta, g),
        ]
    assert all(np.all(np.isfinite(value)) for value in values)
    assert cross_entropy(theta, y)[0, 0] == pytest.approx(2e4, rel=1e-6)


def test_page_claims():
    """What the page says besides the checks: sums, symmetry, a batch of one."""
    rng = np.random.default_rng(3)
    theta, g = rng.standard_normal((1, 6)), rng.standard_normal((1, 6))
    # 5: the right softmax VJP sums to zero along the row, the wrong one does not.
    assert abs(softmax_vjp(theta, g).sum()) < 1e-14
    assert abs(softmax_vjp_scalar_subtracted(theta, g).sum()) > 1e-3
    # 7: the softmax Jacobian is symmetric, so g Jᵀ = g J there and the mix-up hides.
    assert np.array_equal(softmax_jacobian(theta), softmax_jacobian(theta).T)
    # 6: with a batch of one, the mean and the sum agree, so N = 1 cannot catch the 1/N.
    n, m = 3, 4
    X, W, b, Y = (
        rng.standard_normal((1, n)),
        rng.standard_normal((n, m)),
        rng.standard_normal((1, m)),
        one_hot(rng, 1, m),
    )
    assert np.allclose(
        mean_cross_entropy_weight_gradient(X, W, b, Y),
        mean_cross_entropy_weight_gradient_summed(X, W, b, Y),
    )


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("pitfalls")
    right = [line for line in lines if line.startswith("right ")]
    wrong = [line for line in lines if line.startswith("wrong ")]
    assert len(right) + len(wrong) == len(lines)
    assert len(right) == 12 and all(line.endswith(": matches") for line in right)
    errors = ("DIFFERS", "mismatch in its core dimension", "could not be broadcast")
    assert len(wrong) == 11 and all(any(e in line for e in errors) for line in wrong)


def test_column_convention_tab():
    """Layout box, column tab: ∇ₓL = Jᵀ ∇ₕL = W (σ'(r) ∘ ∇ₕL) with r = Wᵀx, x and ∇ₕL n×1, m×1."""
    rng, n, m = np.random.default_rng(7), 4, 3
    x, W, g = rng.standard_normal((1, n)), rng.standard_normal((n, m)), rng.standard_normal((1, m))
    J = sigmoid_layer_jacobian(x, W)
    x_column, g_column = x.T, g.T
    r_column = W.T @ x_column
    column = J.T @ g_column
    assert np.allclose(column, W @ (sigmoid_derivative(r_column) * g_column))
    assert column.shape == (n, 1)
    assert relative_error(column, (g @ J).T) < 1e-14


def function_sections():
    """The module-level sections of snippets/pitfalls.py: name -> (start line, end line)."""
    marker = re.compile(r"^# --8<-- \[(start|end):(\w+)\]$")  # unindented: not __main__
    starts, sections = {}, {}
    for number, line in enumerate(SNIPPET.read_text(encoding="utf-8").splitlines(), 1):
        if match := marker.match(line):
            edge, name = match.groups()
            if edge == "start":
                starts[name] = number
            else:
                sections[name] = (starts.pop(name), number)
    assert not starts, f"sections never closed: {sorted(starts)}"
    return sections


def test_every_function_sits_in_exactly_one_section():
    sections = function_sections()
    tree = ast.parse(SNIPPET.read_text(encoding="utf-8"))
    for function in (node for node in tree.body if isinstance(node, ast.FunctionDef)):
        holders = [
            name
            for name, (start, end) in sections.items()
            if start < function.lineno and function.end_lineno < end
        ]
        assert len(holders) == 1, f"{function.name} is in sections {holders}"
    included = set(re.findall(r'--8<-- "snippets/pitfalls\.py:(\w+)"', PAGE.read_text("utf-8")))
    assert set(sections) <= included, f"sections no block uses: {set(sections) - included}"


@pytest.mark.parametrize("block", python_blocks(PAGE), ids=lambda block: block.where)
def test_page_block_defines_only_functions_it_uses(block):
    """Each pitfall's block injects just the sections it needs: no function goes unused."""
    tree = ast.parse(block.code)
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    used = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    assert defined <= used, f"{block.where}: defines {sorted(defined - used)} but never uses them"


def test_each_wrong_form_is_exactly_the_formula_the_page_shows():
    """The wrong forms are pinned to their written-out formulas, not only to 'differs'."""
    rng, N, m, n = np.random.default_rng(7), 3, 5, 4
    theta, g, y = rng.standard_normal((N, m)), rng.standard_normal((N, m)), one_hot(rng, N, m)
    x, W, g_layer = (
        rng.standard_normal((1, n)),
        rng.standard_normal((n, n)),
        rng.standard_normal((1, n)),
    )
    y_hat = np.exp(theta) / np.exp(theta).sum(axis=1, keepdims=True)
    s = g * y_hat
    h = 1 / (1 + np.exp(-(x @ W)))
    cases = {
        "y − ŷ": (cross_entropy_gradient_sign_dropped(theta, y), y - y_hat),
        "g ∘ y ∘ (1 − y)": (softmax_vjp_elementwise(theta, g), g * y_hat * (1 - y_hat)),
        "s − Σ s_j": (softmax_vjp_scalar_subtracted(theta, g), s - s.sum(axis=1, keepdims=True)),
        "g ∘ (σ'(r) Wᵀ)": (
            sigmoid_layer_input_vjp_hadamard_last(x, W, g_layer),
            g_layer * ((h * (1 - h)) @ W.T),
        ),
    }
    for name, (ours, written_out) in cases.items():
        np.testing.assert_allclose(ours, written_out, rtol=1e-12, atol=1e-15, err_msg=name)


def test_softmax_takes_each_rows_own_maximum():
    """Rows far apart in scale: a maximum over the whole array would underflow the small row."""
    theta = np.array([[1000.0, 999.0, 998.0], [0.0, -1.0, -2.0]])
    expected = np.exp([0.0, -1.0, -2.0]) / np.exp([0.0, -1.0, -2.0]).sum()
    np.testing.assert_allclose(softmax(theta), [expected, expected], rtol=1e-12)
    np.testing.assert_allclose(log_softmax(theta), np.log([expected, expected]), rtol=1e-12)


def test_layout_demo_shows_the_shape_error():
    """gJᵀ with a non-square J must fail as a matrix product, not broadcast into another shape."""
    lines = run_page_demo("pitfalls")
    layout = [line for line in lines if line.startswith("wrong g Jᵀ: ")]
    assert len(layout) == 1 and layout[0].startswith("wrong g Jᵀ: matmul:")
