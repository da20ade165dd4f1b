"""Warm-started power iteration vs torch.linalg.matrix_norm(ord=2) on a 2048×2048 matrix.

The training-loop setting of spectral normalization / the spectral penalty: W moves by one
small SGD-like step between two evaluations of ‖W‖₂, and power iteration restarts from the
previous right singular vector. Prints the median time of each method, their ratio and the
relative error of σ against the full SVD. Not a test: run ``python bench/spectral.py``.
"""

from __future__ import annotations

import statistics
import time

import torch

from normcourse.robustness import power_iteration

N = 2048
WARM_ITERS = 5  # power iterations per evaluation after the perturbation
STEP = 1e-3  # size of the SGD-like perturbation, relative to the entries of W
REPEATS_SVD = 5
REPEATS_PI = 50


def _median_time(fn, repeats: int) -> tuple[float, object]:
    out = fn()  # warm-up (allocations, MKL/OpenBLAS threads)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(0)
    for dtype in (torch.float32, torch.float64):
        W = torch.randn(N, N, generator=g, dtype=dtype) / N**0.5  # like a freshly initialized layer
        # state carried over from the previous training step: the converged right singular vector
        v = torch.linalg.svd(W)[2][0]
        # one SGD-like step: W ← W − η G with a random "gradient" G
        W = W - STEP * torch.randn(N, N, generator=g, dtype=dtype) / N**0.5

        t_svd, ref = _median_time(lambda W=W: torch.linalg.matrix_norm(W, ord=2), REPEATS_SVD)
        t_pi, sigma = _median_time(
            lambda W=W, v=v: power_iteration(W, n_iter=WARM_ITERS, tol=0.0, u0=v), REPEATS_PI
        )
        sigma_cold = power_iteration(W, n_iter=WARM_ITERS, tol=0.0)  # same budget, cold
        ref_f = float(ref)
        print(f"{N}x{N} {str(dtype).removeprefix('torch.')}, 2 threads")
        print(f"  torch.linalg.matrix_norm(ord=2)      median {t_svd * 1e3:10.2f} ms")
        print(f"  power_iteration warm, {WARM_ITERS} iterations  median {t_pi * 1e3:10.2f} ms")
        print(f"  time ratio matrix_norm / warm power iteration: {t_svd / t_pi:8.1f}x")
        print(f"  relative error of σ, warm:  {abs(float(sigma) - ref_f) / ref_f:.2e}")
        print(
            f"  relative error of σ, cold start with the same {WARM_ITERS} iterations: "
            f"{abs(float(sigma_cold) - ref_f) / ref_f:.2e}"
        )


if __name__ == "__main__":
    main()
