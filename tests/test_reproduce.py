"""``ibtheory.reproduce``: the same table on every backend, caching, manifest, errors, CLI.

The toy experiments below are :class:`Experiment` objects defined at module level
and registered only while this module's tests run (a fixture removes them);
worker processes find them by importing this module.
"""
from __future__ import annotations

import dataclasses
import os
import json
import re

import numpy as np
import pandas as pd
import pytest

from ibtheory import Report, __version__
from ibtheory.cli import main
from ibtheory.papers import Experiment
from ibtheory.papers._experiment import _REGISTRY
from ibtheory.reproduce import (ReproduceResult, catalog, load_registry, reproduce, reproduce_all,
                                select, shard_seeds)
from ibtheory.reproduce._merge import seed_order
from ibtheory.reproduce._backends import require

TOY = "min2021.reproduce_toy"
SUMMARY = "min2021.reproduce_summary"
NOSEED = "min2021.reproduce_noseed"


@dataclasses.dataclass(frozen=True)
class ToyReport(Report):
    seed: np.ndarray
    width: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    curves: np.ndarray = dataclasses.field(metadata={"table": False})  # (runs, steps)
    widths: tuple = ()
    seeds: tuple = ()
    n_steps: int = 0


def _toy(*, seeds, widths, n_steps, lr):
    """A toy experiment: GD on a random quadratic per (width, seed), width-major rows."""
    rows = []
    for w in widths:  # width-major on purpose: the merge must still give seed order
        for s in seeds:
            rng = np.random.default_rng(np.random.SeedSequence(s))
            a = rng.uniform(0.5, 2.0, size=w)
            x = rng.standard_normal(w)
            curve = [0.5 * np.sum(a * (x * (1 - lr * a) ** t) ** 2) for t in range(n_steps)]
            rows.append((s, w, "success" if curve[-1] < 1e-3 else "max_iter", curve[-1], curve))
    return ToyReport(seed=np.array([r[0] for r in rows]), width=np.array([r[1] for r in rows]),
                     outcome=np.array([r[2] for r in rows]),
                     final_loss=np.array([r[3] for r in rows]),
                     curves=np.array([r[4] for r in rows]), widths=tuple(widths),
                     seeds=tuple(seeds), n_steps=n_steps)


def _toy_figure(report):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    ax.semilogy(report.curves.T)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    return fig


_PRESETS = {"smoke": {"seeds": (0, 1, 2), "widths": (2, 3), "n_steps": 20, "lr": 0.3},
            "book": {"seeds": tuple(range(5)), "widths": (2, 3), "n_steps": 40, "lr": 0.3},
            "paper": {"seeds": tuple(range(8)), "widths": (2, 3, 5), "n_steps": 60, "lr": 0.3}}
toy = Experiment(TOY, _toy, _PRESETS, _toy_figure)


@dataclasses.dataclass(frozen=True)
class SummaryReport(Report):
    seed: np.ndarray
    value: np.ndarray
    mean_value: float = 0.0  # a summary over the runs: shards cannot be merged into one report


def _summary(*, seeds, n):
    v = np.array([np.random.default_rng(np.random.SeedSequence(s)).standard_normal(n).sum()
                  for s in seeds])
    return SummaryReport(seed=np.array(seeds), value=v, mean_value=float(v.mean()))


summary = Experiment(SUMMARY, _summary, {p: {"seeds": (0, 1, 2, 3), "n": 3} for p in _PRESETS},
                     lambda r: _toy_figure(ToyReport(r.seed, r.seed, r.seed, r.value,
                                                     r.value[:, None])))


@dataclasses.dataclass(frozen=True)
class NoSeedReport(Report):
    value: np.ndarray


def _noseed(*, seeds):
    return NoSeedReport(value=np.array([float(s) for s in seeds]))


noseed = Experiment(NOSEED, _noseed, {p: {"seeds": (0, 1)} for p in _PRESETS})


RAISES = "min2021.reproduce_raises"


def _raises(*, seeds):
    raise RuntimeError("toy failure")


raises = Experiment(RAISES, _raises, {p: {"seeds": (0,)} for p in _PRESETS})
OURS = (toy, summary, noseed, raises)


@pytest.fixture(scope="module", autouse=True)
def _registered():
    for exp in OURS:
        _REGISTRY[exp.id] = exp
    yield
    for exp in OURS:
        _REGISTRY.pop(exp.id, None)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    return reproduce(TOY, "smoke", out=tmp_path_factory.mktemp("local"), progress=False)


