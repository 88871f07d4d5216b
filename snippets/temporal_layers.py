"""The temporal affine layer and the temporal softmax loss (CS231n's captioning layers): their
Jacobians, their VJPs, and the loss's two reductions over the masked steps.

Shapes (row vectors, see docs/conventions.md): a batch of N sequences of T steps. The temporal
affine layer takes x (N×T×D), W (D×M), b (1×M) to r (N×T×M), the affine layer at every step; its
upstream gradient G = ∂L/∂r is N×T×M. The temporal softmax loss takes scores θ (N×T×V), integer
targets y (N×T, each in 0 … V − 1) and a 0/1 mask μ (N×T) to a number: the cross-entropy of every
step whose mask is 1, summed and divided by N. Run ``python -m snippets.temporal_layers`` to see
the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:affine_functions]
def temporal_affine(x, W, b):
    """r = xW + b at every step: x N×T×D, W D×M, b 1×M (or M), r N×T×M."""
    N, T, D = x.shape
    return (x.reshape(N * T, D) @ W + b).reshape(N, T, W.shape[1])


def temporal_affine_jacobians(x, W):
    """∂vec r/∂vec x (NTM×NTD), ∂vec r/∂vec W (NTM×DM), ∂vec r/∂b (NTM×M), vec row by row:
    I_NT ⊗ Wᵀ, X ⊗ I_M and 1_NT ⊗ I_M, with X the NT steps as the rows of an NT×D matrix."""
    N, T, D = x.shape
    M = W.shape[1]
    X = x.reshape(N * T, D)
    ones = np.ones((N * T, 1))
    return np.kron(np.eye(N * T), W.T), np.kron(X, np.eye(M)), np.kron(ones, np.eye(M))


def temporal_affine_vjp(x, W, G):
    """∂L/∂x = GWᵀ (N×T×D), ∂L/∂W = XᵀG summed over every step of every sequence (D×M),
    ∂L/∂b = the sum of G over N and T (1×M); G = ∂L/∂r is N×T×M."""
    N, T, D = x.shape
    M = W.shape[1]
    X, G_rows = x.reshape(N * T, D), G.reshape(N * T, M)  # one row per step
    return G @ W.T, X.T @ G_rows, G_rows.sum(axis=0, keepdims=True)


# --8<-- [end:affine_functions]


# --8<-- [start:loss_functions]
def log_softmax_rows(theta):
    """log softmax over the last axis, stably: θ − logsumexp(θ)."""
    shifted = theta - np.max(theta, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def step_losses(theta, y):
    """ℓ: the cross-entropy of every step, −log softmax(θ_at)[y_at]; θ N×T×V, y N×T, ℓ N×T."""
    return -np.take_along_axis(log_softmax_rows(theta), y[..., None], axis=-1)[..., 0]


def one_hot(y, V):
    """The one-hot rows of the integer targets y (N×T): N×T×V."""
    return (y[..., None] == np.arange(V)).astype(float)


def temporal_softmax_loss(theta, y, mask, per="N"):
    """Σ_at μ_at ℓ_at divided by N (per="N", CS231n's) or by Σ μ (per="step"): a number."""
    total = np.sum(mask * step_losses(theta, y))
    return total / (theta.shape[0] if per == "N" else np.sum(mask))


def temporal_softmax_loss_gradient(theta, y, mask, per="N"):
    """∂L/∂θ = (softmax(θ) − onehot(y)) ∘ μ, divided by N or by Σ μ as the loss is: N×T×V."""
    P = np.exp(log_softmax_rows(theta))
    scale = theta.shape[0] if per == "N" else np.sum(mask)
    return (P - one_hot(y, theta.shape[-1])) * mask[..., None] / scale


def step_losses_jacobian(theta, y):
    """∂vec ℓ/∂vec θ: NT×NTV, block-diagonal, the block of step (a, t) the row p_at − e_y."""
    N, T, V = theta.shape
    rows = (np.exp(log_softmax_rows(theta)) - one_hot(y, V)).reshape(N * T, V)
    return np.einsum("ks,kv->ksv", np.eye(N * T), rows).reshape(N * T, N * T * V)


# --8<-- [end:loss_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "temporal layers"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=r"temporal affine, $r_{at} = x_{at} W + b$ at every step",
        jacobian=r"$I_{NT} \otimes W^\top$; $X \otimes I_M$ for $W$",
        vjp=(
            r"$G W^\top$; $\partial L/\partial W = X^\top G = \sum_{a,t} x_{at}^\top g_{at}$; "
            r"$\partial L/\partial b = \mathbf{1}_{NT}^\top G$"
        ),
        functions=("temporal_affine_vjp",),
    ),
    Row(
        table="Losses",
        operation=(
            r"temporal softmax loss, $L = \frac{1}{N}\sum_{a,t} \mu_{at}\,\ell_{at}$ (divided by "
            r"$N$, not by the steps kept)"
        ),
        jacobian=r"$\partial \lambda/\partial \operatorname{vec}_r \Theta$ block-diagonal, "
        r"rows $p_{at} - e_{y_{at}}$",
        vjp=r"$(P - Y) \circ (\mu\,\mathbf{1}_V^\top)/N$",
        functions=("temporal_softmax_loss_gradient",),
        anchor="the-loss-masked-and-divided-by-n",
    ),
]


