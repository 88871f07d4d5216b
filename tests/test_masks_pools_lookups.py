"""docs/masks_pools_lookups.md ↔ snippets/masks_pools_lookups.py: dropout, pooling, embeddings.

Each Jacobian and VJP is checked against finite differences and autograd on several shapes. Max
pooling is checked at inputs without ties (distinct values 0.1 apart, so a step of 1e-6 never
changes a window's largest entry); at a tie it is not differentiable, and the tie test pins the
convention the page states (the first maximum gets the gradient).
"""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.masks_pools_lookups import (
    average_pool,
    average_pool_figure,
    average_pool_jacobian,
    average_pool_vjp,
    dropout,
    dropout_jacobian,
    dropout_mask,
    dropout_vjp,
    embed,
    embedding_figure,
    embedding_jacobian,
    embedding_vjp,
    max_pool,
    max_pool_figure,
    max_pool_jacobian,
    max_pool_vjp,
    one_hot,
    structure_figure,
    windows,
)
from tests.gradients import assert_close, check_jacobian, check_vjp, run_page_demo

# --- inverted dropout


@pytest.mark.parametrize(("N", "n", "p"), [(1, 6, 0.5), (2, 3, 0.4), (3, 5, 0.25), (4, 7, 0.75)])
def test_dropout_jacobian_and_vjp(N, n, p):
    rng = np.random.default_rng([N, n])
    X, G = rng.standard_normal((N, n)), rng.standard_normal((N, n))
    M = dropout_mask(rng, (N, n), p)
    assert 0 < M.sum() < M.size, "the mask keeps some entries and drops others"

    def forward(Z):
        return dropout(Z, M, p)

    def reference(Z):
        return anp.where(M > 0, Z / (1 - p), 0.0)

    check_jacobian("dropout_jacobian", dropout_jacobian(M, p), forward, reference, X)
    check_vjp("dropout_vjp", dropout_vjp(G, M, p), forward, reference, X, G)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
def test_dropout_mask_keeps_each_entry_with_probability_one_minus_p(p):
    N, n = 400, 500  # 200 000 draws: the kept fraction is within 0.005 of 1 − p
    M = dropout_mask(np.random.default_rng(7), (N, n), p)
    assert M.shape == (N, n) and set(np.unique(M)) <= {0.0, 1.0}
    assert abs(M.mean() - (1 - p)) < 0.005
    X = np.ones((N, n))
    assert abs(dropout(X, M, p).mean() - 1) < 0.01, "inverted dropout keeps the mean: E[Y] = X"


def test_dropout_with_p_zero_is_the_identity():
    N, n = 3, 4
    M = dropout_mask(np.random.default_rng(1), (N, n), 0.0)
    assert np.all(M == 1)
    assert np.array_equal(dropout_jacobian(M, 0.0), np.eye(N * n))


# --- max and average pooling


POOL_SHAPES = [(2, 3, 4, 5), (3, 2, 5, 4), (1, 4, 3, 2), (2, 1, 6, 3)]  # (N, C, m, k)


def untied(rng, N, C, m, k):
    """An N×C×(m·k) input without ties: distinct values 0.1 apart, in a random order."""
    return rng.permutation(N * C * m * k).reshape(N, C, m * k) / 10 - N * C * m * k / 20


@pytest.mark.parametrize(("N", "C", "m", "k"), POOL_SHAPES)
def test_max_pool_jacobian_and_vjp(N, C, m, k):
    rng = np.random.default_rng([N, C, m, k])
    x, g = untied(rng, N, C, m, k), rng.standard_normal((N, C, m))

    def forward(z):
        return max_pool(z, k)

    def reference(z):
        return anp.max(anp.reshape(z, (N, C, m, k)), axis=3)

    jacobian = max_pool_jacobian(x, k)
    check_jacobian("max_pool_jacobian", jacobian, forward, reference, x)
    check_vjp("max_pool_vjp", max_pool_vjp(x, k, g), forward, reference, x, g)
    assert np.array_equal(jacobian.sum(axis=1), np.ones(N * C * m)), "a single 1 in each row"


@pytest.mark.parametrize(("N", "C", "m", "k"), POOL_SHAPES)
def test_average_pool_jacobian_and_vjp(N, C, m, k):
    rng = np.random.default_rng([k, m, C, N])
    x, g = rng.standard_normal((N, C, m * k)), rng.standard_normal((N, C, m))

    def forward(z):
        return average_pool(z, k)

    def reference(z):
        return anp.mean(anp.reshape(z, (N, C, m, k)), axis=3)

    check_jacobian("average_pool_jacobian", average_pool_jacobian(x, k), forward, reference, x)
    check_vjp("average_pool_vjp", average_pool_vjp(g, k), forward, reference, x, g)


def test_windows_are_consecutive_entries_of_a_row():
    m, k = 3, 4
    x = np.arange(m * k, dtype=float).reshape(1, m * k)
    assert np.array_equal(windows(x, k)[0, 1], [4.0, 5.0, 6.0, 7.0])
    assert np.array_equal(max_pool(x, k), [[3.0, 7.0, 11.0]])
    assert np.array_equal(average_pool(x, k), [[1.5, 5.5, 9.5]])


