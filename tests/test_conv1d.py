"""docs/conv1d.md ↔ snippets/conv1d.py: Toeplitz and Hankel Jacobians of a convolution, its VJPs."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.conv1d import (
    conv1d,
    conv1d_input_jacobian,
    conv1d_vjp,
    conv1d_weight_jacobian,
    conv2d,
    conv2d_input_jacobian,
    conv2d_vjp,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, relative_error, run_page_demo

SIZES = [(1, 1), (5, 1), (5, 3), (8, 8), (17, 4)]  # (n, k)
SIZES_2D = [(1, 1, 1, 1), (4, 5, 2, 3), (6, 9, 4, 2), (5, 3, 5, 1), (3, 7, 1, 4)]  # n1, n2, k1, k2


def conv1d_reference(x, w):
    """y_i = Σ_j w_j x_{i+j} for autograd: a matrix of indices i + j picks every window at once."""
    n, k = x.shape[1], w.shape[1]
    windows = np.arange(n - k + 1)[:, None] + np.arange(k)[None, :]  # (n − k + 1)×k
    return anp.reshape(anp.dot(x[0][windows], w[0]), (1, -1))


def conv2d_reference(X, W):
    """Y_ab = Σ_pq W_pq X_{a+p, b+q} for autograd, by shifting X instead of sliding W."""
    (n1, n2), (k1, k2) = X.shape, W.shape
    m1, m2 = n1 - k1 + 1, n2 - k2 + 1
    return sum(W[p, q] * X[p : p + m1, q : q + m2] for p in range(k1) for q in range(k2))


def random_signal(n, k):
    rng = np.random.default_rng([n, k])
    return (
        rng.standard_normal((1, n)),
        rng.standard_normal((1, k)),
        rng.standard_normal((1, n - k + 1)),
    )


def random_image(n1, n2, k1, k2):
    rng = np.random.default_rng([n1, n2, k1, k2])
    X, W = rng.standard_normal((n1, n2)), rng.standard_normal((k1, k2))
    return X, W, rng.standard_normal((n1 - k1 + 1, n2 - k2 + 1))


@pytest.mark.parametrize(("n", "k"), SIZES)
def test_input_jacobian(n, k):
    x, w, _ = random_signal(n, k)
    check_jacobian(
        "conv1d_input_jacobian",
        conv1d_input_jacobian(w, n),
        lambda x: conv1d(x, w),
        lambda x: conv1d_reference(x, w),
        x,
    )


@pytest.mark.parametrize(("n", "k"), SIZES)
def test_weight_jacobian(n, k):
    x, w, _ = random_signal(n, k)
    check_jacobian(
        "conv1d_weight_jacobian",
        conv1d_weight_jacobian(x, k),
        lambda w: conv1d(x, w),
        lambda w: conv1d_reference(x, w),
        w,
    )


@pytest.mark.parametrize(("n", "k"), SIZES)
def test_toeplitz_and_hankel_structure(n, k):
    """∂y/∂x is constant along diagonals and banded; ∂y/∂w is constant along anti-diagonals."""
    x, w, _ = random_signal(n, k)
    toeplitz, hankel = conv1d_input_jacobian(w, n), conv1d_weight_jacobian(x, k)
    m = n - k + 1
    for i in range(m):
        for offset in range(n):
            expected = w[0, offset - i] if 0 <= offset - i < k else 0.0
            assert toeplitz[i, offset] == expected
        for j in range(k):
            assert hankel[i, j] == x[0, i + j]
    assert np.count_nonzero(toeplitz) == m * np.count_nonzero(w)


@pytest.mark.parametrize(("n", "k"), SIZES)
def test_vjp(n, k):
    x, w, g = random_signal(n, k)
    grad_x, grad_w = conv1d_vjp(x, w, g)
    check_vjp("∂L/∂x", grad_x, lambda x: conv1d(x, w), lambda x: conv1d_reference(x, w), x, g)
    check_vjp("∂L/∂w", grad_w, lambda w: conv1d(x, w), lambda w: conv1d_reference(x, w), w, g)


@pytest.mark.parametrize(("n", "k"), SIZES)
def test_full_convolution_is_padded_correlation_with_the_flipped_kernel(n, k):
    x, w, g = random_signal(n, k)
    padded = np.pad(g[0], k - 1)
    flipped = [[padded[start : start + k] @ w[0, ::-1] for start in range(n)]]
    assert_close("pad(g) ⋆ flip(w)", conv1d_vjp(x, w, g)[0], np.array(flipped), 1e-14)


@pytest.mark.parametrize(("n", "k"), SIZES)
def test_forward_matches_the_definition(n, k):
    x, w, _ = random_signal(n, k)
    assert relative_error(conv1d(x, w), conv1d_reference(x, w)) < 1e-14
    assert relative_error(conv1d(x, w), np.correlate(x[0], w[0], mode="valid")[None]) < 1e-14


@pytest.mark.parametrize(("n1", "n2", "k1", "k2"), SIZES_2D)
def test_2d_input_jacobian(n1, n2, k1, k2):
    X, W, _ = random_image(n1, n2, k1, k2)
    check_jacobian(
        "conv2d_input_jacobian",
        conv2d_input_jacobian(W, X.shape),
        lambda X: conv2d(X, W),
        lambda X: conv2d_reference(X, W),
        X,
    )


@pytest.mark.parametrize(("n1", "n2", "k1", "k2"), SIZES_2D)
def test_2d_input_jacobian_is_block_toeplitz(n1, n2, k1, k2):
    """Block (a, c) of ∂vec Y/∂vec X is the 1-D Toeplitz matrix of kernel row c − a."""
    X, W, _ = random_image(n1, n2, k1, k2)
    m1, m2 = n1 - k1 + 1, n2 - k2 + 1
    blocks = conv2d_input_jacobian(W, X.shape).reshape(m1, m2, n1, n2).transpose(0, 2, 1, 3)
    for a, c in np.ndindex(m1, n1):
        row = W[c - a : c - a + 1] if 0 <= c - a < k1 else np.zeros((1, k2))
        assert np.array_equal(blocks[a, c], conv1d_input_jacobian(row, n2))


@pytest.mark.parametrize(("n1", "n2", "k1", "k2"), SIZES_2D)
def test_2d_vjp(n1, n2, k1, k2):
    X, W, G = random_image(n1, n2, k1, k2)
    grad_image, grad_kernel = conv2d_vjp(X, W, G)
    check_vjp("∂L/∂X", grad_image, lambda X: conv2d(X, W), lambda X: conv2d_reference(X, W), X, G)
    check_vjp("∂L/∂W", grad_kernel, lambda W: conv2d(X, W), lambda W: conv2d_reference(X, W), W, G)


@pytest.mark.parametrize(("n", "k"), SIZES)
def test_column_convention_tab(n, k):
    """Columns x_c = xᵀ, ∇_y L = gᵀ: ∇_x L = (∂y/∂x)ᵀ ∇_y L = ∇_y L * w, ∇_w L = (∂y/∂w)ᵀ ∇_y L."""
    x, w, g = random_signal(n, k)
    x_c, w_c, gradient_c = x.T, w.T, g.T  # n×1, k×1, (n − k + 1)×1
    toeplitz, hankel = conv1d_input_jacobian(w, n), conv1d_weight_jacobian(x, k)
    input_forms = (toeplitz.T @ gradient_c, np.convolve(gradient_c[:, 0], w_c[:, 0])[:, None])
    weight_forms = (hankel.T @ gradient_c, np.correlate(x_c[:, 0], gradient_c[:, 0])[:, None])
    grad_x, grad_w = conv1d_vjp(x, w, g)
    for form in input_forms:
        assert form.shape == (n, 1)
        assert_close("column tab, ∇_x L", form, grad_x.T, 1e-14)
    for form in weight_forms:
        assert form.shape == (k, 1)
        assert_close("column tab, ∇_w L", form, grad_w.T, 1e-14)
    assert_close("column tab, y = Jx", toeplitz @ x_c, conv1d(x, w).T, 1e-14)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("conv1d")
    checks = [line for line in lines if "DIFFERS" not in line]
    mistakes = [line.split(": DIFFERS")[0] for line in lines if "DIFFERS" in line]
    assert len(checks) == 9 and all(line.endswith("matches") for line in checks)
    assert mistakes == [
        "∂L/∂x = pad(g) ⋆ w (kernel not flipped)",
        "∂L/∂w = x ⋆ flip(g) (a flip where none belongs)",
        "2-D: pad(G) ⋆ W (kernel not flipped)",
        "2-D: pad(G) ⋆ W flipped along one axis only",
    ], "every common mistake must still fail"


def test_mistake_is_the_valid_convolution_not_the_full_one():
    """The mistake's np.convolve(x, g, "valid") is x ⋆ flip(g), length k; x * g has n + m − 1."""
    rng = np.random.default_rng(3)
    n, m = 7, 5
    x, g = rng.standard_normal(n), rng.standard_normal(m)
    valid = np.convolve(x, g, mode="valid")
    np.testing.assert_allclose(valid, np.correlate(x, g[::-1], mode="valid"), rtol=1e-14)
    assert valid.shape == (n - m + 1,) and np.convolve(x, g, mode="full").shape == (n + m - 1,)
