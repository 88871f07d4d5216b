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


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 5))  # one input, 1×5
    y = np.eye(5)[[2]]  # its one-hot label (class 2), 1×5
    W1, b1 = rng.standard_normal((5, 3)), rng.standard_normal((1, 3))  # 5×3, 1×3
    W2, b2 = rng.standard_normal((3, 5)), rng.standard_normal((1, 5))  # 3×5, 1×5
    X = rng.standard_normal((4, 5))  # a minibatch of N = 4 inputs, 4×5
    Y = np.eye(5)[[0, 2, 2, 4]]  # their one-hot labels, 4×5
    # --8<-- [end:setup]

    # --8<-- [start:check]
    dl_dyhat, dyhat_dtheta, dtheta_dh, dh_dr, dr_dx = network_jacobians(x, y, W1, b1, W2, b2)
    by_chain = dl_dyhat @ dyhat_dtheta @ dtheta_dh @ dh_dr @ dr_dx  # (1×5)(5×5)(5×3)(3×3)(3×5)
    numeric_x = finite_difference_gradients(x, y, W1, b1, W2, b2)["X"]
    assert compare("chain of five Jacobians, ∂ℓ/∂x", by_chain, numeric_x)
    for label, inputs, labels in [("one example", x, y), ("batch of 4", X, Y)]:
        ours = network_backward(inputs, labels, W1, b1, W2, b2)
        numeric = finite_difference_gradients(inputs, labels, W1, b1, W2, b2)
        for name in ours:
            assert compare(f"{label}, backward pass, ∂L/∂{name}", ours[name], numeric[name])
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    _, h, theta = network_forward(x, W1, b1, W2, b2)
    g_theta = softmax(theta) - y  # ∂ℓ/∂θ, 1×5
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
