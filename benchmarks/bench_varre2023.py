"""Timings of the Varre et al. (2023) experiments at their ``book`` and ``paper`` presets; asserts nothing.

Each registered experiment of :mod:`ibtheory.papers.varre2023` is run once per preset
(no cache), with its wall time, the process's peak resident set size, and one summary
number of its report.

Run: ``python benchmarks/bench_varre2023.py [book|paper]`` (default ``book``).
"""
from __future__ import annotations

import resource
import sys
import time

import numpy as np

from ibtheory.papers import set_cache
from ibtheory.papers import varre2023 as vr

SUMMARY = {
    "trajectories": lambda r: f"max beta error vs reduced flow {r.beta_error.max():.1e}",
    "limit": lambda r: f"worst three-route discrepancy {r.worst_discrepancy:.1e}",
    "reference_flow": lambda r: f"max error SciPy flow vs solver {np.nanmax(r.gram_error):.1e}",
    "neuron_directions": lambda r: f"max |share - prediction| {np.max(np.abs(r.share - r.share_predicted)):.1e}",
    "rank_vs_gamma": lambda r: f"max spectrum error {r.spectrum_error.max():.1e}",
    "label_noise": lambda r: f"final effective rank by sigma {[round(float(r.final_effective_rank[r.sigma == s].mean()), 3) for s in np.unique(r.sigma)]}",
    "relu_features": lambda r: f"mean top-2 share by scale {[round(float(r.top2[r.scale == s].mean()), 3) for s in np.unique(r.scale)]}",
}


def main(preset="book"):
    set_cache(None)
    for name, summary in SUMMARY.items():
        exp = getattr(vr, name)
        t = time.perf_counter()
        report = exp(preset)
        dt = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{exp.id:<32} {preset:<6} {len(report.table()):4d} runs {dt:8.2f} s  peak RSS {rss:6.0f} MiB  "
              f"{summary(report)}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
