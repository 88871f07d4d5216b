"""Ranking and embedding losses: margin ranking, hinge embedding, cosine embedding, triplet margin.

Shapes (row vectors, see docs/conventions.md): one loss per example, N examples. The margin
ranking scores u, w, the hinge input x, the labels y (±1) and the per-example losses z are 1×N
rows, stored as numpy arrays of shape (N,); the cosine inputs U, V and the triplet's anchors A,
positives P and negatives Q are N×d, one example per row. Reduction "none" returns z, "sum" its
sum, "mean" its mean over the N examples. Every loss is z_a = a hinge or a line of one scalar of
example a, so its Jacobian for "none" has one non-zero block per row: diagonal for scalar inputs,
block-diagonal with 1×d blocks for row inputs. At a hinge's kink (argument exactly 0) PyTorch's
clamp_min passes the gradient, so the slope there is the active side's, as χ below takes it.
Run ``python -m snippets.ranking_losses`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:reduction_functions]
def reduce(z, reduction):
    """The loss from the N per-example losses z: "none" is z, "sum" adds
    them, "mean" divides the sum by N."""
    if reduction == "none":
        return z
    if reduction == "sum":
        return z.sum()
    if reduction == "mean":
        return z.mean()
    raise ValueError(f"reduction must be 'none', 'sum' or 'mean', not {reduction!r}")


def weights(N, reduction, g=None):
    """∂L/∂z_a for each example, shape (N,): the upstream g for "none", 1
    for "sum", 1/N for "mean"."""
    if reduction == "none":
        return np.asarray(g, dtype=float)
    return np.full(N, 1.0 if reduction == "sum" else 1.0 / N)


def block_rows(R):
    """The N×(N·d) matrix whose row a holds row a of R (N×d) in block a."""
    N, d = R.shape
    return (np.eye(N)[:, :, None] * R[None, :, :]).reshape(N, N * d)


def reduced_numeric(f, at, reduction, g):
    """The reference ∂L/∂(at): central differences of reduce(f(·)), times
    the upstream g for "none"; the shape of at."""
    numeric = numerical_jacobian(lambda s: reduce(f(s), reduction), at)
    upstream = g if reduction == "none" else 1.0
    return (np.ravel(upstream) @ numeric).reshape(np.shape(at))


# --8<-- [end:reduction_functions]


# --8<-- [start:margin_functions]
def active(gamma):
    """χ: 1 where the hinge argument γ ≥ 0 (PyTorch's slope at 0), else 0."""
    return (gamma >= 0).astype(float)


def margin_ranking(u, w, y, margin=0.0):
    """MarginRankingLoss, "none": max(0, −y(u − w) + margin), shape (N,)."""
    return np.maximum(-y * (u - w) + margin, 0.0)


def margin_ranking_jacobians(u, w, y, margin=0.0):
    """(∂z/∂u, ∂z/∂w), each N×N diagonal: Diag(−y ∘ χ), Diag(y ∘ χ)."""
    chi = active(-y * (u - w) + margin)
    return np.diag(-y * chi), np.diag(y * chi)


def margin_ranking_vjp(u, w, y, g, margin=0.0):
    """(∂L/∂u, ∂L/∂w) for g = ∂L/∂z: −g ∘ y ∘ χ and g ∘ y ∘ χ, (N,)."""
    chi = active(-y * (u - w) + margin)
    return -g * y * chi, g * y * chi


def hinge_embedding(x, y, margin=1.0):
    """HingeEmbeddingLoss, "none": x where y = 1, max(0, margin − x)
    where y = −1; the shape of x."""
    return np.where(y == 1, x, np.maximum(margin - x, 0.0))


def hinge_embedding_slope(x, y, margin=1.0):
    """ψ = ∂z_a/∂x_a: 1 where y = 1, −χ(margin − x) where y = −1."""
    return np.where(y == 1, 1.0, -active(margin - x))


# --8<-- [end:margin_functions]


# --8<-- [start:cosine_functions]
def cosines(U, V):
    """PyTorch's cos of each row pair: U_a V_aᵀ/(ν_a ω_a) with
    ν_a² = ‖U_a‖² + 1e-12, ω_a² = ‖V_a‖² + 1e-12; shape (N,)."""
    nu = np.sqrt((U * U).sum(axis=1) + 1e-12)
    omega = np.sqrt((V * V).sum(axis=1) + 1e-12)
    return (U * V).sum(axis=1) / (nu * omega), nu, omega


def cosine_gradients(U, V):
    """Row a of each: ∂c_a/∂U_a = V_a/(ν_a ω_a) − c_a U_a/ν_a² and
    ∂c_a/∂V_a = U_a/(ν_a ω_a) − c_a V_a/ω_a²; N×d each."""
    c, nu, omega = cosines(U, V)
    scale = (1 / (nu * omega))[:, None]
    dU = scale * V - (c / nu**2)[:, None] * U
    dV = scale * U - (c / omega**2)[:, None] * V
    return dU, dV


def cosine_embedding(U, V, y, margin=0.0):
    """CosineEmbeddingLoss, "none": 1 − c where y = 1, max(0, c − margin)
    where y = −1; shape (N,)."""
    c = cosines(U, V)[0]
    return np.where(y == 1, 1 - c, np.maximum(c - margin, 0.0))


def cosine_embedding_slope(U, V, y, margin=0.0):
    """ψ = ∂z_a/∂c_a: −1 where y = 1, χ(c − margin) where y = −1."""
    c = cosines(U, V)[0]
    return np.where(y == 1, -1.0, active(c - margin))


def cosine_embedding_jacobians(U, V, y, margin=0.0):
    """(∂z/∂vec_r U, ∂z/∂vec_r V), N×(N·d) each, block-diagonal: row a is
    ψ_a ∂c_a/∂U_a (or ∂V_a) in block a."""
    psi = cosine_embedding_slope(U, V, y, margin)[:, None]
    dU, dV = cosine_gradients(U, V)
    return block_rows(psi * dU), block_rows(psi * dV)


def cosine_embedding_vjp(U, V, y, v, margin=0.0):
    """(∂L/∂U, ∂L/∂V) for v = ∂L/∂z, (N,): row a is v_a ψ_a ∂c_a/∂U_a
    (and ∂V_a); N×d each."""
    scale = (v * cosine_embedding_slope(U, V, y, margin))[:, None]
    dU, dV = cosine_gradients(U, V)
    return scale * dU, scale * dV


# --8<-- [end:cosine_functions]


# --8<-- [start:triplet_functions]
def distance(X, Z, p=2.0, eps=1e-6):
    """PyTorch's pairwise_distance: ‖X_a − Z_a + eps‖_p of each row, eps
    added to every entry of the difference; shape (N,)."""
    return (np.abs(X - Z + eps) ** p).sum(axis=1) ** (1 / p)


def distance_gradient(X, Z, p=2.0, eps=1e-6):
    """∂‖V_a‖_p/∂V_a for V = X − Z + eps, row by row:
    sign(V) ∘ |V|^(p−1)/‖V_a‖^(p−1) (V_a/‖V_a‖ for p = 2); N×d."""
    V = X - Z + eps
    norms = distance(X, Z, p, eps)[:, None]
    return np.sign(V) * np.abs(V) ** (p - 1) / norms ** (p - 1)


def triplet_margin(A, P, Q, margin=1.0, p=2.0, eps=1e-6):
    """TripletMarginLoss, "none": max(d(A_a, P_a) − d(A_a, Q_a) + margin, 0),
    shape (N,)."""
    return np.maximum(distance(A, P, p, eps) - distance(A, Q, p, eps) + margin, 0.0)


def triplet_vjp(A, P, Q, v, margin=1.0, p=2.0, eps=1e-6):
    """(∂L/∂A, ∂L/∂P, ∂L/∂Q) for v = ∂L/∂z, (N,): with Γ, Γ̄ the distance
    gradients of A − P and A − Q, (v∘χ)(Γ − Γ̄), −(v∘χ)Γ, (v∘χ)Γ̄; N×d each.
    The anchor is in both distances: its two terms add."""
    chi = active(distance(A, P, p, eps) - distance(A, Q, p, eps) + margin)
    scale = (v * chi)[:, None]
    to_positive = distance_gradient(A, P, p, eps)  # Γ
    to_negative = distance_gradient(A, Q, p, eps)  # Γ̄
    return scale * (to_positive - to_negative), -scale * to_positive, scale * to_negative


def triplet_jacobians(A, P, Q, margin=1.0, p=2.0, eps=1e-6):
    """(∂z/∂vec_r A, ∂z/∂vec_r P, ∂z/∂vec_r Q), N×(N·d) each,
    block-diagonal: row a is the VJP's row a for v = e_a, in block a."""
    N = len(A)
    return tuple(block_rows(J) for J in triplet_vjp(A, P, Q, np.ones(N), margin, p, eps))


# --8<-- [end:triplet_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "ranking losses"
CHEAT_SHEET = [
    Row(
        table="Losses",
        operation=r"margin ranking $z_a = \max(0, -y_a(u_a - w_a) + \mu)$",
        jacobian=r"$\operatorname{Diag}(-y \circ \chi)$, $\operatorname{Diag}(y \circ \chi)$",
        vjp=r"$-g \circ y \circ \chi$, $g \circ y \circ \chi$; mean: $g = \mathbf{1}_N^\top/N$",
        functions=("margin_ranking_vjp",),
    ),
    Row(
        table="Losses",
        operation=r"cosine embedding, $c_a = \cos(U_a, V_a)$",
        jacobian=r"block-diagonal, row $a$: $\psi_a\, \partial c_a/\partial U_a$ in block $a$",
        vjp=r"row $a$: $g_a \psi_a \big(V_a/(\nu_a\omega_a) - c_a U_a/\nu_a^2\big)$",
        functions=("cosine_embedding_vjp",),
    ),
    Row(
        table="Losses",
        operation=r"triplet margin, anchor $A$ in both distances",
        jacobian=r"block-diagonal, $1 \times d$ blocks",
        vjp=r"$\operatorname{Diag}(g \circ \chi)(\Gamma - \bar{\Gamma})$, "
        r"$-\operatorname{Diag}(g \circ \chi)\Gamma$, "
        r"$\operatorname{Diag}(g \circ \chi)\bar{\Gamma}$",
        functions=("triplet_vjp",),
    ),
]


def structure_figure():
    """The picture on the page: ∂z/∂u of margin ranking for N = 6 pairs, 6×6
    diagonal, −y_a where the hinge is active and 0 for the two pairs past it."""
    u = np.array([0.2, 1.5, 0.1, 0.9, 0.1, -1.2])
    w = np.array([0.6, 0.1, 0.4, 0.8, 1.9, -0.4])
    y = np.array([1.0, 1.0, -1.0, 1.0, 1.0, -1.0])
    margin = 0.5
    jacobian = margin_ranking_jacobians(u, w, y, margin)[0]
    return Figure(
        matrix=jacobian,
        of=lambda s: margin_ranking(s, w, y, margin),
        at=u,
        structure="diagonal",
        rows="losses z_a",
        columns="scores u_a",
        alt=f"The {size(jacobian)} Jacobian of margin ranking's per-pair losses in the first "
        "scores: diagonal, entry a is minus the label of pair a where its hinge is active and "
        "0 for the two pairs already ranked past the margin.",
        caption=r"Margin ranking, reduction none: $\partial z/\partial u = "
        r"\operatorname{Diag}(-y \circ \chi)$, zero where a pair is past the margin.",
    )


def triplet_figure():
    """∂z/∂vec_r A of the triplet loss for N = 3 triplets of width 4: 3×12,
    block-diagonal with 1×4 blocks, Γ_a − Γ̄_a in block a."""
    A = np.array([[0.5, -0.2, 0.9, 0.1], [-0.4, 0.8, 0.3, -0.6], [0.7, 0.2, -0.5, 0.4]])
    P = np.array([[0.3, 0.1, 1.4, -0.2], [-0.1, 0.5, 0.6, -0.9], [1.1, -0.3, -0.2, 0.8]])
    Q = np.array([[0.9, -0.8, 0.2, 0.6], [0.2, 1.3, -0.4, 0.1], [0.1, 0.7, -0.9, 0.3]])
    jacobian = triplet_jacobians(A, P, Q)[0]
    return Figure(
        matrix=jacobian,
        of=lambda Z: triplet_margin(Z, P, Q),
        at=A,
        structure="block-diagonal",
        rows="losses z_a",
        columns="anchor entries A_{ai}, row by row",
        alt=f"The {size(jacobian)} Jacobian of the triplet losses in the anchors: "
        "block-diagonal, row a non-zero only in the 4 columns of anchor a, where it is the "
        "difference of the two distance gradients.",
        caption=r"Triplet margin, reduction none: row $a$ of $\partial z/\partial "
        r"\operatorname{vec}_r A$ is $\Gamma_a - \bar{\Gamma}_a$, in block $a$ only.",
        blocks=((1, 4),) * 3,
    )


if __name__ == "__main__":
    # --8<-- [start:margin_setup]
    rng = np.random.default_rng(0)
    N = 5  # 5 pairs
    u, w = rng.standard_normal(N), rng.standard_normal(N)  # scores of the pairs, 1×5 each
    y = np.array([1.0, -1.0, 1.0, 1.0, -1.0])  # which should rank higher: u (1) or w (−1)
    g = rng.standard_normal(N)  # upstream ∂L/∂z for reduction "none"
    margin = 0.5
    x = np.abs(rng.standard_normal(N)) * 2  # hinge embedding: distances, 1×5
    # --8<-- [end:margin_setup]

    # --8<-- [start:margin_check]
    def by_u(s):
        return margin_ranking(s, w, y, margin)

    def by_w(s):
        return margin_ranking(u, s, y, margin)

    Ju, Jw = margin_ranking_jacobians(u, w, y, margin)  # 5×5 each, diagonal
    assert compare("∂z/∂u vs finite differences", Ju, numerical_jacobian(by_u, u))
    assert compare("∂z/∂w vs finite differences", Jw, numerical_jacobian(by_w, w))
    for reduction in ["none", "sum", "mean"]:
        gu, gw = margin_ranking_vjp(u, w, y, weights(N, reduction, g), margin)
        assert compare(f"{reduction}: ∂L/∂u", gu, reduced_numeric(by_u, u, reduction, g))
        assert compare(f"{reduction}: ∂L/∂w", gw, reduced_numeric(by_w, w, reduction, g))
    jacobian = np.diag(hinge_embedding_slope(x, y))  # 5×5
    numeric = numerical_jacobian(lambda s: hinge_embedding(s, y), x)
    assert compare("hinge embedding: Diag(ψ) vs finite differences", jacobian, numeric)
    for reduction in ["none", "mean"]:
        ours = weights(N, reduction, g) * hinge_embedding_slope(x, y)
        reference = reduced_numeric(lambda s: hinge_embedding(s, y), x, reduction, g)
        assert compare(f"hinge embedding {reduction}: ∂L/∂x", ours, reference)
    # --8<-- [end:margin_check]

    # --8<-- [start:cosine_setup]
    rng = np.random.default_rng(1)
    N, d = 4, 3  # 4 pairs of vectors of width 3
    U = rng.standard_normal((N, d))  # input1, 4×3
    V = rng.standard_normal((N, d))  # input2, 4×3
    V[1] = U[1] + 0.3 * rng.standard_normal(d)  # a dissimilar pair still close: active
    V[2] = -U[2] + 0.3 * rng.standard_normal(d)  # a dissimilar pair far apart: inactive
    y = np.array([1.0, -1.0, -1.0, 1.0])  # similar (1) or dissimilar (−1)
    g = rng.standard_normal(N)  # upstream ∂L/∂z for reduction "none"
    margin = 0.2
    # --8<-- [end:cosine_setup]

    # --8<-- [start:cosine_check]
    def by_first(S):
        return cosine_embedding(S, V, y, margin)

    def by_second(S):
        return cosine_embedding(U, S, y, margin)

    JU, JV = cosine_embedding_jacobians(U, V, y, margin)  # 4×12 each, block-diagonal
    assert compare("∂z/∂vec_r U vs finite differences", JU, numerical_jacobian(by_first, U))
    assert compare("∂z/∂vec_r V vs finite differences", JV, numerical_jacobian(by_second, V))
    for reduction in ["none", "sum", "mean"]:
        grad_u, grad_v = cosine_embedding_vjp(U, V, y, weights(N, reduction, g), margin)
        assert compare(f"{reduction}: ∂L/∂U", grad_u, reduced_numeric(by_first, U, reduction, g))
        assert compare(f"{reduction}: ∂L/∂V", grad_v, reduced_numeric(by_second, V, reduction, g))
    # --8<-- [end:cosine_check]

    # --8<-- [start:cosine_mistake]
    reference = reduced_numeric(lambda S: cosine_embedding(S, V, y, margin), U, "sum", g)
    c, nu, omega = cosines(U, V)
    psi = cosine_embedding_slope(U, V, y, margin)
    wrong = (psi / (nu * omega))[:, None] * V  # ∂c_a/∂U_a taken as V_a/(ν_a ω_a)
    compare("ψ_a V_a/(ν_a ω_a) (the norm's term dropped)", wrong, reference)
    # --8<-- [end:cosine_mistake]

    # --8<-- [start:triplet_setup]
    rng = np.random.default_rng(2)
    N, d = 3, 5  # 3 triplets of width 5
    A = rng.standard_normal((N, d))  # anchors, 3×5
    P = A + 0.5 * rng.standard_normal((N, d))  # positives, near their anchors
    Q = rng.standard_normal((N, d))  # negatives, 3×5
    Q[2] = A[2] + 3.0  # triplet 2 already past the margin: inactive
    g = rng.standard_normal(N)  # upstream ∂L/∂z for reduction "none"
    # --8<-- [end:triplet_setup]

    # --8<-- [start:triplet_check]
    def by_anchor(S):
        return triplet_margin(S, P, Q)

    def by_positive(S):
        return triplet_margin(A, S, Q)

    def by_negative(S):
        return triplet_margin(A, P, S)

    inputs = [("A", by_anchor, A), ("P", by_positive, P), ("Q", by_negative, Q)]
    for (name, f, at), J in zip(inputs, triplet_jacobians(A, P, Q), strict=True):
        assert compare(f"∂z/∂vec_r {name} vs finite differences", J, numerical_jacobian(f, at))
    for reduction in ["none", "sum", "mean"]:
        grads = triplet_vjp(A, P, Q, weights(N, reduction, g))
        for (name, f, at), ours in zip(inputs, grads, strict=True):
            reference = reduced_numeric(f, at, reduction, g)
            assert compare(f"{reduction}: ∂L/∂{name}", ours, reference)
    grad_a, grad_p, grad_q = grads
    assert compare("∂L/∂A = −(∂L/∂P + ∂L/∂Q)", grad_a, -(grad_p + grad_q))
    # --8<-- [end:triplet_check]

    # --8<-- [start:triplet_mistake]
    reference = reduced_numeric(lambda S: triplet_margin(S, P, Q), A, "mean", g)  # ∂L/∂A
    v = weights(N, "mean") * active(distance(A, P) - distance(A, Q) + 1.0)
    wrong = v[:, None] * distance_gradient(A, P)  # the anchor's d(a, n) term dropped
    compare("(v ∘ χ) Γ for the anchor (one distance only)", wrong, reference)
    # --8<-- [end:triplet_mistake]
