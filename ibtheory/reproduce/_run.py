"""``reproduce(id, preset)``: run one registered experiment at a preset's scale, write its outputs."""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import time
import warnings
from pathlib import Path

from . import _manifest as mf
from . import _backends
from ._backends import BACKENDS, EXECUTORS, peak_rss_mb, shard_seeds
from ._merge import check_shard_table, merge_reports, normalize, seed_order, with_settings


@dataclasses.dataclass(frozen=True)
class ReproduceResult:
    """The outcome of :func:`reproduce`.

    Attributes
    ----------
    id, preset : str
        The experiment and the preset that were run.
    out : pathlib.Path
        The output directory.
    table : pandas.DataFrame
        One row per run (settings, ``seed``, outcome, losses, measured quantities),
        in seed order; identical whatever the backend.
    files : dict
        Output files by kind (``"csv"``, ``"parquet"``, ``"png"``, ``"svg"``, ``"manifest"``).
    figure_paths : tuple of pathlib.Path
        The figure files (PNG, SVG); empty when no figure was drawn (see the manifest).
    manifest : dict
        The contents of ``manifest.json``.
    cached : bool
        True when the outputs were found in ``out`` for the same settings and sources.
    report : ibtheory.Report or None
        The experiment's report (merged over shards), or None if cached or unmergeable.
    """

    id: str
    preset: str
    out: Path
    table: object
    files: dict
    figure_paths: tuple
    manifest: dict
    cached: bool
    report: object = None

    def __repr__(self) -> str:
        how = "cached" if self.cached else f"{self.manifest.get('wall_seconds', 0):.1f} s"
        return (f"ReproduceResult({self.id!r}, preset={self.preset!r}, runs={len(self.table)}, "
                f"{how}, out={str(self.out)!r})")


def load_registry(papers=None) -> tuple[dict, dict]:
    """``(experiments by id, import errors by paper)``: a paper whose ``experiments``
    module fails to import is reported, and the other papers' experiments stay usable."""
    import importlib
    import traceback

    from ..papers import PAPERS
    from ..papers._experiment import _REGISTRY

    errors = {}
    for p in PAPERS if papers is None else papers:
        try:
            importlib.import_module(f"ibtheory.papers.{p}.experiments")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"ibtheory.papers.{p}.experiments", f"ibtheory.papers.{p}"):
                errors[p] = traceback.format_exc()
        except Exception:
            errors[p] = traceback.format_exc()
    return dict(sorted(_REGISTRY.items())), errors


def _experiment(id):
    from ..papers import PAPERS

    if not isinstance(id, str):
        raise TypeError(f"id must be an experiment id string, got {type(id).__name__}")
    paper = id.split(".", 1)[0]
    reg, errors = load_registry([paper] if paper in PAPERS else None)
    if id in reg:
        return reg[id]
    if paper in errors:
        raise ImportError(f"the experiments of {paper} failed to import, so {id!r} is not "
                          f"available:\n{errors[paper]}")
    reg, _ = load_registry()
    near = [k for k in reg if id in k or k.split(".")[-1] == id]
    hint = f"; did you mean {near}?" if near else ""
    known = ", ".join(reg) or "(none registered yet)"
    raise ValueError(f"unknown experiment id {id!r}{hint} Known experiments: {known}")


def _default_out(exp_id: str, preset: str, overrides: dict, root=None) -> Path:
    """``<root>/<id>/<preset>`` (root: ``./ibtheory-results``), with a hash of any overrides."""
    name = preset
    if overrides:
        blob = json.dumps(mf.jsonable(overrides), sort_keys=True)
        name = f"{preset}-{hashlib.sha256(blob.encode()).hexdigest()[:8]}"
    root = Path.cwd() / "ibtheory-results" if root is None else Path(root)
    return root / exp_id / name


def _clear(out: Path) -> None:
    for name in (mf.MANIFEST, f"{mf.TABLE}.csv", f"{mf.TABLE}.parquet",
                 f"{mf.FIGURE}.png", f"{mf.FIGURE}.svg"):
        (out / name).unlink(missing_ok=True)


def _tqdm():
    """The notebook progress bar where ipywidgets is installed, the text bar otherwise
    (``tqdm.auto`` would warn in a notebook without ipywidgets)."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        from tqdm import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm


#: shards per run when ``shards`` is not given (the same on every backend)
DEFAULT_SHARDS = 8
#: fewest seeds in a default shard (ensemble fits inside an experiment need a few runs)
MIN_SHARD_SEEDS = 3


def _figure(exp, n_shards, report, merge_note, table):
    """``(figure or None, note)``: the paper's figure from the full (or merged) report."""
    if exp.figure is None:
        from_table = getattr(exp, "figure_from_table", None)
        if from_table is None:
            return None, "the experiment has no figure"
        return from_table(table), "drawn by figure_from_table from the merged table"
    if report is not None:
        how = ("the single batched report" if n_shards == 1
               else "the report merged over shards")
        return exp.figure(report), f"drawn from {how}"
    from_table = getattr(exp, "figure_from_table", None)
    if from_table is not None:
        return from_table(table), "drawn by figure_from_table from the merged table"
    return None, (f"skipped: {merge_note}; run in one shard (backend='local') for the figure "
                  "(nothing was re-run)")


