"""docs/backward_mechanics.md ↔ snippets/backward_mechanics.py: the backward pass of broadcasting
(a sum over the broadcast axes), of einsum (an einsum of G with the other operands) and of a
variable used twice (the gradients add)."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.backward_mechanics import (
    broadcast,
    broadcast_jacobian,
    einsum_along,
    einsum_figure,
    einsum_jacobian,
    einsum_vjp,
    gate,
    gate_jacobian,
    gate_vjp,
    reuse_figure,
    structure_figure,
    unbroadcast,
    vjp_subscripts,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo

EXACT = 1e-12  # two ways to the same sums: they agree up to rounding


def draw(rng, *shapes):
    """One standard normal array per shape."""
    return [rng.standard_normal(shape) for shape in shapes]


# --- broadcasting


def broadcast_reference(out_shape):
    """Broadcasting written again for autograd: a times an array of ones of the output's shape."""
    return lambda a: a * anp.ones(out_shape)


def broadcast_cases(N, m):
    """(the variable's shape, the broadcast shape): row, 1-D row, column, 0-d and (1, 1)."""
    return [((1, m), (N, m)), ((m,), (N, m)), ((N, 1), (N, m)), ((), (N, m)), ((1, 1), (N, m))]


@pytest.mark.parametrize(("N", "m"), [(5, 3), (2, 7), (6, 4)])
def test_broadcast_jacobian_and_vjp(N, m):
    rng = np.random.default_rng(N + m)
    for shape, out_shape in broadcast_cases(N, m):
        a, G = np.asarray(rng.standard_normal(shape)), rng.standard_normal(out_shape)
        forward = lambda a, out_shape=out_shape: broadcast(a, out_shape)  # noqa: E731
        reference = broadcast_reference(out_shape)
        jacobian = broadcast_jacobian(shape, out_shape)
        check_jacobian(f"broadcast_jacobian {shape}", jacobian, forward, reference, a)
        check_vjp(f"unbroadcast {shape}", unbroadcast(G, shape), forward, reference, a, G)


@pytest.mark.parametrize(
    ("shape", "out_shape"),
    [((1, 4, 1), (2, 4, 3)), ((4, 1), (2, 4, 3)), ((3,), (2, 4, 3)), ((2, 1, 3), (2, 4, 3))],
)
def test_broadcast_in_three_dimensions(shape, out_shape):
    """Axes added in front and size-1 axes stretched, in any mix: 2 × 4 × 3 outputs."""
    rng = np.random.default_rng(len(shape))
    a, G = rng.standard_normal(shape), rng.standard_normal(out_shape)
    forward = lambda a: broadcast(a, out_shape)  # noqa: E731
    reference = broadcast_reference(out_shape)
    check_jacobian(
        "broadcast_jacobian", broadcast_jacobian(shape, out_shape), forward, reference, a
    )
    check_vjp("unbroadcast", unbroadcast(G, shape), forward, reference, a, G)


def test_broadcast_jacobians_are_the_kronecker_stacks():
    N, m = 5, 3
    ones_N, ones_m = np.ones((N, 1)), np.ones((m, 1))
    assert np.array_equal(broadcast_jacobian((1, m), (N, m)), np.kron(ones_N, np.eye(m)))
    assert np.array_equal(broadcast_jacobian((m,), (N, m)), np.kron(ones_N, np.eye(m)))
    assert np.array_equal(broadcast_jacobian((N, 1), (N, m)), np.kron(np.eye(N), ones_m))
    assert np.array_equal(broadcast_jacobian((), (N, m)), np.ones((N * m, 1)))
    assert np.array_equal(broadcast_jacobian((N, m), (N, m)), np.eye(N * m))


def test_unbroadcast_is_the_ones_formulas():
    """𝟏_Nᵀ G for a row, G 𝟏_m for a column, 𝟏_Nᵀ G 𝟏_m for a scalar; each the variable's shape."""
    N, m = 5, 3
    G = np.random.default_rng(0).standard_normal((N, m))
    ones_N, ones_m = np.ones((N, 1)), np.ones((m, 1))
    assert_close("row", unbroadcast(G, (1, m)), ones_N.T @ G, EXACT)
    assert_close("1-D row", unbroadcast(G, (m,)), (ones_N.T @ G).ravel(), EXACT)
    assert_close("column", unbroadcast(G, (N, 1)), G @ ones_m, EXACT)
    assert_close("scalar", unbroadcast(G, ()), (ones_N.T @ G @ ones_m).reshape(()), EXACT)
    assert np.array_equal(unbroadcast(G, (N, m)), G), "no broadcast, no sum"


