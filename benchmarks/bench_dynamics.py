"""Performance targets of the training-dynamics engine (issue 3); prints figures, asserts nothing.

1. Gradient flow on a two-layer linear problem (n=20, d=50, l=100, gamma=1e-2) to
   |beta(t) - beta_inf| <= 1e-8, against fixed-step GD whose step is the largest
   (of a grid) that reaches the same accuracy. Target: flow >= 20x faster.
2. Batched GD: 80 runs of a 10-layer 5x5 deep linear net (last layer 1x5), n=50,
   40,000 steps. Target: <= 60 s.
3. Two-layer ReLU of width 10,240 on 5 points, 100,000 full-batch GD steps. Target: <= 60 s.
4. Reparametrized flow (issue 16): a 10-layer 5x5 deep linear net (last layer 1x5) from a
   Gaussian initialization of scale 1e-4, mean loss on realizable data (n=20, d=5), to loss
   <= 1e-20. Target: <= 2 s. Also the depth/scale grid L in {2, 6, 10, 12}, scale in
   {1e-4, 1e-8}, and gradient_flow on the same problem for comparison.
5. gradient_flow_batch (issue S4) on the 45 flows of ``yun2021.alpha_path`` (Diagonal(6, L),
   L = 2, 3, 4, alpha in (0.1, 1, 10), 5 instances; DOP853 rtol 1e-13 to stationarity 1e-10):
   one batch per depth against the loop of gradient_flow; prints the ratio, the runs redone
   by gradient_flow (stiff), and the largest difference of the limits (0: bit-identical).

Peak memory: traced Python/NumPy allocations (tracemalloc) on a shortened run of the same
problem, plus the process's peak resident set size.

Run: ``python benchmarks/bench_dynamics.py [--quick]``.
"""
from __future__ import annotations

import argparse
import os

# Small matrices: one BLAS thread (threads oversubscribe a shared machine and cost 5x here).
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import resource  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

from ibtheory.dynamics import (gradient_descent, gradient_flow, gradient_flow_batch, reparam_flow,  # noqa: E402
                               sharpness)
from ibtheory.models import (DeepLinear, TwoLayerLinear, TwoLayerReLU, gaussian_init,  # noqa: E402
                             relu_init, varre_init)


def _peak_traced(fn):
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2 ** 20


def bench_flow_vs_gd(quick=False):
    rng = np.random.default_rng(0)
    n, d, l, gamma = 20, 50, 100, 1e-2
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    net = TwoLayerLinear(d=d, l=l)
    p0 = varre_init(net, gamma=gamma, seed=1)
    b_inf = np.linalg.pinv(X) @ y
    gradient_flow(net, p0, X, y, stat_tol=1e-10)   # warm-up (imports, caches)
    t0 = time.perf_counter()
    res = gradient_flow(net, p0, X, y, stat_tol=1e-10)
    t_flow = time.perf_counter() - t0
    err_flow = np.linalg.norm(net.beta(res.x) - b_inf)
    print(f"[1] gradient flow: {t_flow:.3f} s, {res.nit} steps, {res.nfev} gradients, "
          f"|beta - beta_inf| = {err_flow:.2e}, final loss {res.fun:.2e}, drift {res.drift:.1e}; {res.message}")
    mem = _peak_traced(lambda: gradient_flow(net, p0, X, y, stat_tol=1e-10))
    print(f"    peak traced memory of the flow: {mem:.1f} MiB")

    # GD: the stability limit is 2 / sharpness at the limit point; try fractions of it.
    lam, _ = sharpness(net, res.x, X, y, iters=2000, tol=1e-9)
    chunk, max_steps = 100, (200_000 if quick else 2_000_000)
    best = None
    for c in (1.9, 1.5, 1.0, 0.5, 0.25, 0.1):
        eta = c / lam
        t0 = time.perf_counter()
        p, steps, err, prev = p0, 0, np.inf, np.inf
        while steps < max_steps:
            g = gradient_descent(net, p, X, y, lr=eta, n_steps=chunk, record=())
            p, steps = g.x, steps + chunk
            if g.diverged:
                err = np.inf
                break
            err = np.linalg.norm(net.beta(p) - b_inf)
            if err <= 1e-8 or err >= 0.999 * prev:   # reached, or stalled at GD's own limit
                break
            prev = err
        t_gd = time.perf_counter() - t0
        print(f"    GD eta = {c:.2f}/sharpness = {eta:.3e}: {steps} steps, {t_gd:.2f} s, "
              f"|beta - beta_inf| = {err:.2e}")
        if err <= 1e-8:
            best = (eta, steps, t_gd)
            break
    if best is None:
        print("    no GD step of the grid reached 1e-8 within the step budget: flow speed-up is unbounded here")
    else:
        print(f"[1] GD reaching 1e-8: eta={best[0]:.3e}, {best[1]} steps, {best[2]:.3f} s; "
              f"flow speed-up {best[2] / t_flow:.2f}x (target >= 20x). GD from (I) keeps beta in "
              f"range(X^T) like the flow, so its limit is the same min-norm interpolator and the "
              f"largest stable step already reaches 1e-8.")


