r"""Marion & Chizat (2024) at the authors' scale: experiment A and their whole ``linear`` command, timed.

What it runs (the ``paper`` presets of :mod:`ibtheory.papers.marion2024`, the authors' settings of
``run_experiment.py linear``):

* experiment A, ``sharpness_vs_scale``: Gaussian init, L = 10, n = 50, d = 5, step sizes
  0.005/0.02/0.07/0.1/0.2 with 40k/10k/4k/4k/2k steps and 20/20/20/20/80 repetitions (20 seeds,
  4 initializations per seed for 0.2), 10 scales
  (13.2 M run-steps), then the converged sharpness of every run that did not diverge;
* the rest of ``linear``: the residual sweep (4 M run-steps), learning rate versus depth (L = 5..40,
  25 step sizes, 50 repetitions, 5 M run-steps) and the underdetermined sweep (n = 15, d = 20, L = 5,
  repetitions 100/20/20, 38.5 M run-steps): about 60 M run-steps in all;
* the previous kernels (``chain_gd``/``chain_sharpness`` of commit ``OLD_COMMIT``, loaded from git) on
  experiment A's inputs, for the old/new ratio measured in the same process, and the agreement of the
  two run for run (divergence verdicts, outcomes, sharpness).

It prints wall and CPU time, the peak resident memory, the ratio and the agreement. The authors' JAX
code takes about 1.5 h for experiment A and 8.8 h for ``linear`` (issue 17, 2-core machine).

Usage: ``python benchmarks/bench_marion2024.py [--quick] [--no-old] [--no-linear]``
(``--quick``: the ``book`` presets, for a smoke run of this script).
"""
import importlib.util
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import ibtheory.dynamics as dyn
from ibtheory import Status
from ibtheory.papers import marion2024 as mc

