"""Jin & Montufar width experiment at the paper's settings (the book runs the `book` preset).

Runs ``ibtheory.papers.jin2023.width_rate`` with its ``paper`` preset (widths 10 ... 10,240, 5 seeds,
the three initializations) or a cut-down width range, and prints per init the median sup- and
RMS-errors per width, the ensemble fits with 95% intervals on the fit range, the number of networks
that did not interpolate, wall time and peak traced memory. ``--raw`` trains on the unadjusted
data, as the authors did (the target is then g*, not g* - u x - v).

    python benchmarks/bench_jin2023.py [--max-width 10240] [--seeds 5] [--raw]
"""
import argparse
import time
import tracemalloc

import numpy as np

from ibtheory.papers import jin2023 as jm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-width", type=int, default=10240)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--raw", action="store_true", help="train on the unadjusted data (the authors' setting)")
    args = ap.parse_args()
    widths = tuple(n for n in jm.width_rate.settings("paper")["widths"] if n <= args.max_width)
    tracemalloc.start()
    t0 = time.perf_counter()
    rep = jm.width_rate("paper", seeds=tuple(range(args.seeds)), widths=widths, adjust=not args.raw)
    secs = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(f"{rep.init.size} networks, {secs:.1f} s, peak {peak:.0f} MiB, max steps {rep.nit.max()}")
    print(rep.summary().to_string())
    t = rep.table()
    print(t.groupby(["init", "width"])[["sup_error", "rms_error", "final_loss"]].median().to_string())


if __name__ == "__main__":
    main()
