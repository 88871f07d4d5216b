"""docs/attention.md ↔ snippets/attention.py: one attention head, its Jacobians and VJPs."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.attention import (
    attention,
    attention_jacobians,
    attention_probabilities,
    attention_vjp,
    attention_vjp_flash,
    causal_mask,
    output_row_sums,
    score_gradient,
    score_gradient_flash,
    softmax_rows_jacobian,
)
from tests.gradients import (
    assert_close,
    autograd_vjp,
    check_jacobian,
    check_vjp,
    relative_error,
    run_page_demo,
    with_argument,
)

SHAPES = [(2, 1, 1), (3, 2, 4), (4, 3, 2), (6, 5, 3)]  # (T, d, d_v)
MASKS = [False, True]
DISTINCT = [(3, 2, 4), (4, 3, 2), (6, 5, 3), (2, 4, 7)]  # (T, d, d_v) pairwise distinct, ≥ 2


def probabilities_reference(S, causal):
    """e^S_tj / Σ_k e^S_tk per row, masked by multiplying by 0 (not by −inf), for autograd."""
    allowed = np.tril(np.ones(S.shape)) if causal else np.ones(S.shape)
    e = anp.exp(S) * allowed
    return e / anp.sum(e, axis=1, keepdims=True)


def attention_reference(Q, K, V, causal):
    """O = softmax(QKᵀ/√d) V written again with autograd.numpy."""
    S = anp.dot(Q, anp.transpose(K)) / np.sqrt(Q.shape[1])
    return anp.dot(probabilities_reference(S, causal), V)


def random_head(T, d, d_v):
    rng = np.random.default_rng([T, d, d_v])
    Q, K = 1.5 * rng.standard_normal((T, d)), 1.5 * rng.standard_normal((T, d))
    return Q, K, rng.standard_normal((T, d_v)), rng.standard_normal((T, d_v))


@pytest.mark.parametrize("causal", MASKS)
@pytest.mark.parametrize("T", [2, 3, 5, 8])
def test_softmax_rows_jacobian(T, causal):
    S = 2 * np.random.default_rng(T).standard_normal((T, T))
    check_jacobian(
        "softmax_rows_jacobian",
        softmax_rows_jacobian(S, causal),
        lambda S: attention_probabilities(S, causal),
        lambda S: probabilities_reference(S, causal),
        S,
    )


@pytest.mark.parametrize("causal", MASKS)
@pytest.mark.parametrize("T", [2, 5, 8])
def test_softmax_rows_jacobian_is_block_diagonal(T, causal):
    S = 2 * np.random.default_rng(T).standard_normal((T, T))
    jacobian, P = softmax_rows_jacobian(S, causal), attention_probabilities(S, causal)
    blocks = jacobian.reshape(T, T, T, T)  # (t, j, s, k): ∂P_tj/∂S_sk
    for t in range(T):
        for s in range(T):
            if s != t:
                assert not blocks[t, :, s, :].any(), "rows of P must not interact"
        block = np.diag(P[t]) - np.outer(P[t], P[t])
        assert_close(f"block {t}", blocks[t, :, t, :], block, 1e-15)
    if causal:  # a masked score changes nothing, and a masked probability never moves
        masked = ~causal_mask(T)
        assert not blocks[masked].any() and not blocks.transpose(2, 3, 0, 1)[masked].any()


@pytest.mark.parametrize("causal", MASKS)
@pytest.mark.parametrize(("T", "d", "d_v"), SHAPES)
def test_attention_jacobians(T, d, d_v, causal):
    Q, K, V, _ = random_head(T, d, d_v)
    by_q, by_k, by_v = attention_jacobians(Q, K, V, causal)
    check_jacobian(
        "∂vec O/∂vec Q",
        by_q,
        lambda Q: attention(Q, K, V, causal),
        lambda Q: attention_reference(Q, K, V, causal),
        Q,
    )
    check_jacobian(
        "∂vec O/∂vec K",
        by_k,
        lambda K: attention(Q, K, V, causal),
        lambda K: attention_reference(Q, K, V, causal),
        K,
    )
    check_jacobian(
        "∂vec O/∂vec V",
        by_v,
        lambda V: attention(Q, K, V, causal),
        lambda V: attention_reference(Q, K, V, causal),
        V,
    )


@pytest.mark.parametrize(("T", "d"), [(2, 1), (4, 3), (5, 7)])
def test_score_jacobian_by_k_is_a_kronecker_product_in_column_order(T, d):
    """∂vec_r S/∂vec K = (Q ⊗ I_T)/√d: K's entries taken column by column, as the page says."""
    Q, K, V, _ = random_head(T, d, 1)
    _, by_k, _ = attention_jacobians(Q, K, V)
    columns_of_k = np.arange(T * d).reshape(T, d).T.ravel()  # vec K in terms of vec_r K
    chain = np.kron(np.eye(T), V.T) @ softmax_rows_jacobian(Q @ K.T / np.sqrt(d))
    kronecker = chain @ np.kron(Q, np.eye(T)) / np.sqrt(d)
    assert_close("Kronecker form", by_k[:, columns_of_k], kronecker, 1e-13)


