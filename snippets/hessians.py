"""Hessians and Gauss–Newton: second derivatives as Jacobians of gradients, and their HVPs.

Shapes (row vectors, see docs/conventions.md):
- softmax cross-entropy of one example: logits θ 1×k, one-hot label y 1×k, p = softmax(θ) 1×k;
  the Hessian ∂²ℓ/∂θ² is k×k;
- logistic regression: X N×n, weights w n×1, labels t N×1 (0 or 1), z = Xw N×1; Hessian n×n;
- softmax regression: X N×n, W n×k, one-hot Y N×k, P = softmax(XW) N×k; the Hessian with
  respect to vec_r W (numpy's W.ravel()) is (n·k)×(n·k);
- nonlinear least squares: f = φ(Xw) N×1 with φ = tanh (or the identity), targets t N×1,
  residual r = f − t, L = (1/2N) rᵀr; Hessian and Gauss–Newton matrix n×n.
An HVP is the VJP of the gradient: a direction with the shape of the variable in, the same out.
Run ``python -m snippets.hessians`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:softmax]
def softmax(theta):
    """Row by row, stably: exp(θ − max θ)/sum; any shape, along the last axis."""
    shifted = np.exp(theta - np.max(theta, axis=-1, keepdims=True))
    return shifted / np.sum(shifted, axis=-1, keepdims=True)


# --8<-- [end:softmax]


# --8<-- [start:ce_functions]
def cross_entropy(theta, y):
    """ℓ = logsumexp(θ) − θ yᵀ for one row θ (1×k) and a label row y summing to 1."""
    top = np.max(theta)
    return top + np.log(np.sum(np.exp(theta - top))) - np.sum(theta * y)


def cross_entropy_gradient(theta, y):
    """∂ℓ/∂θ = p − y, 1×k."""
    return softmax(theta) - y


def cross_entropy_hessian(theta):
    """∂²ℓ/∂θ² = Diag(p) − pᵀp, k×k: symmetric, PSD, 𝟏_k in its null space; y drops out."""
    p = softmax(theta)
    return np.diag(p.ravel()) - np.outer(p, p)  # pᵀp, the outer product


def cross_entropy_hvp(theta, v):
    """v (∂²ℓ/∂θ²) without the k×k matrix: v ∘ p − (v pᵀ) p, 1×k."""
    p = softmax(theta)
    return v * p - np.sum(v * p) * p


# --8<-- [end:ce_functions]


# --8<-- [start:regression_functions]
def sigmoid(z):
    """σ(z) = 1/(1 + e^(−z)) without overflow: e^(−|z|) only."""
    small = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + small), small / (1 + small))


def logistic_loss(w, X, t):
    """(1/N) Σ_a softplus(z_a) − t_a z_a with z = Xw: the mean binary cross-entropy."""
    z = X @ w
    return np.mean(np.logaddexp(0, z) - t * z)


def logistic_gradient(w, X, t):
    """∂L/∂w = (1/N) Xᵀ(σ(z) − t), n×1 like w."""
    return X.T @ (sigmoid(X @ w) - t) / len(X)


def logistic_hessian(w, X):
    """∂²L/∂w² = (1/N) Xᵀ Diag(σ(z) ∘ (1 − σ(z))) X, n×n; t drops out."""
    s = sigmoid(X @ w)
    return X.T @ (s * (1 - s) * X) / len(X)


def logistic_hvp(w, X, u):
    """(∂²L/∂w²) u without the n×n matrix: (1/N) Xᵀ(σ'(z) ∘ Xu), n×1."""
    s = sigmoid(X @ w)
    return X.T @ (s * (1 - s) * (X @ u)) / len(X)


def softmax_regression_loss(W, X, Y):
    """(1/N) Σ_a ℓ(x_a W, y_a): mean softmax cross-entropy, W n×k."""
    logits = X @ W
    top = np.max(logits, axis=1, keepdims=True)
    log_sum = top + np.log(np.sum(np.exp(logits - top), axis=1, keepdims=True))
    return np.mean(log_sum.ravel() - np.sum(logits * Y, axis=1))


def softmax_regression_gradient(W, X, Y):
    """∂L/∂W = (1/N) Xᵀ(P − Y), n×k like W."""
    return X.T @ (softmax(X @ W) - Y) / len(X)


def softmax_regression_hessian(W, X):
    """∂²L/∂(vec_r W)² = (1/N) Σ_a (x_aᵀx_a) ⊗ (Diag(p_a) − p_aᵀp_a), (n·k)×(n·k)."""
    P = softmax(X @ W)
    hessian = 0
    for x, p in zip(X[:, None, :], P[:, None, :], strict=True):  # rows x_a, p_a
        hessian = hessian + np.kron(np.outer(x, x), np.diag(p.ravel()) - np.outer(p, p))
    return hessian / len(X)


def softmax_regression_hvp(W, X, V):
    """The HVP for a direction V (n×k): (1/N) Xᵀ(S − Diag(S𝟏_k) P), S = XV ∘ P; n×k."""
    P = softmax(X @ W)
    S = (X @ V) * P
    return X.T @ (S - np.sum(S, axis=1, keepdims=True) * P) / len(X)


# --8<-- [end:regression_functions]


# --8<-- [start:gn_functions]
def activation(z, linear):
    """φ(z), φ'(z), φ''(z): the identity (a model linear in w) or tanh."""
    if linear:
        return z, np.ones_like(z), np.zeros_like(z)
    f = np.tanh(z)
    return f, 1 - f**2, -2 * f * (1 - f**2)


def least_squares_loss(w, X, t, linear=False):
    """L = (1/2N) rᵀr with r = φ(Xw) − t."""
    f, _, _ = activation(X @ w, linear)
    return np.sum((f - t) ** 2) / (2 * len(X))


def least_squares_gradient(w, X, t, linear=False):
    """∂L/∂w = Jᵀ(∂ℓ/∂f)ᵀ = (1/N) Xᵀ(φ'(z) ∘ r), n×1, with J = ∂f/∂w = Diag(φ'(z)) X."""
    f, slope, _ = activation(X @ w, linear)
    return X.T @ (slope * (f - t)) / len(X)


def gauss_newton(w, X, linear=False):
    """Jᵀ H_ℓ J with H_ℓ = I/N: (1/N) Xᵀ Diag(φ'(z)²) X, n×n; PSD."""
    _, slope, _ = activation(X @ w, linear)
    return X.T @ (slope**2 * X) / len(X)


def least_squares_hessian(w, X, t, linear=False):
    """Gauss–Newton plus Σ_a (∂ℓ/∂f_a) ∇²f_a = (1/N) Σ_a r_a φ''(z_a) x_aᵀx_a:
    (1/N) Xᵀ Diag(φ'² + r ∘ φ'') X, n×n."""
    f, _, curve = activation(X @ w, linear)
    return gauss_newton(w, X, linear) + X.T @ ((f - t) * curve * X) / len(X)


def least_squares_hvp(w, X, t, u, linear=False):
    """H u without H: (1/N) Xᵀ((φ'² + r ∘ φ'') ∘ Xu), n×1."""
    f, slope, curve = activation(X @ w, linear)
    return X.T @ ((slope**2 + (f - t) * curve) * (X @ u)) / len(X)


# --8<-- [end:gn_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "Hessians"
CHEAT_SHEET = [
    Row(
        table="Identities and modes",
        operation=r"Hessian of softmax cross-entropy in the logits $\theta$ ($1 \times k$)",
        derivative=(
            r"$\operatorname{Diag}(p) - p^\top p$, $p = \operatorname{softmax}(\theta)$; HVP "
            r"$v \circ p - (vp^\top)\,p$"
        ),
        functions=("cross_entropy_hessian", "cross_entropy_hvp"),
        anchor="softmax-cross-entropy-in-the-logits",
    ),
    Row(
        table="Identities and modes",
        operation=r"Hessian of logistic regression's mean loss in $w$ ($n \times 1$), $z = Xw$",
        derivative=(
            r"$\frac{1}{N}X^\top\operatorname{Diag}\big(\sigma(z) \circ (1 - \sigma(z))\big)X$"
        ),
        functions=("logistic_hessian", "logistic_hvp"),
        anchor="logistic-regression",
    ),
    Row(
        table="Identities and modes",
        operation=r"Hessian of softmax regression in $\operatorname{vec}_r W$ ($W$ $n \times k$)",
        derivative=(
            r"$\frac{1}{N}\sum_a (x_a^\top x_a) \otimes \big(\operatorname{Diag}(p_a) - "
            r"p_a^\top p_a\big)$"
        ),
        functions=("softmax_regression_hessian", "softmax_regression_hvp"),
        anchor="softmax-regression",
    ),
    Row(
        table="Identities and modes",
        operation=r"Gauss–Newton for $L = \ell(f(w))$",
        derivative=(
            r"$H = J^\top H_\ell J + \sum_a \frac{\partial \ell}{\partial f_a}\nabla^2 f_a$; "
            r"Gauss–Newton keeps $J^\top H_\ell J$ (PSD)"
        ),
        functions=("gauss_newton", "least_squares_hessian"),
        anchor="gaussnewton-and-the-full-hessian",
    ),
]


# The pictures of the Hessians on the page: hooks/jacobian_figures.py draws them at build time,
# tests/test_figures.py checks them against finite differences (of the gradient) and structure.
def structure_figure():
    """∂²ℓ/∂θ² at a fixed 1×6 θ: 6×6, Diag(p) − pᵀp."""
    theta = np.array([[1.2, -0.4, 0.3, 2.0, -1.1, 0.6]])
    y = np.array([[0.0, 0.0, 1.0, 0.0, 0.0, 0.0]])  # one-hot, class 2
    hessian = cross_entropy_hessian(theta)
    return Figure(
        matrix=hessian,
        of=lambda z: cross_entropy_gradient(z, y),
        at=theta,
        structure="diagonal-minus-rank-one",
        rows="gradient entries ∂ℓ/∂θ_i",
        columns="logits θ_j",
        alt=f"The {size(hessian)} Hessian of softmax cross-entropy in its logits: a diagonal "
        "matrix minus a rank-one matrix, Diag(p) minus pᵀp, symmetric, every row summing to zero.",
        caption=r"$\partial^2\ell/\partial\theta^2 = \operatorname{Diag}(p) - p^\top p$: the "
        r"softmax Jacobian, the Jacobian of the gradient $p - y$.",
    )


def kronecker_figure():
    """Softmax regression's Hessian for one example (N = 1), n = 4, k = 5: (x_aᵀx_a) ⊗ H_a."""
    n, k = 4, 5
    X = np.array([[0.8, -1.2, 0.5, 1.0]])  # one example, 1×4
    W = np.linspace(-1, 1, n * k).reshape(n, k)
    Y = np.eye(k)[[3]]  # one-hot, class 3, 1×5
    hessian = softmax_regression_hessian(W, X)
    p = softmax(X @ W)
    return Figure(
        matrix=hessian,
        of=lambda V: softmax_regression_gradient(V, X, Y),
        at=W,
        structure="kronecker",
        rows="gradient entries ∂L/∂W_{ic}, row by row",
        columns="weights W_{je}, row by row",
        alt=f"The {size(hessian)} Hessian of softmax regression for one example, {n} inputs and "
        f"{k} classes: the Kronecker product of the {n}×{n} outer product of the input with "
        f"itself and the {k}×{k} softmax cross-entropy Hessian.",
        caption=r"One example: $(x_a^\top x_a) \otimes \big(\operatorname{Diag}(p_a) - "
        r"p_a^\top p_a\big)$, in $\operatorname{vec}_r W$ order.",
        factors=(np.outer(X, X), np.diag(p.ravel()) - np.outer(p, p)),
    )


if __name__ == "__main__":
    # --8<-- [start:ce_setup]
    rng = np.random.default_rng(0)
    k = 5  # classes
    theta = rng.standard_normal((1, k))  # logits, 1×5
    y = np.eye(k)[[2]]  # one-hot label, class 2, 1×5
    v = rng.standard_normal((1, k))  # a direction, like θ, 1×5
    # --8<-- [end:ce_setup]

    # --8<-- [start:ce_check]
    gradient = cross_entropy_gradient(theta, y)
    numeric = numerical_jacobian(lambda z: cross_entropy(z, y), theta)  # 1×5
    assert compare("∂ℓ/∂θ = p − y vs finite differences", gradient, numeric)
    numeric_hessian = numerical_jacobian(lambda z: cross_entropy_gradient(z, y), theta)
    hessian = cross_entropy_hessian(theta)  # 5×5
    assert compare("Hessian vs finite differences of the gradient", hessian, numeric_hessian)
    assert compare("symmetric", hessian, hessian.T)
    print("eigenvalues ≥ 0 (PSD):", np.linalg.eigvalsh(hessian).min() > -1e-12)
    null = np.abs(hessian @ np.ones((k, 1))).max() / np.abs(hessian).max()
    print("H 1_k = 0, below 1e-12 of H:", null < 1e-12)
    hvp = cross_entropy_hvp(theta, v)
    assert compare("HVP vs v @ finite differences of the gradient", hvp, v @ numeric_hessian)
    assert compare("HVP vs v @ explicit Hessian", hvp, v @ hessian)
    # --8<-- [end:ce_check]

    # --8<-- [start:ce_mistake]
    numeric_hessian = numerical_jacobian(lambda z: cross_entropy_gradient(z, y), theta)
    p = softmax(theta)
    compare("Diag(p) alone", np.diag(p.ravel()), numeric_hessian)
    print(
        "Diag(p) is positive definite, the Hessian is not:",
        np.linalg.eigvalsh(np.diag(p.ravel())).min() > 1e-3,
    )
    # --8<-- [end:ce_mistake]

    # --8<-- [start:regression_setup]
    rng = np.random.default_rng(0)
    N, n, k = 6, 3, 4  # 6 examples, 3 inputs, 4 classes
    X = rng.standard_normal((N, n))  # inputs, 6×3
    w = rng.standard_normal((n, 1))  # logistic weights, 3×1
    t = rng.integers(0, 2, (N, 1)).astype(float)  # labels 0 or 1, 6×1
    u = rng.standard_normal((n, 1))  # a direction, like w, 3×1
    W = rng.standard_normal((n, k))  # softmax weights, 3×4
    Y = np.eye(k)[rng.integers(0, k, N)]  # one-hot labels, 6×4
    V = rng.standard_normal((n, k))  # a direction, like W, 3×4
    # --8<-- [end:regression_setup]

    # --8<-- [start:regression_check]
    gradient = logistic_gradient(w, X, t)
    numeric = numerical_jacobian(lambda c: logistic_loss(c, X, t), w).reshape(n, 1)
    assert compare("logistic ∂L/∂w vs finite differences", gradient, numeric)
    numeric_hessian = numerical_jacobian(lambda c: logistic_gradient(c, X, t), w)  # 3×3
    hessian = logistic_hessian(w, X)
    assert compare("logistic Hessian vs finite differences", hessian, numeric_hessian)
    print("logistic Hessian PSD:", np.linalg.eigvalsh(hessian).min() > -1e-12)
    assert compare("logistic HVP vs Hessian @ u", logistic_hvp(w, X, u), numeric_hessian @ u)

    gradient = softmax_regression_gradient(W, X, Y)
    numeric = numerical_jacobian(lambda C: softmax_regression_loss(C, X, Y), W).reshape(n, k)
    assert compare("softmax ∂L/∂W vs finite differences", gradient, numeric)
    numeric_hessian = numerical_jacobian(lambda C: softmax_regression_gradient(C, X, Y), W)
    hessian = softmax_regression_hessian(W, X)  # 12×12, vec_r W order
    assert compare("softmax Hessian vs finite differences", hessian, numeric_hessian)
    shift = np.kron(rng.standard_normal((n, 1)), np.ones((k, 1)))  # vec_r(c 1_kᵀ), 12×1
    null = np.abs(hessian @ shift).max() / np.abs(hessian).max()
    print("H vec_r(c 1_kᵀ) = 0, below 1e-12 of H:", null < 1e-12)
    hvp = softmax_regression_hvp(W, X, V)  # 3×4, like W
    reference = (numeric_hessian @ V.ravel()).reshape(n, k)
    assert compare("softmax HVP vs Hessian @ vec_r V", hvp, reference)
    # --8<-- [end:regression_check]

    # --8<-- [start:regression_mistake]
    numeric_hessian = numerical_jacobian(lambda C: softmax_regression_gradient(C, X, Y), W)
    P = softmax(X @ W)  # 6×4
    per_class = np.zeros((n * k, n * k))  # k independent logistic regressions
    for c in range(k):
        weights = P[:, [c]] * (1 - P[:, [c]])  # p_c(1 − p_c), 6×1
        per_class[c::k, c::k] = X.T @ (weights * X) / N  # rows and columns of class c
    compare("one logistic Hessian per class", per_class, numeric_hessian)
    # --8<-- [end:regression_mistake]

    # --8<-- [start:gn_setup]
    rng = np.random.default_rng(1)
    N, n = 8, 3  # 8 examples, 3 inputs
    X = rng.standard_normal((N, n))  # inputs, 8×3
    w = rng.standard_normal((n, 1))  # weights, 3×1
    t = 2 * rng.standard_normal((N, 1))  # targets, some outside tanh's range, 8×1
    u = rng.standard_normal((n, 1))  # a direction, like w, 3×1
    # --8<-- [end:gn_setup]

    # --8<-- [start:gn_check]
    def hessian_by_differences(w, t, linear):
        """Finite differences of the gradient: the Hessian, n×n."""
        return numerical_jacobian(lambda c: least_squares_gradient(c, X, t, linear), w)

    numeric = numerical_jacobian(lambda c: least_squares_loss(c, X, t), w).reshape(n, 1)
    assert compare("∂L/∂w vs finite differences", least_squares_gradient(w, X, t), numeric)
    numeric_hessian = hessian_by_differences(w, t, linear=False)
    hessian = least_squares_hessian(w, X, t)
    assert compare("tanh model: Hessian vs finite differences", hessian, numeric_hessian)
    assert compare("HVP vs Hessian @ u", least_squares_hvp(w, X, t, u), numeric_hessian @ u)
    numeric_linear = hessian_by_differences(w, t, linear=True)
    assert compare("linear model: Gauss–Newton", gauss_newton(w, X, True), numeric_linear)
    fitted = np.tanh(X @ w)  # targets the model reaches: zero residual at w
    numeric_fitted = hessian_by_differences(w, fitted, linear=False)
    assert compare("zero residual: Gauss–Newton", gauss_newton(w, X), numeric_fitted)
    lowest = np.linalg.eigvalsh(hessian).min()
    print(
        f"lowest eigenvalue: Hessian {lowest:.3f}, Gauss–Newton ≥ 0:",
        np.linalg.eigvalsh(gauss_newton(w, X)).min() > -1e-12,
    )
    # --8<-- [end:gn_check]

    # --8<-- [start:gn_mistake]
    numeric_hessian = numerical_jacobian(lambda c: least_squares_gradient(c, X, t), w)
    compare("Gauss–Newton as the Hessian (tanh, residual ≠ 0)", gauss_newton(w, X), numeric_hessian)
    # --8<-- [end:gn_mistake]