#: the commit whose chain kernels (stacked matmul per run, DeepLinear HVPs) are the baseline
OLD_COMMIT = "61a390d"
AUTHORS_SECONDS = {"A": 1.5 * 3600, "linear": 8.8 * 3600}


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def _old_kernels():
    """``chain_gd`` and ``chain_sharpness`` as they were at ``OLD_COMMIT`` (one step budget per call)."""
    root = Path(__file__).resolve().parents[1]
    src = subprocess.run(["git", "-C", str(root), "show", f"{OLD_COMMIT}:ibtheory/dynamics/_chain.py"],
                         check=True, capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader("ibtheory.dynamics._chain_old", loader=None)
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = "ibtheory.dynamics"
    exec(compile(src, f"{OLD_COMMIT}:_chain.py", "exec"), mod.__dict__)

    def chain_gd(layers, head, Sigma, c, lr, n_steps, *, y_sq=0.0, reference=None, train_head=True):
        steps = np.broadcast_to(np.asarray(n_steps), (len(layers),))
        lr = np.broadcast_to(np.asarray(lr, float), steps.shape)
        keys = ("layers", "head", "beta", "loss", "excess", "tail_loss", "step1", "step2", "param_norm",
                "grad_norm", "diverged", "diverged_at")
        out = {}
        for st in np.unique(steps):
            i = np.flatnonzero(steps == st)
            r = mod.chain_gd(layers[i], head[i] if np.ndim(head) == 2 else head, Sigma, c, lr[i], int(st),
                             y_sq=y_sq, reference=reference, train_head=train_head)
            for k in keys:
                v = np.asarray(r[k])
                if k == "head" and not train_head:
                    out[k] = v
                    continue
                out.setdefault(k, np.empty((len(layers),) + v.shape[1:], dtype=v.dtype))[i] = v
        status = np.array([Status.DIVERGED if x else Status.MAX_ITER for x in out["diverged"]], dtype=object)
        return dyn.ChainGDResult(**out, status=status, success=not out["diverged"].any())

    return chain_gd, mod.chain_sharpness


def _run_with(kernels, fn):
    """Call ``fn`` with ``ibtheory.dynamics.chain_gd``/``chain_sharpness`` replaced by ``kernels``."""
    saved = dyn.chain_gd, dyn.chain_sharpness
    dyn.chain_gd, dyn.chain_sharpness = kernels
    try:
        return fn()
    finally:
        dyn.chain_gd, dyn.chain_sharpness = saved


def _agreement(new, old):
    """Run-for-run agreement of two sweep reports on the same inputs."""
    a, b = new.table(), old.table()
    key = ["seed", "repeat", "lr", "scale"]
    m = a.merge(b, on=key, suffixes=("_new", "_old"))
    assert len(m) == len(a) == len(b)
    div = (m.outcome_new == "diverged") == (m.outcome_old == "diverged")
    same = m.outcome_new == m.outcome_old
    both = (m.outcome_new == "converged") & (m.outcome_old == "converged") & m.sharp_converged_new \
        & m.sharp_converged_old
    rel = (np.abs(m.sharpness_new - m.sharpness_old) / m.sharpness_old)[both]
    differ = m.loc[~same, ["lr", "scale", "outcome_old", "outcome_new"]]
    return (f"divergence verdicts equal in {int(div.sum())}/{len(m)} runs, outcomes equal in {int(same.sum())}/"
            f"{len(m)}" + (f" (differing: {differ.groupby(['outcome_old', 'outcome_new']).size().to_dict()})"
                           if len(differ) else "")
            + f"; sharpness of the {int(both.sum())} runs converged in both: relative difference median "
              f"{rel.median():.1e}, below 1e-6 in {int((rel < 1e-6).sum())}, max {rel.max():.1e} (runs whose "
              f"trajectories separate at the rounding level in an unstable phase reach different minimizers)")


def _same_parameters(old_sharpness, preset):
    """The two sharpness kernels on the same trained parameters (step size 0.02 of experiment A)."""
    from ibtheory.papers.marion2024.experiments import child_rng

    st = mc.sharpness_vs_scale.settings(preset)
    D = mc.make_data(n=50, d=5, seed=st["data_seed"])
    i = st["lrs"].index(0.02)
    runs = [(s, k) for s in st["seeds"] for k in range(len(st["scales"]))]
    Q, u = mc.gaussian_layers(5, st["depth"], np.array([st["scales"][k] for _, k in runs]),
                              [child_rng(s, 0, i, k) for s, k in runs])
    r = dyn.chain_gd(Q, u, D.Sigma, D.c, 0.02, st["steps"][i], y_sq=D.y_sq, reference=D.pi_star)
    live = ~r.diverged
    new = dyn.chain_sharpness(r.layers[live], r.head[live], D.X, D.y, iters=st["sharp_iters"]).sharpness
    old = old_sharpness(r.layers[live], r.head[live], D.X, D.y, iters=st["sharp_iters"]).sharpness
    return f"{int(live.sum())} runs, max relative difference {np.max(np.abs(new - old) / np.abs(old)):.1e}"


def _summary(rep):
    t = rep.table()
    return f"{len(t)} runs, outcomes {t.outcome.value_counts().to_dict()}"


def main(quick=False, old=True, linear=True):
    preset = "book" if quick else "paper"
    print(f"Marion & Chizat 2024, preset {preset!r}", flush=True)
    total_w = total_c = 0.0
    repA, w, c = _timed(lambda: mc.sharpness_vs_scale(preset))
    total_w, total_c = total_w + w, total_c + c
    print(f"experiment A (sharpness_vs_scale): wall {w:.1f} s, CPU {c:.1f} s; {_summary(repA)}; authors' code "
          f"~{AUTHORS_SECONDS['A'] / 3600:.1f} h ({AUTHORS_SECONDS['A'] / w:.0f}x)", flush=True)
    if linear:
        for exp in (mc.residual_sharpness_vs_scale, mc.lr_vs_depth, mc.underdetermined_sweep):
            rep, w, c = _timed(lambda: exp(preset))
            total_w, total_c = total_w + w, total_c + c
            print(f"{exp.id}: wall {w:.1f} s, CPU {c:.1f} s; {_summary(rep)}", flush=True)
        print(f"whole `linear` command: wall {total_w:.1f} s, CPU {total_c:.1f} s; authors' code "
              f"~{AUTHORS_SECONDS['linear'] / 3600:.1f} h ({AUTHORS_SECONDS['linear'] / total_w:.0f}x)")
    print(f"peak resident memory (new kernels): {_peak_mb():.0f} MB", flush=True)
    if old:
        repO, wo, co = _timed(lambda: _run_with(_old_kernels(), lambda: mc.sharpness_vs_scale(preset)))
        _, wn, cn = _timed(lambda: mc.sharpness_vs_scale(preset))   # new again, right after: same load
        print(f"experiment A with the kernels of {OLD_COMMIT}: wall {wo:.1f} s, CPU {co:.1f} s; new (rerun): wall "
              f"{wn:.1f} s, CPU {cn:.1f} s; old/new = {wo / wn:.1f}x wall, {co / cn:.1f}x CPU")
        print("agreement new vs old on the same inputs: " + _agreement(repA, repO))
        print("sharpness kernels (analytic HVPs vs the DeepLinear HVPs of the old kernel) on the same trained "
              "parameters: " + _same_parameters(_old_kernels()[1], preset))
        print(f"peak resident memory (with the old run): {_peak_mb():.0f} MB")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv, old="--no-old" not in sys.argv, linear="--no-linear" not in sys.argv)
