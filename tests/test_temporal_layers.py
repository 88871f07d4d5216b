"""docs/temporal_layers.md ↔ snippets/temporal_layers.py: the temporal affine layer and the
temporal softmax loss, with its two reductions over the masked steps."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.temporal_layers import (
    log_softmax_rows,
    loss_figure,
    one_hot,
    step_losses,
    step_losses_jacobian,
    structure_figure,
    temporal_affine,
    temporal_affine_jacobians,
    temporal_affine_vjp,
    temporal_softmax_loss,
    temporal_softmax_loss_gradient,
)
from tests.gradients import (
    assert_close,
    check_jacobian,
    check_vjp,
    relative_error,
    run_page_demo,
    with_argument,
)

AFFINE_SHAPES = [(2, 3, 4, 5), (3, 5, 2, 4), (1, 4, 3, 2)]  # (N, T, D, M)
LOSS_SHAPES = [(3, 4, 5), (2, 5, 3), (4, 2, 6)]  # (N, T, V)


def affine_reference(x, W, b):
    """r = xW + b step by step, written again with autograd.numpy."""
    return anp.einsum("atd,dm->atm", x, W) + b


@pytest.mark.parametrize(("N", "T", "D", "M"), AFFINE_SHAPES)
def test_temporal_affine_jacobians_and_vjps(N, T, D, M):
    rng = np.random.default_rng([N, T, D, M])
    x, W = rng.standard_normal((N, T, D)), rng.standard_normal((D, M))
    b, G = rng.standard_normal((1, M)), rng.standard_normal((N, T, M))
    arguments = [x, W, b]
    jacobians, gradients = temporal_affine_jacobians(x, W), temporal_affine_vjp(x, W, G)
    for position, name in enumerate("xWb"):
        forward = with_argument(temporal_affine, arguments, position)
        reference = with_argument(affine_reference, arguments, position)
        check_jacobian(f"∂r/∂{name}", jacobians[position], forward, reference, arguments[position])
        check_vjp(f"∂L/∂{name}", gradients[position], forward, reference, arguments[position], G)


def test_the_weight_gradient_sums_every_step_of_every_sequence():
    N, T, D, M = 2, 3, 4, 5
    rng = np.random.default_rng(7)
    x, G = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, M))
    _, grad_w, grad_b = temporal_affine_vjp(x, rng.standard_normal((D, M)), G)
    per_step = sum(np.outer(x[a, t], G[a, t]) for a in range(N) for t in range(T))
    assert_close("Σ_at x_atᵀ g_at", grad_w, per_step, 1e-14)
    assert_close("Σ_at g_at", grad_b, G.sum(axis=(0, 1))[None], 1e-14)
    assert grad_b.shape == (1, M)


def masked(rng, N, T):
    """A 0/1 mask with at least one step kept and one dropped (a padded sequence)."""
    lengths = rng.integers(1, T, N)
    lengths[0] = T
    return (np.arange(T) < lengths[:, None]).astype(float)


def loss_reference(theta, y, mask, per):
    """CS231n's loss again, with autograd.numpy: −Σ μ log p[y], divided by N or Σ μ."""
    shifted = theta - anp.max(theta, axis=-1, keepdims=True)
    log_p = shifted - anp.log(anp.sum(anp.exp(shifted), axis=-1, keepdims=True))
    picked = anp.sum(log_p * one_hot(y, theta.shape[-1]), axis=-1)
    return -anp.sum(mask * picked) / (theta.shape[0] if per == "N" else np.sum(mask))


