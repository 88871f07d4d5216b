"""Pitfalls: seven mistakes learners make, each run next to the right form.

Shapes (row vectors, see docs/conventions.md): logits θ and a one-hot label y are 1×m,
a layer input x is 1×n, weights W are n×m, b is 1×m, an upstream gradient g has the shape
of the output it belongs to, a batch X is N×n with one-hot labels Y N×m.
Every pitfall has a right function and a wrong one; each ``__main__`` section compares both
with finite differences. Each function sits in one small named section, so a page block
injects only the sections its pitfall uses. Run ``python -m snippets.pitfalls`` to see what
the page shows.
"""

import numpy as np

from snippets.gradcheck import compare, numerical_jacobian

# Building blocks. Each section holds one function, with the helper it alone calls or with its
# wrong variants; a page block injects only the sections its pitfall calls.


# --8<-- [start:softmax]
def softmax(theta):
    """Softmax of each row of θ (1×m or N×m); the row max is subtracted so exp never overflows."""
    e = np.exp(theta - theta.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# --8<-- [end:softmax]
# --8<-- [start:cross_entropy]
def log_softmax(theta):
    """log softmax(θ) row by row via logsumexp: finite where softmax underflows to 0."""
    z = theta - theta.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def cross_entropy(theta, y):
    """ℓ = −Σ_i y_i log ŷ_i with ŷ = softmax(θ), one per row: N×1 (1×1 for a 1×m row)."""
    return -np.sum(y * log_softmax(theta), axis=1, keepdims=True)


# --8<-- [end:cross_entropy]
# --8<-- [start:affine]
def affine(x, W, b):
    """r = xW + b: x 1×n (or N×n), W n×m, b 1×m; r 1×m (or N×m)."""
    return x @ W + b


# --8<-- [end:affine]
# --8<-- [start:sigmoid]
def sigmoid(r):
    """σ(r) entry by entry, any shape; exp(-log(1 + e^-r)) never overflows."""
    return np.exp(-np.logaddexp(0.0, -r))


def sigmoid_derivative(r):
    """σ'(r) = σ(r)(1 − σ(r)) entry by entry, the shape of r."""
    h = sigmoid(r)
    return h * (1 - h)


# --8<-- [end:sigmoid]
# --8<-- [start:sigmoid_layer]
def sigmoid_layer(x, W):
    """h = σ(xW): x 1×n, W n×m, h 1×m."""
    return sigmoid(x @ W)


# --8<-- [end:sigmoid_layer]
# --8<-- [start:softmax_vjp]
def softmax_vjp(theta, g):
    """Right: g (∂y/∂θ) = s − (Σ_j s_j) y with s = g ∘ y, row by row, the shape of θ."""
    y = softmax(theta)
    s = g * y
    return s - s.sum(axis=1, keepdims=True) * y


# --8<-- [end:softmax_vjp]


# 1. A dropped minus sign in cross-entropy
# --8<-- [start:cross_entropy_gradient]
def cross_entropy_gradient(theta, y):
    """Right: ∂ℓ/∂θ = ŷ − y, 1×m (y one-hot)."""
    return softmax(theta) - y


def cross_entropy_gradient_sign_dropped(theta, y):
    """Wrong: y − ŷ, the gradient of Σ y log ŷ (no minus sign)."""
    return y - softmax(theta)


# --8<-- [end:cross_entropy_gradient]


# 2. W where its transpose belongs
# --8<-- [start:affine_input_vjp]
def affine_input_vjp(W, g):
    """Right: ∂L/∂x = g Wᵀ, (1×m)(m×n) = 1×n."""
    return g @ W.T


def affine_input_vjp_untransposed(W, g):
    """Wrong: g W, (1×m)(n×m): a shape error, or wrong numbers when W is square."""
    return g @ W


# --8<-- [end:affine_input_vjp]


# 3. A Hadamard product in the wrong place
# --8<-- [start:sigmoid_layer_input_vjp]
def sigmoid_layer_input_vjp(x, W, g):
    """Right: ∂L/∂x = (g ∘ σ'(r)) Wᵀ = g Diag(σ'(r)) Wᵀ, 1×n."""
    return (g * sigmoid_derivative(x @ W)) @ W.T


def sigmoid_layer_input_vjp_hadamard_last(x, W, g):
    """Wrong: g ∘ (σ'(r) Wᵀ), a 1×m row times a 1×n row entry by entry."""
    return g * (sigmoid_derivative(x @ W) @ W.T)


# --8<-- [end:sigmoid_layer_input_vjp]


# 4. Softmax treated as element-wise
# --8<-- [start:softmax_jacobian]
def softmax_jacobian(theta):
    """∂y/∂θ = Diag(y) − yᵀy for a 1×m row θ and y = softmax(θ): m×m."""
    y = softmax(theta)
    return np.diag(y.ravel()) - y.T @ y


# --8<-- [end:softmax_jacobian]
# --8<-- [start:softmax_vjp_elementwise]
def softmax_vjp_elementwise(theta, g):
    """Wrong: g ∘ y ∘ (1 − y), softmax treated as element-wise (its diagonal only)."""
    y = softmax(theta)
    return g * y * (1 - y)


# --8<-- [end:softmax_vjp_elementwise]


# 5. A scalar subtracted from a vector
# --8<-- [start:softmax_vjp_scalar_subtracted]
def softmax_vjp_scalar_subtracted(theta, g):
    """Wrong: s − Σ_j s_j, the same scalar subtracted from every entry of s = g ∘ y."""
    s = g * softmax(theta)
    return s - s.sum(axis=1, keepdims=True)


# --8<-- [end:softmax_vjp_scalar_subtracted]


# 6. A mean loss differentiated like a sum
# --8<-- [start:mean_cross_entropy]
def mean_cross_entropy(X, W, b, Y):
    """L = (1/N) Σ_k ℓ_k for logits XW + b: X N×n, W n×m, b 1×m, one-hot Y N×m; a scalar."""
    return np.mean(cross_entropy(affine(X, W, b), Y))


# --8<-- [end:mean_cross_entropy]
# --8<-- [start:mean_cross_entropy_weight_gradient]
def mean_cross_entropy_weight_gradient(X, W, b, Y):
    """Right: ∂L/∂W = Xᵀ(Ŷ − Y)/N with Ŷ = softmax(XW + b), n×m."""
    return X.T @ (softmax(affine(X, W, b)) - Y) / X.shape[0]


def mean_cross_entropy_weight_gradient_summed(X, W, b, Y):
    """Wrong: Xᵀ(Ŷ − Y), the gradient of the summed loss, N times too large."""
    return X.T @ (softmax(affine(X, W, b)) - Y)


# --8<-- [end:mean_cross_entropy_weight_gradient]


# 7. A Jacobian in the other layout
# --8<-- [start:sigmoid_layer_jacobian]
def sigmoid_layer_jacobian(x, W):
    """∂h/∂x = Diag(σ'(r)) Wᵀ with r = xW: m×n, numerator layout."""
    return np.diag(sigmoid_derivative(x @ W).ravel()) @ W.T


# --8<-- [end:sigmoid_layer_jacobian]


if __name__ == "__main__":
    # --8<-- [start:sign]
    rng = np.random.default_rng(0)
    theta = rng.standard_normal((1, 5))  # logits, 1×5
    y = np.eye(5)[[2]]  # one-hot label, 1×5
    reference = numerical_jacobian(lambda t: cross_entropy(t, y), theta)  # ∂ℓ/∂θ, 1×5
    assert compare("right ŷ − y", cross_entropy_gradient(theta, y), reference)
    compare("wrong y − ŷ", cross_entropy_gradient_sign_dropped(theta, y), reference)
    # --8<-- [end:sign]

    # --8<-- [start:transpose]
    rng = np.random.default_rng(0)
    n, m = 4, 3  # inputs, outputs
    x = rng.standard_normal((1, n))  # input, 1×4
    W = rng.standard_normal((n, m))  # weights, 4×3
    b = rng.standard_normal((1, m))  # bias, 1×3
    g = rng.standard_normal((1, m))  # upstream gradient ∂L/∂r, 1×3
    reference = g @ numerical_jacobian(lambda x: affine(x, W, b), x)  # ∂L/∂x, 1×4
    assert compare("right g Wᵀ", affine_input_vjp(W, g), reference)
    try:
        compare("wrong g W", affine_input_vjp_untransposed(W, g), reference)
    except ValueError as error:
        print(f"wrong g W: {error}")

    W = rng.standard_normal((m, m))  # square weights: no shape error to warn you
    x = rng.standard_normal((1, m))
    reference = g @ numerical_jacobian(lambda x: affine(x, W, b), x)  # 1×3
    assert compare("right g Wᵀ, square W", affine_input_vjp(W, g), reference)
    compare("wrong g W, square W", affine_input_vjp_untransposed(W, g), reference)
    # --8<-- [end:transpose]

    # --8<-- [start:hadamard]
    rng = np.random.default_rng(0)
    n, m = 5, 3  # inputs, outputs
    x = rng.standard_normal((1, n))  # input, 1×5
    W = rng.standard_normal((n, m))  # weights, 5×3
    g = rng.standard_normal((1, m))  # upstream gradient ∂L/∂h, 1×3
    r = x @ W  # pre-activation, 1×3
    reference_r = g @ numerical_jacobian(sigmoid, r)  # ∂L/∂r, 1×3
    reference_x = g @ numerical_jacobian(lambda x: sigmoid_layer(x, W), x)  # ∂L/∂x, 1×5
    assert compare("right g ∘ σ'(r)", g * sigmoid_derivative(r), reference_r)
    assert compare("right (g ∘ σ'(r)) Wᵀ", sigmoid_layer_input_vjp(x, W, g), reference_x)

    r_column = W.T @ x.T  # the same pre-activation, computed column-style: 3×1
    compare("wrong g ∘ σ'(r) with σ'(r) a column", g * sigmoid_derivative(r_column), reference_r)
    try:
        compare("wrong g ∘ (σ'(r) Wᵀ)", sigmoid_layer_input_vjp_hadamard_last(x, W, g), reference_x)
    except ValueError as error:
        print(f"wrong g ∘ (σ'(r) Wᵀ): {error}")
    # --8<-- [end:hadamard]

    # --8<-- [start:elementwise]
    rng = np.random.default_rng(0)
    theta = rng.standard_normal((1, 5))  # logits, 1×5
    g = rng.standard_normal((1, 5))  # upstream gradient ∂L/∂y, 1×5
    y = softmax(theta)
    numeric = numerical_jacobian(softmax, theta)  # ∂y/∂θ, 5×5
    assert compare("right Jacobian Diag(y) − yᵀy", softmax_jacobian(theta), numeric)
    compare("wrong Jacobian Diag(y ∘ (1 − y))", np.diag((y * (1 - y)).ravel()), numeric)
    assert compare("right VJP s − (Σ_j s_j) y", softmax_vjp(theta, g), g @ numeric)
    compare("wrong VJP g ∘ y ∘ (1 − y)", softmax_vjp_elementwise(theta, g), g @ numeric)
    # --8<-- [end:elementwise]

    # --8<-- [start:scalar]
    rng = np.random.default_rng(0)
    theta = rng.standard_normal((1, 5))  # logits, 1×5
    g = rng.standard_normal((1, 5))  # upstream gradient ∂L/∂y, 1×5
    reference = g @ numerical_jacobian(softmax, theta)  # ∂L/∂θ, 1×5
    assert compare("right s − (Σ_j s_j) y", softmax_vjp(theta, g), reference)
    compare("wrong s − Σ_j s_j", softmax_vjp_scalar_subtracted(theta, g), reference)
    # --8<-- [end:scalar]

    # --8<-- [start:mean]
    rng = np.random.default_rng(0)
    N, n, m = 4, 3, 5  # examples, inputs, classes
    X = rng.standard_normal((N, n))  # a batch of N = 4 inputs, 4×3
    W = rng.standard_normal((n, m))  # weights, 3×5
    b = rng.standard_normal((1, m))  # bias, 1×5
    Y = np.eye(m)[rng.integers(0, m, size=N)]  # one-hot labels, 4×5
    reference = numerical_jacobian(lambda W: mean_cross_entropy(X, W, b, Y), W).reshape(W.shape)
    assert compare("right Xᵀ(Ŷ − Y)/N", mean_cross_entropy_weight_gradient(X, W, b, Y), reference)
    compare("wrong Xᵀ(Ŷ − Y)", mean_cross_entropy_weight_gradient_summed(X, W, b, Y), reference)
    # --8<-- [end:mean]

    # --8<-- [start:layout]
    rng = np.random.default_rng(0)
    n, m = 4, 3  # inputs, outputs
    x = rng.standard_normal((1, n))  # input, 1×4
    W = rng.standard_normal((n, m))  # weights, 4×3
    g = rng.standard_normal((1, m))  # upstream gradient ∂L/∂h, 1×3
    J = sigmoid_layer_jacobian(x, W)  # ∂h/∂x in numerator layout, 3×4
    numeric = numerical_jacobian(lambda x: sigmoid_layer(x, W), x)  # 3×4
    assert compare("right Jacobian Diag(σ'(r)) Wᵀ", J, numeric)
    assert compare("right g J", g @ J, g @ numeric)
    try:
        compare("wrong g Jᵀ", g @ J.T, g @ numeric)
    except ValueError as error:
        print(f"wrong g Jᵀ: {error}")

    W = rng.standard_normal((m, m))  # square weights: J is 3×3 but not symmetric
    x = rng.standard_normal((1, m))
    J = sigmoid_layer_jacobian(x, W)
    numeric = numerical_jacobian(lambda x: sigmoid_layer(x, W), x)
    assert compare("right g J, square J", g @ J, g @ numeric)
    compare("wrong g Jᵀ, square J", g @ J.T, g @ numeric)
    # --8<-- [end:layout]
