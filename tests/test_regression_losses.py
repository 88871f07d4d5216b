"""docs/regression_losses.md ↔ snippets/regression_losses.py: L1, MSE, Huber, Smooth L1, Poisson
NLL and Gaussian NLL, each with the reductions "none", "sum" and "mean".

Every entry derivative is checked through all three reductions, as a full Jacobian and as a VJP,
against finite differences and autograd, on several shapes. The points are away from the kinks
(L1 at a zero residual; Huber and Smooth L1 are differentiable once everywhere) and from the
Gaussian's variance clamp; the kink and the clamp have tests of their own, pinning what the page
says PyTorch does there (tests/framework/test_regression_losses.py checks it against PyTorch).
"""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.gradcheck import numerical_jacobian
from snippets.regression_losses import (
    gaussian_nll_derivatives,
    gaussian_nll_entries,
    huber_derivative,
    huber_entries,
    l1_derivative,
    l1_entries,
    loss_of,
    mse_derivative,
    mse_entries,
    poisson_nll_derivative,
    poisson_nll_entries,
    reduce,
    reduce_jacobian,
    reduce_vjp,
    smooth_l1_derivative,
    smooth_l1_entries,
    stirling,
    structure_figure,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo

SHAPES = [(2, 3), (4, 5), (5, 2)]  # (N, k)
REDUCTIONS = ["none", "sum", "mean"]


def reduced(Q, reduction):
    """The reduction again, in autograd.numpy."""
    return {"none": Q, "sum": anp.sum(Q), "mean": anp.mean(Q)}[reduction]


def check_all(name, at, entries, reference_entries, D, reduction, rng):
    """The Jacobian and the VJP of reduce(entries(·), reduction) at ``at``, both references."""
    forward = loss_of(entries, reduction)

    def reference(Z):
        return reduced(reference_entries(Z), reduction)

    g = rng.standard_normal(at.shape) if reduction == "none" else 1.7
    label = f"{name} {reduction}"
    check_jacobian(label, reduce_jacobian(D, reduction), forward, reference, at)
    check_vjp(label, reduce_vjp(D, reduction, g), forward, reference, at, g)


def draw(N, k):
    rng = np.random.default_rng([N, k])
    return rng, 2 * rng.standard_normal((N, k)), rng.standard_normal((N, k))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_l1_and_mse(N, k, reduction):
    rng, Yhat, Y = draw(N, k)
    check_all(
        "L1",
        Yhat,
        lambda Z: l1_entries(Z, Y),
        lambda Z: anp.abs(Z - Y),
        l1_derivative(Yhat, Y),
        reduction,
        rng,
    )
    check_all(
        "MSE",
        Yhat,
        lambda Z: mse_entries(Z, Y),
        lambda Z: (Z - Y) ** 2,
        mse_derivative(Yhat, Y),
        reduction,
        rng,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "k", "delta"), [(2, 3, 1.6), (4, 5, 1.5), (5, 2, 0.3)])
def test_huber_and_smooth_l1(N, k, delta, reduction):
    rng, Yhat, Y = draw(N, k)
    u = np.abs(Yhat - Y)
    assert np.any(u < delta) and np.any(u > delta), "both branches are exercised"

    def huber_reference(Z):
        v = Z - Y
        return anp.where(anp.abs(v) < delta, v**2 / 2, delta * (anp.abs(v) - delta / 2))

    check_all(
        "Huber",
        Yhat,
        lambda Z: huber_entries(Z, Y, delta),
        huber_reference,
        huber_derivative(Yhat, Y, delta),
        reduction,
        rng,
    )
    check_all(
        "Smooth L1",
        Yhat,
        lambda Z: smooth_l1_entries(Z, Y, delta),
        lambda Z: huber_reference(Z) / delta,
        smooth_l1_derivative(Yhat, Y, delta),
        reduction,
        rng,
    )


