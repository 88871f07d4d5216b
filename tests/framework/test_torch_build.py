"""The framework checks run against the pinned CPU build of PyTorch, in float64."""

import torch


def test_the_pinned_cpu_build_computes_in_float64():
    x = torch.linspace(-1.0, 1.0, 3, dtype=torch.float64, requires_grad=True)
    torch.sigmoid(x).sum().backward()
    assert torch.__version__.startswith("2.13.0")
    assert not torch.cuda.is_available()
    assert x.grad.dtype == torch.float64