def test_a_tie_routes_the_gradient_to_the_first_maximum():
    """At a tie the max is not differentiable; the page's convention: the first maximum."""
    x = np.array([[0.5, 2.0, 2.0, -1.0, 3.0, 3.0]])  # windows of 3: (0.5, 2, 2), (−1, 3, 3)
    k, g = 3, np.array([[0.7, -1.3]])
    assert np.array_equal(max_pool_vjp(x, k, g), [[0.0, 0.7, 0.0, 0.0, -1.3, 0.0]])
    assert np.array_equal(g @ max_pool_jacobian(x, k), max_pool_vjp(x, k, g))


def test_max_pool_mistakes_differ_from_the_routed_gradient():
    m, k = 4, 3
    rng = np.random.default_rng(3)
    x, g = untied(rng, 1, 1, m, k)[0], rng.standard_normal((1, m))
    routed = max_pool_vjp(x, k, g)
    assert np.count_nonzero(routed) == m, "one entry per window"
    assert not np.allclose(np.repeat(g, k, axis=-1), routed)
    assert not np.allclose(average_pool_vjp(g, k), routed)


# --- embedding lookup


EMBEDDING_SIZES = [(6, 3, 5), (4, 5, 7), (9, 2, 3), (7, 4, 2)]  # (V, d, T)


def tokens_with_a_repeat(rng, V, T):
    t = rng.integers(0, V, T)
    t[-1] = t[0]  # a repeated index, whatever the draw
    return t


@pytest.mark.parametrize(("V", "d", "T"), EMBEDDING_SIZES)
def test_embedding_jacobian_and_vjp(V, d, T):
    rng = np.random.default_rng([V, d, T])
    E, G = rng.standard_normal((V, d)), rng.standard_normal((T, d))
    t = tokens_with_a_repeat(rng, V, T)

    def forward(F):
        return embed(F, t)

    def reference(F):
        return F[t]

    def reference_as_a_product(F):
        return anp.dot(anp.eye(V)[t], F)

    check_jacobian("embedding_jacobian", embedding_jacobian(t, V, d), forward, reference, E)
    check_vjp("embedding_vjp", embedding_vjp(t, G, V), forward, reference, E, G)
    check_vjp("embedding_vjp", embedding_vjp(t, G, V), forward, reference_as_a_product, E, G)
    assert_close("Sᵀ G", embedding_vjp(t, G, V), one_hot(t, V).T @ G, 1e-15)


def test_a_repeated_index_accumulates():
    """Token 2 three times: its row of ∂L/∂E is the sum of the three rows of G."""
    V, d = 5, 2
    t = np.array([2, 0, 2, 2])  # T = 4
    G = np.arange(len(t) * d, dtype=float).reshape(len(t), d) + 1
    grad = embedding_vjp(t, G, V)
    assert np.array_equal(grad[2], G[0] + G[2] + G[3])
    assert np.array_equal(grad[0], G[1])
    assert np.array_equal(grad[[1, 3, 4]], np.zeros((3, d)))
    wrong = np.zeros((V, d))
    wrong[t] = G  # the mistake the page shows: one of the three rows survives
    assert not np.array_equal(wrong, grad)


def test_one_hot_has_a_single_one_in_each_row():
    V = 4
    t = np.array([3, 0, 3])  # T = 3
    S = one_hot(t, V)
    assert np.array_equal(S, [[0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 0, 1]])
    E = np.arange(V * 2, dtype=float).reshape(V, 2)
    assert np.array_equal(S @ E, embed(E, t))


# --- the page


def test_the_figures_draw_what_the_page_says():
    """The pictures: the dropped entries, the argmax columns, the repeated token's columns."""
    dropout_picture = structure_figure()
    assert np.array_equal(np.diag(dropout_picture.matrix), [2, 0, 2, 2, 2, 0])
    assert dropout_picture.of(dropout_picture.at).shape == (2, 3)
    max_picture = max_pool_figure()
    assert np.array_equal(np.nonzero(max_picture.matrix)[1], [1, 3, 8, 10]), "1, 0, 2, 1 in each"
    average_picture = average_pool_figure()
    assert np.array_equal(average_picture.matrix, np.kron(*average_picture.factors))
    embedding_picture = embedding_figure()
    per_token = embedding_picture.matrix.sum(axis=0).reshape(5, 2)  # V×d: each column's 1s
    assert np.array_equal(per_token[:, 0], [1, 1, 0, 2, 0]), "token 3 twice, 2 and 4 unused"
    assert embedding_picture.of(embedding_picture.at).shape == (4, 2)


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("masks_pools_lookups")
    differs = [line for line in lines if "DIFFERS" in line]
    assert [line.split(":")[0] for line in differs] == [
        "G ∘ M (1/(1 − p) dropped)",
        "G ∘ M_new/(1 − p) (a new mask)",
        "g copied to the whole window",
        "g/k spread over the window",
        "grad[t] = G, token 4 three times",
        "grad[t] += G, token 4 three times",
    ], "every common mistake must still fail"
    matches = [line for line in lines if "DIFFERS" not in line]
    assert len(matches) == 11 and all(line.endswith(": matches") for line in matches)
    assert matches[-1] == "grad[t] = G, no token repeated: matches", "the repeat is what fails"
    assert "DIFFERS, relative error 0.25" in differs[0], "dropping 1/(1 − p) errs by p"
