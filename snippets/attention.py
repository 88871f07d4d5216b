"""Scaled dot-product attention, one head: its Jacobians (block-diagonal in the middle) and VJPs.

Shapes (row-major, one token per row, see docs/conventions.md): Q and K are T×d, V is T×d_v,
the scores S = QKᵀ/√d and the probabilities P (a softmax per row) are T×T, O = PV is T×d_v.
The upstream gradient G = ∂L/∂O is T×d_v. vec stacks rows (numpy's ravel): ∂vec P/∂vec S is
T²×T², ∂vec O/∂vec Q and ∂vec O/∂vec K are Td_v×Td, ∂vec O/∂vec V is Td_v×Td_v.
Run ``python -m snippets.attention`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def causal_mask(T):
    """T×T booleans, True where query t may look at key j, that is where j ≤ t."""
    return np.tril(np.ones((T, T), dtype=bool))


def attention_probabilities(S, causal=False):
    """P: the softmax of each row of the T×T scores S, with the row max taken out first.

    With causal=True the scores above the diagonal become −inf first: exp gives exactly 0
    there, and every row keeps its diagonal entry, so its max is finite and no NaN appears.
    """
    if causal:
        S = np.where(causal_mask(len(S)), S, -np.inf)
    e = np.exp(S - np.max(S, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def attention(Q, K, V, causal=False):
    """O = softmax(QKᵀ/√d) V, one head: Q and K are T×d, V is T×d_v, O is T×d_v."""
    S = Q @ K.T / np.sqrt(Q.shape[1])
    return attention_probabilities(S, causal) @ V


def softmax_rows_jacobian(S, causal=False):
    """∂vec P/∂vec S: T²×T², block-diagonal, block t is Diag(p_t) − p_tᵀp_t for row p_t of P."""
    P = attention_probabilities(S, causal)
    T = len(P)
    jacobian = np.zeros((T * T, T * T))
    for t in range(T):
        p = P[t : t + 1]  # row t of P, 1×T
        jacobian[t * T : (t + 1) * T, t * T : (t + 1) * T] = np.diag(p[0]) - p.T @ p
    return jacobian


def attention_jacobians(Q, K, V, causal=False):
    """∂vec O/∂vec Q (Td_v×Td), ∂vec O/∂vec K (Td_v×Td), ∂vec O/∂vec V (Td_v×Td_v).

    The chain rule through S and P, each factor built from its entries.
    """
    T, d = Q.shape
    S = Q @ K.T / np.sqrt(d)
    P = attention_probabilities(S, causal)
    dO_dP = np.kron(np.eye(T), V.T)  # ∂O_tc/∂P_sj = δ_ts V_jc
    dP_dS = softmax_rows_jacobian(S, causal)
    dS_dQ = np.kron(np.eye(T), K) / np.sqrt(d)  # ∂S_tj/∂Q_sa = δ_ts K_ja / √d
    dS_dK = np.einsum("ta,js->tjsa", Q, np.eye(T)).reshape(T * T, T * d) / np.sqrt(d)
    dO_dV = np.kron(P, np.eye(V.shape[1]))  # ∂O_tc/∂V_je = P_tj δ_ce
    return dO_dP @ dP_dS @ dS_dQ, dO_dP @ dP_dS @ dS_dK, dO_dV


def attention_vjp(Q, K, V, G, causal=False):
    """∂L/∂Q, ∂L/∂K, ∂L/∂V (shapes of Q, K, V) from G = ∂L/∂O, no Jacobian built."""
    d = Q.shape[1]
    P = attention_probabilities(Q @ K.T / np.sqrt(d), causal)
    G_P = G @ V.T  # ∂L/∂P, T×T
    U = P * G_P
    G_S = U - np.sum(U, axis=1, keepdims=True) * P  # ∂L/∂S: the softmax VJP, row by row
    return G_S @ K / np.sqrt(d), G_S.T @ Q / np.sqrt(d), P.T @ G


def score_gradient(P, G_P):
    """∂L/∂S (T×T) from P and G_P = ∂L/∂P (T×T), the page's form: U − (U1)1ᵀ ∘ P, U = P ∘ G_P."""
    U = P * G_P
    return U - np.sum(U, axis=1, keepdims=True) * P


