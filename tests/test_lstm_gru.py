"""docs/lstm_gru.md ↔ snippets/lstm_gru.py: the LSTM step, the LSTM over a sequence, the GRU step.

Every Jacobian and VJP is checked against finite differences and against autograd
differentiating a forward pass written again with autograd.numpy (sigmoid from its definition,
gates sliced by block), on a few small shapes with pairwise distinct sizes.
"""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.lstm_gru import (
    forget_product,
    gru_figure,
    gru_step_backward,
    gru_step_forward,
    gru_step_jacobian,
    last_state,
    lstm_backward,
    lstm_forward,
    lstm_state_jacobian,
    lstm_step_backward,
    lstm_step_forward,
    lstm_step_jacobians,
    sequence_figure,
    sigmoid,
    structure_figure,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo


def sigmoid_reference(a):
    return 1 / (1 + anp.exp(-a))


def lstm_step_reference(x, prev_h, prev_c, Wx, Wh, b):
    """CS231n's step again: blocks i, f, o, g of a = x Wx + h Wh + b."""
    H = prev_h.shape[1]
    a = anp.dot(x, Wx) + anp.dot(prev_h, Wh) + b
    i, f = sigmoid_reference(a[:, :H]), sigmoid_reference(a[:, H : 2 * H])
    o, g = sigmoid_reference(a[:, 2 * H : 3 * H]), anp.tanh(a[:, 3 * H :])
    next_c = f * prev_c + i * g
    return o * anp.tanh(next_c), next_c


def lstm_states_reference(x, h0, Wx, Wh, b, c0):
    h, c, states = h0, c0, []
    for t in range(x.shape[1]):
        h, c = lstm_step_reference(x[:, t], h, c, Wx, Wh, b)
        states.append(h)
    return anp.stack(states, axis=1)


def gru_step_reference(x, prev_h, Wx, Wh, bx, bh):
    """torch.nn.GRUCell's formulas again, block by block."""
    H = prev_h.shape[1]
    s, q = anp.dot(x, Wx) + bx, anp.dot(prev_h, Wh) + bh
    r = sigmoid_reference(s[:, :H] + q[:, :H])
    z = sigmoid_reference(s[:, H : 2 * H] + q[:, H : 2 * H])
    n = anp.tanh(s[:, 2 * H :] + r * q[:, 2 * H :])
    return (1 - z) * n + z * prev_h


def random_lstm(N, D, H, seed):
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((N, D)),
        "prev_h": rng.standard_normal((N, H)),
        "prev_c": rng.standard_normal((N, H)),
        "Wx": rng.standard_normal((D, 4 * H)) / 2,
        "Wh": rng.standard_normal((H, 4 * H)) / 2,
        "b": rng.standard_normal(4 * H),
    }, rng


def with_one(forward, arguments, name):
    """forward as a function of the argument `name` alone, the others held fixed."""
    return lambda value: forward(**{**arguments, name: value})


def flat(forward):
    """(h, c) of a step as one vector, for a VJP with both upstream gradients."""
    return lambda *a, **k: anp.concatenate([anp.ravel(v) for v in forward(*a, **k)[:2]])


STEP_SIZES = [(2, 4, 5), (3, 2, 6), (1, 5, 3)]  # (N, D, H)
STEP_VARIABLES = ["x", "prev_h", "prev_c", "Wx", "Wh", "b"]


def test_sigmoid_is_stable_and_right():
    a = np.array([-800.0, -3.0, 0.0, 2.0, 800.0])
    with np.errstate(all="raise"):
        values = sigmoid(a)
    assert_close("σ", values[1:4], 1 / (1 + np.exp(-a[1:4])), 1e-15)
    assert values[0] == 0.0 and values[-1] == 1.0


# --- the LSTM step


@pytest.mark.parametrize(("N", "D", "H"), STEP_SIZES)
def test_lstm_step_jacobians(N, D, H):
    a, _ = random_lstm(N, D, H, [N, D, H])
    one = {**a, "x": a["x"][:1], "prev_h": a["prev_h"][:1], "prev_c": a["prev_c"][:1]}
    J = lstm_step_jacobians(**one)
    for name, variable in [("c_prev", "prev_c"), ("h_prev", "prev_h"), ("x", "x"), ("a", "b")]:
        for k, out in enumerate(["h", "c"]):
            check_jacobian(
                f"lstm_step_jacobians {out}/{name}",
                J[f"{out}/{name}"],
                lambda v, variable=variable, k=k: lstm_step_forward(**{**one, variable: v})[k],
                lambda v, variable=variable, k=k: lstm_step_reference(**{**one, variable: v})[k],
                one[variable],
            )
    f = lstm_step_forward(**one)[2][6]
    assert np.array_equal(J["c/c_prev"], np.diag(f.ravel())), "∂c_t/∂c_{t−1} is Diag(f_t)"
    assert np.all(J["c/a"][:, 2 * H : 3 * H] == 0), "c_t does not read the output gate"


