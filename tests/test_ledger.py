"""The test suite runs the whole theorem ledger (every claim of every paper)."""
import dataclasses
import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from ibtheory import Report, ledger
from ibtheory.ledger import Check, PAPER_KEYS


def test_claim_ids_and_sources():
    claims = ledger.all_claims()
    assert len(claims) >= 9
    for c in claims:
        assert c.paper in PAPER_KEYS
        assert c.statement and c.source


_DEFAULT_RUNS: dict = {}

#: a tolerance more than this many times the measured value needs a written reason
LOOSENESS = 1e3
_REASON = re.compile(r"(?i)\b(because|reason|since|set by|worst)\b")


@pytest.mark.ledger
@pytest.mark.parametrize("claim", ledger.all_claims(), ids=lambda c: c.id)
def test_claim_passes(claim):
    r = ledger.run_claim(claim)
    _DEFAULT_RUNS[claim.id] = r
    assert r.error is None, r.error
    assert r.passed, f"{r.id}: measured {r.measured:.3e} > tolerance {r.tolerance:.3e}; {r.details}"
    if r.kind == "agreement" and r.tolerance > 0:
        # discrepancies are mostly relative: below ~1e-16 (float64 rounding) they are all "zero"
        loose = r.tolerance > LOOSENESS * max(r.measured, 1e-16)
        assert not loose or _REASON.search(r.details), (
            f"{r.id}: tolerance {r.tolerance:.1e} is more than {LOOSENESS:g} times the measured "
            f"{r.measured:.1e} and the details give no reason: {r.details!r}")


_STOCHASTIC = [c for c in ledger.all_claims() if c.stochastic]


@pytest.mark.ledger
@pytest.mark.parametrize("claim", _STOCHASTIC, ids=lambda c: c.id)
def test_stochastic_claim_uses_its_seeds(claim):
    """A claim about random instances must depend on its seeds: other seeds, other numbers."""
    default = _DEFAULT_RUNS.get(claim.id) or ledger.run_claim(claim)
    fresh = ledger.run_claim(claim, claim.reseeded(1))
    assert fresh.error is None, fresh.error
    assert fresh.seeds != default.seeds
    assert (fresh.measured, fresh.details) != (default.measured, default.details), (
        f"{claim.id} gives the same result for seeds {default.seeds} and {fresh.seeds}: "
        "it ignores its seed argument")
    assert fresh.passed, (f"{claim.id} fails on fresh seeds {fresh.seeds}: measured "
                          f"{fresh.measured:.3e} vs tolerance {fresh.tolerance:.3e}; {fresh.details}")


def test_no_claim_module_fails_to_import():
    from ibtheory.ledger._registry import IMPORT_ERRORS

    ledger.all_claims()
    assert not IMPORT_ERRORS, IMPORT_ERRORS


def test_check_semantics():
    assert Check(1e-13, 1e-12).passed
    assert not Check(2e-12, 1e-12).passed
    assert not Check(float("nan"), 1.0).passed
    assert not Check(float("inf"), 1.0).passed


def test_bad_claim_definitions():
    with pytest.raises(ValueError, match="must start with one of"):
        ledger.claim("nobody2020.x.y", "s", "src")
    with pytest.raises(ValueError, match="dotted lower-case"):
        ledger.claim("yun2021", "s", "src")


