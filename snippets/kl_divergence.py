"""KL divergence, distillation with a temperature, and binary cross-entropy on probabilities.

Shapes (row vectors, see docs/conventions.md): N examples, k classes.
- KL: target probabilities P and logits Θ are N×k, Q = softmax(Θ) row by row, Z = log Q (what
  PyTorch's KLDivLoss takes as input); the per-example losses ℓ form a 1×N row.
- distillation: student logits Θ and teacher logits U are N×k, the temperature T a number.
- BCE: probabilities p, logits z and 0/1 targets y are N×k; the positive weight w is 1×k.
Run ``python -m snippets.kl_divergence`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:kl_functions]
def log_softmax(Theta):
    """Row-wise log-softmax of logits Θ (N×k), shifted by each row's
    maximum so that no exp overflows."""
    shifted = Theta - Theta.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def kl_pointwise(Z, P):
    """P ∘ (log P − Z), entry by entry, 0 where P = 0 (as 0 log 0 = 0):
    N×k; Z = log Q holds the model's log-probabilities."""
    log_P = np.log(np.where(P > 0, P, 1.0))
    return np.where(P > 0, P * (log_P - Z), 0.0)


def kl_div(Z, P, reduction="batchmean"):
    """The summed pointwise terms divided as PyTorch's reductions divide:
    "batchmean" by N (the mean KL per example), "mean" by N·k (every
    entry), "sum" not at all."""
    divisor = {"batchmean": Z.shape[0], "mean": Z.size, "sum": 1}[reduction]
    return kl_pointwise(Z, P).sum() / divisor


def kl_div_grad(P, reduction="batchmean"):
    """∂(kl_div)/∂Z = −P over the reduction's divisor: N×k."""
    divisor = {"batchmean": P.shape[0], "mean": P.size, "sum": 1}[reduction]
    return -P / divisor


def kl_per_example(Theta, P):
    """ℓ_a = KL(p_a ‖ softmax(θ_a)) for each row a: a 1×N row."""
    return kl_pointwise(log_softmax(Theta), P).sum(axis=1)[None, :]


def kl_logits_jacobian(Theta, P):
    """∂ℓ/∂vec_r Θ: N×(N·k), block-diagonal, block a the 1×k row
    q_a − p_a."""
    N, k = Theta.shape
    jacobian = np.zeros((N, N * k))
    for a, row in enumerate(np.exp(log_softmax(Theta)) - P):
        jacobian[a, a * k : (a + 1) * k] = row
    return jacobian


def kl_logits_vjp(Theta, P, g):
    """g (∂ℓ/∂vec_r Θ) without the Jacobian, g 1×N: Diag(g)(Q − P), N×k."""
    return g.T * (np.exp(log_softmax(Theta)) - P)


# --8<-- [end:kl_functions]


# --8<-- [start:distillation_functions]
def distillation_loss(Theta, U, T):
    """T² · (1/N) Σ_a KL(softmax(u_a/T) ‖ softmax(θ_a/T)): student logits
    Θ and teacher logits U, both N×k; a number."""
    log_P_T = log_softmax(U / T)  # not log(softmax): a teacher's 0 would give 0 · (−inf)
    log_Q_T = log_softmax(Theta / T)
    P_T = np.exp(log_P_T)
    return T**2 * (P_T * (log_P_T - log_Q_T)).sum() / len(Theta)


def distillation_grad(Theta, U, T):
    """∂(distillation_loss)/∂Θ = (T/N)(softmax(Θ/T) − softmax(U/T)): N×k."""
    Q_T, P_T = np.exp(log_softmax(Theta / T)), np.exp(log_softmax(U / T))
    return T / len(Theta) * (Q_T - P_T)


def high_temperature_limit(Theta, U):
    """The gradient as T → ∞: (Θ − U)(I − 𝟏_k𝟏_kᵀ/k)/(N k), each row of
    Θ − U centred; N×k."""
    N, k = Theta.shape
    return (Theta - U) @ (np.eye(k) - np.ones((k, k)) / k) / (N * k)


# --8<-- [end:distillation_functions]