@pytest.mark.parametrize("causal", MASKS)
def test_one_token_attends_to_itself_alone(causal):
    """T = 1: P = [[1]] whatever the score, so O = V, ∂L/∂V = G and ∂L/∂Q = ∂L/∂K = 0 exactly
    (a relative comparison with a rounding-sized reference would test nothing here)."""
    Q, K, V, G = random_head(1, 2, 4)
    by_q, by_k, by_v = attention_vjp(Q, K, V, G, causal)
    assert np.array_equal(by_v, G)
    assert not np.any(by_q) and not np.any(by_k)


@pytest.mark.parametrize("causal", MASKS)
@pytest.mark.parametrize(("T", "d", "d_v"), SHAPES)
def test_vjp(T, d, d_v, causal):
    Q, K, V, G = random_head(T, d, d_v)
    by_q, by_k, by_v = attention_vjp(Q, K, V, G, causal)
    check_vjp(
        "∂L/∂Q",
        by_q,
        lambda Q: attention(Q, K, V, causal),
        lambda Q: attention_reference(Q, K, V, causal),
        Q,
        G,
    )
    check_vjp(
        "∂L/∂K",
        by_k,
        lambda K: attention(Q, K, V, causal),
        lambda K: attention_reference(Q, K, V, causal),
        K,
        G,
    )
    check_vjp(
        "∂L/∂V",
        by_v,
        lambda V: attention(Q, K, V, causal),
        lambda V: attention_reference(Q, K, V, causal),
        V,
        G,
    )


@pytest.mark.parametrize("causal", MASKS)
@pytest.mark.parametrize(("T", "d", "d_v"), SHAPES)
def test_forward_matches_the_definition(T, d, d_v, causal):
    Q, K, V, _ = random_head(T, d, d_v)
    assert relative_error(attention(Q, K, V, causal), attention_reference(Q, K, V, causal)) < 1e-14
    P = attention_probabilities(Q @ K.T / np.sqrt(d), causal)
    assert relative_error(P.sum(axis=1), np.ones(T)) < 1e-15


@pytest.mark.parametrize(("T", "d", "d_v"), SHAPES)
def test_default_is_the_unmasked_head(T, d, d_v):
    """Without `causal`, every query sees every key: O = softmax(QKᵀ/√d) V, and its VJP."""
    Q, K, V, G = random_head(T, d, d_v)
    assert relative_error(attention(Q, K, V), attention_reference(Q, K, V, False)) < 1e-14
    forwards = [
        lambda Q: attention_reference(Q, K, V, False),
        lambda K: attention_reference(Q, K, V, False),
        lambda V: attention_reference(Q, K, V, False),
    ]
    for name, ours, forward, x in zip(
        "QKV", attention_vjp(Q, K, V, G), forwards, (Q, K, V), strict=True
    ):
        assert_close(f"attention_vjp default, ∂L/∂{name}", ours, autograd_vjp(forward, x, G), 1e-10)


