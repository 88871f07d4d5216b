"""LSTM and GRU: one step's Jacobians, backpropagation through the cell state, and the GRU step.

Shapes (row vectors, see docs/conventions.md), in CS231n's layout (rnn_layers.py):
- LSTM step: x N×D, prev_h and prev_c N×H, Wx D×4H, Wh H×4H, b (4H,); the pre-activation
  a = x Wx + prev_h Wh + b is N×4H, its column blocks the gates i, f, o, g in that order;
- LSTM over a sequence: x N×T×D, h0 (and c0, zero unless given) N×H, the states h N×T×H;
- GRU step, PyTorch's GRUCell in rows: Wx D×3H and Wh H×3H (weight_ihᵀ, weight_hhᵀ), bx and bh
  (3H,), column blocks r, z, n in that order.
The Jacobian functions take one example (N = 1). Run ``python -m snippets.lstm_gru`` to see the
checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:sigmoid]
def sigmoid(a):
    """σ(a) = 1/(1 + e^{−a}) entry by entry, as (1 + tanh(a/2))/2: no overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


# --8<-- [end:sigmoid]


# --8<-- [start:lstm_step_functions]


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step: next_h, next_c (N×H) and what the backward pass needs."""
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b  # N×4H: the blocks of i, f, o, g
    i, f, o = (sigmoid(a[:, k * H : (k + 1) * H]) for k in range(3))
    g = np.tanh(a[:, 3 * H :])
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    """The VJP of one step, given dnext_h = ∂L/∂h_t and dnext_c = ∂L/∂c_t (N×H):
    dx, dprev_h, dprev_c, dWx, dWh, db, each the shape of its variable."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    dc = dnext_c + dnext_h * o * (1 - tanh_c**2)  # γ: all of ∂L/∂c_t
    da = np.hstack(  # ∂L/∂a, N×4H: the blocks of i, f, o, g
        [
            dc * g * i * (1 - i),
            dc * prev_c * f * (1 - f),
            dnext_h * tanh_c * o * (1 - o),
            dc * i * (1 - g**2),
        ]
    )
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def lstm_step_jacobians(x, prev_h, prev_c, Wx, Wh, b):
    """One example (x 1×D, prev_h and prev_c 1×H): the step's Jacobians by name,
    "c/a" meaning ∂c_t/∂a_t (H×4H); the others H×H or H×D."""
    cache = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)[2]
    i, f, o, g, tanh_c = (v.ravel() for v in cache[5:])
    H = len(f)
    zero = np.zeros((H, H))
    slopes = np.concatenate([i * (1 - i), f * (1 - f), o * (1 - o), 1 - g**2])  # φ′(a)
    c_z = np.hstack([np.diag(g), np.diag(prev_c.ravel()), zero, np.diag(i)])  # ∂c/∂z
    h_z = np.hstack([zero, zero, np.diag(tanh_c), zero])  # ∂h/∂z, o's part
    c_a = c_z * slopes  # ∂c/∂z Diag(φ′(a)): column j scaled by φ′(a_j)
    h_a = (o * (1 - tanh_c**2))[:, None] * c_a + h_z * slopes
    return {
        "c/c_prev": np.diag(f),
        "h/c_prev": np.diag(o * (1 - tanh_c**2) * f),
        "c/a": c_a,
        "h/a": h_a,
        "c/h_prev": c_a @ Wh.T,
        "h/h_prev": h_a @ Wh.T,
        "c/x": c_a @ Wx.T,
        "h/x": h_a @ Wx.T,
    }


# --8<-- [end:lstm_step_functions]


# --8<-- [start:lstm_sequence_functions]
def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    """An LSTM over x (N×T×D) from h0 (N×H) and c0 (zero, as in CS231n, unless
    given): the states h (N×T×H) and the caches of the steps."""
    h, c = h0, np.zeros_like(h0) if c0 is None else c0
    states, caches = [], []
    for t in range(x.shape[1]):
        h, c, cache = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        states.append(h)
        caches.append(cache)
    return np.stack(states, axis=1), caches


