"""docs/rnn.md ↔ snippets/rnn.py: one-step Jacobians, their product through time, and BPTT."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.rnn import (
    rnn_forward,
    rnn_jacobian_bound,
    rnn_state_jacobian,
    rnn_step_jacobian,
    rnn_vjp,
    rnn_weight_jacobian,
)
from tests.gradients import (
    assert_close,
    check_jacobian,
    check_vjp,
    run_page_demo,
)

# (T steps, H hidden units, D inputs); (6, 4, 3) is the page's network.
SIZES = [(1, 1, 1), (1, 3, 2), (4, 3, 2), (6, 4, 3), (5, 6, 1), (9, 2, 4)]
VARIABLES = ["h_0", "X", "W_h", "W_x", "b"]


def tanh_reference(a):
    """tanh from its definition (e^{2a} − 1)/(e^{2a} + 1), written without np.tanh."""
    return 1 - 2 / (anp.exp(2 * a) + 1)


def rnn_reference(h_0, X, W_h, W_x, b):
    """The states h_1..h_T again, written with autograd.numpy, one step at a time."""
    states, h = [], h_0
    for t in range(X.shape[0]):
        h = tanh_reference(anp.dot(h, W_h) + anp.dot(X[t : t + 1], W_x) + b)
        states.append(h)
    return anp.concatenate(states, axis=0)


def random_rnn(T, H, D, seed=None):
    rng = np.random.default_rng([T, H, D] if seed is None else seed)
    return {
        "h_0": rng.standard_normal((1, H)),
        "X": rng.standard_normal((T, D)),
        "W_h": rng.standard_normal((H, H)) / np.sqrt(H),
        "W_x": rng.standard_normal((D, H)) / np.sqrt(D),
        "b": rng.standard_normal((1, H)),
    }, rng.standard_normal((T, H))


def with_one(forward, arguments, name):
    """forward as a function of the argument `name` alone, the others held fixed."""
    return lambda value: forward(**{**arguments, name: value})


@pytest.mark.parametrize(("T", "H", "D"), SIZES)
def test_step_jacobian(T, H, D):
    a, _ = random_rnn(T, H, D)
    h_1 = rnn_forward(**a)[:1]
    one_step = {**a, "X": a["X"][:1]}
    check_jacobian(
        "rnn_step_jacobian",
        rnn_step_jacobian(h_1, a["W_h"]),
        with_one(rnn_forward, one_step, "h_0"),
        with_one(rnn_reference, one_step, "h_0"),
        a["h_0"],
    )


@pytest.mark.parametrize(("T", "H", "D"), SIZES)
def test_state_jacobian_is_the_product_through_time(T, H, D):
    a, _ = random_rnn(T, H, D)
    check_jacobian(
        "rnn_state_jacobian",
        rnn_state_jacobian(**a),
        lambda h: rnn_forward(**{**a, "h_0": h})[-1],
        lambda h: rnn_reference(**{**a, "h_0": h})[-1],
        a["h_0"],
    )


@pytest.mark.parametrize(("T", "H", "D"), SIZES)
def test_weight_jacobian_sums_over_the_steps(T, H, D):
    a, _ = random_rnn(T, H, D)
    jacobian = rnn_weight_jacobian(**a)
    assert jacobian.shape == (H, H * H)
    check_jacobian(
        "rnn_weight_jacobian",
        jacobian,
        lambda W: rnn_forward(**{**a, "W_h": W})[-1],
        lambda W: rnn_reference(**{**a, "W_h": W})[-1],
        a["W_h"],
    )


@pytest.mark.parametrize(("T", "H", "D"), SIZES)
@pytest.mark.parametrize("name", VARIABLES)
def test_vjp(T, H, D, name):
    a, G = random_rnn(T, H, D)
    gradient = rnn_vjp(**a, G=G)[name]
    assert gradient.shape == a[name].shape
    check_vjp(
        f"rnn_vjp w.r.t. {name}",
        gradient,
        with_one(rnn_forward, a, name),
        with_one(rnn_reference, a, name),
        a[name],
        G,
    )


@pytest.mark.parametrize(("T", "H", "D"), SIZES)
def test_vjp_of_a_loss_on_the_last_state_alone(T, H, D):
    """L = h_T cᵀ: only g_T is non-zero, and ∂L/∂h_0 = c (∂h_T/∂h_0)."""
    a, G = random_rnn(T, H, D)
    last_only = np.zeros_like(G)
    last_only[-1] = G[-1]
    by_jacobian = G[-1:] @ rnn_state_jacobian(**a)
    assert_close("c ∂h_T/∂h_0", rnn_vjp(**a, G=last_only)["h_0"], by_jacobian, 1e-12)


@pytest.mark.parametrize(("T", "H", "D"), SIZES)
def test_bound_on_the_product(T, H, D):
    """‖∂h_T/∂h_0‖₂ ≤ Π_t ‖Diag(1 − h_t∘h_t)‖₂ ‖W_h‖₂ ≤ ‖W_h‖₂^T, each factor computed anew."""
    a, _ = random_rnn(T, H, D)
    states = rnn_forward(**a)
    W_norm = np.linalg.norm(a["W_h"], 2)
    by_factors = np.prod([np.linalg.norm(np.diag(1 - h**2), 2) * W_norm for h in states])
    bound = rnn_jacobian_bound(**a)
    assert_close("bound", bound, by_factors, 1e-12)
    assert np.linalg.norm(rnn_state_jacobian(**a), 2) <= bound * (1 + 1e-12)
    assert bound <= W_norm**T * (1 + 1e-12)


@pytest.mark.parametrize("s", [0.5, 1.0, 1.5])
@pytest.mark.parametrize("T", [1, 7, 30])
def test_bound_is_attained_with_states_at_zero(s, T):
    """h_0 = 0, x_t = 0, b = 0: every h_t is 0, ∂h_T/∂h_0 = (W_hᵀ)^T, norm s^T for W_h = sQ."""
    rng, H, D = np.random.default_rng(T), 5, 2
    Q = np.linalg.qr(rng.standard_normal((H, H)))[0]
    a = {
        "h_0": np.zeros((1, H)),
        "X": np.zeros((T, D)),
        "W_h": s * Q,
        "W_x": rng.standard_normal((D, H)),
        "b": np.zeros((1, H)),
    }
    jacobian = rnn_state_jacobian(**a)
    assert_close("(W_hᵀ)^T", jacobian, np.linalg.matrix_power(s * Q.T, T), 1e-12)
    assert_close("s^T", np.linalg.norm(jacobian, 2), s**T, 1e-12)
    assert_close("bound s^T", rnn_jacobian_bound(**a), s**T, 1e-12)


@pytest.mark.parametrize(("T", "H", "D"), SIZES)
def test_column_convention_tab(T, H, D):
    """Columns: h_t = tanh(W_hᵀ h_{t−1} + W_xᵀ x_t + b), δ_t = (1 − h_t∘h_t) ∘ (g_t + W_h δ_{t+1}),
    ∇_{W_h} L = Σ_t h_{t−1} δ_tᵀ, ∇_{W_x} L = Σ_t x_t δ_tᵀ (equal to the row results),
    ∇_b L = Σ_t δ_t, ∇_{h_0} L = W_h δ_1, ∇_{x_t} L = W_x δ_t (their transposes)."""
    a, G = random_rnn(T, H, D)
    W_h, W_x = a["W_h"], a["W_x"]
    h = [a["h_0"].T]  # H×1 columns h_0..h_T
    for t in range(T):
        h.append(np.tanh(W_h.T @ h[-1] + W_x.T @ a["X"][t : t + 1].T + a["b"].T))
    deltas = [None] * (T + 2)
    deltas[T + 1] = np.zeros((H, 1))
    for t in range(T, 0, -1):
        deltas[t] = (1 - h[t] * h[t]) * (G[t - 1 : t].T + W_h @ deltas[t + 1])
    x = [None] + [a["X"][t - 1 : t].T for t in range(1, T + 1)]
    column = {
        "h_0": W_h @ deltas[1],
        "W_h": sum(h[t - 1] @ deltas[t].T for t in range(1, T + 1)),
        "W_x": sum(x[t] @ deltas[t].T for t in range(1, T + 1)),
        "b": sum(deltas[t] for t in range(1, T + 1)),
        "X": np.hstack([W_x @ deltas[t] for t in range(1, T + 1)]),  # ∇_{x_t} L = W_x δ_t, D×T
    }
    row = rnn_vjp(**a, G=G)
    assert_close("states", np.hstack(h[1:]), rnn_forward(**a).T, 1e-12)
    assert_close("∇_{h_0} L = W_h δ_1", column["h_0"], row["h_0"].T, 1e-12)
    assert_close("∇_{W_h} L (W_h keeps its shape)", column["W_h"], row["W_h"], 1e-12)
    assert_close("∇_{W_x} L (W_x keeps its shape)", column["W_x"], row["W_x"], 1e-12)
    assert_close("∇_b L = Σ_t δ_t", column["b"], row["b"].T, 1e-12)
    assert_close("∇_{x_t} L = W_x δ_t", column["X"], row["X"].T, 1e-12)
    step = np.diag(1 - h[T][:, 0] ** 2) @ W_h.T  # the same numerator-layout matrix
    assert_close("one-step Jacobian", step, rnn_step_jacobian(h[T], W_h), 1e-15)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("rnn")
    checks, mistakes, vanish = lines[:9], lines[9:11], lines[11:]
    assert all(line.endswith(": matches") for line in checks), checks
    assert [line.split(":")[0] for line in mistakes] == [
        "J_1 J_2 ⋯ J_T (order reversed)",
        "Diag(1 − h_t∘h_t) W_h (no transpose)",
    ]
    assert all("DIFFERS, relative error" in line for line in mistakes), mistakes
    assert len(vanish) == 4 and all(line.endswith(": matches") for line in vanish), vanish
    assert vanish[0].startswith("‖W_h‖₂ = 0.5, states at 0") and "9.3e-10" in vanish[0]
    assert vanish[2].startswith("‖W_h‖₂ = 1.5, states at 0") and "1.9e+05" in vanish[2]


def test_growth_away_from_zero_states():
    """States held at 0.7, far from 0: tanh′ = 0.51 beats 1/‖W_h‖₂ = 1/3, and the product grows."""
    T, H = 10, 3
    b = np.full((1, H), np.arctanh(0.7) - 3 * 0.7)  # h* = tanh(3 h* + b) at h* = 0.7
    a = {"h_0": np.full((1, H), 0.7), "X": np.zeros((T, 2)), "W_h": 3 * np.eye(H)}
    a.update(W_x=np.ones((2, H)), b=b)
    assert_close("states stay at 0.7", rnn_forward(**a), np.full((T, H), 0.7), 1e-10)
    norm = np.linalg.norm(rnn_state_jacobian(**a), 2)
    assert_close("(0.51 · 3)^T", norm, (0.51 * 3) ** T, 1e-8)
    assert norm > 50


def test_states_at_zero_are_not_enough_for_growth():
    """A nilpotent W_h with ‖W_h‖₂ = 3 and every tanh′ = 1: the product is 0 after H = 2 steps."""
    T, H, D = 5, 2, 1
    W_h = np.array([[0.0, 3.0], [0.0, 0.0]])  # H×H
    a = {"h_0": np.zeros((1, H)), "X": np.zeros((T, D)), "W_h": W_h}
    a.update(W_x=np.ones((D, H)), b=np.zeros((1, H)))
    assert_close("‖W_h‖₂", np.linalg.norm(W_h, 2), 3.0, 1e-15)
    np.testing.assert_array_equal(rnn_forward(**a), 0.0)
    np.testing.assert_array_equal(rnn_state_jacobian(**a), 0.0)


def test_spectral_radius_equals_the_norm_for_normal_w_h_only():
    """Symmetric (normal, not orthogonal) W_h: ρ = ‖W_h‖₂; a non-normal one can have ρ far below."""
    rng = np.random.default_rng(4)
    A = rng.standard_normal((4, 4))  # square
    symmetric = A + A.T
    rho = np.max(np.abs(np.linalg.eigvals(symmetric)))
    assert_close("ρ = ‖W_h‖₂, symmetric", rho, np.linalg.norm(symmetric, 2), 1e-12)
    singular_values = np.linalg.svd(symmetric, compute_uv=False)
    assert (
        singular_values.max() > 1.5 * singular_values.min()
    )  # no multiple of an orthogonal matrix
    upper = np.triu(A, 1) + 0.1 * np.eye(4)  # not normal
    assert not np.allclose(upper @ upper.T, upper.T @ upper)
    assert np.max(np.abs(np.linalg.eigvals(upper))) < 0.2 * np.linalg.norm(upper, 2)