def test_shard_seeds_partition_in_order():
    seeds = tuple(range(10, 21))
    for n in (1, 2, 3, 4, 11, 50):
        parts = shard_seeds(seeds, n)
        assert sum(parts, ()) == seeds and all(parts)
        assert len(parts) == min(n, len(seeds))
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert shard_seeds(None, 4) == [None]
    with pytest.raises(ValueError, match="n_shards"):
        shard_seeds(seeds, 0)
    with pytest.raises(ValueError, match="at least one seed"):
        shard_seeds((), 2)


def test_local_table_is_tidy_and_in_seed_order(local_run):
    t = local_run.table
    assert isinstance(local_run, ReproduceResult) and not local_run.cached
    assert len(t) == 3 * 2 and list(t["seed"]) == [0, 0, 1, 1, 2, 2]  # toy returns width-major
    assert {"n_steps", "lr", "seed", "width", "outcome", "final_loss"} <= set(t.columns)
    # run i depends on seeds[i] only: each row equals a one-seed call of the raw function
    for s in (0, 2):
        alone = _toy(seeds=(s,), widths=(2, 3), n_steps=20, lr=0.3)
        np.testing.assert_array_equal(t.loc[t.seed == s, "final_loss"].to_numpy(), alone.final_loss)


@pytest.mark.parametrize("backend", ["local", "processes", "dask"])
def test_backends_give_identical_tables(backend, local_run, tmp_path):
    # local: three shards one after the other; processes: 2 loky workers;
    # dask: a real LocalCluster of 2 worker *processes* started by reproduce itself
    workers = 1 if backend == "local" else 2
    res = reproduce(TOY, "smoke", out=tmp_path, backend=backend, workers=workers,
                    shards=2, progress=False)
    m = res.manifest
    assert m["backend"] == backend and m["workers"] == workers and m["n_shards"] == 2
    assert m["shard_seeds"] == [[0, 1], [2]]
    pd.testing.assert_frame_equal(res.table, local_run.table)
    # the figure comes from the report merged over the shards, its runs in the batch's
    # (width-major) order, as the single batched call gives them
    assert m["figure"]["drawn"] and "merged" in m["figure"]["note"]
    for name in ("seed", "width", "final_loss", "curves"):
        np.testing.assert_array_equal(getattr(res.report, name), getattr(local_run.report, name))


def test_one_seed_shards_cannot_show_the_layout(local_run, tmp_path):
    res = reproduce(TOY, "smoke", out=tmp_path, shards=3, progress=False)
    pd.testing.assert_frame_equal(res.table, local_run.table)
    assert not res.manifest["figure"]["drawn"] and "layout" in res.manifest["figure"]["note"]


