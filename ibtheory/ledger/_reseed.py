"""Rerunning the stochastic claims on fresh seed sets (``ibtheory verify --reseed K``)."""
from __future__ import annotations

import dataclasses
import json
import math
from typing import Callable

from ._runner import _digest, _fingerprint, _finite_or_str, _float_back, select


@dataclasses.dataclass
class ReseedRow:
    """One stochastic claim rerun on fresh seed sets: pass count and worst measured value."""

    id: str
    kind: str
    n_sets: int
    n_passed: int
    worst_measured: float
    tolerance: float
    seconds: float
    failures: tuple[tuple[int, ...], ...] = ()
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.n_passed == self.n_sets


@dataclasses.dataclass
class ReseedReport:
    """The result of :func:`reseed`: one row per stochastic claim."""

    rows: list[ReseedRow]
    k: int
    base: int
    first: int = 1

    @property
    def passed(self) -> bool:
        return bool(self.rows) and all(r.passed for r in self.rows)

    def table(self) -> str:
        w = max([len("id")] + [len(r.id) for r in self.rows])
        head = f"{'id':<{w}}  {'passed':>7}  {'worst':>10}  {'tolerance':>10}  {'seconds':>8}"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(f"{r.id:<{w}}  {r.n_passed:>3}/{r.n_sets:<3}  {r.worst_measured:>10.3e}  "
                         f"{r.tolerance:>10.3e}  {r.seconds:>8.1f}")
        n_ok = sum(r.passed for r in self.rows)
        sets = "" if self.first == 1 else f", sets {self.first}..{self.first + self.k - 1}"
        lines.append(f"{n_ok}/{len(self.rows)} stochastic claims pass on all {self.k} fresh seed sets "
                     f"(seed base {self.base}{sets})")
        return "\n".join(lines)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{k: v for k, v in dataclasses.asdict(r).items() if k != "error"}
                             | {"passed": r.passed} for r in self.rows])

    def to_json(self) -> str:
        return json.dumps(_finite_or_str({
            "passed": self.passed, "k": self.k, "base": self.base, "first": self.first,
            "rows": [dataclasses.asdict(r) | {"passed": r.passed} for r in self.rows]}),
            indent=2, allow_nan=False)


def reseed(pattern: str | None = None, k: int = 5, base: int = 10_000,
           progress: Callable[[int, int, ReseedRow], None] | None = None,
           jobs: int | None = 1, first: int = 1) -> ReseedReport:
    """Rerun every stochastic claim matching ``pattern`` on ``k`` fresh, disjoint seed sets.

    Set ``j`` (``first``, ..., ``first + k - 1``) of a claim with ``m`` default seeds is
    ``base + (j-1)*m, ..., base + j*m - 1``: disjoint from each other and, for
    ``base`` above the defaults, from the default set (the test suite reruns every claim on
    set 1, the book on set 2: ``first=2``). Deterministic claims are
    skipped (they run once in :func:`run`). ``jobs`` processes share the k × claims
    runs (``None``: every core); the verdicts do not depend on it.

    Examples
    --------
    >>> from ibtheory.ledger import Check, claim, reseed
    >>> from ibtheory.ledger._registry import _REGISTRY
    >>> @claim("min2021.toy.seeded", "toy", "none", seeds=(0, 1))
    ... def seeded(seeds):
    ...     return Check.bound(max(seeds), 10**6)
    >>> rep = reseed("min2021.toy.seeded", k=3)
    >>> rep.rows[0].n_passed, rep.rows[0].worst_measured
    (3, 10005.0)
    >>> _ = _REGISTRY.pop("min2021.toy.seeded")
    """
    from .._validation import check_int

    k = check_int(k, "k", minimum=1)
    base = check_int(base, "base", minimum=0)
    first = check_int(first, "first", minimum=1)
    from ._parallel import check_jobs, map_claims

    jobs = check_jobs(jobs)
    chosen = [c for c in select(pattern) if c.stochastic]
    tasks = [(c, c.reseeded(j, base)) for c in chosen for j in range(first, first + k)]
    pending: dict[int, list] = {}
    rows: list = [None] * len(chosen)
    n_done = [0]

    def done(i, r):
        # a claim's row is made once its k sets are in
        ci = i // k
        pending.setdefault(ci, []).append((i, r))
        if len(pending[ci]) == k:
            results = [r for _, r in sorted(pending.pop(ci), key=lambda t: t[0])]
            rows[ci] = _row(chosen[ci], results, k)
            n_done[0] += 1
            if progress is not None:
                progress(n_done[0], len(chosen), rows[ci])

    map_claims(tasks, jobs, done)
    return ReseedReport(rows, k, base, first)


def _row(c, results, k: int) -> ReseedRow:
    worst = max(results, key=lambda r: (not math.isfinite(r.measured), r.measured))
    err = next((r.error for r in results if r.error), None)
    return ReseedRow(id=c.id, kind=results[0].kind, n_sets=k,
                     n_passed=sum(r.passed for r in results),
                     worst_measured=float(worst.measured), tolerance=float(worst.tolerance),
                     seconds=sum(r.seconds for r in results),
                     failures=tuple(r.seeds for r in results if not r.passed), error=err)


def reseed_cached(path, pattern: str | None = None, k: int = 2, base: int = 10_000,
                  jobs: int | None = None, first: int = 1) -> ReseedReport:
    """:func:`reseed`, shared through ``path`` per state of the sources (as :func:`run_cached`).

    ``jobs`` processes (default every core) share the runs; the rows do not depend on it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from ibtheory import ledger
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     rep = ledger.reseed_cached(pathlib.Path(tmp) / "r.json", "no-such-claim", k=1)
    >>> rep.rows
    []
    """
    from pathlib import Path

    path = Path(path)
    fp = _fingerprint()
    key = {"pattern": pattern, "k": k, "base": base, "first": first}
    if path.exists():
        try:
            data = json.loads(path.read_text())
            if (data.get("fingerprint") == fp and data.get("key") == key
                    and data.get("digest") == _digest(data["rows"], fp)):
                rows = []
                for r in data["rows"]:
                    r = dict(r)
                    r.pop("passed", None)
                    r["worst_measured"] = _float_back(r["worst_measured"])
                    r["tolerance"] = _float_back(r["tolerance"])
                    r["failures"] = tuple(tuple(f) for f in r.get("failures", ()))
                    rows.append(ReseedRow(**r))
                return ReseedReport(rows, k, base, first)
        except (ValueError, KeyError, TypeError):
            pass
    report = reseed(pattern, k=k, base=base, jobs=jobs, first=first)
    payload = json.loads(report.to_json())
    out = {"fingerprint": fp, "key": key, "rows": payload["rows"],
           "digest": _digest(payload["rows"], fp)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out))
    return report
