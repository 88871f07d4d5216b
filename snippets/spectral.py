"""Eigenvalues, singular values and their norms: rank-one gradients, and where they blow up.

Shapes (see docs/spectral.md; the eigenvectors and singular vectors are columns, as numpy
returns them):
- eigen: A is symmetric n×n with distinct eigenvalues λ (n, increasing, as numpy.linalg.eigh),
  Q (n×n) has the unit eigenvectors q_i as columns; a function of A is extended to every n×n
  matrix through its symmetric part sym(A), so its gradient is the gradient among symmetric
  matrices;
- SVD: A is m×n, k = min(m, n), the thin SVD A = U Σ Vᵀ with U m×k, Σ = Diag(σ) k×k (σ
  decreasing), V n×k.
Run ``python -m snippets.spectral`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:eigen_functions]
def sym(A):
    """The symmetric part (A + Aᵀ)/2 of a square A."""
    return (A + A.T) / 2


def eigenvalues(A):
    """λ of sym(A), increasing (numpy.linalg.eigh): shape (n,)."""
    return np.linalg.eigh(sym(A))[0]


def eigenvalue_jacobian(A):
    """∂λ/∂vec_r A, n×n²: row i is vec_r(q_i q_iᵀ)."""
    Q = np.linalg.eigh(sym(A))[1]
    return np.einsum("ai,bi->iab", Q, Q).reshape(len(A), -1)


def eigenvalue_vjp(A, g):
    """∂L/∂A from g = ∂L/∂λ (n,): Q Diag(g) Qᵀ, symmetric n×n."""
    Q = np.linalg.eigh(sym(A))[1]
    return (Q * g) @ Q.T


def eigenvectors(A, reference):
    """Q of sym(A), each column's sign chosen to agree with that column of reference."""
    Q = np.linalg.eigh(sym(A))[1]
    return Q * np.sign(np.einsum("ai,ai->i", Q, reference))  # q_i · reference_i


def eigenvector_jacobian(A, i):
    """∂q_i/∂vec_r A, n×n²: (P ⊗ q_iᵀ + q_iᵀ ⊗ P)/2, P = Σ_{j≠i} q_j q_jᵀ/(λ_i − λ_j)."""
    lam, Q = np.linalg.eigh(sym(A))
    others = np.arange(len(A)) != i
    P = (Q[:, others] / (lam[i] - lam[others])) @ Q[:, others].T
    q = Q[:, i : i + 1].T  # q_iᵀ, 1×n
    return (np.kron(P, q) + np.kron(q, P)) / 2


def eigenvector_vjp(A, G_Q):
    """∂L/∂A from G_Q = ∂L/∂Q (n×n): sym(Q (F ∘ QᵀG_Q) Qᵀ), F_ji = 1/(λ_i − λ_j)."""
    lam, Q = np.linalg.eigh(sym(A))
    gaps = lam[None, :] - lam[:, None]  # entry (j, i): λ_i − λ_j
    F = np.divide(1.0, gaps, out=np.zeros_like(gaps), where=~np.eye(len(A), dtype=bool))
    return sym(Q @ (F * (Q.T @ G_Q)) @ Q.T)


# --8<-- [end:eigen_functions]


# --8<-- [start:svd_functions]
def singular_values(A):
    """σ of A (m×n), decreasing: shape (k,), k = min(m, n)."""
    return np.linalg.svd(A, compute_uv=False)


def singular_value_jacobian(A):
    """∂σ/∂vec_r A, k×mn: row i is vec_r(u_i v_iᵀ)."""
    U, _, Vt = np.linalg.svd(A, full_matrices=False)
    return np.einsum("ai,ib->iab", U, Vt).reshape(len(Vt), -1)


def singular_value_vjp(A, g):
    """∂L/∂A from g = ∂L/∂σ (k,): U Diag(g) Vᵀ, m×n."""
    U, _, Vt = np.linalg.svd(A, full_matrices=False)
    return (U * g) @ Vt


def spectral_norm(A):
    """‖A‖₂ = σ_1, the largest singular value."""
    return np.linalg.norm(A, 2)


def spectral_norm_gradient(A):
    """u_1 v_1ᵀ (m×n), when σ_1 > σ_2."""
    U, _, Vt = np.linalg.svd(A, full_matrices=False)
    return np.outer(U[:, 0], Vt[0])


def nuclear_norm(A):
    """‖A‖_* = Σ σ_i."""
    return np.linalg.norm(A, "nuc")


