"""Three ways to ∂ℓ/∂x and ∂ℓ/∂W1 of the network: Jacobian chain, differentials, einsum.

Shapes (one example, row vectors, see docs/conventions.md): x is 1×n, W1 n×m, b1 1×m,
W2 m×k, b2 1×k, y 1×k one-hot; ∂ℓ/∂x is 1×n and ∂ℓ/∂W1 is n×m (the page: n = 5, m = 3, k = 5).
The network itself is defined once, in snippets/network.py.
Run ``python -m snippets.three_ways`` to see the checks the page shows.
"""

import numpy as np

from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian
from snippets.network import network_forward, network_jacobians, network_loss, softmax


# --8<-- [start:functions]
def affine_weight_jacobian(x, m):
    """∂r/∂W1 of r = xW1 + b1 for x 1×n: m×(n·m), one column per entry of W1 in row-major
    order; entry (j, (i, l)) is x_i δ_jl, so the matrix is x ⊗ I_m."""
    return np.kron(x, np.eye(m))


def chain_gradients(x, y, W1, b1, W2, b2):
    """(a) ∂ℓ/∂x (1×n) and ∂ℓ/∂W1 (n×m) by multiplying explicit Jacobians."""
    dl_dyhat, dyhat_dtheta, dtheta_dh, dh_dr, dr_dx = network_jacobians(x, y, W1, b1, W2, b2)
    dl_dr = dl_dyhat @ dyhat_dtheta @ dtheta_dh @ dh_dr  # 1×m
    dr_dW1 = affine_weight_jacobian(x, W1.shape[1])  # m×(n·m)
    return {"x": dl_dr @ dr_dx, "W1": (dl_dr @ dr_dW1).reshape(W1.shape)}


def frobenius(A, B):
    """A:B = tr(AᵀB) for A, B of the same shape; equal to the sum of the entries of A∘B."""
    return np.trace(A.T @ B)


def differential_gradients(x, y, W1, b1, W2, b2):
    """(b) ∂ℓ/∂x and ∂ℓ/∂W1 read off dℓ = G_x:dx + G_W1:dW1, one identity a line."""
    _, h, theta = network_forward(x, W1, b1, W2, b2)
    g_theta = softmax(theta) - y  # dℓ = (ŷ − y):dθ
    g_h = g_theta @ W2.T  # g_θ:(dh W2) = (g_θ W2ᵀ):dh, by A:(BC) = (ACᵀ):B
    g_r = g_h * (h * (1 - h))  # g_h:(σ'(r)∘dr) = (g_h∘σ'(r)):dr, by A:(B∘C) = (A∘B):C
    g_x = g_r @ W1.T  # g_r:(dx W1) = (g_r W1ᵀ):dx, by A:(BC) = (ACᵀ):B
    g_W1 = x.T @ g_r  # g_r:(x dW1) = (xᵀ g_r):dW1, by A:(BC) = (BᵀA):C
    return {"x": g_x, "W1": g_W1}


def einsum_gradients(x, y, W1, b1, W2, b2):
    """(c) index notation, a the row index (size 1), i input, j hidden, k class:
    ∂ℓ/∂x_ai = Σ_jk (ŷ − y)_ak (W2)_jk σ'(r)_aj (W1)_ij,
    ∂ℓ/∂(W1)_ij = Σ_ak x_ai σ'(r)_aj (ŷ − y)_ak (W2)_jk."""
    _, h, theta = network_forward(x, W1, b1, W2, b2)
    g_theta, sigma_prime = softmax(theta) - y, h * (1 - h)
    g_x = np.einsum("ak,jk,aj,ij->ai", g_theta, W2, sigma_prime, W1)
    g_W1 = np.einsum("ai,aj,ak,jk->ij", x, sigma_prime, g_theta, W2)
    return {"x": g_x, "W1": g_W1}


