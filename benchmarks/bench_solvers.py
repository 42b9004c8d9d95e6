"""Timings of ibtheory.solvers against the targets of issue 4 (printed, never asserted).

Run:  OPENBLAS_NUM_THREADS=1 python benchmarks/bench_solvers.py [--cvxpy-logdet]

(one BLAS thread: on a shared 2-core machine OpenBLAS threads oversubscribe and a
100 x 1000 SVD takes 0.4 s instead of 0.02 s, which swamps every timing.)

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

    from scipy.optimize import linprog

    X, y = rng.standard_normal((100, 1000)), rng.standard_normal(100)
    t, mb, r = _bench(lambda: min_l1_interpolator(X, y))
    _row("min_l1_interpolator", "n=100 d=1000", t, mb, "<= 2 s", f"kkt {r.kkt.worst:.1e}, nnz {np.count_nonzero(r.x)}")
    # Issue 17: against HiGHS through scipy's linprog on the same problem (split LP),
    # which returns no certificate; ours includes the KKT check on every column.
    d = X.shape[1]
    t_lp, _, lp = _bench(lambda: linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=y,
                                         bounds=(0, None), method="highs"))
    _row("  linprog(method='highs')", "n=100 d=1000", t_lp, 0.0, "(reference)",
         f"ratio linprog / ours = {t_lp / t:.2f}; objective gap {(lp.fun - r.fun) / r.fun:.1e}")
    t_cv, _, r_cv = _bench(lambda: min_l1_interpolator(X, y, method="cvxpy"), repeat=1)
    _row("  min_l1 method='cvxpy'", "n=100 d=1000", t_cv, 0.0, "(2nd route)",
         f"kkt {r_cv.kkt.worst:.1e}; |x - x_highs|_inf {np.max(np.abs(r_cv.x - r.x)):.1e}")
    for kind in ("sparse y = X x0, 10 nonzeros",):
        x0 = np.zeros(d)
        x0[rng.choice(d, 10, replace=False)] = rng.standard_normal(10)
        ys = X @ x0
        t, _, r = _bench(lambda: min_l1_interpolator(X, ys))
        t_lp, _, lp = _bench(lambda: linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=ys,
                                             bounds=(0, None), method="highs"))
        _row("  min_l1 " + kind, "n=100 d=1000", t, 0.0, "", f"ratio linprog / ours = {t_lp / t:.2f}")

    for L in (2, 3, 4):
        for alpha in (0.1, 1.0):
            t, mb, r = _bench(lambda: qnorm_interpolator(X, y, L, alpha))
            t2, _, r2 = _bench(lambda: qnorm_interpolator(X, y, L, alpha, method="primal-newton"), repeat=1)
            diff = np.max(np.abs(r.x - r2.x)) / np.max(np.abs(r.x))
            _row(f"qnorm_interpolator L={L} a={alpha}", "n=100 d=1000", t, mb, "<= 0.2 s",
                 f"kkt {r.kkt.worst:.1e}, nit {r.nit}; primal-newton {t2:.3f} s "
                 f"({t2 / t:.0f}x slower), rel diff {diff:.1e}")
            if L in (2, 4):
                Xq, yq = X[:20, :100], y[:20]
                t3, _, r3 = _bench(lambda: qnorm_interpolator(Xq, yq, L, alpha, method="cvxpy"), repeat=1)
                r4 = qnorm_interpolator(Xq, yq, L, alpha)
                _row(f"  qnorm cvxpy L={L} a={alpha}", "n=20 d=100", t3, 0.0, "(2nd route)",
                     f"kkt {r3.kkt.worst:.1e} (Clarabel alone {r3.unpolished[1].worst:.1e}); "
                     f"rel diff to dual-newton {np.max(np.abs(r3.x - r4.x)) / np.max(np.abs(r4.x)):.1e}")

    # Issue 16: the l1 end (small alpha, deep), certified by the near-edge Newton; the
    # dual route alone refused every one of these (float64 resolution at the edge c_L).
    x0 = np.zeros(X.shape[1])
    x0[rng.choice(X.shape[1], 10, replace=False)] = rng.standard_normal(10)
    for L, alpha in ((5, 1e-3), (8, 0.03), (12, 1e-2), (12, 1e-8)):
        for kind, yy in (("", y), (" sparse y", X @ x0)):
            t, mb, r = _bench(lambda: qnorm_interpolator(X, yy, L, alpha), repeat=1)
            _row(f"qnorm l1 end L={L} a={alpha:g}{kind}", "n=100 d=1000", t, mb, "<= 1 s",
                 f"kkt {r.kkt.worst:.1e}, nit {r.nit}")

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