def test_broadcast_figures_are_the_stacks():
    """The page's pictures 𝟏_N ⊗ I_m and 𝟏_2 ⊗ I_n are broadcast_jacobian's."""
    for figure in (structure_figure(), reuse_figure()):
        assert np.array_equal(figure.matrix, np.kron(*figure.factors))


# --- einsum

SIZES = {"a": 6, "i": 5, "j": 4, "k": 3, "l": 2}  # one size per letter, pairwise distinct
EINSUMS = [  # subscripts; each operand is differentiated in turn
    "ij,jk->ik",  # a matrix product
    "ij->i",  # row sums: j found nowhere else
    "ij->j",  # column sums
    "ij,jk,kl->il",  # three operands
    "ij,jk->i",  # a product, then row sums: k is alone in B
    "i,j->ij",  # an outer product
    "ij,ij->",  # the Frobenius product
    "ai,ij,aj->a",  # a bilinear form per row
    "aij,ajk->aik",  # a batch of matrix products
    "ij->ji",  # a transpose
]
CASES = [(s, k) for s in EINSUMS for k in range(len(s.split("->")[0].split(",")))]


def operands_of(subscripts, seed):
    """Random operands with the sizes of SIZES for the letters of ``subscripts``."""
    rng = np.random.default_rng(seed)
    letters = subscripts.split("->")[0].split(",")
    return [rng.standard_normal(tuple(SIZES[letter] for letter in term)) for term in letters]


def einsum_reference(subscripts, operands, k):
    """The einsum as a function of operand k, written again with autograd's einsum."""

    def of_operand(X):
        return anp.einsum(subscripts, *operands[:k], X, *operands[k + 1 :])

    return of_operand


@pytest.mark.parametrize(("subscripts", "k"), CASES, ids=[f"{s}:{k}" for s, k in CASES])
def test_einsum_jacobian_and_vjp(subscripts, k):
    operands = operands_of(subscripts, len(subscripts) + k)
    output = np.einsum(subscripts, *operands)
    G = np.asarray(np.random.default_rng(k).standard_normal(output.shape))
    forward = einsum_along(subscripts, operands, k)
    reference = einsum_reference(subscripts, operands, k)
    jacobian = einsum_jacobian(subscripts, operands, k)
    check_jacobian(f"einsum_jacobian {subscripts}", jacobian, forward, reference, operands[k])
    vjp = einsum_vjp(subscripts, operands, G, k)
    check_vjp(f"einsum_vjp {subscripts}", vjp, forward, reference, operands[k], G)


@pytest.mark.parametrize(
    ("subscripts", "k", "backward"),
    [
        ("ij,jk->ik", 0, "ik,jk->ij"),
        ("ij,jk->ik", 1, "ik,ij->jk"),
        ("ij->i", 0, "i,j->ij"),
        ("ij,jk,kl->il", 1, "il,ij,kl->jk"),
        ("ij,jk->i", 1, "i,ij,k->jk"),
        ("ij,ij->", 0, ",ij->ij"),
    ],
)
def test_vjp_subscripts_are_the_rule(subscripts, k, backward):
    """G's letters and the other operands' in, the operand's out, ones for each lonely letter."""
    assert vjp_subscripts(subscripts, k) == backward


def test_einsum_rule_is_the_matrix_forms():
    """The page's results: GBᵀ and AᵀG for C = AB, AᵀGEᵀ for D = ABE, G𝟏_nᵀ for u = A𝟏_n."""
    N, n, m, p = 5, 4, 3, 2
    rng = np.random.default_rng(0)
    A, B, E = draw(rng, (N, n), (n, m), (m, p))
    G_C, G_D, G_u = draw(rng, (N, m), (N, p), (N,))
    assert_close("GBᵀ", einsum_vjp("ij,jk->ik", [A, B], G_C, 0), G_C @ B.T, EXACT)
    assert_close("AᵀG", einsum_vjp("ij,jk->ik", [A, B], G_C, 1), A.T @ G_C, EXACT)
    assert_close("AᵀGEᵀ", einsum_vjp("ij,jk,kl->il", [A, B, E], G_D, 1), A.T @ G_D @ E.T, EXACT)
    broadcast_back = G_u[:, None] @ np.ones((1, n))
    assert_close("G𝟏_nᵀ", einsum_vjp("ij->i", [A], G_u, 0), broadcast_back, EXACT)