def test_dask_on_an_existing_client(local_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        res = reproduce(TOY, "smoke", out=tmp_path, backend="dask", scheduler=c, shards=2,
                        progress=False)
        assert not c.status == "closed"  # a client given by the caller is left open
    assert res.manifest["n_shards"] == 2 and res.manifest["shard_seeds"] == [[0, 1], [2]]
    pd.testing.assert_frame_equal(res.table, local_run.table)


def test_cache_then_force(tmp_path):
    first = reproduce(TOY, "smoke", out=tmp_path, progress=False)
    again = reproduce(TOY, "smoke", out=tmp_path, backend="processes", workers=2, progress=False)
    assert not first.cached and again.cached
    assert again.manifest["started"] == first.manifest["started"]  # nothing was rerun
    pd.testing.assert_frame_equal(again.table, first.table)  # read back from disk, same dtypes
    forced = reproduce(TOY, "smoke", out=tmp_path, force=True, progress=False)
    assert not forced.cached and forced.manifest["key"] == first.manifest["key"]
    changed = reproduce(TOY, "smoke", out=tmp_path, n_steps=21, progress=False)
    assert not changed.cached and changed.manifest["key"] != first.manifest["key"]


def test_without_pyarrow_csv_only_and_cached_from_csv(tmp_path, monkeypatch):
    monkeypatch.setattr("ibtheory.reproduce._manifest.has_pyarrow", lambda: False)
    first = reproduce(TOY, "smoke", out=tmp_path, progress=False)
    assert "parquet" not in first.files and not (tmp_path / "results.parquet").exists()
    assert any("pyarrow" in note for note in first.manifest["table_notes"])
    again = reproduce(TOY, "smoke", out=tmp_path, progress=False)
    assert again.cached
    pd.testing.assert_frame_equal(again.table, first.table)


def test_outputs_and_manifest(local_run):
    out, m = local_run.out, local_run.manifest
    for name in ("results.csv", "figure.png", "figure.svg", "manifest.json"):
        assert (out / name).stat().st_size > 0
    assert json.loads((out / "manifest.json").read_text()) == m
    pd.testing.assert_frame_equal(pd.read_csv(out / "results.csv"), local_run.table,
                                  check_dtype=False)
    for key in ("ibtheory_version", "git", "settings", "seeds", "backend", "workers",
                "wall_seconds", "cpu_seconds", "peak_rss_mb", "platform", "key",
                "source_fingerprint", "n_runs", "figure", "files"):
        assert key in m, key
    assert m["ibtheory_version"] == __version__
    assert m["git"]["commit"] is None or re.fullmatch(r"[0-9a-f]{40}", m["git"]["commit"])
    assert m["settings"] == {"seeds": [0, 1, 2], "widths": [2, 3], "n_steps": 20, "lr": 0.3}
    assert m["seeds"] == [0, 1, 2] and m["n_runs"] == 6 and m["backend"] == "local"
    assert m["wall_seconds"] > 0 and m["peak_rss_mb"]["this_process"] > 10
    assert m["platform"]["python"].count(".") == 2
    assert [p.suffix for p in local_run.figure_paths] == [".png", ".svg"]


def test_default_out_dir_and_overrides(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = reproduce(TOY, "smoke", progress=False)
    assert a.out == tmp_path / "ibtheory-results" / TOY / "smoke"
    b = reproduce(TOY, "smoke", seeds=(7, 8), progress=False)
    assert b.out.parent == a.out.parent and re.fullmatch(r"smoke-[0-9a-f]{8}", b.out.name)
    assert list(b.table["seed"].unique()) == [7, 8] and b.manifest["overrides"]["seeds"] == [7, 8]


def test_unmergeable_report_skips_the_figure_but_keeps_the_table(tmp_path):
    loc = reproduce(SUMMARY, "smoke", out=tmp_path / "l", shards=1, progress=False)
    par = reproduce(SUMMARY, "smoke", out=tmp_path / "p", backend="processes", workers=2,
                    shards=2, progress=False)
    pd.testing.assert_frame_equal(par.table, loc.table)
    assert loc.manifest["figure"]["drawn"]
    assert not par.manifest["figure"]["drawn"] and "mean_value" in par.manifest["figure"]["note"]
    assert par.figure_paths == () and par.report is None


def test_table_without_seed_column(tmp_path):
    loc = reproduce(NOSEED, "smoke", out=tmp_path / "l", progress=False)
    assert loc.manifest["table_notes"] and "no 'seed' column" in loc.manifest["table_notes"][0]
    with pytest.raises(ValueError, match="no 'seed' column"):
        reproduce(NOSEED, "smoke", out=tmp_path / "p", backend="processes", workers=2,
                  shards=2, progress=False)


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match="unknown experiment id 'min2021.nothing'"):
        reproduce("min2021.nothing", "smoke", out=tmp_path)
    with pytest.raises(ValueError, match="preset must be one of"):
        reproduce(TOY, "huge", out=tmp_path)
    with pytest.raises(ValueError, match="backend must be one of"):
        reproduce(TOY, "smoke", out=tmp_path, backend="gpu")
    with pytest.raises(TypeError, match="no setting 'bogus'"):
        reproduce(TOY, "smoke", out=tmp_path, bogus=1)
    with pytest.raises(ValueError, match="workers"):
        reproduce(TOY, "smoke", out=tmp_path, backend="processes", workers=0)
    with pytest.raises(ValueError, match="scheduler"):
        reproduce(TOY, "smoke", out=tmp_path, scheduler="tcp://localhost:1")
    with pytest.raises(ImportError, match=r"ibtheory\[cluster\]"):
        require("ibtheory_no_such_module", "dask backend")


def test_catalog_lists_the_toy():
    row = next(r for r in catalog() if r["id"] == TOY)
    assert row["presets"] == {"smoke": 3, "book": 5, "paper": 8} and row["figure"]
    assert row["doc"].startswith("A toy experiment")


def test_preset_differences_of_the_toy():
    from ibtheory.reproduce import preset_differences

    rows = {r["setting"]: r for r in preset_differences("book", "paper") if r["id"] == TOY}
    # the toy's presets (above) differ in widths and n_steps; lr is the same
    assert set(rows) == {"widths", "n_steps"}
    assert rows["widths"]["book"] == "(2, 3)" and rows["widths"]["paper"] == "(2, 3, 5)"
    assert rows["n_steps"]["book"] == "40" and rows["n_steps"]["paper"] == "60"
    assert rows["widths"]["seeds_book"] == 5 and rows["widths"]["seeds_paper"] == 8
    same = [r for r in preset_differences("smoke", "smoke") if r["id"] == TOY]
    assert [r["setting"] for r in same] == ["(none)"]
    with pytest.raises(ValueError, match="b must be one of"):
        preset_differences("book", "huge")


def test_cli_reproduce(tmp_path, capsys):
    assert main(["reproduce", "--list"]) == 0
    assert TOY in capsys.readouterr().out
    out = tmp_path / "cli"
    argv = ["reproduce", TOY, "--preset", "smoke", "--out", str(out), "--quiet",
            "--set", "seeds=4:6", "--set", "n_steps=10"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "4 runs" in text and "results.csv" in text
    m = json.loads((out / "manifest.json").read_text())
    assert m["seeds"] == [4, 5] and m["settings"]["n_steps"] == 10
    assert main(argv) == 0 and "cached" in capsys.readouterr().out
    assert main(argv + ["--force"]) == 0 and "cached" not in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["reproduce", "min2021.nothing", "--preset", "smoke"], "unknown experiment id"),
    (["reproduce", TOY, "--set", "bogus=1"], "no setting 'bogus'"),
    (["reproduce", TOY, "--set", "novalue"], "key=value"),
    (["reproduce", TOY, "--workers", "2"], "--backend processes or dask"),
    (["reproduce"], "needs an experiment id"),
])
def test_cli_reproduce_bad_usage_exits_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["reproduce", TOY, "--preset", "huge"],
                                  ["reproduce", TOY, "--backend", "gpu"]])
