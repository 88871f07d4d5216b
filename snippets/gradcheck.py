"""Finite-difference checks shared by every page; injected into each page block.

A page block opens with the ``numpy`` section, then the page's own functions, then the
``helpers`` section, then the page's setup and checks: the page's lines come first to the eye,
and the block still runs as copied. Tolerance: central differences in float64 with step 1e-6
agree with an exact derivative to about 1e-9 relative; ``compare`` accepts 1e-6. The helpers'
lines stay within 80 columns: a code block shows about 83 at 1280 px.
"""

# --8<-- [start:numpy]
import numpy as np

# --8<-- [end:numpy]


# --8<-- [start:helpers]
# The checks (see Conventions): central differences, a printed comparison.
def numerical_jacobian(f, x, step=1e-6):
    """Shape (f(x).size, x.size); column j nudges entry j of x (row-major)."""
    x = np.asarray(x, dtype=float)
    columns = []
    for index in np.ndindex(x.shape):
        nudge = np.zeros_like(x)
        nudge[index] = step
        columns.append((f(x + nudge) - f(x - nudge)).ravel() / (2 * step))
    return np.stack(columns, axis=1)


def compare(name, ours, reference, tolerance=1e-6):
    """Print whether ours matches reference: shape, then relative error."""
    if np.shape(ours) != np.shape(reference):
        shapes = f"{np.shape(ours)} but expected {np.shape(reference)}"
        print(f"{name}: DIFFERS, shape {shapes}")
        return False
    scale = max(np.max(np.abs(reference)), 1e-12)
    error = np.max(np.abs(np.subtract(ours, reference))) / scale
    verdict = f"DIFFERS, relative error {error:.2g}"
    print(f"{name}: {'matches' if error <= tolerance else verdict}")
    return bool(error <= tolerance)


# --8<-- [end:helpers]