def nuclear_norm_gradient(A):
    """U Vᵀ of the thin SVD (m×n), when A has full rank k."""
    U, _, Vt = np.linalg.svd(A, full_matrices=False)
    return U @ Vt


# --8<-- [end:svd_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "eigenvalues and singular values"
CHEAT_SHEET = [
    Row(
        table="Identities and modes",
        operation=r"eigenvalue $\lambda_i$ of a symmetric $A$, simple",
        derivative=r"$q_i q_i^\top$; all of them: VJP $Q \operatorname{Diag}(g) Q^\top$",
        functions=("eigenvalue_jacobian", "eigenvalue_vjp"),
        anchor="an-eigenvalue-of-a-symmetric-matrix",
    ),
    Row(
        table="Identities and modes",
        operation=r"eigenvector $q_i$ of a symmetric $A$, simple $\lambda_i$",
        derivative=r"differential $dq_i = \sum_{j \ne i} \frac{q_j^\top dA\, q_i}{\lambda_i - "
        r"\lambda_j}\, q_j$; VJP $\operatorname{sym}\big(Q (F \circ Q^\top G_Q) Q^\top\big)$",
        functions=("eigenvector_jacobian", "eigenvector_vjp"),
        anchor="an-eigenvector",
    ),
    Row(
        table="Identities and modes",
        operation=r"singular value $\sigma_i$ of $A$, simple",
        derivative=r"$u_i v_i^\top$; all of them: VJP $U \operatorname{Diag}(g) V^\top$",
        functions=("singular_value_jacobian", "singular_value_vjp"),
        anchor="a-singular-value",
    ),
    Row(
        table="Identities and modes",
        operation=r"spectral norm $\lVert A \rVert_2 = \sigma_1$; nuclear norm "
        r"$\lVert A \rVert_* = \sum_i \sigma_i$",
        derivative=r"$u_1 v_1^\top$ ($\sigma_1 > \sigma_2$); $U V^\top$ (full rank)",
        functions=("spectral_norm_gradient", "nuclear_norm_gradient"),
        anchor="the-spectral-and-nuclear-norms",
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def figure_matrix():
    """The point of the picture: a symmetric 4×4 with eigenvalues −2, 0.5, 1.5, 3."""
    n = 4
    Q0 = np.linalg.qr(np.random.default_rng(2).standard_normal((n, n)))[0]
    return sym(Q0 @ np.diag([-2.0, 0.5, 1.5, 3.0]) @ Q0.T)


def structure_figure():
    """∂q_2/∂vec_r A (numpy's column 1) at figure_matrix(): 4×16, of rank 3."""
    A, i = figure_matrix(), 1
    Q = np.linalg.eigh(A)[1]
    jacobian = eigenvector_jacobian(A, i)
    return Figure(
        matrix=jacobian,
        of=lambda Z: eigenvectors(Z, Q)[:, i],
        at=A,
        structure="low-rank",
        rows="entries of q_2",
        columns="entries A_{kl} of the symmetric matrix, row by row",
        alt=f"The {size(jacobian)} Jacobian of the eigenvector of the second eigenvalue of a "
        "symmetric 4×4 matrix: of rank 3, one less than its 4 rows, since the eigenvector stays "
        "a unit vector and moves orthogonally to itself; symmetric pairs of columns are equal.",
        caption=r"$\partial q_i/\partial \operatorname{vec}_r A$ has rank $n - 1$: "
        r"$q_i^\top$ times it is zero, since $q_i$ keeps unit length.",
    )


if __name__ == "__main__":
    # --8<-- [start:eigen_setup]
    rng = np.random.default_rng(0)
    n = 4  # A is n×n
    Q0 = np.linalg.qr(rng.standard_normal((n, n)))[0]  # a random rotation
    A = sym(Q0 @ np.diag([-2.0, 0.5, 1.5, 3.0]) @ Q0.T)  # eigenvalues 1 or more apart
    g = rng.standard_normal(n)  # upstream gradient ∂L/∂λ, shape (4,)
    G_Q = rng.standard_normal((n, n))  # upstream gradient ∂L/∂Q, 4×4
    E = [sym(rng.standard_normal((n, n))) for _ in range(3)]  # symmetric directions
    # --8<-- [end:eigen_setup]

    # --8<-- [start:eigen_check]
    assert compare("λ as built", eigenvalues(A), np.array([-2.0, 0.5, 1.5, 3.0]))
    numeric = numerical_jacobian(eigenvalues, A)  # 4×16
    jacobian = eigenvalue_jacobian(A)
    assert compare("∂λ/∂vec_r A, rows vec_r(q_i q_iᵀ)", jacobian, numeric)
    step = 1e-6
    along = [(eigenvalues(A + step * D) - eigenvalues(A - step * D)) / (2 * step) for D in E]
    ours = [jacobian @ D.ravel() for D in E]  # q_i q_iᵀ : D for each i
    assert compare("q_i q_iᵀ : E, symmetric E", np.array(ours), np.array(along))
    vjp = (g @ numeric).reshape(n, n)
    assert compare("VJP Q Diag(g) Qᵀ", eigenvalue_vjp(A, g), vjp)
    Q = np.linalg.eigh(A)[1]  # the signs to keep
    numeric = numerical_jacobian(lambda Z: eigenvectors(Z, Q)[:, 1], A)  # q_2: 4×16
    assert compare("∂q_2/∂vec_r A", eigenvector_jacobian(A, 1), numeric)
    numeric = numerical_jacobian(lambda Z: eigenvectors(Z, Q), A)  # 16×16
    vjp = (G_Q.ravel() @ numeric).reshape(n, n)
    assert compare("VJP sym(Q (F ∘ QᵀG_Q) Qᵀ)", eigenvector_vjp(A, G_Q), vjp)
    # --8<-- [end:eigen_check]

    # --8<-- [start:eigen_gap]
    for gap in [1.0, 1e-2, 1e-4]:  # λ_2 and λ_3 this close
        A_close = sym(Q0 @ np.diag([-2.0, 0.5, 0.5 + gap, 3.0]) @ Q0.T)
        largest = np.abs(eigenvector_jacobian(A_close, 1)).max()  # of q_2
        print(f"gap {gap:g}: largest entry of ∂q_2/∂vec_r A {largest:.3g}")
    # --8<-- [end:eigen_gap]

    # --8<-- [start:eigen_mistake]
    numeric = numerical_jacobian(lambda Z: np.linalg.eigh(Z)[0], A)  # raw eigh
    compare("q_i q_iᵀ vs eigh nudged entry by entry", eigenvalue_jacobian(A), numeric)
    # --8<-- [end:eigen_mistake]

    # --8<-- [start:svd_setup]
    rng = np.random.default_rng(3)
    m, n = 5, 3  # A is m×n, k = min(m, n) = 3 singular values
    U0 = np.linalg.qr(rng.standard_normal((m, n)))[0]  # orthonormal columns
    V0 = np.linalg.qr(rng.standard_normal((n, n)))[0]
    A = U0 @ np.diag([4.0, 2.0, 1.0]) @ V0  # singular values 4, 2, 1 (V0 orthogonal)
    g = rng.standard_normal(n)  # upstream gradient ∂L/∂σ, shape (3,)
    # --8<-- [end:svd_setup]

    # --8<-- [start:svd_check]
    numeric = numerical_jacobian(singular_values, A)  # 3×15
    jacobian = singular_value_jacobian(A)
    assert compare("∂σ/∂vec_r A, rows vec_r(u_i v_iᵀ)", jacobian, numeric)
    vjp = (g @ numeric).reshape(m, n)
    assert compare("VJP U Diag(g) Vᵀ", singular_value_vjp(A, g), vjp)
    numeric = numerical_jacobian(spectral_norm, A).reshape(m, n)
    assert compare("‖A‖₂: u_1 v_1ᵀ", spectral_norm_gradient(A), numeric)
    numeric = numerical_jacobian(nuclear_norm, A).reshape(m, n)
    assert compare("‖A‖_*: U Vᵀ", nuclear_norm_gradient(A), numeric)
    # --8<-- [end:svd_check]

    # --8<-- [start:svd_mistake]
    reference = numerical_jacobian(spectral_norm, A).reshape(m, n)
    v_1 = np.linalg.eigh(A.T @ A)[1][:, -1]  # eigenvector of the largest eigenvalue
    compare("v_1 v_1ᵀ, eigenvectors of AᵀA", np.outer(v_1, v_1), reference)
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    compare("u_1 of svd, v_1 of eigh(AᵀA)", np.outer(U[:, 0], v_1), reference)
    compare("u_1 = A v_1/σ_1, the sign of v_1", np.outer(A @ v_1 / s[0], v_1), reference)
    reference = numerical_jacobian(nuclear_norm, A).reshape(m, n)
    compare("U Σ Vᵀ for the nuclear norm", U @ np.diag(s) @ Vt, reference)
    # --8<-- [end:svd_mistake]
