"""docs/ranking_losses.md ↔ snippets/ranking_losses.py: margin ranking, hinge embedding, cosine
embedding and triplet margin losses, with the reductions "none", "sum" and "mean".

Each Jacobian (reduction "none") and each VJP (all three reductions) is checked against finite
differences and autograd on several shapes. The points keep every hinge away from its kink
(arguments at least 1e-3 from 0) and have active and inactive examples; the kink has a test of
its own pinning the slope the page says PyTorch uses there (the active side's), which
tests/framework/test_ranking_losses.py checks against PyTorch.
"""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.ranking_losses import (
    active,
    block_rows,
    cosine_embedding,
    cosine_embedding_jacobians,
    cosine_embedding_slope,
    cosine_embedding_vjp,
    cosine_gradients,
    cosines,
    distance,
    distance_gradient,
    hinge_embedding,
    hinge_embedding_slope,
    margin_ranking,
    margin_ranking_jacobians,
    margin_ranking_vjp,
    reduce,
    reduced_numeric,
    structure_figure,
    triplet_figure,
    triplet_jacobians,
    triplet_margin,
    triplet_vjp,
    weights,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo, with_argument

REDUCTIONS = ["none", "sum", "mean"]
KINK = 1e-3  # every hinge argument of a test point is at least this far from 0


def reduced(z, reduction):
    return {"none": z, "sum": anp.sum(z), "mean": anp.mean(z)}[reduction]


def upstream(rng, N, reduction):
    """The upstream of the reduced loss: a random (N,) row for "none", else a number."""
    return rng.standard_normal(N) if reduction == "none" else 1.3


def labels(N):
    y = np.where(np.arange(N) % 2 == 0, 1.0, -1.0)
    return y


def check_reduced(name, ours, forward, reference, x, reduction, g):
    """ours = g ∂reduce(forward)/∂x, against both references."""

    def reduced_forward(s):
        return reduce(forward(s), reduction)

    def reduced_reference(s):
        return reduced(reference(s), reduction)

    check_vjp(f"{name} {reduction}", ours, reduced_forward, reduced_reference, x, g)


def per_example(N, reduction, g):
    """∂L/∂z_a: what weights() gives, times the upstream number for "sum" and "mean"."""
    return weights(N, reduction, g) if reduction == "none" else g * weights(N, reduction)


# --- margin ranking and hinge embedding


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "margin"), [(6, 0.5), (9, 0.0), (4, 1.2)])
def test_margin_ranking(N, margin, reduction):
    rng = np.random.default_rng([N, 3])
    u, w, y = rng.standard_normal(N), rng.standard_normal(N), labels(N)
    gamma = -y * (u - w) + margin
    assert np.all(np.abs(gamma) > KINK) and np.any(gamma > 0) and np.any(gamma < 0)
    Ju, Jw = margin_ranking_jacobians(u, w, y, margin)
    arguments = (u, w)

    def reference(s, t):
        return anp.maximum(-y * (s - t) + margin, 0.0)

    def forward(s, t):
        return margin_ranking(s, t, y, margin)

    for position, J in enumerate([Ju, Jw]):
        f, r = (
            with_argument(forward, arguments, position),
            with_argument(reference, arguments, position),
        )
        check_jacobian(f"margin ranking ∂{'uw'[position]}", J, f, r, arguments[position])
    g = upstream(rng, N, reduction)
    grads = margin_ranking_vjp(u, w, y, per_example(N, reduction, g), margin)
    for position, ours in enumerate(grads):
        f, r = (
            with_argument(forward, arguments, position),
            with_argument(reference, arguments, position),
        )
        check_reduced("margin ranking", ours, f, r, arguments[position], reduction, g)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "margin"), [(5, 1.0), (8, 2.0), (3, 0.7)])
def test_hinge_embedding(N, margin, reduction):
    rng = np.random.default_rng([N, 4])
    x, y = 1.5 * np.abs(rng.standard_normal(N)) * margin, labels(N)
    x[1] = margin + 0.4  # a dissimilar pair already past the margin
    assert np.all(np.abs(margin - x) > KINK)

    def forward(s):
        return hinge_embedding(s, y, margin)

    def reference(s):
        return anp.where(y == 1, s, anp.maximum(margin - s, 0.0))

    psi = hinge_embedding_slope(x, y, margin)
    check_jacobian("hinge embedding", np.diag(psi), forward, reference, x)
    g = upstream(rng, N, reduction)
    check_reduced(
        "hinge embedding", per_example(N, reduction, g) * psi, forward, reference, x, reduction, g
    )
    assert psi[1] == 0 and psi[0] == 1


