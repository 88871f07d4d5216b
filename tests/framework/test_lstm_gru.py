"""docs/lstm_gru.md's claims about PyTorch, checked against PyTorch in float64.

- ``torch.nn.LSTMCell`` is the page's LSTM step with its gates in the order i, f, g, o (CS231n's
  are i, f, o, g): ``weight_ih`` is W_x with its column blocks reordered, transposed (4H×D),
  ``weight_hh`` likewise from W_h, and ``bias_ih + bias_hh`` plays b; its gradients are the
  page's, reordered the same way; ``torch.nn.LSTM`` over a sequence is the page's BPTT;
- ``torch.nn.GRUCell`` is the page's GRU step, r, z, n in that order: ``weight_ih`` = W_xᵀ
  (3H×D), ``weight_hh`` = W_hᵀ, the two biases apart (r multiplies h W_hn + b_hn).
"""

import numpy as np
import torch

from snippets.lstm_gru import (
    gru_step_backward,
    gru_step_forward,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)

TOLERANCE = {"rtol": 1e-12, "atol": 1e-14}


def to_pytorch_order(M, H):
    """The column blocks i, f, o, g of M (…×4H) as i, f, g, o, PyTorch's order."""
    i, f, o, g = (M[..., k * H : (k + 1) * H] for k in range(4))
    return np.concatenate([i, f, g, o], axis=-1)


def from_pytorch_order(M, H):
    """PyTorch's blocks i, f, g, o of M (…×4H) back to CS231n's i, f, o, g."""
    i, f, g, o = (M[..., k * H : (k + 1) * H] for k in range(4))
    return np.concatenate([i, f, o, g], axis=-1)


def lstm_problem(N, D, H, seed):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((N, D)),
        rng.standard_normal((N, H)),
        rng.standard_normal((N, H)),
        rng.standard_normal((D, 4 * H)) / 2,
        rng.standard_normal((H, 4 * H)) / 2,
        rng.standard_normal(4 * H),
    ), rng


def loaded_lstm_cell(Wx, Wh, b, H, b_share=0.3):
    """An LSTMCell holding the page's parameters; b split between its two biases."""
    cell = torch.nn.LSTMCell(Wx.shape[0], H, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(to_pytorch_order(Wx, H).T))
        cell.weight_hh.copy_(torch.tensor(to_pytorch_order(Wh, H).T))
        cell.bias_ih.copy_(torch.tensor(b_share * to_pytorch_order(b, H)))
        cell.bias_hh.copy_(torch.tensor((1 - b_share) * to_pytorch_order(b, H)))
    return cell


def test_lstm_cell_is_the_pages_step_with_gates_i_f_g_o():
    N, D, H = 2, 4, 5
    (x, h, c, Wx, Wh, b), rng = lstm_problem(N, D, H, 0)
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    cell = loaded_lstm_cell(Wx, Wh, b, H)
    assert tuple(cell.weight_ih.shape) == (4 * H, D), "PyTorch stores (4H, D)"
    xt, ht, ct = (torch.tensor(v, requires_grad=True) for v in (x, h, c))
    next_h, next_c = cell(xt, (ht, ct))
    (next_h * torch.tensor(dh) + next_c * torch.tensor(dc)).sum().backward()

    ours_h, ours_c, cache = lstm_step_forward(x, h, c, Wx, Wh, b)
    np.testing.assert_allclose(next_h.detach().numpy(), ours_h, **TOLERANCE)
    np.testing.assert_allclose(next_c.detach().numpy(), ours_c, **TOLERANCE)
    dx, dprev_h, dprev_c, dWx, dWh, db = lstm_step_backward(dh, dc, cache)
    np.testing.assert_allclose(xt.grad.numpy(), dx, **TOLERANCE)
    np.testing.assert_allclose(ht.grad.numpy(), dprev_h, **TOLERANCE)
    np.testing.assert_allclose(ct.grad.numpy(), dprev_c, **TOLERANCE)
    np.testing.assert_allclose(
        from_pytorch_order(cell.weight_ih.grad.numpy().T, H), dWx, **TOLERANCE
    )
    np.testing.assert_allclose(
        from_pytorch_order(cell.weight_hh.grad.numpy().T, H), dWh, **TOLERANCE
    )
    for bias in (cell.bias_ih, cell.bias_hh):  # ∂L/∂b reaches both, whole
        np.testing.assert_allclose(from_pytorch_order(bias.grad.numpy(), H), db, **TOLERANCE)


