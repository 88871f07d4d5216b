"""bench/run.py: the hand-written MLP backward is right, and a quick run writes complete CSV files.

Timings are never asserted: speed is measured by `make bench`, not by tests.
"""

import csv
import itertools
import subprocess
import sys

import numpy as np
from autograd import grad

from bench import run
from tests.pages import ROOT


def test_mlp_backward_matches_autograd():
    rng = np.random.default_rng(0)
    N, widths = 7, [6, 5, 4, 3]  # a batch of 7; widths 6 → 5 → 4 → 3, every size its own
    layers = [
        (rng.standard_normal((a, b)), rng.standard_normal((1, b)))
        for a, b in itertools.pairwise(widths)
    ]
    n, k = widths[0], widths[-1]  # inputs, classes
    X, Y = rng.standard_normal((N, n)), np.eye(k)[rng.integers(0, k, N)]
    assert abs(run.mlp_loss(X, Y, layers) - run.mlp_loss_autograd(layers, X, Y)) < 1e-12
    ours, reference = run.mlp_backward(X, Y, layers), grad(run.mlp_loss_autograd)(layers, X, Y)
    for (gW, gb), (rW, rb) in zip(ours, reference, strict=True):
        np.testing.assert_allclose(gW, rW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(gb, rb, rtol=1e-10, atol=1e-14)


def test_quick_run_writes_every_figure_with_its_machine(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in ("jacobian_vs_vjp.csv", "hand_vs_autograd.csv"):
        rows = list(csv.DictReader((tmp_path / name).open()))
        assert rows and all(row["machine"] and row["numpy"] and row["blas_threads"] for row in rows)
        assert all(float(row["seconds"]) > 0 for row in rows)
