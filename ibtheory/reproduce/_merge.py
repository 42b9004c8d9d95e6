"""Merging the shards of an experiment: one tidy table, and a report for the figure.

The table of a sharded run is the concatenation of the shard tables; rows are
then put in *seed order* by a stable sort on the position of each row's seed in
the full seed list. The single batched call goes through the same sort, so the
tables agree run for run whatever the backend and the number of shards
(an experiment may list its runs width-major inside a batch; the stable sort
keeps that inner order within each seed).

See the book chapter *Reproducing the papers* (``book/reproduce.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np


def seed_order(table, seeds, *, what: str = "the experiment"):
    """``table`` with its rows stably sorted by the position of their seed in ``seeds``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ibtheory.reproduce._merge import seed_order
    >>> t = pd.DataFrame({"seed": [5, 3, 5, 3], "width": [10, 10, 20, 20]})
    >>> seed_order(t, (3, 5)).values.tolist()
    [[3, 10], [3, 20], [5, 10], [5, 20]]
    """
    if seeds is None or "seed" not in table.columns:
        return table.reset_index(drop=True)
    pos = {int(s): i for i, s in enumerate(seeds)}
    try:
        keys = np.array([pos[int(s)] for s in table["seed"]], dtype=np.int64)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{what} returned rows whose seed is not one of the seeds it was "
                         f"given {tuple(seeds)}: {exc}") from exc
    return table.iloc[np.argsort(keys, kind="stable")].reset_index(drop=True)


def check_shard_table(table, seeds, exp_id: str) -> list[str]:
    """Problems that make a shard's table unsafe to merge (empty list: none)."""
    if seeds is None:
        return []
    if "seed" not in table.columns:
        return [f"{exp_id}: its report's table has no 'seed' column (the contract asks for one), "
                "so shards cannot be merged run for run; use backend='local'"]
    got = {int(s) for s in table["seed"]}
    if got != set(seeds):
        return [f"{exp_id}: a shard given seeds {tuple(seeds)} returned rows for seeds "
                f"{tuple(sorted(got))}: every run must be kept, and only those"]
    return []


def normalize(table):
    """Plain dtypes for writing: object columns of strings (e.g. ``Status``) become ``str``."""
    out = table.copy()
    for c in out.columns:
        col = out[c]
        if col.dtype == object and len(col) and all(isinstance(v, str) for v in col):
            out[c] = col.map(lambda v: str(v.value) if hasattr(v, "value") else str(v)).astype(object)
    return out


def with_settings(table, settings: dict):
    """Prefix the scalar settings as constant columns, so each row is a self-contained run."""
    front = {k: v for k, v in settings.items()
             if k != "seeds" and k not in table.columns
             and isinstance(v, (bool, int, float, str, np.integer, np.floating))}
    out = table.copy()
    for i, (k, v) in enumerate(front.items()):
        out.insert(i, k, [v] * len(out))
    return out


def _equal(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):   # e.g. per-init targets: arrays by name
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    try:
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            a, b = np.asarray(a), np.asarray(b)
            if a.shape != b.shape:
                return False
            if a.dtype.kind in "fc" and b.dtype.kind in "fc":
                return bool(np.array_equal(a, b, equal_nan=True))
            return bool(np.array_equal(a, b))
        return bool(a == b)
    except Exception:
        return False


def _same_seeds(v, s) -> bool:
    """``v`` is the tuple of ints ``s`` (a field that holds the shard's own seeds)."""
    return (len(v) == len(s)
            and all(isinstance(x, (int, np.integer)) and int(x) == int(y) for x, y in zip(v, s)))


def block_layout(seed_columns, shard_seeds):
    """How a batched call orders its rows, as ``(B, c)``, or None if no shard shows it.

    A batch over seeds ``S`` lists its rows as ``B`` blocks (an outer loop, e.g. over
    data sets), each holding every seed of ``S`` in turn with ``c`` consecutive rows
    (an inner loop, e.g. over widths): the seed column is ``tile(repeat(S, c), B)``.
    Seed-major is ``B = 1``, inner-major ``c = 1``. Every shard of two seeds or more
    must show the same ``(B, c)``; a shard of one seed cannot tell ``B`` from ``c``.

    Examples
    --------
    >>> from ibtheory.reproduce._merge import block_layout
    >>> block_layout([[0, 0, 1, 1], [2, 2]], [(0, 1), (2,)])          # seed-major
    (1, 2)
    >>> block_layout([[0, 1, 0, 1], [2, 2]], [(0, 1), (2,)])          # inner-major
    (2, 1)
    >>> block_layout([[0, 0, 1, 1, 0, 0, 1, 1]], [(0, 1)])           # blocks of seeds of runs
    (2, 2)
    >>> block_layout([[0, 0], [1, 1]], [(0,), (1,)]) is None          # one seed per shard
    True
    >>> block_layout([[0], [1]], [(0,), (1,)])                        # one row per seed
    (1, 1)
    """
    found = set()
    for col, S in zip(seed_columns, shard_seeds):
        col, S = np.asarray(col), np.asarray(S)
        if S.size < 2 or col.size == 0:
            continue
        c = int(np.argmax(col != col[0])) if np.any(col != col[0]) else col.size
        if c == 0 or col.size % (S.size * c):
            return None
        B = col.size // (S.size * c)
        if not np.array_equal(col, np.tile(np.repeat(S, c), B)):
            return None
        found.add((B, c))
    if not found:
        one_row = all(np.asarray(col).size == len(S) for col, S in zip(seed_columns, shard_seeds))
        return (1, 1) if one_row else None
    if len(found) > 1:
        return None
    B, c = found.pop()
    if any(len(S) == 1 and np.asarray(col).size != B * c for col, S in zip(seed_columns, shard_seeds)):
        return None
    return B, c