@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_huber_is_delta_times_smooth_l1(N, k):
    _, Yhat, Y = draw(N, k)
    delta = 0.7
    huber, smooth = huber_entries(Yhat, Y, delta), smooth_l1_entries(Yhat, Y, delta)
    assert_close("Huber = δ Smooth L1", huber, delta * smooth, 1e-15)
    ratio = huber_derivative(Yhat, Y, delta) / smooth_l1_derivative(Yhat, Y, delta)
    assert np.allclose(ratio, delta)
    assert np.all(np.abs(smooth_l1_derivative(Yhat, Y, delta)) <= 1), "Smooth L1's slope: [−1, 1]"
    assert np.all(np.abs(huber_derivative(Yhat, Y, delta)) <= delta), "Huber's slope: [−δ, δ]"


def test_l1_at_the_kink_is_sign_zero_and_so_is_the_central_difference():
    Y = np.array([[0.5, -1.0, 2.0]])
    Yhat = np.array([[0.5, 0.0, 1.0]])  # residuals 0, 1, −1
    assert np.array_equal(l1_derivative(Yhat, Y), [[0.0, 1.0, -1.0]])
    numeric = numerical_jacobian(loss_of(lambda Z: l1_entries(Z, Y), "sum"), Yhat)
    assert_close("L1 at a zero residual", l1_derivative(Yhat, Y).reshape(1, -1), numeric, 1e-6)


@pytest.mark.parametrize(("N", "k"), SHAPES)
def test_mean_divides_by_every_entry_not_the_rows(N, k):
    _, Yhat, Y = draw(N, k)
    D = l1_derivative(Yhat, Y)
    assert np.allclose(reduce_vjp(D, "mean") * N * k, D)
    assert np.isclose(reduce(l1_entries(Yhat, Y), "mean"), np.abs(Yhat - Y).sum() / (N * k))
    assert np.allclose(reduce_jacobian(D, "mean"), D.reshape(1, -1) / (N * k))
    assert np.allclose(reduce_vjp(D, "sum", 2.5), 2.5 * D)


def test_an_unknown_reduction_is_refused():
    N, k = 2, 3
    with pytest.raises(ValueError, match="reduction"):
        reduce(np.ones((N, k)), "batchmean")


POISSON_SHAPES = [(2, 3), (3, 4), (6, 5)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "k"), POISSON_SHAPES)
def test_poisson_nll(N, k, reduction):
    rng = np.random.default_rng([k, N])
    X, Y = rng.standard_normal((N, k)), rng.poisson(2.5, (N, k)).astype(float)
    rate = np.exp(X)
    eps = 1e-3  # large enough to matter at 1e-10

    def log_rate_reference(Z):
        return anp.exp(Z) - Y * Z

    def rate_reference(Z):
        return Z - Y * anp.log(Z + eps)

    check_all(
        "Poisson log-rate",
        X,
        lambda Z: poisson_nll_entries(Z, Y),
        log_rate_reference,
        poisson_nll_derivative(X, Y),
        reduction,
        rng,
    )
    check_all(
        "Poisson full",
        X,
        lambda Z: poisson_nll_entries(Z, Y, full=True),
        lambda Z: log_rate_reference(Z) + stirling(Y),
        poisson_nll_derivative(X, Y),
        reduction,
        rng,
    )
    check_all(
        "Poisson rate",
        rate,
        lambda Z: poisson_nll_entries(Z, Y, log_input=False, eps=eps),
        rate_reference,
        poisson_nll_derivative(rate, Y, log_input=False, eps=eps),
        reduction,
        rng,
    )


