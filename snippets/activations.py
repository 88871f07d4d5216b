"""Element-wise activations: the sigmoid, its diagonal Jacobian and its VJP.

Shapes (row vectors, see docs/conventions.md): r is 1×n, h = σ(r) is 1×n,
the upstream gradient g = ∂L/∂h is 1×n, the Jacobian ∂h/∂r is n×n.
Run ``python -m snippets.activations`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def sigmoid(r):
    """σ(r) entry by entry, any shape; exp(-log(1 + e^-r)) never overflows."""
    return np.exp(-np.logaddexp(0.0, -r))


def sigmoid_jacobian(r):
    """The full Jacobian ∂h/∂r of h = σ(r) for a 1×n row r: n×n, diagonal."""
    h = sigmoid(r).ravel()
    return np.diag(h * (1 - h))


def sigmoid_vjp(r, g):
    """g (∂h/∂r) without building the Jacobian: g ∘ σ'(r), the shape of r."""
    h = sigmoid(r)
    return g * h * (1 - h)


# --8<-- [end:functions]


# --8<-- [start:derivative_functions]
def sigmoid_derivative_quotient(r):
    """σ′(r) as the chain rule gives it, e^−r / (1 + e^−r)², entry by entry (any shape).
    Written as derived, to check the rewrite; it overflows for r below about −709 (float64)."""
    return np.exp(-r) / (1 + np.exp(-r)) ** 2


def sigmoid_derivative(r):
    """σ′(r) rewritten as σ(r)(1 − σ(r)), entry by entry (any shape); never overflows."""
    h = sigmoid(r)
    return h * (1 - h)


# --8<-- [end:derivative_functions]


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "activations"
CHEAT_SHEET = [
    Row(
        table="Core",
        operation=r"$h = \sigma(r)$, element-wise",
        jacobian=r"$\operatorname{Diag}(\sigma'(r))$, diagonal",
        vjp=r"$g \circ \sigma'(r) = g \circ h \circ (1 - h)$",
        functions=("sigmoid_vjp",),
    ),
]


# The picture of the Jacobian on the page: hooks/jacobian_figures.py draws it at build time,
# tests/test_figures.py checks it against finite differences and its structure keyword.
def structure_figure():
    """∂h/∂r at a fixed 1×5 row r: 5×5, diagonal."""
    r = np.array([[-2.0, -0.5, 0.3, 1.1, 2.6]])
    jacobian = sigmoid_jacobian(r)
    return Figure(
        matrix=jacobian,
        of=sigmoid,
        at=r,
        structure="diagonal",
        rows="outputs h_i",
        columns="inputs r_j",
        alt=f"The {size(jacobian)} sigmoid Jacobian: diagonal, its 5 diagonal entries σ′(r_i) "
        "positive and every entry off the diagonal zero.",
        caption=r"$\partial h/\partial r = \operatorname{Diag}(\sigma'(r))$ is diagonal: output "
        r"$i$ moves with input $i$ alone.",
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    r = rng.standard_normal((1, 4))  # pre-activation, 1×4
    g = rng.standard_normal((1, 4))  # upstream gradient ∂L/∂h, 1×4
    # --8<-- [end:setup]

    # --8<-- [start:derivative]
    quotient = sigmoid_derivative_quotient(r)  # e^−r / (1 + e^−r)², 1×4
    numeric = np.diag(numerical_jacobian(sigmoid, r)).reshape(r.shape)  # dσ/dr_i, 1×4
    assert compare("σ′ = e^(−r)/(1 + e^(−r))² vs finite differences", quotient, numeric)
    assert compare("σ(1 − σ) vs e^(−r)/(1 + e^(−r))²", sigmoid_derivative(r), quotient)
    # --8<-- [end:derivative]

    # --8<-- [start:check]
    jacobian = sigmoid_jacobian(r)  # 4×4
    numeric = numerical_jacobian(sigmoid, r)  # 4×4, by central differences
    assert compare("Jacobian vs finite differences", jacobian, numeric)
    assert compare("Jacobian is diagonal", jacobian, np.diag(np.diag(jacobian)))
    assert compare("VJP vs g @ numeric Jacobian", sigmoid_vjp(r, g), g @ numeric)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    h = sigmoid(r)
    sigma_prime = h * (1 - h)
    reference = g @ numerical_jacobian(sigmoid, r)
    compare("g @ σ'(r).T (matrix product)", g @ sigma_prime.T, reference)
    compare("g ∘ σ(r) (σ for σ')", g * h, reference)
    # --8<-- [end:mistake]