def lstm_backward(dh, caches):
    """BPTT for dh = ∂L/∂h (N×T×H), the loss's direct gradients: dx, dh0,
    dWx, dWh, db and dc0. Both carries, to h and to c, start at zero."""
    carry_h, carry_c = np.zeros_like(dh[:, 0]), np.zeros_like(dh[:, 0])
    dx, dWx, dWh, db = [], 0.0, 0.0, 0.0
    for t in reversed(range(dh.shape[1])):
        step = lstm_step_backward(dh[:, t] + carry_h, carry_c, caches[t])
        dx_t, carry_h, carry_c = step[:3]
        dWx, dWh, db = dWx + step[3], dWh + step[4], db + step[5]  # sums over t
        dx.insert(0, dx_t)
    return np.stack(dx, axis=1), carry_h, dWx, dWh, db, carry_c


def lstm_state_jacobian(x, h0, c0, Wx, Wh, b):
    """One example (x 1×T×D, h0 and c0 1×H): ∂(h_T, c_T)/∂(h_0, c_0), 2H×2H,
    the product of the steps' 2H×2H Jacobians, the latest on the left."""
    H = h0.shape[1]
    product, h, c = np.eye(2 * H), h0, c0
    for t in range(x.shape[1]):
        J = lstm_step_jacobians(x[:, t], h, c, Wx, Wh, b)
        step = np.block([[J["h/h_prev"], J["h/c_prev"]], [J["c/h_prev"], J["c/c_prev"]]])
        product = step @ product
        h, c, _ = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
    return product


def last_state(x, h0, c0, Wx, Wh, b):
    """The last state (h_T, c_T), each N×H, of an LSTM over x (N×T×D)."""
    h, c = h0, c0
    for t in range(x.shape[1]):
        h, c, _ = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
    return h, c


def forget_product(x, h0, c0, Wx, Wh, b):
    """One example: f_T ∘ ⋯ ∘ f_1 (1×H), the cell path's diagonal."""
    caches = lstm_forward(x, h0, Wx, Wh, b, c0)[1]
    return np.prod([cache[6] for cache in caches], axis=0)


# --8<-- [end:lstm_sequence_functions]


# --8<-- [start:gru_functions]


def gru_step_forward(x, prev_h, Wx, Wh, bx, bh):
    """PyTorch's GRUCell in rows: next_h (N×H) and what the backward pass needs."""
    H = prev_h.shape[1]
    s, q = x @ Wx + bx, prev_h @ Wh + bh  # N×3H each: blocks r, z, n
    r = sigmoid(s[:, :H] + q[:, :H])
    z = sigmoid(s[:, H : 2 * H] + q[:, H : 2 * H])
    u = q[:, 2 * H :]  # prev_h W_hn + b_hn
    n = np.tanh(s[:, 2 * H :] + r * u)
    next_h = (1 - z) * n + z * prev_h
    return next_h, (x, prev_h, Wx, Wh, r, z, u, n)


def gru_step_backward(dnext_h, cache):
    """The VJP of one step, dnext_h = ∂L/∂h_t (N×H): dx, dprev_h, dWx, dWh,
    dbx, dbh, each the shape of its variable."""
    x, prev_h, Wx, Wh, r, z, u, n = cache
    dn = dnext_h * (1 - z) * (1 - n**2)  # ν, at n's pre-activation
    dr = dn * u * r * (1 - r)  # ρ, at r's
    dz = dnext_h * (prev_h - n) * z * (1 - z)  # ζ, at z's
    ds = np.hstack([dr, dz, dn])  # ∂L/∂(x Wx + bx)
    dq = np.hstack([dr, dz, dn * r])  # ∂L/∂(prev_h Wh + bh): r gates n's part
    dprev_h = dnext_h * z + dq @ Wh.T
    return ds @ Wx.T, dprev_h, x.T @ ds, prev_h.T @ dq, ds.sum(axis=0), dq.sum(axis=0)


def gru_step_jacobian(x, prev_h, Wx, Wh, bx, bh):
    """One example (x 1×D, prev_h 1×H): ∂h_t/∂h_{t−1}, H×H."""
    x, prev_h, Wx, Wh, r, z, u, n = gru_step_forward(x, prev_h, Wx, Wh, bx, bh)[1]
    H = prev_h.shape[1]
    W_hr, W_hz, W_hn = (Wh[:, k * H : (k + 1) * H] for k in range(3))
    n_slope = ((1 - z) * (1 - n**2)).ravel()  # ∂h_t/∂(n's pre-activation)
    through_n = n_slope[:, None] * (r.ravel()[:, None] * W_hn.T)
    through_r = n_slope[:, None] * ((u * r * (1 - r)).ravel()[:, None] * W_hr.T)
    through_z = ((prev_h - n) * z * (1 - z)).ravel()[:, None] * W_hz.T
    return np.diag(z.ravel()) + through_z + through_r + through_n


