"""Log-softmax as a layer alone: its Jacobian (the identity minus a rank-one matrix) and its VJP.

Shapes (row vectors, see docs/conventions.md): the logits θ are 1×n, z = θ − logsumexp(θ) is 1×n,
the upstream gradient g = ∂L/∂z is 1×n (any g, not only the one a cross-entropy sends), the
Jacobian ∂z/∂θ is n×n. A batch Θ is N×n with one log-softmax per row; then Z, G = ∂L/∂Z and
∂L/∂Θ are N×n too. 1 is the n×1 column of ones, so 1ᵀ is the 1×n row.
Run ``python -m snippets.log_softmax`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def log_softmax(theta):
    """z = θ − logsumexp(θ), row by row: the shape of θ; finite for any finite θ. With c the row
    max, logsumexp(θ) = c + log Σ_k e^(θ_k − c), and z is computed as (θ − c) − log Σ_k e^(θ_k − c):
    every exponent is ≤ 0, the sum is ≥ 1, and no large c is added and taken away again."""
    shifted = theta - np.max(theta, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def softmax(theta):
    """softmax(θ) = e^z, row by row: the shape of θ (every entry in [0, 1], rows summing to 1)."""
    return np.exp(log_softmax(theta))


def log_softmax_jacobian(theta):
    """∂z/∂θ for one 1×n row θ: n×n, I − 1 softmax(θ); entry (i, j) is δ_ij − softmax(θ)_j."""
    n = theta.shape[1]
    return np.eye(n) - np.ones((n, 1)) @ softmax(theta)


def log_softmax_vjp(theta, g):
    """g (∂z/∂θ) without the Jacobian: g − (Σ_j g_j) softmax(θ), row by row for N×n."""
    return g - np.sum(g, axis=1, keepdims=True) * softmax(theta)


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "log-softmax"
CHEAT_SHEET = [
    Row(
        table="Core",
        operation=r"$z = \theta - \operatorname{logsumexp}(\theta)$, log-softmax",
        jacobian=r"$I - \mathbf{1}_n \operatorname{softmax}(\theta)$, identity minus rank one",
        vjp=r"$g - \big(\sum_j g_j\big)\operatorname{softmax}(\theta)$, any $g$",
        functions=("log_softmax_vjp",),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """∂z/∂θ at fixed logits θ (1×5): 5×5, I − 1 softmax(θ)."""
    theta = np.array([[1.5, -0.5, 0.2, 2.2, -1.0]])
    jacobian = log_softmax_jacobian(theta)
    return Figure(
        matrix=jacobian,
        of=log_softmax,
        at=theta,
        structure="identity-minus-rank-one",
        rows="outputs z_i",
        columns="logits θ_j",
        alt=f"The {size(jacobian)} log-softmax Jacobian: the identity minus a rank-one matrix "
        "whose rows all equal y; off the diagonal every column is constant and negative, the "
        "diagonal is positive, and the matrix is not symmetric.",
        caption=r"$\partial z/\partial\theta = I - \mathbf{1}_n y$: the identity minus a "
        r"rank-one matrix of $n$ equal rows $y$, so each column is constant off the diagonal.",
    )


if __name__ == "__main__":
    # --8<-- [start:example]
    theta = np.array([[1.0, 2.0, 3.0]])  # logits, 1×3
    g = np.array([[0.1, -0.2, 0.3]])  # upstream gradient ∂L/∂z, 1×3; Σ g_j = 0.2
    print("z = log_softmax(θ):", np.round(log_softmax(theta), 6).tolist())
    print("softmax(θ):", np.round(softmax(theta), 6).tolist())
    print("Σ g_j:", round(float(np.sum(g)), 6))
    print("∂L/∂θ = g − (Σ g_j) softmax(θ):", np.round(log_softmax_vjp(theta, g), 6).tolist())
    # --8<-- [end:example]

    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    n, N = 4, 3  # logits per row, rows in the batch
    theta = rng.standard_normal((1, n))  # logits, 1×4
    g = rng.standard_normal((1, n))  # upstream gradient ∂L/∂z, 1×4, any sum
    Theta = rng.standard_normal((N, n))  # a batch: N = 3 rows of logits, 3×4
    G = rng.standard_normal((N, n))  # its upstream gradient ∂L/∂Z, 3×4
    # --8<-- [end:setup]

    # --8<-- [start:check]
    jacobian = log_softmax_jacobian(theta)  # 4×4
    numeric = numerical_jacobian(log_softmax, theta)  # 4×4, by central differences
    assert compare("Jacobian I − 1 softmax(θ) vs finite differences", jacobian, numeric)
    rank_one = np.eye(n) - jacobian  # 1 softmax(θ): every row is softmax(θ)
    assert compare(
        "I − Jacobian: every row is softmax(θ)", rank_one, np.tile(softmax(theta), (n, 1))
    )
    assert compare(
        "VJP g − (Σ g_j) softmax(θ) vs g @ numeric Jacobian", log_softmax_vjp(theta, g), g @ numeric
    )
    numeric_batch = numerical_jacobian(log_softmax, Theta)  # 12×12, block-diagonal
    batch_reference = (G.ravel() @ numeric_batch).reshape(Theta.shape)  # 3×4
    assert compare("batch VJP vs G @ numeric Jacobian", log_softmax_vjp(Theta, G), batch_reference)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    y = softmax(theta)
    reference = g @ numerical_jacobian(log_softmax, theta)
    compare("g − softmax(θ) (the Σ g_j dropped)", g - y, reference)
    compare("g ∘ (1 − softmax(θ)) (diagonal only)", g * (1 - y), reference)
    g_one = g - (np.sum(g) - 1) / n  # the same g shifted so that Σ g_j = 1
    reference_one = g_one @ numerical_jacobian(log_softmax, theta)
    compare("g − softmax(θ) when Σ g_j = 1", g_one - y, reference_one)
    # --8<-- [end:mistake]

    # --8<-- [start:stable]
    huge = np.array([[1e4, -1e4, 0.0, 5.0]])  # exp overflows past about 709 (float64)
    exact = np.array([[0.0, -2e4, -1e4, -9995.0]])  # θ − 1e4: logsumexp(huge) is 1e4 in float64
    assert compare("log_softmax at logits ±1e4", log_softmax(huge), exact)
    ones = np.ones((1, 4))  # an upstream gradient with Σ g_j = 4
    exact_vjp = np.array([[-3.0, 1.0, 1.0, 1.0]])  # 1 − 4 softmax(θ), softmax = [1, 0, 0, 0]
    assert compare("VJP at logits ±1e4", log_softmax_vjp(huge, ones), exact_vjp)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # we print instead
        naive = np.log(np.exp(huge) / np.sum(np.exp(huge), axis=1, keepdims=True))
        compare("log(exp(θ) / Σ exp(θ)) at ±1e4", naive, exact)
        compare("log(softmax(θ)), softmax stable, at ±1e4", np.log(softmax(huge)), exact)
    # --8<-- [end:stable]