# The pictures of the Jacobians on the page: hooks/jacobian_figures.py draws them at build time,
# tests/test_figures.py checks them against finite differences and their structure keyword.
def structure_figure():
    """∂vec r/∂vec x for NT = 4 steps (2 sequences of 2), D = 3, M = 2: I_4 ⊗ Wᵀ, 8×12."""
    x = np.arange(12.0).reshape(2, 2, 3) / 10  # N×T×D, two sequences of two steps
    W = np.array([[1.0, -0.5], [0.3, 0.8], [-1.2, 0.6]])  # D×M
    b = np.array([[0.1, -0.2]])
    jacobian = temporal_affine_jacobians(x, W)[0]
    steps, (D, M) = 4, W.shape
    return Figure(
        matrix=jacobian,
        of=lambda z: temporal_affine(z, W, b),
        at=x,
        structure="kronecker",
        rows="outputs r_{at,i}, step by step",
        columns="inputs x_{at,j}, step by step",
        alt=f"The {size(jacobian)} Jacobian of the temporal affine layer with respect to its "
        f"input, for {steps} steps: the Kronecker product I_{steps} ⊗ Wᵀ, the same {M}×{D} block "
        "Wᵀ on the diagonal for every step and zeros elsewhere.",
        caption=r"$\partial \operatorname{vec}_r R/\partial \operatorname{vec}_r X = I_{NT} "
        r"\otimes W^\top$: every step has the same block, and steps do not interact.",
        factors=(np.eye(steps), W.T),
    )


def loss_figure():
    """∂vec λ/∂vec θ for 2 sequences of 2 steps, V = 5: 4×20, one 1×5 block per step."""
    theta = np.linspace(-1.5, 1.7, 20).reshape(2, 2, 5) * np.array([1.0, -1.0, 0.5, 2.0, -0.7])
    y = np.array([[0, 4], [2, 2]])  # N×T targets
    jacobian = step_losses_jacobian(theta, y)
    steps, V = 4, 5
    return Figure(
        matrix=jacobian,
        of=lambda z: step_losses(z, y),
        at=theta,
        structure="block-diagonal",
        rows="step losses ℓ_{at}",
        columns="scores θ_{at,v}, step by step",
        alt=f"The {size(jacobian)} Jacobian of the {steps} step losses with respect to the scores: "
        f"block-diagonal, one 1×{V} block per step, the row p − e_y of that step, negative at "
        "its target and positive elsewhere.",
        caption=r"$\partial \lambda/\partial \operatorname{vec}_r \Theta$ is block-diagonal: step "
        r"$(a, t)$'s loss depends on its own scores only, through $p_{at} - e_{y_{at}}$.",
        blocks=((1, V),) * steps,
    )