# --8<-- [end:gru_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "LSTM and GRU"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=r"LSTM step $c_t = f_t \circ c_{t-1} + i_t \circ g_t$, "
        r"$h_t = o_t \circ \tanh(c_t)$",
        jacobian=r"$\partial c_t/\partial c_{t-1} = \operatorname{Diag}(f_t)$; "
        r"$\partial c_t/\partial a_t$ four diagonal blocks side by side",
        vjp=r"$\gamma_t = \bar{c}_t + \bar{h}_t \circ o_t \circ (1 - \tau_t \circ \tau_t)$, "
        r"$\partial L/\partial c_{t-1} = \gamma_t \circ f_t$, $\bar{a}_t W_h^\top$ to $h_{t-1}$",
        functions=("lstm_step_backward",),
        anchor="the-lstm-step",
    ),
    Row(
        table="Layers",
        operation=r"LSTM over $T$ steps, loss on the states $h_t$",
        jacobian=r"$\partial(h_T, c_T)/\partial(h_0, c_0)$: product of $2H \times 2H$ steps, "
        r"cell block $\operatorname{Diag}(f_t)$",
        vjp=r"$\bar{c}_t = \gamma_{t+1} \circ f_{t+1}$ carried, "
        r"$\bar{h}_t = \lambda_t + \bar{a}_{t+1} W_h^\top$; weights sum over $t$",
        functions=("lstm_backward",),
        anchor="the-lstm-over-a-sequence",
    ),
    Row(
        table="Layers",
        operation=r"GRU step (PyTorch) $h_t = (1 - z_t) \circ \tilde{h}_t + z_t \circ h_{t-1}$",
        jacobian=r"$\partial h_t/\partial h_{t-1} = \operatorname{Diag}(z_t)$ plus three "
        r"paths through $W_{hz}$, $W_{hr}$, $W_{hn}$",
        vjp=r"$\bar{h}_t \circ z_t + \rho_t W_{hr}^\top + \zeta_t W_{hz}^\top "
        r"+ (\nu_t \circ r_t) W_{hn}^\top$ to $h_{t-1}$",
        functions=("gru_step_backward",),
        anchor="the-gru-step",
    ),
]


# The pictures of the Jacobians on the page: hooks/jacobian_figures.py draws them at build time,
# tests/test_figures.py checks them against finite differences and their structure keywords.
def figure_lstm(D, H, seed, forget_bias=0.0):
    """A small fixed LSTM for the pictures: x 1×D, h_0 and c_0 1×H, Wx, Wh, b."""
    rng = np.random.default_rng(seed)
    b = np.zeros(4 * H)
    b[H : 2 * H] = forget_bias
    x, h, c = rng.standard_normal((1, D)), rng.standard_normal((1, H)), rng.standard_normal((1, H))
    return x, h, c, rng.standard_normal((D, 4 * H)) / 2, rng.standard_normal((H, 4 * H)) / 2, b


def structure_figure():
    """∂c_t/∂c_{t−1} of one LSTM step, H = 5: Diag(f_t), diagonal."""
    x, h, c, Wx, Wh, b = figure_lstm(3, 5, 1)
    jacobian = lstm_step_jacobians(x, h, c, Wx, Wh, b)["c/c_prev"]
    return Figure(
        matrix=jacobian,
        of=lambda cell: lstm_step_forward(x, h, cell, Wx, Wh, b)[1],
        at=c,
        structure="diagonal",
        rows="cell outputs c_{t,j}",
        columns="cell inputs c_{t-1,k}",
        alt=f"The {size(jacobian)} Jacobian of the cell state c_t with respect to c_(t−1): "
        "diagonal, entry j the forget gate f_(t,j), between 0 and 1; no weight matrix enters.",
        caption=r"$\partial c_t/\partial c_{t-1} = \operatorname{Diag}(f_t)$: the gates do not "
        r"read $c_{t-1}$, so each entry of the cell moves with its own predecessor only.",
    )


