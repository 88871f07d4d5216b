"""__TITLE__: the full Jacobian and the VJP.

SCAFFOLD: the placeholder y = x ∘ x, to replace with your functions and checks.

Shapes (row vectors, see docs/conventions.md): x is 1×n, y is 1×n, g = ∂L/∂y is 1×n.
Run ``python -m snippets.__NAME__`` to see the checks the page shows.
"""

import numpy as np

from snippets.cheatsheet_rows import Row
from snippets.figures import Figure, size
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


# Its rows of the cheat sheet: `make cheatsheet` writes them into docs/cheatsheet.md.
CHEAT_SHEET_LINK = "__TITLE__"
CHEAT_SHEET = [
    Row(
        table="__TABLE__",
        operation=r"SCAFFOLD: $y = x \circ x$",
        jacobian=r"$\operatorname{Diag}(2x)$, diagonal",
        vjp=r"$2\, g \circ x$",
        functions=("square_vjp",),
    ),
]


def structure_figure():
    """The picture on the page: ∂y/∂x at a fixed 1×5 x, 5×5, diagonal."""
    x = np.array([[0.9, -0.4, 1.5, -1.2, 0.3]])
    jacobian = square_jacobian(x)
    return Figure(
        matrix=jacobian,
        of=square,
        at=x,
        structure="diagonal",
        rows="outputs y_i",
        columns="inputs x_j",
        alt=f"The {size(jacobian)} Jacobian of y = x ∘ x: diagonal, entry i is 2x_i; "
        "every off-diagonal entry is zero.",
        caption=r"$\partial y/\partial x = \operatorname{Diag}(2x)$: diagonal.",
    )


if __name__ == "__main__":
    # --8<-- [start:setup]
    rng = np.random.default_rng(0)
    n = 4  # name every size; the sizes of one example are pairwise distinct (N, n, m = 5, 4, 3)
    x = rng.standard_normal((1, n))  # input, 1×4
    g = rng.standard_normal((1, n))  # upstream gradient ∂L/∂y, 1×4
    # --8<-- [end:setup]

    # --8<-- [start:check]
    numeric = numerical_jacobian(square, x)  # 4×4
    assert compare("Jacobian vs finite differences", square_jacobian(x), numeric)
    assert compare("VJP vs g @ numeric Jacobian", square_vjp(x, g), g @ numeric)
    # --8<-- [end:check]

    # --8<-- [start:mistake]
    compare("g ∘ x (factor 2 dropped)", g * x, g @ numerical_jacobian(square, x))
    # --8<-- [end:mistake]
