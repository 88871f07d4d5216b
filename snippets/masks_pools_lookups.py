"""Dropout, pooling and embeddings: layers that route gradients; Jacobians of 0/1 or scaled entries.

Shapes (row vectors, see docs/conventions.md):
- inverted dropout: X, the keep mask M and Y = X ∘ M/(1 − p) are N×n, G = ∂L/∂Y is N×n;
- pooling, windows of k with stride k along the last axis: x is (..., n), y is (..., m), m = n/k;
  a batch is N×C×n (N examples, C channels), pooled row by row;
- embedding lookup: E is V×d, the token indices t hold T entries of 0..V − 1 (repeats allowed),
  H = E[t] and G = ∂L/∂H are T×d, the one-hot S is T×V.
Run ``python -m snippets.masks_pools_lookups`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:dropout_functions]
def dropout_mask(rng, shape, p):
    """The keep mask M, drawn once per forward pass: 1 with probability 1 − p,
    else 0."""
    return (rng.random(shape) >= p).astype(float)


def dropout(X, M, p):
    """Inverted dropout Y = X ∘ M/(1 − p), any shape (M the shape of X)."""
    return X * M / (1 - p)


def dropout_jacobian(M, p):
    """∂vec_r Y/∂vec_r X = Diag(vec_r M)/(1 − p): diagonal, (N·n)×(N·n)."""
    return np.diag(M.ravel()) / (1 - p)


def dropout_vjp(G, M, p):
    """G (∂Y/∂X) without the Jacobian: G ∘ M/(1 − p), with the forward pass's M."""
    return G * M / (1 - p)


# --8<-- [end:dropout_functions]