def test_causal_first_query_sees_only_itself():
    """Row 1 of P is (1, 0, …, 0) under the mask, so O_1 = V_1 and ∂L/∂Q_1 = 0 exactly."""
    Q, K, V, G = random_head(4, 3, 2)
    assert np.array_equal(attention(Q, K, V, causal=True)[0], V[0])
    assert not attention_vjp(Q, K, V, G, causal=True)[0][0].any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mask_and_huge_scores_give_no_nan(dtype):
    """Scores ±1e4: the max is taken out, masked entries are exactly 0, nothing overflows."""
    S = np.array([[1e4, 5.0, -1e4], [-1e4, 1e4, 1e4], [0.0, -1e4, 1e4]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        P = attention_probabilities(S, causal=True)
        plain = attention_probabilities(S)
    assert P.dtype == dtype and np.all(np.isfinite(P)) and np.all(np.isfinite(plain))
    assert np.array_equal(P, [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert np.array_equal(plain, [[1, 0, 0], [0, 0.5, 0.5], [0, 0, 1]])
    Q, K, V, G = (np.array(a, dtype=dtype) for a in random_head(3, 2, 4))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        gradients = attention_vjp(1e3 * Q, 1e3 * K, V, G, causal=True)
    assert all(np.all(np.isfinite(gradient)) for gradient in gradients)


@pytest.mark.parametrize("causal", MASKS)
@pytest.mark.parametrize(("T", "d", "d_v"), SHAPES)
def test_column_convention_tab(T, d, d_v, causal):
    """Tokens as columns: Q_c = Qᵀ, K_c = Kᵀ, V_c = Vᵀ, Γ = Gᵀ; A = column softmax of K_cᵀQ_c/√d.

    ∇_{V_c} L = Γ Aᵀ, Γ_A = V_cᵀ Γ, U_c = A ∘ Γ_A, Γ_S = U_c − A Diag(1ᵀU_c),
    ∇_{Q_c} L = K_c Γ_S / √d, ∇_{K_c} L = Q_c Γ_Sᵀ / √d; each is the row result transposed.
    """
    Q, K, V, G = random_head(T, d, d_v)
    Q_c, K_c, V_c, Gamma = Q.T, K.T, V.T, G.T
    S_c = K_c.T @ Q_c / np.sqrt(d)  # column t holds query t's scores
    allowed = np.triu(np.ones((T, T))) if causal else np.ones((T, T))  # key j ≤ query t
    E = np.exp(S_c - S_c.max(axis=0, keepdims=True)) * allowed
    A = E / E.sum(axis=0, keepdims=True)  # a softmax per column
    assert relative_error(A.sum(axis=0), np.ones(T)) < 1e-15
    Gamma_A = V_c.T @ Gamma
    U_c = A * Gamma_A
    Gamma_S = U_c - A @ np.diag((np.ones((1, T)) @ U_c)[0])
    columns = (K_c @ Gamma_S / np.sqrt(d), Q_c @ Gamma_S.T / np.sqrt(d), Gamma @ A.T)
    for name, column, row in zip("QKV", columns, attention_vjp(Q, K, V, G, causal), strict=True):
        assert column.shape == row.T.shape
        assert_close(f"column tab, ∇ of {name}_c", column, row.T, 1e-13)
    assert_close("column O_c = V_c A", V_c @ A, attention(Q, K, V, causal).T, 1e-14)


@pytest.mark.parametrize("causal", MASKS)
@pytest.mark.parametrize(("T", "d", "d_v"), DISTINCT)
def test_output_row_sums_are_the_row_sums_of_u(T, d, d_v, causal):
    """(G ∘ O)1 = (P ∘ GVᵀ)1: Σ_j P_tj Σ_c G_tc V_jc = Σ_c G_tc O_tc, with or without the mask."""
    Q, K, V, G = random_head(T, d, d_v)
    P = attention_probabilities(Q @ K.T / np.sqrt(d), causal)
    D = output_row_sums(attention(Q, K, V, causal), G)
    assert D.shape == (T, 1)
    assert_close("D", D, (P * (G @ V.T)).sum(axis=1, keepdims=True), 1e-13)
    assert_close("D = diag(G Oᵀ)", D[:, 0], np.diag(G @ (P @ V).T), 1e-13)


@pytest.mark.parametrize("causal", MASKS)
@pytest.mark.parametrize(("T", "d", "d_v"), DISTINCT)
def test_both_score_gradients_are_the_vjp_of_softmax_then_v(T, d, d_v, causal):
    """∂L/∂S for O = softmax(S)V: U − (U1)1ᵀ ∘ P and P ∘ (G_P − D1ᵀ), against autograd and FD."""
    Q, K, V, G = random_head(T, d, d_v)
    S = Q @ K.T / np.sqrt(d)
    P = attention_probabilities(S, causal)
    G_P = G @ V.T
    flash = score_gradient_flash(P, G_P, output_row_sums(P @ V, G))
    assert flash.shape == (T, T)
    assert_close("the two forms", flash, score_gradient(P, G_P), 1e-13)
    for name, ours in [("page's form", score_gradient(P, G_P)), ("FlashAttention's", flash)]:
        check_vjp(
            f"∂L/∂S, {name}",
            ours,
            lambda S: attention_probabilities(S, causal) @ V,
            lambda S: anp.dot(probabilities_reference(S, causal), V),
            S,
            G,
        )
    if causal:
        assert not flash[~causal_mask(T)].any(), "masked scores get no gradient"


@pytest.mark.parametrize("causal", MASKS)
@pytest.mark.parametrize(("T", "d", "d_v"), DISTINCT)
def test_flash_vjp(T, d, d_v, causal):
    Q, K, V, G = random_head(T, d, d_v)
    flash = attention_vjp_flash(Q, K, V, G, causal)
    for name, ours, page in zip("QKV", flash, attention_vjp(Q, K, V, G, causal), strict=True):
        assert_close(f"∂L/∂{name}: FlashAttention's form vs the page's", ours, page, 1e-12)
    arguments = [Q, K, V]
    for position, name in enumerate("QKV"):
        check_vjp(
            f"attention_vjp_flash ∂L/∂{name}",
            flash[position],
            with_argument(attention, arguments, position, causal),
            with_argument(attention_reference, arguments, position, causal),
            arguments[position],
            G,
        )


def test_flash_vjp_default_is_the_unmasked_head():
    Q, K, V, G = random_head(4, 3, 2)
    for ours, page in zip(attention_vjp_flash(Q, K, V, G), attention_vjp(Q, K, V, G), strict=True):
        assert_close("default", ours, page, 1e-12)


@pytest.mark.parametrize(("T", "d", "d_v", "start", "stop"), [(5, 3, 2, 1, 3), (6, 4, 7, 3, 6)])
def test_a_tile_of_keys_needs_only_the_tile_and_d(T, d, d_v, start, stop):
    """FlashAttention's form on a tile of key columns is exact; the row sums of U on it are not."""
    Q, K, V, G = random_head(T, d, d_v)
    P = attention_probabilities(Q @ K.T / np.sqrt(d))
    full = score_gradient(P, G @ V.T)
    tile = slice(start, stop)
    D = output_row_sums(P @ V, G)
    assert_close("tile", score_gradient_flash(P[:, tile], G @ V[tile].T, D), full[:, tile], 1e-13)
    wrong = score_gradient(P[:, tile], (G @ V.T)[:, tile])
    assert relative_error(wrong, full[:, tile]) > 0.05


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("attention")
    checks = [line for line in lines if "DIFFERS" not in line]
    mistakes = [line.split(":")[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 27 and all(line.endswith("matches") for line in checks)
    assert mistakes == [
        "∂L/∂K = G_S Q / √d (no transpose)",
        "∂L/∂K = G_Sᵀ Q (no 1/√d)",
        "a tile of keys, row sums of U over the tile",
    ], "every common mistake must still fail"
