"""Finite-difference checks shared by every page; injected into each page block.

The ``helpers`` section is what a reader sees at the top of a self-contained block.
Tolerance: central differences in float64 with step 1e-6 agree with an exact derivative
to about 1e-9 relative; ``compare`` accepts 1e-6.
"""

# --8<-- [start:helpers]
import numpy as np


def numerical_jacobian(f, x, step=1e-6):
    """Central-difference Jacobian of f at x: shape (f(x).size, x.size), row-major order."""
    x = np.asarray(x, dtype=float)
    columns = []
    for index in np.ndindex(x.shape):
        nudge = np.zeros_like(x)
        nudge[index] = step
        columns.append((f(x + nudge) - f(x - nudge)).ravel() / (2 * step))
    return np.stack(columns, axis=1)


def compare(name, ours, reference, tolerance=1e-6):
    """Print whether `ours` matches `reference` (shape, then relative error); return it."""
    if np.shape(ours) != np.shape(reference):
        print(f"{name}: DIFFERS, shape {np.shape(ours)} but expected {np.shape(reference)}")
        return False
    scale = max(np.max(np.abs(reference)), 1e-12)
    error = np.max(np.abs(np.subtract(ours, reference))) / scale
    print(
        f"{name}: " + ("matches" if error <= tolerance else f"DIFFERS, relative error {error:.2g}")
    )
    return bool(error <= tolerance)


# --8<-- [end:helpers]
