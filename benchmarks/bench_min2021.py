"""Timings of the Min et al. (2021) experiments at their ``book`` and ``paper`` presets; asserts nothing.

Each registered experiment of :mod:`ibtheory.papers.min2021` is run once per preset
(no cache), with its wall time, the process's peak resident set size, and one summary
number of its report.

Run: ``python benchmarks/bench_min2021.py [book|paper]`` (default ``book``).
"""
from __future__ import annotations

import resource
import sys
import time

from ibtheory.papers import min2021 as mt
from ibtheory.papers import set_cache

SUMMARY = {
    "reduction": lambda r: f"max relative loss error {r.rel_error.max():.1e}",
    "conservation": lambda r: f"max Lambda drift {r.drift_lambda.max():.1e}",
    "rate_bound_experiment": lambda r: f"min measured/bound (c>0) {(r.measured / r.bound)[r.c > 1e-8].min():.4f}",
    "invariant_set": lambda r: f"max distance to min-norm (orthogonal init) {r.err_orthogonal.max():.1e}",
    "imbalance_probability": lambda r: f"failures by width {dict(zip(r.widths.tolist(), r.n_failed.tolist()))}",
    "width_sweep": lambda r: f"distance slope {r.fits['dist'].slope:.3f} {tuple(round(v, 3) for v in r.fits['dist'].ci)}",
    "width_sweep_scaled": lambda r: f"distance slope {r.fits['dist'].slope:.3f} (a = {r.a})",
}


def main(preset="book"):
    set_cache(None)
    for name, summary in SUMMARY.items():
        exp = getattr(mt, name)
        t = time.perf_counter()
        report = exp(preset)
        dt = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{exp.id:<32} {preset:<6} {len(report.table()):5d} runs {dt:8.2f} s  peak RSS {rss:6.0f} MiB  "
              f"{summary(report)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "book")
