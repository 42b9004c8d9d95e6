"""``reproduce_all(pattern)``: every experiment of a paper, or of every paper, in one call."""
from __future__ import annotations

import dataclasses
import fnmatch
import time
import traceback
from pathlib import Path

from ._run import ReproduceResult, _default_out, load_registry, reproduce


def select(pattern: str | None = None) -> list[str]:
    """Experiment ids matching ``pattern``: a glob (``"varre2023.*"``), a paper key
    (``"yun2021"``), an id, or None / ``"*"`` for all.

    Examples
    --------
    >>> from ibtheory.reproduce import select
    >>> ids = select("varre2023")
    >>> all(i.startswith("varre2023.") for i in ids)
    True
    """
    from ..papers import PAPERS

    if pattern is not None and not isinstance(pattern, str):
        raise TypeError(f"pattern must be a string or None, got {type(pattern).__name__}")
    papers = None
    if pattern in PAPERS:
        papers, pattern = [pattern], f"{pattern}.*"
    elif pattern and pattern.split(".", 1)[0] in PAPERS:
        papers = [pattern.split(".", 1)[0]]
    reg, _ = load_registry(papers)
    if pattern in (None, "*", "all"):
        return list(reg)
    if any(ch in pattern for ch in "*?["):
        return [k for k in reg if fnmatch.fnmatchcase(k, pattern)]
    return [k for k in reg if k == pattern]


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """The outcome of :func:`reproduce_all`: the finished runs and the failed ones.

    ``results`` maps experiment id to its :class:`ReproduceResult`; ``errors`` maps the
    id of each experiment that raised to its traceback (the others still ran).
    """

    results: dict
    errors: dict
    seconds: float

    @property
    def passed(self) -> bool:
        return not self.errors

    def summary(self):
        """One row per experiment: id, runs, cached, seconds, figure, output directory or error."""
        import pandas as pd

        rows = [{"id": k, "runs": len(r.table), "cached": r.cached,
                 "seconds": 0.0 if r.cached else r.manifest["wall_seconds"],
                 "figure": r.manifest["figure"]["drawn"], "out": str(r.out), "error": ""}
                for k, r in self.results.items()]
        rows += [{"id": k, "runs": 0, "cached": False, "seconds": float("nan"), "figure": False,
                  "out": "", "error": tb.strip().splitlines()[-1]} for k, tb in self.errors.items()]
        return pd.DataFrame(rows).sort_values("id", ignore_index=True)


def reproduce_all(pattern: str | None = None, preset: str = "paper", out=None,
                  backend: str = "local", workers: int | None = None, scheduler=None,
                  force: bool = False, progress: bool = True, shards: int | None = None,
                  **overrides) -> BatchResult:
    """Run every experiment matching ``pattern`` (see :func:`select`) one after the other.

    Each experiment writes to ``<out>/<id>/<preset>/`` (``out`` defaults to
    ``./ibtheory-results``) and is cached as in :func:`reproduce`. With
    ``backend="dask"`` and no ``scheduler``, one ``LocalCluster`` serves every
    experiment. An experiment that raises is recorded in ``errors`` and the
    others still run. ``overrides`` apply to every selected experiment, and each
    must accept them (checked before anything runs).

    Examples
    --------
    >>> from ibtheory.reproduce import reproduce_all
    >>> reproduce_all("nobody2020.*", "smoke")
    Traceback (most recent call last):
    ...
    ValueError: no experiment matches 'nobody2020.*'

    See the book chapter *Reproducing the papers* (``book/reproduce.md``).
    """
    ids = select(pattern)
    if not ids:
        raise ValueError(f"no experiment matches {pattern!r}")
    reg, _ = load_registry()
    for i in ids:
        reg[i].settings(preset, **overrides)  # bad preset or setting: raise before any work
    root = None if out is None else Path(out)
    owned = []
    if backend == "dask" and scheduler is None:
        import os

        from ._backends import _client

        scheduler, owned = _client(None, workers or os.cpu_count() or 1)
    results, errors = {}, {}
    t0 = time.perf_counter()
    try:
        for i in ids:
            target = _default_out(i, preset, overrides, root)
            try:
                results[i] = reproduce(i, preset, out=target, backend=backend, workers=workers,
                                       scheduler=scheduler, force=force, progress=progress,
                                       shards=shards, **overrides)
            except Exception:
                errors[i] = traceback.format_exc()
    finally:
        for obj in owned:
            obj.close()
    return BatchResult(results, errors, time.perf_counter() - t0)


__all__ = ["BatchResult", "ReproduceResult", "reproduce_all", "select"]