# --8<-- [end:functions]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """∂r/∂vec_r W1 = x ⊗ I_m for a fixed x (1×5) and m = 3: m×(n·m) = 3×15."""
    x = np.array([[0.8, -1.2, 0.5, 1.5, -0.3]])
    n, m = x.shape[1], 3
    W1, b1 = np.ones((n, m)), np.zeros((1, m))
    jacobian = affine_weight_jacobian(x, m)
    return Figure(
        matrix=jacobian,
        of=lambda W: x @ W + b1,
        at=W1,
        structure="kronecker",
        rows="hidden r_j",
        columns="weights (W_1)_{il}, row by row",
        alt=f"The {size(jacobian)} Jacobian of r = xW1 + b1 with respect to W1, flattened row by "
        f"row: the Kronecker product x ⊗ I_{m}, {n} blocks of {m}×{m} side by side, block i being "
        f"x_i times the identity; {np.count_nonzero(jacobian)} of its {jacobian.size} entries are "
        "non-zero.",
        caption=r"$\partial r/\partial \operatorname{vec}_r W_1 = x \otimes I_m$: entry $(j, (i, "
        r"l))$ is $x_i\, \delta_{jl}$.",
        factors=(x, np.eye(m)),
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)  # the same network and example as on the network page
    n, m, k = 5, 3, 4  # inputs, hidden units, classes: pairwise distinct
    x = rng.standard_normal((1, n))  # one input, 1×5
    y = np.eye(k)[[2]]  # its one-hot label, 1×4
    W1, b1 = rng.standard_normal((n, m)), rng.standard_normal((1, m))  # 5×3, 1×3
    W2, b2 = rng.standard_normal((m, k)), rng.standard_normal((1, k))  # 3×4, 1×4
    step = {"x": rng.standard_normal((1, n)), "W1": rng.standard_normal((n, m))}  # dx, dW1
    # --8<-- [end:setup]

    # --8<-- [start:check]
    numeric = {
        "x": numerical_jacobian(lambda x: network_loss(x, y, W1, b1, W2, b2), x),
        "W1": numerical_jacobian(lambda W: network_loss(x, y, W, b1, W2, b2), W1).reshape(W1.shape),
    }
    ways = {
        "(a) Jacobian chain": chain_gradients(x, y, W1, b1, W2, b2),
        "(b) differentials": differential_gradients(x, y, W1, b1, W2, b2),
        "(c) einsum": einsum_gradients(x, y, W1, b1, W2, b2),
    }
    for way, gradients in ways.items():
        for name in ["x", "W1"]:
            assert compare(
                f"{way}, ∂ℓ/∂{name} vs finite differences", gradients[name], numeric[name]
            )

    def loss_along(t):  # ℓ at x + t dx, W1 + t dW1
        return network_loss(x + t * step["x"], y, W1 + t * step["W1"], b1, W2, b2)

    change = numerical_jacobian(loss_along, 0.0).item()  # dℓ/dt at t = 0
    read_off = ways["(b) differentials"]
    linear_part = frobenius(read_off["x"], step["x"]) + frobenius(read_off["W1"], step["W1"])
    assert compare("(b) G_x:dx + G_W1:dW1 vs the change of ℓ", linear_part, change)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    _, h, theta = network_forward(x, W1, b1, W2, b2)
    g_theta, sigma_prime = softmax(theta) - y, h * (1 - h)
    g_r = (g_theta @ W2.T) * sigma_prime  # ∂ℓ/∂r, 1×3
    reference = numerical_jacobian(lambda W: network_loss(x, y, W, b1, W2, b2), W1)  # 1×15
    reference = reference.reshape(W1.shape)  # ∂ℓ/∂W1 by finite differences, 5×3
    # dℓ = g_r:(x dW1) = tr(g_rᵀ x dW1): the factor in front of dW1 inside the trace is g_rᵀx.
    compare("tr(M dW1) read as ∂ℓ/∂W1 = M", g_r.T @ x, reference)
    wrong_order = np.einsum("ai,aj,ak,jk->ji", x, sigma_prime, g_theta, W2)
    compare("einsum for ∂ℓ/∂W1 ending '->ji'", wrong_order, reference)
    try:
        np.einsum("ak,jk,aj,ji->ai", g_theta, W2, sigma_prime, W1)
    except ValueError as error:
        print(f"einsum for ∂ℓ/∂x with W1 indexed 'ji': {str(error).strip()}")
    # --8<-- [end:mistake]