@pytest.mark.parametrize("per", ["N", "step"])
@pytest.mark.parametrize(("N", "T", "V"), LOSS_SHAPES)
def test_temporal_softmax_loss_gradient(N, T, V, per):
    rng = np.random.default_rng([N, T, V])
    theta, y = 2 * rng.standard_normal((N, T, V)), rng.integers(0, V, (N, T))
    mask = masked(rng, N, T)
    loss = temporal_softmax_loss(theta, y, mask, per)
    assert relative_error(loss, loss_reference(theta, y, mask, per)) < 1e-14
    check_vjp(
        f"temporal_softmax_loss_gradient per {per}",
        temporal_softmax_loss_gradient(theta, y, mask, per),
        lambda z: temporal_softmax_loss(z, y, mask, per),
        lambda z: loss_reference(z, y, mask, per),
        theta,
        1.0,
    )
    gradient = temporal_softmax_loss_gradient(theta, y, mask, per)
    assert np.all(gradient[mask == 0] == 0), "padding steps get exactly 0"


@pytest.mark.parametrize(("N", "T", "V"), LOSS_SHAPES)
def test_step_losses_jacobian(N, T, V):
    rng = np.random.default_rng([V, T, N])
    theta, y = rng.standard_normal((N, T, V)), rng.integers(0, V, (N, T))

    def reference(z):
        shifted = z - anp.max(z, axis=-1, keepdims=True)
        log_p = shifted - anp.log(anp.sum(anp.exp(shifted), axis=-1, keepdims=True))
        return -anp.sum(log_p * one_hot(y, V), axis=-1)

    jacobian = step_losses_jacobian(theta, y)
    check_jacobian("step_losses_jacobian", jacobian, lambda z: step_losses(z, y), reference, theta)
    blocks = jacobian.reshape(N * T, N * T, V)
    assert not blocks[~np.eye(N * T, dtype=bool)].any(), "a step's loss sees its own scores only"


def test_the_two_reductions_differ_by_the_steps_kept_over_n():
    N, T, V = 3, 4, 5
    rng = np.random.default_rng(3)
    theta, y = rng.standard_normal((N, T, V)), rng.integers(0, V, (N, T))
    mask = masked(rng, N, T)
    ratio = mask.sum() / N
    per_n, per_step = (temporal_softmax_loss(theta, y, mask, p) for p in ("N", "step"))
    assert_close("L_N = (Σμ/N) L_step", per_n, ratio * per_step, 1e-14)
    assert_close(
        "gradients in the same ratio",
        temporal_softmax_loss_gradient(theta, y, mask),
        ratio * temporal_softmax_loss_gradient(theta, y, mask, "step"),
        1e-14,
    )


def test_log_softmax_is_stable_for_huge_scores():
    theta = np.array([[[1e4, 0.0, -1e4]]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        log_p = log_softmax_rows(theta)
    assert np.array_equal(log_p, [[[0.0, -1e4, -2e4]]])
    assert step_losses(theta, np.array([[1]]))[0, 0] == 1e4


def test_the_figures():
    affine = structure_figure()
    assert np.array_equal(affine.matrix, np.kron(*affine.factors))
    assert affine.of(affine.at).shape == (2, 2, 2)
    assert np.array_equal(affine.factors[1], [[1.0, 0.3, -1.2], [-0.5, 0.8, 0.6]]), "Wᵀ"
    assert np.allclose(affine.of(np.zeros_like(affine.at)), [[[0.1, -0.2]] * 2] * 2), "b"
    loss = loss_figure()
    steps, V = 4, 5
    assert loss.matrix.shape == (steps, steps * V)
    rows = loss.matrix.reshape(steps, steps, V).sum(axis=2)  # each block's sum: p − e_y sums to 0
    assert np.all(np.abs(rows) < 1e-12)
    assert np.array_equal(np.sign(loss.at[0, 0]), [-1, 1, -1, -1, 1]), "the scores drawn"


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("temporal_layers")
    differs = [line.split(":")[0] for line in lines if "DIFFERS" in line]
    assert differs == [
        "∂L/∂b summed over N only",
        "∂L/∂W averaged over the steps",
        "divided by N·T",
        "mask left out of the gradient",
    ], "every common mistake must still fail"
    matches = [line for line in lines if line.endswith(": matches")]
    assert len(matches) == 12
    assert "gradient at the padding steps exactly 0: True" in lines
    assert "divided by N·T: DIFFERS, relative error 0.75" in lines, "1 − 1/T for T = 4"