# --8<-- [start:bce_functions]
def bce(p, y):
    """−[y log p + (1 − y) log(1 − p)] entry by entry, each log clamped
    at −100 as PyTorch's BCELoss clamps it: N×k."""
    with np.errstate(divide="ignore"):  # log 0 = −inf, then clamped
        log_p = np.maximum(np.log(p), -100.0)
        log_not_p = np.maximum(np.log1p(-p), -100.0)
    return -(y * log_p + (1 - y) * log_not_p)


def bce_grad(p, y):
    """∂(bce)/∂p = (p − y)/(p(1 − p)), entry by entry (the denominator at
    least about 1e-12, as PyTorch's): N×k."""
    return (p - y) / np.maximum(p * (1 - p), 1e-12)


def softplus(z):
    """log(1 + e^z), stably: logaddexp(0, z)."""
    return np.logaddexp(0.0, z)


def bce_with_logits(z, y, w):
    """−[w y log σ(z) + (1 − y) log(1 − σ(z))] from logits z (N×k), written
    stably as (1 − y) z + (w y + 1 − y) softplus(−z); w 1×k weighs the
    positives of each class."""
    return (1 - y) * z + (w * y + 1 - y) * softplus(-z)


def bce_with_logits_grad(z, y, w):
    """∂(bce_with_logits)/∂z = σ(z)(w y + 1 − y) − w y; σ(z) − y at w = 1."""
    sigma = np.exp(-softplus(-z))
    return sigma * (w * y + 1 - y) - w * y


def bce_jacobian(p, y):
    """∂vec_r ℓ/∂vec_r p: Diag(vec_r bce_grad), (N·k)×(N·k), diagonal."""
    return np.diag(bce_grad(p, y).ravel())


def bce_with_logits_jacobian(z, y, w):
    """∂vec_r ℓ/∂vec_r z: Diag(vec_r bce_with_logits_grad), diagonal."""
    return np.diag(bce_with_logits_grad(z, y, w).ravel())


# --8<-- [end:bce_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "KL divergence, distillation, BCE"
CHEAT_SHEET = [
    Row(
        table="Losses",
        operation=r"KL divergence $\operatorname{KL}(p_a \,\Vert\, "
        r"\operatorname{softmax}(\theta_a))$ per example, by the logits",
        jacobian=r"$q_a - p_a$, the same as cross-entropy's",
        vjp=r"`batchmean`: $(Q - P)/N$; `mean` divides by $Nk$ instead",
        functions=("kl_logits_vjp", "kl_div_grad"),
        anchor="kl-divergence",
    ),
    Row(
        table="Losses",
        operation=r"distillation $T^2 \cdot \frac{1}{N}\sum_a "
        r"\operatorname{KL}(p^T_a \,\Vert\, q^T_a)$, temperature $T$",
        jacobian=r"$T\,(q^T_a - p^T_a)$: the chain rule's $1/T$ times $T^2$",
        vjp=r"$\frac{T}{N}(Q^T - P^T)$, tending to "
        r"$(\Theta - U)(I - \frac{1}{k}\mathbf{1}_k\mathbf{1}_k^\top)/(Nk)$",
        functions=("distillation_grad", "high_temperature_limit"),
        anchor="distillation-and-its-t2",
    ),
    Row(
        table="Losses",
        operation=r"BCE on probabilities $-[y \log p + (1 - y)\log(1 - p)]$",
        jacobian=r"$(p - y) \oslash (p \circ (1 - p))$, diagonal",
        vjp=r"`mean`: divided by $Nk$; through $p = \sigma(z)$ it is $\sigma(z) - y$",
        functions=("bce_grad",),
        anchor="binary-cross-entropy",
    ),
    Row(
        table="Losses",
        operation=r"BCE with logits and positive weight $w$",
        jacobian=r"$\sigma(z) \circ (w \circ y + 1 - y) - w \circ y$, diagonal",
        vjp=r"`mean`: divided by $Nk$",
        functions=("bce_with_logits_grad",),
        anchor="binary-cross-entropy",
    ),
]