def test_cli_verify_json_and_exit_status():
    out = subprocess.run([sys.executable, "-m", "ibtheory", "verify",
                          "yun2021.lemma4.h_odd_increasing", "--json"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["n_claims"] == 1 and data["passed"]
    miss = subprocess.run([sys.executable, "-m", "ibtheory", "verify", "no-such-claim"],
                          capture_output=True, text=True, check=False)
    assert miss.returncode == 2


def test_run_cached_reuses_report(tmp_path, monkeypatch):
    path = tmp_path / "ledger.json"
    first = ledger.run_cached(path, "yun2021.lemma4.h_odd_increasing")
    assert path.exists() and first.passed

    def boom(*args, **kwargs):  # a second run must not happen while the sources are unchanged
        raise AssertionError("ledger re-ran although the cache was valid")

    monkeypatch.setattr("ibtheory.ledger._runner.run", boom)
    second = ledger.run_cached(path, "yun2021.lemma4.h_odd_increasing")
    assert [r.as_dict() for r in second.results] == [r.as_dict() for r in first.results]
    # a different selection is not served from the cache
    with pytest.raises(AssertionError, match="re-ran"):
        ledger.run_cached(path, "yun2021.lemma4.blowup_time")


def test_check_kinds():
    from ibtheory.stats import loglog_fit

    assert not Check(-1e-3, 1.0).passed  # a negative discrepancy is a sign error
    assert Check.bound(-1e-3, 0.0).passed
    fit = loglog_fit([10, 100, 1000, 10000], [1.0, 0.33, 0.1, 0.031])  # slope ~ -0.5
    assert Check.rate(fit, -0.5, side="upper").passed
    assert not Check.rate(fit, -1.0, side="upper").passed  # credibly slower than n^-1
    assert Check.rate(fit, fit.slope, side="two-sided").passed
    assert not Check.combine(a=Check(0.0, 1.0), b=Check(2.0, 1.0)).passed
    with pytest.raises(ValueError, match="kind"):
        Check(0.0, 1.0, kind="nonsense")


def test_json_is_valid_without_nan():
    rep = ledger.LedgerReport([ledger.ClaimResult("yun2021.a.b", "s", "src", float("nan"),
                                                  float("inf"), False, 0.1)])
    data = json.loads(rep.to_json())  # would raise on a bare NaN with strict parsers
    assert data["results"][0]["measured"] == "nan"
    assert "NaN" not in rep.to_json()


def test_tampered_cache_is_rejected(tmp_path):
    path = tmp_path / "ledger.json"
    first = ledger.run_cached(path, "yun2021.lemma4.h_odd_increasing")
    data = json.loads(path.read_text())
    data["results"][0]["measured"] = 123.0  # hand-edited: digest no longer matches
    path.write_text(json.dumps(data))
    again = ledger.run_cached(path, "yun2021.lemma4.h_odd_increasing")
    assert math.isfinite(again.results[0].measured) and again.results[0].measured != 123.0
    assert again.passed == first.passed


def test_reseed_sets_are_fresh_and_disjoint():
    c = next(iter(_STOCHASTIC), None)
    if c is None:
        pytest.skip("no stochastic claim registered")
    sets = [set(c.reseeded(j)) for j in range(1, 6)]
    assert all(len(s) == len(c.seeds) for s in sets)
    assert all(not (a & b) for i, a in enumerate(sets) for b in sets[i + 1:])
    assert all(not (s & set(c.seeds)) for s in sets)


def _rows(report):
    return [(r.id, r.measured, r.tolerance, r.passed, r.seeds) for r in report.results]


def test_parallel_run_gives_the_serial_rows(monkeypatch):
    # Processes change only the wall time: same verdicts; measured values up to BLAS rounding
    # (workers run BLAS on one thread; ~1e-15 relative differences were observed).
    from ibtheory.papers import set_cache

    monkeypatch.delenv("IBTHEORY_CACHE", raising=False)
    set_cache(None)
    serial = ledger.run("min2021.", jobs=1)
    parallel = ledger.run("min2021.", jobs=2)
    assert len(serial.results) >= 5
    for a, b in zip(_rows(parallel), _rows(serial), strict=True):
        assert (a[0], a[2], a[3], a[4]) == (b[0], b[2], b[3], b[4])
        assert a[1] == pytest.approx(b[1], rel=1e-12, abs=1e-300)
    rs1 = ledger.reseed("min2021.imbalance", k=2, jobs=1)
    rs2 = ledger.reseed("min2021.imbalance", k=2, jobs=2)
    key = [(r.id, r.n_passed, r.tolerance) for r in rs1.rows]
    assert rs1.rows and key == [(r.id, r.n_passed, r.tolerance) for r in rs2.rows]
    assert [r.worst_measured for r in rs2.rows] == pytest.approx([r.worst_measured for r in rs1.rows],
                                                                  rel=1e-12)


def test_parallel_run_keeps_local_claims_and_rejects_bad_jobs():
    from ibtheory.ledger._registry import _REGISTRY

    @ledger.claim("min2021.toy.local_only", "toy", "none")
    def local_only():
        return Check(measured=0.0, tolerance=1.0)

    try:  # defined here, not in a claim module: it runs in this process
        rep = ledger.run("min2021.toy.local_only", jobs=2)
        assert rep.passed and len(rep.results) == 1
    finally:
        _REGISTRY.pop("min2021.toy.local_only")
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises((ValueError, TypeError), match="jobs"):
            ledger.run("min2021.toy.none", jobs=bad)


@dataclasses.dataclass(frozen=True)
class _ToyReport(Report):
    seed: np.ndarray


def test_shared_reports_runs_an_experiment_once_and_returns_copies(monkeypatch):
    from ibtheory.papers import experiment, set_cache
    from ibtheory.papers._experiment import _MEMO_SIZE, _REGISTRY, shared_reports

    monkeypatch.delenv("IBTHEORY_CACHE", raising=False)
    set_cache(None)
    calls = []

    @experiment("min2021.toy_counted", presets={p: {"seeds": (0, 1)} for p in ("smoke", "book", "paper")})
    def toy(*, seeds):
        calls.append(tuple(seeds))
        return _ToyReport(seed=np.array(seeds))

    try:
        toy("book"), toy("book")
        assert len(calls) == 2                       # outside the block: no sharing
        with shared_reports():
            a, b = toy("book"), toy("book")
            with shared_reports():                   # nested: the outer block's reports
                c = toy("book")
            toy("book", seeds=(5,))
        assert len(calls) == 4 and a is not b and a is not c
        np.testing.assert_array_equal(a.seed, c.seed)
        a.seed[0] = 99                               # a caller's copy is its own
        with shared_reports():
            for s in range(_MEMO_SIZE + 1):          # bounded: the oldest report is dropped
                toy("book", seeds=(s,))
            toy("book", seeds=(0,))
        assert calls[4:] == [(s,) for s in range(_MEMO_SIZE + 1)] + [(0,)]
    finally:
        _REGISTRY.pop("min2021.toy_counted")


def test_parallel_units_group_claims_by_module_and_seed_set():
    from ibtheory.ledger._parallel import _units
    from ibtheory.ledger._registry import Claim

    def chk(module):
        f = lambda seeds=None: Check(measured=0.0, tolerance=1.0)  # noqa: E731
        f.__module__ = module
        return f

    mk = lambda i, mod, seeds: Claim(id=f"min2021.toy.c{i}", statement="s", source="s",  # noqa: E731
                                     check=chk(mod), seeds=seeds)
    tasks = [(mk(0, "m.a", (1, 2)), None), (mk(1, "m.b", None), None), (mk(2, "m.a", (1, 2)), None),
             (mk(3, "m.a", (1, 2)), (7, 8)), (mk(4, "m.b", None), None), (mk(5, "m.b", None), None)]
    # default seeds (None) group by module; a reseeded set is its own unit; largest first
    assert _units(tasks, range(6)) == [[1, 4, 5], [0, 2], [3]]
    assert _units(tasks, [3, 0]) == [[0], [3]]
    # with the last run's seconds, the slowest unit first; an unknown claim counts as the median
    secs = {"min2021.toy.c3": 30.0, "min2021.toy.c0": 2.0, "min2021.toy.c1": 1.0}
    assert _units(tasks, range(6), secs) == [[3], [1, 4, 5], [0, 2]]


def test_claim_seconds_file_is_kept_and_a_bad_one_ignored(tmp_path, monkeypatch):
    from ibtheory.ledger import _parallel

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _parallel._seconds_file().parent.mkdir(parents=True)
    _parallel._seconds_file().write_text("{not json")
    assert _parallel._known_seconds() == {}
    rep = ledger.run("yun2021.lemma4.first_integral", jobs=1)
    assert rep.passed
    assert set(_parallel._known_seconds()) == {"yun2021.lemma4.first_integral"}


def test_experiment_cache_waits_for_the_process_computing_a_report(tmp_path, monkeypatch):
    # Ledger workers share the experiment cache: a second caller of a report being computed
    # waits on its lock and reads the file instead of computing it again.
    import pickle
    import threading
    import time

    from ibtheory.papers import experiment, set_cache
    from ibtheory.papers._experiment import _REGISTRY, _exclusive

    calls = []

    @experiment("min2021.toy_locked", presets={p: {"seeds": (0,)} for p in ("smoke", "book", "paper")})
    def toy(*, seeds):
        calls.append(seeds)
        return _ToyReport(seed=np.array(seeds))

    set_cache(tmp_path)
    try:
        path = tmp_path / f"min2021.toy_locked-{toy.key(toy.settings('book'))}.pkl"
        held = threading.Event()

        def other_process():
            with _exclusive(path.with_suffix(".lock")):
                held.set()
                time.sleep(0.5)
                path.write_bytes(pickle.dumps({"experiment": "min2021.toy_locked",
                                               "report": _ToyReport(seed=np.array([42]))}))

        th = threading.Thread(target=other_process)
        th.start()
        held.wait()
        rep = toy("book")
        th.join()
        assert calls == [] and rep.seed.tolist() == [42]
    finally:
        set_cache(None)
        _REGISTRY.pop("min2021.toy_locked")


def test_experiment_cache_leaves_no_lock_and_rejects_what_is_not_a_report(tmp_path):
    import pickle

    from ibtheory.papers import experiment, set_cache
    from ibtheory.papers._experiment import _REGISTRY

    calls = []

    @experiment("min2021.toy_cached", presets={p: {"seeds": (0,)} for p in ("smoke", "book", "paper")})
    def toy(*, seeds):
        calls.append(seeds)
        return _ToyReport(seed=np.array(seeds))

    @experiment("min2021.toy_not_a_report", presets={p: {"seeds": (0,)} for p in ("smoke", "book", "paper")})
    def not_a_report(*, seeds):
        return {"seed": seeds}

    set_cache(tmp_path)
    try:
        toy("book")
        path = tmp_path / f"min2021.toy_cached-{toy.key(toy.settings('book'))}.pkl"
        assert path.exists() and not list(tmp_path.glob("*.lock"))      # the lock went with the write
        toy("book")
        assert len(calls) == 1
        # a file at the report's place that does not hold a report is recomputed, not returned
        path.write_bytes(pickle.dumps({"seed": [7]}))
        rep = toy("book")
        assert len(calls) == 2 and rep.seed.tolist() == [0]
        # nor is another experiment's report, nor a bare report without the experiment's id
        path.write_bytes(pickle.dumps({"experiment": "min2021.other", "report": _ToyReport(seed=np.array([7]))}))
        assert toy("book").seed.tolist() == [0] and len(calls) == 3
        path.write_bytes(pickle.dumps(_ToyReport(seed=np.array([7]))))
        assert toy("book").seed.tolist() == [0] and len(calls) == 4
        assert toy("book").seed.tolist() == [0] and len(calls) == 4       # its own file is read back
        with pytest.raises(TypeError, match="min2021.toy_not_a_report must return a Report"):
            not_a_report("book")
    finally:
        set_cache(None)
        _REGISTRY.pop("min2021.toy_cached")
        _REGISTRY.pop("min2021.toy_not_a_report")


def test_reseed_first_picks_later_sets_and_is_cached_by_it(tmp_path):
    # The book reruns set 2 (the tests run set 1): first=2, k=1 is set 2 exactly.
    c = ledger.select("min2021.imbalance.conserved")[0]
    rep = ledger.reseed("min2021.imbalance.conserved", k=1, first=2)
    assert rep.first == 2 and rep.rows[0].n_sets == 1 and "sets 2..2" in rep.table()
    both = ledger.reseed("min2021.imbalance.conserved", k=2)
    assert rep.rows[0].worst_measured <= both.rows[0].worst_measured
    path = tmp_path / "r.json"
    a = ledger.reseed_cached(path, "min2021.imbalance.conserved", k=1, first=2)
    b = ledger.reseed_cached(path, "min2021.imbalance.conserved", k=1, first=2)
    assert a.first == b.first == 2 and a.rows[0].worst_measured == b.rows[0].worst_measured
    assert c.reseeded(2) != c.reseeded(1)
    with pytest.raises((ValueError, TypeError), match="first"):
        ledger.reseed("min2021.imbalance.conserved", k=1, first=0)