def test_at_the_kink_the_slope_is_the_active_sides():
    """γ exactly 0: PyTorch's clamp_min passes the gradient, so χ = 1 there."""
    assert np.array_equal(active(np.array([-0.5, 0.0, 0.5])), [0.0, 1.0, 1.0])
    u, w, y = np.array([1.0, 0.2]), np.array([0.0, 0.0]), np.array([1.0, 1.0])
    Ju, Jw = margin_ranking_jacobians(u, w, y, margin=1.0)  # pair 0 at the kink
    assert np.array_equal(np.diag(Ju), [-1.0, -1.0]) and np.array_equal(np.diag(Jw), [1.0, 1.0])
    x, y = np.array([1.0, 0.5]), np.array([-1.0, -1.0])
    assert np.array_equal(hinge_embedding_slope(x, y, margin=1.0), [-1.0, -1.0])


def test_reductions():
    N = 4
    z = np.array([0.5, 0.0, 2.0, 1.5])
    assert reduce(z, "sum") == 4.0 and reduce(z, "mean") == 1.0 and reduce(z, "none") is z
    assert np.array_equal(weights(N, "mean"), np.full(N, 0.25))
    assert np.array_equal(weights(N, "sum"), np.ones(N))
    assert np.array_equal(weights(N, "none", z), z)
    with pytest.raises(ValueError, match="reduction"):
        reduce(z, "batchmean")


def test_reduced_numeric_is_the_reduced_gradient():
    N = 3
    x, y, g = np.array([0.2, 1.7, 0.4]), labels(N), np.array([0.5, -2.0, 1.5])
    slope = hinge_embedding_slope(x, y)
    assert_close(
        "none", reduced_numeric(lambda s: hinge_embedding(s, y), x, "none", g), g * slope, 1e-8
    )
    assert_close(
        "mean", reduced_numeric(lambda s: hinge_embedding(s, y), x, "mean", g), slope / N, 1e-8
    )


# --- cosine embedding


def cosine_problem(N, d, margin):
    rng = np.random.default_rng([N, d, 5])
    U, W = rng.standard_normal((N, d)), rng.standard_normal((N, d))
    W[1] = U[1] + 0.2 * rng.standard_normal(d)  # dissimilar, yet similar: active
    W[3] = -U[3] + 0.2 * rng.standard_normal(d)  # dissimilar and apart: inactive
    y = labels(N)
    c = cosines(U, W)[0]
    assert np.all(np.abs(c[y == -1] - margin) > KINK)
    assert c[1] > margin and c[3] < margin
    return rng, U, W, y


def cosine_reference(U, W, y, margin):
    c = anp.sum(U * W, axis=1) / anp.sqrt(
        (anp.sum(U * U, axis=1) + 1e-12) * (anp.sum(W * W, axis=1) + 1e-12)
    )
    return anp.where(y == 1, 1 - c, anp.maximum(c - margin, 0.0))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "d", "margin"), [(4, 3, 0.2), (6, 5, 0.0), (5, 2, -0.3)])
def test_cosine_embedding(N, d, margin, reduction):
    rng, U, W, y = cosine_problem(N, d, margin)
    arguments = (U, W)

    def forward(S, T):
        return cosine_embedding(S, T, y, margin)

    def reference(S, T):
        return cosine_reference(S, T, y, margin)

    Js = cosine_embedding_jacobians(U, W, y, margin)
    g = upstream(rng, N, reduction)
    grads = cosine_embedding_vjp(U, W, y, per_example(N, reduction, g), margin)
    for position in range(2):
        f, r = (
            with_argument(forward, arguments, position),
            with_argument(reference, arguments, position),
        )
        check_jacobian(f"cosine ∂{'UW'[position]}", Js[position], f, r, arguments[position])
        check_reduced(
            f"cosine ∂{'UW'[position]}", grads[position], f, r, arguments[position], reduction, g
        )


def test_cosine_gradient_is_orthogonal_to_its_row():
    """Scaling U_a leaves c_a unchanged, so ∂c_a/∂U_a ⊥ U_a (up to the 1e-12)."""
    N, d = 3, 4
    U, W = np.random.default_rng(2).standard_normal((2, N, d))
    dU, dW = cosine_gradients(U, W)
    assert np.allclose((dU * U).sum(axis=1), 0, atol=1e-12)
    assert np.allclose((dW * W).sum(axis=1), 0, atol=1e-12)


def test_cosine_uses_torchs_eps_on_the_squared_norms():
    U, W = np.array([[1e-7, 0.0]]), np.array([[1e-7, 0.0]])
    assert cosines(U, W)[0][0] == pytest.approx(1e-14 / (1e-14 + 1e-12), rel=1e-12)
    assert cosine_embedding_slope(U, W, np.array([1.0])) == -1


def test_block_rows_puts_row_a_in_block_a():
    N, d = 2, 3
    R = np.arange(N * d, dtype=float).reshape(N, d) + 1
    assert np.array_equal(block_rows(R), [[1, 2, 3, 0, 0, 0], [0, 0, 0, 4, 5, 6]])


# --- triplet margin