# The pictures of the Jacobians on the page: hooks/jacobian_figures.py draws them at build time,
# tests/test_figures.py checks them against finite differences and their structure keywords.
FIGURE_LOGITS = np.array([[1.2, -0.3, 0.4], [-0.8, 0.9, 0.1]])  # Θ, 2×3
FIGURE_TARGETS = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])  # P, 2×3, rows sum to 1


def structure_figure():
    """∂ℓ/∂vec_r Θ of the per-example KLs at a fixed 2×3 Θ and P: 2×6, block-diagonal."""
    jacobian = kl_logits_jacobian(FIGURE_LOGITS, FIGURE_TARGETS)
    return Figure(
        matrix=jacobian,
        of=lambda Theta: kl_per_example(Theta, FIGURE_TARGETS),
        at=FIGURE_LOGITS,
        structure="block-diagonal",
        rows="per-example losses ℓ_a",
        columns="logits Θ_{bj}, row by row",
        alt=f"The {size(jacobian)} Jacobian of two examples' KL losses by their logits: "
        "block-diagonal, one 1×3 block per example, q_a − p_a; each example's loss moves with "
        "its own logits only.",
        caption=r"$\partial \ell/\partial \operatorname{vec}_r \Theta$ is block-diagonal: block "
        r"$a$ is the row $q_a - p_a$.",
        blocks=((1, 3), (1, 3)),
    )


BCE_LOGITS = np.array([[1.5, -0.7, 0.3], [-1.1, 0.6, 2.0]])  # z, 2×3
BCE_TARGETS = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])  # y, 2×3
BCE_WEIGHT = np.array([[3.0, 1.0, 0.5]])  # w, 1×3


def bce_figure():
    """∂vec_r ℓ/∂vec_r z of BCE with logits at fixed 2×3 z, y and w: 6×6, diagonal."""
    jacobian = bce_with_logits_jacobian(BCE_LOGITS, BCE_TARGETS, BCE_WEIGHT)
    return Figure(
        matrix=jacobian,
        of=lambda z: bce_with_logits(z, BCE_TARGETS, BCE_WEIGHT),
        at=BCE_LOGITS,
        structure="diagonal",
        rows="entry losses ℓ_{ai}, row by row",
        columns="logits z_{bj}, row by row",
        alt=f"The {size(jacobian)} Jacobian of BCE with logits, entry by entry, for a 2×3 batch: "
        "diagonal, negative where the target is 1 and positive where it is 0.",
        caption=r"BCE is entry by entry, so its Jacobian is diagonal: "
        r"$\sigma(z) \circ (w \circ y + 1 - y) - w \circ y$.",
    )