def output_row_sums(output, G):
    """D = (G ∘ O)1, T×1 (1: d_v ones): D_t = Σ_c G_tc O_tc; O and G = ∂L/∂O are T×d_v."""
    return np.sum(G * output, axis=1, keepdims=True)


def score_gradient_flash(P, G_P, D):
    """∂L/∂S (T×T) as FlashAttention computes it: P ∘ (G_P − D1), with D (T×1) = output_row_sums."""
    return P * (G_P - D)


def attention_vjp_flash(Q, K, V, G, causal=False):
    """∂L/∂Q, ∂L/∂K, ∂L/∂V as attention_vjp, with ∂L/∂S = P ∘ (GVᵀ − D1ᵀ), D = (G ∘ O)1."""
    d = Q.shape[1]
    P = attention_probabilities(Q @ K.T / np.sqrt(d), causal)
    G_S = score_gradient_flash(P, G @ V.T, output_row_sums(P @ V, G))
    return G_S @ K / np.sqrt(d), G_S.T @ Q / np.sqrt(d), P.T @ G


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "attention"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=r"attention, $P = \operatorname{softmax}(QK^\top/\sqrt{d})$ row-wise, $O = PV$",
        jacobian=r"block-diagonal: $\operatorname{Diag}(p_t) - p_t^\top p_t$ per row",
        vjp=(
            r"$\partial L/\partial V = P^\top G$; $\partial L/\partial Q = G_S K/\sqrt{d}$; "
            r"$\partial L/\partial K = G_S^\top Q/\sqrt{d}$, with "
            r"$G_S = U - \operatorname{Diag}(U\mathbf{1}_T)\,P$, $U = P \circ (GV^\top)$"
        ),
        functions=("attention_vjp",),
    ),
    Row(
        table="Layers",
        operation=r"attention, FlashAttention's backward (the same gradients)",
        jacobian=r"as above",
        vjp=(
            r"$G_S = P \circ (G V^\top - D\,\mathbf{1}_T^\top)$ with "
            r"$D = (G \circ O)\mathbf{1}_{d_v}$ ($T \times 1$), the row sums of "
            r"$P \circ (GV^\top)$ without $P$"
        ),
        functions=("attention_vjp_flash",),
        anchor="the-form-flashattention-computes",
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """∂vec_r P/∂vec_r S at fixed 4×4 scores S: 16×16, one T×T softmax block per query."""
    S = np.array(
        [
            [1.0, -0.5, 0.2, 0.8],
            [-1.2, 0.4, 1.5, 0.0],
            [0.3, 0.9, -0.7, -1.4],
            [2.0, -0.3, 0.6, 1.1],
        ]
    )
    T = len(S)
    jacobian = softmax_rows_jacobian(S)
    return Figure(
        matrix=jacobian,
        of=attention_probabilities,
        at=S,
        structure="block-diagonal",
        rows="probabilities P_{tj}, row by row",
        columns="scores S_{sk}, row by row",
        alt=f"The {size(jacobian)} Jacobian of the attention probabilities P with respect to the "
        f"scores S, both flattened row by row: block-diagonal, {T} blocks of {T}×{T}, one softmax "
        "Jacobian per query, each symmetric with a positive diagonal and negative entries off "
        f"it; {np.count_nonzero(jacobian)} of its {jacobian.size} entries are non-zero.",
        caption=r"$\partial \operatorname{vec}_r P/\partial \operatorname{vec}_r S$ is "
        r"block-diagonal: block $t$ is the softmax Jacobian $\operatorname{Diag}(p_t) - p_t^\top "
        r"p_t$ of query $t$.",
        blocks=((T, T),) * T,
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    T, d, d_v = 4, 3, 2  # tokens, query/key width, value width
    Q = rng.standard_normal((T, d))  # queries, 4×3
    K = rng.standard_normal((T, d))  # keys, 4×3
    V = rng.standard_normal((T, d_v))  # values, 4×2
    G = rng.standard_normal((T, d_v))  # upstream gradient ∂L/∂O, 4×2
    # --8<-- [end:setup]

    # --8<-- [start:check]

    def check(causal):
        """Every Jacobian and VJP against central finite differences, for one choice of mask."""
        label = "causal" if causal else "no mask"
        S = Q @ K.T / np.sqrt(d)  # scores, 4×4
        dP_dS = softmax_rows_jacobian(S, causal)  # 16×16
        numeric = numerical_jacobian(lambda S: attention_probabilities(S, causal), S)
        assert compare(f"{label}: ∂vec P/∂vec S vs finite differences", dP_dS, numeric)
        on_blocks = np.kron(np.eye(T), np.ones((T, T)))  # 1 on the T diagonal blocks, 0 off
        assert compare(f"{label}: ∂vec P/∂vec S is block-diagonal", dP_dS * on_blocks, dP_dS)
        numeric = {  # ∂vec O/∂vec Q, ∂vec O/∂vec K, ∂vec O/∂vec V by central differences
            "Q": numerical_jacobian(lambda Q: attention(Q, K, V, causal), Q),
            "K": numerical_jacobian(lambda K: attention(Q, K, V, causal), K),
            "V": numerical_jacobian(lambda V: attention(Q, K, V, causal), V),
        }
        jacobians = attention_jacobians(Q, K, V, causal)
        gradients = attention_vjp(Q, K, V, G, causal)
        for name, jacobian, gradient in zip("QKV", jacobians, gradients, strict=True):
            assert compare(
                f"{label}: ∂vec O/∂vec {name} vs finite differences", jacobian, numeric[name]
            )
            reference = (G.ravel() @ numeric[name]).reshape(gradient.shape)
            assert compare(f"{label}: ∂L/∂{name} vs G @ numeric Jacobian", gradient, reference)

    check(causal=False)
    check(causal=True)
    P = attention_probabilities(Q @ K.T / np.sqrt(d), causal=True)
    above = ~causal_mask(T)  # the masked entries, j > t
    assert compare("causal: P above the diagonal vs 0", P[above], np.zeros(above.sum()))
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    P = attention_probabilities(Q @ K.T / np.sqrt(d))
    U = P * (G @ V.T)
    G_S = U - np.sum(U, axis=1, keepdims=True) * P  # ∂L/∂S, right
    numeric = numerical_jacobian(lambda K: attention(Q, K, V), K)
    reference = (G.ravel() @ numeric).reshape(K.shape)  # ∂L/∂K, 4×3
    compare("∂L/∂K = G_S Q / √d (no transpose)", G_S @ Q / np.sqrt(d), reference)
    compare("∂L/∂K = G_Sᵀ Q (no 1/√d)", G_S.T @ Q, reference)
    # --8<-- [end:mistake]

    # --8<-- [start:flash]
    P = attention_probabilities(Q @ K.T / np.sqrt(d))  # 4×4
    output, G_P = P @ V, G @ V.T  # O = PV 4×2, ∂L/∂P 4×4
    D = output_row_sums(output, G)  # (G ∘ O)1, 4×1, from two 4×2 arrays
    assert compare(
        "D = rowsum(G ∘ O) vs rowsum(P ∘ G_P)", D, np.sum(P * G_P, axis=1, keepdims=True)
    )
    G_S = score_gradient_flash(P, G_P, D)  # P ∘ (G_P − D1)
    assert compare("P ∘ (G_P − D1ᵀ) vs U − (U1)1ᵀ ∘ P", G_S, score_gradient(P, G_P))
    numeric = numerical_jacobian(lambda S: attention_probabilities(S) @ V, Q @ K.T / np.sqrt(d))
    assert compare("P ∘ (G_P − D1) vs G @ numeric ∂O/∂S", G_S, (G.ravel() @ numeric).reshape(T, T))
    for causal in (False, True):
        label = "causal" if causal else "no mask"
        flash = attention_vjp_flash(Q, K, V, G, causal)
        for name, ours, page in zip("QKV", flash, attention_vjp(Q, K, V, G, causal), strict=True):
            assert compare(f"{label}: ∂L/∂{name}, FlashAttention's form vs the page's", ours, page)

    # One tile of keys, j = 2, 3: FlashAttention's form needs only that tile and D
    tile = slice(2, 4)
    G_S_tile = score_gradient_flash(P[:, tile], G @ V[tile].T, D)  # 4×2
    assert compare("a tile of keys, from the tile and D", G_S_tile, G_S[:, tile])
    compare(
        "a tile of keys, row sums of U over the tile",
        score_gradient(P[:, tile], G_P[:, tile]),
        G_S[:, tile],
    )
    # --8<-- [end:flash]