@pytest.mark.parametrize(("N", "D", "H"), STEP_SIZES)
@pytest.mark.parametrize("name", STEP_VARIABLES)
def test_lstm_step_vjp(N, D, H, name):
    a, rng = random_lstm(N, D, H, [H, D, N])
    dnext_h, dnext_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    ours = dict(
        zip(
            STEP_VARIABLES,
            lstm_step_backward(dnext_h, dnext_c, lstm_step_forward(**a)[2]),
            strict=True,
        )
    )
    assert ours[name].shape == a[name].shape
    upstream = np.concatenate([dnext_h.ravel(), dnext_c.ravel()])
    check_vjp(
        f"lstm_step_backward d{name}",
        ours[name],
        with_one(flat(lstm_step_forward), a, name),
        with_one(flat(lstm_step_reference), a, name),
        a[name],
        upstream,
    )


def test_lstm_step_gradient_to_c_prev_is_gamma_times_f():
    """∂L/∂c_{t−1} = (dc + dh ∘ o ∘ (1 − τ∘τ)) ∘ f, and the mistakes the page shows differ."""
    N, D, H = 2, 3, 4
    a, rng = random_lstm(N, D, H, 9)
    dnext_h, dnext_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    *_, f, o, _, tanh_c = cache = lstm_step_forward(**a)[2]
    dprev_c = lstm_step_backward(dnext_h, dnext_c, cache)[2]
    assert_close("γ ∘ f", dprev_c, (dnext_c + dnext_h * o * (1 - tanh_c**2)) * f, 1e-15)
    assert not np.allclose(dprev_c, (dnext_c + dnext_h * o) * f, rtol=1e-3)
    assert not np.allclose(dprev_c, dnext_c * f, rtol=1e-3)


# --- the LSTM over a sequence

SEQUENCE_SIZES = [(2, 3, 4, 5), (3, 4, 2, 1), (1, 5, 3, 2)]  # (N, T, D, H)
SEQUENCE_VARIABLES = ["x", "h0", "Wx", "Wh", "b", "c0"]


def random_sequence(N, T, D, H, seed):
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((N, T, D)),
        "h0": rng.standard_normal((N, H)),
        "Wx": rng.standard_normal((D, 4 * H)) / 2,
        "Wh": rng.standard_normal((H, 4 * H)) / 2,
        "b": rng.standard_normal(4 * H),
        "c0": rng.standard_normal((N, H)),
    }, rng.standard_normal((N, T, H))


@pytest.mark.parametrize(("N", "T", "D", "H"), SEQUENCE_SIZES)
@pytest.mark.parametrize("name", SEQUENCE_VARIABLES)
def test_lstm_backward(N, T, D, H, name):
    a, dh = random_sequence(N, T, D, H, [N, T, D, H])
    ours = dict(zip(SEQUENCE_VARIABLES, lstm_backward(dh, lstm_forward(**a)[1]), strict=True))
    assert ours[name].shape == a[name].shape
    check_vjp(
        f"lstm_backward d{name}",
        ours[name],
        lambda v: lstm_forward(**{**a, name: v})[0],
        with_one(lstm_states_reference, a, name),
        a[name],
        dh,
    )


def test_lstm_forward_starts_from_a_zero_cell_by_default():
    N, T, D, H = 2, 3, 4, 5
    a, _ = random_sequence(N, T, D, H, 1)
    zero = {**a, "c0": np.zeros((N, H))}
    without = {k: v for k, v in a.items() if k != "c0"}
    assert np.array_equal(lstm_forward(**without)[0], lstm_forward(**zero)[0])


@pytest.mark.parametrize(("N", "T", "D", "H"), SEQUENCE_SIZES)
def test_lstm_state_jacobian_is_the_product_of_the_steps(N, T, D, H):
    a, _ = random_sequence(1, T, D, H, [T, D, H])
    point = np.hstack([a["h0"], a["c0"]])
    rest = (a["Wx"], a["Wh"], a["b"])

    def numpy_last(state):
        return np.hstack(last_state(a["x"], state[:, :H], state[:, H:], *rest))

    def autograd_last(state):
        h, c = state[:, :H], state[:, H:]
        for t in range(T):
            h, c = lstm_step_reference(a["x"][:, t], h, c, *rest)
        return anp.concatenate([h, c], axis=1)

    jacobian = lstm_state_jacobian(a["x"], a["h0"], a["c0"], *rest)
    check_jacobian("lstm_state_jacobian", jacobian, numpy_last, autograd_last, point)
    assert_close(
        "last_state's h_T",
        last_state(a["x"], a["h0"], a["c0"], *rest)[0],
        lstm_forward(**a)[0][:, -1],
        1e-15,
    )