def reproduce(id: str, preset: str = "paper", out=None, backend: str = "local",
              workers: int | None = None, scheduler=None, force: bool = False,
              progress: bool = True, shards: int | None = None, **overrides) -> ReproduceResult:
    """Run the experiment ``id`` at the scale of ``preset`` and write its table, figure and manifest.

    The seed list of the preset is cut into contiguous shards that run on the
    chosen backend; by the determinism contract (run ``i`` depends on
    ``seeds[i]`` only) the merged table equals the single batched call's, run
    for run. The partition depends on the seeds alone, never on the backend or
    the workers, so every backend runs the same batches and gives the same table
    bit for bit; another ``shards`` may move batched results at rounding level
    (Marion & Chizat's batched GD sweeps: ~1e-16). Results are cached in ``out`` under a hash of the full settings
    and of the package sources: the same call again returns at once.

    Parameters
    ----------
    id : str
        A registered experiment, ``"<paper>.<name>"`` (see ``ibtheory reproduce --list``).
    preset : {"smoke", "book", "paper"}
        The scale: seconds, the book's, or the paper's own settings.
    out : str or pathlib.Path, optional
        Output directory; default ``./ibtheory-results/<id>/<preset>/`` (with a
        hash suffix of the overrides when there are any).
    backend : {"local", "processes", "dask"}
        ``local``: the shards in this process; ``processes``: ``workers`` processes
        (joblib/loky); ``dask``: a Dask cluster (see ``scheduler``).
    workers : int, optional
        Processes or local Dask workers; default: every core (``local``: 1).
    scheduler : str, distributed.Client or cluster, optional
        For ``dask``: ``"tcp://host:8786"``, a client, or a cluster object;
        None starts a ``LocalCluster`` of ``workers`` processes.
    force : bool
        Recompute even if ``out`` holds the results for these settings.
    progress : bool
        Show a progress bar (tqdm) of the shards done, with the time left.
    shards : int, optional
        Number of seed shards; default ``DEFAULT_SHARDS``, with at least
        ``MIN_SHARD_SEEDS`` seeds per shard (some experiments fit a rate over their
        seeds; a shard of several seeds also shows the merge how a batch orders its
        rows), *whatever the
        backend and the number of workers*: the shards, hence every batched computation,
        are the same on ``local`` (one after the other), ``processes`` and ``dask``, so the
        tables agree bit for bit.
    **overrides
        Settings of the experiment to change (``seeds=(0, 1)``, ``n_steps=100``, ...).

    Returns
    -------
    ReproduceResult

    Examples
    --------
    A toy experiment (registered here, removed at the end), run twice:

    >>> import dataclasses, tempfile, numpy as np
    >>> from ibtheory import Report
    >>> from ibtheory.papers import experiment
    >>> from ibtheory.reproduce import reproduce
    >>> @dataclasses.dataclass(frozen=True)
    ... class Draws(Report):
    ...     seed: np.ndarray
    ...     value: np.ndarray
    >>> @experiment("min2021.doc_draws", presets={p: {"seeds": (0, 1, 2), "n": 4}
    ...                                           for p in ("smoke", "book", "paper")})
    ... def doc_draws(*, seeds, n):
    ...     "Sums of n standard normal draws, one per seed."
    ...     return Draws(seed=np.array(seeds), value=np.array(
    ...         [np.random.default_rng(np.random.SeedSequence(s)).standard_normal(n).sum()
    ...          for s in seeds]))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = reproduce("min2021.doc_draws", "smoke", out=tmp, progress=False)
    ...     again = reproduce("min2021.doc_draws", "smoke", out=tmp, progress=False)
    >>> list(first.table.columns), len(first.table), first.cached, again.cached
    (['n', 'seed', 'value'], 3, False, True)
    >>> {"csv", "manifest"} <= set(first.files)  # and "parquet" when pyarrow is installed
    True
    >>> from ibtheory.papers._experiment import _REGISTRY
    >>> _ = _REGISTRY.pop("min2021.doc_draws")

    See the book chapter *Reproducing the papers* (``book/reproduce.md``).
    """
    from .._validation import check_int

    exp = _experiment(id)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if scheduler is not None and backend != "dask":
        raise ValueError(f"scheduler is used by backend='dask' only, got backend={backend!r}")
    if "seeds" in overrides and overrides["seeds"] is not None:
        overrides["seeds"] = tuple(check_int(s, "seeds[i]") for s in overrides["seeds"])
    settings = exp.settings(preset, **overrides)  # ValueError (preset) / TypeError (setting)
    if workers is None:
        workers = 1 if backend == "local" else (os.cpu_count() or 1)
    workers = check_int(workers, "workers", minimum=1)
    if backend == "local" and workers != 1:
        raise ValueError(f"backend='local' runs in one process; workers must be 1, got {workers}")
    seeds = settings.get("seeds")
    if shards is not None:
        n_shards = check_int(shards, "shards", minimum=1)
    else:
        # The partition depends on the seeds only, never on the backend or the workers:
        # a batched run may round differently in a batch of another size, so the same
        # shards everywhere is what makes the tables identical bit for bit. One shard
        # fewer than seeds: some shard holds two seeds, which shows the batch's row layout
        # (seed-major or inner-major) to the report merge.
        # Shards hold at least MIN_SHARD_SEEDS seeds: some experiments fit a rate over the
        # ensemble of their seeds, which needs a few runs per call.
        n_shards = min(DEFAULT_SHARDS, max(1, len(seeds or ()) // MIN_SHARD_SEEDS))
    pieces = shard_seeds(seeds, n_shards)

    key = exp.key(settings)
    out = _default_out(exp.id, preset, overrides) if out is None else Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if not force:
        hit = mf.read_cached(out, key)
        if hit is not None:
            manifest, table = hit
            files = {k: out / v for k, v in manifest["files"].items()} | {"manifest": out / mf.MANIFEST}
            figs = tuple(files[k] for k in ("png", "svg") if k in files)
            return ReproduceResult(exp.id, preset, out, table, files, figs, manifest, True)

    started = datetime.datetime.now(datetime.timezone.utc)
    t0, c0 = time.perf_counter(), time.process_time()
    bar = _tqdm()(total=len(pieces), desc=exp.id, unit="shard", disable=not progress, leave=True)

    def tick(res):
        bar.update(1)

    try:
        results, where = EXECUTORS[backend](exp, {k: v for k, v in settings.items() if k != "seeds"},
                                            pieces, tick, workers=workers, scheduler=scheduler)
    finally:
        bar.close()
    wall = time.perf_counter() - t0

    problems = [p for r in results
                for p in check_shard_table(r.report.table(), r.seeds, exp.id)]
    if problems and len(results) > 1:
        raise ValueError("; ".join(problems))
    tables = [seed_order(r.report.table(), r.seeds, what=exp.id) for r in results]
    import pandas as pd

    table = seed_order(pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0],
                       seeds, what=exp.id)
    table = normalize(with_settings(table, settings))
    try:
        report, merge_note = merge_reports([r.report for r in results], pieces, seeds)
    except Exception as exc:  # a report the generic merge does not understand: no figure
        report, merge_note = None, f"the shard reports could not be merged ({type(exc).__name__}: {exc})"

    _clear(out)
    files = mf.write_table(table, out)
    fig_note, fig_error = None, None
    try:
        fig, fig_note = _figure(exp, len(results), report, merge_note, table)
        if fig is not None:
            files |= mf.write_figure(fig, out)
        elif exp.figure is not None and report is not None:
            fig_note = f"the figure function returned None ({fig_note})"
    except Exception as exc:  # the table stands; the manifest says why the figure is missing
        fig_error = f"{type(exc).__name__}: {exc}"
        fig_note = f"figure failed: {fig_error}"
        warnings.warn(f"{exp.id}: the figure could not be drawn ({fig_error}); "
                      "the results table was written", RuntimeWarning, stacklevel=2)

    from .. import __version__
    from ..papers._experiment import source_fingerprint

    shard_rss = [r.peak_rss_mb for r in results if r.peak_rss_mb is not None]
    manifest = {
        "schema": mf.SCHEMA, "id": exp.id, "paper": exp.paper, "preset": preset,
        "doc": (exp.fn.__doc__ or "").strip().splitlines()[0] if exp.fn.__doc__ else "",
        "ibtheory_version": __version__, "git": mf.git_commit(),
        "source_fingerprint": source_fingerprint(),
        "key": key, "settings": settings, "overrides": overrides, "seeds": seeds,
        "n_runs": len(table), "columns": list(table.columns),
        "backend": backend, "workers": where.get("workers", workers), "executor": where,
        "n_shards": len(pieces), "shard_seeds": pieces, "blas_threads_per_shard": _backends.BLAS_THREADS,
        "started": started.isoformat(timespec="seconds"),
        "wall_seconds": wall,
        "cpu_seconds": {"this_process": time.process_time() - c0,
                        "shards": sum(r.cpu_seconds for r in results)},
        "shard_wall_seconds": [r.wall_seconds for r in results],
        "peak_rss_mb": {"this_process": peak_rss_mb(),
                        "workers_max": max(shard_rss) if shard_rss else None},
        "hosts": sorted({r.host for r in results}),
        "platform": mf.platform_info(),
        "table_notes": problems + ([] if "parquet" in files else [
            "results.parquet not written: pyarrow is missing or cannot type a column "
            "(pip install 'ibtheory[cluster]')"]),
        "figure": {"drawn": "png" in files, "note": fig_note, "error": fig_error},
        "report_merge": "one shard" if len(results) == 1 else (merge_note or "merged"),
        "files": files,
    }
    mf.write_manifest(manifest, out)
    paths = {k: out / v for k, v in files.items()} | {"manifest": out / mf.MANIFEST}
    figs = tuple(paths[k] for k in ("png", "svg") if k in paths)
    manifest = json.loads((out / mf.MANIFEST).read_text())
    return ReproduceResult(exp.id, preset, out, table, paths, figs, manifest, False, report)