def bench_batched_gd(quick=False):
    rng = np.random.default_rng(1)
    n, d, L, B = 50, 5, 10, 80
    steps = 4000 if quick else 40_000
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    net = DeepLinear([d] * L + [1])
    p0 = gaussian_init(net, scale=1.0, seed=2, batch=B, fan_in=True)
    t0 = time.perf_counter()
    res = gradient_descent(net, p0, X, y, lr=np.linspace(0.01, 0.2, B), n_steps=steps, loss="mean",
                           record=("loss",), record_every=1000)
    t = time.perf_counter() - t0
    fin = res.fun[~res.diverged]
    print(f"[2] batched GD, {B} runs x {steps} steps of a {L}-layer 5x5 net: {t:.2f} s "
          f"(target <= 60 s); {int(res.diverged.sum())} runs diverged; final losses of the others "
          f"in [{fin.min():.3e}, {fin.max():.3e}]")
    mem = _peak_traced(lambda: gradient_descent(net, p0, X, y, lr=0.01, n_steps=200, loss="mean",
                                                record=("loss",), record_every=1000))
    print(f"    peak traced memory (200-step run): {mem:.2f} MiB")


def bench_relu(quick=False):
    rng = np.random.default_rng(2)
    m, n = 10_240, 5
    steps = 10_000 if quick else 100_000
    X = np.sort(rng.uniform(-1, 1, n))[:, None]
    y = rng.standard_normal(n)
    net = TwoLayerReLU(d=1, m=m)
    p0 = relu_init(net, dist="uniform", w_scale=1.0, b_scale=2.0, seed=3)
    t0 = time.perf_counter()
    res = gradient_descent(net, p0, X, y, lr=0.01, n_steps=steps, loss="mean", record=("loss",),
                           record_every=10_000)
    t = time.perf_counter() - t0
    print(f"[3] ReLU width {m}, {n} points, {steps} GD steps: {t:.2f} s (target <= 60 s); "
          f"loss {res.records['loss'][0]:.3e} -> {res.fun:.3e}")
    mem = _peak_traced(lambda: gradient_descent(net, p0, X, y, lr=0.01, n_steps=100, loss="mean",
                                                record=("loss",), record_every=1000))
    print(f"    peak traced memory (100-step run): {mem:.2f} MiB")