if __name__ == "__main__":
    # --8<-- [start:kl_setup]
    rng = np.random.default_rng(0)
    N, k = 3, 5  # examples, classes
    Theta = rng.standard_normal((N, k))  # logits, 3×5
    P = np.exp(log_softmax(2 * rng.standard_normal((N, k))))  # targets, 3×5
    P[0, 1] = 0.0  # a class the target rules out: 0 log 0 = 0
    P /= P.sum(axis=1, keepdims=True)
    g = rng.standard_normal((1, N))  # upstream gradient ∂L/∂ℓ, 1×3
    Z = log_softmax(Theta)  # log-probabilities, KLDivLoss's input, 3×5
    # --8<-- [end:kl_setup]

    # --8<-- [start:kl_check]
    numeric = numerical_jacobian(lambda S: kl_per_example(S, P), Theta)  # 3×15
    assert compare("Jacobian vs finite differences", kl_logits_jacobian(Theta, P), numeric)
    by_numeric = (g @ numeric).reshape(N, k)
    assert compare("VJP Diag(g)(Q − P) vs g @ numeric", kl_logits_vjp(Theta, P, g), by_numeric)
    for reduction in ["batchmean", "mean", "sum"]:
        numeric = numerical_jacobian(lambda Z_, r=reduction: kl_div(Z_, P, r), Z)
        got = kl_div_grad(P, reduction).reshape(1, -1)
        assert compare(f"∂/∂Z, reduction {reduction}", got, numeric)
    # --8<-- [end:kl_check]

    # --8<-- [start:kl_mistake]
    mean_kl = kl_per_example(Theta, P).mean()  # the mean KL per example
    compare('reduction "mean" as the mean KL', kl_div(Z, P, "mean"), mean_kl)
    compare('reduction "batchmean" as the mean KL', kl_div(Z, P, "batchmean"), mean_kl)
    # --8<-- [end:kl_mistake]

    # --8<-- [start:distillation_setup]
    rng = np.random.default_rng(1)
    N, k = 3, 5  # examples, classes
    Theta = rng.standard_normal((N, k))  # student logits, 3×5
    U = 2 * rng.standard_normal((N, k))  # teacher logits, 3×5
    # --8<-- [end:distillation_setup]

    # --8<-- [start:distillation_check]
    for T in [1.0, 4.0]:
        numeric = numerical_jacobian(lambda S, T=T: distillation_loss(S, U, T), Theta)
        ours = distillation_grad(Theta, U, T).reshape(1, -1)
        assert compare(f"gradient at T = {T:g} vs finite differences", ours, numeric)
    limit = high_temperature_limit(Theta, U)
    print("T    |grad| with T², without, as a fraction of the T → ∞ limit")
    for T in [1.0, 4.0, 16.0, 64.0]:
        scaled = np.linalg.norm(distillation_grad(Theta, U, T))  # with T²
        fractions = [scaled / np.linalg.norm(limit), scaled / T**2 / np.linalg.norm(limit)]
        print(f"{T:<4g} {fractions[0]:.4f} {fractions[1]:.4f}")
    assert compare("T = 1000 vs the limit", distillation_grad(Theta, U, 1e3), limit, 1e-2)
    # --8<-- [end:distillation_check]

    # --8<-- [start:distillation_mistake]
    T = 4.0
    numeric = numerical_jacobian(lambda S: distillation_loss(S, U, T), Theta)
    Q_T, P_T = np.exp(log_softmax(Theta / T)), np.exp(log_softmax(U / T))
    no_chain = (T**2 / N * (Q_T - P_T)).reshape(1, -1)
    compare("T²(Q^T − P^T)/N, the 1/T of Θ/T dropped", no_chain, numeric)
    # --8<-- [end:distillation_mistake]

    # --8<-- [start:bce_setup]
    rng = np.random.default_rng(2)
    N, k = 3, 5  # examples, classes
    z = 3 * rng.standard_normal((N, k))  # logits, 3×5
    y = (rng.random((N, k)) < 0.5).astype(float)  # 0/1 targets, 3×5
    w = np.array([[2.0, 1.0, 0.5, 1.0, 3.0]])  # positive weight per class, 1×5
    # --8<-- [end:bce_setup]

    # --8<-- [start:bce_check]
    p = np.exp(-softplus(-z))  # σ(z), 3×5
    numeric = numerical_jacobian(lambda p_: bce(p_, y), p)
    assert compare("BCE Jacobian vs finite differences", bce_jacobian(p, y), numeric)
    numeric = numerical_jacobian(lambda z_: bce_with_logits(z_, y, w), z)
    jacobian = bce_with_logits_jacobian(z, y, w)
    assert compare("BCE with logits, weight w, vs finite differences", jacobian, numeric)
    ones = np.ones((1, k))
    through_p = bce_grad(p, y) * p * (1 - p)
    assert compare("through p = σ(z) vs σ(z) − y", through_p, bce_with_logits_grad(z, y, ones))
    # --8<-- [end:bce_check]

    # --8<-- [start:bce_mistake]
    z = np.array([[40.0, -3.0, 2.0]])  # logits, 1×3: σ(40) rounds to 1
    y = np.array([[0.0, 0.0, 1.0]])  # targets, 1×3
    p = 1 / (1 + np.exp(-z))  # σ(z): p[0, 0] is exactly 1.0
    print("loss from p:", bce(p, y).round(4).tolist())
    print("loss from z:", bce_with_logits(z, y, 1).round(4).tolist())
    through_p = bce_grad(p, y) * p * (1 - p)
    compare("gradient through p", through_p, bce_with_logits_grad(z, y, 1))
    # --8<-- [end:bce_mistake]
