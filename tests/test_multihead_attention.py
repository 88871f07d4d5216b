"""docs/multihead_attention.md ↔ snippets/multihead_attention.py: multi-head self-attention with
additive masks, its head-by-head Jacobians and VJPs to X, every weight and the mask."""

import autograd.numpy as anp
import numpy as np
import pytest

from snippets.attention import attention_vjp
from snippets.gradcheck import numerical_jacobian
from snippets.multihead_attention import (
    additive_mask,
    head_jacobians,
    head_vjp,
    heads_forward,
    masked_softmax,
    merge_heads,
    multihead_attention,
    multihead_attention_vjp,
    multihead_jacobians,
    split_heads,
    structure_figure,
)
from tests.gradients import (
    assert_close,
    check_jacobian,
    check_vjp,
    relative_error,
    run_page_demo,
    with_argument,
)

SHAPES = [(2, 5, 3, 4), (3, 4, 2, 5), (1, 3, 4, 2)]  # (N, T, h, d_h), pairwise distinct
NAMES = ["X", "W_Q", "W_K", "W_V", "W_O"]


def reference(X, W_Q, W_K, W_V, W_O, h, M):
    """Y written again with autograd.numpy, head by head with column slices and a concatenation;
    the mask multiplies exp by 0 or 1 (no −inf for autograd), which is the same softmax."""
    d = X.shape[-1]
    d_h = d // h
    keep = anp.isfinite(M)[:, None]  # N×1×T×T
    Q, K, V = anp.dot(X, W_Q), anp.dot(X, W_K), anp.dot(X, W_V)
    heads = []
    for i in range(h):
        q, k, v = (Z[:, :, i * d_h : (i + 1) * d_h] for Z in (Q, K, V))
        S = anp.einsum("atc,asc->ats", q, k) / np.sqrt(d_h)
        e = anp.exp(S - anp.max(S, axis=-1, keepdims=True)) * keep[:, 0]
        heads.append(anp.einsum("ats,asc->atc", e / anp.sum(e, axis=-1, keepdims=True), v))
    return anp.dot(anp.concatenate(heads, axis=-1), W_O)


def layer(N, T, h, d_h, masked=True):
    """Random X, weights, G and a causal mask with key padding (example 1 on: shorter)."""
    rng = np.random.default_rng([N, T, h, d_h])
    d = h * d_h
    X, G = rng.standard_normal((N, T, d)), rng.standard_normal((N, T, d))
    weights = [rng.standard_normal((d, d)) / np.sqrt(d) for _ in range(4)]  # square
    lengths = T - np.arange(N) % T  # T, T − 1, …: every row keeps key 0
    causal = np.tril(np.ones((T, T), dtype=bool))
    allowed = causal & (np.arange(T) < lengths[:, None, None])
    M = additive_mask(allowed if masked else np.ones((N, T, T), dtype=bool))
    return X, weights, G, M


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize(("N", "T", "h", "d_h"), SHAPES)
def test_vjps_to_x_every_weight_and_the_mask(N, T, h, d_h, masked):
    X, weights, G, M = layer(N, T, h, d_h, masked)
    arguments = [X, *weights]
    gradients = multihead_attention_vjp(X, *weights, h, M, G)
    for position, name in enumerate(NAMES):
        check_vjp(
            f"multihead_attention_vjp ∂L/∂{name}",
            gradients[position],
            with_argument(multihead_attention, arguments, position, h, M),
            with_argument(reference, arguments, position, h, M),
            arguments[position],
            G,
        )
    mask_gradient = gradients[5]
    by_mask = numerical_jacobian(lambda A: multihead_attention(X, *weights, h, A), M)
    numeric = (G.ravel() @ by_mask).reshape(M.shape)
    assert_close("∂L/∂M vs finite differences", mask_gradient, numeric, 1e-6)
    if masked:
        assert np.all(mask_gradient[np.isinf(M)] == 0), "masked scores get exactly 0"


