"""Run ledger claims on several processes with the same rows as one process.

A claim's check draws only from its own seed set (the determinism contract of
:mod:`ibtheory.papers`), so running claims in separate processes changes the wall
time and nothing else of substance: the rows come back in the order the claims were
given, with the same verdicts, and measured values equal up to the rounding of
multithreaded BLAS (worker processes run BLAS on one thread each, so a reduction may
be summed in another order: differences of ~1e-15 relative were observed, e.g. on
``jin2023.linearized.output_only``).

Claims registered by the package's claim modules are sent to worker processes by
id (the workers import the same modules); a claim defined elsewhere (e.g. in a
notebook or a doctest) cannot be rebuilt in a worker and runs in the calling
process.
"""
from __future__ import annotations

import os
from typing import Callable, Sequence

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


def _run_in_worker(claim_id: str, seeds, cache_dir):
    # A worker imports the ledger afresh, which registers every claim module.
    from ..papers import set_cache
    from ._registry import all_claims
    from ._runner import run_claim

    if cache_dir is not None:
        set_cache(cache_dir)
    (c,) = [c for c in all_claims() if c.id == claim_id]
    return run_claim(c, seeds)


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
    from ..papers._experiment import _cache_dir
    from ._runner import run_claim

    tasks = list(tasks)
    results: list = [None] * len(tasks)
    remote = [i for i, (c, _) in enumerate(tasks) if jobs > 1 and _portable(c)]
    taken = set(remote)
    for i in range(len(tasks)):
        if i not in taken:
            results[i] = run_claim(*tasks[i])
            if done is not None:
                done(i, results[i])
    if remote:
        from joblib import Parallel, delayed

        cache = _cache_dir()
        cache = None if cache is None else str(cache)
        gen = Parallel(n_jobs=min(jobs, len(remote)), backend="loky", batch_size=1,
                       return_as="generator")(
            delayed(_run_in_worker)(tasks[i][0].id, tasks[i][1], cache) for i in remote)
        for i, r in zip(remote, gen):
            results[i] = r
            if done is not None:
                done(i, r)
    return results
