"""Running claims, timing them and reporting the results."""
from __future__ import annotations

import dataclasses
import fnmatch
import json
import math
import time
import traceback
import warnings
from typing import Callable

from ._registry import IMPORT_ERRORS, Check, Claim, all_claims


@dataclasses.dataclass
class ClaimResult:
    """One row of the ledger: the claim, what was measured and whether it passed.

    Examples
    --------
    >>> from ibtheory.ledger import Claim, run_claim
    >>> broken = Claim("yun2021.toy.broken", "A check that raises.", "none",
    ...                check=lambda: 1 / 0)
    >>> r = run_claim(broken)  # an exception is a failure that keeps its traceback
    >>> r.passed, r.error.strip().splitlines()[-1]
    (False, 'ZeroDivisionError: division by zero')
    >>> sorted(r.as_dict())[:4]
    ['details', 'error', 'id', 'kind']

    See the book chapter *Theorem ledger* (``book/ledger.md``).
    """

    id: str
    statement: str
    source: str
    measured: float
    tolerance: float
    passed: bool
    seconds: float
    details: str = ""
    routes: tuple[str, ...] = ()
    error: str | None = None
    kind: str = "agreement"
    seeds: tuple[int, ...] | None = None
    parts: tuple[dict, ...] = ()
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["routes"] = list(self.routes)
        d["seeds"] = None if self.seeds is None else list(self.seeds)
        d["parts"] = [dict(p) for p in self.parts]
        d["warnings"] = list(self.warnings)
        return d