def test_einsum_jacobians_are_the_kronecker_forms():
    """Row by row: ∂C/∂A = I_N ⊗ Bᵀ, ∂C/∂B = A ⊗ I_m, ∂D/∂B = A ⊗ Eᵀ, ∂u/∂A = I_N ⊗ 𝟏_nᵀ."""
    N, n, m, p = 5, 4, 3, 2
    A, B, E = draw(np.random.default_rng(1), (N, n), (n, m), (m, p))
    assert_close("I ⊗ Bᵀ", einsum_jacobian("ij,jk->ik", [A, B], 0), np.kron(np.eye(N), B.T), 0)
    assert_close("A ⊗ I", einsum_jacobian("ij,jk->ik", [A, B], 1), np.kron(A, np.eye(m)), 0)
    assert_close("A ⊗ Eᵀ", einsum_jacobian("ij,jk,kl->il", [A, B, E], 1), np.kron(A, E.T), EXACT)
    row_sums = np.kron(np.eye(N), np.ones((1, n)))
    assert_close("I ⊗ 𝟏ᵀ", einsum_jacobian("ij->i", [A], 0), row_sums, 0)


def test_einsum_figure_repeats_one_block():
    """I_N ⊗ Bᵀ: the N diagonal blocks of the picture are one and the same Bᵀ."""
    figure = einsum_figure()
    (rows, columns), count = figure.blocks[0], len(figure.blocks)
    first = figure.matrix[:rows, :columns]
    for block in range(1, count):
        part = figure.matrix[block * rows :, block * columns :][:rows, :columns]
        assert np.array_equal(part, first)


# --- a variable used twice


def gate_reference(M):
    """(xM) ∘ x written again for autograd."""
    return lambda x: anp.dot(x, M) * x


@pytest.mark.parametrize("n", [2, 5, 17])
def test_gate_jacobian(n):
    x, M = draw(np.random.default_rng(n), (1, n), (n, n))  # M square
    forward = lambda x: gate(x, M)  # noqa: E731
    check_jacobian("gate_jacobian", gate_jacobian(x, M), forward, gate_reference(M), x)


@pytest.mark.parametrize("n", [2, 5, 17])
def test_gate_vjp(n):
    x, M, g = draw(np.random.default_rng(n), (1, n), (n, n), (1, n))  # M square
    forward = lambda x: gate(x, M)  # noqa: E731
    check_vjp("gate_vjp", gate_vjp(x, M, g), forward, gate_reference(M), x, g)


@pytest.mark.parametrize("n", [3, 6])
def test_square_is_the_gate_with_the_identity(n):
    """y = x ∘ x: both paths give g ∘ x, so the sum is 2 g ∘ x, and either alone is half."""
    x, g = draw(np.random.default_rng(n), (1, n), (1, n))
    identity = np.eye(n)
    check_vjp("gate_vjp, M = I", gate_vjp(x, identity, g), lambda x: x * x, lambda x: x * x, x, g)
    assert_close("2 g ∘ x", gate_vjp(x, identity, g), 2 * g * x, EXACT)
    assert_close("Diag(2x)", gate_jacobian(x, identity), np.diag(2 * x.ravel()), EXACT)


@pytest.mark.parametrize("n", [3, 6])
def test_column_convention_tab(n):
    """∇_b L = Gᵀ 𝟏_N; ∇_x L = M (xᵀ ∘ ∇_y L) + (Mᵀ xᵀ) ∘ ∇_y L, all columns."""
    N = n + 2
    rng = np.random.default_rng(n)
    G, x, M, g = draw(rng, (N, n), (1, n), (n, n), (1, n))  # M square
    assert_close("∇_b L", G.T @ np.ones((N, 1)), unbroadcast(G, (1, n)).T, EXACT)
    x_column, gradient_column = x.T, g.T
    column = M @ (x_column * gradient_column) + (M.T @ x_column) * gradient_column
    assert_close("∇_x L", column, gate_vjp(x, M, g).T, EXACT)


# --- the page


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("backward_mechanics")
    checks = [line for line in lines if "DIFFERS" not in line]
    mistakes = [line.split(": DIFFERS")[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 17 and all(line.endswith(": matches") for line in checks)
    assert mistakes == [
        "G itself (not summed)",
        "G.sum(axis=1) (the wrong axis)",
        "G.mean(axis=0, keepdims=True)",
        "ik,jk->ji (A's letters out of order)",
        "G itself for ij->i (not broadcast along j)",
        "(xM) ∘ x, grad = … for each path",
        "x ∘ x, grad = … for each path",
    ], "every common mistake must still fail"


def test_the_mean_and_the_overwrite_are_off_by_fixed_factors():
    """The page's 0.8 is 1 − 1/N for N = 5, and its 0.5 is exact: neither depends on the draw."""
    lines = run_page_demo("backward_mechanics")
    assert "G.mean(axis=0, keepdims=True): DIFFERS, relative error 0.8" in lines
    assert "x ∘ x, grad = … for each path: DIFFERS, relative error 0.5" in lines
