"""docs/log_softmax.md ↔ snippets/log_softmax.py: ∂z/∂θ = I − 1 softmax(θ), VJP g − (Σ g_j) y."""

import math

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.gradcheck import numerical_jacobian
from snippets.log_softmax import (
    log_softmax,
    log_softmax_jacobian,
    log_softmax_vjp,
    softmax,
)
from tests.gradients import (
    FINITE_DIFFERENCE_TOLERANCE,
    assert_close,
    check_jacobian,
    check_vjp,
    relative_error,
    run_page_demo,
)

WIDTHS = [2, 3, 5, 17]  # n of a 1×n row
BATCHES = [(2, 3), (3, 4), (5, 2), (4, 7)]  # (N, n): distinct, at least 2
UPSTREAMS = ["random", "sums to 0", "sums to 1", "one-hot"]


def log_softmax_reference(theta):
    """θ_i − log Σ_k e^θ_k of each row, as written, for autograd."""
    return theta - anp.log(anp.sum(anp.exp(theta), axis=1, keepdims=True))


def logits(shape, seed):
    """Random logits spread wide enough that the softmax is far from uniform."""
    return 2 * np.random.default_rng([*shape, seed]).standard_normal(shape)


def upstream(shape, kind, seed=0):
    """An upstream gradient ∂L/∂z of one kind; only "sums to 1" makes g − softmax(θ) right."""
    rng = np.random.default_rng([*shape, UPSTREAMS.index(kind), seed])
    g = rng.standard_normal(shape)
    rows, n = shape
    if kind == "sums to 0":
        return g - g.mean(axis=1, keepdims=True)
    if kind == "sums to 1":
        return g - g.mean(axis=1, keepdims=True) + 1 / n
    if kind == "one-hot":  # −1 at the label: the upstream gradient of a cross-entropy, Σ = −1
        return -np.eye(n)[rng.integers(n, size=rows)]
    return g


@pytest.mark.parametrize("n", WIDTHS)
def test_jacobian(n):
    theta = logits((1, n), 0)
    check_jacobian(
        "log_softmax_jacobian",
        log_softmax_jacobian(theta),
        log_softmax,
        log_softmax_reference,
        theta,
    )


@pytest.mark.parametrize("n", WIDTHS)
def test_jacobian_structure(n):
    """The identity minus 1y (1 a column); rows sum to 0, rank n − 1; Diag(1/y) times softmax's."""
    theta = logits((1, n), 1)
    jacobian, y = log_softmax_jacobian(theta), softmax(theta)
    assert jacobian.shape == (n, n)
    assert_close("I − J = 1 y, every row y", np.eye(n) - jacobian, np.ones((n, 1)) @ y, 1e-15)
    assert np.max(np.abs(jacobian @ np.ones((n, 1)))) < 1e-15, "rows must sum to zero"
    assert np.linalg.matrix_rank(jacobian) == n - 1, "the null space is spanned by 1 alone"
    softmax_jacobian = np.diag(y[0]) - y.T @ y
    assert_close("J = Diag(1/y) (Diag(y) − yᵀy)", jacobian, softmax_jacobian / y.T, 1e-12)
    assert relative_error(jacobian, jacobian.T) > 1e-2, "not symmetric"


@pytest.mark.parametrize(("N", "n"), BATCHES)
def test_batch_jacobian_is_block_diagonal(N, n):
    Theta = logits((N, n), 2)
    blocks = np.zeros((N * n, N * n))
    for a in range(N):
        blocks[a * n : (a + 1) * n, a * n : (a + 1) * n] = log_softmax_jacobian(Theta[a : a + 1])
    numeric = numerical_jacobian(log_softmax, Theta)
    assert_close("batch Jacobian", blocks, numeric, FINITE_DIFFERENCE_TOLERANCE)


@pytest.mark.parametrize("kind", UPSTREAMS)
@pytest.mark.parametrize(("N", "n"), BATCHES)
def test_vjp_for_any_upstream(N, n, kind):
    Theta, G = logits((N, n), 3), upstream((N, n), kind)
    ours = log_softmax_vjp(Theta, G)
    check_vjp("log_softmax_vjp", ours, log_softmax, log_softmax_reference, Theta, G)
    assert np.max(np.abs(ours.sum(axis=1))) < 1e-12, "every VJP of log-softmax sums to zero"


@pytest.mark.parametrize("n", WIDTHS)
def test_vjp_of_one_row_is_g_times_the_jacobian(n):
    theta, g = logits((1, n), 4), upstream((1, n), "random")
    assert_close("g J", log_softmax_vjp(theta, g), g @ log_softmax_jacobian(theta), 1e-13)


@pytest.mark.parametrize("kind", UPSTREAMS)
@pytest.mark.parametrize(("N", "n"), BATCHES)
def test_the_shortcuts_hold_only_where_the_page_says(N, n, kind):
    """g − softmax(θ) is right exactly when Σ g_j = 1; g ∘ (1 − softmax(θ)) is wrong when g ≠ 0."""
    Theta, G = logits((N, n), 5), upstream((N, n), kind)
    right, y = log_softmax_vjp(Theta, G), softmax(Theta)
    if kind == "sums to 1":
        assert_close("g − softmax(θ) when Σ g = 1", G - y, right, 1e-12)
    else:
        assert relative_error(G - y, right) > 1e-2
    assert relative_error(G * (1 - y), right) > 1e-2