def sequence_figure():
    """∂c_T/∂c_0 over T = 6 steps with the forget bias at 3, H = 4: dense, its diagonal largest."""
    T, D, H = 6, 3, 4
    _, h, c, Wx, Wh, b = figure_lstm(D, H, 3, forget_bias=3.0)
    x = np.random.default_rng(4).standard_normal((1, T, D))
    jacobian = lstm_state_jacobian(x, h, c, Wx, Wh, b)[H:, H:]
    return Figure(
        matrix=jacobian,
        of=lambda cell: last_state(x, h, cell, Wx, Wh, b)[1],
        at=c,
        structure="dense",
        rows="last cell state c_{T,j}",
        columns="first cell state c_{0,k}",
        alt=f"The {size(jacobian)} Jacobian of c_T with respect to c_0 over {T} steps with "
        "forget gates near 1: dense; its diagonal, which holds the cell path, the product of the "
        "forget gates, is larger than every entry off it, which come from the paths through h.",
        caption=r"$\partial c_T/\partial c_0$: $\operatorname{Diag}(f_T \circ \cdots \circ f_1)$ "
        r"plus the paths through $h$; with the forget gates near 1 the diagonal is the largest.",
    )


def gru_figure():
    """∂h_t/∂h_{t−1} of one GRU step, D = 3, H = 5: dense."""
    D, H = 3, 5
    rng = np.random.default_rng(5)
    x, h = rng.standard_normal((1, D)), rng.standard_normal((1, H))
    Wx, Wh = rng.standard_normal((D, 3 * H)) / 2, rng.standard_normal((H, 3 * H)) / 2
    bx, bh = np.zeros(3 * H), np.zeros(3 * H)
    jacobian = gru_step_jacobian(x, h, Wx, Wh, bx, bh)
    return Figure(
        matrix=jacobian,
        of=lambda state: gru_step_forward(x, state, Wx, Wh, bx, bh)[0],
        at=h,
        structure="dense",
        rows="new state h_{t,j}",
        columns="previous state h_{t-1,k}",
        alt=f"The {size(jacobian)} Jacobian of a GRU step's new state with respect to the "
        "previous one: dense, the diagonal Diag(z_t) of the direct path plus three dense terms, "
        "one through each of W_hz, W_hr and W_hn.",
        caption=r"$\partial h_t/\partial h_{t-1}$: $\operatorname{Diag}(z_t)$ plus the paths "
        r"through $z_t$, $r_t$ and $\tilde{h}_t$, each a diagonal times a weight block.",
    )


