"""Multi-head self-attention with additive masks: the heads' block structure, the VJPs to X and
every weight, and what a fully masked row does.

Shapes (row-major, one token per row, see docs/conventions.md): a batch X is N×T×d; W_Q, W_K,
W_V and W_O are d×d; Q = XW_Q, K = XW_K, V = XW_V are N×T×d, split into h heads of d_h = d/h
columns (N×h×T×d_h); the scores S and probabilities P are N×h×T×T; the additive mask M is N×T×T
(0 where a key may be seen, −inf or a large negative where not), the same for every head;
C, the heads side by side, and Y = CW_O are N×T×d; the upstream gradient G = ∂L/∂Y is N×T×d.
vec stacks rows (numpy's ravel). Run ``python -m snippets.multihead_attention`` to see the checks.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def split_heads(Z, h):
    """N×T×d → N×h×T×d_h: head i gets columns i·d_h … (i + 1)·d_h − 1 of every token."""
    N, T, d = Z.shape
    return Z.reshape(N, T, h, d // h).transpose(0, 2, 1, 3)


def merge_heads(Z):
    """N×h×T×d_h → N×T×d, the inverse of split_heads: the heads' columns side by side."""
    N, h, T, d_h = Z.shape
    return Z.transpose(0, 2, 1, 3).reshape(N, T, h * d_h)


def additive_mask(allowed, large=np.inf):
    """M: 0 where allowed is True, −large where it is False (−inf by default)."""
    return np.where(allowed, 0.0, -large)