@pytest.mark.parametrize(("N", "n"), BATCHES)
def test_cross_entropy_upstream_gives_softmax_minus_label(N, n):
    """With ℓ = −Σ_i y^label_i z_i, g = −y^label: the VJP is softmax(θ) − y^label, labels summing
    to one."""
    Theta, G = logits((N, n), 6), upstream((N, n), "one-hot")
    assert_close("softmax(θ) − y", log_softmax_vjp(Theta, G), softmax(Theta) + G, 1e-14)


@pytest.mark.parametrize(("N", "n"), BATCHES)
def test_forward_matches_the_definition(N, n):
    Theta = logits((N, n), 7)
    z = log_softmax(Theta)
    assert z.shape == Theta.shape
    assert relative_error(z, log_softmax_reference(Theta)) < 1e-14
    assert relative_error(softmax(Theta).sum(axis=1), np.ones(N)) < 1e-15
    assert relative_error(log_softmax(Theta + 123.0), z) < 1e-12, "a shift changes nothing"
    row_max = Theta.max(axis=1, keepdims=True)
    logsumexp = row_max + np.log(np.sum(np.exp(Theta - row_max), axis=1, keepdims=True))
    assert relative_error(z, Theta - logsumexp) < 1e-13, "θ − logsumexp(θ)"


def test_worked_example_numbers():
    """θ = [1, 2, 3], g = [0.1, −0.2, 0.3]: the numbers on the page, recomputed with math."""
    theta, g = np.array([[1.0, 2.0, 3.0]]), np.array([[0.1, -0.2, 0.3]])
    total = math.log(math.exp(1) + math.exp(2) + math.exp(3))
    y = [math.exp(t - total) for t in (1, 2, 3)]
    expected = [[gj - 0.2 * yj for gj, yj in zip((0.1, -0.2, 0.3), y, strict=True)]]
    assert_close("z", log_softmax(theta), [[1 - total, 2 - total, 3 - total]], 1e-15)
    assert_close("VJP", log_softmax_vjp(theta, g), expected, 1e-14)
    assert np.round(log_softmax_vjp(theta, g), 6).tolist() == [[0.081994, -0.248946, 0.166952]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_at_large_logits(dtype):
    theta = np.array([[1e4, -1e4, 0.0, 5.0, -50.0], [1e4, 1e4, -1e4, 0.0, 0.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        z = log_softmax(theta)
        vjp = log_softmax_vjp(theta, np.ones_like(theta))
    assert z.dtype == vjp.dtype == dtype
    log2 = math.log(2)  # logsumexp of the second row is 1e4 + log 2
    expected = [
        [0, -2e4, -1e4, -9995, -10050],
        [-log2, -log2, -2e4 - log2, -1e4 - log2, -1e4 - log2],
    ]
    assert relative_error(z, np.array(expected)) < 1e-7
    assert relative_error(vjp, [[-4, 1, 1, 1, 1], [-1.5, -1.5, 1, 1, 1]]) < 1e-6


@pytest.mark.parametrize("n", WIDTHS)
def test_column_convention_tab(n):
    """∂z/∂θ = I − 1ᵀ yᵀ and ∇_θ L = (I − y 1) ∇_z L = ∇_z L − (1 ∇_z L) y, y an n×1 column."""
    theta, g = logits((1, n), 8), upstream((1, n), "random")
    y, gradient, ones = softmax(theta).T, g.T, np.ones((1, n))  # y and ∇_z L are n×1, 1 is 1×n
    jacobian = np.eye(n) - ones.T @ y.T
    assert_close("column tab, Jacobian", jacobian, log_softmax_jacobian(theta), 1e-15)
    jacobian_form = (np.eye(n) - y @ ones) @ gradient
    vjp_form = gradient - (ones @ gradient) * y
    assert jacobian_form.shape == vjp_form.shape == (n, 1)
    assert_close("column tab, Jᵀ ∇", jacobian_form, log_softmax_vjp(theta, g).T, 1e-14)
    assert_close("column tab, VJP form", vjp_form, log_softmax_vjp(theta, g).T, 1e-14)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("log_softmax")
    assert lines[:4] == [
        "z = log_softmax(θ): [[-2.407606, -1.407606, -0.407606]]",
        "softmax(θ): [[0.090031, 0.244728, 0.665241]]",
        "Σ g_j: 0.2",
        "∂L/∂θ = g − (Σ g_j) softmax(θ): [[0.081994, -0.248946, 0.166952]]",
    ]
    checks = [line for line in lines[4:] if "DIFFERS" not in line]
    mistakes = [line.split(": DIFFERS")[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 7 and all(line.endswith("matches") for line in checks)
    assert mistakes == [
        "g − softmax(θ) (the Σ g_j dropped)",
        "g ∘ (1 − softmax(θ)) (diagonal only)",
        "log(exp(θ) / Σ exp(θ)) at ±1e4",
        "log(softmax(θ)), softmax stable, at ±1e4",
    ], "every common mistake must still fail"
