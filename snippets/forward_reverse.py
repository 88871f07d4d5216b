"""Forward and reverse mode for f(x) = tanh(xA) B: JVPs, VJPs, and a Hessian-vector product.

Shapes (row vectors, see docs/conventions.md): x is 1×n, A is n×k, B is k×m, z = tanh(xA) is 1×k,
y = f(x) is 1×m, and the Jacobian J = ∂y/∂x is m×n. A direction v is 1×n (the JVP v Jᵀ is 1×m);
a cotangent u is 1×m (the VJP u J is 1×n). The scalar ℓ(x) = f(x) uᵀ has the 1×n gradient
∂ℓ/∂x = u J and the n×n Hessian ∇²ℓ; its Hessian-vector product is written as the row v ∇²ℓ.
Run ``python -m snippets.forward_reverse`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def tanh_layer(x, A, B):
    """f(x) = tanh(xA) B for x 1×n, A n×k, B k×m: 1×m."""
    return np.tanh(x @ A) @ B


def tanh_layer_jacobian(x, A, B):
    """J = ∂f/∂x, m×n: Bᵀ Diag(1 − z∘z) Aᵀ with z = tanh(xA)."""
    z = np.tanh(x @ A)
    return B.T @ np.diag(1 - z.ravel() ** 2) @ A.T


def tanh_layer_jvp(x, A, B, v):
    """Forward mode: how f changes along v (1×n), as a row, v Jᵀ = ((vA) ∘ (1 − z∘z)) B: 1×m."""
    z = np.tanh(x @ A)
    return ((v @ A) * (1 - z**2)) @ B


def tanh_layer_vjp(x, A, B, u):
    """Reverse mode: u J for u 1×m, ((uBᵀ) ∘ (1 − z∘z)) Aᵀ: 1×n."""
    z = np.tanh(x @ A)
    return ((u @ B.T) * (1 - z**2)) @ A.T


def counted(pass_function):
    """pass_function(direction) that also counts its calls in .calls: the number of passes."""

    def wrapped(direction):
        wrapped.calls += 1
        return pass_function(direction)

    wrapped.calls = 0
    return wrapped


def multiplications_per_pass(n, k, m):
    """Scalar multiplications in one JVP ((vA) ∘ (1 − z∘z)) B or one VJP ((uBᵀ) ∘ (1 − z∘z)) Aᵀ:
    n·k for the product with A, k for the ∘, k·m for the product with B."""
    return n * k + k + k * m


def multiplications_shared(n, k):
    """Scalar multiplications both modes make once, before their passes: n·k for z = tanh(xA)
    (and k tanh's), k for 1 − z∘z."""
    return n * k + k


def jacobian_by_jvps(jvp, n):
    """J (m×n) column by column: column j is the JVP along e_j, transposed. n passes."""
    return np.hstack([jvp(e).T for e in np.eye(n)[:, None, :]])


def jacobian_by_vjps(vjp, m):
    """J (m×n) row by row: row i is the VJP of e_i. m passes."""
    return np.vstack([vjp(e) for e in np.eye(m)[:, None, :]])


def jacobian_both_ways(x, A, B):
    """J of tanh_layer at x built by n JVPs and by m VJPs, counting the passes each mode makes:
    (J by forward mode, J by reverse mode, JVP passes, VJP passes)."""
    jvp = counted(lambda v: tanh_layer_jvp(x, A, B, v))
    vjp = counted(lambda u: tanh_layer_vjp(x, A, B, u))
    by_columns, by_rows = jacobian_by_jvps(jvp, x.shape[1]), jacobian_by_vjps(vjp, B.shape[1])
    return by_columns, by_rows, jvp.calls, vjp.calls


def tanh_layer_gradient_and_hvp(x, A, B, u, v):
    """Forward over reverse for ℓ(x) = f(x) uᵀ: the reverse pass (the gradient u J, 1×n) run on
    pairs (value, tangent along v). Returns (∂ℓ/∂x, v ∇²ℓ), both 1×n."""
    r, r_dot = x @ A, v @ A  # forward pass, with tangents
    z = np.tanh(r)
    z_dot = (1 - z**2) * r_dot
    z_bar = u @ B.T  # reverse pass: z̄ = ∂ℓ/∂z; its tangent is 0, u and B do not depend on x
    r_bar, r_bar_dot = z_bar * (1 - z**2), z_bar * (-2 * z * z_dot)  # product rule on 1 − z∘z
    return r_bar @ A.T, r_bar_dot @ A.T


def tanh_layer_hessian(x, A, B, u):
    """∇²ℓ for ℓ(x) = f(x) uᵀ, n×n: A Diag(−2 (uBᵀ) ∘ z ∘ (1 − z∘z)) Aᵀ, symmetric."""
    z = np.tanh(x @ A).ravel()
    return A @ np.diag(-2 * (u @ B.T).ravel() * z * (1 - z**2)) @ A.T


# --8<-- [end:functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "forward and reverse"
CHEAT_SHEET = [
    Row(
        table="Identities and modes",
        operation=r"JVP and VJP of $f(x) = \tanh(xA)B$",
        derivative=r"$vJ^\top$ (forward) and $uJ$ (reverse)",
        functions=("tanh_layer_jvp", "tanh_layer_vjp"),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """J = ∂f/∂x of f(x) = tanh(xA)B at fixed x (1×6), A (6×2), B (2×5): 5×6, rank 2."""
    x = np.array([[0.5, -1.0, 0.3, 1.2, -0.4, 0.8]])
    A = np.array([[0.6, -0.3], [-0.2, 0.9], [1.1, 0.4], [-0.7, -0.5], [0.3, 1.2], [0.8, -1.0]])
    B = np.array([[1.0, -0.6, 0.4, 1.3, -0.9], [0.5, 1.1, -1.2, 0.2, 0.7]])
    jacobian = tanh_layer_jacobian(x, A, B)
    k = A.shape[1]
    return Figure(
        matrix=jacobian,
        of=lambda v: tanh_layer(v, A, B),
        at=x,
        structure="low-rank",
        rows="outputs y_i",
        columns="inputs x_j",
        alt=f"The {size(jacobian)} Jacobian of f(x) = tanh(xA)B with {k} hidden units: dense, yet "
        f"of rank {k}, the product of three factors Bᵀ, Diag(1 − z∘z) and Aᵀ that all pass "
        f"through the {k} hidden units.",
        caption=r"$J = B^\top \operatorname{Diag}(1 - z \circ z)\, A^\top$: every entry is "
        r"non-zero, but all of $J$ passes through $k$ hidden units, so its rank is at most $k$.",
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    n, k, m = 3, 4, 5  # inputs, hidden units, outputs: J is 5×3, not square
    x = rng.standard_normal((1, n))  # the point, 1×n
    A = rng.standard_normal((n, k))  # n×k
    B = rng.standard_normal((k, m))  # k×m
    v = rng.standard_normal((1, n))  # a direction in the input space, 1×n
    u = rng.standard_normal((1, m))  # a cotangent in the output space, 1×m
    # --8<-- [end:setup]

    # --8<-- [start:check]
    jacobian = tanh_layer_jacobian(x, A, B)  # 5×3
    numeric = numerical_jacobian(lambda x: tanh_layer(x, A, B), x)  # 5×3, central differences
    assert compare("J = Bᵀ Diag(1 − z∘z) Aᵀ vs finite differences", jacobian, numeric)
    assert compare("JVP v Jᵀ vs (numeric J vᵀ)ᵀ", tanh_layer_jvp(x, A, B, v), (numeric @ v.T).T)
    assert compare("VJP u J vs u @ numeric J", tanh_layer_vjp(x, A, B, u), u @ numeric)
    jvp_then_u = tanh_layer_jvp(x, A, B, v) @ u.T  # (v Jᵀ) uᵀ
    vjp_then_v = tanh_layer_vjp(x, A, B, u) @ v.T  # (u J) vᵀ
    assert compare("(v Jᵀ) uᵀ = (u J) vᵀ, both u J vᵀ", jvp_then_u, vjp_then_v)
    by_columns = jacobian_by_jvps(lambda v: tanh_layer_jvp(x, A, B, v), n)
    by_rows = jacobian_by_vjps(lambda u: tanh_layer_vjp(x, A, B, u), m)
    assert compare(f"J from {n} JVPs, column by column", by_columns, numeric)
    assert compare(f"J from {m} VJPs, row by row", by_rows, numeric)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    reference = (numerical_jacobian(lambda x: tanh_layer(x, A, B), x) @ v.T).T  # 1×m
    try:
        compare("JVP taken as v J", v @ tanh_layer_jacobian(x, A, B), reference)
    except ValueError as error:
        print(f"JVP taken as v J: {error}")
    B_square = B[:, :n]  # m = n = 3: the Jacobian is square and v J runs
    square_reference = (numerical_jacobian(lambda x: tanh_layer(x, A, B_square), x) @ v.T).T
    compare("square J, JVP taken as v J", v @ tanh_layer_jacobian(x, A, B_square), square_reference)
    # --8<-- [end:mistake]

    # --8<-- [start:costs]
    for label, n_in, m_out in [("tall", 2, 40), ("wide", 40, 1)]:
        x_c = rng.standard_normal((1, n_in))
        A_c, B_c = rng.standard_normal((n_in, k)), rng.standard_normal((k, m_out))
        forward_mode, reverse_mode, jvps, vjps = jacobian_both_ways(x_c, A_c, B_c)
        per_pass, once = multiplications_per_pass(n_in, k, m_out), multiplications_shared(n_in, k)
        name = (
            f"{label} {m_out}×{n_in} J, passes: {jvps} forward ({once} + {jvps * per_pass}"
            f" multiplications), {vjps} reverse ({once} + {vjps * per_pass})"
        )
        assert compare(name, forward_mode, reverse_mode)
    # --8<-- [end:costs]

    # --8<-- [start:hvp]
    def loss(x):  # ℓ(x) = f(x) uᵀ, a scalar
        return tanh_layer(x, A, B) @ u.T

    def gradient(x):  # ∂ℓ/∂x = u J, 1×n
        return tanh_layer_vjp(x, A, B, u)

    gradient_at_x, hvp = tanh_layer_gradient_and_hvp(x, A, B, u, v)
    hessian = tanh_layer_hessian(x, A, B, u)  # 3×3
    along_v = numerical_jacobian(lambda eps: gradient(x + eps * v), np.zeros((1, 1))).T  # 1×n
    assert compare(
        "gradient of the pairs vs finite differences", gradient_at_x, numerical_jacobian(loss, x)
    )
    assert compare("Hv vs central differences of ∇ℓ along v", hvp, along_v)
    assert compare("Hv vs v @ explicit Hessian", hvp, v @ hessian)
    assert compare("Hessian vs finite differences of ∇ℓ", hessian, numerical_jacobian(gradient, x))
    assert compare("Hessian is symmetric", hessian, hessian.T)
    # --8<-- [end:hvp]
