"""The ``ibtheory`` command line: ``verify`` (and ``--reseed``), ``list``, ``python -m ibtheory``.

``reproduce`` is tested in ``tests/test_reproduce.py``. The toy claims below are
registered for this module only and removed afterwards.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ibtheory import __version__
from ibtheory.cli import main, parse_setting
from ibtheory.ledger import Check, claim
from ibtheory.ledger._registry import _REGISTRY

LIMIT = 10_003  # with base 10000 and 2 seeds per set, set j has max seed 10000 + 2j - 1


def _seeded(seeds):
    return Check.bound(max(seeds), LIMIT, "toy: largest seed of the set below a limit")


def _exact():
    return Check(measured=abs(2 + 2 - 4), tolerance=0.0, details="toy arithmetic")


@pytest.fixture(scope="module", autouse=True)
def _toy_claims():
    ids = ["min2021.toy_cli.seeded", "min2021.toy_cli.exact"]
    claim(ids[0], "Toy stochastic claim.", "none", seeds=(0, 1))(_seeded)
    claim(ids[1], "Toy deterministic claim.", "none")(_exact)
    yield
    for i in ids:
        _REGISTRY.pop(i, None)


@pytest.fixture
def _no_import_errors(monkeypatch):
    """The CLI is under test, not the claim modules: a claim module another change has
    broken would add an ``import:`` failure row to every ``verify`` run."""
    monkeypatch.setattr("ibtheory.ledger._runner.IMPORT_ERRORS", {})


@pytest.mark.usefixtures("_no_import_errors")
def test_verify_runs_a_claim(capsys):
    assert main(["verify", "min2021.toy_cli.exact", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "min2021.toy_cli.exact" in out and "1/1 claims pass" in out


@pytest.mark.usefixtures("_no_import_errors")
def test_verify_json(capsys):
    assert main(["verify", "min2021.toy_cli.*", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_claims"] == 2 and data["passed"]
    seeded = next(r for r in data["results"] if r["id"].endswith("seeded"))
    assert seeded["seeds"] == [0, 1] and seeded["measured"] == 1.0


def test_verify_unknown_pattern_exits_2(capsys):
    assert main(["verify", "min2021.no_such_claim"]) == 2
    assert "no claim matches" in capsys.readouterr().err


def test_list(capsys):
    assert main(["list", "min2021.toy_cli"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines) == ["min2021.toy_cli.exact: Toy deterministic claim. [none]",
                             "min2021.toy_cli.seeded: Toy stochastic claim. [none]"]


def test_reseed_passing_sets(capsys):
    # sets (10000, 10001) and (10002, 10003): largest seeds 10001 and 10003 <= LIMIT
    assert main(["verify", "min2021.toy_cli", "--reseed", "2", "--seed-base", "10000"]) == 0
    captured = capsys.readouterr()
    row = next(line for line in captured.out.splitlines() if "toy_cli.seeded" in line)
    assert "2/2" in row and "1.000e+04" in row  # worst measured value 10003
    assert "toy_cli.exact" not in captured.out  # deterministic claims are not reseeded
    assert "2/2 sets pass" in captured.err  # progress line per claim


def test_reseed_failing_set_exits_1(capsys):
    # a third set (10004, 10005) exceeds the limit
    assert main(["verify", "min2021.toy_cli.seeded", "--reseed", "3", "--seed-base", "10000",
                 "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "2/3" in out and "FAILED min2021.toy_cli.seeded" in out
    assert "failing seeds: (10004, 10005)" in out


def test_reseed_json(capsys):
    assert main(["verify", "min2021.toy_cli.seeded", "--reseed", "3", "--seed-base", "10000",
                 "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    (row,) = data["rows"]
    assert (data["k"], data["base"], row["n_passed"], row["worst_measured"]) == (3, 10000, 2, 10005.0)


@pytest.mark.parametrize("argv, message", [
    (["verify", "min2021.toy_cli.exact", "--reseed", "2"], "no stochastic claim matches"),
    (["verify", "min2021.toy_cli", "--reseed", "0"], "--reseed must be >= 1"),
    (["verify", "min2021.toy_cli", "--reseed", "2", "--seed-base", "-1"], "--seed-base >= 0"),
])
def test_reseed_bad_usage_exits_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_reseed_non_integer_k_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--reseed", "2.5"])
    assert exc.value.code == 2 and "invalid int value" in capsys.readouterr().err


@pytest.mark.parametrize("text, expected", [
    ("n_steps=200", ("n_steps", 200)), ("lr=1e-3", ("lr", 1e-3)),
    ("init=orthogonal", ("init", "orthogonal")), ("seeds=5", ("seeds", (5,))),
    ("seeds=0,1,2", ("seeds", (0, 1, 2))), ("seeds=3:6", ("seeds", (3, 4, 5))),
    ("widths=[10, 100]", ("widths", (10, 100))), ("flag=True", ("flag", True)),
])
def test_parse_setting(text, expected):
    assert parse_setting(text) == expected


@pytest.mark.parametrize("text", ["novalue", "=3", "a b=3", "seeds=x:y"])
def test_parse_setting_rejects(text):
    with pytest.raises(ValueError, match="--set"):
        parse_setting(text)


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "ibtheory", "--version"], capture_output=True,
                         text=True, check=False, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == f"ibtheory {__version__}"
    bad = subprocess.run([sys.executable, "-m", "ibtheory", "nonsense"], capture_output=True,
                         text=True, check=False, timeout=120)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
