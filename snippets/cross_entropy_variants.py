"""Cross-entropy variants: class weights, label smoothing, NLLLoss, ignore_index, as in PyTorch.

Shapes (row vectors, see docs/conventions.md): the logits Θ and the log-probabilities Z are N×k
(N examples, k classes), the targets t are N integers in 0..k − 1 (or ignore_index), the class
weights w are k numbers. The per-example losses ℓ (reduction "none") are N numbers, the reduced
loss L ("sum", "mean") a scalar; ∂ℓ/∂vec_r Θ is N×(N·k), ∂L/∂Θ is N×k.
Every row loss is −q_a · log p_a for a target row q_a = w ∘ ((1 − ε) y_a + ε/k): PyTorch's
CrossEntropyLoss(weight=w, label_smoothing=ε), checked in tests/framework/.
Run ``python -m snippets.cross_entropy_variants`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def log_softmax(Theta):
    """Θ − logsumexp(Θ) row by row (N×k), the row max taken out before exp."""
    m = np.max(Theta, axis=1, keepdims=True)
    return Theta - m - np.log(np.sum(np.exp(Theta - m), axis=1, keepdims=True))


def targets(t, k, weight=None, smoothing=0.0, ignore_index=-100):
    """Q (N×k): row a is w ∘ ((1 − ε) onehot(t_a) + ε/k), zero where t_a is ignored."""
    w = np.ones(k) if weight is None else np.asarray(weight, dtype=float)
    kept = t != ignore_index
    Y = np.zeros((len(t), k))
    Y[kept, t[kept]] = 1.0  # one-hot rows; an ignored row stays 0
    return w * ((1 - smoothing) * Y + smoothing / k * kept[:, None])


def total_weight(t, k, weight=None, ignore_index=-100):
    """Ω = Σ_a w_{t_a} over the kept rows: what "mean" divides by (N without weights)."""
    w = np.ones(k) if weight is None else np.asarray(weight, dtype=float)
    kept = t != ignore_index
    return np.sum(w[t[kept]])


def block_rows(rows):
    """The N×(N·k) matrix with row a of rows (N×k) in columns a·k … a·k + k − 1, zeros elsewhere."""
    N, k = rows.shape
    jacobian = np.zeros((N, N * k))
    for a in range(N):
        jacobian[a, a * k : a * k + k] = rows[a]
    return jacobian


def reduce(losses, reduction, omega):
    """The N row losses as "none", their sum, or their sum over Ω ("mean")."""
    if reduction == "none":
        return losses
    if reduction == "sum":
        return np.sum(losses)
    return np.sum(losses) / omega


def cross_entropy(Theta, t, weight=None, smoothing=0.0, reduction="mean", ignore_index=-100):
    """torch.nn.functional.cross_entropy: row losses −Σ_c Q_ac log p_ac, then reduced."""
    k = Theta.shape[1]
    Q = targets(t, k, weight, smoothing, ignore_index)
    losses = -np.sum(Q * log_softmax(Theta), axis=1)
    return reduce(losses, reduction, total_weight(t, k, weight, ignore_index))


def cross_entropy_jacobian(Theta, t, weight=None, smoothing=0.0, ignore_index=-100):
    """∂ℓ/∂vec_r Θ of the N row losses: N×(N·k), block a is (q_a 𝟏_k) p_a − q_a."""
    Q = targets(t, Theta.shape[1], weight, smoothing, ignore_index)
    P = np.exp(log_softmax(Theta))
    rows = Q.sum(axis=1, keepdims=True) * P - Q  # N×k, row a is block a
    return block_rows(rows)


def cross_entropy_vjp(
    Theta, t, weight=None, smoothing=0.0, reduction="mean", g=1.0, ignore_index=-100
):
    """∂L/∂Θ (N×k): g_a ((q_a 𝟏_k) p_a − q_a), over Ω for "mean"; g has N entries for "none"."""
    k = Theta.shape[1]
    Q = targets(t, k, weight, smoothing, ignore_index)
    P = np.exp(log_softmax(Theta))
    rows = Q.sum(axis=1, keepdims=True) * P - Q
    if reduction == "none":
        return np.reshape(g, (-1, 1)) * rows
    if reduction == "sum":
        return g * rows
    return g * rows / total_weight(t, k, weight, ignore_index)


def nll_loss(Z, t, weight=None, reduction="mean", ignore_index=-100):
    """torch.nn.functional.nll_loss of log-probabilities Z (N×k): row losses −w_{t_a} Z_{a,t_a}."""
    k = Z.shape[1]
    losses = -np.sum(targets(t, k, weight, 0.0, ignore_index) * Z, axis=1)
    return reduce(losses, reduction, total_weight(t, k, weight, ignore_index))


def nll_jacobian(Z, t, weight=None, ignore_index=-100):
    """∂ℓ/∂vec_r Z of the N row losses: N×(N·k), block a is −w_{t_a} onehot(t_a)."""
    rows = -targets(t, Z.shape[1], weight, 0.0, ignore_index)
    return block_rows(rows)


def nll_vjp(Z, t, weight=None, reduction="mean", g=1.0, ignore_index=-100):
    """∂L/∂Z (N×k): −g_a w_{t_a} onehot(t_a), over Ω for "mean"; no Z in it."""
    k = Z.shape[1]
    rows = -targets(t, k, weight, 0.0, ignore_index)
    if reduction == "none":
        return np.reshape(g, (-1, 1)) * rows
    if reduction == "sum":
        return g * rows
    return g * rows / total_weight(t, k, weight, ignore_index)


def log_softmax_vjp(Theta, G):
    """G (∂Z/∂Θ) for Z = log_softmax(Θ), row by row: G − (G 𝟏_k) softmax(Θ)."""
    return G - G.sum(axis=1, keepdims=True) * np.exp(log_softmax(Theta))


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "cross-entropy variants"
CHEAT_SHEET = [
    Row(
        table="Losses",
        operation=r"cross-entropy with class weights $w$, "
        r"mean $\frac{1}{\Omega}\sum_a \ell_a$, $\ell_a = -w_{t_a} \log p_{a t_a}$",
        jacobian=r"block-diagonal, block $a$: $w_{t_a}(p_a - y_a)$",
        vjp=r"$w_{t_a}(p_a - y_a)/\Omega$ in row $a$, $\Omega = \sum_a w_{t_a}$ (not $N$)",
        functions=("cross_entropy_vjp",),
        anchor="class-weights",
    ),
    Row(
        table="Losses",
        operation=r"label smoothing $\varepsilon$, target "
        r"$\tilde{y}_a = (1 - \varepsilon)y_a + \frac{\varepsilon}{k}\mathbf{1}_k^\top$",
        jacobian=r"block-diagonal, block $a$: $(q_a\mathbf{1}_k)\,p_a - q_a$, "
        r"$q_a = w \circ \tilde{y}_a$",
        vjp=r"$(p_a - \tilde{y}_a)/N$ without weights",
        functions=("cross_entropy_vjp",),
        anchor="label-smoothing-with-and-without-weights",
    ),
    Row(
        table="Losses",
        operation=r"NLLLoss of log-probabilities $Z$, $\ell_a = -w_{t_a} Z_{a t_a}$",
        jacobian=r"block-diagonal, block $a$: $-w_{t_a} y_a$, one entry",
        vjp=r"$-w_{t_a} y_a/\Omega$ in row $a$; after log-softmax, $w_{t_a}(p_a - y_a)/\Omega$",
        functions=("nll_vjp", "log_softmax_vjp"),
        anchor="nllloss-and-why-cross-entropy-is-nllloss-after-log-softmax",
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """∂ℓ/∂vec_r Θ with class weights and smoothing, a fixed 3×5 batch: 3×15, 1×5 blocks."""
    Theta = np.array(
        [[1.0, -0.5, 2.0, 0.3, -1.2], [0.4, 1.5, -0.8, 0.0, 0.9], [-1.0, 0.2, 0.6, 1.8, -0.3]]
    )
    t = np.array([2, 0, 4])
    w, eps = np.array([2.0, 0.5, 1.0, 1.5, 0.8]), 0.1
    N, k = Theta.shape
    jacobian = cross_entropy_jacobian(Theta, t, w, eps)
    return Figure(
        matrix=jacobian,
        of=lambda T: cross_entropy(T, t, w, eps, "none"),
        at=Theta,
        structure="block-diagonal",
        rows="losses ℓ_a",
        columns="logits Θ_{aj}, row by row",
        alt=f"The {size(jacobian)} Jacobian of the {N} weighted, smoothed example losses with "
        f"respect to the {N}×{k} logits, flattened row by row: block-diagonal, one 1×{k} block "
        "per example, most negative at the target class.",
        caption=r"Row $a$ is $(q_a \mathbf{1}_k)\, p_a - q_a$, from example $a$ alone: "
        r"block-diagonal, whatever the weights and the smoothing.",
        blocks=((1, k),) * N,
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    N, k = 4, 5  # examples, classes
    Theta = rng.standard_normal((N, k))  # logits, 4×5
    t = np.array([2, 0, 2, 4])  # integer targets, one per row
    w = np.array([0.5, 2.0, 3.0, 1.0, 0.25])  # class weights, one per class
    eps = 0.1  # label smoothing
    g = rng.standard_normal(N)  # upstream gradient of the N losses ("none")
    # --8<-- [end:setup]

    # --8<-- [start:check]
    Y = np.eye(k)[t]  # one-hot targets, 4×5
    P = np.exp(log_softmax(Theta))  # probabilities, 4×5
    numeric = numerical_jacobian(lambda T: cross_entropy(T, t, reduction="mean"), Theta)
    assert compare("CS231n: (P − Y)/N", (P - Y) / N, numeric.reshape(N, k))
    numeric = numerical_jacobian(lambda T: cross_entropy(T, t, w, reduction="none"), Theta)
    jacobian = cross_entropy_jacobian(Theta, t, w)  # 4×20, block-diagonal
    assert compare("weights: Jacobian of the N losses", jacobian, numeric)
    vjp = cross_entropy_vjp(Theta, t, w, reduction="none", g=g)
    assert compare("weights, none: VJP g_a w_ta (p_a − y_a)", vjp, (g @ numeric).reshape(N, k))
    omega = w[t].sum()  # Σ_a w_{t_a}, the "mean" denominator
    numeric = numerical_jacobian(lambda T: cross_entropy(T, t, w), Theta).reshape(N, k)
    assert compare("weights, mean: w_ta (p_a − y_a)/Ω", w[t, None] * (P - Y) / omega, numeric)
    Y_smooth = (1 - eps) * Y + eps / k  # the smoothed targets, rows sum to 1
    numeric = numerical_jacobian(lambda T: cross_entropy(T, t, None, eps, "sum"), Theta)
    assert compare("smoothing, sum: P − Ỹ", P - Y_smooth, numeric.reshape(N, k))
    numeric = numerical_jacobian(lambda T: cross_entropy(T, t, w, eps), Theta).reshape(N, k)
    Q = w * Y_smooth  # smoothing with weights: q_a = w ∘ ỹ_a
    general = (Q.sum(axis=1, keepdims=True) * P - Q) / omega
    assert compare("smoothing and weights, mean: ((q_a 𝟏) p_a − q_a)/Ω", general, numeric)
    ignored = np.array([2, -100, 2, 4])  # row 1 ignored
    numeric = numerical_jacobian(lambda T: cross_entropy(T, ignored, w, eps), Theta)
    vjp = cross_entropy_vjp(Theta, ignored, w, eps)
    assert compare("ignore_index: row 1 zero, Ω without it", vjp, numeric.reshape(N, k))
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    Y = np.eye(k)[t]
    P = np.exp(log_softmax(Theta))
    numeric = numerical_jacobian(lambda T: cross_entropy(T, t, w), Theta).reshape(N, k)
    compare("weights, mean over N", w[t, None] * (P - Y) / N, numeric)
    Y_smooth = (1 - eps) * Y + eps / k
    numeric = numerical_jacobian(lambda T: cross_entropy(T, t, w, eps), Theta).reshape(N, k)
    wrong = w[t, None] * (P - Y_smooth) / w[t].sum()  # the target's weight on every class
    compare("smoothing and weights as w_ta (p_a − ỹ_a)/Ω", wrong, numeric)
    # --8<-- [end:mistake]

    # --8<-- [start:nll_setup]
    rng = np.random.default_rng(1)
    N, k = 3, 6  # examples, classes
    Theta = rng.standard_normal((N, k))  # logits, 3×6
    t = np.array([5, 1, 1])  # targets
    w = np.array([1.0, 0.5, 2.0, 1.5, 0.75, 3.0])  # class weights
    # --8<-- [end:nll_setup]

    # --8<-- [start:nll_check]
    Z = log_softmax(Theta)  # log-probabilities, the input NLLLoss expects
    numeric = numerical_jacobian(lambda U: nll_loss(U, t, w, "none"), Z)  # 3×18
    assert compare("NLL: Jacobian of the N losses", nll_jacobian(Z, t, w), numeric)
    numeric = numerical_jacobian(lambda U: nll_loss(U, t, w), Z).reshape(N, k)
    G = nll_vjp(Z, t, w)  # −w_{t_a} onehot(t_a)/Ω
    assert compare("NLL, mean: −w_ta y_a/Ω", G, numeric)
    numeric = numerical_jacobian(lambda T: nll_loss(log_softmax(T), t, w), Theta)
    chained = log_softmax_vjp(Theta, G)  # back through log-softmax
    assert compare("NLL ∘ log_softmax vs finite differences", chained, numeric.reshape(N, k))
    assert compare("NLL ∘ log_softmax is cross-entropy's", chained, cross_entropy_vjp(Theta, t, w))
    # --8<-- [end:nll_check]
