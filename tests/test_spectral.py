"""docs/spectral.md ↔ snippets/spectral.py: eigenvalues, singular values and their norms.

Every Jacobian and VJP is checked against finite differences and against autograd, which
differentiates ``numpy.linalg.eigh`` and ``svd`` (autograd.numpy): the eigen functions through the
symmetric part (A + Aᵀ)/2, as the page extends them. The test matrices are built from random
rotations and spectra at least 1 apart, seeded, so that every eigenvalue and singular value is
simple and finite differences are accurate. Where the page states more (the lower triangle of
eigh, the rank of the eigenvector Jacobian, the blow-up at close eigenvalues, the subgradients),
a test checks it.
"""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.gradcheck import numerical_jacobian
from snippets.spectral import (
    eigenvalue_jacobian,
    eigenvalue_vjp,
    eigenvalues,
    eigenvector_jacobian,
    eigenvector_vjp,
    eigenvectors,
    figure_matrix,
    nuclear_norm,
    nuclear_norm_gradient,
    singular_value_jacobian,
    singular_value_vjp,
    singular_values,
    spectral_norm,
    spectral_norm_gradient,
    structure_figure,
    sym,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo


def rotation(rng, n):
    return np.linalg.qr(rng.standard_normal((n, n)))[0]


def symmetric_with(rng, spectrum):
    Q = rotation(rng, len(spectrum))
    return sym(Q @ np.diag(spectrum) @ Q.T)


def with_singular_values(rng, m, n, spectrum):
    """An m×n matrix with the given min(m, n) singular values."""
    k = min(m, n)
    U = np.linalg.qr(rng.standard_normal((m, k)))[0]
    V = np.linalg.qr(rng.standard_normal((n, k)))[0]
    return U @ np.diag(spectrum) @ V.T


SPECTRA = [[-1.0, 1.5, 4.0], [-2.0, 0.5, 1.5, 3.0], [-3.0, -1.0, 0.5, 2.0, 5.0]]


def eigenvalues_reference(M):
    return anp.linalg.eigh((M + M.T) / 2)[0]


# --- eigenvalues and eigenvectors


@pytest.mark.parametrize("spectrum", SPECTRA, ids=len)
def test_eigenvalue_jacobian_and_vjp(spectrum):
    n = len(spectrum)
    rng = np.random.default_rng(n)
    A, g = symmetric_with(rng, spectrum), rng.standard_normal(n)
    check_jacobian(
        "eigenvalue_jacobian", eigenvalue_jacobian(A), eigenvalues, eigenvalues_reference, A
    )
    check_vjp("eigenvalue_vjp", eigenvalue_vjp(A, g), eigenvalues, eigenvalues_reference, A, g)
    assert_close("λ", eigenvalues(A), np.array(spectrum), 1e-12)


def test_eigenvalue_gradient_along_symmetric_directions():
    """In the symmetric matrices: q_i q_iᵀ : E is the slope of λ_i along any symmetric E."""
    n, step = 4, 1e-6
    rng = np.random.default_rng(9)
    A = symmetric_with(rng, SPECTRA[1])
    raw = lambda Z: np.linalg.eigh(Z)[0]  # noqa: E731  (no symmetrisation: E keeps Z symmetric)
    for _ in range(3):
        E = sym(rng.standard_normal((n, n)))
        along = (raw(A + step * E) - raw(A - step * E)) / (2 * step)
        assert_close("q_i q_iᵀ : E", eigenvalue_jacobian(A) @ E.ravel(), along, 1e-6)
    grads = eigenvalue_jacobian(A).reshape(n, n, n)
    assert all(np.allclose(G, G.T) for G in grads), "q_i q_iᵀ is symmetric: in the space itself"


def test_eigh_reads_the_lower_triangle_only():
    """The page's mistake: nudging an upper entry does nothing, a lower one counts twice."""
    n = 4
    A = symmetric_with(np.random.default_rng(4), SPECTRA[1])
    raw = numerical_jacobian(lambda Z: np.linalg.eigh(Z)[0], A).reshape(n, n, n)
    G = eigenvalue_jacobian(A).reshape(n, n, n)
    upper, lower = np.triu_indices(n, 1), np.tril_indices(n, -1)
    for i in range(n):
        assert np.allclose(raw[i][upper], 0, atol=1e-9)
        assert np.allclose(raw[i][lower], 2 * G[i][lower], atol=1e-7)
        assert np.allclose(np.diag(raw[i]), np.diag(G[i]), atol=1e-7)


@pytest.mark.parametrize(("spectrum", "i"), [(SPECTRA[0], 0), (SPECTRA[1], 1), (SPECTRA[2], 4)])
def test_eigenvector_jacobian(spectrum, i):
    n = len(spectrum)
    A = symmetric_with(np.random.default_rng([n, i]), spectrum)
    Q = np.linalg.eigh(A)[1]

    def forward(Z):
        return eigenvectors(Z, Q)[:, i]

    def reference(Z):
        return anp.linalg.eigh((Z + Z.T) / 2)[1][:, i]

    jacobian = eigenvector_jacobian(A, i)
    check_jacobian("eigenvector_jacobian", jacobian, forward, reference, A)
    assert np.linalg.matrix_rank(jacobian) == n - 1, "rank n − 1"
    assert np.abs(Q[:, i] @ jacobian).max() <= 1e-12 * np.abs(jacobian).max(), "q_iᵀ J = 0"


@pytest.mark.parametrize("spectrum", SPECTRA, ids=len)
def test_eigenvector_vjp(spectrum):
    n = len(spectrum)
    rng = np.random.default_rng([n, 7])
    A, G_Q = symmetric_with(rng, spectrum), rng.standard_normal((n, n))
    Q = np.linalg.eigh(A)[1]

    def forward(Z):
        return eigenvectors(Z, Q)

    def reference(Z):
        return anp.linalg.eigh((Z + Z.T) / 2)[1]

    check_vjp("eigenvector_vjp", eigenvector_vjp(A, G_Q), forward, reference, A, G_Q)


def test_the_sign_of_an_eigenvector_follows_the_reference():
    A = symmetric_with(np.random.default_rng(1), SPECTRA[0])
    Q = np.linalg.eigh(A)[1]
    flipped = Q * np.array([1.0, -1.0, -1.0])
    assert np.array_equal(eigenvectors(A, Q), Q)
    assert np.array_equal(eigenvectors(A, flipped), flipped)


def test_close_eigenvalues_blow_up_the_eigenvector_jacobian_as_one_over_the_gap():
    rng = np.random.default_rng(0)
    Q0 = rotation(rng, 4)
    largest = []
    for gap in [1e-1, 1e-2, 1e-3]:
        A = sym(Q0 @ np.diag([-2.0, 0.5, 0.5 + gap, 3.0]) @ Q0.T)
        largest.append(np.abs(eigenvector_jacobian(A, 1)).max())
        assert np.abs(eigenvalue_jacobian(A)).max() <= 1, "the eigenvalues stay tame"
    ratios = np.array(largest[1:]) / np.array(largest[:-1])
    assert np.allclose(ratios, 10, rtol=0.05), ratios


# --- singular values and the norms


SVD_SHAPES = [(5, 3), (3, 4), (4, 2)]  # (m, n), tall and wide


def spectrum_of(m, n):
    return [4.0, 2.5, 1.0, 0.5][: min(m, n)]


def singular_values_reference(M):
    return anp.linalg.svd(M, full_matrices=False)[1]


@pytest.mark.parametrize(("m", "n"), SVD_SHAPES)
def test_singular_value_jacobian_and_vjp(m, n):
    rng = np.random.default_rng([m, n])
    A = with_singular_values(rng, m, n, spectrum_of(m, n))
    g = rng.standard_normal(min(m, n))
    check_jacobian(
        "singular_value_jacobian",
        singular_value_jacobian(A),
        singular_values,
        singular_values_reference,
        A,
    )
    check_vjp(
        "singular_value_vjp",
        singular_value_vjp(A, g),
        singular_values,
        singular_values_reference,
        A,
        g,
    )


@pytest.mark.parametrize(("m", "n"), SVD_SHAPES)
def test_spectral_and_nuclear_norm_gradients(m, n):
    rng = np.random.default_rng([n, m])
    A = with_singular_values(rng, m, n, spectrum_of(m, n))

    def spectral_reference(M):
        return anp.linalg.svd(M, full_matrices=False)[1][0]

    def nuclear_reference(M):
        return anp.sum(anp.linalg.svd(M, full_matrices=False)[1])

    assert_close("‖A‖₂", spectral_norm(A), 4.0, 1e-12)
    assert_close("‖A‖_*", nuclear_norm(A), sum(spectrum_of(m, n)), 1e-12)
    flat = (1, m * n)
    ours = spectral_norm_gradient(A)
    check_jacobian(
        "spectral_norm_gradient", ours.reshape(flat), spectral_norm, spectral_reference, A
    )
    check_vjp("spectral_norm_gradient", 1.5 * ours, spectral_norm, spectral_reference, A, 1.5)
    ours = nuclear_norm_gradient(A)
    check_jacobian("nuclear_norm_gradient", ours.reshape(flat), nuclear_norm, nuclear_reference, A)
    check_vjp("nuclear_norm_gradient", -0.5 * ours, nuclear_norm, nuclear_reference, A, -0.5)


def test_flipping_a_pair_of_singular_vectors_leaves_the_gradient():
    A = with_singular_values(np.random.default_rng(2), 5, 3, [4.0, 2.0, 1.0])
    U, _, Vt = np.linalg.svd(A, full_matrices=False)
    assert_close("(−u)(−v)ᵀ", np.outer(-U[:, 0], -Vt[0]), spectral_norm_gradient(A), 1e-15)
    assert_close("−u vᵀ", -np.outer(U[:, 0], Vt[0]), -spectral_norm_gradient(A), 1e-15)
    assert not np.allclose(np.outer(-U[:, 0], Vt[0]), spectral_norm_gradient(A))


def test_the_subgradients_the_page_states():
    """Where the norms have a kink, the sets the page names hold the subgradient inequality."""
    rng = np.random.default_rng(6)
    m, n = 5, 3
    # the spectral norm at σ_1 = σ_2: U_1 W V_1ᵀ, W ⪰ 0 of trace 1
    A = with_singular_values(rng, m, n, [3.0, 3.0, 1.0])
    U, _, Vt = np.linalg.svd(A, full_matrices=False)
    p = 2  # σ_1 twice
    C = rng.standard_normal((p, p))
    W = C @ C.T / np.trace(C @ C.T)
    spectral = U[:, :p] @ W @ Vt[:p]
    # the nuclear norm at rank 2: U_r V_rᵀ + Z, Z orthogonal to both, ‖Z‖₂ ≤ 1
    B = with_singular_values(rng, m, n, [3.0, 1.0, 0.0])
    Ub, _, Vbt = np.linalg.svd(B)
    Z = 0.9 * np.outer(Ub[:, 3], Vbt[2])  # outside both singular subspaces, norm 0.9
    nuclear = Ub[:, :2] @ Vbt[:2] + Z
    for _ in range(20):
        D = rng.standard_normal((m, n))
        assert spectral_norm(A + D) >= spectral_norm(A) + np.sum(spectral * D) - 1e-12
        assert nuclear_norm(B + D) >= nuclear_norm(B) + np.sum(nuclear * D) - 1e-12
    t = 1e-6  # one-sided slopes differ at the kink: no gradient there
    E = np.outer(U[:, 0], Vt[0]) - np.outer(U[:, 1], Vt[1])
    up = (spectral_norm(A + t * E) - spectral_norm(A)) / t
    down = (spectral_norm(A) - spectral_norm(A - t * E)) / t
    assert up > 0.99 and down < -0.99


def test_the_mistakes_differ():
    A = with_singular_values(np.random.default_rng(3), 5, 3, [4.0, 2.0, 1.0])
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    assert not np.allclose(U @ np.diag(s) @ Vt, nuclear_norm_gradient(A)), "U Σ Vᵀ is A itself"
    assert np.allclose(U @ np.diag(s) @ Vt, A)


# --- the page


def test_the_figure_draws_what_the_page_says():
    picture = structure_figure()
    n = 4
    assert np.linalg.matrix_rank(picture.matrix) == n - 1
    assert_close("λ of the picture", eigenvalues(figure_matrix()), np.array(SPECTRA[1]), 1e-12)
    columns = picture.matrix.reshape(n, n, n)  # (entry of q, k, l)
    assert_close("columns (k, l) and (l, k)", columns, columns.transpose(0, 2, 1), 1e-14)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("spectral")
    differs = [line for line in lines if "DIFFERS" in line]
    assert [line.split(":")[0] for line in differs] == [
        "q_i q_iᵀ vs eigh nudged entry by entry",
        "v_1 v_1ᵀ, eigenvectors of AᵀA",
        "u_1 of svd, v_1 of eigh(AᵀA)",
        "U Σ Vᵀ for the nuclear norm",
    ], "every common mistake must still fail"
    gaps = [line for line in lines if line.startswith("gap ")]
    assert len(gaps) == 3
    matches = [line for line in lines if "DIFFERS" not in line and not line.startswith("gap ")]
    assert len(matches) == 11 and all(line.endswith(": matches") for line in matches)
    assert differs[2].endswith("relative error 2"), "a flipped sign: −u_1 v_1ᵀ"
    assert differs[0].endswith("relative error 0.43") and differs[3].endswith("relative error 1.9")
    assert [line.split()[-1] for line in gaps] == ["0.289", "27.6", "2.76e+03"], (
        "as one over the gap"
    )
