"""The test suite runs the whole theorem ledger (every claim of every paper)."""
import json
import subprocess
import sys

import pytest

from ibtheory import ledger
from ibtheory.ledger import Check, PAPER_KEYS


def test_claim_ids_and_sources():
    claims = ledger.all_claims()
    assert len(claims) >= 9
    for c in claims:
        assert c.paper in PAPER_KEYS
        assert c.statement and c.source


@pytest.mark.ledger
@pytest.mark.parametrize("claim", ledger.all_claims(), ids=lambda c: c.id)
def test_claim_passes(claim):
    r = ledger.run_claim(claim)
    assert r.error is None, r.error
    assert r.passed, f"{r.id}: measured {r.measured:.3e} > tolerance {r.tolerance:.3e}; {r.details}"


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
