"""Run ledger claims on several processes with the same rows as one process.

A claim's check draws only from its own seed set (the determinism contract of
:mod:`ibtheory.papers`), so running claims in separate processes changes the wall
time and nothing else of substance: the rows come back in the order the claims were
given, with the same verdicts, and measured values equal up to the rounding of
multithreaded BLAS (worker processes run BLAS on one thread each, so a reduction may
be summed in another order: differences of ~1e-15 relative were observed, e.g. on
``jin2023.linearized.output_only``; a measured value that is itself round-off, such as a
1e-10 residual, can differ by a few percent, e.g. 6.30e-10 vs 6.54e-10 on a part of
``yun2021.cor6.conv_regression``). For a given number of BLAS threads the values repeat.

Claims registered by the package's claim modules are sent to worker processes by
id (the workers import the same modules); a claim defined elsewhere (e.g. in a
notebook or a doctest) cannot be rebuilt in a worker and runs in the calling
process.

Claims of one module with one seed set usually read the same experiment report:
they travel together, as one unit, to one worker, which runs them inside
:func:`ibtheory.papers._experiment.shared_reports`, so the experiment runs once.
Claims of different units that read one experiment share it through the experiment
cache (the caller's, or a temporary one for the run), where the first worker to need
a report computes it and the others wait for its file. The claim that computed a
report carries the experiment's time in its ``seconds``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ._registry import Claim

_CLAIMS_PACKAGE = "ibtheory.ledger.claims."


def check_jobs(jobs) -> int:
    """``None`` -> every core; otherwise an integer >= 1 (``ValueError`` names ``jobs``)."""
    from .._validation import check_int

    if jobs is None:
        return os.cpu_count() or 1
    return check_int(jobs, "jobs", minimum=1)


def _portable(c: Claim) -> bool:
    return getattr(c.check, "__module__", "").startswith(_CLAIMS_PACKAGE)


def _run_in_worker(unit, cache_dir):
    """Run ``unit``, a list of (claim id, seeds), in order, sharing experiment reports."""
    # A worker imports the ledger afresh, which registers every claim module.
    from ..papers import set_cache
    from ..papers._experiment import shared_reports
    from ._registry import all_claims
    from ._runner import run_claim

    from ..papers._experiment import _CACHE_DIR

    before = _CACHE_DIR[0]       # a reused worker must not keep this run's (temporary) cache
    if cache_dir is not None:
        set_cache(cache_dir)
    try:
        by_id = {c.id: c for c in all_claims()}
        with shared_reports():
            return [run_claim(by_id[claim_id], seeds) for claim_id, seeds in unit]
    finally:
        set_cache(before)


def _seconds_file() -> Path:
    """Where the seconds of the last run of each claim are kept (only to order the work)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ibtheory" / "claim_seconds.json"


def _known_seconds() -> dict:
    try:
        data = json.loads(_seconds_file().read_text())
        return {k: float(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError, TypeError, RecursionError):
        return {}


def _record_seconds(results) -> None:
    """Remember each claim's seconds for the next run's order; never fails the run."""
    known = _known_seconds()
    known.update({r.id: round(float(r.seconds), 3) for r in results
                  if r is not None and r.error is None and r.seconds > 0})
    path = _seconds_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(known, sort_keys=True))
        os.replace(tmp, path)
    except OSError:
        pass


def _units(tasks, indices, seconds=None) -> list[list[int]]:
    """The task indices grouped by (claim module, seed set), the slowest units first.

    A unit's cost is the sum of its claims' seconds in ``seconds`` (a claim not in it
    counts as the median of those that are, or 1 s); with no timings the larger units
    come first. Longest first keeps a long unit from starting last while the other
    cores idle. The order changes the wall time only: every row is the same."""
    groups: dict = {}
    for i in indices:
        c, seeds = tasks[i]
        used = c.seeds if seeds is None else seeds
        key = (getattr(c.check, "__module__", ""), None if used is None else tuple(used))
        groups.setdefault(key, []).append(i)
    seconds = seconds or {}
    default = float(np.median(list(seconds.values()))) if seconds else 1.0

    def cost(g):
        return sum(seconds.get(tasks[i][0].id, default) for i in g)

    return sorted(groups.values(), key=lambda g: (-cost(g), g[0]))


def map_claims(tasks: Sequence[tuple[Claim, object]], jobs: int,
               done: Callable[[int, object], None] | None = None) -> list:
    """Run ``run_claim(claim, seeds)`` for each task; results in task order.

    Parameters
    ----------
    tasks : sequence of (Claim, seeds or None)
    jobs : int
        Number of processes; 1 runs everything here, in order.
    done : callable, optional
        ``done(i, result)`` for each task as its result arrives.

    Examples
    --------
    >>> from ibtheory.ledger import select
    >>> from ibtheory.ledger._parallel import map_claims
    >>> tasks = [(c, None) for c in select("yun2021.lemma4.first_*")]
    >>> [r.passed for r in map_claims(tasks, jobs=1)]
    [True]
    """
    from ..papers._experiment import _cache_dir, shared_reports
    from ._runner import run_claim

    tasks = list(tasks)
    results: list = [None] * len(tasks)
    remote = [i for i, (c, _) in enumerate(tasks) if jobs > 1 and _portable(c)]
    taken = set(remote)
    with shared_reports():
        for i in range(len(tasks)):
            if i not in taken:
                results[i] = run_claim(*tasks[i])
                if done is not None:
                    done(i, results[i])
    if remote:
        from joblib import Parallel, delayed

        import tempfile

        cache = _cache_dir()
        # Without a cache of the caller's, the workers share a temporary one for this run: an
        # experiment read by claims of several units is computed once (the others wait for it).
        scratch = tempfile.TemporaryDirectory(prefix="ibtheory-ledger-") if cache is None else None
        cache = scratch.name if scratch is not None else str(cache)
        units = _units(tasks, remote, _known_seconds())
        try:
            gen = Parallel(n_jobs=min(jobs, len(units)), backend="loky", batch_size=1,
                           return_as="generator")(
                delayed(_run_in_worker)([(tasks[i][0].id, tasks[i][1]) for i in unit], cache)
                for unit in units)
            for unit, rows in zip(units, gen):
                for i, r in zip(unit, rows):
                    results[i] = r
                    if done is not None:
                        done(i, r)
        finally:
            if scratch is not None:
                scratch.cleanup()
    _record_seconds(results)
    return results
