"""A one-hidden-layer network, its chain of Jacobians, and its backward pass.

Shapes (row vectors and row-major batches, see docs/conventions.md), with N examples,
n inputs, m hidden units and k classes (the page uses n = 5, m = 3, k = 5):
X is N×n (one example x is 1×n), W1 is n×m, b1 is 1×m, R = XW1 + b1 and H = σ(R) are N×m,
W2 is m×k, b2 is 1×k, Θ = HW2 + b2 and Ŷ = softmax(Θ) are N×k, Y is N×k one-hot,
L is the mean cross-entropy over the N rows (ℓ when N = 1).
Run ``python -m snippets.network`` to see the checks the page shows.
"""

import numpy as np

from snippets.activations import sigmoid, sigmoid_jacobian
from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def softmax(theta):
    """Row-wise softmax of N×k logits: N×k. The row max is subtracted, so exp never overflows."""
    shifted = theta - theta.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=1, keepdims=True)


def log_softmax(theta):
    """Row-wise log ŷ = θ − logsumexp(θ): N×k, finite for any finite logits."""
    shifted = theta - theta.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(theta, Y):
    """Mean over the N rows of −Σ_i y_i log ŷ_i with ŷ = softmax(θ); θ and Y N×k; a scalar."""
    return -np.sum(Y * log_softmax(theta)) / len(theta)


def network_forward(X, W1, b1, W2, b2):
    """R = XW1 + b1 (N×m), H = σ(R) (N×m), Θ = HW2 + b2 (N×k); returns (R, H, Θ)."""
    R = X @ W1 + b1
    H = sigmoid(R)
    return R, H, H @ W2 + b2


def network_loss(X, Y, W1, b1, W2, b2):
    """L, the mean cross-entropy of the network over the N rows of X (ℓ when N = 1)."""
    return cross_entropy(network_forward(X, W1, b1, W2, b2)[2], Y)


def cross_entropy_jacobian(yhat, y):
    """∂ℓ/∂ŷ of ℓ = −Σ_i y_i log ŷ_i for one example: 1×k, entry i is −y_i / ŷ_i."""
    return -y / yhat


def softmax_jacobian(theta):
    """∂ŷ/∂θ for one 1×k row of logits: k×k, Diag(ŷ) − ŷᵀŷ."""
    yhat = softmax(theta)
    return np.diag(yhat.ravel()) - yhat.T @ yhat


def network_jacobians(x, y, W1, b1, W2, b2):
    """The five Jacobians of ∂ℓ/∂x for one example x (1×n), in the order they multiply:
    ∂ℓ/∂ŷ (1×k), ∂ŷ/∂θ (k×k), ∂θ/∂h = W2ᵀ (k×m), ∂h/∂r (m×m), ∂r/∂x = W1ᵀ (m×n)."""
    r, _, theta = network_forward(x, W1, b1, W2, b2)
    yhat = softmax(theta)
    return [
        cross_entropy_jacobian(yhat, y),
        softmax_jacobian(theta),
        W2.T,
        sigmoid_jacobian(r),
        W1.T,
    ]


def network_backward(X, Y, W1, b1, W2, b2):
    """Every gradient of L by one VJP per layer, never building a Jacobian.
    X is N×n (N = 1 for one example); each gradient has the shape of its variable."""
    _, H, theta = network_forward(X, W1, b1, W2, b2)
    g_theta = (softmax(theta) - Y) / len(X)  # ∂L/∂Θ = (Ŷ − Y)/N, N×k
    delta1 = (g_theta @ W2.T) * H * (1 - H)  # ∂L/∂R, N×m
    return {
        "X": delta1 @ W1.T,
        "W1": X.T @ delta1,
        "b1": delta1.sum(axis=0, keepdims=True),
        "W2": H.T @ g_theta,
        "b2": g_theta.sum(axis=0, keepdims=True),
    }


