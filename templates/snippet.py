"""__TITLE__: the full Jacobian and the VJP.

SCAFFOLD: the placeholder y = x ∘ x, to replace with your functions and checks.

Shapes (row vectors, see docs/conventions.md): x is 1×n, y is 1×n, g = ∂L/∂y is 1×n.
Run ``python -m snippets.__NAME__`` to see the checks the page shows.
"""

import numpy as np

from snippets.gradcheck import compare, numerical_jacobian


# --8<-- [start:functions]
def square(x):
    """y = x ∘ x, any shape."""
    return x * x


def square_jacobian(x):
    """∂y/∂x for a 1×n row x: n×n, diagonal."""
    return np.diag(2 * x.ravel())


def square_vjp(x, g):
    """g (∂y/∂x) without the Jacobian: 2 g ∘ x, the shape of x."""
    return 2 * g * x


# --8<-- [end:functions]


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 4))  # input, 1×4
    g = rng.standard_normal((1, 4))  # upstream gradient ∂L/∂y, 1×4
    # --8<-- [end:setup]

    # --8<-- [start:check]
    numeric = numerical_jacobian(square, x)  # 4×4
    assert compare("Jacobian vs finite differences", square_jacobian(x), numeric)
    assert compare("VJP vs g @ numeric Jacobian", square_vjp(x, g), g @ numeric)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    compare("g ∘ x (factor 2 dropped)", g * x, g @ numerical_jacobian(square, x))
    # --8<-- [end:mistake]
