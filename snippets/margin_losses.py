"""Hinge and margin losses for classes: CS231n's SVM loss and PyTorch's margin losses.

Shapes (row vectors, see docs/conventions.md): the scores X are N×k (N examples, k classes), the
targets t are N integers in 0..k − 1; MultiLabelMarginLoss takes an N×k integer array T of class
indices, each row's labels first and then −1 (what follows the first −1 is not read);
MultiLabelSoftMarginLoss takes 0/1 labels Y (N×k), SoftMarginLoss ±1 labels (N×k). The
per-example losses (reduction "none") are N numbers (N×k for SoftMarginLoss); ∂L/∂X is N×k.
What PyTorch computes is checked in tests/framework/test_margin_losses.py.
Run ``python -m snippets.margin_losses`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def block_rows(rows):
    """The N×(N·k) matrix with row a of rows (N×k) in columns a·k … a·k + k − 1."""
    N, k = rows.shape
    jacobian = np.zeros((N, N * k))
    for a in range(N):
        jacobian[a, a * k : a * k + k] = rows[a]
    return jacobian


def reduce(losses, reduction):
    """The losses as they are ("none"), their sum, or their mean over every entry."""
    if reduction == "none":
        return losses
    return np.sum(losses) if reduction == "sum" else np.mean(losses)


def reduce_rows(rows, reduction, g=1.0):
    """Backward of reduce for per-example rows (N×k): g_a times row a, or g, or g/N."""
    if reduction == "none":
        return np.reshape(g, (-1, 1)) * rows
    return g * rows if reduction == "sum" else g * rows / rows.shape[0]


def margins(X, t, margin=1.0):
    """Z (N×k): Z_ac = margin − X_{a,t_a} + X_ac for c ≠ t_a, and 0 at c = t_a."""
    N = len(t)
    Z = margin - X[np.arange(N), t][:, None] + X
    Z[np.arange(N), t] = 0.0
    return Z


def svm_loss(X, t, delta=1.0):
    """CS231n's multiclass SVM loss: mean over rows of Σ_{c≠t_a} max(0, X_ac − X_{a,t_a} + Δ)."""
    return np.mean(np.sum(np.maximum(0.0, margins(X, t, delta)), axis=1))


def svm_rows(X, t, delta=1.0):
    """∂ℓ_a/∂x_a (N×k): 1 at each violating class, −(their count) at t_a."""
    M = (margins(X, t, delta) > 0).astype(float)  # the violations, 0 at t_a
    M[np.arange(len(t)), t] = -M.sum(axis=1)
    return M


def svm_vjp(X, t, delta=1.0):
    """∂L/∂X of svm_loss (N×k): svm_rows over N."""
    return svm_rows(X, t, delta) / len(t)


def multi_margin_loss(X, t, p=1, margin=1.0, weight=None, reduction="mean"):
    """torch.nn.functional.multi_margin_loss: row loss w_{t_a} Σ_{c≠t_a} max(0, Z_ac)^p / k."""
    k = X.shape[1]
    w_t = np.ones(len(t)) if weight is None else np.asarray(weight)[t]
    hinge = np.maximum(0.0, margins(X, t, margin)) ** p
    return reduce(w_t * np.sum(hinge, axis=1) / k, reduction)


def multi_margin_rows(X, t, p=1, margin=1.0, weight=None):
    """∂ℓ_a/∂x_a (N×k): (w_{t_a}/k) p max(0, Z_ac)^(p−1) at c ≠ t_a, minus their sum at t_a."""
    N, k = X.shape
    w_t = np.ones(N) if weight is None else np.asarray(weight)[t]
    Z = margins(X, t, margin)
    slope = p * np.maximum(0.0, Z) ** (p - 1) * (Z > 0)  # d max(0, z)^p / dz
    slope[np.arange(N), t] = 0.0
    rows = w_t[:, None] * slope / k
    rows[np.arange(N), t] = -rows.sum(axis=1)
    return rows


def multi_margin_vjp(X, t, p=1, margin=1.0, weight=None, reduction="mean", g=1.0):
    """∂L/∂X (N×k): the rows of multi_margin_rows, reduced."""
    return reduce_rows(multi_margin_rows(X, t, p, margin, weight), reduction, g)


def label_mask(T, k):
    """B (N×k): B_ac = 1 when c is among row a's labels, the entries of T before its first −1."""
    B = np.zeros((len(T), k))
    for a, row in enumerate(T):
        for c in row:
            if c < 0:
                break
            B[a, c] = 1.0
    return B


