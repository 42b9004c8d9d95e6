"""Performance of ``ibtheory reproduce`` (issue 17); prints figures, asserts only that the
tables of every backend agree run for run.

1. Fixed overhead: a cheap toy experiment (64 seeds, microseconds per run) on ``local``,
   ``processes`` and ``dask`` (a new LocalCluster of worker processes): what starting
   workers and shipping shards costs.
2. Speed-up: a CPU-bound toy (each run a few hundred ms of dense linear algebra,
   single-threaded BLAS) on every core, against the single batched ``local`` call.
3. A cached call: the same settings again (reads ``results.parquet`` back).
4. Optionally a registered paper experiment (``--experiment ID --preset book``) on each
   backend, with the tables compared.

Peak memory: the manifest's peak resident set size of this process and of the workers.

Run: ``python benchmarks/bench_reproduce.py [--quick] [--experiment ID] [--preset book]``.
The toy experiments live in ``__main__`` and reach the workers by value (cloudpickle).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one BLAS thread per worker: a fair speed-up
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ibtheory import Report  # noqa: E402
from ibtheory.papers import Experiment  # noqa: E402
from ibtheory.papers._experiment import _REGISTRY  # noqa: E402
from ibtheory.reproduce import reproduce  # noqa: E402


@dataclasses.dataclass(frozen=True)
class BenchReport(Report):
    seed: np.ndarray
    value: np.ndarray


def _cheap(*, seeds, n):
    v = [np.random.default_rng(np.random.SeedSequence(s)).standard_normal(n).sum() for s in seeds]
    return BenchReport(seed=np.array(seeds), value=np.array(v))


def _heavy(*, seeds, n, reps):
    out = []
    for s in seeds:
        rng = np.random.default_rng(np.random.SeedSequence(s))
        a = rng.standard_normal((n, n))
        acc = 0.0
        for _ in range(reps):
            acc += np.linalg.eigvalsh(a + a.T)[-1]
        out.append(acc / reps)
    return BenchReport(seed=np.array(seeds), value=np.array(out))


def _register(exp_id, fn, settings):
    exp = Experiment(exp_id, fn, {p: dict(settings) for p in ("smoke", "book", "paper")})
    _REGISTRY[exp_id] = exp
    return exp


def _run_all(exp_id, preset, workers, tmp, label, **overrides):
    tables, rows = {}, []
    for backend in ("local", "processes", "dask"):
        kw = {} if backend == "local" else {"workers": workers}
        t0 = time.perf_counter()
        res = reproduce(exp_id, preset, out=f"{tmp}/{label}-{backend}", backend=backend,
                        progress=False, force=True, **kw, **overrides)
        wall = time.perf_counter() - t0
        m = res.manifest
        tables[backend] = res.table
        rows.append((backend, wall, m["n_shards"], m["cpu_seconds"]["shards"],
                     m["peak_rss_mb"]["this_process"], m["peak_rss_mb"]["workers_max"]))
    for backend in ("processes", "dask"):
        pd.testing.assert_frame_equal(tables[backend], tables["local"])
    base = rows[0][1]
    for backend, wall, shards, cpu, rss, wrss in rows:
        print(f"    {backend:<9} {wall:7.2f} s  ({base / wall:4.2f}x local)  {shards:>3} shards  "
              f"shard CPU {cpu:6.2f} s  peak RSS {rss:.0f} MiB (workers {wrss or 0:.0f} MiB)")
    print(f"    tables identical on all three backends ({len(tables['local'])} runs)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--experiment", default=None)
    ap.add_argument("--preset", default="book")
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    args = ap.parse_args()
    w = args.workers
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        _register("min2021.bench_cheap", _cheap, {"seeds": tuple(range(64)), "n": 100})
        t0 = time.perf_counter()
        reproduce("min2021.bench_cheap", "smoke", out=f"{tmp}/warm", progress=False)
        print(f"[0] first call (imports, source fingerprint, git): {time.perf_counter() - t0:.2f} s")
        print(f"[1] overhead: cheap toy, 64 seeds, {w} workers")
        _run_all("min2021.bench_cheap", "book", w, tmp, "cheap")

        n_seeds = 8 if args.quick else 16
        _register("min2021.bench_heavy", _heavy,
                  {"seeds": tuple(range(n_seeds)), "n": 400, "reps": 10 if args.quick else 30})
        print(f"[2] speed-up: CPU-bound toy, {n_seeds} seeds, {w} workers")
        _run_all("min2021.bench_heavy", "book", w, tmp, "heavy")

        t0 = time.perf_counter()
        res = reproduce("min2021.bench_heavy", "book", out=f"{tmp}/heavy-local", progress=False)
        print(f"[3] cached call: {1e3 * (time.perf_counter() - t0):.1f} ms (cached={res.cached})")

        if args.experiment:
            print(f"[4] {args.experiment} [{args.preset}], {w} workers")
            _run_all(args.experiment, args.preset, w, tmp, "paper")


if __name__ == "__main__":
    main()