@pytest.mark.parametrize(("N", "T", "h", "d_h"), SHAPES[:2])
def test_full_jacobians_example_by_example(N, T, h, d_h):
    """The last example, the one with key padding (autograd's full Jacobians are slow)."""
    X, weights, _, M = layer(N, T, h, d_h)
    for a in [N - 1]:
        arguments = [X[a], *weights]
        built = multihead_jacobians(X[a], *weights, h, M[a])

        def one(*values, mask=M[a : a + 1]):
            return multihead_attention(values[0][None], *values[1:], h, mask)[0]

        def one_reference(*values, mask=M[a : a + 1]):
            return reference(values[0][None], *values[1:], h, mask)[0]

        for position, name in enumerate(NAMES):
            check_jacobian(
                f"example {a}: ∂vec Y/∂vec {name}",
                built[position],
                with_argument(one, arguments, position),
                with_argument(one_reference, arguments, position),
                arguments[position],
            )


@pytest.mark.parametrize(("T", "d_h"), [(4, 3), (5, 2)])
def test_head_jacobians_are_the_attention_page_with_a_mask(T, d_h):
    rng = np.random.default_rng([T, d_h])
    Q, K, V = (rng.standard_normal((T, d_h)) for _ in range(3))  # square
    M = additive_mask(np.tril(np.ones((T, T), dtype=bool)))
    by_q, by_k, by_v = head_jacobians(Q, K, V, M)

    def head(Q, K, V):
        return masked_softmax(Q @ K.T / np.sqrt(d_h), M) @ V

    def head_reference(Q, K, V):
        e = anp.exp(anp.dot(Q, K.T) / np.sqrt(d_h)) * np.isfinite(M)
        return anp.dot(e / anp.sum(e, axis=1, keepdims=True), V)

    for position, jacobian in enumerate((by_q, by_k, by_v)):
        check_jacobian(
            "head_jacobians",
            jacobian,
            with_argument(head, [Q, K, V], position),
            with_argument(head_reference, [Q, K, V], position),
            [Q, K, V][position],
        )


@pytest.mark.parametrize("causal", [False, True])
def test_head_vjp_is_the_attention_pages_vjp_on_every_head(causal):
    """Reused, not re-derived: per (example, head) it is snippets.attention.attention_vjp."""
    N, T, h, d_h = 2, 5, 3, 4
    X, weights, G, _ = layer(N, T, h, d_h, masked=False)
    allowed = np.tril(np.ones((T, T), dtype=bool)) if causal else np.ones((T, T), dtype=bool)
    M = np.broadcast_to(additive_mask(allowed), (N, T, T))
    Q, K, V, P = heads_forward(X, *weights[:3], h, M)
    G_heads = split_heads(G, h)
    ours = head_vjp(Q, K, V, P, G_heads)
    for a in range(N):
        for i in range(h):
            page = attention_vjp(Q[a, i], K[a, i], V[a, i], G_heads[a, i], causal)
            for got, expected in zip(ours[:3], page, strict=True):
                assert_close("head_vjp vs attention_vjp", got[a, i], expected, 1e-12)


def test_split_and_merge_take_contiguous_columns_and_invert_each_other():
    N, T, h, d_h = 2, 3, 4, 5
    Z = np.arange(N * T * h * d_h, dtype=float).reshape(N, T, h * d_h)
    heads = split_heads(Z, h)
    assert heads.shape == (N, h, T, d_h)
    assert np.array_equal(heads[1, 2, 0], Z[1, 0, 2 * d_h : 3 * d_h]), "head 2, token 0"
    assert np.array_equal(merge_heads(heads), Z)
    assert not np.array_equal(Z.reshape(N, h, T, d_h), heads), "the page's mistake differs"


def test_masked_probabilities_are_exactly_zero_and_rows_sum_to_one():
    N, T, h, d_h = 3, 4, 2, 5
    X, weights, _, M = layer(N, T, h, d_h)
    P = heads_forward(X, *weights[:3], h, M)[3]
    assert np.all(P[np.broadcast_to(np.isinf(M)[:, None], P.shape)] == 0)
    assert relative_error(P.sum(axis=-1), np.ones((N, h, T))) < 1e-15


