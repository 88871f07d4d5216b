"""Regression losses: L1, MSE, Huber, Smooth L1, Poisson NLL and Gaussian NLL, with reductions.

Shapes (row vectors, see docs/conventions.md): the predictions Ŷ (PyTorch's ``input``), the targets
Y and, for the Gaussian NLL, the variances V are N×k. Each loss is an entry loss ρ applied entry
by entry, Q = ρ(Ŷ, Y) (N×k, reduction "none"), then reduced: "sum" adds the N·k entries, "mean"
divides that sum by N·k (every entry, not the N rows). D = ∂Q_ai/∂Ŷ_ai (N×k) is the entry
derivative; the gradient is G ∘ D ("none", G = ∂L/∂Q N×k), D ("sum"), D/(N·k) ("mean").
Run ``python -m snippets.regression_losses`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:reduction_functions]
def reduce(Q, reduction):
    """The loss from the N×k entry losses Q: "none" is Q itself, "sum" adds
    its N·k entries, "mean" divides that sum by N·k (not by N)."""
    if reduction == "none":
        return Q
    if reduction == "sum":
        return Q.sum()
    if reduction == "mean":
        return Q.mean()
    raise ValueError(f"reduction must be 'none', 'sum' or 'mean', not {reduction!r}")


def loss_of(entries, reduction):
    """The loss as a function of one input: Z ↦ reduce(entries(Z), reduction)."""
    return lambda Z: reduce(entries(Z), reduction)


def reduce_jacobian(D, reduction):
    """∂L/∂vec_r(input) from the entry derivatives D (N×k): Diag(vec_r D),
    (N·k)×(N·k), for "none"; the 1×(N·k) row vec_r(D)ᵀ for "sum", over N·k
    for "mean"."""
    if reduction == "none":
        return np.diag(D.ravel())
    row = D.reshape(1, -1)
    return row if reduction == "sum" else row / D.size


def reduce_vjp(D, reduction, g=1.0):
    """g (∂L/∂input) without the Jacobian: g ∘ D, g the N×k upstream for
    "none" or a number (1 when L is the loss) for "sum" and "mean"; "mean"
    divides by N·k. The shape of the input."""
    vjp = g * D
    return vjp / D.size if reduction == "mean" else vjp


# --8<-- [end:reduction_functions]


# --8<-- [start:l1_functions]
def l1_entries(Yhat, Y):
    """L1Loss with reduction "none": |ŷ − y| entry by entry, N×k."""
    return np.abs(Yhat - Y)


def l1_derivative(Yhat, Y):
    """∂|ŷ − y|/∂ŷ = sign(ŷ − y), with sign(0) = 0 as PyTorch; N×k."""
    return np.sign(Yhat - Y)


def mse_entries(Yhat, Y):
    """MSELoss with reduction "none": (ŷ − y)² entry by entry, N×k."""
    return (Yhat - Y) ** 2


def mse_derivative(Yhat, Y):
    """∂(ŷ − y)²/∂ŷ = 2(ŷ − y); N×k."""
    return 2 * (Yhat - Y)


# --8<-- [end:l1_functions]


# --8<-- [start:huber_functions]
def huber_entries(Yhat, Y, delta):
    """HuberLoss(delta), "none": u²/2 where |u| < δ, else δ(|u| − δ/2),
    u = ŷ − y; N×k."""
    u = Yhat - Y
    inside = np.abs(u) < delta
    return np.where(inside, u**2 / 2, delta * (np.abs(u) - delta / 2))


def huber_derivative(Yhat, Y, delta):
    """∂/∂ŷ of Huber: clip(ŷ − y, −δ, δ); N×k."""
    return np.clip(Yhat - Y, -delta, delta)


def smooth_l1_entries(Yhat, Y, beta):
    """SmoothL1Loss(beta > 0), "none": u²/(2β) where |u| < β, else
    |u| − β/2; N×k. It is Huber(δ = β) divided by β."""
    u = Yhat - Y
    inside = np.abs(u) < beta
    return np.where(inside, u**2 / (2 * beta), np.abs(u) - beta / 2)


def smooth_l1_derivative(Yhat, Y, beta):
    """∂/∂ŷ of Smooth L1: clip(ŷ − y, −β, β)/β, in [−1, 1]; N×k."""
    return np.clip(Yhat - Y, -beta, beta) / beta


# --8<-- [end:huber_functions]


# --8<-- [start:poisson_functions]
def stirling(Y):
    """PyTorch's Stirling term y log y − y + log(2πy)/2 where y > 1, else 0."""
    safe = np.where(Y > 1, Y, 1.0)  # no log of 0 where the term is 0
    term = safe * np.log(safe) - safe + np.log(2 * np.pi * safe) / 2
    return np.where(Y > 1, term, 0.0)