def test_lstm_cell_with_cs231n_gate_order_unchanged_is_another_cell():
    """Loading W_x's blocks i, f, o, g as they are swaps PyTorch's g and o: other outputs."""
    N, D, H = 2, 4, 5
    (x, h, c, Wx, Wh, b), _ = lstm_problem(N, D, H, 1)
    cell = torch.nn.LSTMCell(D, H, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(Wx.T))
        cell.weight_hh.copy_(torch.tensor(Wh.T))
        cell.bias_ih.copy_(torch.tensor(b))
        cell.bias_hh.zero_()
        next_h, _ = cell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
    assert not np.allclose(next_h.numpy(), lstm_step_forward(x, h, c, Wx, Wh, b)[0], rtol=1e-3)


def test_lstm_over_a_sequence_is_the_pages_bptt():
    N, T, D, H = 2, 3, 4, 5
    rng = np.random.default_rng(2)
    x = rng.standard_normal((N, T, D))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, 4 * H)) / 2, rng.standard_normal((H, 4 * H)) / 2
    b, dh = rng.standard_normal(4 * H), rng.standard_normal((N, T, H))
    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(to_pytorch_order(Wx, H).T))
        lstm.weight_hh_l0.copy_(torch.tensor(to_pytorch_order(Wh, H).T))
        lstm.bias_ih_l0.copy_(torch.tensor(to_pytorch_order(b, H)))
        lstm.bias_hh_l0.zero_()
    xt, h0t, c0t = (torch.tensor(v, requires_grad=True) for v in (x, h0, c0))
    states, _ = lstm(xt, (h0t[None], c0t[None]))  # h0, c0 as 1×N×H: one layer
    (states * torch.tensor(dh)).sum().backward()

    ours, caches = lstm_forward(x, h0, Wx, Wh, b, c0)
    np.testing.assert_allclose(states.detach().numpy(), ours, **TOLERANCE)
    dx, dh0, dWx, dWh, db, dc0 = lstm_backward(dh, caches)
    np.testing.assert_allclose(xt.grad.numpy(), dx, **TOLERANCE)
    np.testing.assert_allclose(h0t.grad.numpy(), dh0, **TOLERANCE)
    np.testing.assert_allclose(c0t.grad.numpy(), dc0, **TOLERANCE)
    weight_ih_grad = lstm.weight_ih_l0.grad.numpy().T
    np.testing.assert_allclose(from_pytorch_order(weight_ih_grad, H), dWx, **TOLERANCE)
    weight_hh_grad = lstm.weight_hh_l0.grad.numpy().T
    np.testing.assert_allclose(from_pytorch_order(weight_hh_grad, H), dWh, **TOLERANCE)
    np.testing.assert_allclose(from_pytorch_order(lstm.bias_ih_l0.grad.numpy(), H), db, **TOLERANCE)


def test_gru_cell_is_the_pages_gru_step():
    N, D, H = 2, 4, 5
    rng = np.random.default_rng(3)
    x, h = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, 3 * H)) / 2, rng.standard_normal((H, 3 * H)) / 2
    bx, bh, dnext_h = (
        rng.standard_normal(3 * H),
        rng.standard_normal(3 * H),
        rng.standard_normal((N, H)),
    )
    cell = torch.nn.GRUCell(D, H, dtype=torch.float64)
    assert tuple(cell.weight_ih.shape) == (3 * H, D), "PyTorch stores (3H, D), blocks r, z, n"
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(Wx.T))
        cell.weight_hh.copy_(torch.tensor(Wh.T))
        cell.bias_ih.copy_(torch.tensor(bx))
        cell.bias_hh.copy_(torch.tensor(bh))
    xt, ht = torch.tensor(x, requires_grad=True), torch.tensor(h, requires_grad=True)
    next_h = cell(xt, ht)
    next_h.backward(torch.tensor(dnext_h))

    ours, cache = gru_step_forward(x, h, Wx, Wh, bx, bh)
    np.testing.assert_allclose(next_h.detach().numpy(), ours, **TOLERANCE)
    dx, dprev_h, dWx, dWh, dbx, dbh = gru_step_backward(dnext_h, cache)
    np.testing.assert_allclose(xt.grad.numpy(), dx, **TOLERANCE)
    np.testing.assert_allclose(ht.grad.numpy(), dprev_h, **TOLERANCE)
    np.testing.assert_allclose(cell.weight_ih.grad.numpy().T, dWx, **TOLERANCE)
    np.testing.assert_allclose(cell.weight_hh.grad.numpy().T, dWh, **TOLERANCE)
    np.testing.assert_allclose(cell.bias_ih.grad.numpy(), dbx, **TOLERANCE)
    np.testing.assert_allclose(cell.bias_hh.grad.numpy(), dbh, **TOLERANCE)
    n_bias_grads = cell.bias_ih.grad.numpy()[2 * H :], cell.bias_hh.grad.numpy()[2 * H :]
    assert not np.allclose(*n_bias_grads), "b_hn sits inside r ∘ (…), b_xn outside"
