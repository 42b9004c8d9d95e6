"""Full reproduction of Marion & Chizat (2024)'s linear experiments at the authors' settings, timed.

Runs the three sweeps of ``run_experiment.py linear`` (Gaussian init: 5 step sizes x 20 runs (80 for the
largest) x 10 scales; residual init: 5 x 20 x 10; learning rate vs depth: 4 depths x 25 step sizes x 50 runs)
with the batched chain kernel of :mod:`ibtheory.theory.marion2024`, and prints the time, peak memory and
the measurable statements of the book chapter (converged runs have 2La <= S <= 2/lr; no run above the
critical step size converges). Usage: ``python benchmarks/bench_marion2024.py [--quick]``.
"""
import resource
import sys
import time

import numpy as np

from ibtheory.theory import marion2024 as M


def main(quick=False):
    S = M.PAPER_SETTINGS
    D = M.make_data(S["n"], S["d"], S["noise"], seed=0)
    L = S["L"]
    lo, hi = M.sharpness_lower_bound(L, D.a), M.sharpness_upper_bound(L, D.Lam)
    scale_reps = (lambda r: max(1, r // 10)) if quick else (lambda r: r)
    t_all = time.perf_counter()
    out = {}
    g = S["gaussian"]
    t = time.perf_counter()
    out["gaussian"] = M.sweep(D, "gaussian", L, g["lrs"], g["steps"], [scale_reps(r) for r in g["reps"]], g["scales"],
                              seed=0, sharp_iters=2000)
    print(f"Gaussian sweep: {out['gaussian']['lr'].size} runs in {time.perf_counter() - t:.1f} s")
    r = S["residual"]
    t = time.perf_counter()
    out["residual"] = M.sweep(D, "residual", L, r["lrs"], r["steps"], [scale_reps(x) for x in r["reps"]],
                              r["scales"], seed=100, sharp_iters=2000)
    print(f"residual sweep: {out['residual']['lr'].size} runs in {time.perf_counter() - t:.1f} s")
    dp = S["depth"]
    t = time.perf_counter()
    n_runs, conv_above = 0, 0
    for Ld in dp["depths"]:
        res = M.sweep(D, "residual", Ld, dp["lrs"], dp["steps"], scale_reps(dp["reps"]), [dp["scale"]], seed=Ld,
                      sharpness=False)
        n_runs += res["lr"].size
        conv = ~res["diverged"] & (res["excess"] < 1e-8)
        conv_above += int(np.sum(conv & (res["lr"] > 1.05 * M.critical_lr(Ld, D.a))))
    print(f"depth sweep: {n_runs} runs in {time.perf_counter() - t:.1f} s; converged above 1.05 eta_c: {conv_above}")
    total = time.perf_counter() - t_all
    for name, res in out.items():
        conv = ~res["diverged"] & (res["excess"] < 1e-6)
        s, lr = res["sharpness"][conv], res["lr"][conv]
        print(f"{name}: {conv.sum()} / {res['lr'].size} converged, {res['diverged'].sum()} diverged; "
              f"min S/(2La) = {s.min() / lo:.4f}, max S*lr/2 = {np.max(s * lr / 2):.4f}; "
              f"converged above eta_c: {int(np.sum(conv & (res['lr'] > 1.05 * M.critical_lr(L, D.a))))}")
    print(f"2La = {lo:.3f}, 8L Lambda = {hi:.3f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {total:.1f} s (authors' JAX script: about 3 h on a laptop CPU for all experiments); "
          f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