def finite_difference_gradients(X, Y, W1, b1, W2, b2):
    """Every gradient of network_loss by central differences: the same dict as network_backward."""
    variables = {"X": X, "W1": W1, "b1": b1, "W2": W2, "b2": b2}
    gradients = {}
    for name, value in variables.items():

        def loss_of(changed, name=name):
            return network_loss(Y=Y, **{**variables, name: changed})

        gradients[name] = numerical_jacobian(loss_of, value).reshape(value.shape)
    return gradients


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "whole network"
CHEAT_SHEET = [
    Row(
        table="Core",
        operation=r"the one-hidden-layer network, input",
        jacobian=r"product of five Jacobians",
        vjp=r"$\big(((\hat{y} - y)W_2^\top) \circ h \circ (1 - h)\big) W_1^\top$",
        functions=("network_backward",),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
FIGURE_X = np.array([[0.5, -1.2, 0.8, 0.3, -0.4]])  # the pictures' example, 1×n = 1×5
FIGURE_W1 = np.array(
    [[0.4, -0.7, 0.2], [-0.3, 0.5, 0.9], [0.8, 0.1, -0.6], [-0.5, 0.6, 0.3], [0.2, -0.4, 0.7]]
)  # n×m = 5×3
FIGURE_B1 = np.array([[0.1, -0.2, 0.3]])
FIGURE_W2 = np.array([[0.9, -0.6, 0.4, -1.1], [-0.5, 1.2, -0.8, 0.3], [0.7, 0.2, -1.0, 0.6]])
FIGURE_B2 = np.array([[0.2, -0.1, 0.0, 0.3]])  # m×k = 3×4 and 1×k


def figure_jacobians():
    """The five Jacobians of the chain at the pictures' example (network_jacobians), and r, h, θ."""
    y = np.array([[0.0, 0.0, 1.0, 0.0]])
    parameters = (FIGURE_W1, FIGURE_B1, FIGURE_W2, FIGURE_B2)
    r, h, theta = network_forward(FIGURE_X, *parameters)
    return network_jacobians(FIGURE_X, y, *parameters), r, h, theta


def structure_figure():
    """∂θ/∂h = W2ᵀ: k×m = 4×3, constant and dense."""
    jacobians, _, h, _ = figure_jacobians()
    return Figure(
        matrix=jacobians[2],
        of=lambda v: v @ FIGURE_W2 + FIGURE_B2,
        at=h,
        structure="dense",
        rows="logits θ_i",
        columns="hidden h_j",
        alt=f"The {size(jacobians[2])} Jacobian of the output layer's logits with respect to the "
        "hidden units, W2ᵀ: dense and constant, every logit depending on every hidden unit.",
        caption=r"$\partial\theta/\partial h = W_2^\top$: constant and dense.",
    )


def hidden_figure():
    """∂h/∂r = Diag(h ∘ (1 − h)): m×m = 3×3, diagonal."""
    jacobians, r, _, _ = figure_jacobians()
    return Figure(
        matrix=jacobians[3],
        of=sigmoid,
        at=r,
        structure="diagonal",
        rows="hidden h_i",
        columns="inputs r_j",
        alt=f"The {size(jacobians[3])} sigmoid Jacobian of the hidden layer: diagonal, each "
        "hidden unit moving with its own input alone.",
        caption=r"$\partial h/\partial r = \operatorname{Diag}(h \circ (1 - h))$: diagonal.",
    )


def softmax_figure():
    """∂ŷ/∂θ = Diag(ŷ) − ŷᵀŷ: k×k = 4×4, a diagonal minus a rank-one matrix."""
    jacobians, _, _, theta = figure_jacobians()
    return Figure(
        matrix=jacobians[1],
        of=softmax,
        at=theta,
        structure="diagonal-minus-rank-one",
        rows="outputs ŷ_i",
        columns="logits θ_j",
        alt=f"The {size(jacobians[1])} softmax Jacobian: a diagonal matrix minus a rank-one "
        "matrix, symmetric, positive on the diagonal and negative off it.",
        caption=r"$\partial\hat{y}/\partial\theta = \operatorname{Diag}(\hat{y}) - "
        r"\hat{y}^\top\hat{y}$: a diagonal minus a rank-one matrix.",
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    n, m, k, N = 5, 3, 4, 6  # inputs, hidden units, classes, examples: pairwise distinct
    x = rng.standard_normal((1, n))  # one input, 1×5
    y = np.eye(k)[[2]]  # its one-hot label (class 2), 1×4
    W1, b1 = rng.standard_normal((n, m)), rng.standard_normal((1, m))  # 5×3, 1×3
    W2, b2 = rng.standard_normal((m, k)), rng.standard_normal((1, k))  # 3×4, 1×4
    X = rng.standard_normal((N, n))  # a minibatch of N = 6 inputs, 6×5
    Y = np.eye(k)[[0, 2, 2, 3, 1, 3]]  # their one-hot labels, 6×4
    # --8<-- [end:setup]

    # --8<-- [start:check]
    dl_dyhat, dyhat_dtheta, dtheta_dh, dh_dr, dr_dx = network_jacobians(x, y, W1, b1, W2, b2)
    by_chain = dl_dyhat @ dyhat_dtheta @ dtheta_dh @ dh_dr @ dr_dx  # (1×4)(4×4)(4×3)(3×3)(3×5)
    numeric_x = finite_difference_gradients(x, y, W1, b1, W2, b2)["X"]
    assert compare("chain of five Jacobians, ∂ℓ/∂x", by_chain, numeric_x)
    for label, inputs, labels in [("one example", x, y), (f"batch of {N}", X, Y)]:
        ours = network_backward(inputs, labels, W1, b1, W2, b2)
        numeric = finite_difference_gradients(inputs, labels, W1, b1, W2, b2)
        for name in ours:
            assert compare(f"{label}, backward pass, ∂L/∂{name}", ours[name], numeric[name])
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    _, h, theta = network_forward(x, W1, b1, W2, b2)
    g_theta = softmax(theta) - y  # ∂ℓ/∂θ, 1×4
    reference = finite_difference_gradients(x, y, W1, b1, W2, b2)["X"]
    try:
        compare("((ŷ − y)W₂ᵀ) ∘ ((h − h∘h)W₁ᵀ)", (g_theta @ W2.T) * ((h - h * h) @ W1.T), reference)
    except ValueError as error:
        print(f"((ŷ − y)W₂ᵀ) ∘ ((h − h∘h)W₁ᵀ): {str(error).strip()}")
    try:
        compare("((ŷ − y)W₂ᵀ ∘ σ'(r)) W₁", ((g_theta @ W2.T) * h * (1 - h)) @ W1, reference)
    except ValueError as error:
        print(f"((ŷ − y)W₂ᵀ ∘ σ'(r)) W₁: {error}")
    # With a square first layer (3 inputs) the same slip runs, and is wrong.
    x3, W1_square = x[:, :3], W1[:3]  # 1×3, 3×3
    _, h3, theta3 = network_forward(x3, W1_square, b1, W2, b2)
    wrong = (((softmax(theta3) - y) @ W2.T) * h3 * (1 - h3)) @ W1_square
    reference3 = finite_difference_gradients(x3, y, W1_square, b1, W2, b2)["X"]
    compare("square W₁, no transpose", wrong, reference3)
    # --8<-- [end:mistake]
