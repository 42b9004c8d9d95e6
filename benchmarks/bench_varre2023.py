"""Timings of the Varre et al. (2023) chapter's experiments (issue 5); prints figures, asserts nothing.

1. The theorem sweep: flow vs log-det solver vs closed form, 3 instances x 5 gammas
   (the chapter's table), with the worst discrepancy.
2. A larger instance (n=20, d=40, l=60, k=3) over the same gammas, flow to stationarity
   1e-8 (1e-10 stalls at gamma=10: the integrator's floor on this stiffer problem).
3. LNGD: 3 noise levels x 8 seeds x 20,000 Euler-Maruyama steps (the chapter's figure).
4. ReLU: 3 scales x 4 seeds x 3,000 batched GD steps (the chapter's figure).

Peak memory: the process's peak resident set size after each experiment.

Run: ``python benchmarks/bench_varre2023.py``.
"""
from __future__ import annotations

import resource
import time

from ibtheory.theory import varre2023 as V

GAMMAS = (1e-3, 1e-2, 1e-1, 1.0, 10.0)
KEYS = ("beta_flow_pinv", "gram_flow_closed", "gram_flow_solver", "sv_flow_closed", "objective_flow_solver")


def _timed(name, fn):
    # tracemalloc slows these many-small-array loops several-fold, so time without it;
    # memory is reported as the process's peak RSS.
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name:<52} {dt:8.2f} s   peak RSS so far {rss:6.0f} MiB")
    return out


def sweep(instances, stat_tol=1e-10):
    worst = 0.0
    for n, d, k in instances:
        X, Y, _ = V.make_data(n, d, k, seed=n + k)
        for g in GAMMAS:
            c = V.compare_limit(X, Y, g, l=d + 2 if d < 20 else 60, seed=1, stat_tol=stat_tol)
            worst = max(worst, max(c[key] for key in KEYS))
    return worst


def main():
    w = _timed("1. theorem sweep (15 flows + solver + closed form)",
               lambda: sweep(((4, 6, 1), (4, 6, 2), (8, 6, 3))))
    print(f"   worst discrepancy {w:.1e}")
    w = _timed("2. n=20, d=40, l=60, k=3, five gammas (stat 1e-8)", lambda: sweep(((20, 40, 3),), stat_tol=1e-8))
    print(f"   worst discrepancy {w:.1e}")
    X, Y, _ = V.make_data(8, 4, 1, seed=3)
    ln = _timed("3. LNGD 3 sigmas x 8 seeds x 20,000 steps",
                lambda: V.lngd_alignment(X, Y, 1.0, [0.0, 0.1, 0.3], l=12, n_seeds=8, dt=5e-3,
                                         n_chunks=20, chunk=1000))
    print(f"   final mean effective ranks {ln.effective_rank[:, :, -1].mean(1).round(3)}")
    r = _timed("4. ReLU 3 scales x 4 seeds x 3,000 GD steps",
               lambda: V.relu_feature_recovery([1e-3, 1e-1, 1.0], n_seeds=4))
    print(f"   min top-2 share per scale {r.top2.min(1).round(4)}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
