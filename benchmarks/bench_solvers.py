"""Timings of ibtheory.solvers against the targets of issue 4 (printed, never asserted).

Run:  python benchmarks/bench_solvers.py [--cvxpy-logdet]

Each line: problem size, best wall time of a few repeats (after one warm-up call
that also pays the CVXPY import), peak traced memory, the target, and the
accuracy certificate (worst relative KKT residual) of the answer timed.
"""
from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np


def _bench(fn, repeat=3):
    fn()  # warm-up (imports, caches)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak / 2**20, out


def _row(name, size, secs, mb, target, extra):
    print(f"{name:<34} {size:<22} {secs:9.4f} s  {mb:8.1f} MiB  target {target:<12} {extra}")


def main(cvxpy_logdet=False):
    from ibtheory.solvers import (
        logdet_factorization, min_l1_interpolator, qnorm_interpolator, weighted_spline, zeta,
    )

    rng = np.random.default_rng(0)
    print(f"{'problem':<34} {'size':<22} {'time':>11}  {'peak mem':>12}  {'target':<19} certificate")

    X, y = rng.standard_normal((100, 1000)), rng.standard_normal(100)
    t, mb, r = _bench(lambda: min_l1_interpolator(X, y))
    _row("min_l1_interpolator", "n=100 d=1000", t, mb, "<= 2 s", f"kkt {r.kkt.worst:.1e}, nnz {np.count_nonzero(r.x)}")

    for L in (2, 3, 4):
        for alpha in (0.1, 1.0):
            t, mb, r = _bench(lambda: qnorm_interpolator(X, y, L, alpha))
            t2, _, r2 = _bench(lambda: qnorm_interpolator(X, y, L, alpha, method="primal-newton"), repeat=1)
            diff = np.max(np.abs(r.x - r2.x)) / np.max(np.abs(r.x))
            _row(f"qnorm_interpolator L={L} a={alpha}", "n=100 d=1000", t, mb, "<= 0.2 s",
                 f"kkt {r.kkt.worst:.1e}, nit {r.nit}; primal-newton {t2:.3f} s "
                 f"({t2 / t:.0f}x slower), rel diff {diff:.1e}")

    for gamma in (0.01, 1.0):
        Xl = rng.standard_normal((30, 50))
        Yl = Xl @ rng.standard_normal((50, 3))
        t, mb, r = _bench(lambda: logdet_factorization(Xl, Yl, gamma))
        _row(f"logdet_factorization g={gamma}", "n=30 d=50 k=3", t, mb, "<= 5 s", f"kkt {r.kkt.worst:.1e}")
    Xs = rng.standard_normal((10, 15))
    Ys = Xs @ rng.standard_normal((15, 3))
    t, mb, r = _bench(lambda: logdet_factorization(Xs, Ys, 0.1, method="cvxpy"), repeat=1)
    _row("logdet_factorization cvxpy", "n=10 d=15 k=3", t, mb, "(2nd route)", f"kkt {r.kkt.worst:.1e}")
    if cvxpy_logdet:
        t, mb, r = _bench(lambda: logdet_factorization(Xl, Yl, 1.0, method="cvxpy"), repeat=1)
        _row("logdet_factorization cvxpy", "n=30 d=50 k=3", t, mb, "(2nd route)", f"kkt {r.kkt.worst:.1e}")

    x = np.sort(rng.uniform(-2, 2, 200))
    ys = np.sin(3 * x) + 0.1 * rng.standard_normal(200)
    for name in ("constant", "gaussian", "uniform"):
        z = zeta(name) if name != "uniform" else zeta("uniform", a_w=1.0, a_b=1.0)
        t, mb, r = _bench(lambda: weighted_spline(x, ys, z))
        t_eval, _, _ = _bench(lambda: r(np.linspace(-2.5, 2.5, 10000)))
        _row(f"weighted_spline {name}", "200 knots", t, mb, "<= 0.5 s",
             f"kkt {r.kkt.worst:.1e}; 10^4 evaluations {t_eval:.3f} s")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cvxpy-logdet", action="store_true",
                    help="also time the CVXPY route of logdet_factorization at d=50 (about a minute)")
    main(ap.parse_args().cvxpy_logdet)
