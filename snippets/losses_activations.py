"""Losses and activations: each one's Jacobian and the VJP it collapses to.

Shapes (row vectors, see docs/conventions.md); N is the number of rows of a batch:
- MSE: predictions Ŷ and targets Y are N×m; L = (1/N) Σ_a ‖ŷ_a − y_a‖² is a scalar, ∂L/∂Ŷ is N×m.
- BCE with logits: logits Z and labels Y (entries in [0, 1]) are N×n; L is the mean over the rows
  of the summed entry losses; ∂L/∂Z is N×n. One row z, y is 1×n.
- tanh, ReLU, GELU: r and h are 1×n (or N×n); the Jacobian of a 1×n row is n×n.
- L2 weight decay: W is n×m, R = (λ/2)‖W‖_F² is a scalar, ∂R/∂W is n×m.
- residual: x is 1×n (or N×n), u = x + tanh(xW + b) with W n×n and b 1×n; ∂u/∂x is n×n.
Run ``python -m snippets.losses_activations`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian

# isort: split
# --8<-- [start:gelu_functions]
import math

erf = np.vectorize(math.erf, otypes=[float])  # numpy has no erf: math.erf entry by entry


def normal_cdf(r):
    """Φ(r) = (1 + erf(r/√2))/2, the standard normal CDF, entry by entry (any shape)."""
    return 0.5 * (1 + erf(r / math.sqrt(2)))


def normal_pdf(r):
    """φ(r) = e^(−r²/2)/√(2π), the standard normal density, entry by entry (any shape)."""
    return np.exp(-0.5 * r**2) / math.sqrt(2 * math.pi)


def gelu(r):
    """The exact GELU, r Φ(r), entry by entry (any shape)."""
    return r * normal_cdf(r)


def gelu_derivative(r):
    """GELU′(r) = Φ(r) + r φ(r) by the product rule, entry by entry (any shape)."""
    return normal_cdf(r) + r * normal_pdf(r)


def gelu_jacobian(r):
    """The full Jacobian ∂h/∂r of h = GELU(r) for a 1×n row r: n×n, Diag(Φ(r) + r φ(r))."""
    return np.diag(gelu_derivative(r).ravel())


def gelu_vjp(r, g):
    """g (∂h/∂r) without the Jacobian: g ∘ (Φ(r) + r φ(r)), the shape of r."""
    return g * gelu_derivative(r)


# --8<-- [end:gelu_functions]


# --8<-- [start:mse_functions]
def mse(Y_hat, Y):
    """L = (1/N) Σ_a ‖ŷ_a − y_a‖²: summed over the m outputs, averaged over the N rows (N×m)."""
    return np.sum((Y_hat - Y) ** 2) / Y.shape[0]


def mse_jacobian(Y_hat, Y):
    """∂L/∂vec(Ŷ) as a chain, 1×Nm: the mean of sums (1/N) 1 times Diag(2 vec(Ŷ − Y))."""
    residual = (Y_hat - Y).ravel()
    return np.ones((1, residual.size)) @ np.diag(2 * residual) / Y.shape[0]


def mse_vjp(Y_hat, Y, g=1.0):
    """g ∂L/∂Ŷ without the Jacobian: g (2/N)(Ŷ − Y), N×m; g = 1 when L is the objective."""
    return g * 2 * (Y_hat - Y) / Y.shape[0]


# --8<-- [end:mse_functions]


# --8<-- [start:bce_functions]
def sigmoid(z):
    """σ(z) entry by entry, any shape; exp(−log(1 + e^−z)) never overflows."""
    return np.exp(-np.logaddexp(0.0, -z))


def bce_entries(Z, Y):
    """Entry losses −[y log σ(z) + (1 − y) log(1 − σ(z))], evaluated as
    max(z, 0) − z y + log(1 + e^−|z|): finite for any z. The shape of Z."""
    return np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))


def bce_with_logits(Z, Y):
    """L: the entry losses summed over each row, averaged over the N rows (Z, Y: N×n)."""
    return np.sum(bce_entries(Z, Y)) / Z.shape[0]


def bce_entries_jacobian(z, y):
    """The full Jacobian of the n entry losses of a 1×n row z: n×n, Diag(σ(z) − y)."""
    return np.diag((sigmoid(z) - y).ravel())


def bce_vjp(Z, Y, g=1.0):
    """g ∂L/∂Z without the Jacobian: g (σ(Z) − Y)/N, the shape of Z."""
    return g * (sigmoid(Z) - Y) / Z.shape[0]


def bce_probability_entries(P, Y):
    """Entry losses from probabilities P = σ(Z) in (0, 1), as written:
    −[y log p + (1 − y) log(1 − p)]. The shape of P; use it only away from 0 and 1."""
    return -(Y * np.log(P) + (1 - Y) * np.log(1 - P))


def bce_probability_gradient(P, Y):
    """∂ℓ/∂p entry by entry: −y/p + (1 − y)/(1 − p) = (p − y)/(p(1 − p)), the shape of P."""
    return (P - Y) / (P * (1 - P))


# --8<-- [end:bce_functions]


# --8<-- [start:tanh_functions]
def tanh_jacobian(r):
    """The full Jacobian ∂h/∂r of h = tanh(r) for a 1×n row r: n×n, Diag(1 − h²)."""
    h = np.tanh(r).ravel()
    return np.diag(1 - h**2)


def tanh_vjp(r, g):
    """g (∂h/∂r) without the Jacobian: g ∘ (1 − h²), the shape of r."""
    h = np.tanh(r)
    return g * (1 - h**2)


# --8<-- [end:tanh_functions]


# --8<-- [start:relu_functions]
def relu(r):
    """max(r, 0) entry by entry (any shape)."""
    return np.maximum(r, 0.0)


def relu_jacobian(r):
    """Diag([r > 0]) for a 1×n row r: n×n. At r_i = 0 exactly it uses 0, as libraries do."""
    return np.diag((r.ravel() > 0).astype(float))


def relu_vjp(r, g):
    """g (∂h/∂r) without the Jacobian: g ∘ [r > 0], the shape of r."""
    return g * (r > 0)


# --8<-- [end:relu_functions]


# --8<-- [start:decay_functions]
def weight_decay(W, lam):
    """R = (λ/2)‖W‖_F² = (λ/2) Σ_jk W_jk², a scalar; W is n×m, λ = lam ≥ 0."""
    return lam / 2 * np.sum(W**2)


def weight_decay_jacobian(W, lam):
    """∂R/∂vec(W), W flattened row by row: the 1×nm row λ vec(W)ᵀ."""
    return lam * W.reshape(1, -1)


def weight_decay_gradient(W, lam):
    """∂R/∂W = λW, the shape of W: the Jacobian reshaped."""
    return lam * W


# --8<-- [end:decay_functions]


# --8<-- [start:residual_functions]
def residual_block(x, W, b):
    """u = x + f(x) with f(x) = tanh(xW + b): x 1×n (or N×n), W n×n, b 1×n; u like x."""
    return x + np.tanh(x @ W + b)


def residual_jacobian(x, W, b):
    """∂u/∂x = I + J_f for a 1×n row x, with J_f = Diag(1 − h²) Wᵀ and h = tanh(xW + b): n×n."""
    h = np.tanh(x @ W + b).ravel()
    return np.eye(x.size) + np.diag(1 - h**2) @ W.T


def residual_vjp(x, W, b, g):
    """g (I + J_f) without the Jacobian: g + (g ∘ (1 − h²)) Wᵀ, the shape of x (row by row)."""
    h = np.tanh(x @ W + b)
    return g + (g * (1 - h**2)) @ W.T


# --8<-- [end:residual_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "losses"
CHEAT_SHEET = [
    Row(
        table="Losses",
        operation=r"mean squared error $L = \frac1N\sum_a \lVert\hat{y}_a - y_a\rVert^2$",
        jacobian=(
            r"the $1 \times Nm$ row $\frac2N \operatorname{vec}_r(\hat{Y} - Y)^\top$ (row-major "
            r"vec)"
        ),
        vjp=r"$\frac2N(\hat{Y} - Y)$",
        functions=("mse_vjp",),
    ),
    Row(
        table="Losses",
        operation=r"binary cross-entropy with logits, $\ell$ of one row $z$",
        jacobian=(
            r"the row $\sigma(z) - y$; $\operatorname{Diag}(\sigma(z) - y)$ for the $n$ entry "
            r"losses"
        ),
        vjp=r"$\sigma(z) - y$; batch mean $(\sigma(Z) - Y)/N$",
        functions=("bce_vjp",),
    ),
    Row(
        table="Layers",
        operation=r"$\tanh$, ReLU, GELU",
        jacobian=(
            r"$\operatorname{Diag}(1 - h\circ h)$, $\operatorname{Diag}([r > 0])$, "
            r"$\operatorname{Diag}(\Phi(r) + r \circ \varphi(r))$"
        ),
        vjp=r"$g$ times the diagonal, element-wise",
        functions=("tanh_vjp", "relu_vjp", "gelu_vjp"),
    ),
    Row(
        table="Layers",
        operation=r"weight decay $\frac{\lambda}{2}\lVert W\rVert_F^2$",
        jacobian=r"the $1 \times nm$ row $\lambda \operatorname{vec}_r(W)^\top$",
        vjp=r"$\lambda W$",
        functions=("weight_decay_gradient",),
    ),
    Row(
        table="Layers",
        operation=r"residual $u = x + f(x)$",
        jacobian=r"$I + J_f$",
        vjp=r"$g + g J_f$",
        functions=("residual_vjp",),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """∂h/∂r of ReLU at a fixed 1×6 row r, no entry at 0: 6×6, ones and zeros on the diagonal."""
    r = np.array([[1.3, -0.7, 0.4, -2.1, 0.9, -0.2]])
    jacobian = relu_jacobian(r)
    return Figure(
        matrix=jacobian,
        of=relu,
        at=r,
        structure="diagonal",
        rows="outputs h_i",
        columns="inputs r_j",
        alt=f"The {size(jacobian)} ReLU Jacobian: diagonal, 1 where the input is positive and 0 "
        f"where it is negative, so {np.count_nonzero(jacobian)} of its {len(jacobian)} diagonal "
        "entries are filled and the rest are empty.",
        caption=r"$\partial h/\partial r = \operatorname{Diag}([r > 0])$: diagonal, a one where "
        r"the input passes and a zero where it is cut.",
    )


if __name__ == "__main__":
    # --8<-- [start:mse_setup]
    rng = np.random.default_rng(0)
    N, m = 3, 2  # rows, outputs per row
    Y_hat = rng.standard_normal((N, m))  # predictions, 3×2
    Y = rng.standard_normal((N, m))  # targets, 3×2
    # --8<-- [end:mse_setup]

    # --8<-- [start:mse_check]
    jacobian = mse_jacobian(Y_hat, Y)  # 1×6: (1/N) 1 Diag(2 vec(Ŷ − Y))
    numeric = numerical_jacobian(lambda P: mse(P, Y), Y_hat)  # 1×6, by central differences
    assert compare("Jacobian (1/N) 1 Diag(2 vec(Ŷ − Y))", jacobian, numeric)
    assert compare("VJP (2/N)(Ŷ − Y)", mse_vjp(Y_hat, Y), numeric.reshape(Y_hat.shape))
    # --8<-- [end:mse_check]

    # --8<-- [start:mse_mistake]
    reference = numerical_jacobian(lambda P: mse(P, Y), Y_hat).reshape(Y_hat.shape)
    compare("(Ŷ − Y)/N (the 2 dropped)", (Y_hat - Y) / Y.shape[0], reference)
    compare("2(Ŷ − Y) (the 1/N dropped)", 2 * (Y_hat - Y), reference)
    # --8<-- [end:mse_mistake]

    # --8<-- [start:bce_setup]
    rng = np.random.default_rng(0)
    n, N = 4, 3  # logits per row, rows in the batch
    z = 2 * rng.standard_normal((1, n))  # logits of one example, 1×4
    y = np.array([[1.0, 0.0, 0.0, 1.0]])  # its labels, 1×4
    Z = 2 * rng.standard_normal((N, n))  # a batch: N = 3 rows of logits, 3×4
    Y = rng.uniform(0.0, 1.0, (N, n))  # soft labels in [0, 1], 3×4
    # --8<-- [end:bce_setup]

    # --8<-- [start:bce_check]
    s = 1 / (1 + np.exp(-z))  # σ(z) as written: safe at these moderate logits
    definition = -(y * np.log(s) + (1 - y) * np.log(1 - s))
    assert compare("stable ℓ vs −[y log σ + (1 − y) log(1 − σ)]", bce_entries(z, y), definition)
    numeric = numerical_jacobian(lambda t: bce_entries(t, y), z)  # 4×4
    assert compare("entry losses: Jacobian Diag(σ(z) − y)", bce_entries_jacobian(z, y), numeric)
    numeric = numerical_jacobian(lambda t: bce_with_logits(t, Y), Z).reshape(Z.shape)  # 3×4
    assert compare("batch VJP (σ(Z) − Y)/N", bce_vjp(Z, Y), numeric)
    # --8<-- [end:bce_check]

    # --8<-- [start:bce_chain]
    p = sigmoid(z)  # probabilities, 1×4
    numeric_p = numerical_jacobian(lambda q: np.sum(bce_probability_entries(q, y)), p)  # 1×4
    two_terms = -y / p + (1 - y) / (1 - p)  # ∂ℓ/∂p as differentiated, term by term
    assert compare("∂ℓ/∂p = −y/p + (1 − y)/(1 − p) vs finite differences", two_terms, numeric_p)
    assert compare("one fraction (p − y)/(p(1 − p))", bce_probability_gradient(p, y), two_terms)
    sigma_prime = p * (1 - p)  # σ′(z), from the page on activations
    numeric_z = numerical_jacobian(lambda t: bce_with_logits(t, y), z)  # 1×4
    chain = bce_probability_gradient(p, y) * sigma_prime  # element-wise: the chain is diagonal
    assert compare("(∂ℓ/∂p) ∘ σ′(z) vs finite differences in z", chain, numeric_z)
    assert compare("(∂ℓ/∂p) ∘ σ′(z) = p − y", chain, p - y)
    # --8<-- [end:bce_chain]

    # --8<-- [start:bce_mistake]
    numeric = numerical_jacobian(lambda t: bce_with_logits(t, y), z)  # 1×4
    p = sigmoid(z)
    numeric_p = numerical_jacobian(lambda q: np.sum(bce_probability_entries(q, y)), p)
    compare("∂ℓ/∂p = (y − p)/(p(1 − p)) (sign flipped)", (y - p) / (p * (1 - p)), numeric_p)
    compare("y − σ(z) (sign flipped)", y - sigmoid(z), numeric)
    huge = np.array([[1e4, 1e4, -1e4, -1e4]])  # confident logits
    labels = np.array([[1.0, 0.0, 0.0, 1.0]])  # right, wrong, right, wrong
    exact_losses = np.array([[0.0, 1e4, 0.0, 1e4]])
    exact_gradient = np.array([[0.0, 1.0, 0.0, -1.0]])  # σ(z) − y, with σ(±1e4) = 1, 0
    for dtype in (np.float64, np.float32):
        z_big, y_big = huge.astype(dtype), labels.astype(dtype)
        name = dtype.__name__
        assert compare(f"stable ℓ at ±1e4, {name}", bce_entries(z_big, y_big), exact_losses)
        assert compare(f"σ(z) − y at ±1e4, {name}", bce_vjp(z_big, y_big), exact_gradient)
    z20 = np.array([[20.0]], dtype=np.float32)  # a wrong prediction: label 0, logit 20
    exact20 = np.array([[20.0]])  # 20 + log(1 + e^−20), which is 20 in float32
    assert compare("stable ℓ at z = 20, float32", bce_entries(z20, np.zeros_like(z20)), exact20)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # we print instead
        s = 1 / (1 + np.exp(-huge))  # overflows to σ = 0 at −1e4, rounds to 1 at 1e4
        naive = -(labels * np.log(s) + (1 - labels) * np.log(1 - s))
        compare("−[y log σ + (1 − y) log(1 − σ)] at ±1e4", naive, exact_losses)
        s20 = 1 / (1 + np.exp(-z20))  # 1 + e^−20 rounds to 1 in float32
        compare("−log(1 − σ(z)) at z = 20, float32", -np.log(1 - s20), exact20)
    # --8<-- [end:bce_mistake]

    # --8<-- [start:tanh_setup]
    rng = np.random.default_rng(0)
    r = rng.standard_normal((1, 4))  # pre-activation, 1×4
    g = rng.standard_normal((1, 4))  # upstream gradient ∂L/∂h, 1×4
    # --8<-- [end:tanh_setup]

    # --8<-- [start:tanh_check]
    jacobian = tanh_jacobian(r)  # 4×4
    numeric = numerical_jacobian(np.tanh, r)  # 4×4, by central differences
    assert compare("Jacobian Diag(1 − h²)", jacobian, numeric)
    assert compare("VJP g ∘ (1 − h²)", tanh_vjp(r, g), g @ numeric)
    # --8<-- [end:tanh_check]

    # --8<-- [start:relu_setup]
    rng = np.random.default_rng(0)
    r = rng.standard_normal((1, 4))  # pre-activation, 1×4, no entry near 0
    g = rng.standard_normal((1, 4))  # upstream gradient ∂L/∂h, 1×4
    # --8<-- [end:relu_setup]

    # --8<-- [start:relu_check]
    jacobian = relu_jacobian(r)  # 4×4, ones and zeros on the diagonal
    numeric = numerical_jacobian(relu, r)  # 4×4, by central differences
    assert compare("Jacobian Diag([r > 0]), away from 0", jacobian, numeric)
    assert compare("VJP g ∘ [r > 0], away from 0", relu_vjp(r, g), g @ numeric)
    # --8<-- [end:relu_check]

    # --8<-- [start:relu_kink]
    at_kink = np.array([[-1.0, 0.0, 2.0]])  # the middle entry sits on the kink
    numeric = numerical_jacobian(relu, at_kink)  # (relu(ε) − relu(−ε))/2ε = 1/2 in the middle
    assert compare("central difference straddling 0", numeric[1, 1], 0.5)
    compare("Diag([r > 0]) at r = 0 vs that difference", relu_jacobian(at_kink), numeric)
    # --8<-- [end:relu_kink]

    # --8<-- [start:gelu_setup]
    rng = np.random.default_rng(0)
    r = rng.standard_normal((1, 4))  # pre-activation, 1×4
    g = rng.standard_normal((1, 4))  # upstream gradient ∂L/∂h, 1×4
    # --8<-- [end:gelu_setup]

    # --8<-- [start:gelu_check]
    jacobian = gelu_jacobian(r)  # 4×4
    numeric = numerical_jacobian(gelu, r)  # 4×4, by central differences
    assert compare("Jacobian Diag(Φ(r) + r φ(r))", jacobian, numeric)
    assert compare("VJP g ∘ (Φ(r) + r φ(r))", gelu_vjp(r, g), g @ numeric)
    # --8<-- [end:gelu_check]

    # --8<-- [start:gelu_mistake]
    reference = g @ numerical_jacobian(gelu, r)
    compare("g ∘ Φ(r) (product rule dropped)", g * normal_cdf(r), reference)
    # --8<-- [end:gelu_mistake]

    # --8<-- [start:decay_setup]
    rng = np.random.default_rng(0)
    n, m = 4, 3
    W = rng.standard_normal((n, m))  # weights, n×m = 4×3
    lam = 0.1  # decay strength λ
    # --8<-- [end:decay_setup]

    # --8<-- [start:decay_check]
    numeric = numerical_jacobian(lambda V: weight_decay(V, lam), W)  # 1×12
    assert compare("Jacobian λ vec(W)ᵀ", weight_decay_jacobian(W, lam), numeric)
    assert compare("gradient λW", weight_decay_gradient(W, lam), numeric.reshape(W.shape))
    # --8<-- [end:decay_check]

    # --8<-- [start:residual_setup]
    rng = np.random.default_rng(0)
    n, N = 4, 3  # width of the block, rows in the batch
    x = rng.standard_normal((1, n))  # input of the block, 1×4
    W = rng.standard_normal((n, n))  # weights of the branch f, 4×4 (square, not symmetric)
    b = rng.standard_normal((1, n))  # bias of the branch, 1×4
    g = rng.standard_normal((1, n))  # upstream gradient ∂L/∂u, 1×4
    X = rng.standard_normal((N, n))  # a batch: N = 3 inputs, 3×4
    G = rng.standard_normal((N, n))  # its upstream gradient, 3×4
    # --8<-- [end:residual_setup]

    # --8<-- [start:residual_check]
    jacobian = residual_jacobian(x, W, b)  # 4×4: I + Diag(1 − h²) Wᵀ
    numeric = numerical_jacobian(lambda v: residual_block(v, W, b), x)  # 4×4
    assert compare("Jacobian I + J_f", jacobian, numeric)
    assert compare("VJP g + g J_f", residual_vjp(x, W, b, g), g @ numeric)
    numeric = numerical_jacobian(lambda v: residual_block(v, W, b), X)  # 12×12
    batch_reference = (G.ravel() @ numeric).reshape(X.shape)  # 3×4
    assert compare("batch VJP G + (G ∘ (1 − H²)) Wᵀ", residual_vjp(X, W, b, G), batch_reference)
    # --8<-- [end:residual_check]

    # --8<-- [start:residual_mistake]
    h = np.tanh(x @ W + b)
    reference = g @ numerical_jacobian(lambda v: residual_block(v, W, b), x)
    compare("g J_f (identity dropped)", (g * (1 - h**2)) @ W.T, reference)
    # --8<-- [end:residual_mistake]
