"""docs/vec_kronecker.md ↔ snippets/vec_kronecker.py: vec(AXB) = (Bᵀ ⊗ A) vec X and its
row-major twin, the commutation matrix, and the Jacobians and VJPs of XᵀX, XXᵀ and XBX."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.gradcheck import numerical_jacobian
from snippets.vec_kronecker import (
    axb_jacobian,
    axb_jacobian_row_major,
    axb_vjp,
    commutation_matrix,
    cookbook_quadratic_form_matrix,
    kronecker_sum,
    numerical_vjp,
    quadratic_form,
    quadratic_form_matrix,
    unvec,
    vec,
    vec_r,
    xbx_jacobian,
    xbx_jacobian_row_major,
    xbx_vjp,
    xtx_jacobian,
    xtx_vjp,
    xxt_jacobian,
    xxt_vjp,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, relative_error, run_page_demo

SHAPES = [(2, 4, 3, 5), (3, 2, 5, 4), (5, 3, 2, 6), (4, 6, 5, 2)]  # (k, n, m, p), pairwise distinct


def random_problem(k, n, m, p):
    rng = np.random.default_rng([k, n, m, p])
    return {
        "A": rng.standard_normal((k, n)),
        "X": rng.standard_normal((n, m)),
        "B": rng.standard_normal((m, p)),
        "B_mid": rng.standard_normal((m, n)),
        "G_axb": rng.standard_normal((k, p)),
        "G_xtx": rng.standard_normal((m, m)),
        "G_xxt": rng.standard_normal((n, n)),
        "G_xbx": rng.standard_normal((n, m)),
    }


# The forward passes again for autograd, written without vec or reshape(order="F"): entries by
# einsum, and the column-major vec as the row-major flattening of the transpose.
def vec_reference(M):
    return anp.reshape(anp.transpose(M), (-1, 1))


def unvec_reference(v, rows, cols):
    return anp.transpose(anp.reshape(v, (cols, rows)))


def axb_reference(A, X, B):
    return anp.einsum("ia,ab,bj->ij", A, X, B)


def xtx_reference(X):
    return anp.einsum("ai,aj->ij", X, X)


def xxt_reference(X):
    return anp.einsum("ia,ja->ij", X, X)


def xbx_reference(X, B):
    return anp.einsum("ia,ab,bj->ij", X, B, X)


def in_vec_order(f, rows, cols, to_vec=vec, from_vec=unvec):
    """f as a function of vec X, returning vec f(X): its Jacobian is ∂vec F/∂vec X."""
    return lambda v: to_vec(f(from_vec(v, rows, cols)))


def in_vec_order_reference(f, rows, cols):
    return in_vec_order(f, rows, cols, vec_reference, unvec_reference)


@pytest.mark.parametrize(("k", "n", "m", "p"), SHAPES)
def test_vec_unvec_and_numpy_order(k, n, m, p):
    X = random_problem(k, n, m, p)["X"]
    assert vec(X).shape == (n * m, 1) and vec_r(X).shape == (n * m, 1)
    assert_close("vec stacks columns", vec(X)[:n, 0], X[:, 0], 0)
    assert_close("vec_r stacks rows", vec_r(X)[:m, 0], X[0], 0)
    assert_close("unvec inverts vec", unvec(vec(X), n, m), X, 0)
    assert_close("numpy's ravel is vec_r", vec_r(X).ravel(), X.ravel(), 0)
    assert_close("vec_r X = vec(Xᵀ)", vec_r(X), vec(X.T), 0)
    assert_close("vec_reference is vec", vec_reference(X), vec(X), 0)
    assert_close("unvec_reference is unvec", unvec_reference(vec(X), n, m), X, 0)


@pytest.mark.parametrize(("r", "s"), [(2, 3), (4, 2), (3, 5), (5, 4)])
def test_commutation_matrix(r, s):
    M = np.random.default_rng([r, s]).standard_normal((r, s))
    K = commutation_matrix(r, s)
    assert_close("K vec M = vec Mᵀ", K @ vec(M), vec(M.T), 0)
    assert_close("K vec M = vec_r M", K @ vec(M), vec_r(M), 0)
    assert_close("Kᵀ = K_sr", K.T, commutation_matrix(s, r), 0)
    assert_close("KᵀK = I", K.T @ K, np.eye(r * s), 0)
    assert sorted(K.sum(axis=0)) == sorted(K.sum(axis=1)) == [1.0] * (r * s), "a permutation"


@pytest.mark.parametrize(("r", "s", "t", "u"), [(2, 3, 4, 5), (3, 2, 5, 4), (4, 5, 2, 3)])
def test_commutation_swaps_kronecker_factors(r, s, t, u):
    """K_tr (P ⊗ Q) K_usᵀ = Q ⊗ P for P r×s and Q t×u: the swap rule on the page."""
    rng = np.random.default_rng([r, s, t, u])
    P, Q = rng.standard_normal((r, s)), rng.standard_normal((t, u))
    swapped = commutation_matrix(t, r) @ np.kron(P, Q) @ commutation_matrix(u, s).T
    assert_close("K (P ⊗ Q) Kᵀ = Q ⊗ P", swapped, np.kron(Q, P), 1e-15)


@pytest.mark.parametrize(("r", "s"), [(2, 3), (5, 4)])
def test_kronecker_sum(r, s):
    rng = np.random.default_rng([r, s])
    P, Q = rng.standard_normal((r, r)), rng.standard_normal((s, s))
    expected = np.kron(P, np.eye(s)) + np.kron(np.eye(r), Q)
    assert kronecker_sum(P, Q).shape == (r * s, r * s)
    assert_close("P ⊕ Q = P ⊗ I + I ⊗ Q", kronecker_sum(P, Q), expected, 0)
    Y = rng.standard_normal((s, r))  # the page's vec(YM + NY) = (Mᵀ ⊕ N) vec Y, M = P, N = Q
    assert_close("vec(YP + QY)", kronecker_sum(P.T, Q) @ vec(Y), vec(Y @ P + Q @ Y), 1e-12)


@pytest.mark.parametrize(("k", "n", "m", "p"), SHAPES)
def test_axb_jacobian_column_major(k, n, m, p):
    d = random_problem(k, n, m, p)
    A, X, B = d["A"], d["X"], d["B"]
    jacobian = axb_jacobian(A, B)
    assert jacobian.shape == (k * p, n * m)
    check_jacobian(
        "Bᵀ ⊗ A",
        jacobian,
        in_vec_order(lambda Y: A @ Y @ B, n, m),
        in_vec_order_reference(lambda Y: axb_reference(A, Y, B), n, m),
        vec(X),
    )
    assert_close("vec(AXB) = (Bᵀ ⊗ A) vec X", vec(A @ X @ B), jacobian @ vec(X), 1e-12)


@pytest.mark.parametrize(("k", "n", "m", "p"), SHAPES)
def test_axb_jacobian_row_major(k, n, m, p):
    d = random_problem(k, n, m, p)
    A, X, B = d["A"], d["X"], d["B"]
    check_jacobian(
        "A ⊗ Bᵀ",
        axb_jacobian_row_major(A, B),
        lambda Y: A @ Y @ B,
        lambda Y: axb_reference(A, Y, B),
        X,
    )
    twin = commutation_matrix(k, p) @ axb_jacobian(A, B) @ commutation_matrix(n, m).T
    assert_close("K (Bᵀ ⊗ A) Kᵀ = A ⊗ Bᵀ", twin, axb_jacobian_row_major(A, B), 1e-15)
    assert_close("vec_r(AXB)", vec_r(A @ X @ B), axb_jacobian_row_major(A, B) @ vec_r(X), 1e-12)


@pytest.mark.parametrize(("k", "n", "m", "p"), SHAPES)
def test_axb_vjp(k, n, m, p):
    d = random_problem(k, n, m, p)
    A, X, B, G = d["A"], d["X"], d["B"], d["G_axb"]
    check_vjp(
        "AᵀGBᵀ", axb_vjp(A, B, G), lambda Y: A @ Y @ B, lambda Y: axb_reference(A, Y, B), X, G
    )
    collapsed = unvec(axb_jacobian(A, B).T @ vec(G), n, m)  # vec(G)ᵀ(Bᵀ ⊗ A), put back
    assert_close("AᵀGBᵀ is vec(G)ᵀ(Bᵀ ⊗ A)", axb_vjp(A, B, G), collapsed, 1e-12)


@pytest.mark.parametrize(("k", "n", "m", "p"), SHAPES)
def test_xtx_jacobian_and_its_structure(k, n, m, p):
    X = random_problem(k, n, m, p)["X"]
    jacobian = xtx_jacobian(X)
    assert jacobian.shape == (m * m, n * m)
    check_jacobian(
        "(I + K)(I ⊗ Xᵀ)",
        jacobian,
        in_vec_order(lambda Y: Y.T @ Y, n, m),
        in_vec_order_reference(xtx_reference, n, m),
        vec(X),
    )
    K_mm, K_nm = commutation_matrix(m, m), commutation_matrix(n, m)
    before_swap = np.kron(X.T, np.eye(m)) @ K_nm + np.kron(np.eye(m), X.T)
    assert_close("(Xᵀ ⊗ I)K + I ⊗ Xᵀ", jacobian, before_swap, 1e-15)
    assert_close("every column the vec of a symmetric matrix: KJ = J", K_mm @ jacobian, jacobian, 0)
    row_major = (np.eye(m * m) + K_mm) @ np.kron(X.T, np.eye(m))
    assert_close("row-major: factors swapped", row_major, K_mm @ jacobian @ K_nm.T, 1e-15)
    check_jacobian("row-major (I + K)(Xᵀ ⊗ I)", row_major, lambda Y: Y.T @ Y, xtx_reference, X)


@pytest.mark.parametrize(("k", "n", "m", "p"), SHAPES)
def test_xxt_jacobian_and_its_structure(k, n, m, p):
    X = random_problem(k, n, m, p)["X"]
    jacobian = xxt_jacobian(X)
    assert jacobian.shape == (n * n, n * m)
    check_jacobian(
        "(I + K)(X ⊗ I)",
        jacobian,
        in_vec_order(lambda Y: Y @ Y.T, n, m),
        in_vec_order_reference(xxt_reference, n, m),
        vec(X),
    )
    K_nn, K_nm = commutation_matrix(n, n), commutation_matrix(n, m)
    before_swap = np.kron(X, np.eye(n)) + np.kron(np.eye(n), X) @ K_nm
    assert_close("(X ⊗ I) + (I ⊗ X)K", jacobian, before_swap, 1e-15)
    assert_close("KJ = J", K_nn @ jacobian, jacobian, 0)
    row_major = (np.eye(n * n) + K_nn) @ np.kron(np.eye(n), X)
    assert_close("row-major: factors swapped", row_major, K_nn @ jacobian @ K_nm.T, 1e-15)
    check_jacobian("row-major (I + K)(I ⊗ X)", row_major, lambda Y: Y @ Y.T, xxt_reference, X)


@pytest.mark.parametrize(("k", "n", "m", "p"), SHAPES)
def test_xbx_jacobian_both_orders(k, n, m, p):
    d = random_problem(k, n, m, p)
    X, B = d["X"], d["B_mid"]
    jacobian = xbx_jacobian(X, B)
    assert jacobian.shape == (n * m, n * m)
    check_jacobian(
        "(BX)ᵀ ⊕ XB",
        jacobian,
        in_vec_order(lambda Y: Y @ B @ Y, n, m),
        in_vec_order_reference(lambda Y: xbx_reference(Y, B), n, m),
        vec(X),
    )
    check_jacobian(
        "XB ⊕ (BX)ᵀ",
        xbx_jacobian_row_major(X, B),
        lambda Y: Y @ B @ Y,
        lambda Y: xbx_reference(Y, B),
        X,
    )
    K_nm = commutation_matrix(n, m)
    assert_close("the twins", xbx_jacobian_row_major(X, B), K_nm @ jacobian @ K_nm.T, 1e-15)


@pytest.mark.parametrize(("k", "n", "m", "p"), SHAPES)
def test_vjps_of_xtx_xxt_xbx(k, n, m, p):
    d = random_problem(k, n, m, p)
    X, B = d["X"], d["B_mid"]
    G_xtx, G_xxt, G_xbx = d["G_xtx"], d["G_xxt"], d["G_xbx"]
    check_vjp("X(G + Gᵀ)", xtx_vjp(X, G_xtx), lambda Y: Y.T @ Y, xtx_reference, X, G_xtx)
    check_vjp("(G + Gᵀ)X", xxt_vjp(X, G_xxt), lambda Y: Y @ Y.T, xxt_reference, X, G_xxt)
    check_vjp(
        "G(BX)ᵀ + (XB)ᵀG",
        xbx_vjp(X, B, G_xbx),
        lambda Y: Y @ B @ Y,
        lambda Y: xbx_reference(Y, B),
        X,
        G_xbx,
    )
    # each VJP is vec(G)ᵀ J collapsed
    assert_close(
        "XᵀX collapse", xtx_vjp(X, G_xtx), unvec(xtx_jacobian(X).T @ vec(G_xtx), n, m), 1e-12
    )
    assert_close(
        "XXᵀ collapse", xxt_vjp(X, G_xxt), unvec(xxt_jacobian(X).T @ vec(G_xxt), n, m), 1e-12
    )
    collapsed = unvec(xbx_jacobian(X, B).T @ vec(G_xbx), n, m)
    assert_close("XBX collapse", xbx_vjp(X, B, G_xbx), collapsed, 1e-12)


@pytest.mark.parametrize(("k", "n", "m", "p"), SHAPES)
def test_only_the_symmetric_part_of_g_reaches_x(k, n, m, p):
    d = random_problem(k, n, m, p)
    X, G = d["X"], d["G_xtx"]
    symmetric = (G + G.T) / 2
    assert_close("X(G + Gᵀ) = 2X sym(G)", xtx_vjp(X, G), 2 * X @ symmetric, 1e-12)
    assert_close("2XG for a symmetric G", xtx_vjp(X, symmetric), 2 * X @ symmetric, 1e-12)
    assert relative_error(2 * X @ G, xtx_vjp(X, G)) > 1e-2, "2XG is wrong for G ≠ Gᵀ"
    G = d["G_xxt"]
    assert relative_error(2 * G @ X, xxt_vjp(X, G)) > 1e-2, "2GX is wrong for G ≠ Gᵀ"


@pytest.mark.parametrize(("k", "n", "m", "p"), SHAPES)
def test_numerical_vjp(k, n, m, p):
    d = random_problem(k, n, m, p)
    A, X, B, G = d["A"], d["X"], d["B"], d["G_axb"]
    numeric = numerical_vjp(lambda Y: A @ Y @ B, X, G)
    assert numeric.shape == X.shape
    reference = (G.ravel() @ numerical_jacobian(lambda Y: A @ Y @ B, X)).reshape(n, m)
    assert_close("numerical_vjp", numeric, reference, 0)
    assert_close("numerical_vjp is AᵀGBᵀ", numeric, A.T @ G @ B.T, 1e-6)


@pytest.mark.parametrize(("n", "m"), [(4, 3), (2, 5), (6, 2)])
def test_quadratic_form_identity_and_the_cookbooks_condition(n, m):
    rng = np.random.default_rng([n, m])
    X, B = rng.standard_normal((n, m)), rng.standard_normal((m, m))
    a, c = rng.standard_normal((1, n)), rng.standard_normal((1, n))
    v = vec(X)
    value = quadratic_form(X, B, a, c)
    assert (
        abs(value - float(anp.sum(anp.dot(anp.dot(a, X), anp.dot(B, anp.dot(X.T, c.T)))))) < 1e-12
    )
    assert_close(
        "vec(X)ᵀ(Bᵀ ⊗ cᵀa)vec(X)", (v.T @ quadratic_form_matrix(B, a, c) @ v)[0, 0], value, 1e-12
    )
    cookbook = (v.T @ cookbook_quadratic_form_matrix(B, a, c) @ v)[0, 0]
    assert_close(
        "the Cookbook's form is a X Bᵀ Xᵀ cᵀ", cookbook, quadratic_form(X, B.T, a, c), 1e-12
    )
    assert relative_error(cookbook, value) > 1e-3, "B not symmetric, a ∦ c: the forms differ"
    B_sym = B + B.T
    cookbook_sym = (v.T @ cookbook_quadratic_form_matrix(B_sym, a, c) @ v)[0, 0]
    assert_close("symmetric B", cookbook_sym, quadratic_form(X, B_sym, a, c), 1e-12)
    cookbook_parallel = (v.T @ cookbook_quadratic_form_matrix(B, a, -2 * a) @ v)[0, 0]
    assert_close("c ∥ a", cookbook_parallel, quadratic_form(X, B, a, -2 * a), 1e-12)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_inverse_jacobian_in_column_major_order(n):
    """The page's aside: matrix_identities' row-major −X⁻¹ ⊗ X⁻ᵀ is −X⁻ᵀ ⊗ X⁻¹ column-major."""
    rng = np.random.default_rng([n, 7])
    X = rng.standard_normal((n, n)) + 2 * n * np.eye(n)
    X_inverse = np.linalg.inv(X)
    check_jacobian(
        "−X⁻ᵀ ⊗ X⁻¹",
        -np.kron(X_inverse.T, X_inverse),
        in_vec_order(np.linalg.inv, n, n),
        in_vec_order_reference(anp.linalg.inv, n, n),
        vec(X),
    )


def test_column_convention_tab():
    """vec(∇_X L) = Jᵀ vec(∇_F L) for each F: the same matrices as the row-vector VJPs."""
    k, n, m, p = SHAPES[0]
    d = random_problem(k, n, m, p)
    A, X, B, B_mid = d["A"], d["X"], d["B"], d["B_mid"]
    pairs = [
        (axb_jacobian(A, B), d["G_axb"], axb_vjp(A, B, d["G_axb"])),
        (xtx_jacobian(X), d["G_xtx"], xtx_vjp(X, d["G_xtx"])),
        (xxt_jacobian(X), d["G_xxt"], xxt_vjp(X, d["G_xxt"])),
        (xbx_jacobian(X, B_mid), d["G_xbx"], xbx_vjp(X, B_mid, d["G_xbx"])),
    ]
    for jacobian, G, row_result in pairs:
        assert_close("Jᵀ vec(∇_F L)", jacobian.T @ vec(G), vec(row_result), 1e-12)
    K_mm, K_nn = commutation_matrix(m, m), commutation_matrix(n, n)
    G = d["G_xtx"]
    written = np.kron(np.eye(m), X) @ (np.eye(m * m) + K_mm) @ vec(G)
    assert_close("(I ⊗ X)(I + K) vec G", written, vec(X @ (G + G.T)), 1e-12)
    G = d["G_xxt"]
    written = np.kron(X.T, np.eye(n)) @ (np.eye(n * n) + K_nn) @ vec(G)
    assert_close("(Xᵀ ⊗ I)(I + K) vec G", written, vec((G + G.T) @ X), 1e-12)
    G = d["G_xbx"]
    written = (np.kron(B_mid @ X, np.eye(n)) + np.kron(np.eye(m), (X @ B_mid).T)) @ vec(G)
    assert_close("(BX ⊗ I + I ⊗ (XB)ᵀ) vec G", written, vec(xbx_vjp(X, B_mid, G)), 1e-12)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("vec_kronecker")
    checks = [line for line in lines if "DIFFERS" not in line]
    mistakes = [line.rsplit(": DIFFERS", 1)[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 16 and all(line.endswith(": matches") for line in checks), checks
    assert mistakes == [
        "(Bᵀ ⊗ A) X.ravel() (row-major vec)",
        "(Bᵀ ⊗ A) vec X, then .reshape(k, p)",
        "(A ⊗ Bᵀ) vec X (factors swapped)",
        "XᵀX: 2XG (Gᵀ dropped, G not symmetric)",
        "XBX: G(BX)ᵀ (the second X forgotten)",
        "Cookbook's (B ⊗ cᵀa), B not symmetric, c ≠ a",
    ], "every common mistake must still fail"