def pair_hinges(X, T):
    """H (N×k×k): H_aji = max(0, 1 − X_aj + X_ai) for a label j and a non-label i, else 0."""
    B = label_mask(T, X.shape[1])
    pairs = B[:, :, None] * (1 - B)[:, None, :]  # j a label, i not
    return pairs * np.maximum(0.0, 1 - X[:, :, None] + X[:, None, :])


def multilabel_margin_loss(X, T, reduction="mean"):
    """torch.nn.functional.multilabel_margin_loss: row loss Σ_j Σ_i H_aji / k."""
    return reduce(pair_hinges(X, T).sum(axis=(1, 2)) / X.shape[1], reduction)


def multilabel_margin_rows(X, T):
    """∂ℓ_a/∂x_a (N×k): +1/k at i and −1/k at j for each active pair (label j, non-label i)."""
    active = (pair_hinges(X, T) > 0).astype(float)
    return (active.sum(axis=1) - active.sum(axis=2)) / X.shape[1]


def multilabel_margin_vjp(X, T, reduction="mean", g=1.0):
    """∂L/∂X (N×k): the rows of multilabel_margin_rows, reduced."""
    return reduce_rows(multilabel_margin_rows(X, T), reduction, g)


def sigmoid(x):
    """σ(x) = exp(−log(1 + e^{−x})), never overflowing."""
    return np.exp(-np.logaddexp(0.0, -x))


def multilabel_soft_margin_loss(X, Y, weight=None, reduction="mean"):
    """torch.nn.functional.multilabel_soft_margin_loss: row mean over classes of the
    binary losses w_c (y log(1 + e^{−x}) + (1 − y) log(1 + e^{x}))."""
    w = np.ones(X.shape[1]) if weight is None else np.asarray(weight)
    binary = Y * np.logaddexp(0.0, -X) + (1 - Y) * np.logaddexp(0.0, X)
    return reduce(np.mean(w * binary, axis=1), reduction)


def multilabel_soft_margin_vjp(X, Y, weight=None, reduction="mean", g=1.0):
    """∂L/∂X (N×k): row a is w ∘ (σ(x_a) − y_a)/k, reduced."""
    w = np.ones(X.shape[1]) if weight is None else np.asarray(weight)
    return reduce_rows(w * (sigmoid(X) - Y) / X.shape[1], reduction, g)


def soft_margin_loss(X, Y, reduction="mean"):
    """torch.nn.functional.soft_margin_loss: log(1 + e^{−y x}) entry by entry, as logaddexp;
    "mean" over all N·k entries."""
    return reduce(np.logaddexp(0.0, -Y * X), reduction)


def soft_margin_jacobian(X, Y):
    """∂vec_r ℓ/∂vec_r X of the N·k entry losses: diagonal, −y σ(−y x)."""
    return np.diag((-Y * sigmoid(-Y * X)).ravel())


