"""docs/l2_normalization.md ↔ snippets/l2_normalization.py: L2 normalization, cosine, weight norm.

Each Jacobian and VJP is checked against finite differences and autograd on several shapes, with
the rows longer than ε (the projection) and, for the normalization, shorter (U = X/ε).
"""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.l2_normalization import (
    batch_figure,
    cosine_jacobian,
    cosine_similarity,
    cosine_vjp,
    l2_normalize,
    l2_normalize_jacobian,
    l2_normalize_vjp,
    structure_figure,
    weight_norm,
    weight_norm_figure,
    weight_norm_jacobians,
    weight_norm_vjp,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo


def normalize_reference(X, eps=1e-12):
    """U = X/max(‖x_k‖, ε) again, for autograd."""
    norms = anp.sqrt(anp.sum(X**2, axis=1, keepdims=True))
    return X / anp.maximum(norms, eps)


def cosine_reference(A, B, eps=1e-8):
    """c_k = a_k b_kᵀ/(max(‖a_k‖, ε) max(‖b_k‖, ε)) again, for autograd."""
    return anp.sum(normalize_reference(A, eps) * normalize_reference(B, eps), axis=1)[:, None]


def weight_norm_reference(V, gamma):
    """W = γ_j v_j/‖v_j‖ column by column, again, for autograd."""
    return V * gamma / anp.sqrt(anp.sum(V**2, axis=0, keepdims=True))


# --- L2 normalization

SHAPES = [(1, 2), (1, 5), (3, 4), (2, 7)]  # (N, n)


@pytest.mark.parametrize(("N", "n"), SHAPES)
@pytest.mark.parametrize("scale", [1.0, 1e-3])
def test_l2_normalize_jacobian_and_vjp(N, n, scale):
    """scale 1e-3 with ε = 0.01: rows shorter than ε, where U = X/ε."""
    rng = np.random.default_rng([N, n])
    X, G = scale * rng.standard_normal((N, n)), rng.standard_normal((N, n))
    eps = 0.01

    def forward(Z):
        return l2_normalize(Z, eps)

    def reference(Z):
        return normalize_reference(Z, eps)

    jacobian = l2_normalize_jacobian(X, eps)
    check_jacobian("l2_normalize_jacobian", jacobian, forward, reference, X)
    check_vjp("l2_normalize_vjp", l2_normalize_vjp(X, G, eps), forward, reference, X, G)


def test_the_default_eps_is_f_normalize_s():
    X = np.array([[3.0, 4.0], [0.0, 0.0]])  # N×n = 2×2, square: a zero row stays zero
    assert np.array_equal(l2_normalize(X), [[0.6, 0.8], [0.0, 0.0]])
    G = np.array([[1.0, 2.0], [0.5, -0.5]])
    assert np.array_equal(l2_normalize_vjp(X, G)[1], G[1] / 1e-12), "g/ε at x = 0"


def test_the_jacobian_is_a_projection_scaled():
    """‖x‖ J is symmetric, idempotent, with u in its null space: I − uᵀu projects off u."""
    N, n = 1, 6
    x = np.random.default_rng(3).standard_normal((N, n))
    norm = np.linalg.norm(x)
    P = norm * l2_normalize_jacobian(x)
    assert_close("P symmetric", P, P.T, 1e-14)
    assert_close("P² = P", P @ P, P, 1e-14)
    assert np.max(np.abs(l2_normalize(x) @ P)) < 1e-14, "u P = 0"
    assert np.linalg.matrix_rank(P) == n - 1


# --- cosine similarity


@pytest.mark.parametrize(("N", "n"), SHAPES)
@pytest.mark.parametrize("eps", [1e-8, 2.0])
def test_cosine_jacobians_and_vjps(N, n, eps):
    """eps 2.0: rows shorter than ε in places, where max(‖a‖, ε) = ε."""
    rng = np.random.default_rng([n, N])
    A, B, g = (rng.standard_normal(s) for s in [(N, n), (N, n), (N, 1)])
    grad_A, grad_B = cosine_vjp(A, B, g, eps)
    for name, ours, jacobian, Z, other, position in [
        ("A", grad_A, cosine_jacobian(A, B, eps), A, B, 0),
        ("B", grad_B, cosine_jacobian(B, A, eps), B, A, 1),
    ]:

        def forward(Y, other=other, position=position):
            pair = (Y, other) if position == 0 else (other, Y)
            return cosine_similarity(*pair, eps)

        def reference(Y, other=other, position=position):
            pair = (Y, other) if position == 0 else (other, Y)
            return cosine_reference(*pair, eps)

        check_jacobian(f"cosine_jacobian ∂c/∂{name}", jacobian, forward, reference, Z)
        check_vjp(f"cosine_vjp ∂L/∂{name}", ours, forward, reference, Z, g)


def test_cosine_is_the_cosine_and_its_gradient_is_orthogonal_to_a():
    N, n = 1, 3
    a, b = np.array([[1.0, 0.0, 0.0]]), np.array([[1.0, 1.0, 0.0]])
    assert_close("cos 45°", cosine_similarity(a, b), np.sqrt([[0.5]]), 1e-15)
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((N, n)), rng.standard_normal((N, n))
    grad_a, _ = cosine_vjp(a, b, np.ones((N, 1)))
    assert abs((grad_a @ a.T).item()) < 1e-14, "scaling a leaves c unchanged"


# --- weight normalization

WEIGHT_SHAPES = [(2, 3), (4, 1), (5, 2)]  # (n, m)


@pytest.mark.parametrize(("n", "m"), WEIGHT_SHAPES)
def test_weight_norm_jacobians_and_vjps(n, m):
    rng = np.random.default_rng([n, m])
    V, gamma, G = (rng.standard_normal(s) for s in [(n, m), (1, m), (n, m)])
    by_V, by_gamma = weight_norm_jacobians(V, gamma)
    grad_V, grad_gamma = weight_norm_vjp(V, gamma, G)

    def of_vt(Vt):  # row-major of Vᵀ is vec V, and of Wᵀ is vec W
        return weight_norm(Vt.T, gamma).T

    def of_vt_reference(Vt):
        return weight_norm_reference(Vt.T, gamma).T

    def of_gamma(s):
        return weight_norm(V, s).T

    def of_gamma_reference(s):
        return weight_norm_reference(V, s).T

    check_jacobian("weight_norm ∂vec W/∂vec V", by_V, of_vt, of_vt_reference, V.T)
    check_jacobian("weight_norm ∂vec W/∂γ", by_gamma, of_gamma, of_gamma_reference, gamma)

    def of_v(Z):
        return weight_norm(Z, gamma)

    def of_v_reference(Z):
        return weight_norm_reference(Z, gamma)

    check_vjp("weight_norm_vjp ∂L/∂V", grad_V, of_v, of_v_reference, V, G)
    check_vjp("weight_norm_vjp ∂L/∂γ", grad_gamma, of_gamma, of_gamma_reference, gamma, G.T)


def test_weight_norm_columns_have_norm_gamma():
    n, m = 3, 2
    rng = np.random.default_rng(5)
    V, gamma = rng.standard_normal((n, m)), np.array([[2.0, -0.5]])
    assert_close("‖w_j‖ = |γ_j|", np.linalg.norm(weight_norm(V, gamma), axis=0), [2.0, 0.5], 1e-15)
    grad_V, _ = weight_norm_vjp(V, gamma, rng.standard_normal((n, m)))
    assert np.max(np.abs((grad_V * V).sum(axis=0))) < 1e-12, "v_jᵀ ∂L/∂v_j = 0"


# --- the page


def test_the_figures_draw_what_the_page_says():
    unit = structure_figure()
    assert abs(np.linalg.norm(unit.at) - 1) < 1e-15, "drawn at a unit row"
    assert np.allclose(unit.matrix, np.eye(4) - unit.at.T @ unit.at)
    assert batch_figure().matrix.shape == (6, 6)
    picture = weight_norm_figure()
    assert picture.of(picture.at).shape == picture.at.shape
    # the points the pictures are drawn at, as their docstrings give them
    assert np.array_equal(unit.at, [[0.2, -0.4, 0.4, -0.8]])
    assert np.array_equal(batch_figure().at, [[0.6, -1.2, 0.9], [-0.5, 0.3, 1.4]])
    assert np.array_equal(picture.at, [[0.8, -0.4, 0.5], [-0.3, 1.1, 0.6]]), "Vᵀ"
    gamma = picture.of(picture.at)[:, 0] / l2_normalize(picture.at)[:, 0]
    assert np.allclose(gamma, [1.5, -0.7], rtol=1e-14), "W = V Diag(γ/ν)"


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("l2_normalization")
    differs = [line for line in lines if "DIFFERS" in line]
    assert [line.split(":")[0] for line in differs] == [
        "g/‖x‖ (‖x‖ held constant)",
        "g b̂/‖a‖ (‖a‖ held constant)",
        "G Diag(γ/ν) (ν held constant)",
    ], "every common mistake must still fail"
    matches = [line for line in lines if "DIFFERS" not in line]
    assert len(matches) == 12 and all(line.endswith(": matches") for line in matches)