def test_a_fully_masked_row_is_nan_with_inf_and_finite_with_a_large_negative():
    T = 4
    S = np.random.default_rng(5).standard_normal((T, T))
    allowed = np.tril(np.ones((T, T), dtype=bool))
    allowed[1] = False  # query 1 sees no key
    with np.errstate(invalid="ignore"):
        P = masked_softmax(S, additive_mask(allowed))
    assert np.isnan(P[1]).all() and np.isfinite(np.delete(P, 1, axis=0)).all()
    P_big = masked_softmax(S, additive_mask(allowed, large=1e9))
    assert np.isfinite(P_big).all()
    assert np.array_equal(np.delete(P_big, 1, axis=0), np.delete(P, 1, axis=0)), "bit for bit"
    assert relative_error(P_big[1], masked_softmax(S[1], 0.0)) < 1e-6, "row 1 sees every key"


def test_additive_mask_values():
    allowed = np.array([[True, False], [True, True]])
    assert np.array_equal(additive_mask(allowed), [[0.0, -np.inf], [0.0, 0.0]])
    assert np.array_equal(additive_mask(allowed, large=1e9), [[0.0, -1e9], [0.0, 0.0]])


def test_the_figure_is_block_diagonal_across_heads():
    figure = structure_figure()
    assert figure.matrix.shape == (15, 15) and figure.blocks == ((5, 5),) * 3
    assert np.all(figure.matrix[:5, 5:] == 0) and np.abs(figure.matrix[:5, :5]).min() > 0
    # the point it is drawn at, pinned: V's column means, a key, the size of the entries
    assert np.allclose(figure.of(np.zeros_like(figure.at))[:, 0], [0.02, 0.04, 0.34])
    assert np.array_equal(figure.at[:, 0], [-0.6, 0.9, -1.3])
    assert abs(np.abs(figure.matrix).sum() - 7.594562498634014) < 1e-9


def test_page_demo_checks_pass_and_mistakes_fail():
    lines = run_page_demo("multihead_attention")
    differs = [line.split(":")[0] for line in lines if "DIFFERS" in line]
    assert differs == [
        "heads split by reshape(N, h, T, d_h)",
        "mask applied after the softmax",
    ], "every common mistake must still fail"
    matches = [line for line in lines if line.endswith(": matches")]
    assert len(matches) == 19
    assert "masked probabilities exactly 0: True" in lines
    assert "masked scores' gradient exactly 0: True" in lines
    assert "reshape: head 0, token 1 reads token 0, columns 4–7" in lines
    assert "padding tokens move the real outputs by 0.2 (right: 0)" in lines
    assert "−inf: rows of Y that are NaN: 2" in lines
    assert "−inf: ∂L/∂W_Q finite, padding queries out of the loss: False" in lines
    assert "−1e9: P in every row that sees a key, equal to −inf's: True" in lines


def test_one_fully_masked_query_makes_every_weight_gradient_nan():
    """Left padding with a causal mask: the padding queries see no key. With −inf, every entry of
    every weight's gradient is NaN though the loss ignores them; with −1e9 all are finite."""
    N, T, h, d_h = 2, 4, 3, 5
    X, weights, G, _ = layer(N, T, h, d_h, masked=False)
    real = np.arange(T) >= np.array([0, 2])[:, None]  # example 1: two padding tokens first
    allowed = np.tril(np.ones((T, T), dtype=bool)) & real[:, None, :]
    G_real = G * real[:, :, None]
    with np.errstate(invalid="ignore"):
        nan = multihead_attention_vjp(X, *weights, h, additive_mask(allowed), G_real)
    assert all(np.isnan(gradient).all() for gradient in nan[1:5])
    assert np.isfinite(nan[0][0]).all() and np.isnan(nan[0][1]).all(), "sequence 1's tokens"
    big = multihead_attention_vjp(X, *weights, h, additive_mask(allowed, large=1e9), G_real)
    assert all(np.isfinite(gradient).all() for gradient in big)
