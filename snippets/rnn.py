"""A vanilla tanh RNN: its one-step Jacobian, their product through time, and BPTT.

Shapes (row vectors, see docs/conventions.md), with T steps, H hidden units and D inputs:
h_0 is 1×H, X is T×D with rows x_1..x_T, W_h is H×H, W_x is D×H, b is 1×H,
h_t = tanh(h_{t−1} W_h + x_t W_x + b) is 1×H, and S is T×H with rows h_1..h_T.
G is T×H with rows g_t = ∂L/∂h_t, the direct gradients (later states held fixed).
∂h_t/∂h_{t−1} and ∂h_T/∂h_0 are H×H; ∂h_T/∂W_h is H×(H·H) for W_h flattened row by row.
Run ``python -m snippets.rnn`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def rnn_forward(h_0, X, W_h, W_x, b):
    """The states h_1..h_T as the rows of S (T×H), h_t = tanh(h_{t−1} W_h + x_t W_x + b)."""
    states, h = [], h_0
    for t in range(len(X)):
        h = np.tanh(h @ W_h + X[t : t + 1] @ W_x + b)
        states.append(h)
    return np.vstack(states)


def rnn_step_jacobian(h_t, W_h):
    """∂h_t/∂h_{t−1}, H×H: entry (i, j) is (1 − h_t,i²) W_h[j, i], so Diag(1 − h_t∘h_t) W_hᵀ."""
    return np.diag(1 - np.ravel(h_t) ** 2) @ W_h.T


def rnn_state_jacobian(h_0, X, W_h, W_x, b):
    """∂h_T/∂h_0, H×H: the product J_T ⋯ J_2 J_1 of the one-step Jacobians, latest on the left."""
    jacobian = np.eye(len(W_h))
    for h_t in rnn_forward(h_0, X, W_h, W_x, b):
        jacobian = rnn_step_jacobian(h_t, W_h) @ jacobian
    return jacobian


def rnn_weight_jacobian(h_0, X, W_h, W_x, b):
    """∂h_T/∂W_h, H×(H·H) for W_h flattened row by row: one term per step that uses W_h,
    Σ_s J_T ⋯ J_{s+1} Diag(1 − h_s∘h_s) (h_{s−1} ⊗ I_H), summed while running forward."""
    S = rnn_forward(h_0, X, W_h, W_x, b)
    previous = np.vstack([h_0, S[:-1]])  # rows h_0..h_{T−1}
    H = len(W_h)
    jacobian = np.zeros((H, H * H))
    for h_prev, h_t in zip(previous, S, strict=True):
        local = np.diag(1 - h_t**2) @ np.kron(h_prev[None, :], np.eye(H))  # ∂h_t/∂W_h, h_{t−1} held
        jacobian = rnn_step_jacobian(h_t, W_h) @ jacobian + local
    return jacobian


def rnn_vjp(h_0, X, W_h, W_x, b, G):
    """Backpropagation through time: G times the Jacobian of S with respect to each variable.
    δ_t = (g_t + δ_{t+1} W_hᵀ) ∘ (1 − h_t∘h_t) with δ_{T+1} = 0 (Δ is T×H with rows δ_t);
    returns ∂L/∂h_0 = δ_1 W_hᵀ, ∂L/∂X = Δ W_xᵀ, ∂L/∂W_h = Σ_t h_{t−1}ᵀ δ_t,
    ∂L/∂W_x = Σ_t x_tᵀ δ_t, ∂L/∂b = Σ_t δ_t, each the shape of its variable."""
    S = rnn_forward(h_0, X, W_h, W_x, b)
    previous = np.vstack([h_0, S[:-1]])  # rows h_0..h_{T−1}
    Delta = np.zeros_like(S)
    delta = np.zeros_like(h_0)  # δ_{T+1} = 0: nothing comes back from after the last step
    for t in reversed(range(len(S))):
        delta = (G[t : t + 1] + delta @ W_h.T) * (1 - S[t : t + 1] ** 2)
        Delta[t] = delta
    return {
        "h_0": Delta[:1] @ W_h.T,
        "X": Delta @ W_x.T,
        "W_h": previous.T @ Delta,
        "W_x": X.T @ Delta,
        "b": Delta.sum(axis=0, keepdims=True),
    }


def rnn_jacobian_bound(h_0, X, W_h, W_x, b):
    """Π_t ‖Diag(1 − h_t∘h_t)‖₂ ‖W_h‖₂, an upper bound on ‖∂h_T/∂h_0‖₂ (spectral norms)."""
    S = rnn_forward(h_0, X, W_h, W_x, b)
    return np.prod(np.max(1 - S**2, axis=1)) * np.linalg.norm(W_h, 2) ** len(S)


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "RNN"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=r"tanh RNN step, $h_t = \tanh(h_{t-1}W_h + x_t W_x + b)$",
        jacobian=r"$\operatorname{Diag}(1 - h_t \circ h_t)\,W_h^\top$",
        vjp=r"$\delta_t = (g_t + \delta_{t+1}W_h^\top) \circ (1 - h_t \circ h_t)$",
        functions=("rnn_vjp",),
    ),
    Row(
        table="Layers",
        operation=r"tanh RNN, parameters, $h_0$ and inputs",
        jacobian=(
            r"$\partial h_T/\partial \operatorname{vec}_r W_h$: a sum over the steps that use $W_h$"
        ),
        vjp=(
            r"$\partial L/\partial W_h = \sum_t h_{t-1}^\top\delta_t$; "
            r"$\partial L/\partial W_x = \sum_t x_t^\top\delta_t$; "
            r"$\partial L/\partial b = \sum_t \delta_t$; "
            r"$\partial L/\partial h_0 = \delta_1 W_h^\top$; "
            r"$\partial L/\partial x_t = \delta_t W_x^\top$"
        ),
        functions=("rnn_vjp", "rnn_weight_jacobian"),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def sequence_input_jacobian(h_0, X, W_h, W_x, b):
    """∂vec_r S/∂vec_r X, (T·H)×(T·D): block (t, s) is ∂h_t/∂x_s, zero for s > t and for s ≤ t
    (J_t ⋯ J_{s+1}) Diag(1 − h_s∘h_s) W_xᵀ, the product from rnn_state_jacobian started at h_s."""
    S = rnn_forward(h_0, X, W_h, W_x, b)
    (T, D), H = X.shape, len(W_h)
    jacobian = np.zeros((T * H, T * D))
    for s in range(T):
        local = np.diag(1 - S[s] ** 2) @ W_x.T  # ∂h_s/∂x_s, H×D
        jacobian[s * H : (s + 1) * H, s * D : (s + 1) * D] = local
        for t in range(s + 1, T):
            later = rnn_state_jacobian(S[s : s + 1], X[s + 1 : t + 1], W_h, W_x, b)  # ∂h_t/∂h_s
            jacobian[t * H : (t + 1) * H, s * D : (s + 1) * D] = later @ local
    return jacobian


def structure_figure():
    """∂vec_r S/∂vec_r X for T = 4, H = 3, D = 2: 12×8, lower-triangular in blocks."""
    h_0 = np.array([[0.2, -0.4, 0.1]])
    X = np.array([[1.0, -0.5], [0.3, 0.8], [-1.2, 0.4], [0.6, -0.9]])  # T×D
    W_h = np.array([[0.5, -0.3, 0.2], [0.1, 0.6, -0.4], [-0.2, 0.3, 0.4]])
    W_x = np.array([[0.8, -0.6, 0.3], [-0.4, 0.7, 0.9]])  # D×H
    b = np.array([[0.1, 0.0, -0.1]])
    (T, D), H = X.shape, len(W_h)
    jacobian = sequence_input_jacobian(h_0, X, W_h, W_x, b)
    return Figure(
        matrix=jacobian,
        of=lambda inputs: rnn_forward(h_0, inputs, W_h, W_x, b),
        at=X,
        structure="block-lower-triangular",
        rows="states h_{t,i}, step by step",
        columns="inputs x_{s,j}, step by step",
        alt=f"The {size(jacobian)} Jacobian of the {T} states ({H} units each) with respect to "
        f"the {T} inputs ({D} each), flattened step by step: block lower-triangular, a {T}×{T} "
        f"grid of {H}×{D} blocks, zero above the block diagonal because a state depends on "
        "earlier inputs only, and fading below it as the products of step Jacobians shrink.",
        caption=r"$\partial h_t/\partial x_s = J_t \cdots J_{s+1}\, \partial h_s/\partial x_s$ "
        r"for $s \le t$ and zero for $s > t$: block lower-triangular.",
        blocks=((H, D),) * T,
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    T, H, D = 6, 4, 3  # steps, hidden units, inputs; H ≠ D
    h_0 = rng.standard_normal((1, H))  # initial state, 1×H
    X = rng.standard_normal((T, D))  # inputs x_1..x_T as rows, T×D
    W_h = rng.standard_normal((H, H)) / np.sqrt(H)  # recurrent weights, H×H, not symmetric
    W_x = rng.standard_normal((D, H)) / np.sqrt(D)  # input weights, D×H
    b = rng.standard_normal((1, H))  # bias, 1×H
    G = rng.standard_normal((T, H))  # direct gradients g_t = ∂L/∂h_t, T×H
    # --8<-- [end:setup]

    # --8<-- [start:check]
    S = rnn_forward(h_0, X, W_h, W_x, b)  # T×H, rows h_1..h_T
    numeric_step = numerical_jacobian(lambda h: rnn_forward(h, X[:1], W_h, W_x, b), h_0)
    assert compare("∂h_1/∂h_0 = Diag(1 − h_1∘h_1) W_hᵀ", rnn_step_jacobian(S[0], W_h), numeric_step)
    numeric_state = numerical_jacobian(lambda h: rnn_forward(h, X, W_h, W_x, b)[-1], h_0)
    assert compare("∂h_T/∂h_0 = J_T ⋯ J_1", rnn_state_jacobian(h_0, X, W_h, W_x, b), numeric_state)
    numeric_weight = numerical_jacobian(lambda W: rnn_forward(h_0, X, W, W_x, b)[-1], W_h)
    ours_weight = rnn_weight_jacobian(h_0, X, W_h, W_x, b)
    assert compare("∂h_T/∂W_h, a sum over the steps", ours_weight, numeric_weight)

    # ∂L/∂h_0 from the explicit Jacobians: Σ_t g_t (∂h_t/∂h_0)
    explicit = sum(
        G[t - 1 : t] @ rnn_state_jacobian(h_0, X[:t], W_h, W_x, b) for t in range(1, T + 1)
    )
    gradients = rnn_vjp(h_0, X, W_h, W_x, b, G)
    assert compare("BPTT ∂L/∂h_0 vs Σ_t g_t J_t ⋯ J_1", gradients["h_0"], explicit)

    # Every gradient, against G times the finite-difference Jacobian of all the states
    variables = {"h_0": h_0, "X": X, "W_h": W_h, "W_x": W_x, "b": b}
    for name, value in variables.items():

        def states_of(changed, name=name):
            return rnn_forward(**{**variables, name: changed})

        numeric = (G.ravel() @ numerical_jacobian(states_of, value)).reshape(value.shape)
        assert compare(f"BPTT ∂L/∂{name} vs finite differences", gradients[name], numeric)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    S = rnn_forward(h_0, X, W_h, W_x, b)
    steps = [rnn_step_jacobian(h_t, W_h) for h_t in S]  # J_1, …, J_T
    reference = numerical_jacobian(lambda h: rnn_forward(h, X, W_h, W_x, b)[-1], h_0)
    compare("J_1 J_2 ⋯ J_T (order reversed)", np.linalg.multi_dot(steps), reference)
    untransposed = [np.diag(1 - h_t**2) @ W_h for h_t in S[::-1]]  # W_h for W_hᵀ
    compare("Diag(1 − h_t∘h_t) W_h (no transpose)", np.linalg.multi_dot(untransposed), reference)
    # --8<-- [end:mistake]

    # --8<-- [start:vanish]
    T_long = 30
    Q = np.linalg.qr(rng.standard_normal((H, H)))[0]  # random orthogonal: all singular values 1
    zero_state, zero_inputs, zero_bias = np.zeros((1, H)), np.zeros((T_long, D)), np.zeros((1, H))
    X_long = rng.standard_normal((T_long, D))  # inputs for 30 steps
    for s in [0.5, 1.5]:
        W_s = s * Q  # ‖W_s‖₂ = s
        # h_0 = 0, x_t = 0, b = 0 keep every h_t at 0, where tanh′ = 1: ∂h_T/∂h_0 = (W_sᵀ)^T
        jacobian_at_rest = rnn_state_jacobian(zero_state, zero_inputs, W_s, W_x, zero_bias)
        at_rest = np.linalg.norm(jacobian_at_rest, 2)
        label = f"‖W_h‖₂ = {s}, states at 0: ‖∂h_T/∂h_0‖₂ = {s}^{T_long} = {s**T_long:.2g}"
        assert compare(label, at_rest, s**T_long)
        norm = np.linalg.norm(rnn_state_jacobian(h_0, X_long, W_s, W_x, b), 2)
        bound = rnn_jacobian_bound(h_0, X_long, W_s, W_x, b)
        label = f"‖W_h‖₂ = {s}, with inputs: ‖∂h_T/∂h_0‖₂ = {norm:.2g} ≤ bound {bound:.2g}"
        assert compare(label, min(norm, bound), norm)  # equal exactly when norm ≤ bound
    # --8<-- [end:vanish]