if __name__ == "__main__":
    # --8<-- [start:lstm_step_setup]
    rng = np.random.default_rng(0)
    N, D, H = 2, 4, 5  # examples, input width, state width
    x = rng.standard_normal((N, D))  # inputs, 2×4
    prev_h, prev_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))  # 2×5
    Wx = rng.standard_normal((D, 4 * H)) / 2  # 4×20, columns i, f, o, g
    Wh = rng.standard_normal((H, 4 * H)) / 2  # 5×20
    b = rng.standard_normal(4 * H)  # 20
    dnext_h, dnext_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))  # ∂L/∂h_t, ∂L/∂c_t
    # --8<-- [end:lstm_step_setup]

    # --8<-- [start:lstm_step_check]
    one = (x[:1], prev_h[:1], prev_c[:1], Wx, Wh, b)  # example 0: 1×4, 1×5, 1×5
    J = lstm_step_jacobians(*one)
    step = {  # (h_t, c_t) of example 0 as a function of one input
        "c_prev": lambda v: lstm_step_forward(x[:1], prev_h[:1], v, Wx, Wh, b)[:2],
        "h_prev": lambda v: lstm_step_forward(x[:1], v, prev_c[:1], Wx, Wh, b)[:2],
        "x": lambda v: lstm_step_forward(v, prev_h[:1], prev_c[:1], Wx, Wh, b)[:2],
        "a": lambda v: lstm_step_forward(x[:1], prev_h[:1], prev_c[:1], Wx, Wh, v)[:2],
    }  # ∂/∂b is ∂/∂a: a = x Wx + h Wh + b
    at = {"c_prev": prev_c[:1], "h_prev": prev_h[:1], "x": x[:1], "a": b}
    for name, f in step.items():
        for k, out in enumerate(["h", "c"]):
            numeric = numerical_jacobian(lambda v, f=f, k=k: f(v)[k], at[name])
            assert compare(f"∂{out}_t/∂{name}", J[f"{out}/{name}"], numeric)

    # The VJP for the batch, against finite differences of L = Σ dnext_h∘h + dnext_c∘c
    variables = {"x": x, "prev_h": prev_h, "prev_c": prev_c, "Wx": Wx, "Wh": Wh, "b": b}
    cache = lstm_step_forward(**variables)[2]
    ours = dict(zip(variables, lstm_step_backward(dnext_h, dnext_c, cache), strict=True))
    upstream = np.concatenate([dnext_h.ravel(), dnext_c.ravel()])
    for name, value in variables.items():

        def outputs(v, name=name):
            next_h, next_c, _ = lstm_step_forward(**{**variables, name: v})
            return np.concatenate([next_h.ravel(), next_c.ravel()])

        numeric = (upstream @ numerical_jacobian(outputs, value)).reshape(value.shape)
        assert compare(f"VJP ∂L/∂{name}", ours[name], numeric)
    # --8<-- [end:lstm_step_check]

    # --8<-- [start:lstm_step_mistake]
    variables = {"x": x, "prev_h": prev_h, "prev_c": prev_c, "Wx": Wx, "Wh": Wh, "b": b}
    _, _, _, _, _, i, f, o, g, tanh_c = lstm_step_forward(**variables)[2]

    def outputs(v):
        next_h, next_c, _ = lstm_step_forward(**{**variables, "prev_c": v})
        return np.concatenate([next_h.ravel(), next_c.ravel()])

    upstream = np.concatenate([dnext_h.ravel(), dnext_c.ravel()])
    numeric = (upstream @ numerical_jacobian(outputs, prev_c)).reshape(prev_c.shape)
    no_slope = (dnext_c + dnext_h * o) * f  # tanh′(c_t) = 1 − τ∘τ dropped
    compare("∂L/∂c_prev without tanh′(c_t)", no_slope, numeric)
    compare("∂L/∂c_prev from dnext_c alone", dnext_c * f, numeric)
    # --8<-- [end:lstm_step_mistake]

    # --8<-- [start:lstm_sequence_setup]
    rng = np.random.default_rng(0)
    N, T, D, H = 2, 3, 4, 5  # examples, steps, input width, state width
    x = rng.standard_normal((N, T, D))  # inputs, 2×3×4
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))  # 2×5 each
    Wx = rng.standard_normal((D, 4 * H)) / 2  # 4×20, columns i, f, o, g
    Wh = rng.standard_normal((H, 4 * H)) / 2  # 5×20
    b = rng.standard_normal(4 * H)  # 20
    dh = rng.standard_normal((N, T, H))  # the loss's direct ∂L/∂h_t, 2×3×5
    # --8<-- [end:lstm_sequence_setup]

    # --8<-- [start:lstm_sequence_check]
    one = (x[:1], h0[:1], c0[:1], Wx, Wh, b)  # example 0
    ours = lstm_state_jacobian(*one)  # 10×10

    def last(state):  # (h_T, c_T) of example 0 from (h_0, c_0), 1×10
        return np.hstack(last_state(x[:1], state[:, :H], state[:, H:], Wx, Wh, b))

    numeric = numerical_jacobian(last, np.hstack([h0[:1], c0[:1]]))
    assert compare("∂(h_T, c_T)/∂(h_0, c_0), product of steps", ours, numeric)

    # BPTT for the batch, against finite differences of L = Σ dh∘h
    variables = {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b, "c0": c0}
    ours = dict(zip(variables, lstm_backward(dh, lstm_forward(**variables)[1]), strict=True))
    for name, value in variables.items():

        def states(v, name=name):
            return lstm_forward(**{**variables, name: v})[0]

        numeric = (dh.ravel() @ numerical_jacobian(states, value)).reshape(value.shape)
        assert compare(f"BPTT ∂L/∂{name}", ours[name], numeric)
    # --8<-- [end:lstm_sequence_check]

    # --8<-- [start:lstm_sequence_mistake]
    variables = {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b, "c0": c0}
    caches = lstm_forward(**variables)[1]
    carry_h, d_wx = np.zeros((N, H)), 0.0
    for t in reversed(range(T)):  # dc_t from dh_t only: no carry from step t + 1
        step = lstm_step_backward(dh[:, t] + carry_h, np.zeros((N, H)), caches[t])
        carry_h, d_wx = step[1], d_wx + step[3]

    def states(v):
        return lstm_forward(**{**variables, "Wx": v})[0]

    numeric = (dh.ravel() @ numerical_jacobian(states, Wx)).reshape(Wx.shape)
    compare("∂L/∂Wx without the carried dc", d_wx, numeric)
    compare("∂L/∂h0 without the carried dc", carry_h, lstm_backward(dh, caches)[1])
    # --8<-- [end:lstm_sequence_mistake]

    # --8<-- [start:cell_path]
    rng = np.random.default_rng(1)
    N, T_long, D, H = 1, 40, 4, 5  # one example, 40 steps
    x = rng.standard_normal((N, T_long, D))
    h0, c0 = np.zeros((N, H)), np.zeros((N, H))
    Wx = rng.standard_normal((D, 4 * H)) / 2  # 4×20
    Wh = rng.standard_normal((H, 4 * H)) / 2  # 5×20
    for forget_bias in [0.0, 4.0]:
        b = np.zeros(4 * H)
        b[H : 2 * H] = forget_bias  # the f block of b
        J = lstm_state_jacobian(x, h0, c0, Wx, Wh, b)[H:, H:]  # ∂c_T/∂c_0, 5×5
        cell_path = forget_product(x, h0, c0, Wx, Wh, b)  # f_T∘⋯∘f_1, 1×5
        print(
            f"forget bias {forget_bias}: largest f_T∘⋯∘f_1 = {cell_path.max():.2g}, "
            f"‖∂c_T/∂c_0‖₂ = {np.linalg.norm(J, 2):.2g}"
        )
    # --8<-- [end:cell_path]

    # --8<-- [start:gru_setup]
    rng = np.random.default_rng(0)
    N, D, H = 2, 4, 5  # examples, input width, state width
    x, prev_h = rng.standard_normal((N, D)), rng.standard_normal((N, H))  # 2×4, 2×5
    Wx = rng.standard_normal((D, 3 * H)) / 2  # 4×15 = weight_ihᵀ, blocks r, z, n
    Wh = rng.standard_normal((H, 3 * H)) / 2  # 5×15 = weight_hhᵀ
    bx, bh = rng.standard_normal(3 * H), rng.standard_normal(3 * H)  # bias_ih, bias_hh
    dnext_h = rng.standard_normal((N, H))  # ∂L/∂h_t, 2×5
    # --8<-- [end:gru_setup]

    # --8<-- [start:gru_check]
    numeric = numerical_jacobian(
        lambda v: gru_step_forward(x[:1], v, Wx, Wh, bx, bh)[0], prev_h[:1]
    )  # example 0: 5×5
    ours = gru_step_jacobian(x[:1], prev_h[:1], Wx, Wh, bx, bh)
    assert compare("∂h_t/∂h_{t−1}", ours, numeric)

    variables = {"x": x, "prev_h": prev_h, "Wx": Wx, "Wh": Wh, "bx": bx, "bh": bh}
    cache = gru_step_forward(**variables)[1]
    ours = dict(zip(variables, gru_step_backward(dnext_h, cache), strict=True))
    for name, value in variables.items():

        def new_state(v, name=name):
            return gru_step_forward(**{**variables, name: v})[0]

        numeric = (dnext_h.ravel() @ numerical_jacobian(new_state, value)).reshape(value.shape)
        assert compare(f"VJP ∂L/∂{name}", ours[name], numeric)
    # --8<-- [end:gru_check]

    # --8<-- [start:gru_mistake]
    variables = {"x": x, "prev_h": prev_h, "Wx": Wx, "Wh": Wh, "bx": bx, "bh": bh}
    _, _, _, _, r, z, u, n = gru_step_forward(**variables)[1]
    dn = dnext_h * (1 - z) * (1 - n**2)
    dr, dz = dn * u * r * (1 - r), dnext_h * (prev_h - n) * z * (1 - z)
    W_rz, W_hn = Wh[:, : 2 * H], Wh[:, 2 * H :]  # blocks r, z; block n

    def new_state(v):
        return gru_step_forward(**{**variables, "prev_h": v})[0]

    numeric = (dnext_h.ravel() @ numerical_jacobian(new_state, prev_h)).reshape(prev_h.shape)
    paper = dnext_h * z + np.hstack([dr, dz]) @ W_rz.T + (dn @ W_hn.T) * r  # r∘h before W_hn
    compare("∂L/∂prev_h, r applied after W_hn", paper, numeric)
    no_copy = np.hstack([dr, dz, dn * r]) @ Wh.T  # the direct z∘h path dropped
    compare("∂L/∂prev_h without dnext_h∘z", no_copy, numeric)
    # --8<-- [end:gru_mistake]
