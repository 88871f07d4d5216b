"""docs/ranking_losses.md: what it says PyTorch's ranking and embedding losses compute.

Each claim is checked against torch in float64: the value for reduction "none", "sum" and "mean"
(mean divides by the N examples), the gradient of each input from torch.autograd (with an upstream
g for "none"), the default margins, the slope at a hinge's kink (the active side's: clamp_min
passes the gradient at 0), the cosine's 1e-12 on each squared norm, and the triplet distance
‖a − p + eps‖_p with eps added to the difference, for p = 2 and another p.
"""

import numpy as np
import pytest
import torch
from torch.nn import functional as nnf

from snippets.ranking_losses import (
    cosine_embedding,
    cosine_embedding_vjp,
    cosines,
    distance,
    hinge_embedding,
    hinge_embedding_slope,
    margin_ranking,
    margin_ranking_vjp,
    reduce,
    triplet_margin,
    triplet_vjp,
    weights,
)

TOLERANCE = 1e-12  # relative: both sides compute the same float64 expressions
REDUCTIONS = ["none", "sum", "mean"]


def close(ours, theirs, tolerance=TOLERANCE):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert np.shape(ours) == theirs.shape, (np.shape(ours), theirs.shape)
    scale = max(np.max(np.abs(theirs)), 1e-300)
    assert np.max(np.abs(ours - theirs)) <= tolerance * scale


def torch_run(loss_of, arrays, reduction, g):
    """The value and the gradient of every argument, by torch.autograd."""
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    value = loss_of(*tensors, reduction)
    value.backward(torch.tensor(g) if reduction == "none" else None)
    return value, [t.grad for t in tensors]


def labels(N):
    return np.where(np.arange(N) % 3 == 1, -1.0, 1.0)


def test_default_margins():
    assert torch.nn.MarginRankingLoss().margin == 0.0
    assert torch.nn.HingeEmbeddingLoss().margin == 1.0
    assert torch.nn.CosineEmbeddingLoss().margin == 0.0
    loss = torch.nn.TripletMarginLoss()
    assert (loss.margin, loss.p, loss.eps, loss.swap) == (1.0, 2.0, 1e-6, False)
    assert torch.nn.MarginRankingLoss().reduction == "mean"


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "margin"), [(7, 0.0), (5, 0.6)])
def test_margin_ranking(N, margin, reduction):
    rng = np.random.default_rng([N, 1])
    u, w, y, g = (rng.standard_normal(N) for _ in range(4))
    y = labels(N)

    def torch_loss(s, t, r):
        return nnf.margin_ranking_loss(s, t, torch.tensor(y), margin=margin, reduction=r)

    value, (grad_u, grad_w) = torch_run(torch_loss, [u, w], reduction, g)
    close(reduce(margin_ranking(u, w, y, margin), reduction), value)
    ours = margin_ranking_vjp(u, w, y, weights(N, reduction, g), margin)
    close(ours[0], grad_u)
    close(ours[1], grad_w)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "margin"), [(6, 1.0), (4, 2.0)])
def test_hinge_embedding(N, margin, reduction):
    rng = np.random.default_rng([N, 2])
    x, g, y = 1.5 * np.abs(rng.standard_normal(N)), rng.standard_normal(N), labels(N)

    def torch_loss(s, r):
        return nnf.hinge_embedding_loss(s, torch.tensor(y), margin=margin, reduction=r)

    value, (grad,) = torch_run(torch_loss, [x], reduction, g)
    close(reduce(hinge_embedding(x, y, margin), reduction), value)
    close(weights(N, reduction, g) * hinge_embedding_slope(x, y, margin), grad)


def test_at_the_kink_torch_takes_the_active_slope():
    u, w, y = np.array([1.0, 0.2]), np.array([0.0, 0.0]), np.array([1.0, 1.0])  # pair 0: γ = 0
    _, (grad_u, grad_w) = torch_run(
        lambda s, t, r: nnf.margin_ranking_loss(s, t, torch.tensor(y), margin=1.0, reduction=r),
        [u, w],
        "sum",
        None,
    )
    assert grad_u.tolist() == [-1.0, -1.0] and grad_w.tolist() == [1.0, 1.0]
    close(margin_ranking_vjp(u, w, y, np.ones(2), 1.0)[0], grad_u)
    x, y = np.array([1.0, 0.5]), np.array([-1.0, -1.0])  # x_0 = margin: γ = 0
    _, (grad,) = torch_run(
        lambda s, r: nnf.hinge_embedding_loss(s, torch.tensor(y), reduction=r), [x], "sum", None
    )
    assert grad.tolist() == [-1.0, -1.0]
    close(hinge_embedding_slope(x, y), grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("N", "d", "margin"), [(6, 4, 0.0), (5, 3, 0.3)])
