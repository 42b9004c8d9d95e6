"""Jin & Montufar at the paper's scale: both protocols, with wall time, CPU time and peak memory, and old vs new.

1. ``width_rate("paper")``: all parameters trained, widths 10 ... 10,240, 5 seeds, 4 initializations
   (the paper's three and binary-uniform), GD by the activation-pattern engine of
   ``asi_gradient_descent`` (plain GD, exact up to rounding), then the Gauss-Newton tail.
2. ``output_layer("paper")``: the authors' protocol (output layer only, 3 trials, same widths, raw labels),
   GD's iterate at its stopping step in closed form (``method="spectral"``), then the exact limit.
3. Old vs new in one run, on identical networks and labels: the engine of before (``method="dense"``, every
   neuron at every step) against the new one, on widths up to ``--old-max-width`` (default 640; 10240 runs the
   whole sweep the old way, ~15 min), and the largest parameter difference between the two.

Peak memory is the process's peak resident set (``ru_maxrss``), read after parts 1-2 (before the old engine
runs). Final losses are printed beside the errors they must be far below.

    python benchmarks/bench_jin2023.py [--old-max-width 640] [--skip-old]
"""
import argparse
import resource
import time

import numpy as np

from ibtheory.dynamics import Problem, asi_gradient_descent
from ibtheory.models import TwoLayerReLU, relu_init
from ibtheory.papers import jin2023 as jm
from ibtheory.papers.jin2023.experiments import LIMIT_INITS, output_layer  # output_layer: not yet re-exported


def timed(fn, *args, **kwargs):
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - w, time.process_time() - c


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def show(rep, title, w, c):
    print(f"\n== {title}: {rep.init.size} networks, wall {w:.1f} s, CPU {c:.1f} s, GD steps <= {rep.nit.max()}")
    fit = rep.width >= rep.fit_min_width
    conv = (rep.outcome == "success") & (rep.final_loss < 1e-16)
    print(f"   converged on the fit range (n >= {rep.fit_min_width}): {int(np.sum(fit & conv))} of {int(fit.sum())}; "
          f"largest final MSE there {rep.final_loss[fit].max():.1e}, smallest sup-error {rep.sup_error[fit].min():.1e}, "
          f"largest MSE at the GD stop {rep.gd_loss[fit].max():.1e}")
    print(rep.summary().to_string())
    t = rep.table()
    print(t.groupby(["init", "width"])[["sup_error", "rms_error", "final_loss", "gd_loss", "nit"]].median()
          .unstack(0).to_string(float_format=lambda v: f"{v:.2e}"))


def networks(widths, seeds, name):
    dist, ws, bs = LIMIT_INITS[name]
    g, u, v = jm.predicted_limit(jm.DATA_X, jm.DATA_Y, dist, ws, bs)
    prob = Problem(jm.DATA_X[:, None], jm.DATA_Y - u * jm.DATA_X - v, loss="mean")
    return prob, [relu_init(TwoLayerReLU(1, 2 * n), dist, ws, bs, seed=s) for n in widths for s in seeds]


def old_vs_new(widths, seeds, train, new_method):
    tot = {"old": [0.0, 0.0], "new": [0.0, 0.0]}
    diff, steps = 0.0, 0
    for name in LIMIT_INITS:
        prob, P = networks(widths, seeds, name)
        kw = dict(output_lr_scale=0.5, train=train, stop="loss_change", tol=1e-9, max_steps=1_000_000)
        old, wo, co = timed(asi_gradient_descent, prob, P, method="dense", **kw)
        new, wn, cn = timed(asi_gradient_descent, prob, P, method=new_method, **kw)
        tot["old"][0] += wo
        tot["old"][1] += co
        tot["new"][0] += wn
        tot["new"][1] += cn
        steps = max(steps, int(old.nit.max()))
        diff = max(diff, max(float(np.max(np.abs(np.asarray(p) - np.asarray(q)) / max(1.0, np.max(np.abs(q)))))
                             for a, b in zip(new.params, old.params) for p, q in zip(a, b)))
        assert np.array_equal(new.nit, old.nit) or train == "output", "stopping steps differ"
    (wo, co), (wn, cn) = tot["old"], tot["new"]
    print(f"   train={train}: widths {widths[0]}..{widths[-1]} x {len(seeds)} seeds x {len(LIMIT_INITS)} inits, "
          f"<= {steps} steps: old (dense) wall {wo:.1f} s / CPU {co:.1f} s, new ({new_method}) wall {wn:.2f} s / "
          f"CPU {cn:.2f} s; ratio old/new wall {wo / wn:.0f}x, CPU {co / cn:.0f}x; largest relative parameter "
          f"difference {diff:.1e}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old-max-width", type=int, default=640)
    ap.add_argument("--skip-old", action="store_true")
    args = ap.parse_args()
    rep, w1, c1 = timed(jm.width_rate, "paper")
    show(rep, "all parameters, width_rate('paper')", w1, c1)
    out, w2, c2 = timed(output_layer, "paper")
    show(out, "output layer only (the authors' protocol), output_layer('paper')", w2, c2)
    print(out.table().groupby(["init", "width"])["limit_error"].median().unstack(0).to_string(
        float_format=lambda v: f"{v:.2e}"))
    print(f"\npeak resident memory after both paper presets: {peak_mib():.0f} MiB", flush=True)
    print(f"totals: all-parameter sweep wall {w1:.1f} s (CPU {c1:.1f} s); authors' protocol wall {w2:.2f} s "
          f"(CPU {c2:.2f} s)")
    if args.skip_old:
        return
    widths = tuple(n for n in jm.width_rate.settings("paper")["widths"] if n <= args.old_max_width)
    print("\n== old vs new, same networks and labels (adjusted), training only")
    old_vs_new(widths, output_layer.seeds("paper"), "output", "spectral")
    old_vs_new(widths, jm.width_rate.seeds("paper"), "all", "pattern")


if __name__ == "__main__":
    main()
