"""Wall time of the theorem ledger (issue 17 targets: ``ibtheory verify`` <= 60 s wall,
``ibtheory verify --reseed 5`` <= 5 min, on 2 cores); prints figures, asserts nothing.

Each command runs as a fresh process (as a user types it, imports included), timed for
wall and CPU (the children's user + system time) with the peak resident set size of
the largest process; then the slowest claims and the units (claims of one module and
seed set, which share their experiment reports in one worker) of a one-process run.

Run: ``python benchmarks/bench_ledger.py [--jobs N] [--reseed K] [--skip-verify]
[--top 15]``. Report load with the figures: ``uptime`` is printed before and after.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time


def _timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tail = (proc.stdout.strip().splitlines() or [""])[-1]
    return wall, cpu, after.ru_maxrss / 1024, proc.returncode, tail


def _load():
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--reseed", type=int, default=0, metavar="K", help="also time --reseed K (0: skip)")
    ap.add_argument("--skip-verify", action="store_true")
    ap.add_argument("--top", type=int, default=15, help="slowest claims of a one-process run (0: skip)")
    args = ap.parse_args(argv)
    exe = [sys.executable, "-m", "ibtheory", "verify", "--quiet", "--jobs", str(args.jobs)]
    print(f"{os.cpu_count()} cores; {_load()}")
    runs = [] if args.skip_verify else [("verify", exe)]
    if args.reseed:
        runs.append((f"verify --reseed {args.reseed}", exe + ["--reseed", str(args.reseed)]))
    for name, cmd in runs:
        wall, cpu, rss, rc, tail = _timed(cmd)
        print(f"{name:<22} wall {wall:7.1f} s  CPU {cpu:7.1f} s  peak RSS {rss:6.0f} MB  exit {rc}  | {tail}")
        print(f"  {_load()}")
    if args.top:
        from ibtheory import ledger
        from ibtheory.ledger import select
        from ibtheory.ledger._parallel import _units

        t0 = time.perf_counter()
        rep = ledger.run(jobs=1)
        print(f"one process: {time.perf_counter() - t0:.1f} s wall, {len(rep.results)} claims, "
              f"{rep.n_passed} pass")
        sec = {r.id: r.seconds for r in rep.results}
        for r in sorted(rep.results, key=lambda r: -r.seconds)[:args.top]:
            print(f"  {r.id:<55} {r.seconds:6.2f} s")
        tasks = [(c, None) for c in select(None)]
        units = _units(tasks, range(len(tasks)))
        cost = sorted(((sum(sec[tasks[i][0].id] for i in u), tasks[u[0]][0].check.__module__, len(u))
                       for u in units), reverse=True)
        print(f"{len(units)} units; the largest: " + ", ".join(
            f"{m.rsplit('.', 1)[-1]} ({n} claims) {s:.1f} s" for s, m, n in cost[:6]))


if __name__ == "__main__":
    main()