def test_cosine_embedding(N, d, margin, reduction):
    rng = np.random.default_rng([N, d, 3])
    U, V = rng.standard_normal((N, d)), rng.standard_normal((N, d))
    V[1] = U[1] + 0.2 * rng.standard_normal(d)  # dissimilar but close: active
    y, g = labels(N), rng.standard_normal(N)

    def torch_loss(S, T, r):
        return nnf.cosine_embedding_loss(S, T, torch.tensor(y), margin=margin, reduction=r)

    value, (grad_u, grad_v) = torch_run(torch_loss, [U, V], reduction, g)
    close(reduce(cosine_embedding(U, V, y, margin), reduction), value)
    ours = cosine_embedding_vjp(U, V, y, weights(N, reduction, g), margin)
    close(ours[0], grad_u)
    close(ours[1], grad_v)


def test_cosine_eps_is_on_the_squared_norms():
    """Tiny rows show the 1e-12: torch's cos is 1e-14/(1e-14 + 1e-12), not 1."""
    U, V, y = np.array([[1e-7, 0.0]]), np.array([[1e-7, 0.0]]), np.array([1.0])
    value = nnf.cosine_embedding_loss(
        torch.tensor(U), torch.tensor(V), torch.tensor(y), reduction="none"
    )
    # torch's 1e-12 is a float32 constant, 0.999999996e-12: at norms this small it shows at 4e-11
    close(cosine_embedding(U, V, y), value, 1e-9)
    assert value.item() == pytest.approx(1 - 1e-14 / (1e-14 + float(np.float32(1e-12))), rel=1e-14)
    assert cosines(U, V)[0][0] < 0.5, "far from the exact cosine 1"
    similarity = nnf.cosine_similarity(torch.tensor(U), torch.tensor(V))
    assert similarity.item() != pytest.approx(cosines(U, V)[0][0]), "not F.cosine_similarity's eps"
    tiny = torch.tensor([[1e-9, 0.0]], dtype=torch.float64)
    bounded = nnf.cosine_similarity(tiny, tiny).item()
    assert bounded == pytest.approx(1e-18 / (1e-8 * 1e-8), rel=1e-12), "its norms bounded by 1e-8"


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("N", "d", "margin", "p"), [(5, 3, 1.0, 2.0), (4, 6, 0.5, 3.0), (6, 2, 2.0, 1.0)]
)
def test_triplet_margin(N, d, margin, p, reduction):
    rng = np.random.default_rng([N, d, 4])
    A = rng.standard_normal((N, d))
    P = A + 0.5 * rng.standard_normal((N, d))
    Q = rng.standard_normal((N, d))
    Q[0] = A[0] + 4.0  # inactive
    g = rng.standard_normal(N)

    def torch_loss(X, Y, Z, r):
        return nnf.triplet_margin_loss(X, Y, Z, margin=margin, p=p, reduction=r)

    value, grads = torch_run(torch_loss, [A, P, Q], reduction, g)
    close(reduce(triplet_margin(A, P, Q, margin, p), reduction), value)
    ours = triplet_vjp(A, P, Q, weights(N, reduction, g), margin, p)
    for mine, theirs in zip(ours, grads, strict=True):
        close(mine, theirs)
    assert np.all(grads[0].numpy()[0] == 0), "the inactive triplet gets no gradient"


def test_triplet_distance_adds_eps_to_the_difference():
    X, Z = np.array([[1.0, 2.0, 3.0]]), np.array([[0.5, 1.0, 4.0]])
    theirs = nnf.pairwise_distance(torch.tensor(X), torch.tensor(Z))
    close(distance(X, Z), theirs, 1e-15)
    reversed_order = np.linalg.norm(Z - X + 1e-6)
    assert abs(theirs.item() - reversed_order) > 1e-7, "a − p + eps, not p − a + eps"
    same = nnf.pairwise_distance(torch.tensor(X), torch.tensor(X))
    assert same.item() == pytest.approx(np.sqrt(3) * 1e-6, rel=1e-12), "a row to itself: eps √d"


def test_margin_ranking_refuses_rows_of_scores_with_one_label_per_row():
    N, d = 6, 4
    with pytest.raises(RuntimeError, match="same dimension"):
        nnf.margin_ranking_loss(torch.ones(N, d), torch.ones(N, d), torch.ones(N))
