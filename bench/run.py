"""Benchmarks for the performance page: `make bench` writes their CSV files into bench/results/.

1. Jacobian vs VJP: for softmax, sigmoid and the affine layer's weights, the time and peak memory
   of (a) building the full Jacobian and multiplying the upstream gradient by it and (b) the VJP,
   using the snippets' own functions.
2. Hand-written backward vs autograd: the seed network (5→3→5) and a deeper MLP, forward and
   backward, batch sizes 1 … 1024.

Every row carries the machine, the library versions and the BLAS threads. Ratios are only ever
taken between figures of one run. Nothing here is a test: timings never gate anything.
Usage: python bench/run.py [--quick]   (--quick: small sizes, for a smoke run)
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import platform
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path

import autograd.numpy as anp
import numpy as np
from autograd import grad
from threadpoolctl import threadpool_info

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from snippets.activations import sigmoid, sigmoid_jacobian, sigmoid_vjp  # noqa: E402
from snippets.affine import affine_vjp, affine_weight_jacobian  # noqa: E402
from snippets.network import network_backward, network_loss  # noqa: E402
from snippets.softmax import softmax, softmax_jacobian, softmax_vjp  # noqa: E402

RESULTS = ROOT / "bench" / "results"
VECTOR_SIZES = [64, 128, 256, 512, 1024, 2048, 4096]
# ∂r/∂W of r = xW (W n×n) has n³ entries: 1 GiB of float64 at n = 512, where this stops.
AFFINE_SIZES = [16, 32, 64, 128, 256, 512]
BATCH_SIZES = [1, 4, 16, 64, 256, 1024]


def environment() -> dict:
    blas = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return {
        "machine": f"{platform.machine()} {_cpu_model()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "autograd": version("autograd"),
        "blas": ", ".join(f"{p['internal_api']} {p['version']}" for p in blas) or "unknown",
        "blas_threads": ", ".join(str(p["num_threads"]) for p in blas) or "unknown",
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
        "date": datetime.now(UTC).date().isoformat(),
    }


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def seconds(fn, budget=0.3, most=50) -> float:
    """The fastest of repeated runs (at least 3, up to ``budget`` seconds or ``most`` runs)."""
    fn()
    best, spent, runs = float("inf"), 0.0, 0
    while runs < 3 or (spent < budget and runs < most):
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        best, spent, runs = min(best, elapsed), spent + elapsed, runs + 1
    return best


def peak_bytes(fn) -> int:
    """Peak memory numpy allocated while ``fn`` ran (tracemalloc sees numpy's buffers)."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def jacobian_vs_vjp(sizes, affine_sizes):
    rng = np.random.default_rng(0)
    cases = {
        "softmax": (sizes, lambda x, g: g @ softmax_jacobian(x), softmax_vjp),
        "sigmoid": (sizes, lambda x, g: g @ sigmoid_jacobian(x), sigmoid_vjp),
    }
    for op, (ns, by_jacobian, by_vjp) in cases.items():
        for n in ns:
            x, g = rng.standard_normal((1, n)), rng.standard_normal((1, n))
            for method, fn in (("jacobian", by_jacobian), ("vjp", by_vjp)):
                run = partial(fn, x, g)
                yield {
                    "op": op,
                    "n": n,
                    "method": method,
                    "seconds": seconds(run),
                    "peak_bytes": peak_bytes(run),
                }
    for n in affine_sizes:
        x, W, g = (rng.standard_normal(s) for s in ((1, n), (n, n), (1, n)))

        def by_jacobian(x=x, g=g, n=n):
            return (g @ affine_weight_jacobian(x, n).reshape(n, n * n)).reshape(n, n)

        def by_vjp(x=x, W=W, g=g):
            return affine_vjp(x, W, g)[1]

        for method, fn in (("jacobian", by_jacobian), ("vjp", by_vjp)):
            yield {
                "op": "affine weights",
                "n": n,
                "method": method,
                "seconds": seconds(fn),
                "peak_bytes": peak_bytes(fn),
            }


def mlp_forward(X, layers):
    """Sigmoid hidden layers, softmax output; returns the activations of every layer."""
    activations = [X]
    for W, b in layers[:-1]:
        activations.append(sigmoid(activations[-1] @ W + b))
    W, b = layers[-1]
    return activations, activations[-1] @ W + b


def mlp_loss(X, Y, layers):
    """Mean cross-entropy of the MLP's softmax output over the N rows of X."""
    theta = mlp_forward(X, layers)[1]
    shifted = theta - theta.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.sum(Y * log_probs) / len(X)


def mlp_backward(X, Y, layers):
    """Hand-written backward from the snippets' VJPs: one VJP per layer, none for the input X."""
    activations, theta = mlp_forward(X, layers)
    G = (softmax(theta) - Y) / len(X)
    gradients = []
    for (W, _), A in zip(reversed(layers[1:]), reversed(activations[1:]), strict=True):
        gA, gW, gb = affine_vjp(A, W, G)
        gradients.append((gW, gb))
        G = gA * A * (1 - A)  # through the sigmoid that produced A
    gradients.append((X.T @ G, G.sum(axis=0, keepdims=True)))  # the first layer's W and b only
    return gradients[::-1]


def mlp_loss_autograd(params, X, Y):
    A = X
    for W, b in params[:-1]:
        A = anp.exp(-anp.logaddexp(0.0, -(anp.dot(A, W) + b)))  # the snippets' stable sigmoid
    W, b = params[-1]
    theta = anp.dot(A, W) + b
    shifted = theta - anp.max(theta, axis=1, keepdims=True)
    log_probs = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
    return -anp.sum(Y * log_probs) / X.shape[0]


def hand_vs_autograd(batches):
    rng = np.random.default_rng(1)
    networks = {"seed network 5-3-5": [5, 3, 5], "MLP 256-512-512-512-10": [256, 512, 512, 512, 10]}
    autograd_gradient = grad(mlp_loss_autograd)
    for name, widths in networks.items():
        layers = [
            (rng.standard_normal((a, b)) / np.sqrt(a), np.zeros((1, b)))
            for a, b in itertools.pairwise(widths)
        ]
        for N in batches:
            X = rng.standard_normal((N, widths[0]))
            Y = np.eye(widths[-1])[rng.integers(0, widths[-1], N)]
            if len(widths) == 3:  # the seed network, exactly as its page derives it
                (W1, b1), (W2, b2) = layers
                forward = partial(network_loss, X, Y, W1, b1, W2, b2)
                backward = partial(network_backward, X, Y, W1, b1, W2, b2)
            else:
                forward = partial(mlp_loss, X, Y, layers)
                backward = partial(mlp_backward, X, Y, layers)
            rows = {
                "forward": seconds(forward),
                "hand forward+backward": seconds(backward),
                "autograd forward+backward": seconds(partial(autograd_gradient, layers, X, Y)),
            }
            for method, value in rows.items():
                yield {"network": name, "batch": N, "method": method, "seconds": value}


def write(path: Path, rows, env: dict) -> None:
    rows = [{**row, **env} for row in rows]
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {path} ({len(rows)} rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env = environment()
    sizes, affine_sizes, batches = (
        (VECTOR_SIZES[:3], AFFINE_SIZES[:3], BATCH_SIZES[:3])
        if args.quick
        else (VECTOR_SIZES, AFFINE_SIZES, BATCH_SIZES)
    )
    write(args.out / "jacobian_vs_vjp.csv", jacobian_vs_vjp(sizes, affine_sizes), env)
    write(args.out / "hand_vs_autograd.csv", hand_vs_autograd(batches), env)


if __name__ == "__main__":
    main()