def poisson_nll_entries(X, Y, log_input=True, full=False, eps=1e-8):
    """PoissonNLLLoss, "none", N×k. log_input: X is the log-rate,
    exp(x) − y x; else X is the rate, x − y log(x + eps). full adds
    stirling(Y), which does not depend on X."""
    Q = np.exp(X) - Y * X if log_input else X - Y * np.log(X + eps)
    return Q + stirling(Y) if full else Q


def poisson_nll_derivative(X, Y, log_input=True, eps=1e-8):
    """∂/∂x: exp(x) − y (log_input), else 1 − y/(x + eps); N×k, with
    or without the Stirling term."""
    if log_input:
        return np.exp(X) - Y
    return 1 - Y / (X + eps)


# --8<-- [end:poisson_functions]


# --8<-- [start:gaussian_functions]
def gaussian_nll_entries(Yhat, Y, V, full=False, eps=1e-6):
    """GaussianNLLLoss, "none": (log v + (ŷ − y)²/v)/2 with v = max(V, eps),
    plus log(2π)/2 if full; Ŷ, Y, V all N×k."""
    v = np.maximum(V, eps)
    Q = (np.log(v) + (Yhat - Y) ** 2 / v) / 2
    return Q + np.log(2 * np.pi) / 2 if full else Q


def gaussian_nll_derivatives(Yhat, Y, V, eps=1e-6):
    """(∂/∂ŷ, ∂/∂v) = ((ŷ − y)/v, (1/v − (ŷ − y)²/v²)/2), v = max(V, eps);
    each N×k. At a clamped entry (V < eps) this is PyTorch's value: the
    clamp runs outside autograd, so the gradient is the formula at eps."""
    v = np.maximum(V, eps)
    u = Yhat - Y
    return u / v, (1 / v - u**2 / v**2) / 2


# --8<-- [end:gaussian_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "regression losses"
CHEAT_SHEET = [
    Row(
        table="Losses",
        operation=r"L1, MSE (reduction mean over all $Nk$ entries)",
        jacobian=r"the row $\frac{1}{Nk}\operatorname{vec}_r(D)^\top$, $D$ the entry derivatives",
        vjp=r"$\frac{1}{Nk}\operatorname{sign}(\hat{Y} - Y)$, $\frac{2}{Nk}(\hat{Y} - Y)$",
        functions=("l1_derivative", "mse_derivative", "reduce_vjp"),
    ),
    Row(
        table="Losses",
        operation=r"Huber ($\delta$), Smooth L1 ($\beta$), entry by entry",
        jacobian=r"$\operatorname{Diag}(\operatorname{vec}_r D)$ for reduction none",
        vjp=r"$\operatorname{clip}(\hat{Y} - Y, -\delta, \delta)$; "
        r"$\operatorname{clip}(\hat{Y} - Y, -\beta, \beta)/\beta$",
        functions=("huber_derivative", "smooth_l1_derivative"),
    ),
    Row(
        table="Losses",
        operation=r"Poisson NLL, log-rate input; Gaussian NLL with variance $V$",
        jacobian=r"$\operatorname{Diag}(\operatorname{vec}_r D)$ for each input",
        vjp=r"$e^{\hat{Y}} - Y$; $(\hat{Y} - Y) \oslash V$ and "
        r"$\frac12\big(1 \oslash V - (\hat{Y} - Y)^{\circ 2} \oslash V^{\circ 2}\big)$",
        functions=("poisson_nll_derivative", "gaussian_nll_derivatives"),
    ),
]


def structure_figure():
    """The picture on the page: Huber's reduction-"none" Jacobian at a fixed
    2×3 residual, 6×6, diagonal, two entries clipped to ±δ."""
    Yhat = np.array([[0.3, -1.6, 0.7], [2.1, -0.2, 0.5]])  # N = 2, k = 3
    Y = np.zeros_like(Yhat)
    delta = 1.0
    jacobian = reduce_jacobian(huber_derivative(Yhat, Y, delta), "none")
    return Figure(
        matrix=jacobian,
        of=lambda Z: huber_entries(Z, Y, delta),
        at=Yhat,
        structure="diagonal",
        rows="entry losses Q_{ai}, row by row",
        columns="predictions Yhat_{ai}, row by row",
        alt=f"The {size(jacobian)} Jacobian of Huber's entry losses: diagonal, entry (a, i) is "
        "the residual clipped to plus or minus delta; the two large residuals sit at -1 and 1.",
        caption=r"Huber, reduction none: $\operatorname{Diag}(\operatorname{vec}_r D)$ with "
        r"$D = \operatorname{clip}(\hat{Y} - Y, -\delta, \delta)$.",
    )


