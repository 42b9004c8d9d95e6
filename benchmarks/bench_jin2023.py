"""Jin & Montufar at the paper's scale: both protocols, with wall time, CPU time and peak memory, and old vs new.

1. ``width_rate("paper")``: all parameters trained, widths 10 ... 10,240, 5 seeds, 4 initializations
   (the paper's three and binary-uniform), GD by the activation-pattern engine of
   ``asi_gradient_descent`` (plain GD, exact up to rounding), then the Gauss-Newton tail.
2. ``output_layer("paper")``: the authors' protocol (output layer only, 3 trials, same widths, raw labels),
   GD's iterate at its stopping step in closed form (``method="spectral"``), then the exact limit.
3. Old vs new in one run, on identical networks and labels: the engine of before (``method="dense"``, every
   neuron at every step) against the new one, on widths up to ``--old-max-width`` (default 640; 10240 runs the
   whole sweep the old way, ~15 min), and the largest parameter difference between the two.
4. ``general_width_rate`` (standard init, each network on its own labels, which depend on its f0): one
   ``asi_gradient_descent`` call per init with per-network ``labels`` (as the experiment runs) against the
   former loop of one call per network, same networks and labels (``--general-preset``, default ``book``);
   results must be bit-identical.

Peak memory is the process's peak resident set (``ru_maxrss``), read after parts 1-2 (before the old engine
runs). Final losses are printed beside the errors they must be far below.

    python benchmarks/bench_jin2023.py [--old-max-width 640] [--skip-old] [--skip-paper] [--general-preset book]
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


def general_batched_vs_loop(preset):
    from ibtheory.papers.jin2023.general import GENERAL_INITS, general_limit

    st = jm.general_width_rate.settings(preset)
    kw = dict(output_lr_scale=1.0, tol=1e-9, max_steps=st["max_steps"], polish=True, polish_steps=50,
              polish_points=np.linspace(-st["L_eval"], st["L_eval"], st["n_eval"])[:, None])
    tot, same, steps = {"loop": 0.0, "batched": 0.0}, True, 0
    for name in st["inits"]:
        dist, ws, bs = GENERAL_INITS[name]
        P = [relu_init(TwoLayerReLU(1, n), dist, ws, bs, asi=False, seed=s) for n in st["widths"] for s in st["seeds"]]
        labels = np.array([general_limit(p, jm.DATA_X, jm.DATA_Y, dist, ws, bs).labels for p in P])
        prob = Problem(jm.DATA_X[:, None], jm.DATA_Y, loss="mean")
        batched, wb, _ = timed(asi_gradient_descent, prob, P, labels=labels, **kw)
        w0 = time.perf_counter()
        loop = [asi_gradient_descent(Problem(jm.DATA_X[:, None], y, loss="mean"), [p], **kw) for p, y in zip(P, labels)]
        tot["loop"] += time.perf_counter() - w0
        tot["batched"] += wb
        steps = max(steps, int(batched.nit.max()))
        same &= all(r.nit[0] == batched.nit[k] and r.loss[0] == batched.loss[k] and all(
            np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(r.params[0], batched.params[k]))
            for k, r in enumerate(loop))
    print(f"\n== general_width_rate('{preset}') training: {len(st['inits'])} inits x {len(st['widths'])} widths x "
          f"{len(st['seeds'])} seeds, <= {steps} steps: one call per network wall {tot['loop']:.1f} s, one call per "
          f"init (labels=) wall {tot['batched']:.2f} s, ratio {tot['loop'] / tot['batched']:.1f}x; bit-identical: {same}",
          flush=True)
    assert same, "batched and per-network runs differ"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old-max-width", type=int, default=640)
    ap.add_argument("--skip-old", action="store_true")
    ap.add_argument("--skip-paper", action="store_true", help="skip parts 1-3")
    ap.add_argument("--general-preset", default="book")
    args = ap.parse_args()
    general_batched_vs_loop(args.general_preset)
    if args.skip_paper:
        return
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