def masked_softmax(S, M):
    """The softmax of each row (last axis) of S + M, its max taken out first."""
    Z = S + M
    e = np.exp(Z - np.max(Z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def heads_forward(X, W_Q, W_K, W_V, h, M):
    """Q, K, V split into heads (N×h×T×d_h each) and P (N×h×T×T); M (N×T×T) is every head's."""
    Q, K, V = (split_heads(X @ W, h) for W in (W_Q, W_K, W_V))
    S = Q @ np.swapaxes(K, 2, 3) / np.sqrt(Q.shape[-1])  # scores, one T×T per example and head
    return Q, K, V, masked_softmax(S, M[:, None])


def multihead_attention(X, W_Q, W_K, W_V, W_O, h, M):
    """Y = [O_1 … O_h] W_O with O_i = softmax(Q_i K_iᵀ/√d_h + M) V_i: X N×T×d, Y N×T×d."""
    _, _, V, P = heads_forward(X, W_Q, W_K, W_V, h, M)
    return merge_heads(P @ V) @ W_O


def head_vjp(Q, K, V, P, G):
    """docs/attention.md's one-head VJP, for every example and head at once (G = ∂L/∂O):
    ∂L/∂Q = G_S K/√d_h, ∂L/∂K = G_Sᵀ Q/√d_h, ∂L/∂V = Pᵀ G, and G_S = ∂L/∂S itself."""
    U = P * (G @ np.swapaxes(V, 2, 3))  # P ∘ G_P
    G_S = U - np.sum(U, axis=-1, keepdims=True) * P
    root = np.sqrt(Q.shape[-1])
    return G_S @ K / root, np.swapaxes(G_S, 2, 3) @ Q / root, np.swapaxes(P, 2, 3) @ G, G_S


def multihead_attention_vjp(X, W_Q, W_K, W_V, W_O, h, M, G):
    """∂L/∂X (N×T×d), ∂L/∂W_Q, ∂L/∂W_K, ∂L/∂W_V, ∂L/∂W_O (d×d each) and ∂L/∂M (N×T×T)."""
    d = X.shape[-1]
    Q, K, V, P = heads_forward(X, W_Q, W_K, W_V, h, M)
    C = merge_heads(P @ V)  # the heads side by side, N×T×d
    G_C = G @ W_O.T  # ∂L/∂C
    G_Q, G_K, G_V, G_S = head_vjp(Q, K, V, P, split_heads(G_C, h))
    G_Q, G_K, G_V = merge_heads(G_Q), merge_heads(G_K), merge_heads(G_V)  # N×T×d each
    rows = X.reshape(-1, d)  # the N·T tokens, one per row: every token shares the weights
    weights = [rows.T @ Z.reshape(-1, d) for Z in (G_Q, G_K, G_V)]
    grad_W_O = C.reshape(-1, d).T @ G.reshape(-1, d)
    grad_X = G_Q @ W_Q.T + G_K @ W_K.T + G_V @ W_V.T  # X is used three times: the three add
    return grad_X, *weights, grad_W_O, np.sum(G_S, axis=1)  # ∂L/∂M: the heads' G_S summed


def head_jacobians(Q, K, V, M):
    """One head of one example (Q, K, V T×d_h, M T×T), as on docs/attention.md with S + M:
    ∂vec O/∂vec Q, ∂vec O/∂vec K (Td_h×Td_h) and ∂vec O/∂vec V (Td_h×Td_h)."""
    T, d_h = Q.shape
    P = masked_softmax(Q @ K.T / np.sqrt(d_h), M)
    blocks = np.einsum("tj,jk->tjk", P, np.eye(T)) - np.einsum("tj,tk->tjk", P, P)
    dP_dS = np.einsum("ts,tjk->tjsk", np.eye(T), blocks).reshape(T * T, T * T)
    dO_dP = np.kron(np.eye(T), V.T)
    dS_dQ = np.kron(np.eye(T), K) / np.sqrt(d_h)
    dS_dK = np.einsum("ta,js->tjsa", Q, np.eye(T)).reshape(T * T, T * d_h) / np.sqrt(d_h)
    return dO_dP @ dP_dS @ dS_dQ, dO_dP @ dP_dS @ dS_dK, np.kron(P, np.eye(d_h))


def multihead_jacobians(X, W_Q, W_K, W_V, W_O, h, M):
    """One example (X T×d, M T×T): ∂vec Y/∂vec X (Td×Td) and ∂vec Y/∂vec W for W_Q, W_K, W_V,
    W_O (Td×d² each), built head by head from the Jacobians of head_jacobians."""
    T, d = X.shape
    d_h = d // h
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    C = np.zeros((T, d))
    by_qkv = [np.zeros((T * d, T * d)) for _ in range(3)]  # ∂vec C/∂vec Q, K, V
    place = np.arange(T * d).reshape(T, d)  # where entry (t, c) of a T×d array sits in vec
    for i in range(h):
        cols = slice(i * d_h, (i + 1) * d_h)  # head i's columns
        at = place[:, cols].ravel()
        heads = head_jacobians(Q[:, cols], K[:, cols], V[:, cols], M)
        for whole, head in zip(by_qkv, heads, strict=True):
            whole[np.ix_(at, at)] = head  # head i's outputs see head i's inputs only
        C[:, cols] = masked_softmax(Q[:, cols] @ K[:, cols].T / np.sqrt(d_h), M) @ V[:, cols]
    out = np.kron(np.eye(T), W_O.T)  # ∂vec Y/∂vec C, from Y = C W_O
    weights = (W_Q, W_K, W_V)
    by_x = sum(out @ J @ np.kron(np.eye(T), W.T) for J, W in zip(by_qkv, weights, strict=True))
    by_w = [out @ J @ np.kron(X, np.eye(d)) for J in by_qkv]  # ∂vec Q/∂vec W_Q = X ⊗ I_d
    return by_x, *by_w, np.kron(C, np.eye(d))


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "multi-head attention"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=(
            r"multi-head self-attention, $Y = [O_1 \cdots O_h]\,W_O$, "
            r"$O_i = \operatorname{softmax}(Q_i K_i^\top/\sqrt{d_h} + M)\,V_i$"
        ),
        jacobian=r"block-diagonal across heads, given $Q$, $K$, $V$",
        vjp=(
            r"$\partial L/\partial W_O = C^\top G$; per head the attention VJP of $G W_O^\top$; "
            r"$\partial L/\partial W_Q = X^\top G_Q$; "
            r"$\partial L/\partial X = G_Q W_Q^\top + G_K W_K^\top + G_V W_V^\top$"
        ),
        functions=("multihead_attention_vjp",),
    ),
    Row(
        table="Layers",
        operation=r"additive mask, $S + M$ before the softmax",
        jacobian=r"$P_{tj} = 0$ and zero rows and columns where $M_{tj} = -\infty$",
        vjp=r"$\partial L/\partial M = \sum_i G_{S_i}$, $0$ where masked",
        functions=("multihead_attention_vjp",),
        anchor="masks-added-before-the-softmax",
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """∂(head-major vec C)/∂(head-major vec K) for T = 5, h = 3, d_h = 1: 15×15, 3 blocks."""
    Q = np.array(  # T×h: head i's queries (width d_h = 1) in column i
        [[0.8, -0.4, 1.2], [-1.1, 0.6, 0.3], [0.5, 1.4, -0.9], [1.3, -0.2, 0.7], [-0.6, 0.9, -1.3]]
    )
    V = np.array(  # T×h: head i's values in column i
        [[1.0, -0.7, 0.4], [-0.3, 1.1, -1.2], [0.6, 0.2, 0.9], [-1.4, 0.5, 0.1], [0.2, -0.9, 1.5]]
    )
    T, h = Q.shape
    M = np.zeros((T, T))

    def heads_output(K):
        """C of the three heads, head by head (h×T, each head's T outputs in a row)."""
        return np.stack([masked_softmax(np.outer(Q[:, i], K[i]), M) @ V[:, i] for i in range(h)])

    K = Q[::-1].T.copy()  # the keys of head i in row i: h×T
    jacobian = np.zeros((h * T, h * T))
    for i in range(h):  # head i's block: docs/attention.md's ∂vec O/∂vec K of that head
        block = head_jacobians(Q[:, i : i + 1], K[i][:, None], V[:, i : i + 1], M)[1]
        jacobian[i * T : (i + 1) * T, i * T : (i + 1) * T] = block
    return Figure(
        matrix=jacobian,
        of=heads_output,
        at=K,
        structure="block-diagonal",
        rows="outputs C of head i, token t (head by head)",
        columns="keys K of head i, token s (head by head)",
        alt=f"The {size(jacobian)} Jacobian of the heads' outputs with respect to their keys, both "
        f"ordered head by head: block-diagonal, {h} dense blocks of {T}×{T}, one per head; every "
        "entry that links two different heads is zero.",
        caption=r"Given $Q$, $K$ and $V$ the heads do not interact: ordered head by head, "
        r"$\partial C/\partial K$ is block-diagonal, one dense block per head.",
        blocks=((T, T),) * h,
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    N, T, h, d_h = 2, 5, 3, 4  # 2 sequences of 5 tokens, 3 heads of width 4
    d = h * d_h  # model width 12
    X = rng.standard_normal((N, T, d))  # a batch of token rows, 2×5×12
    W_Q, W_K, W_V, W_O = (rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(4))  # square
    G = rng.standard_normal((N, T, d))  # upstream gradient ∂L/∂Y, 2×5×12
    lengths = np.array([5, 3])  # example 1 ends in 2 padding tokens
    causal = np.tril(np.ones((T, T), dtype=bool))  # query t sees keys j ≤ t
    real_key = np.arange(T) < lengths[:, None, None]  # N×1×T: key j is not padding
    M = additive_mask(causal & real_key)  # 0 or −inf, N×T×T
    # --8<-- [end:setup]

    # --8<-- [start:check]
    def of_x(Z):
        return multihead_attention(Z, W_Q, W_K, W_V, W_O, h, M)

    by = {  # ∂vec Y/∂vec (X, W_Q, W_K, W_V, W_O) by central differences, 120 rows each
        "X": numerical_jacobian(of_x, X),
        "W_Q": numerical_jacobian(lambda W: multihead_attention(X, W, W_K, W_V, W_O, h, M), W_Q),
        "W_K": numerical_jacobian(lambda W: multihead_attention(X, W_Q, W, W_V, W_O, h, M), W_K),
        "W_V": numerical_jacobian(lambda W: multihead_attention(X, W_Q, W_K, W, W_O, h, M), W_V),
        "W_O": numerical_jacobian(lambda W: multihead_attention(X, W_Q, W_K, W_V, W, h, M), W_O),
    }
    rows = np.arange(N * T * d).reshape(N, T * d)  # example a's rows of vec Y
    for a in range(N):  # the full Jacobians, example by example
        built = multihead_jacobians(X[a], W_Q, W_K, W_V, W_O, h, M[a])
        for (name, numeric), jacobian in zip(by.items(), built, strict=True):
            part = numeric[rows[a]][:, rows[a]] if name == "X" else numeric[rows[a]]
            assert compare(f"example {a}: ∂vec Y/∂vec {name} vs finite differences", jacobian, part)
    across = by["X"][rows[0]][:, rows[1]]  # example 0's outputs, example 1's inputs
    assert compare("examples do not interact: ∂Y_0/∂X_1 vs 0", across, np.zeros((T * d, T * d)))
    gradients = multihead_attention_vjp(X, W_Q, W_K, W_V, W_O, h, M, G)
    for (name, numeric), gradient in zip(by.items(), gradients[:5], strict=True):
        reference = (G.ravel() @ numeric).reshape(gradient.shape)
        assert compare(f"∂L/∂{name} vs G @ numeric Jacobian", gradient, reference)
    numeric = numerical_jacobian(lambda A: multihead_attention(X, W_Q, W_K, W_V, W_O, h, A), M)
    mask_gradient = gradients[5]
    assert compare(
        "∂L/∂M vs G @ numeric Jacobian", mask_gradient, (G.ravel() @ numeric).reshape(N, T, T)
    )
    P = heads_forward(X, W_Q, W_K, W_V, h, M)[3]  # N×h×T×T
    masked = np.broadcast_to(np.isinf(M)[:, None], P.shape)  # where M is −inf, in every head
    print(f"masked probabilities exactly 0: {bool(np.all(P[masked] == 0))}")
    print(f"masked scores' gradient exactly 0: {bool(np.all(mask_gradient[np.isinf(M)] == 0))}")
    # --8<-- [end:check]

    # --8<-- [start:split_mistake]
    def split_wrong(Z, h):
        """The mistake: N×T×d read straight into N×h×T×d_h, so a "token" of a head mixes tokens."""
        N, T, d = Z.shape
        return Z.reshape(N, h, T, d // h)

    def wrong_heads(X):
        Q, K, V = (split_wrong(X @ W, h) for W in (W_Q, W_K, W_V))
        P = masked_softmax(Q @ np.swapaxes(K, 2, 3) / np.sqrt(d_h), M[:, None])
        return (P @ V).reshape(N, T, d) @ W_O  # merged back the same wrong way

    Y = multihead_attention(X, W_Q, W_K, W_V, W_O, h, M)  # the right split
    compare("heads split by reshape(N, h, T, d_h)", wrong_heads(X), Y)
    place = np.arange(T * d).reshape(1, T, d)  # entry (t, c) of a T×d array holds t·d + c
    for name, split in [("reshape", split_wrong), ("right", split_heads)]:
        token, columns = np.divmod(split(place, h)[0, 0, 1], d)  # head 0's row for token 1
        print(f"{name}: head 0, token 1 reads token {token[0]}, columns {columns[0]}–{columns[-1]}")
    # --8<-- [end:split_mistake]

    # --8<-- [start:mask_mistake]
    def right(X):
        return multihead_attention(X, W_Q, W_K, W_V, W_O, h, M)

    def mask_after_softmax(X, renormalize=False):
        """The mistake: softmax of the raw scores, then the masked probabilities set to 0."""
        _, _, V, P = heads_forward(X, W_Q, W_K, W_V, h, np.zeros((N, T, T)))
        P = P * np.isfinite(M)[:, None]  # zeroed: the rows no longer sum to 1
        if renormalize:
            P = P / np.sum(P, axis=-1, keepdims=True)
        return merge_heads(P @ V) @ W_O

    def leak(forward):
        """The largest |∂Y_ti/∂X_sj| of example 1 with t a real token and s a padding one."""
        jacobian = numerical_jacobian(forward, X).reshape(N, T, d, N, T, d)[1, :, :, 1]
        return np.abs(jacobian[: lengths[1], :, lengths[1] :]).max()

    compare("mask applied after the softmax", mask_after_softmax(X), right(X))
    print(f"padding tokens move the real outputs by {leak(mask_after_softmax):.2g}", end="")
    print(f" (right: {leak(right):.2g})")
    compare("after the softmax, then renormalized", mask_after_softmax(X, True), right(X))
    # --8<-- [end:mask_mistake]

    # --8<-- [start:full_row]
    pads = np.array([0, 2])  # example 1 is padded on the left: keys 0 and 1 are padding
    real = np.arange(T) >= pads[:, None]  # N×T: which tokens are real
    allowed = causal & real[:, None, :]  # queries 0 and 1 of example 1 see no key at all
    G_real = G * real[:, :, None]  # the loss ignores the padding queries: their rows of G are 0
    with np.errstate(invalid="ignore"):  # −inf − (−inf) in the row max: numpy would warn
        Y = multihead_attention(X, W_Q, W_K, W_V, W_O, h, additive_mask(allowed))
        grads = multihead_attention_vjp(X, W_Q, W_K, W_V, W_O, h, additive_mask(allowed), G_real)
    print(f"−inf: rows of Y that are NaN: {np.isnan(Y).any(axis=-1).sum()}")
    print(f"−inf: ∂L/∂W_Q finite, padding queries out of the loss: {np.isfinite(grads[1]).all()}")
    M_big = additive_mask(allowed, large=1e9)  # a large negative instead of −inf
    P_big = heads_forward(X, W_Q, W_K, W_V, h, M_big)[3]
    seen = allowed | ~real[:, :, None]  # −inf's P, with the padding queries' rows unmasked
    P_inf = heads_forward(X, W_Q, W_K, W_V, h, additive_mask(seen))[3]
    keep = np.broadcast_to(real[:, None, :, None], P_big.shape)  # the rows that see a key
    same = np.array_equal(P_big[keep], P_inf[keep])
    print(f"−1e9: P in every row that sees a key, equal to −inf's: {same}")
    grads = multihead_attention_vjp(X, W_Q, W_K, W_V, W_O, h, M_big, G_real)
    numeric = numerical_jacobian(lambda W: multihead_attention(X, W, W_K, W_V, W_O, h, M_big), W_Q)
    assert compare(
        "−1e9: ∂L/∂W_Q vs G @ numeric Jacobian", grads[1], (G_real.ravel() @ numeric).reshape(d, d)
    )
    # --8<-- [end:full_row]
