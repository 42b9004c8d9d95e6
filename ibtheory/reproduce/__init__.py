"""Reproduce every paper's experiments at the paper's scale, with one call or one command.

Every experiment registered with :func:`ibtheory.papers.experiment` has the
presets ``smoke`` (seconds), ``book`` (the book's scale) and ``paper`` (the
paper's own widths, steps and repetitions). :func:`reproduce` runs one of them
on a backend, ``local`` (this process), ``processes`` (every core) or
``dask`` (a Dask cluster), and writes to its output directory:

- ``results.csv`` and ``results.parquet`` (with pyarrow): one row per run, in seed order;
- ``figure.png`` and ``figure.svg``: the paper's figure, when the experiment has one;
- ``manifest.json``: version, git commit, settings, seeds, backend, workers,
  wall and CPU time, peak memory, platform.

The seed list is cut into shards; run ``i`` depends on ``seeds[i]`` alone, so the
table is the same, run for run, on every backend. From the shell::

    ibtheory reproduce --list
    ibtheory reproduce varre2023 --preset paper        # every experiment of a paper
    ibtheory reproduce --all --preset paper            # every experiment of every paper
    ibtheory reproduce marion2024.sharpness_vs_scale --preset paper --backend processes
    ibtheory reproduce <id> --backend dask --scheduler tcp://host:8786

Examples
--------
>>> from ibtheory.reproduce import BACKENDS, shard_seeds
>>> BACKENDS
('local', 'processes', 'dask')
>>> shard_seeds(tuple(range(7)), 3)
[(0, 1, 2), (3, 4), (5, 6)]

See the book chapter *Reproducing the papers* (``book/reproduce.md``).
"""
from __future__ import annotations

import warnings

from ._backends import BACKENDS, shard_seeds
from ._batch import BatchResult, reproduce_all, select
from ._run import ReproduceResult, load_registry, reproduce

__all__ = ["BACKENDS", "BatchResult", "ReproduceResult", "catalog", "load_registry",
           "preset_differences", "reproduce", "reproduce_all", "select", "shard_seeds"]


def catalog() -> list[dict]:
    """One row per registered experiment: ``id``, ``presets`` (name -> number of seeds), ``doc``.

    Examples
    --------
    >>> from ibtheory.reproduce import catalog
    >>> all({"id", "presets", "doc"} <= set(row) for row in catalog())
    True
    """
    from ._run import load_registry

    rows = []
    reg, errors = load_registry()
    for paper, tb in errors.items():
        warnings.warn(f"the experiments of {paper} failed to import and are not listed: "
                      f"{tb.strip().splitlines()[-1]}", RuntimeWarning, stacklevel=2)
    for exp_id, exp in reg.items():
        doc = (exp.fn.__doc__ or "").strip()
        presets = {}
        for name in exp.presets:
            seeds = exp.presets[name].get("seeds")
            presets[name] = None if seeds is None else len(tuple(seeds))
        rows.append({"id": exp_id, "presets": presets,
                     "figure": exp.figure is not None,
                     "doc": doc.splitlines()[0] if doc else ""})
    return rows


def _short(value, width: int = 60) -> str:
    """A setting as text; long tuples keep their ends and their length."""
    if isinstance(value, tuple) and len(value) > 6:
        text = f"({_short(value[0])}, {_short(value[1])}, ..., {_short(value[-1])}) [{len(value)}]"
    else:
        text = repr(value.item() if hasattr(value, "item") else value)
    return text if len(text) <= width else text[: width - 3] + "..."


def preset_differences(a: str = "book", b: str = "paper") -> list[dict]:
    """Where two presets of each experiment differ: one row per (experiment, setting).

    The book runs the ``book`` preset; ``paper`` is the paper's own scale. This lists,
    for every registered experiment, the settings whose values differ, with the number
    of seeds of each preset, so a reader sees what the book cuts (widths, steps,
    repetitions) and what it keeps. An experiment whose presets agree everywhere has
    one row with ``setting`` ``"(none)"``.

    Parameters
    ----------
    a, b : str
        Preset names (``smoke``, ``book``, ``paper``).

    Examples
    --------
    >>> from ibtheory.reproduce import preset_differences
    >>> rows = preset_differences("book", "paper")
    >>> {"id", "setting", "book", "paper", "seeds_book", "seeds_paper"} <= set(rows[0])
    True
    >>> preset_differences("book", "book")[0]["setting"]
    '(none)'
    """
    from ..papers import PRESETS
    from ._run import load_registry

    for name, v in (("a", a), ("b", b)):
        if v not in PRESETS:
            raise ValueError(f"{name} must be one of {PRESETS}, got {v!r}")
    reg, _ = load_registry()
    rows = []
    for exp_id, exp in sorted(reg.items()):
        sa, sb = exp.settings(a), exp.settings(b)
        na = None if sa.get("seeds") is None else len(tuple(sa["seeds"]))
        nb = None if sb.get("seeds") is None else len(tuple(sb["seeds"]))
        keys = [k for k in sb if k != "seeds" and repr(sa.get(k)) != repr(sb.get(k))]
        for k in keys or ["(none)"]:
            rows.append({"id": exp_id, "setting": k,
                         a: "" if k == "(none)" else _short(sa.get(k)),
                         b: "" if k == "(none)" else _short(sb.get(k)),
                         f"seeds_{a}": na, f"seeds_{b}": nb})
    return rows