def test_cli_reproduce_bad_choice_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_many_experiments_in_one_call(tmp_path, capsys):
    assert select("min2021.reproduce_*") == sorted(e.id for e in OURS)
    assert set(select("min2021")) >= {e.id for e in OURS} and select(TOY) == [TOY]
    batch = reproduce_all("min2021.reproduce_*", "smoke", out=tmp_path, progress=False)
    assert set(batch.results) == {TOY, SUMMARY, NOSEED} and list(batch.errors) == [RAISES]
    assert "RuntimeError: toy failure" in batch.errors[RAISES] and not batch.passed
    assert batch.results[TOY].out == tmp_path / TOY / "smoke"
    summ = batch.summary()
    assert list(summ["id"]) == sorted(e.id for e in OURS)
    assert summ.set_index("id").loc[RAISES, "error"] == "RuntimeError: toy failure"
    with pytest.raises(ValueError, match="no experiment matches"):
        reproduce_all("min2021.nothing_*", "smoke")
    with pytest.raises(TypeError, match="no setting 'n'"):  # checked before anything runs
        reproduce_all("min2021.reproduce_*", "smoke", out=tmp_path, n=3)
    # the CLI: a glob runs them all and exits 1 because one raised; the others are cached now
    assert main(["reproduce", "min2021.reproduce_*", "--preset", "smoke", "--out", str(tmp_path),
                 "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "3/4 experiments done" in captured.out and "FAILED min2021.reproduce_raises" in captured.err
    assert main(["reproduce", "min2021.reproduce_[st]*", "--preset", "smoke", "--out",
                 str(tmp_path), "--quiet"]) == 0


def _real_experiment():
    reg, errors = load_registry()
    ours = {e.id for e in OURS}
    real = [e for k, e in reg.items() if k not in ours and e.paper not in errors
            and e.settings("smoke")["seeds"] is not None]
    return real[0] if real else None


def test_a_real_paper_experiment_local_vs_dask(tmp_path):
    exp = _real_experiment()
    if exp is None:
        pytest.skip("no paper experiment with seeds is registered yet")
    distributed = pytest.importorskip("distributed")
    seeds = tuple(exp.settings("smoke")["seeds"])
    seeds = seeds + tuple(max(seeds) + 1 + i for i in range(max(0, 6 - len(seeds))))  # two shards
    loc = reproduce(exp.id, "smoke", out=tmp_path / "l", seeds=seeds, progress=False)
    # dask: a LocalCluster of threads (processes=False); worker processes are tested above
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        das = reproduce(exp.id, "smoke", out=tmp_path / "d", seeds=seeds, backend="dask",
                        scheduler=c, progress=False)
    assert das.manifest["n_shards"] >= 2
    assert das.manifest["shard_seeds"] == loc.manifest["shard_seeds"]
    # the same shards on every backend, so the same batched computations: bit for bit
    pd.testing.assert_frame_equal(das.table, loc.table, check_exact=True)
    assert set(loc.table["seed"]) == set(seeds)


@pytest.mark.slow
def test_shard_contract_of_every_experiment(request):
    """Run i depends on seeds[i] alone: for every registered paper experiment (smoke preset,
    at least two seeds), the last seed's rows of the batched call equal a call with that
    seed alone, which is what every backend relies on. Run with ``-m slow``."""
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the contract sweep over every experiment runs with -m slow")
    reg, errors = load_registry()
    ours = {e.id for e in OURS}
    broken = {}
    for exp_id, exp in reg.items():
        settings = exp.settings("smoke")
        seeds = settings["seeds"]
        if exp_id in ours or seeds is None:
            continue  # deterministic experiments run as one shard
        seeds = tuple(seeds) if len(seeds) > 1 else (seeds[0], seeds[0] + 1)
        try:
            batched = seed_order(exp.fn(**{**settings, "seeds": seeds}).table(), seeds)
            alone = seed_order(exp.fn(**{**settings, "seeds": seeds[-1:]}).table(), seeds[-1:])
            rows = batched[batched["seed"] == seeds[-1]].reset_index(drop=True)
            # rtol: batched BLAS rounds differently with the batch size (<= 4e-16 measured),
            # and batched solvers stopping on a shared criterion move results by ~2e-12;
            # atol: quantities that are 0 up to roundoff (1e-31 excess losses)
            pd.testing.assert_frame_equal(rows, alone, check_exact=False, rtol=1e-9, atol=1e-24)
        except Exception as exc:  # noqa: BLE001 - collect every violation, then fail once
            broken[exp_id] = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    assert not errors, errors
    assert not broken, "\n".join(f"{k}: {v}" for k, v in broken.items())


def test_default_shards_do_not_depend_on_the_backend(tmp_path):
    """The default partition is a function of the seeds alone (bit-identical tables)."""
    from ibtheory.reproduce._run import DEFAULT_SHARDS, MIN_SHARD_SEEDS

    seeds = tuple(range(40))
    a = reproduce(TOY, "smoke", out=tmp_path / "a", seeds=seeds, progress=False)
    b = reproduce(TOY, "smoke", out=tmp_path / "b", seeds=seeds, backend="processes", workers=2,
                  progress=False)
    assert a.manifest["shard_seeds"] == b.manifest["shard_seeds"]
    assert a.manifest["n_shards"] == min(DEFAULT_SHARDS, len(seeds) // MIN_SHARD_SEEDS)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)


def test_reproduce_list_names_every_experiment_the_ledger_uses():
    # `ibtheory reproduce --list` imports the papers only; experiments registered by a module
    # that only the ledger imports were missing from it (jin2023.natural_cubic, gaussian_grid).
    import subprocess
    import sys

    code = ("from ibtheory.papers import registry; a = set(registry()); "
            "from ibtheory import ledger; ledger.select(None); "
            "from ibtheory.papers._experiment import _REGISTRY; print(sorted(set(_REGISTRY) - a))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_paper_experiment_draws_a_figure():
    # issue 17: `reproduce` writes table, figure and manifest for every experiment; a figure is
    # drawn only for experiments registered with figure=
    reg, errors = load_registry()
    ours = {e.id for e in OURS}
    missing = sorted(k for k, e in reg.items() if k not in ours and e.figure is None)
    assert not errors and len(reg) - len(ours & set(reg)) >= 52
    assert missing == []


def _same_value(a, b):
    import dataclasses as dc

    from ibtheory.stats import RateFit

    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, RateFit) and isinstance(b, RateFit):
        return all(_same_value(getattr(a, f.name), getattr(b, f.name)) for f in dc.fields(a))
    if a is None or b is None or isinstance(a, str):
        return a == b
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":
        # batched BLAS rounds with the batch size (see the shard contract test)
        return bool(np.allclose(a, b, rtol=1e-9, atol=1e-24, equal_nan=True))
    return bool(np.array_equal(a, b))


@pytest.mark.parametrize("exp_id", sorted(k for k, e in load_registry()[0].items()
                                          if e.settings("smoke")["seeds"] is not None
                                          and k not in {e.id for e in OURS}))
def test_shards_merge_into_the_batched_report(exp_id):
    """With several shards, `reproduce` draws the figure from the merged report: for every
    experiment with seeds it must merge, and equal one batched call's report field by field
    (ensemble fits and counts recomputed by ``merge_summaries``; compute time summed)."""
    import dataclasses as dc

    from ibtheory.reproduce._merge import merge_reports

    exp = load_registry()[0][exp_id]
    s = exp.settings("smoke")
    seeds = tuple(s["seeds"])
    seeds = seeds + tuple(max(seeds) + 1 + i for i in range(max(0, 5 - len(seeds))))
    shards = [seeds[:2], seeds[2:]]             # uneven: a per-shard count or n would show
    batched = exp.fn(**{**s, "seeds": seeds})
    # handed over last shard first: the merge puts shards in seed order itself
    merged, why = merge_reports([exp.fn(**{**s, "seeds": x}) for x in shards[::-1]], shards[::-1], seeds)
    assert why is None, why
    assert type(merged) is type(batched)
    for f in dc.fields(batched):
        if f.name != "seconds":
            assert _same_value(getattr(merged, f.name), getattr(batched, f.name)), f.name


def test_local_in_a_fresh_process_equals_the_workers(tmp_path):
    # A fresh interpreter's first local run once summed with 2 BLAS threads (SciPy's own
    # OpenBLAS loads inside the experiment, after the thread limit was set) while workers used
    # one: varre2023.limit's final loss differed at 1e-19 relative to 1e-17. Every shard now
    # runs with BLAS_THREADS threads, SciPy's BLAS loaded first.
    import subprocess
    import sys

    code = f"""
import pandas as pd
from ibtheory.reproduce import reproduce
seeds = tuple(range(5))
a = reproduce("varre2023.limit", "smoke", out=r"{tmp_path}/a", seeds=seeds, progress=False, force=True)
b = reproduce("varre2023.limit", "smoke", out=r"{tmp_path}/b", seeds=seeds, backend="processes", workers=2,
              shards=1, progress=False, force=True)
pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
print(a.manifest["blas_threads_per_shard"])
"""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env["MPLBACKEND"] = "Agg"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "1"


def test_repeated_seeds_are_refused(tmp_path):
    # a repeated seed repeats the same run: an ensemble fit would count it as independent
    with pytest.raises(ValueError, match="seeds must be distinct.*repeated: \\[1\\]"):
        reproduce(TOY, "smoke", out=tmp_path, seeds=(1, 2, 1), progress=False)
    with pytest.raises(ValueError, match="distinct"):
        toy("smoke", seeds=(3, 3))


def test_blocks_of_seeds_merge_in_the_batched_order():
    # marion2024.residual_flatness lists its runs data set by data set, each with every seed
    # and every scale: neither seed-major nor inner-major. At the paper preset (4 data sets,
    # 6 shards) the merge gave up and no figure was written.
    from ibtheory.reproduce._merge import merge_reports

    exp = load_registry()[0]["marion2024.residual_flatness"]
    s = {**exp.settings("smoke"), "data_kinds": ((1.0, 1.0), (2.0, 1.0))}
    seeds = (4, 0, 3, 1, 2)
    shards = [seeds[:3], seeds[3:]]
    batched = exp.fn(**{**s, "seeds": seeds})
    merged, why = merge_reports([exp.fn(**{**s, "seeds": x}) for x in shards], shards, seeds)
    assert why is None, why
    blocks = batched.table()["seed"].to_numpy()
    assert blocks.tolist() == [x for _ in range(2) for x in seeds for _ in range(2)]   # (B, c) = (2, 2)
    pd.testing.assert_frame_equal(merged.table(), batched.table(), check_exact=False, rtol=1e-9, atol=1e-24)