def _finite_or_str(v):
    """JSON has no NaN/inf: non-finite floats are written as the strings "nan", "inf", "-inf"."""
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, dict):
        return {k: _finite_or_str(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite_or_str(x) for x in v]
    return v


def _float_back(v):
    if isinstance(v, str) and v in ("nan", "inf", "-inf"):
        return float(v)
    return float(v)


@dataclasses.dataclass
class LedgerReport:
    """The results of a ledger run.

    Examples
    --------
    >>> from ibtheory.ledger import ClaimResult, LedgerReport
    >>> rows = [ClaimResult("yun2021.toy.a", "s", "src", 1e-13, 1e-12, True, 0.25),
    ...         ClaimResult("yun2021.toy.b", "s", "src", 0.5, 1e-12, False, 0.5)]
    >>> rep = LedgerReport(rows)
    >>> rep.passed, rep.n_passed, [r.id for r in rep.failures()]
    (False, 1, ['yun2021.toy.b'])
    >>> print(rep.table().splitlines()[-1])
    1/2 claims pass; 0.8 s in all

    See the book chapter *Theorem ledger* (``book/ledger.md``).
    """

    results: list[ClaimResult]

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def n_passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.results)

    def failures(self) -> list[ClaimResult]:
        return [r for r in self.results if not r.passed]

    def filter(self, pattern: str) -> "LedgerReport":
        """The rows whose id matches ``pattern`` (glob or substring), e.g. one chapter's claims.

        Examples
        --------
        >>> from ibtheory.ledger import ClaimResult, LedgerReport
        >>> rep = LedgerReport([ClaimResult("yun2021.a.b", "s", "src", 0.0, 1.0, True, 0.1),
        ...                     ClaimResult("min2021.a.b", "s", "src", 0.0, 1.0, True, 0.1)])
        >>> [r.id for r in rep.filter("min2021.").results]
        ['min2021.a.b']
        """
        if not isinstance(pattern, str) or not pattern:
            raise ValueError(f"pattern must be a non-empty string, got {pattern!r}")
        if any(ch in pattern for ch in "*?["):
            rows = [r for r in self.results if fnmatch.fnmatchcase(r.id, pattern)]
        else:
            rows = [r for r in self.results if pattern in r.id]
        return LedgerReport(rows)

    def table(self) -> str:
        """A fixed-width text table: id, measured, tolerance, seconds, pass/fail."""
        w = max([len("id")] + [len(r.id) for r in self.results])
        lines = [f"{'id':<{w}}  {'measured':>10}  {'tolerance':>10}  {'seconds':>8}  result"]
        lines.append("-" * len(lines[0]))
        for r in self.results:
            lines.append(
                f"{r.id:<{w}}  {r.measured:>10.3e}  {r.tolerance:>10.3e}  {r.seconds:>8.2f}  "
                + ("pass" if r.passed else "FAIL")
            )
        lines.append(
            f"{self.n_passed}/{len(self.results)} claims pass; {self.seconds:.1f} s in all"
        )
        return "\n".join(lines)

    def to_json(self) -> str:
        """Valid JSON (non-finite numbers are written as the strings ``"nan"``/``"inf"``).

        Examples
        --------
        >>> import json
        >>> from ibtheory.ledger import ClaimResult, LedgerReport
        >>> rep = LedgerReport([ClaimResult("yun2021.a.b", "s", "src", float("nan"), 1.0, False, 0.1)])
        >>> json.loads(rep.to_json())["results"][0]["measured"]
        'nan'
        """
        return json.dumps(
            _finite_or_str({
                "passed": self.passed,
                "n_claims": len(self.results),
                "n_passed": self.n_passed,
                "seconds": self.seconds,
                "results": [r.as_dict() for r in self.results],
            }),
            indent=2, allow_nan=False,
        )

    def to_markdown(self) -> str:
        """A Markdown table for the book."""
        rows = [
            "| id | statement | source | kind | measured | tolerance | seeds | s | result |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        def cell(text: str) -> str:
            # a bare | would end the Markdown table cell
            return text.replace("|", "\\|")

        for r in self.results:
            rows.append(
                f"| `{r.id}` | {cell(r.statement)} | {cell(r.source)} | {r.kind} | {r.measured:.2e} | "
                f"{r.tolerance:.1e} | {'-' if r.seeds is None else len(r.seeds)} | {r.seconds:.2f} | "
                f"{'pass' if r.passed else '**FAIL**'} |"
            )
        return "\n".join(rows)


def select(pattern: str | None = None) -> list[Claim]:
    """Claims whose id matches ``pattern`` (a glob, or a prefix/substring).

    Examples
    --------
    >>> from ibtheory.ledger import select
    >>> [c.id for c in select("yun2021.lemma4.first_*")]  # a glob
    ['yun2021.lemma4.first_integral']
    >>> hits = select("lemma4")  # a substring
    >>> len(hits) > 1, all("lemma4" in c.id for c in hits)
    (True, True)

    See the book chapter *Theorem ledger* (``book/ledger.md``).
    """
    claims = all_claims()
    if pattern is None:
        return claims
    if not isinstance(pattern, str):
        raise ValueError(f"pattern must be a string or None, got {pattern!r}")
    if any(ch in pattern for ch in "*?["):
        return [c for c in claims if fnmatch.fnmatchcase(c.id, pattern)]
    return [c for c in claims if pattern in c.id]


def run_claim(c: Claim, seeds=None) -> ClaimResult:
    """Run one claim; an exception inside a check is a failure with its traceback.

    Examples
    --------
    >>> from ibtheory.ledger import Check, Claim, run_claim
    >>> c = Claim("yun2021.toy.exact", "2 + 2 = 4.", "arithmetic",
    ...           check=lambda: Check(measured=abs(2 + 2 - 4), tolerance=0.0))
    >>> r = run_claim(c)
    >>> r.passed, r.measured, r.error is None
    (True, 0.0, True)

    See the book chapter *Theorem ledger* (``book/ledger.md``).
    """
    used = None if c.seeds is None else tuple(c.seeds if seeds is None else seeds)
    t0 = time.perf_counter()
    # Warnings raised inside a check (e.g. NumPy overflow in an intermediate that the check
    # handles) are recorded on the row instead of going to stderr.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            chk = c.run(used) if used is not None else c.run()
            if not isinstance(chk, Check):
                raise TypeError(f"claim {c.id} returned {type(chk).__name__}, not a Check")
            seconds = time.perf_counter() - t0
            result = ClaimResult(
                id=c.id, statement=c.statement, source=c.source,
                measured=float(chk.measured), tolerance=float(chk.tolerance),
                passed=chk.passed, seconds=seconds, details=chk.details,
                routes=tuple(chk.routes), kind=chk.kind, seeds=used,
                parts=tuple({"name": p.name, "kind": p.kind, "measured": float(p.measured),
                             "tolerance": float(p.tolerance), "passed": p.passed}
                            for p in chk.parts),
            )
        except Exception:
            seconds = time.perf_counter() - t0
            result = ClaimResult(
                id=c.id, statement=c.statement, source=c.source,
                measured=float("nan"), tolerance=float("nan"), passed=False,
                seconds=seconds, error=traceback.format_exc(), seeds=used,
            )
    if caught:
        seen = dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught)
        result = dataclasses.replace(result, warnings=tuple(seen))
    return result