def _block_perm(n_rows, shard_seeds, B, c):
    """Rows of the concatenated shards, in the order one batched call over all seeds gives."""
    offsets = np.concatenate([[0], np.cumsum(n_rows)[:-1]])
    return np.concatenate([off + b * len(S) * c + np.arange(len(S) * c)
                           for b in range(B) for off, S in zip(offsets, shard_seeds)]).astype(np.int64)


def merge_reports(reports, shard_seeds, seeds):
    """One report of the same class from shard reports, or ``(None, reason)``.

    Field by field: a per-run column of the tables, or an array whose first axis
    runs over the shard's runs, is concatenated; a field equal in every shard (a
    grid, a setting) is kept; a tuple equal to each shard's seeds becomes the full
    seed tuple. Any other field (a summary over the shard's runs) makes the merge
    unsafe, and ``(None, reason)`` is returned, unless the class names it in its
    ``summary_fields``: :meth:`~ibtheory.Report.merge_summaries` recomputes those
    from the merged runs (shards taken in seed order). The per-run fields are put in the
    order one batched call gives (:func:`block_layout`), so a figure that reshapes
    them as ``(widths, seeds)`` or ``(seeds, widths)`` draws the same picture.

    Examples
    --------
    >>> import dataclasses, numpy as np
    >>> from ibtheory import Report
    >>> from ibtheory.reproduce._merge import merge_reports
    >>> @dataclasses.dataclass(frozen=True)
    ... class R(Report):
    ...     seed: np.ndarray
    ...     x: np.ndarray
    ...     seeds: tuple = ()
    >>> a = R(np.array([0, 1]), np.array([0.5, 0.25]), (0, 1))
    >>> b = R(np.array([2]), np.array([0.125]), (2,))
    >>> m, why = merge_reports([a, b], [(0, 1), (2,)], (0, 1, 2))
    >>> m.x.tolist(), m.seeds, why
    ([0.5, 0.25, 0.125], (0, 1, 2), None)
    """
    if len(reports) == 1:
        return reports[0], None
    if seeds is not None and all(s for s in shard_seeds):
        # shards in seed order, whatever order they came in: merge_summaries may read the
        # first shard (the first run's curves) or concatenate per-run tuples in shard order
        pos = {int(x): j for j, x in enumerate(seeds)}
        order = sorted(range(len(reports)), key=lambda i: pos[int(shard_seeds[i][0])])
        reports, shard_seeds = [reports[i] for i in order], [shard_seeds[i] for i in order]
    cls = type(reports[0])
    if not dataclasses.is_dataclass(cls) or any(type(r) is not cls for r in reports):
        return None, "shard reports are not all of one dataclass type"
    tables = [r.table() for r in reports]
    n_rows = [len(t) for t in tables]
    perm = None  # rows of the concatenated shards -> the order one batched call would give
    if seeds is not None and all("seed" in t.columns for t in tables):
        cols = [t["seed"].to_numpy() for t in tables]
        layout = block_layout(cols, shard_seeds)
        if layout is None:
            return None, ("the batch's row layout (blocks of seeds of runs) cannot be told from these "
                          "shards (each of one seed, or not in one layout); use fewer shards than seeds")
        perm = _block_perm(n_rows, shard_seeds, *layout)
    values, per_run = {}, set()
    summaries = tuple(getattr(cls, "summary_fields", ()))
    for f in dataclasses.fields(cls):
        if not f.init or f.name in summaries:
            continue
        vs = [getattr(r, f.name) for r in reports]
        v0 = vs[0]
        arrays = all(isinstance(v, np.ndarray) and v.ndim >= 1 for v in vs)
        if arrays and (f.metadata.get("runs") or all(f.name in t.columns for t in tables)):
            values[f.name] = np.concatenate(vs, axis=0)
            per_run.add(f.name)
        elif all(_equal(v, v0) for v in vs[1:]):
            values[f.name] = v0
        elif f.name == "seconds" and all(isinstance(v, (int, float)) for v in vs):
            values[f.name] = float(sum(vs))      # compute time: the shards' sum
        elif (all(isinstance(v, tuple) for v in vs) and shard_seeds[0] is not None
              and all(_same_seeds(v, s) for v, s in zip(vs, shard_seeds))):
            values[f.name] = tuple(seeds)
        elif arrays and all(v.shape[0] == n for v, n in zip(vs, n_rows)) \
                and len({v.shape[1:] for v in vs}) == 1:
            values[f.name] = np.concatenate(vs, axis=0)
            per_run.add(f.name)
        else:
            return None, (f"field {f.name!r} of {cls.__name__} differs between shards and is not "
                          "per-run (a summary over runs?), so the shards cannot be merged into one "
                          "report")
    if perm is not None:
        for name in per_run:
            values[name] = values[name][perm]
    if summaries:
        try:
            extra = cls.merge_summaries(list(reports), dict(values))
        except NotImplementedError as exc:
            return None, str(exc)
        if set(extra) != set(summaries):
            return None, (f"{cls.__name__}.merge_summaries returned {sorted(extra)}, "
                          f"not its summary_fields {sorted(summaries)}")
        values.update(extra)
    try:
        return cls(**values), None
    except Exception as exc:  # a __post_init__ that rejects the merged fields
        return None, f"{cls.__name__} rejected the merged fields: {exc}"