def triplet_problem(N, d, margin):
    rng = np.random.default_rng([N, d, 6])
    A = rng.standard_normal((N, d))
    P = A + 0.4 * rng.standard_normal((N, d))
    Q = rng.standard_normal((N, d))
    Q[0] = A[0] + 4.0  # inactive
    Q[1] = A[1] + 0.05 * rng.standard_normal(d)  # active
    gamma = distance(A, P) - distance(A, Q) + margin
    assert np.all(np.abs(gamma) > KINK) and gamma[0] < 0 and gamma[1] > 0
    return rng, A, P, Q


def triplet_reference(A, P, Q, margin, p, eps=1e-6):
    def dist(X, Z):
        return anp.sum(anp.abs(X - Z + eps) ** p, axis=1) ** (1 / p)

    return anp.maximum(dist(A, P) - dist(A, Q) + margin, 0.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("N", "d", "margin", "p"), [(3, 5, 1.0, 2.0), (4, 2, 0.5, 3.0), (5, 3, 2.0, 1.5)]
)
def test_triplet_margin(N, d, margin, p, reduction):
    rng, A, P, Q = triplet_problem(N, d, margin)
    arguments = (A, P, Q)

    def forward(X, Y, Z):
        return triplet_margin(X, Y, Z, margin, p)

    def reference(X, Y, Z):
        return triplet_reference(X, Y, Z, margin, p)

    Js = triplet_jacobians(A, P, Q, margin, p)
    g = upstream(rng, N, reduction)
    grads = triplet_vjp(A, P, Q, per_example(N, reduction, g), margin, p)
    for position in range(3):
        f, r = (
            with_argument(forward, arguments, position),
            with_argument(reference, arguments, position),
        )
        check_jacobian(f"triplet ∂{'APQ'[position]}", Js[position], f, r, arguments[position])
        check_reduced(
            f"triplet ∂{'APQ'[position]}", grads[position], f, r, arguments[position], reduction, g
        )
    assert_close("∂A = −(∂P + ∂Q)", grads[0], -(grads[1] + grads[2]), 1e-14)


def test_distance_adds_eps_to_the_difference():
    X, Z = np.array([[1.0, 2.0, 3.0]]), np.array([[0.5, 1.0, 4.0]])
    assert distance(X, Z)[0] == pytest.approx(np.linalg.norm(X - Z + 1e-6), rel=1e-15)
    assert distance(X, Z)[0] != pytest.approx(np.linalg.norm(Z - X + 1e-6), rel=1e-9)
    assert distance(X, X)[0] == pytest.approx(np.sqrt(3) * 1e-6, rel=1e-12), "never 0"
    unit = distance_gradient(X, Z)
    assert np.allclose(unit, (X - Z + 1e-6) / np.linalg.norm(X - Z + 1e-6))


# --- the page


def test_the_figures_draw_what_the_page_says():
    margin_picture = structure_figure()
    assert np.count_nonzero(np.diag(margin_picture.matrix)) == 4, "two pairs past the margin"
    assert np.array_equal(np.diag(margin_picture.matrix), [-1, 0, 1, -1, -1, 0]), "−y ∘ χ"
    triplet = triplet_figure()
    assert triplet.matrix.shape == (3, 12) and np.all(triplet.matrix.any(axis=1))
    pinned = [-0.793941, 0.872361, -1.417915], [3.856161, 3.030968, 3.781107]  # the drawn data
    assert np.allclose(triplet.matrix.sum(axis=1), pinned[0], atol=1e-6)
    assert np.allclose(np.abs(triplet.matrix).sum(axis=1), pinned[1], atol=1e-6)
    assert triplet.of(triplet.at).shape == (3,)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("ranking_losses")
    differs = [line for line in lines if "DIFFERS" in line]
    assert [line.split(":")[0] for line in differs] == [
        "ψ_a V_a/(ν_a ω_a) (the norm's term dropped)",
        "(v ∘ χ) Γ for the anchor (one distance only)",
    ], "every common mistake must still fail"
    assert differs[0].endswith("relative error 0.57") and differs[1].endswith("relative error 0.75")
    matches = [line for line in lines if "DIFFERS" not in line]
    assert len(matches) == 32 and all(line.endswith(": matches") for line in matches)


def test_cosine_hinge_is_against_the_margin():
    """A dissimilar pair with 0 < c < margin: inside the margin, so no loss and slope 0; with
    c > margin the loss is c − margin and the slope 1."""
    U = np.array([[1.0, 0.0], [1.0, 0.0]])
    V = np.array([[1.0, 4.0], [1.0, 0.2]])  # c ≈ 0.24 and c ≈ 0.98
    y, margin = np.array([-1.0, -1.0]), 0.5
    c = cosines(U, V)[0]
    assert 0 < c[0] < margin < c[1]
    assert np.array_equal(cosine_embedding_slope(U, V, y, margin), [0.0, 1.0])
    assert_close("z", cosine_embedding(U, V, y, margin), [0.0, c[1] - margin], 1e-15)
    assert_close("z", cosine_reference(U, V, y, margin), cosine_embedding(U, V, y, margin), 1e-15)