def run(pattern: str | None = None,
        progress: Callable[[int, int, ClaimResult], None] | None = None,
        jobs: int | None = 1) -> LedgerReport:
    """Run the claims matching ``pattern`` and return a :class:`LedgerReport`.

    Parameters
    ----------
    pattern : str, optional
        Glob (``yun2021.lemma4.*``) or substring of claim ids; all claims if None.
    progress : callable, optional
        Called as ``progress(i, n, result)`` after each claim.
    jobs : int or None, default 1
        Processes to run the claims on (``None``: every core). The verdicts are the same
        whatever ``jobs`` is (each check draws only from its own seeds); measured values
        agree up to the rounding of multithreaded BLAS (see ``ibtheory.ledger._parallel``).

    Examples
    --------
    >>> from ibtheory import ledger
    >>> report = ledger.run("yun2021.lemma4.first_integral")
    >>> report.passed
    True

    See the book chapter *Theorem ledger* (``book/ledger.md``).
    """
    chosen = select(pattern)
    results = [
        ClaimResult(id=f"import:{name}", statement="claim module imports", source=name,
                    measured=float("nan"), tolerance=float("nan"), passed=False,
                    seconds=0.0, error=tb)
        for name, tb in sorted(IMPORT_ERRORS.items())
    ]
    from ._parallel import check_jobs, map_claims

    jobs = check_jobs(jobs)
    count = [0]

    def done(_, r):
        count[0] += 1
        if progress is not None:
            progress(count[0], len(chosen), r)

    results += map_claims([(c, None) for c in chosen], jobs, done)
    return LedgerReport(results)


def _fingerprint() -> str:
    """Hash of the package sources and of the numeric stack: a cached report is reused
    only when neither has changed."""
    import hashlib
    import platform
    from pathlib import Path

    import numpy
    import scipy

    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    h.update(f"{platform.python_version()} {numpy.__version__} {scipy.__version__}".encode())
    return h.hexdigest()


def run_cached(path, pattern: str | None = None, jobs: int | None = None) -> LedgerReport:
    """Run the ledger once per state of the sources, sharing the report through ``path``.

    The book's landing page and its ledger page both show the ledger; the first page
    to execute runs it and writes ``path`` (JSON), the second reads it back if the
    package sources have not changed since.

    Parameters
    ----------
    path : str or pathlib.Path
        JSON file holding the last report and the fingerprint of the sources.
    pattern : str, optional
        As in :func:`run`.
    jobs : int or None, default None
        As in :func:`run`; by default every core (the cached rows do not depend on it).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from ibtheory import ledger
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "report.json"
    ...     first = ledger.run_cached(path, "yun2021.lemma4.first_integral")
    ...     second = ledger.run_cached(path, "yun2021.lemma4.first_integral")  # read back
    >>> first.passed, second.passed
    (True, True)
    >>> second.results[0].seconds == first.results[0].seconds  # the same row, not a re-run
    True

    See the book chapter *Theorem ledger* (``book/ledger.md``).
    """
    from pathlib import Path

    path = Path(path)
    fp = _fingerprint()
    if path.exists():
        try:
            data = json.loads(path.read_text())
            if (data.get("fingerprint") == fp and data.get("pattern") == pattern
                    and data.get("digest") == _digest(data["results"], fp)):
                return _report_from_rows(data["results"])
        except (ValueError, KeyError, TypeError):
            pass  # unreadable, stale or tampered cache: run again
    report = run(pattern, jobs=jobs)
    payload = json.loads(report.to_json())
    payload.update(fingerprint=fp, pattern=pattern, digest=_digest(payload["results"], fp))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))
    return report


def _digest(rows, fingerprint: str) -> str:
    """Integrity digest of a cached report: a hand-edited row no longer matches it."""
    import hashlib

    blob = json.dumps(rows, sort_keys=True) + fingerprint
    return hashlib.sha256(blob.encode()).hexdigest()


def _report_from_rows(rows) -> LedgerReport:
    out = []
    for r in rows:
        r = dict(r)
        r["routes"] = tuple(r.get("routes", ()))
        r["measured"] = _float_back(r["measured"])
        r["tolerance"] = _float_back(r["tolerance"])
        r["seeds"] = None if r.get("seeds") is None else tuple(r["seeds"])
        r["parts"] = tuple(r.get("parts", ()))
        r["warnings"] = tuple(r.get("warnings", ()))
        # a row's verdict is recomputed, never trusted from the file
        ok = (r.get("error") is None and math.isfinite(r["measured"]) and math.isfinite(r["tolerance"])
              and r["measured"] <= r["tolerance"]
              and not (r.get("kind", "agreement") == "agreement" and r["measured"] < 0)
              and all(p.get("passed", False) for p in r["parts"]))
        if bool(r.get("passed")) != ok:
            raise ValueError(f"cached row {r.get('id')} says passed={r.get('passed')} but its numbers say {ok}")
        out.append(ClaimResult(**r))
    return LedgerReport(out)