def bench_reparam(quick=False):
    rng = np.random.default_rng(3)
    n, d = 20, 5
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d)
    net = DeepLinear([d] * 10 + [1])
    p0 = gaussian_init(net, scale=1e-4, seed=4)
    reparam_flow(net, p0, X, y, loss="mean", loss_tol=1e-20)   # warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    r = reparam_flow(net, p0, X, y, loss="mean", loss_tol=1e-20)
    t, c = time.perf_counter() - t0, time.process_time() - c0
    print(f"[4] reparam_flow L=10, scale 1e-4, d=5: {t:.3f} s wall, {c:.3f} s CPU (target <= 2 s; the "
          f"machine is shared), {r.nit} steps, {r.nfev} "
          f"gradients, loss {r.fun:.2e}, physical time t = {r.t_final:.4e}, drift {r.drift:.1e}; {r.status}")
    t0 = time.perf_counter()
    g = gradient_flow(net, p0, X, y, loss="mean", loss_tol=1e-20, max_steps=20_000)
    print(f"    gradient_flow on the same problem: {time.perf_counter() - t0:.2f} s, {g.status}: "
          f"{g.message[:120]}")
    grid = ((2, 1e-4), (6, 1e-4), (10, 1e-8), (12, 1e-8)) if not quick else ((12, 1e-8),)
    for L, sc in grid:
        net = DeepLinear([d] * L + [1])
        p0 = gaussian_init(net, scale=sc, seed=4)
        t0 = time.perf_counter()
        r = reparam_flow(net, p0, X, y, loss="mean", loss_tol=1e-20)
        print(f"    L={L:>2}, scale {sc:.0e}: {time.perf_counter() - t0:.3f} s, {r.nit} steps, loss {r.fun:.2e}, "
              f"t = {r.t_final:.3e}, drift {r.drift:.1e}, {r.status}")


def bench_flow_batch(quick=False):
    from ibtheory.models import Diagonal, yun_init
    from ibtheory.papers.yun2021.data import regression_instance, rng_for

    seeds = range(2 if quick else 5)
    inst = [regression_instance(rng_for(s), 3, 6)[:2] for s in seeds]
    kw = dict(stat_tol=1e-10, rtol=1e-13)
    t_loop = t_batch = t_ratio5 = 0.0
    worst, worst5, redone, redone5, n_runs = 0.0, 0.0, 0, 0, 0
    for L in (2, 3, 4):
        net = Diagonal(6, L)
        runs = [(yun_init(net, a, np.ones(6)), X, y) for X, y in inst for a in (0.1, 1.0, 10.0)]
        n_runs += len(runs)
        t0 = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):
            loop = [gradient_flow(net, p, X, y, **kw) for p, X, y in runs]
        t_loop += time.perf_counter() - t0
        t0 = time.perf_counter()
        res = gradient_flow_batch(net, [p for p, _, _ in runs], np.array([X for _, X, _ in runs]),
                                  np.array([y for _, _, y in runs]), **kw)
        t_batch += time.perf_counter() - t0
        redone += len(res.scalar)
        worst = max(worst, max(float(np.max(np.abs(net.beta(a.x) - net.beta(b.x)))) for a, b in zip(res, loop)))
        t0 = time.perf_counter()     # keep the runs whose step is not pinned by stability in the batch
        r5 = gradient_flow_batch(net, [p for p, _, _ in runs], np.array([X for _, X, _ in runs]),
                                 np.array([y for _, _, y in runs]), stiff_ratio=5.0, **kw)
        t_ratio5 += time.perf_counter() - t0
        redone5 += len(r5.scalar)
        worst5 = max(worst5, max(float(np.max(np.abs(net.beta(a.x) - net.beta(b.x)))) for a, b in zip(r5, loop)))
    print(f"[5] alpha_path flows ({n_runs} runs): loop of gradient_flow {t_loop:.2f} s, gradient_flow_batch "
          f"{t_batch:.2f} s, ratio {t_loop / t_batch:.2f}x; {redone} stiff runs redone by gradient_flow; "
          f"max |beta_batch - beta_loop| = {worst:.1e}")
    print(f"    stiff_ratio=5: {t_ratio5:.2f} s, ratio {t_loop / t_ratio5:.2f}x, {redone5} runs redone, "
          f"max |beta_batch - beta_loop| = {worst5:.1e} (DOP853 instead of Radau for the others)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="a tenth of the steps (smoke test)")
    ap.add_argument("--only", choices=("flow", "batched", "relu", "reparam", "flow_batch"),
                    help="run one benchmark")
    args = ap.parse_args()
    benches = {"flow": bench_flow_vs_gd, "batched": bench_batched_gd, "relu": bench_relu, "reparam": bench_reparam,
               "flow_batch": bench_flow_batch}
    for name, fn in benches.items():
        if args.only in (None, name):
            fn(args.quick)
    print(f"peak resident set size of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