def test_stirling_term_is_zero_up_to_one_and_stirling_above():
    Y = np.array([[0.0, 1.0, 5.0, 30.0]])
    term = stirling(Y)
    assert np.array_equal(term[0, :2], [0.0, 0.0])
    for count, value in zip(Y[0, 2:], term[0, 2:], strict=True):
        exact = np.log(np.prod(np.arange(1, count + 1)))  # log y!
        assert value == pytest.approx(exact, rel=0.05), "Stirling approximates log y!"
    X = np.zeros_like(Y)
    full = poisson_nll_entries(X, Y, full=True) - poisson_nll_entries(X, Y)
    assert np.array_equal(full, term)


GAUSSIAN_SHAPES = [(2, 3), (3, 5), (7, 4)]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "k"), GAUSSIAN_SHAPES)
def test_gaussian_nll_in_input_and_var(N, k, reduction):
    rng = np.random.default_rng([N, k, 9])
    Yhat, Y = rng.standard_normal((N, k)), rng.standard_normal((N, k))
    V = rng.uniform(0.3, 2.0, (N, k))
    D_mean, D_var = gaussian_nll_derivatives(Yhat, Y, V)
    check_all(
        "Gaussian input",
        Yhat,
        lambda Z: gaussian_nll_entries(Z, Y, V),
        lambda Z: (anp.log(V) + (Z - Y) ** 2 / V) / 2,
        D_mean,
        reduction,
        rng,
    )
    check_all(
        "Gaussian var",
        V,
        lambda Z: gaussian_nll_entries(Yhat, Y, Z, full=True),
        lambda Z: (anp.log(Z) + (Yhat - Y) ** 2 / Z) / 2 + anp.log(2 * anp.pi) / 2,
        D_var,
        reduction,
        rng,
    )


def test_gaussian_full_adds_a_constant():
    rng = np.random.default_rng(5)
    N, k = 3, 2
    Yhat, Y, V = rng.standard_normal((N, k)), rng.standard_normal((N, k)), np.full((N, k), 0.9)
    added = gaussian_nll_entries(Yhat, Y, V, full=True) - gaussian_nll_entries(Yhat, Y, V)
    assert np.allclose(added, np.log(2 * np.pi) / 2)


def test_a_clamped_variance_takes_the_formula_at_eps():
    """V below eps: the value and both derivatives are those at V = eps (PyTorch's clamp runs
    outside autograd, so the gradient passes through it)."""
    eps = 1e-2
    Yhat, Y = np.array([[0.3, -0.2]]), np.array([[0.1, 0.4]])
    V, at_eps = np.array([[1e-4, 0.5]]), np.array([[eps, 0.5]])
    assert np.array_equal(
        gaussian_nll_entries(Yhat, Y, V, eps=eps), gaussian_nll_entries(Yhat, Y, at_eps, eps=eps)
    )
    ours, reference = (
        gaussian_nll_derivatives(Yhat, Y, V, eps),
        gaussian_nll_derivatives(Yhat, Y, at_eps, eps),
    )
    assert np.array_equal(ours[0], reference[0]) and np.array_equal(ours[1], reference[1])
    assert ours[1][0, 0] != 0, "not the zero slope of the clamped function"


def test_the_figure_is_huber_clipped():
    figure = structure_figure()
    assert np.array_equal(np.diag(figure.matrix), [0.3, -1.0, 0.7, 1.0, -0.2, 0.5])
    assert figure.of(figure.at).shape == (2, 3)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("regression_losses")
    differs = [line for line in lines if "DIFFERS" in line]
    assert [line.split(":")[0] for line in differs] == [
        "sign(Ŷ − Y)/N (mean over rows only)",
        "1 at the kink (u >= 0)",
        "clip(Ŷ − Y, −δ, δ)/δ for Huber",
        "1 − y/λ (the gradient in the rate)",
        "−(ŷ − y)²/(2v²) (log v dropped)",
    ], "every common mistake must still fail"
    assert "relative error 3" in differs[0], "dividing by N, not N·k, is k = 4 times too large"
    matches = [line for line in lines if "DIFFERS" not in line]
    assert len(matches) == 48 and all(line.endswith(": matches") for line in matches)
