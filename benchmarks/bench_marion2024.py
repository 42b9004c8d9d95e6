"""Reproduction of Marion & Chizat (2024)'s linear experiments at the authors' settings, timed.

Runs the ``paper`` presets of :mod:`ibtheory.papers.marion2024` (Gaussian sweep: 5 step sizes x 20 runs x 10
scales; residual sweep: 5 x 20 x 10; learning rate vs depth: 4 depths x 25 step sizes x 50 runs; plus the
edge-of-stability runs at |pi*| != 1 and on anisotropic data, the residual flatness and the small-init flows)
with the batched chain kernel :func:`ibtheory.dynamics.chain_gd`, and prints the time, the peak memory and the
outcome counts behind the book chapter's claims. The authors use 80 repetitions for the largest Gaussian step
size; pass ``--seeds80`` to run every Gaussian step size with 80 seeds instead of 20.
Usage: ``python benchmarks/bench_marion2024.py [--quick] [--seeds80]`` (``--quick``: the ``book`` presets).
"""
import resource
import sys
import time

import numpy as np

from ibtheory.papers import marion2024 as mc


def main(quick=False, seeds80=False):
    preset = "book" if quick else "paper"
    t_all = time.perf_counter()
    for exp in (mc.sharpness_vs_scale, mc.residual_sharpness_vs_scale, mc.lr_vs_depth, mc.edge_of_stability,
                mc.residual_flatness, mc.small_init_flow, mc.deep_small_init_flow, mc.underdetermined_sweep,
                mc.sharpness_vs_depth, mc.sharpness_landscape):
        kw = {"seeds": tuple(range(80))} if (seeds80 and exp is mc.sharpness_vs_scale and not quick) else {}
        t = time.perf_counter()
        rep = exp(preset, **kw)
        tab = rep.table()
        line = f"{exp.id:45s} {len(tab):6d} runs in {time.perf_counter() - t:7.1f} s"
        if "outcome" in tab and "lr" in tab:
            conv = tab.outcome == "converged"
            s_inf = tab.s_inf if "s_inf" in tab else (2 / tab.eta_c if "eta_c" in tab else rep.s_inf)
            above = tab.lr >= mc.STABILITY_MARGIN * 2 / s_inf
            line += (f"; outcomes {tab.outcome.value_counts().to_dict()}; converged above "
                     f"{mc.STABILITY_MARGIN} eta_c: {int((conv & above).sum())} of {int(above.sum())}")
            if "sharpness" in tab:
                ok = conv & np.isfinite(tab.sharpness)
                ratio = (tab.sharpness / s_inf)[ok]
                line += (f"; converged S/inf S in [{ratio.min():.3f}, {ratio.max():.3f}], max S lr/2 = "
                         f"{(tab.sharpness[ok] * tab.lr[ok] / 2).max():.4f}")
        print(line, flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {time.perf_counter() - t_all:.1f} s (authors' JAX script: about 3 h on a laptop CPU for all "
          f"experiments); peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv, seeds80="--seeds80" in sys.argv)
