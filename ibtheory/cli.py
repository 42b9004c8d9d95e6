"""The ``ibtheory`` command line.

::

    ibtheory verify [PATTERN] [--json] [--quiet] [--jobs N]  # run the theorem ledger
    ibtheory verify [PATTERN] --reseed K [--seed-base B]     # stochastic claims on K fresh seed sets
    ibtheory list [PATTERN]                             # the claims of the ledger
    ibtheory reproduce --list [PATTERN]                 # the experiments of every paper
    ibtheory reproduce PAPER|GLOB|--all [options]       # many experiments, one after the other
    ibtheory reproduce ID [--preset paper|book|smoke] [--out DIR]
                          [--backend local|processes|dask] [--scheduler ADDRESS]
                          [--workers N] [--force] [--set key=value ...]

Exit status: 0 success, 1 a claim failed (or a run failed), 2 bad usage
(unknown claim pattern, experiment id, preset, backend or setting).

See the book chapters *Theorem ledger* (``book/ledger.md``) and *Reproducing
the papers* (``book/reproduce.md``).
"""
from __future__ import annotations

import argparse
import ast
import os
import sys


def _progress(i: int, n: int, r) -> None:
    status = "ok" if r.passed else "FAIL"
    print(f"[{i:>3}/{n}] {r.id} ... {status} ({r.seconds:.2f} s)", file=sys.stderr, flush=True)


def _reseed_progress(i: int, n: int, row) -> None:
    print(f"[{i:>3}/{n}] {row.id} ... {row.n_passed}/{row.n_sets} sets pass, worst "
          f"{row.worst_measured:.3e} vs {row.tolerance:.3e} ({row.seconds:.1f} s)",
          file=sys.stderr, flush=True)


def _fail(msg: str, code: int = 2) -> int:
    print(f"ibtheory: error: {msg}", file=sys.stderr)
    return code


