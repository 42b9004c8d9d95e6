"""Yun, Krishnan & Mobahi (2021) experiments at the ``paper`` presets, timed.

Runs every experiment of :mod:`ibtheory.papers.yun2021` (exponential-loss flows in
log-time up to t = e^(10^5) over 10-20 seeds; regression flows against the solvers)
and prints the time, the outcome counts and the peak memory.
Usage: ``python benchmarks/bench_yun2021.py [--quick]`` (``--quick``: the ``book`` presets).
"""
import resource
import sys
import time

from ibtheory.papers import yun2021 as yk


def main(quick=False):
    preset = "book" if quick else "paper"
    t_all = time.perf_counter()
    for exp in (yk.tensor_identities, yk.exponential_flows, yk.diagonal_directions, yk.conv_directions,
                yk.single_point, yk.diagonal_regression, yk.alpha_path, yk.conv_regression,
                yk.two_layer_point_regression):
        t = time.perf_counter()
        tab = exp(preset).table()
        print(f"{exp.id:40s} {len(tab):5d} runs in {time.perf_counter() - t:7.1f} s; outcomes "
              f"{tab.outcome.value_counts().to_dict()}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {time.perf_counter() - t_all:.1f} s; peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