# --8<-- [start:pool_functions]
def windows(x, k):
    """x (..., n) as (..., n/k, k): window j holds x[..., j*k : j*k + k]."""
    return x.reshape(*x.shape[:-1], x.shape[-1] // k, k)


def max_pool(x, k):
    """The largest entry of each window of k: (..., n) → (..., n/k)."""
    return windows(x, k).max(axis=-1)


def average_pool(x, k):
    """The mean of each window of k: (..., n) → (..., n/k)."""
    return windows(x, k).mean(axis=-1)


def max_pool_jacobian(x, k):
    """∂vec_r y/∂vec_r x for y = max_pool(x, k), (x.size/k)×x.size: a single 1
    in each row, at its window's largest entry (of a tie, the first, as argmax)."""
    rows = np.arange(x.size // k)
    jacobian = np.zeros((x.size // k, x.size))
    jacobian[rows, rows * k + windows(x, k).reshape(-1, k).argmax(axis=1)] = 1.0
    return jacobian


def max_pool_vjp(x, k, g):
    """g (∂y/∂x) without the Jacobian: g_j to window j's largest entry, 0 to
    the others; the shape of x."""
    routed = np.zeros(windows(x, k).shape)
    first = windows(x, k).argmax(axis=-1)[..., None]  # each window's maximum
    np.put_along_axis(routed, first, g[..., None], axis=-1)
    return routed.reshape(x.shape)


def average_pool_jacobian(x, k):
    """∂vec_r y/∂vec_r x for y = average_pool(x, k): I ⊗ 𝟏_kᵀ/k."""
    return np.kron(np.eye(x.size // k), np.ones((1, k)) / k)


def average_pool_vjp(g, k):
    """g (∂y/∂x) without the Jacobian: g_j/k to each entry of window j."""
    return np.repeat(g / k, k, axis=-1)


# --8<-- [end:pool_functions]


# --8<-- [start:embedding_functions]
def embed(E, t):
    """The lookup H = E[t]: row i of H is row t_i of the V×d table E; T×d."""
    return E[t]


def one_hot(t, V):
    """S (T×V): S_ia = 1 where t_i = a, else 0, so that E[t] = S E."""
    S = np.zeros((len(t), V))
    S[np.arange(len(t)), t] = 1.0
    return S


def embedding_jacobian(t, V, d):
    """∂vec_r H/∂vec_r E = S ⊗ I_d: (T·d)×(V·d), a single 1 in each row."""
    return np.kron(one_hot(t, V), np.eye(d))


def embedding_vjp(t, G, V):
    """Sᵀ G (V×d) without S: row i of G (T×d) is added into row t_i, so a
    repeated index adds up."""
    grad = np.zeros((V, G.shape[1]))
    np.add.at(grad, t, G)
    return grad


# --8<-- [end:embedding_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "dropout, pooling, embeddings"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=r"inverted dropout $Y = X \circ M/(1 - p)$, keep mask $M$ of the forward pass",
        jacobian=r"$\operatorname{Diag}(\operatorname{vec}_r M)/(1 - p)$, diagonal",
        vjp=r"$G \circ M/(1 - p)$, the same $M$",
        functions=("dropout_vjp",),
        anchor="inverted-dropout",
    ),
    Row(
        table="Layers",
        operation=r"max pooling, windows of $k$, stride $k$",
        jacobian=r"a single 1 in each row $j$, in column $q_j$, its window's largest entry",
        vjp=r"$g_j$ to entry $q_j$, 0 elsewhere in window $j$",
        functions=("max_pool_vjp",),
        anchor="max-and-average-pooling",
    ),
    Row(
        table="Layers",
        operation=r"average pooling, windows of $k$, stride $k$",
        jacobian=r"$I_m \otimes \frac{1}{k}\mathbf{1}_k^\top$",
        vjp=r"$\frac{1}{k}\, g \otimes \mathbf{1}_k^\top$: $g_j/k$ to each entry of window $j$",
        functions=("average_pool_vjp",),
        anchor="max-and-average-pooling",
    ),
    Row(
        table="Layers",
        operation=r"embedding lookup $H = E[t] = SE$, $S$ one-hot",
        jacobian=r"$S \otimes I_d$, of $\operatorname{vec}_r H$ by $\operatorname{vec}_r E$",
        vjp=r"$S^\top G$: row $i$ of $G$ added into row $t_i$ (`np.add.at`); repeats add up",
        functions=("embedding_vjp",),
        anchor="embedding-lookup",
    ),
]


# The pictures of the Jacobians on the page: hooks/jacobian_figures.py draws them at build time,
# tests/test_figures.py checks them against finite differences and their structure keywords.
def structure_figure():
    """∂vec_r Y/∂vec_r X of inverted dropout for a fixed 2×3 mask with p = 1/2: 6×6, diagonal."""
    N, n, p = 2, 3, 0.5
    X = np.arange(N * n).reshape(N, n) / 4.0
    M = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])  # N×n: two of the six entries dropped
    jacobian = dropout_jacobian(M, p)
    return Figure(
        matrix=jacobian,
        of=lambda Z: dropout(Z, M, p),
        at=X,
        structure="diagonal",
        rows="outputs Y_{ai}, row by row",
        columns="inputs X_{bj}, row by row",
        alt=f"The {size(jacobian)} dropout Jacobian for a {N}×{n} mask with p = 1/2: diagonal, "
        "its diagonal 1/(1 − p) = 2 where the mask keeps an entry and 0 where it drops one.",
        caption=r"$\partial \operatorname{vec}_r Y/\partial \operatorname{vec}_r X = "
        r"\operatorname{Diag}(\operatorname{vec}_r M)/(1 - p)$ is diagonal: an output moves with "
        r"its own input, scaled, or not at all.",
    )


POOL_ROW = np.array([[0.3, 2.1, 0.7, 1.4, 0.2, 1.1, 0.4, 0.6, 0.9, 1.9, 2.4, 0.8]])  # 1×12, no tie


def max_pool_figure():
    """∂y/∂x of max pooling, windows of 3, at a fixed 1×12 row without ties: 4×12."""
    k = 3
    jacobian = max_pool_jacobian(POOL_ROW, k)
    return Figure(
        matrix=jacobian,
        of=lambda x: max_pool(x, k),
        at=POOL_ROW,
        structure="selection",
        rows="outputs y_j",
        columns="inputs x_i",
        alt=f"The {size(jacobian)} max-pooling Jacobian, windows of {k}: a single 1 in each row, "
        "in the column of its window's largest entry; every other entry is zero.",
        caption=r"Max pooling: row $j$ of $\partial y/\partial x$ has its 1 in column $q_j$, the "
        r"largest entry of window $j$.",
    )


def average_pool_figure():
    """∂y/∂x of average pooling, windows of 3, for a 1×12 row: 4×12, I_4 ⊗ 𝟏_3ᵀ/3."""
    k = 3
    m = POOL_ROW.size // k
    jacobian = average_pool_jacobian(POOL_ROW, k)
    return Figure(
        matrix=jacobian,
        of=lambda x: average_pool(x, k),
        at=POOL_ROW,
        structure="kronecker",
        rows="outputs y_j",
        columns="inputs x_i",
        alt=f"The {size(jacobian)} average-pooling Jacobian, windows of {k}: the Kronecker product "
        f"of I_{m} and a row of {k} entries 1/{k}, so row j holds 1/{k} over window j.",
        caption=r"Average pooling: $\partial y/\partial x = I_m \otimes \frac{1}{k}"
        r"\mathbf{1}_k^\top$, each row $1/k$ over its window.",
        factors=(np.eye(m), np.ones((1, k)) / k),
    )


def embedding_figure():
    """∂vec_r H/∂vec_r E for t = (3, 0, 3, 1) in a 5×2 table: S ⊗ I_2, 8×10."""
    V, d = 5, 2
    t = np.array([3, 0, 3, 1])  # T = 4 tokens, token 3 twice
    E = np.arange(V * d).reshape(V, d) / 10.0
    jacobian = embedding_jacobian(t, V, d)
    return Figure(
        matrix=jacobian,
        of=lambda F: embed(F, t),
        at=E,
        structure="selection",
        rows="outputs H_{ij}, row by row",
        columns="table entries E_{ab}, row by row",
        alt=f"The {size(jacobian)} embedding Jacobian S ⊗ I_{d} for the tokens 3, 0, 3, 1 of a "
        f"vocabulary of {V}: a single 1 in each row; the columns of token 3 hold two 1s each, "
        "those of the unused tokens 2 and 4 none.",
        caption=r"Embedding lookup: $\partial \operatorname{vec}_r H/\partial \operatorname{vec}_r "
        r"E = S \otimes I_d$, and a token used twice has two 1s in each of its columns.",
        factors=(one_hot(t, V), np.eye(d)),
    )


if __name__ == "__main__":
    # --8<-- [start:dropout_setup]
    rng = np.random.default_rng(0)
    N, n, p = 3, 4, 0.25  # 3 examples of width 4, drop probability 1/4
    X = rng.standard_normal((N, n))  # input, 3×4
    M = dropout_mask(rng, (N, n), p)  # keep mask, 3×4 of 0/1, drawn once
    G = rng.standard_normal((N, n))  # upstream gradient ∂L/∂Y, 3×4
    # --8<-- [end:dropout_setup]

    # --8<-- [start:dropout_check]
    numeric = numerical_jacobian(lambda Z: dropout(Z, M, p), X)  # 12×12
    jacobian = dropout_jacobian(M, p)
    assert compare("Jacobian vs finite differences", jacobian, numeric)
    vjp = (G.ravel() @ numeric).reshape(X.shape)  # back to 3×4
    ours = dropout_vjp(G, M, p)
    assert compare("VJP G ∘ M/(1 − p) vs g @ numeric Jacobian", ours, vjp)
    # --8<-- [end:dropout_check]

    # --8<-- [start:dropout_mistake]
    numeric = numerical_jacobian(lambda Z: dropout(Z, M, p), X)  # 12×12
    reference = (G.ravel() @ numeric).reshape(X.shape)
    compare("G ∘ M (1/(1 − p) dropped)", G * M, reference)
    M_new = dropout_mask(rng, (N, n), p)  # a second draw, not the forward's
    compare("G ∘ M_new/(1 − p) (a new mask)", dropout_vjp(G, M_new, p), reference)
    # --8<-- [end:dropout_mistake]

    # --8<-- [start:pool_setup]
    rng = np.random.default_rng(0)
    N, C, m, k = 2, 3, 4, 5  # 2 examples, 3 channels, 4 windows of 5 in each row
    n = m * k  # row length 20
    x = rng.permutation(N * C * n).reshape(N, C, n) / 10  # 0.1 apart: no tie
    g = rng.standard_normal((N, C, m))  # upstream gradient ∂L/∂y, 2×3×4
    # --8<-- [end:pool_setup]

    # --8<-- [start:pool_check]
    numeric = numerical_jacobian(lambda z: max_pool(z, k), x)  # 24×120
    jacobian = max_pool_jacobian(x, k)
    assert compare("max pool Jacobian vs finite differences", jacobian, numeric)
    ones = np.ones(N * C * m)
    assert compare("a single 1 in each row", (numeric != 0).sum(axis=1), ones)
    vjp = (g.ravel() @ numeric).reshape(x.shape)
    ours = max_pool_vjp(x, k, g)
    assert compare("max pool VJP vs g @ numeric Jacobian", ours, vjp)
    numeric = numerical_jacobian(lambda z: average_pool(z, k), x)  # 24×120
    jacobian = average_pool_jacobian(x, k)
    assert compare("average pool Jacobian vs finite differences", jacobian, numeric)
    vjp = (g.ravel() @ numeric).reshape(x.shape)
    ours = average_pool_vjp(g, k)
    assert compare("average pool VJP vs g @ numeric Jacobian", ours, vjp)
    # --8<-- [end:pool_check]

    # --8<-- [start:pool_mistake]
    numeric = numerical_jacobian(lambda z: max_pool(z, k), x)  # 24×120
    reference = (g.ravel() @ numeric).reshape(x.shape)
    compare("g copied to the whole window", np.repeat(g, k, axis=-1), reference)
    compare("g/k spread over the window", average_pool_vjp(g, k), reference)
    # --8<-- [end:pool_mistake]

    # --8<-- [start:embedding_setup]
    rng = np.random.default_rng(0)
    V, d, T = 6, 3, 5  # vocabulary of 6, vectors of width 3, 5 tokens
    E = rng.standard_normal((V, d))  # the table, 6×3
    t = np.array([4, 1, 4, 0, 4])  # the T = 5 token indices: token 4 three times
    G = rng.standard_normal((T, d))  # upstream gradient ∂L/∂H, 5×3
    # --8<-- [end:embedding_setup]

    # --8<-- [start:embedding_check]
    numeric = numerical_jacobian(lambda F: embed(F, t), E)  # 15×18
    jacobian = embedding_jacobian(t, V, d)
    assert compare("Jacobian S ⊗ I_d vs finite differences", jacobian, numeric)
    vjp = (G.ravel() @ numeric).reshape(E.shape)
    ours = embedding_vjp(t, G, V)
    assert compare("VJP by np.add.at vs g @ numeric Jacobian", ours, vjp)
    assert compare("VJP is Sᵀ G", ours, one_hot(t, V).T @ G)
    # --8<-- [end:embedding_check]

    # --8<-- [start:embedding_mistake]
    def assigned(t, G, V):
        """The mistake, grad[t] = G: a repeated index keeps one row."""
        grad = np.zeros((V, G.shape[1]))
        grad[t] = G
        return grad

    numeric = numerical_jacobian(lambda F: embed(F, t), E)  # 15×18
    reference = (G.ravel() @ numeric).reshape(E.shape)
    compare("grad[t] = G, token 4 three times", assigned(t, G, V), reference)
    grad = np.zeros((V, d))
    grad[t] += G  # buffered: a repeated row is added once
    compare("grad[t] += G, token 4 three times", grad, reference)
    t_once = np.array([2, 1, 5, 0, 3])  # T = 5 tokens, no repeat
    numeric = numerical_jacobian(lambda F: embed(F, t_once), E)
    reference = (G.ravel() @ numeric).reshape(E.shape)
    compare("grad[t] = G, no token repeated", assigned(t_once, G, V), reference)
    # --8<-- [end:embedding_mistake]