def test_without_recurrent_weights_the_cell_path_is_all_of_it():
    """Wh = 0: the gates do not see h, and ∂c_T/∂c_0 = Diag(f_T ∘ ⋯ ∘ f_1) exactly."""
    T, D, H = 4, 3, 2
    a, _ = random_sequence(1, T, D, H, 5)
    a["Wh"] = np.zeros((H, 4 * H))
    args = (a["x"], a["h0"], a["c0"], a["Wx"], a["Wh"], a["b"])
    cell = lstm_state_jacobian(*args)[H:, H:]
    assert_close("Diag(Π f)", cell, np.diag(forget_product(*args).ravel()), 1e-14)
    caches = lstm_forward(**a)[1]
    by_hand = np.prod([c[6] for c in caches], axis=0)  # f_t is cache entry 6
    assert_close("Π f", forget_product(*args), by_hand, 1e-15)


# --- the GRU step

GRU_VARIABLES = ["x", "prev_h", "Wx", "Wh", "bx", "bh"]


def random_gru(N, D, H, seed):
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((N, D)),
        "prev_h": rng.standard_normal((N, H)),
        "Wx": rng.standard_normal((D, 3 * H)) / 2,
        "Wh": rng.standard_normal((H, 3 * H)) / 2,
        "bx": rng.standard_normal(3 * H),
        "bh": rng.standard_normal(3 * H),
    }, rng.standard_normal((N, H))


@pytest.mark.parametrize(("N", "D", "H"), STEP_SIZES)
def test_gru_step_jacobian(N, D, H):
    a, _ = random_gru(1, D, H, [N, D, H])
    check_jacobian(
        "gru_step_jacobian",
        gru_step_jacobian(**a),
        lambda v: gru_step_forward(**{**a, "prev_h": v})[0],
        with_one(gru_step_reference, a, "prev_h"),
        a["prev_h"],
    )


@pytest.mark.parametrize(("N", "D", "H"), STEP_SIZES)
@pytest.mark.parametrize("name", GRU_VARIABLES)
def test_gru_step_backward(N, D, H, name):
    a, dnext_h = random_gru(N, D, H, [H, N, D])
    cache = gru_step_forward(**a)[1]
    ours = dict(zip(GRU_VARIABLES, gru_step_backward(dnext_h, cache), strict=True))
    assert ours[name].shape == a[name].shape
    check_vjp(
        f"gru_step_backward d{name}",
        ours[name],
        lambda v: gru_step_forward(**{**a, name: v})[0],
        with_one(gru_step_reference, a, name),
        a[name],
        dnext_h,
    )


def test_gru_reset_gate_acts_after_the_recurrent_product():
    """PyTorch's n: r multiplies h W_hn + b_hn; the paper's r ∘ h before W_hn is another cell."""
    N, D, H = 2, 3, 4
    a, _ = random_gru(N, D, H, 3)
    *_, r, _, u, n = gru_step_forward(**a)[1]
    W_hn, b_hn = a["Wh"][:, 2 * H :], a["bh"][2 * H :]
    assert_close("u = h W_hn + b_hn", u, a["prev_h"] @ W_hn + b_hn, 1e-15)
    s_n = a["x"] @ a["Wx"][:, 2 * H :] + a["bx"][2 * H :]
    assert_close("n", n, np.tanh(s_n + r * u), 1e-15)
    assert not np.allclose(n, np.tanh(s_n + (r * a["prev_h"]) @ W_hn + b_hn), rtol=1e-3)


# --- the page


def test_the_figures_draw_what_the_page_says():
    cell = structure_figure()
    assert np.all((np.diag(cell.matrix) > 0) & (np.diag(cell.matrix) < 1)), "forget gates"
    sequence = sequence_figure()
    J = sequence.matrix
    off = J - np.diag(np.diag(J))
    assert np.min(np.abs(np.diag(J))) > np.max(np.abs(off)), "the diagonal is the largest"
    gru = gru_figure()
    assert gru.matrix.shape == (5, 5) and np.all(gru.matrix != 0)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("lstm_gru")
    differs = [line for line in lines if "DIFFERS" in line]
    assert [line.split(":")[0] for line in differs] == [
        "∂L/∂c_prev without tanh′(c_t)",
        "∂L/∂c_prev from dnext_c alone",
        "∂L/∂Wx without the carried dc",
        "∂L/∂h0 without the carried dc",
        "∂L/∂prev_h, r applied after W_hn",
        "∂L/∂prev_h without dnext_h∘z",
    ], "every common mistake must still fail"
    demo = [line for line in lines if line.startswith("forget bias")]
    assert demo == [  # 40 steps: f ≈ 1/2 loses the gradient, f near 1 keeps it
        "forget bias 0.0: largest f_T∘⋯∘f_1 = 2.4e-12, ‖∂c_T/∂c_0‖₂ = 2.4e-08",
        "forget bias 4.0: largest f_T∘⋯∘f_1 = 0.4, ‖∂c_T/∂c_0‖₂ = 2.8",
    ]
    matches = [line for line in lines if line not in differs + demo]
    assert len(matches) == 14 + 7 + 7 and all(line.endswith(": matches") for line in matches)