def parse_setting(text: str) -> tuple[str, object]:
    """``"key=value"`` -> ``(key, value)``; the value is a Python literal, else a string.

    ``seeds=0,1,2`` gives a tuple, ``seeds=5`` the one-seed tuple ``(5,)`` and
    ``seeds=100:200`` the range ``100, ..., 199``.

    Examples
    --------
    >>> from ibtheory.cli import parse_setting
    >>> parse_setting("n_steps=200"), parse_setting("lr=1e-3"), parse_setting("init=orthogonal")
    (('n_steps', 200), ('lr', 0.001), ('init', 'orthogonal'))
    >>> parse_setting("seeds=3:6"), parse_setting("widths=(10, 100)")
    (('seeds', (3, 4, 5)), ('widths', (10, 100)))
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
        raise ValueError(f"--set expects key=value with key a setting name, got {text!r}")
    raw = raw.strip()
    if key == "seeds" and ":" in raw:
        a, _, b = raw.partition(":")
        try:
            return key, tuple(range(int(a), int(b)))
        except ValueError:
            raise ValueError(f"--set seeds=A:B needs integers A < B, got {raw!r}") from None
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw
    if isinstance(value, list):
        value = tuple(value)
    if key == "seeds" and isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    return key, value


def _add_verify(sub) -> None:
    v = sub.add_parser("verify", help="run the theorem ledger and print a table")
    v.add_argument("pattern", nargs="?", default=None,
                   help="glob or substring of claim ids (default: every claim)")
    v.add_argument("--json", action="store_true", help="print JSON instead of a table")
    v.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    v.add_argument("--reseed", type=int, metavar="K", default=None,
                   help="rerun each stochastic claim on K fresh, disjoint seed sets")
    v.add_argument("--seed-base", type=int, metavar="B", default=10_000,
                   help="first seed of the fresh sets (default 10000)")
    v.add_argument("--jobs", type=int, metavar="N", default=None,
                   help="processes to run the claims on (default: every core); "
                        "the verdicts do not depend on it")
    ls = sub.add_parser("list", help="list the claims of the ledger")
    ls.add_argument("pattern", nargs="?", default=None)


def _add_reproduce(sub) -> None:
    from .papers import PRESETS
    from .reproduce import BACKENDS

    r = sub.add_parser(
        "reproduce", help="run a paper's experiment at the paper's scale (table, figure, manifest)",
        description="Run a registered experiment and write results.csv/.parquet, figure.png/.svg "
                    "and manifest.json to --out (default ./ibtheory-results/ID/PRESET/). "
                    "A repeated call with the same settings and sources returns the cached results.")
    r.add_argument("id", nargs="?", default=None,
                   help="experiment id (yun2021.<name>), a paper key (yun2021: all its "
                        "experiments) or a glob ('*.width_*')")
    r.add_argument("--list", action="store_true",
                   help="list the experiments (all, or those matching ID)")
    r.add_argument("--all", action="store_true", help="every experiment of every paper")
    r.add_argument("--preset", choices=PRESETS, default="paper",
                   help="smoke (seconds), book (the book's scale) or paper (default)")
    r.add_argument("--out", default=None, metavar="DIR", help="output directory")
    r.add_argument("--backend", choices=BACKENDS, default=None,
                   help="local (this process; default), processes (every core), "
                        "dask (a Dask cluster; default with --scheduler)")
    r.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://host:8786 (implies --backend dask)")
    r.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes or local Dask workers (default: every core)")
    r.add_argument("--shards", type=int, default=None, metavar="S",
                   help="number of seed shards, each one batched call (default: min(8, seeds // 3), "
                        "whatever the backend, so every backend gives the same table)")
    r.add_argument("--force", action="store_true", help="recompute even if cached")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="settings",
                   help="override a setting (repeatable); seeds=0,1,2 or seeds=0:100")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--json", action="store_true", help="print the manifest as JSON")


def _list_experiments(pattern=None) -> int:
    from .reproduce import catalog, select

    rows = catalog()
    if pattern is not None:
        keep = set(select(pattern))
        rows = [r for r in rows if r["id"] in keep]
    if not rows:
        print("no experiment is registered yet")
        return 0
    import shutil

    w = max(len(r["id"]) for r in rows)
    width = max(shutil.get_terminal_size((160, 24)).columns, 100)
    for r in rows:
        presets = " ".join(f"{k}({'det' if n is None else n})" for k, n in r["presets"].items())
        fig = " [figure]" if r["figure"] else ""
        line = f"{r['id']:<{w}}  {presets}{fig}  {r['doc']}"
        print(line if len(line) <= width else line[:width - 3] + "...")
    print(f"\n{len(rows)} experiments; presets show their number of seeds (det: deterministic).")
    return 0


def _reproduce(args) -> int:
    import json

    if args.list:
        return _list_experiments(args.id)
    if args.id is None and not args.all:
        return _fail("reproduce needs an experiment id, a paper key, a glob, --all or --list")
    from .papers import PAPERS
    from .reproduce import reproduce
    from .reproduce._run import _experiment

    backend = args.backend or ("dask" if args.scheduler else "local")
    if args.all or args.id in PAPERS or any(ch in args.id for ch in "*?["):
        return _reproduce_many("*" if args.all else args.id, backend, args)
    try:
        overrides = dict(parse_setting(s) for s in args.settings)
        exp = _experiment(args.id)
        exp.settings(args.preset, **overrides)  # unknown setting -> TypeError, before any work
        if args.scheduler and backend != "dask":
            raise ValueError(f"--scheduler needs --backend dask, got --backend {backend}")
        if args.workers is not None and args.workers < 1:
            raise ValueError(f"--workers must be >= 1, got {args.workers}")
        if backend == "local" and args.workers not in (None, 1):
            raise ValueError("--workers needs --backend processes or dask (local is one process)")
    except (ValueError, TypeError) as exc:
        return _fail(str(exc))
    except ImportError as exc:
        return _fail(str(exc), 1)
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        res = reproduce(args.id, args.preset, out=args.out, backend=backend, workers=args.workers,
                        scheduler=args.scheduler, force=args.force, progress=not args.quiet,
                        shards=args.shards, **overrides)
    except (ImportError, ConnectionError) as exc:
        return _fail(str(exc), 1)
    if args.json:
        print(json.dumps(res.manifest, indent=2))
        return 0
    m = res.manifest
    how = ("cached (same settings and sources; --force recomputes)" if res.cached else
           f"{m['wall_seconds']:.1f} s on {m['backend']} with {m['workers']} worker(s), "
           f"{m['n_shards']} shard(s)")
    print(f"{res.id} [{res.preset}]: {len(res.table)} runs, {how}")
    if "outcome" in res.table.columns:
        counts = res.table["outcome"].astype(str).value_counts()
        print("outcomes: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for kind, path in res.files.items():
        print(f"  {kind:<8} {path}")
    if not m["figure"]["drawn"]:
        print(f"  figure   none: {m['figure']['note']}")
    return 0


def _reproduce_many(pattern: str, backend: str, args) -> int:
    """Every experiment matching ``pattern``, one after the other; exit 1 if any raised."""
    from .reproduce import reproduce_all, select

    try:
        overrides = dict(parse_setting(s) for s in args.settings)
        if not select(pattern):
            raise ValueError(f"no experiment matches {pattern!r} (see ibtheory reproduce --list)")
        if args.scheduler and backend != "dask":
            raise ValueError(f"--scheduler needs --backend dask, got --backend {backend}")
        if backend == "local" and args.workers not in (None, 1):
            raise ValueError("--workers needs --backend processes or dask (local is one process)")
        if args.workers is not None and args.workers < 1:
            raise ValueError(f"--workers must be >= 1, got {args.workers}")
    except (ValueError, TypeError) as exc:
        return _fail(str(exc))
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        batch = reproduce_all(pattern, args.preset, out=args.out, backend=backend,
                              workers=args.workers, scheduler=args.scheduler, force=args.force,
                              progress=not args.quiet, shards=args.shards, **overrides)
    except (ValueError, TypeError) as exc:  # a preset or setting some experiment lacks
        return _fail(str(exc))
    except (ImportError, ConnectionError) as exc:
        return _fail(str(exc), 1)
    with_pd = batch.summary()
    print(with_pd.to_string(index=False))
    print(f"\n{len(batch.results)}/{len(batch.results) + len(batch.errors)} experiments done "
          f"in {batch.seconds:.1f} s")
    for exp_id, tb in batch.errors.items():
        print(f"\nFAILED {exp_id}:\n{tb}", file=sys.stderr)
    return 0 if batch.passed else 1


def _verify(args) -> int:
    from . import ledger

    if args.jobs is not None and args.jobs < 1:
        return _fail(f"--jobs must be >= 1, got {args.jobs}")
    if args.reseed is not None:
        if args.reseed < 1 or args.seed_base < 0:
            return _fail(f"--reseed must be >= 1 and --seed-base >= 0, got {args.reseed} "
                         f"and {args.seed_base}")
        if not [c for c in ledger.select(args.pattern) if c.stochastic]:
            return _fail(f"no stochastic claim matches {args.pattern!r}")
        quiet = args.quiet or args.json
        rep = ledger.reseed(args.pattern, k=args.reseed, base=args.seed_base,
                            progress=None if quiet else _reseed_progress, jobs=args.jobs)
        if args.json:
            print(rep.to_json())
        else:
            print(rep.table())
            for row in rep.rows:
                if not row.passed:
                    print(f"\nFAILED {row.id}: {row.n_sets - row.n_passed} of {row.n_sets} sets; "
                          f"worst {row.worst_measured:.3e} vs {row.tolerance:.3e}")
                    for seeds in row.failures:
                        print(f"  failing seeds: {seeds}")
                    if row.error:
                        print(row.error)
        return 0 if rep.passed else 1

    claims = ledger.select(args.pattern)
    if not claims:
        return _fail(f"no claim matches {args.pattern!r}")
    report = ledger.run(args.pattern, progress=None if (args.quiet or args.json) else _progress,
                        jobs=args.jobs)
    if args.json:
        print(report.to_json())
    else:
        print(report.table())
        for r in report.failures():
            print(f"\nFAILED {r.id}: measured {r.measured:.3e} > tolerance {r.tolerance:.3e}")
            if r.details:
                print(f"  {r.details}")
            if r.error:
                print(r.error)
    return 0 if report.passed else 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status (argparse exits 2 on bad usage)."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="ibtheory",
        description="Symbolic-numeric companion to the implicit bias of gradient methods.",
    )
    parser.add_argument("--version", action="version", version=f"ibtheory {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_verify(sub)
    _add_reproduce(sub)
    args = parser.parse_args(argv)

    if args.command == "list":
        from . import ledger

        for c in ledger.select(args.pattern):
            print(f"{c.id}: {c.statement} [{c.source}]")
        return 0
    if args.command == "reproduce":
        return _reproduce(args)
    return _verify(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