if __name__ == "__main__":
    # --8<-- [start:l1_setup]
    rng = np.random.default_rng(0)
    N, k = 3, 4  # 3 examples, 4 outputs each
    Yhat = rng.standard_normal((N, k))  # predictions, 3×4
    Y = rng.standard_normal((N, k))  # targets, 3×4
    G = rng.standard_normal((N, k))  # upstream ∂L/∂Q for reduction "none"
    # --8<-- [end:l1_setup]

    # --8<-- [start:l1_check]
    for name, entries, D in [
        ("L1", lambda Z: l1_entries(Z, Y), l1_derivative(Yhat, Y)),
        ("MSE", lambda Z: mse_entries(Z, Y), mse_derivative(Yhat, Y)),
    ]:
        for reduction in ["none", "sum", "mean"]:
            numeric = numerical_jacobian(loss_of(entries, reduction), Yhat)
            ours = reduce_jacobian(D, reduction)
            assert compare(f"{name} {reduction}: Jacobian", ours, numeric)
            g = G if reduction == "none" else 1.0
            vjp = (np.ravel(g) @ numeric).reshape(Yhat.shape)
            assert compare(f"{name} {reduction}: VJP", reduce_vjp(D, reduction, g), vjp)
    # --8<-- [end:l1_check]

    # --8<-- [start:l1_mistake]
    numeric = numerical_jacobian(lambda Z: reduce(l1_entries(Z, Y), "mean"), Yhat)
    reference = numeric.reshape(Yhat.shape)  # ∂L/∂Ŷ, 3×4
    compare("sign(Ŷ − Y)/N (mean over rows only)", l1_derivative(Yhat, Y) / N, reference)
    Yhat[0, :2] = Y[0, :2]  # two residuals exactly 0: the kink
    numeric = numerical_jacobian(lambda Z: reduce(l1_entries(Z, Y), "mean"), Yhat)
    reference = numeric.reshape(Yhat.shape)
    ours = reduce_vjp(l1_derivative(Yhat, Y), "mean")
    compare("sign(0) = 0 at the kink", ours, reference)
    one_sided = np.where(Yhat >= Y, 1.0, -1.0)  # the subgradient 1 at u = 0
    compare("1 at the kink (u >= 0)", reduce_vjp(one_sided, "mean"), reference)
    # --8<-- [end:l1_mistake]

    # --8<-- [start:huber_setup]
    rng = np.random.default_rng(1)
    N, k = 3, 4  # 3 examples, 4 outputs each
    Yhat = 2 * rng.standard_normal((N, k))  # predictions, 3×4: residuals both sides of δ
    Y = rng.standard_normal((N, k))  # targets, 3×4
    G = rng.standard_normal((N, k))  # upstream ∂L/∂Q for reduction "none"
    delta = beta = 0.8  # Huber's δ, Smooth L1's β
    # --8<-- [end:huber_setup]

    # --8<-- [start:huber_check]
    for name, entries, D in [
        ("Huber", lambda Z: huber_entries(Z, Y, delta), huber_derivative(Yhat, Y, delta)),
        ("Smooth L1", lambda Z: smooth_l1_entries(Z, Y, beta), smooth_l1_derivative(Yhat, Y, beta)),
    ]:
        for reduction in ["none", "sum", "mean"]:
            numeric = numerical_jacobian(loss_of(entries, reduction), Yhat)
            ours = reduce_jacobian(D, reduction)
            assert compare(f"{name} {reduction}: Jacobian", ours, numeric)
            g = G if reduction == "none" else 1.0
            vjp = (np.ravel(g) @ numeric).reshape(Yhat.shape)
            assert compare(f"{name} {reduction}: VJP", reduce_vjp(D, reduction, g), vjp)
    huber = huber_entries(Yhat, Y, delta)
    assert compare("Huber = β · Smooth L1 (β = δ)", huber, beta * smooth_l1_entries(Yhat, Y, beta))
    # --8<-- [end:huber_check]

    # --8<-- [start:huber_mistake]
    numeric = numerical_jacobian(lambda Z: reduce(huber_entries(Z, Y, delta), "sum"), Yhat)
    reference = numeric.reshape(Yhat.shape)  # ∂L/∂Ŷ of Huber, 3×4
    wrong = smooth_l1_derivative(Yhat, Y, delta)  # Smooth L1's gradient, /δ
    compare("clip(Ŷ − Y, −δ, δ)/δ for Huber", wrong, reference)
    # --8<-- [end:huber_mistake]

    # --8<-- [start:poisson_setup]
    rng = np.random.default_rng(2)
    N, k = 3, 4  # 3 examples, 4 counts each
    X = rng.standard_normal((N, k))  # log-rates log λ, 3×4
    Y = rng.poisson(2.0, (N, k)).astype(float)  # counts, 3×4, some above 1
    G = rng.standard_normal((N, k))  # upstream ∂L/∂Q for reduction "none"
    # --8<-- [end:poisson_setup]

    # --8<-- [start:poisson_check]
    rate = np.exp(X)  # λ, the input when log_input=False
    for name, at, entries, D, reductions in [
        ("log-rate", X, lambda Z: poisson_nll_entries(Z, Y), poisson_nll_derivative(X, Y), 3),
        (
            "full",
            X,
            lambda Z: poisson_nll_entries(Z, Y, full=True),
            poisson_nll_derivative(X, Y),
            1,
        ),
        (
            "rate",
            rate,
            lambda Z: poisson_nll_entries(Z, Y, log_input=False),
            poisson_nll_derivative(rate, Y, log_input=False),
            1,
        ),
    ]:
        for reduction in ["mean", "sum", "none"][:reductions]:
            numeric = numerical_jacobian(loss_of(entries, reduction), at)
            ours = reduce_jacobian(D, reduction)
            assert compare(f"{name} {reduction}: Jacobian", ours, numeric)
            g = G if reduction == "none" else 1.0
            vjp = (np.ravel(g) @ numeric).reshape(at.shape)
            assert compare(f"{name} {reduction}: VJP", reduce_vjp(D, reduction, g), vjp)
    # --8<-- [end:poisson_check]

    # --8<-- [start:poisson_mistake]
    numeric = numerical_jacobian(lambda Z: reduce(poisson_nll_entries(Z, Y), "sum"), X)
    reference = numeric.reshape(X.shape)  # ∂L/∂X in the log-rate, 3×4
    rate = np.exp(X)  # λ
    compare("1 − y/λ (the gradient in the rate)", 1 - Y / rate, reference)
    # --8<-- [end:poisson_mistake]

    # --8<-- [start:gaussian_setup]
    rng = np.random.default_rng(3)
    N, k = 3, 4  # 3 examples, 4 outputs each
    Yhat = rng.standard_normal((N, k))  # predicted means, 3×4
    Y = rng.standard_normal((N, k))  # targets, 3×4
    V = rng.uniform(0.5, 2.0, (N, k))  # predicted variances, 3×4, above eps
    G = rng.standard_normal((N, k))  # upstream ∂L/∂Q for reduction "none"
    # --8<-- [end:gaussian_setup]

    # --8<-- [start:gaussian_check]
    D_mean, D_var = gaussian_nll_derivatives(Yhat, Y, V)
    for reduction in ["none", "sum", "mean"]:
        g = G if reduction == "none" else 1.0
        for name, at, D, entries in [
            ("input", Yhat, D_mean, lambda Z: gaussian_nll_entries(Z, Y, V)),
            ("var", V, D_var, lambda Z: gaussian_nll_entries(Yhat, Y, Z)),
        ]:
            numeric = numerical_jacobian(loss_of(entries, reduction), at)
            assert compare(f"{reduction}, {name}: Jacobian", reduce_jacobian(D, reduction), numeric)
            vjp = (np.ravel(g) @ numeric).reshape(at.shape)
            assert compare(f"{reduction}, {name}: VJP", reduce_vjp(D, reduction, g), vjp)
    # --8<-- [end:gaussian_check]

    # --8<-- [start:gaussian_mistake]
    loss = lambda Z: reduce(gaussian_nll_entries(Yhat, Y, Z), "mean")  # noqa: E731
    reference = numerical_jacobian(loss, V).reshape(V.shape)  # ∂L/∂V, 3×4
    u = Yhat - Y  # residuals
    wrong = -(u**2) / (2 * V**2) / V.size  # the log V term forgotten
    compare("−(ŷ − y)²/(2v²) (log v dropped)", wrong, reference)
    # --8<-- [end:gaussian_mistake]
