"""Broadcasting, einsum and reuse: three backward rules, each from its Jacobian.

Shapes (row vectors, see docs/conventions.md): a 1×m row b, an N×1 column v or a scalar c is
broadcast to N×m, with upstream gradient G (N×m); einsum operands A (N×n), B (n×m), E (m×p);
a variable x (1×n) used twice in y = f(x, x) = (xM) ∘ x, M n×n, with g = ∂L/∂y (1×n).
Jacobians of matrices are taken between their entries listed row by row (vec_r, numpy's ravel).
Run ``python -m snippets.backward_mechanics`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:broadcast_functions]
def broadcast(a, shape):
    """a (1×m, N×1, 0-d, …) copied to `shape` (N×m) as numpy broadcasts it."""
    return np.broadcast_to(a, shape)


def broadcast_jacobian(shape, out_shape):
    """∂ vec_r(broadcast(a, out_shape)) / ∂ vec_r(a) for a of `shape`: a Kronecker product with
    one factor per axis of out_shape, I_k where the axis keeps its size k and the column 𝟏_k
    where a size 1 (or an axis numpy adds in front) is stretched to k. 1×m to N×m: 𝟏_N ⊗ I_m."""
    padded = (1,) * (len(out_shape) - len(shape)) + tuple(shape)
    jacobian = np.ones((1, 1))
    for before, after in zip(padded, out_shape, strict=True):
        factor = np.eye(after) if before == after else np.ones((after, 1))
        jacobian = np.kron(jacobian, factor)
    return jacobian


def unbroadcast(G, shape):
    """The VJP of broadcasting an array of `shape` to G.shape: G summed over the axes numpy
    added in front and over every axis stretched from size 1, which keeps its size 1; the
    shape of the array. A 1×m row: 𝟏_Nᵀ G; an N×1 column: G 𝟏_m; a scalar: 𝟏_Nᵀ G 𝟏_m."""
    added = G.ndim - len(shape)
    G = G.sum(axis=tuple(range(added)))
    stretched = tuple(axis for axis, length in enumerate(shape) if length == 1)
    return G.sum(axis=stretched, keepdims=True)


# --8<-- [end:broadcast_functions]


# --8<-- [start:einsum_functions]
def einsum_along(subscripts, operands, k):
    """np.einsum(subscripts, *operands) as a function of operand k alone, the others fixed."""

    def of_operand(X):
        return np.einsum(subscripts, *operands[:k], X, *operands[k + 1 :])

    return of_operand


def einsum_jacobian(subscripts, operands, k):
    """∂ vec_r C / ∂ vec_r(operand k) of C = np.einsum(subscripts, *operands), explicit
    subscripts with no letter twice in one operand: (size of C) × (size of operand k). Entry by
    entry, the other operands times a Kronecker delta between each letter of operand k and its
    capital, the entry differentiated by: ∂C_ik/∂A_IJ = δ_iI B_Jk for "ij,jk->ik"."""
    inputs, output = subscripts.split("->")
    letters = inputs.split(",")
    own = letters[k]
    deltas = [letter + letter.upper() for letter in own]
    spec = ",".join(letters[:k] + letters[k + 1 :] + deltas) + "->" + output + own.upper()
    identities = [np.eye(length) for length in operands[k].shape]
    full = np.einsum(spec, *operands[:k], *operands[k + 1 :], *identities)
    return full.reshape(-1, operands[k].size)


def vjp_subscripts(subscripts, k):
    """The einsum giving ∂L/∂(operand k): in, the upstream gradient G (the output's letters) and
    the other operands; out, operand k's letters. A letter of operand k found in no other input
    is one more input, a vector of ones, along which G is broadcast back.
    "ij,jk->ik" and k = 0 give "ik,jk->ij"; "ij->i" gives "i,j->ij"."""
    inputs, output = subscripts.split("->")
    letters = inputs.split(",")
    terms = [output, *letters[:k], *letters[k + 1 :]]
    alone = [letter for letter in letters[k] if letter not in "".join(terms)]
    return ",".join(terms + alone) + "->" + letters[k]


def einsum_vjp(subscripts, operands, G, k):
    """∂L/∂(operand k) of C = np.einsum(subscripts, *operands), for G = ∂L/∂C (the shape of
    C), by the einsum of vjp_subscripts: the shape of operand k."""
    spec = vjp_subscripts(subscripts, k)
    own = subscripts.split("->")[0].split(",")[k]
    alone = spec.split("->")[0].split(",")[len(operands) :]
    ones = [np.ones(operands[k].shape[own.index(letter)]) for letter in alone]
    return np.einsum(spec, G, *operands[:k], *operands[k + 1 :], *ones)


# --8<-- [end:einsum_functions]


# --8<-- [start:reuse_functions]
def gate(x, M):
    """y = f(x, x) with f(w, z) = (wM) ∘ z: x (1×n) used twice, M n×n; 1×n."""
    return (x @ M) * x


def gate_jacobian(x, M):
    """∂y/∂x (n×n) as f's Jacobian [∂f/∂w ∂f/∂z] (n×2n) times the copy's [I; I] = 𝟏_2 ⊗ I_n."""
    n = x.shape[1]
    along_w = np.diag(x.ravel()) @ M.T  # ∂f/∂w = Diag(z) Mᵀ at z = x
    along_z = np.diag((x @ M).ravel())  # ∂f/∂z = Diag(wM) at w = x
    copy = np.kron(np.ones((2, 1)), np.eye(n))  # ∂(x, x)/∂x, 2n×n
    return np.hstack([along_w, along_z]) @ copy


def gate_vjp(x, M, g):
    """g (∂y/∂x) without the Jacobian: the VJPs of the two paths added, g_w + g_z; 1×n."""
    grad = np.zeros_like(x)
    grad += (g * x) @ M.T  # the path through w: g_w = (g ∘ z) Mᵀ
    grad += g * (x @ M)  # the path through z: g_z = g ∘ (wM)
    return grad


# --8<-- [end:reuse_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "broadcasting, einsum, reuse"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=r"broadcast: $b$ ($1 \times m$) added to each of $N$ rows, $\mathbf{1}_N b$",
        jacobian=r"$\mathbf{1}_N \otimes I_m$, $N$ identities stacked",
        vjp=(
            r"$\mathbf{1}_N^\top G$: $G$ summed over the broadcast axes ($G\mathbf{1}_m$ for a "
            r"column, $\mathbf{1}_N^\top G \mathbf{1}_m$ for a scalar)"
        ),
        functions=("unbroadcast", "broadcast_jacobian"),
        anchor="broadcasting-sum-over-the-broadcast-axes",
    ),
    Row(
        table="Layers",
        operation=r'$C$ = `einsum("ij,jk->ik", A, B)`, and any einsum',
        jacobian=(
            r"$I_N \otimes B^\top$ for $A$: the other operands, spread out by Kronecker deltas"
        ),
        vjp=(
            r'`einsum("ik,jk->ij", G, B)` $= GB^\top$: $G$ with the other operands, out the '
            r"operand's letters"
        ),
        functions=("einsum_vjp", "einsum_jacobian"),
        anchor="einsum-the-gradient-of-an-operand",
    ),
    Row(
        table="Layers",
        operation=r"a variable used twice, $y = f(x, x)$",
        jacobian=r"$\frac{\partial f}{\partial w} + \frac{\partial f}{\partial z}$, through "
        r"the copy's $\mathbf{1}_2 \otimes I_n$",
        vjp=r"$g_w + g_z$, accumulated with `+=`",
        functions=("gate_vjp",),
        anchor="a-variable-used-twice-gradients-add",
    ),
]


# The pictures of the Jacobians on the page: hooks/jacobian_figures.py draws them at build time,
# tests/test_figures.py checks each against finite differences and its structure keyword.
def structure_figure():
    """∂ vec_r(𝟏_N b)/∂b for a 1×3 row b and N = 4: 12×3, 𝟏_N ⊗ I_m."""
    N, m = 4, 3
    b = np.ones((1, m))  # any b: broadcasting is linear, its Jacobian the same everywhere
    jacobian = broadcast_jacobian(b.shape, (N, m))
    return Figure(
        matrix=jacobian,
        of=lambda b: broadcast(b, (N, m)),
        at=b,
        structure="kronecker",
        rows="outputs, row by row",
        columns="bias b_j",
        alt=f"The {size(jacobian)} Jacobian of broadcasting a 1×{m} row to {N} rows: the "
        f"Kronecker product 1_{N} ⊗ I_{m}, {N} identity blocks stacked, so each output is a copy "
        f"of one entry and each entry is copied {N} times.",
        caption=r"$\mathbf{1}_N \otimes I_m$: one identity per copy.",
        factors=(np.ones((N, 1)), np.eye(m)),
    )


def einsum_figure():
    """∂ vec_r C/∂ vec_r A of C = einsum("ij,jk->ik", A, B), A 2×4, B 4×3: 6×8, I_N ⊗ Bᵀ."""
    N, n, m = 2, 4, 3
    A = np.ones((N, n))  # any A: C is linear in A, its Jacobian holds B alone
    B = np.random.default_rng(15).standard_normal((n, m)).round(1)  # 4×3, both signs, no 0
    jacobian = einsum_jacobian("ij,jk->ik", [A, B], 0)
    return Figure(
        matrix=jacobian,
        of=einsum_along("ij,jk->ik", [A, B], 0),
        at=A,
        structure="block-diagonal",
        rows="outputs C_{ik}, row by row",
        columns="entries A_{st}, row by row",
        alt=f"The {size(jacobian)} Jacobian of C = AB with respect to A, both flattened row by "
        f"row: block-diagonal, {N} blocks of {m}×{n}, each the transpose of B, since row i of C "
        "uses row i of A alone.",
        caption=r"$I_N \otimes B^\top$: the entries of $B$, placed by Kronecker deltas.",
        blocks=((m, n),) * N,
    )


def reuse_figure():
    """∂(x, x)/∂x, the copy of a 1×4 row x into two rows: 8×4, 𝟏_2 ⊗ I_n."""
    n = 4
    x = np.ones((1, n))  # any x: the copy is linear
    jacobian = broadcast_jacobian(x.shape, (2, n))
    return Figure(
        matrix=jacobian,
        of=lambda x: broadcast(x, (2, n)),
        at=x,
        structure="kronecker",
        rows="the two copies w, z",
        columns="inputs x_j",
        alt=f"The {size(jacobian)} Jacobian of using a 1×{n} row twice: the Kronecker product "
        f"1_2 ⊗ I_{n}, two identity blocks stacked, one per use.",
        caption=r"$\mathbf{1}_2 \otimes I_n$: the broadcast to two rows.",
        factors=(np.ones((2, 1)), np.eye(n)),
    )


if __name__ == "__main__":
    # --8<-- [start:broadcast_setup]
    rng = np.random.default_rng(0)
    N, m = 5, 3  # rows, columns: pairwise distinct, so a sum over the wrong axis shows
    b = rng.standard_normal((1, m))  # a bias row, 1×3
    v = rng.standard_normal((N, 1))  # a column, 5×1
    c = np.array(rng.standard_normal())  # a scalar, 0-d
    G = rng.standard_normal((N, m))  # upstream gradient of the 5×3 broadcast
    # --8<-- [end:broadcast_setup]

    # --8<-- [start:broadcast_check]
    for name, a in [("row b", b), ("column v", v), ("scalar c", c)]:
        numeric = numerical_jacobian(lambda a: broadcast(a, (N, m)), a)  # 15 × (size of a)
        jacobian = broadcast_jacobian(a.shape, (N, m))
        assert compare(f"{name} {a.shape}: Jacobian", jacobian, numeric)
        reference = (G.ravel() @ numeric).reshape(a.shape)  # G · Jacobian, in the shape of a
        assert compare(f"{name} {a.shape}: VJP, G summed", unbroadcast(G, a.shape), reference)
    # --8<-- [end:broadcast_check]

    # --8<-- [start:broadcast_mistake]
    numeric = numerical_jacobian(lambda b: broadcast(b, (N, m)), b)  # 15×3
    reference = (G.ravel() @ numeric).reshape(b.shape)  # ∂L/∂b, 1×3
    compare("G itself (not summed)", G, reference)
    compare("G.sum(axis=1) (the wrong axis)", G.sum(axis=1), reference)
    compare("G.mean(axis=0, keepdims=True)", G.mean(axis=0, keepdims=True), reference)
    # --8<-- [end:broadcast_mistake]

    # --8<-- [start:einsum_setup]
    rng = np.random.default_rng(0)
    N, n, m, p = 5, 4, 3, 2  # the sizes of the letters: pairwise distinct
    A = rng.standard_normal((N, n))  # 5×4
    B = rng.standard_normal((n, m))  # 4×3
    E = rng.standard_normal((m, p))  # 3×2
    cases = [  # subscripts, operands, which operand, its name
        ("ij,jk->ik", [A, B], 0, "A"),
        ("ij,jk->ik", [A, B], 1, "B"),
        ("ij->i", [A], 0, "A"),
        ("ij,jk,kl->il", [A, B, E], 1, "B"),
    ]
    # --8<-- [end:einsum_setup]

    # --8<-- [start:einsum_check]
    for subscripts, operands, k, name in cases:
        G = rng.standard_normal(np.einsum(subscripts, *operands).shape)  # like the output
        numeric = numerical_jacobian(einsum_along(subscripts, operands, k), operands[k])
        jacobian = einsum_jacobian(subscripts, operands, k)
        assert compare(f"{subscripts}, ∂/∂{name}: Jacobian", jacobian, numeric)
        reference = (G.ravel() @ numeric).reshape(operands[k].shape)
        vjp, spec = einsum_vjp(subscripts, operands, G, k), vjp_subscripts(subscripts, k)
        assert compare(f"{subscripts}, ∂/∂{name}: VJP by {spec}", vjp, reference)
    # --8<-- [end:einsum_check]

    # --8<-- [start:einsum_mistake]
    G = rng.standard_normal((N, m))  # upstream gradient of C = einsum("ij,jk->ik", A, B)
    numeric = numerical_jacobian(einsum_along("ij,jk->ik", [A, B], 0), A)
    reference = (G.ravel() @ numeric).reshape(A.shape)  # ∂L/∂A, 5×4
    compare("ik,jk->ji (A's letters out of order)", np.einsum("ik,jk->ji", G, B), reference)
    G = rng.standard_normal(N)  # upstream gradient of u = einsum("ij->i", A)
    numeric = numerical_jacobian(einsum_along("ij->i", [A], 0), A)
    reference = (G.ravel() @ numeric).reshape(A.shape)  # ∂L/∂A, 5×4
    compare("G itself for ij->i (not broadcast along j)", G, reference)
    # --8<-- [end:einsum_mistake]

    # --8<-- [start:reuse_setup]
    rng = np.random.default_rng(0)
    n = 4  # the width of x
    x = rng.standard_normal((1, n))  # the variable used twice, 1×4
    M = rng.standard_normal((n, n))  # the gate's weights, 4×4 (square)
    g = rng.standard_normal((1, n))  # upstream gradient ∂L/∂y, 1×4
    # --8<-- [end:reuse_setup]

    # --8<-- [start:reuse_check]
    numeric = numerical_jacobian(lambda x: gate(x, M), x)  # 4×4
    assert compare("(xM) ∘ x: Jacobian [∂f/∂w ∂f/∂z][I; I]", gate_jacobian(x, M), numeric)
    assert compare("(xM) ∘ x: VJP g_w + g_z", gate_vjp(x, M, g), g @ numeric)
    numeric = numerical_jacobian(lambda x: x * x, x)  # x ∘ x, the gate with M = I
    assert compare("x ∘ x: VJP g ∘ x + g ∘ x", gate_vjp(x, np.eye(n), g), g @ numeric)
    # --8<-- [end:reuse_check]

    # --8<-- [start:reuse_mistake]
    reference = g @ numerical_jacobian(lambda x: gate(x, M), x)
    grad = (g * x) @ M.T  # the path through w ...
    grad = g * (x @ M)  # ... overwritten by the path through z
    compare("(xM) ∘ x, grad = … for each path", grad, reference)
    reference = g @ numerical_jacobian(lambda x: x * x, x)
    grad = g * x  # x ∘ x: the path through w ...
    grad = g * x  # ... overwritten by the path through z
    compare("x ∘ x, grad = … for each path", grad, reference)
    # --8<-- [end:reuse_mistake]
