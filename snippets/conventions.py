"""Conventions: the numerator-layout Jacobian of r = xW, and why its transpose appears.

Shapes (row vectors): x is 1×n, W is n×m, r = xW is 1×m, g = ∂L/∂r is 1×m.
Run ``python -m snippets.conventions`` to see the checks the page shows.
"""

import numpy as np

from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def linear(x, W):
    """r = xW: a 1×n row times an n×m matrix is a 1×m row."""
    return x @ W


def linear_jacobian(W):
    """∂r/∂x in numerator layout: entry (j, i) is ∂r_j/∂x_i = W_ij, so the m×n matrix Wᵀ."""
    return W.T


def linear_vjp(W, g):
    """∂L/∂x = g (∂r/∂x) = g Wᵀ: 1×m times m×n, the shape of x."""
    return g @ W.T


# --8<-- [end:functions]


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    n, m = 4, 3  # inputs, outputs: n ≠ m, so W and Wᵀ differ in shape
    x = rng.standard_normal((1, n))  # input, 1×4
    W = rng.standard_normal((n, m))  # weights, 4×3
    g = rng.standard_normal((1, m))  # upstream gradient ∂L/∂r, 1×3
    # --8<-- [end:setup]

    # --8<-- [start:check]
    numeric = numerical_jacobian(lambda x: linear(x, W), x)  # 3×4: one row per output
    assert compare("∂r/∂x is Wᵀ", linear_jacobian(W), numeric)
    assert compare("gradient g Wᵀ", linear_vjp(W, g), g @ numeric)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    numeric = numerical_jacobian(lambda x: linear(x, W), x)
    compare("∂r/∂x taken as W (denominator layout)", W, numeric)
    compare("gradient (g Wᵀ)ᵀ, a column", (g @ W.T).T, g @ numeric)
    # --8<-- [end:mistake]
