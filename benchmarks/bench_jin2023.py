"""Jin & Montufar width experiment at the paper's settings (full sweep; the book runs a subset).

Data x = [-2, -1, 0, 1, 2], y = [1.5, 0.5, 1.5, 0.5, 1.5]; ASI; GD on the mean squared
error (step 1/lambda_max of the tangent kernel) until the loss changes by < 1e-9, then a
Gauss-Newton tail; widths 10 * 2^k up to --max-width, --seeds seeds each; prints per width
the median sup-error on [-2, 2] against the adjusted weighted spline, the fitted exponent
on n >= 320 with its 95% interval, wall time and peak traced memory.

    python benchmarks/bench_jin2023.py [--max-width 10240] [--seeds 5] [--inits uniform,gauss1,gauss01]
"""
import argparse
import time
import tracemalloc

import numpy as np

from ibtheory.theory import jin2023 as jm

X = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
Y = np.array([1.5, 0.5, 1.5, 0.5, 1.5])
INITS = {"uniform": ("uniform", 1.0, 2.0), "gauss1": ("gaussian", 1.0, 1.0),
         "gauss01": ("gaussian", 1.0, np.sqrt(0.1))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-width", type=int, default=10240)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--inits", default="uniform,gauss1,gauss01")
    args = ap.parse_args()
    widths = [10 * 2**k for k in range(12) if 10 * 2**k <= args.max_width]
    t = np.linspace(-2, 2, 401)
    for key in args.inits.split(","):
        dist, ws, bs = INITS[key]
        g, u, v = jm.predicted_limit(X, Y, dist, ws, bs)
        tracemalloc.start()
        t0 = time.perf_counter()
        run = jm.train_asi(X, Y - u * X - v, widths, list(range(args.seeds)), dist, ws, bs)
        secs = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        err = np.array([np.max(np.abs(run(k, t) - (g(t) - u * t - v))) for k in range(run.widths.size)])
        fits = run.fun < 1e-16
        print(f"== {key} ({dist}, {ws:g}, {bs:.4g}): {run.widths.size} networks, {secs:.1f} s, "
              f"peak {peak:.0f} MiB, max steps {run.nit.max()}, max final loss {run.fun[fits].max():.1e}")
        for n in widths:
            sel = (run.widths == n) & fits
            print(f"  n = {n:6d}: median sup-error {np.median(err[sel]) if sel.any() else float('nan'):.4f} "
                  f"({sel.sum()} of {args.seeds} interpolating), max GN shift {run.polish_shift[run.widths == n].max():.1e}")
        if np.sum(fits & (run.widths >= 320)) >= 3:
            s, ci, _ = jm.fit_rate(run.widths[fits], err[fits], n_min=320)
            print(f"  exponent on n >= 320: {s:.3f}  (95% CI {ci[0]:.3f} .. {ci[1]:.3f})")


if __name__ == "__main__":
    main()
