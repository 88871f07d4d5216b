"""L2 normalization, cosine similarity and weight normalization: a projection, and its VJP.

Shapes (row vectors, see docs/conventions.md):
- L2 normalization of rows: X and U = X/max(‖row‖, ε) are N×n (a single row x is 1×n), G = ∂L/∂U
  is N×n; the Jacobian of a batch is (N·n)×(N·n), block-diagonal, row by row (vec_r);
- cosine similarity of matching rows: A, B are N×n, c is N×1 (c_k the cosine of row k of A and
  row k of B), g = ∂L/∂c is N×1;
- weight normalization: V is n×m, γ is 1×m, W = V Diag(γ/ν) is n×m, ν the 1×m column norms of V:
  one output unit per column, as r = xW has it; G = ∂L/∂W is n×m.
Run ``python -m snippets.l2_normalization`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:normalize_functions]
def l2_normalize(X, eps=1e-12):
    """U = X / max(‖x_k‖, ε) row by row (F.normalize's rule), N×n."""
    norms = np.sqrt((X * X).sum(axis=1, keepdims=True))  # N×1
    return X / np.maximum(norms, eps)


def l2_normalize_jacobian(X, eps=1e-12):
    """∂vec_r U/∂vec_r X, (N·n)×(N·n): block k is (I − u_kᵀu_k)/‖x_k‖,
    or I/ε where ‖x_k‖ < ε; zero between rows."""
    N, n = X.shape
    norms = np.sqrt((X * X).sum(axis=1))  # length N
    U = l2_normalize(X, eps)
    projected = (norms > eps)[:, None, None] * np.einsum("ki,kj->kij", U, U)
    blocks = (np.eye(n) - projected) / np.maximum(norms, eps)[:, None, None]
    return np.einsum("kl,kij->kilj", np.eye(N), blocks).reshape(N * n, N * n)


def l2_normalize_vjp(X, G, eps=1e-12):
    """G (∂U/∂X) without the Jacobian: (g − (g uᵀ) u)/‖x‖ row by row,
    g/ε where ‖x‖ < ε; N×n."""
    norms = np.sqrt((X * X).sum(axis=1, keepdims=True))  # N×1
    U = l2_normalize(X, eps)
    along = (G * U).sum(axis=1, keepdims=True) * (norms > eps)  # g uᵀ
    return (G - along * U) / np.maximum(norms, eps)


# --8<-- [end:normalize_functions]


# --8<-- [start:cosine_functions]
def cosine_similarity(A, B, eps=1e-8):
    """c_k = â_k b̂_kᵀ, â_k = a_k/max(‖a_k‖, ε): N×1 (F.cosine_similarity)."""
    return (l2_normalize(A, eps) * l2_normalize(B, eps)).sum(axis=1, keepdims=True)


def cosine_jacobian(A, B, eps=1e-8):
    """∂c/∂vec_r A, N×(N·n): row k is b̂_k (∂â_k/∂a_k) in block k, zero
    elsewhere. Swap A and B for ∂c/∂vec_r B."""
    N, n = A.shape
    rows = l2_normalize(B, eps)[:, None, :]  # N×1×n: b̂_k
    J = l2_normalize_jacobian(A, eps).reshape(N, n, N, n)  # block k at [k, :, k, :]
    blocks = rows @ J[np.arange(N), :, np.arange(N), :]  # N×1×n
    return np.einsum("kl,kj->klj", np.eye(N), blocks[:, 0, :]).reshape(N, N * n)


def cosine_vjp(A, B, g, eps=1e-8):
    """(∂L/∂A, ∂L/∂B) for g = ∂L/∂c (N×1): the normalization VJP with
    upstream g b̂ for A, g â for B; each N×n."""
    grad_A = l2_normalize_vjp(A, g * l2_normalize(B, eps), eps)
    grad_B = l2_normalize_vjp(B, g * l2_normalize(A, eps), eps)
    return grad_A, grad_B


# --8<-- [end:cosine_functions]


# --8<-- [start:weight_norm_functions]
def weight_norm(V, gamma):
    """W = V Diag(γ/ν), ν the column norms of V: column j is γ_j v_j/‖v_j‖."""
    return V * gamma / np.sqrt((V * V).sum(axis=0, keepdims=True))


def weight_norm_jacobians(V, gamma):
    """(∂vec W/∂vec V, ∂vec W/∂γ), vec stacking columns: (n·m)×(n·m),
    block j γ_j(I − v̂_j v̂_jᵀ)/ν_j; and (n·m)×m, column j is v̂_j in block j."""
    n, m = V.shape
    nu = np.sqrt((V * V).sum(axis=0))  # length m
    U = V / nu  # V̂, n×m: unit columns
    blocks = (np.eye(n) - np.einsum("ij,kj->jik", U, U)) * (gamma.ravel() / nu)[:, None, None]
    by_V = np.einsum("jl,jik->ijkl", np.eye(m), blocks)  # [i, j, k, l]: W_ij by V_kl
    by_V = by_V.transpose(1, 0, 3, 2).reshape(n * m, n * m)  # column-major both ways
    by_gamma = np.einsum("jl,ij->jil", np.eye(m), U).reshape(n * m, m)
    return by_V, by_gamma


def weight_norm_vjp(V, gamma, G):
    """(∂L/∂V, ∂L/∂γ) for G = ∂L/∂W (n×m): ∂L/∂γ = 𝟏ᵀ(G ∘ V̂), 1×m;
    ∂L/∂V = (G − V̂ Diag(∂L/∂γ)) Diag(γ/ν), n×m."""
    nu = np.sqrt((V * V).sum(axis=0, keepdims=True))  # 1×m
    U = V / nu  # V̂, unit columns
    grad_gamma = (G * U).sum(axis=0, keepdims=True)
    grad_V = (G - U * grad_gamma) * gamma / nu
    return grad_V, grad_gamma


# --8<-- [end:weight_norm_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "L2 normalization and cosine similarity"
CHEAT_SHEET = [
    Row(
        table="Layers",
        operation=r"L2 normalization of a row, $u = x/\lVert x \rVert$",
        jacobian=r"$(I - u^\top u)/\lVert x \rVert$, a projection scaled",
        vjp=r"$\big(g - (g u^\top)\, u\big)/\lVert x \rVert$",
        functions=("l2_normalize_vjp",),
        anchor="l2-normalization",
    ),
    Row(
        table="Layers",
        operation=r"cosine similarity $c = \hat{a}\hat{b}^\top$ of two rows",
        jacobian=r"$\partial c/\partial a = (\hat{b} - c\,\hat{a})/\lVert a \rVert$",
        vjp=r"$g\,(\hat{b} - c\,\hat{a})/\lVert a \rVert$; swap $a$ and $b$ for $b$",
        functions=("cosine_vjp",),
        anchor="cosine-similarity",
    ),
    Row(
        table="Layers",
        operation=r"weight normalization, column $j$ of $W$ is $\gamma_j v_j/\nu_j$, "
        r"$\nu_j = \lVert v_j \rVert$",
        jacobian=r"$\partial w_j/\partial v_j = \gamma_j (I - \hat{v}_j \hat{v}_j^\top)/\nu_j$",
        vjp=r"$\partial L/\partial \gamma = \mathbf{1}_n^\top (G \circ \hat{V})$; "
        r"$\partial L/\partial V = \big(G - \hat{V} "
        r"\operatorname{Diag}(\partial L/\partial \gamma)\big)"
        r"\operatorname{Diag}(\gamma \oslash \nu)$",
        functions=("weight_norm_vjp",),
        anchor="weight-normalization",
    ),
]


# The pictures of the Jacobians on the page: hooks/jacobian_figures.py draws them at build time,
# tests/test_figures.py checks them against finite differences and their structure keywords.
UNIT_ROW = np.array([[0.2, -0.4, 0.4, -0.8]])  # 1×4, ‖x‖ = 1 exactly


def structure_figure():
    """∂u/∂x at a fixed unit row x (1×4, ‖x‖ = 1): I − uᵀu, 4×4."""
    jacobian = l2_normalize_jacobian(UNIT_ROW)
    return Figure(
        matrix=jacobian,
        of=l2_normalize,
        at=UNIT_ROW,
        structure="identity-minus-rank-one",
        rows="outputs u_i",
        columns="inputs x_j",
        alt=f"The {size(jacobian)} Jacobian of u = x/‖x‖ at a row of norm 1: the identity minus "
        "a rank-one matrix, I − uᵀu, symmetric, its largest entries on the diagonal.",
        caption=r"At $\lVert x \rVert = 1$, $\partial u/\partial x = I - u^\top u$; elsewhere the "
        r"same matrix divided by $\lVert x \rVert$.",
    )


def batch_figure():
    """∂vec_r U/∂vec_r X for a fixed 2×3 batch: 6×6, two 3×3 blocks."""
    X = np.array([[0.6, -1.2, 0.9], [-0.5, 0.3, 1.4]])  # N×n = 2×3
    jacobian = l2_normalize_jacobian(X)
    return Figure(
        matrix=jacobian,
        of=l2_normalize,
        at=X,
        structure="block-diagonal",
        rows="outputs U_{ki}, row by row",
        columns="inputs X_{lj}, row by row",
        alt=f"The {size(jacobian)} Jacobian of a batch of two rows of 3, each normalized alone: "
        "block-diagonal, one 3×3 block per row, zero between rows.",
        caption=r"A batch: one block $(I - u_k^\top u_k)/\lVert x_k \rVert$ per row, zero "
        r"between rows.",
        blocks=((3, 3), (3, 3)),
    )


def weight_norm_figure():
    """∂vec W/∂vec V for a fixed 3×2 V: 6×6, a block per column of W."""
    V = np.array([[0.8, -0.3], [-0.4, 1.1], [0.5, 0.6]])  # n×m = 3×2
    gamma = np.array([[1.5, -0.7]])  # 1×m
    jacobian, _ = weight_norm_jacobians(V, gamma)
    return Figure(
        matrix=jacobian,
        of=lambda Vt: weight_norm(Vt.T, gamma).T,  # row-major of Vᵀ is vec V
        at=V.T,
        structure="block-diagonal",
        rows="outputs W_{ij}, column by column",
        columns="directions V_{kl}, column by column",
        alt=f"The {size(jacobian)} Jacobian of W by V in weight normalization, V of 3×2: "
        "block-diagonal, one 3×3 block per output unit, a column of W.",
        caption=r"Weight normalization: column $j$ of $W$ depends on column $j$ of $V$ alone, "
        r"through $\gamma_j (I - \hat{v}_j \hat{v}_j^\top)/\nu_j$.",
        blocks=((3, 3), (3, 3)),
    )


if __name__ == "__main__":
    # --8<-- [start:normalize_setup]
    rng = np.random.default_rng(0)
    N, n = 3, 4  # 3 rows of width 4
    X = rng.standard_normal((N, n))  # input, 3×4
    G = rng.standard_normal((N, n))  # upstream gradient ∂L/∂U, 3×4
    # --8<-- [end:normalize_setup]

    # --8<-- [start:normalize_check]
    numeric = numerical_jacobian(l2_normalize, X)  # 12×12
    jacobian = l2_normalize_jacobian(X)
    assert compare("Jacobian vs finite differences", jacobian, numeric)
    vjp = (G.ravel() @ numeric).reshape(X.shape)
    assert compare("VJP vs g @ numeric Jacobian", l2_normalize_vjp(X, G), vjp)
    short = 0.01 * X  # rows shorter than ε = 0.1: U = X/ε
    numeric = numerical_jacobian(lambda Z: l2_normalize(Z, 0.1), short)
    assert compare("‖x‖ < ε: Jacobian I/ε", l2_normalize_jacobian(short, 0.1), numeric)
    vjp = (G.ravel() @ numeric).reshape(X.shape)
    assert compare("‖x‖ < ε: VJP g/ε", l2_normalize_vjp(short, G, 0.1), vjp)
    # --8<-- [end:normalize_check]

    # --8<-- [start:normalize_mistake]
    numeric = numerical_jacobian(l2_normalize, X)  # 12×12
    reference = (G.ravel() @ numeric).reshape(X.shape)
    norms = np.sqrt((X * X).sum(axis=1, keepdims=True))  # N×1
    compare("g/‖x‖ (‖x‖ held constant)", G / norms, reference)
    # --8<-- [end:normalize_mistake]

    # --8<-- [start:cosine_setup]
    rng = np.random.default_rng(1)
    N, n = 2, 5  # 2 pairs of rows of width 5
    A = rng.standard_normal((N, n))  # 2×5
    B = rng.standard_normal((N, n))  # 2×5
    g = rng.standard_normal((N, 1))  # upstream gradient ∂L/∂c, 2×1
    # --8<-- [end:cosine_setup]

    # --8<-- [start:cosine_check]
    ours = dict(zip("AB", cosine_vjp(A, B, g), strict=True))  # ∂L/∂A, ∂L/∂B
    for name, Z, other in [("A", A, B), ("B", B, A)]:  # c is symmetric in A, B
        numeric = numerical_jacobian(lambda Y, W=other: cosine_similarity(Y, W), Z)
        jacobian = cosine_jacobian(Z, other)  # 2×10
        assert compare(f"∂c/∂{name} vs finite differences", jacobian, numeric)
        vjp = (g.ravel() @ numeric).reshape(Z.shape)
        assert compare(f"∂L/∂{name} vs g @ numeric Jacobian", ours[name], vjp)
    # --8<-- [end:cosine_check]

    # --8<-- [start:cosine_mistake]
    numeric = numerical_jacobian(lambda Z: cosine_similarity(Z, B), A)
    reference = (g.ravel() @ numeric).reshape(A.shape)
    norms = np.sqrt((A * A).sum(axis=1, keepdims=True))  # N×1
    constant = g * l2_normalize(B) / norms  # g b̂/‖a‖, the norms held constant
    compare("g b̂/‖a‖ (‖a‖ held constant)", constant, reference)
    # --8<-- [end:cosine_mistake]

    # --8<-- [start:weight_norm_setup]
    rng = np.random.default_rng(2)
    n, m = 4, 3  # 4 inputs, 3 output units (columns of W)
    V = rng.standard_normal((n, m))  # directions, 4×3
    gamma = rng.standard_normal((1, m))  # scales, 1×3
    G = rng.standard_normal((n, m))  # upstream gradient ∂L/∂W, 4×3
    # --8<-- [end:weight_norm_setup]

    # --8<-- [start:weight_norm_check]
    by_v, by_gamma = weight_norm_jacobians(V, gamma)  # ∂vec W/∂vec V, ∂vec W/∂γ
    vec = G.ravel(order="F")  # vec G, column by column
    grad_v, grad_gamma = weight_norm_vjp(V, gamma, G)  # ∂L/∂V, ∂L/∂γ
    numeric = numerical_jacobian(lambda Vt: weight_norm(Vt.T, gamma).T, V.T)
    assert compare("∂vec W/∂vec V vs finite differences", by_v, numeric)
    vjp = (vec @ numeric).reshape(m, n).T  # vec V back to n×m
    assert compare("∂L/∂V vs g @ numeric Jacobian", grad_v, vjp)
    numeric = numerical_jacobian(lambda s: weight_norm(V, s).T, gamma)
    assert compare("∂vec W/∂γ vs finite differences", by_gamma, numeric)
    vjp = (vec @ numeric).reshape(gamma.shape)
    assert compare("∂L/∂γ vs g @ numeric Jacobian", grad_gamma, vjp)
    # --8<-- [end:weight_norm_check]

    # --8<-- [start:weight_norm_mistake]
    numeric = numerical_jacobian(lambda Vt: weight_norm(Vt.T, gamma).T, V.T)
    reference = (G.ravel(order="F") @ numeric).reshape(m, n).T
    nu = np.sqrt((V * V).sum(axis=0, keepdims=True))  # 1×m
    compare("G Diag(γ/ν) (ν held constant)", G * gamma / nu, reference)
    # --8<-- [end:weight_norm_mistake]