def soft_margin_vjp(X, Y, reduction="mean", g=1.0):
    """∂L/∂X (N×k): g ∘ (−y σ(−y x)) for "none", over N·k for "mean"."""
    entries = -Y * sigmoid(-Y * X)
    if reduction == "mean":
        return g * entries / X.size
    return g * entries


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "margin losses"
CHEAT_SHEET = [
    Row(
        table="Losses",
        operation=r"multiclass SVM $\frac{1}{N}\sum_a \sum_{c \ne t_a} \max(0, Z_{ac})$, "
        r"$\Delta = 1$",
        jacobian=r"block-diagonal, block $a$: $m_a - (m_a \mathbf{1}_k)\, y_a$",
        vjp=r"$(M - \operatorname{Diag}(M\mathbf{1}_k)\, Y)/N$: $+1$ per violation, "
        r"$-$count at $t_a$",
        functions=("svm_vjp",),
        anchor="the-multiclass-svm-loss-of-cs231n",
    ),
    Row(
        table="Losses",
        operation=r"`MultiMarginLoss`: $\frac{w_{t_a}}{k}\sum_{c \ne t_a} \max(0, Z_{ac})^p$",
        jacobian=r"block-diagonal, block $a$: $\frac{w_{t_a}}{k}(h_a - (h_a \mathbf{1}_k)\, y_a)$",
        vjp=r"the blocks over $N$ (mean); $h_{ac} = p \max(0, Z_{ac})^{p - 1}$",
        functions=("multi_margin_vjp",),
        anchor="multimarginloss",
    ),
    Row(
        table="Losses",
        operation=r"`MultiLabelMarginLoss`: $\frac{1}{k}\sum_{j \in P_a}\sum_{i \notin P_a}"
        r"\max(0, 1 - X_{aj} + X_{ai})$",
        jacobian=r"block-diagonal; each active pair $+\frac{1}{k}$ at $i$, $-\frac{1}{k}$ at $j$",
        vjp=r"the blocks over $N$ (mean)",
        functions=("multilabel_margin_vjp",),
        anchor="multilabelmarginloss",
    ),
    Row(
        table="Losses",
        operation=r"`SoftMarginLoss` $\log(1 + e^{-Y \circ X})$; `MultiLabelSoftMarginLoss`",
        jacobian=r"diagonal, $-Y \circ \sigma(-Y \circ X)$; block-diagonal, "
        r"$w \circ (\sigma(x_a) - y_a)/k$",
        vjp=r"$-Y \circ \sigma(-Y \circ X)/(Nk)$; $w \circ (\sigma(X) - Y)/(Nk)$ (means)",
        functions=("soft_margin_vjp", "multilabel_soft_margin_vjp"),
        anchor="multilabelsoftmarginloss-and-softmarginloss",
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
FIGURE_SCORES = np.array(
    [[1.2, -0.3, 0.9, 2.0, -1.1], [0.1, 1.7, 1.0, -0.6, 0.8], [-0.4, 0.5, 0.3, 1.9, 0.2]]
)  # 3×5, every margin at least 0.1 from its kink
FIGURE_TARGETS = np.array([3, 1, 0])


def structure_figure():
    """∂ℓ/∂vec_r X of the SVM row losses at fixed 3×5 scores: 3×15, one 1×5 block per row."""
    N, k = FIGURE_SCORES.shape
    jacobian = block_rows(svm_rows(FIGURE_SCORES, FIGURE_TARGETS))
    return Figure(
        matrix=jacobian,
        of=lambda S: np.sum(np.maximum(0.0, margins(S, FIGURE_TARGETS)), axis=1),
        at=FIGURE_SCORES,
        structure="block-diagonal",
        rows="losses ℓ_a",
        columns="scores X_{ac}, row by row",
        alt=f"The {size(jacobian)} Jacobian of the {N} SVM losses with respect to the {N}×{k} "
        f"scores, flattened row by row: block-diagonal, one 1×{k} block per example, 1 at each "
        "class that violates the margin, minus their count at the correct class, 0 elsewhere.",
        caption=r"Row $a$ is $m_a - (m_a \mathbf{1}_k)\, y_a$: block-diagonal, sparse, and each "
        r"block sums to zero.",
        blocks=((1, k),) * N,
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    N, k = 4, 5  # examples, classes
    X = np.array(  # scores, 4×5: every margin, Δ = 1 or 0.6, at least 0.1 from its kink
        [
            [1.3, -0.2, 0.4, 2.1, -1.0],
            [0.5, 1.6, 0.9, -0.7, 1.1],
            [-0.3, 0.2, 0.7, 1.5, 0.0],
            [2.2, 0.6, -0.4, 0.3, 1.8],
        ]
    )
    t = np.array([3, 1, 0, 4])  # the correct classes
    w = np.array([0.5, 2.0, 1.0, 1.5, 3.0])  # class weights
    margin = 0.6  # MultiMarginLoss's margin (the SVM's Δ is 1)
    g = np.array([0.7, -1.2, 0.4, 2.0])  # upstream gradient of the N losses ("none")
    # --8<-- [end:setup]

    # --8<-- [start:check]
    numeric = numerical_jacobian(lambda S: svm_loss(S, t), X).reshape(N, k)
    assert compare("SVM: +1 per violation, −count at t_a, over N", svm_vjp(X, t), numeric)
    for p in (1, 2):  # the N row losses, with the margin and the class weights w
        numeric = numerical_jacobian(
            lambda S, p=p: multi_margin_loss(S, t, p, margin, w, "none"), X
        )
        jacobian = block_rows(multi_margin_rows(X, t, p, margin, w))
        assert compare(f"MultiMargin p={p}: Jacobian", jacobian, numeric)
        vjp = multi_margin_vjp(X, t, p, margin, w, "none", g)
        assert compare(f"MultiMargin p={p}: VJP", vjp, (g @ numeric).reshape(N, k))
    numeric = numerical_jacobian(lambda S: multi_margin_loss(S, t, 2, margin, w), X)
    vjp = multi_margin_vjp(X, t, 2, margin, w)  # the rows over N
    assert compare("MultiMargin p=2, mean over N", vjp, numeric.reshape(N, k))
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    M = (margins(X, t) > 0).astype(float)  # the violations
    numeric = numerical_jacobian(lambda S: svm_loss(S, t), X).reshape(N, k)
    compare("SVM without −count at t_a", M / N, numeric)
    numeric = numerical_jacobian(lambda S: multi_margin_loss(S, t), X).reshape(N, k)
    compare("MultiMarginLoss without its 1/k", svm_vjp(X, t), numeric)
    # --8<-- [end:mistake]

    # --8<-- [start:multilabel_setup]
    N, k = 3, 6  # examples, classes
    X = np.array(  # scores, 3×6: every pair at least 0.1 from its kink
        [
            [0.9, -0.4, 1.6, 0.2, -1.3, 0.5],
            [-0.8, 1.1, 0.3, 1.9, 0.6, -0.1],
            [0.5, 0.8, -0.6, 0.1, 1.4, 2.3],
        ]
    )
    T = np.array(  # labels first, then −1; what follows the first −1 is not read
        [
            [2, 0, -1, 0, 0, 0],
            [3, -1, 1, 1, 1, 1],
            [5, 4, 1, -1, -1, -1],
        ]
    )
    Y = label_mask(T, k)  # the same labels as 0/1, 3×6
    # --8<-- [end:multilabel_setup]

    # --8<-- [start:multilabel_check]
    numeric = numerical_jacobian(lambda S: multilabel_margin_loss(S, T, "none"), X)  # 3×18
    jacobian = block_rows(multilabel_margin_rows(X, T))
    assert compare("MultiLabelMargin: Jacobian", jacobian, numeric)
    numeric = numerical_jacobian(lambda S: multilabel_margin_loss(S, T), X).reshape(N, k)
    assert compare("MultiLabelMargin: VJP, mean", multilabel_margin_vjp(X, T), numeric)
    numeric = numerical_jacobian(lambda S: multilabel_soft_margin_loss(S, Y, None, "none"), X)
    jacobian = block_rows((sigmoid(X) - Y) / k)  # 3×18
    assert compare("MultiLabelSoftMargin: Jacobian", jacobian, numeric)
    numeric = numerical_jacobian(lambda S: multilabel_soft_margin_loss(S, Y), X).reshape(N, k)
    ours = multilabel_soft_margin_vjp(X, Y)  # (σ(X) − Y)/(N k)
    assert compare("MultiLabelSoftMargin: VJP, mean", ours, numeric)
    # --8<-- [end:multilabel_check]

    # --8<-- [start:soft_setup]
    N, k = 2, 3  # examples, entries per example
    X = np.array([[0.8, -1.5, 2.2], [-0.3, 0.6, -2.4]])  # scores, 2×3
    Y = np.array([[1.0, -1.0, -1.0], [1.0, 1.0, -1.0]])  # labels ±1, 2×3
    # --8<-- [end:soft_setup]

    # --8<-- [start:soft_check]
    numeric = numerical_jacobian(lambda S: soft_margin_loss(S, Y, "none"), X)  # 6×6
    assert compare("SoftMargin: diagonal Jacobian", soft_margin_jacobian(X, Y), numeric)
    numeric = numerical_jacobian(lambda S: soft_margin_loss(S, Y), X).reshape(N, k)
    assert compare("SoftMargin: −y σ(−y x)/(N k)", soft_margin_vjp(X, Y), numeric)
    # --8<-- [end:soft_check]

    # --8<-- [start:soft_mistake]
    far = np.array([[800.0, -800.0]])  # y x = −800: e^800 overflows
    wrong = np.array([[-1.0, 1.0]])
    exact = np.array([[800.0, 800.0]])  # log(1 + e^800) = 800 in float64
    assert compare("logaddexp at y x = −800", soft_margin_loss(far, wrong, "none"), exact)
    with np.errstate(over="ignore"):  # numpy would warn; we print instead
        naive = np.log(1 + np.exp(-wrong * far))
    compare("log(1 + exp(−y x)) at y x = −800", naive, exact)
    # --8<-- [end:soft_mistake]