if __name__ == "__main__":
    # --8<-- [start:affine_setup]
    rng = np.random.default_rng(0)
    N, T, D, M = 2, 3, 4, 5  # 2 sequences of 3 steps, 4 inputs, 5 outputs per step
    x = rng.standard_normal((N, T, D))  # inputs, 2×3×4
    W = rng.standard_normal((D, M))  # weights, 4×5, shared by every step
    b = rng.standard_normal((1, M))  # bias, 1×5
    G = rng.standard_normal((N, T, M))  # upstream gradient ∂L/∂r, 2×3×5
    # --8<-- [end:affine_setup]

    # --8<-- [start:affine_check]
    by_x, by_w, by_b = temporal_affine_jacobians(x, W)  # 30×24, 30×20, 30×5
    numeric_x = numerical_jacobian(lambda z: temporal_affine(z, W, b), x)
    numeric_w = numerical_jacobian(lambda V: temporal_affine(x, V, b), W)
    numeric_b = numerical_jacobian(lambda c: temporal_affine(x, W, c), b)
    assert compare("∂r/∂x = I_NT ⊗ Wᵀ vs finite differences", by_x, numeric_x)
    assert compare("∂r/∂W = X ⊗ I_M vs finite differences", by_w, numeric_w)
    assert compare("∂r/∂b = 1_NT ⊗ I_M vs finite differences", by_b, numeric_b)
    grad_x, grad_w, grad_b = temporal_affine_vjp(x, W, G)
    assert compare("GWᵀ vs G @ numeric ∂r/∂x", grad_x, (G.ravel() @ numeric_x).reshape(N, T, D))
    assert compare("XᵀG vs G @ numeric ∂r/∂W", grad_w, (G.ravel() @ numeric_w).reshape(D, M))
    assert compare("1ᵀG vs G @ numeric ∂r/∂b", grad_b, (G.ravel() @ numeric_b).reshape(1, M))
    per_step = sum(np.outer(x[a, t], G[a, t]) for a in range(N) for t in range(T))
    assert compare("XᵀG = Σ_a Σ_t x_atᵀ g_at", grad_w, per_step)
    # --8<-- [end:affine_check]

    # --8<-- [start:affine_mistake]
    numeric_w = numerical_jacobian(lambda V: temporal_affine(x, V, b), W)
    numeric_b = numerical_jacobian(lambda c: temporal_affine(x, W, c), b)
    reference_b = (G.ravel() @ numeric_b).reshape(1, M)
    over_n = G.sum(axis=0)  # T×M: one bias gradient per step
    compare("∂L/∂b summed over N only", over_n, reference_b)
    compare("... then summed over T too", over_n.sum(axis=0, keepdims=True), reference_b)
    mean_over_steps = np.mean([x[:, t].T @ G[:, t] for t in range(T)], axis=0)
    compare("∂L/∂W averaged over the steps", mean_over_steps, (G.ravel() @ numeric_w).reshape(D, M))
    # --8<-- [end:affine_mistake]

    # --8<-- [start:loss_setup]
    rng = np.random.default_rng(1)
    N, T, V = 3, 4, 5  # 3 sequences of 4 steps, a vocabulary of 5
    theta = 2 * rng.standard_normal((N, T, V))  # scores, 3×4×5
    y = rng.integers(0, V, (N, T))  # targets, 3×4, each in 0 … 4
    lengths = np.array([4, 2, 3])  # steps that count in each sequence
    mask = (np.arange(T) < lengths[:, None]).astype(float)  # μ, 3×4: 1 then 0 (padding)
    # --8<-- [end:loss_setup]

    # --8<-- [start:loss_check]
    jacobian = step_losses_jacobian(theta, y)  # ∂vec ℓ/∂vec θ, 12×60
    numeric = numerical_jacobian(lambda z: step_losses(z, y), theta)
    assert compare("∂ℓ/∂θ, block-diagonal, vs finite differences", jacobian, numeric)
    for per, label in [("N", "divided by N"), ("step", "divided by Σμ")]:  # 3, and the 9 kept
        loss = temporal_softmax_loss(theta, y, mask, per)
        numeric = numerical_jacobian(lambda z, p=per: temporal_softmax_loss(z, y, mask, p), theta)
        ours = temporal_softmax_loss_gradient(theta, y, mask, per)
        assert compare(
            f"{label}: L = {loss:.4f}, ∂L/∂θ vs finite differences", ours, numeric.reshape(N, T, V)
        )
    ours = temporal_softmax_loss_gradient(theta, y, mask)  # CS231n's, divided by N
    mu = mask.reshape(N * T, 1)  # μ as a column, NT×1
    assert compare("∂L/∂θ = μᵀ (∂ℓ/∂θ) / N", ours, (mu.T @ jacobian / N).reshape(N, T, V))
    print(f"gradient at the padding steps exactly 0: {bool(np.all(ours[mask == 0] == 0))}")
    # --8<-- [end:loss_check]

    # --8<-- [start:loss_mistake]
    numeric = numerical_jacobian(lambda z: temporal_softmax_loss(z, y, mask), theta)
    reference = numeric.reshape(N, T, V)  # ∂L/∂θ of CS231n's loss, divided by N
    P = np.exp(log_softmax_rows(theta))
    compare("divided by N·T", (P - one_hot(y, V)) * mask[..., None] / (N * T), reference)
    compare("mask left out of the gradient", (P - one_hot(y, V)) / N, reference)
    # --8<-- [end:loss_mistake]
