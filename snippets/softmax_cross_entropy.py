"""Softmax with cross-entropy: the chain of two Jacobians, and why it collapses to ŷ − y.

Shapes (row vectors, see docs/conventions.md): the logits θ are 1×n, ŷ = softmax(θ) is 1×n,
the labels y are 1×n (one-hot or soft, entries ≥ 0), the loss ℓ = −Σ_i y_i log ŷ_i is a scalar;
∂ℓ/∂ŷ and ∂ℓ/∂θ are 1×n, ∂ŷ/∂θ is n×n. A minibatch Θ, Y is N×n; its loss L is the mean of the N
row losses and ∂L/∂Θ is N×n. The softmax functions come from snippets/softmax.py.
Run ``python -m snippets.softmax_cross_entropy`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size, stacked_blocks
from snippets.gradcheck import compare, numerical_jacobian
from snippets.softmax import softmax, softmax_jacobian


# --8<-- [start:functions]
def cross_entropy(y_hat, y):
    """The definition from probabilities: mean over rows of −Σ_i y_i log ŷ_i (ŷ, y: N×n)."""
    return np.mean(-np.sum(y * np.log(y_hat), axis=1))


def cross_entropy_gradient(y_hat, y):
    """∂L/∂ŷ of cross_entropy: −y ⊘ ŷ / N, the shape of ŷ (a 1×n row when N = 1)."""
    return -y / y_hat / y.shape[0]


def log_softmax(theta):
    """θ − logsumexp(θ) for each row (1×n or N×n), with the row max taken out before exp."""
    m = np.max(theta, axis=1, keepdims=True)
    logsumexp = m + np.log(np.sum(np.exp(theta - m), axis=1, keepdims=True))
    return theta - logsumexp


def softmax_cross_entropy(theta, y):
    """The fused loss from logits: mean over rows of −Σ_i y_i (θ_i − logsumexp(θ))."""
    return np.mean(-np.sum(y * log_softmax(theta), axis=1))


def softmax_cross_entropy_jacobian(theta, y):
    """∂ℓ/∂θ for one 1×n row, built as the chain (∂ℓ/∂ŷ)(∂ŷ/∂θ): (1×n)(n×n) = 1×n."""
    return cross_entropy_gradient(softmax(theta), y) @ softmax_jacobian(theta)


def softmax_cross_entropy_vjp(theta, y, g=1.0):
    """g ∂L/∂Θ with no Jacobian: g ((Σ_i y_i) ŷ − y) / N, the shape of Θ; g = 1 for the loss."""
    return g * (np.sum(y, axis=1, keepdims=True) * softmax(theta) - y) / y.shape[0]


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "softmax + cross-entropy"
CHEAT_SHEET = [
    Row(
        table="Core",
        operation=(
            r"$\ell = -\sum_i y_i \log \hat{y}_i$, $\hat{y} = \operatorname{softmax}(\theta)$"
        ),
        jacobian=r"$(-y \oslash \hat{y})(\operatorname{Diag}(\hat{y}) - \hat{y}^\top\hat{y})$",
        vjp=r"$\hat{y} - y$ (labels summing to 1); batch mean $(\hat{Y} - Y)/N$",
        functions=("softmax_cross_entropy_vjp",),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """∂(ℓ_1, …, ℓ_N)/∂vec_r Θ for a fixed 3×5 minibatch: 3×15, one 1×5 block ŷ_a − y_a per row."""
    Theta = np.array(
        [[1.0, -0.5, 2.0, 0.3, -1.2], [0.4, 1.5, -0.8, 0.0, 0.9], [-1.0, 0.2, 0.6, 1.8, -0.3]]
    )
    Y = np.eye(5)[[2, 0, 4]]  # one-hot labels: classes 2, 0, 4
    N, n = Theta.shape
    rows = [softmax_cross_entropy_jacobian(Theta[a : a + 1], Y[a : a + 1]) for a in range(N)]
    jacobian = stacked_blocks(rows)
    return Figure(
        matrix=jacobian,
        of=lambda T: np.array(
            [softmax_cross_entropy(T[a : a + 1], Y[a : a + 1]) for a in range(N)]
        ),
        at=Theta,
        structure="block-diagonal",
        rows="losses ℓ_a",
        columns="logits Θ_{aj}, row by row",
        alt=f"The {size(jacobian)} Jacobian of the {N} example losses with respect to the {N}×{n} "
        f"logits, flattened row by row: block-diagonal, one 1×{n} block ŷ − y per example, "
        "positive everywhere except at the label, where it is negative.",
        caption=r"Row $a$ is $\hat{y}_a - y_a$, from example $a$ alone: block-diagonal, with one "
        r"negative entry per row, at the label.",
        blocks=((1, n),) * N,
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    n, N = 4, 3  # classes, rows in the minibatch
    theta = rng.standard_normal((1, n))  # logits, 1×4
    y = np.array([[0.0, 0.0, 1.0, 0.0]])  # one-hot label (class 2), 1×4
    y_soft = np.array([[0.1, 0.1, 0.7, 0.1]])  # soft label (label smoothing), sums to 1
    y_two = np.array([[1.0, 0.0, 1.0, 0.0]])  # two positive classes: sums to 2
    Theta = rng.standard_normal((N, n))  # a minibatch: 3 rows of logits, 3×4
    Y = np.eye(n)[[1, 3, 0]]  # their one-hot labels, 3×4
    # --8<-- [end:setup]

    # --8<-- [start:check]
    y_hat = softmax(theta)
    dl_dyhat = cross_entropy_gradient(y_hat, y)  # −y ⊘ ŷ, 1×4
    numeric = numerical_jacobian(lambda p: cross_entropy(p, y), y_hat)  # 1×4
    assert compare("∂ℓ/∂ŷ = −y ⊘ ŷ vs finite differences", dl_dyhat, numeric)
    jacobian = softmax_cross_entropy_jacobian(theta, y)  # (1×4)(4×4) = 1×4
    numeric = numerical_jacobian(lambda t: softmax_cross_entropy(t, y), theta)  # 1×4
    assert compare("chain of the two Jacobians vs finite differences", jacobian, numeric)
    assert compare("chain of the two Jacobians vs ŷ − y", jacobian, y_hat - y)
    numeric = numerical_jacobian(lambda t: softmax_cross_entropy(t, y_soft), theta)
    assert compare("soft labels: ŷ − y vs finite differences", y_hat - y_soft, numeric)
    numeric = numerical_jacobian(lambda t: softmax_cross_entropy(t, y_two), theta)
    general = softmax_cross_entropy_vjp(theta, y_two)  # (Σ_i y_i) ŷ − y, here 2ŷ − y
    assert compare("labels summing to 2: (Σ y_i) ŷ − y vs finite differences", general, numeric)
    numeric = numerical_jacobian(lambda t: softmax_cross_entropy(t, Y), Theta).reshape(Theta.shape)
    assert compare(
        "minibatch VJP (Ŷ − Y)/N vs finite differences",
        softmax_cross_entropy_vjp(Theta, Y),
        numeric,
    )
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    y_hat = softmax(theta)
    numeric = numerical_jacobian(lambda t: softmax_cross_entropy(t, y), theta)
    compare("y − ŷ (minus sign dropped)", y - y_hat, numeric)
    numeric = numerical_jacobian(lambda t: softmax_cross_entropy(t, y_two), theta)
    compare("ŷ − y for labels summing to 2", y_hat - y_two, numeric)
    # --8<-- [end:mistake]

    # --8<-- [start:stable]
    huge = np.array([[1e4, -1e4, 0.0, 5.0]])  # exp overflows past about 709
    label = np.array([[0.0, 1.0, 0.0, 0.0]])  # the true class got the lowest logit
    exact_loss = 2e4  # logsumexp(huge) = 1e4 in float64, so ℓ = 1e4 − (−1e4)
    exact_gradient = np.array([[1.0, -1.0, 0.0, 0.0]])  # ŷ − y, with ŷ = [1, 0, 0, 0]
    wide = np.array([[0.0, 120.0, 0.0, 0.0]], dtype=np.float32)  # e^-120 is 0 in float32
    first = np.array([[1.0, 0.0, 0.0, 0.0]], dtype=np.float32)  # true class: logit 0
    loss, gradient = softmax_cross_entropy(huge, label), softmax_cross_entropy_vjp(huge, label)
    assert compare("fused ℓ at ±1e4", loss, exact_loss)
    assert compare("fused gradient ŷ − y at ±1e4", gradient, exact_gradient)
    assert compare("fused ℓ in float32, gap 120", softmax_cross_entropy(wide, first), 120.0)
    with np.errstate(divide="ignore", invalid="ignore"):  # numpy would warn; we print instead
        compare("log(softmax(θ)) at ±1e4", cross_entropy(softmax(huge), label), exact_loss)
        chain = softmax_cross_entropy_jacobian(huge, label)  # −y ⊘ ŷ divides by ŷ_1 = 0
        compare("(−y ⊘ ŷ)(∂ŷ/∂θ) at ±1e4", chain, exact_gradient)
        compare("log(softmax(θ)) in float32, gap 120", cross_entropy(softmax(wide), first), 120.0)
    # --8<-- [end:stable]
