"""Experiments as library objects: one function per experiment, with presets.

An experiment is a function ``fn(*, seeds, **settings) -> Report`` registered
with :func:`experiment`. Its presets (``"smoke"``, ``"book"``, ``"paper"``)
hold every setting, seeds included, so the book, the ledger and
``ibtheory reproduce`` call the *same* object and no seed, grid or threshold is
written twice. A preset's settings can be overridden per call, and ``seeds``
is always an argument (``ibtheory verify --reseed`` passes fresh sets).

Determinism: every random draw of run ``i`` comes from
``numpy.random.SeedSequence(seeds[i])`` alone, so a run's result does not depend
on which other seeds it was batched with; shards of the seed list can run on any
backend and the tables concatenate to the same table.

Caching: when a cache directory is set (:func:`set_cache`, or the environment
variable ``IBTHEORY_CACHE``), a report is stored under a hash of the
experiment id, its full settings, its seeds and the package sources; the book's
chapters and its ledger page then compute each experiment once per build.
Inside :func:`shared_reports` (the ledger runs its claims there) the same happens
in memory for the last few reports, so claims that read one experiment run it once.
A cached file holds the experiment's id beside its report; one that does not (another
experiment's, a damaged file, anything but a report) is recomputed, not returned.
Either way a hit returns a fresh copy (unpickled), never an object another caller holds.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import hashlib
import importlib
import inspect
import json
import os
import pickle
from pathlib import Path
from typing import Callable

from .._contracts import Report

__all__ = ["Experiment", "experiment", "registry", "set_cache", "PRESETS"]

#: the preset names every experiment defines, from fastest to the paper's own scale
PRESETS = ("smoke", "book", "paper")

_REGISTRY: dict[str, "Experiment"] = {}
_CACHE_DIR: list[Path | None] = [None]
#: the in-memory reports of :func:`shared_reports` (None outside it), pickled
_MEMO: list["collections.OrderedDict[str, bytes] | None"] = [None]
#: how many reports :func:`shared_reports` keeps (the claims of one module run together)
_MEMO_SIZE = 4


@contextlib.contextmanager
def shared_reports():
    """Within this block an experiment called again with the same settings is not rerun.

    The last :data:`_MEMO_SIZE` reports are kept in memory (pickled; a hit returns a new
    copy). Nested blocks share the outermost one's reports.

    Examples
    --------
    >>> from ibtheory.papers import registry
    >>> from ibtheory.papers._experiment import shared_reports
    >>> exp = registry()["min2021.conservation"]
    >>> with shared_reports():
    ...     first, again = exp("smoke"), exp("smoke")
    >>> first is again, first.table().equals(again.table())
    (False, True)
    """
    outer = _MEMO[0]
    if outer is None:
        _MEMO[0] = collections.OrderedDict()
    try:
        yield
    finally:
        if outer is None:
            _MEMO[0] = None


def set_cache(path) -> None:
    """Cache experiment reports under ``path`` (``None`` switches the cache off).

    Examples
    --------
    >>> from ibtheory.papers import set_cache
    >>> set_cache(None)
    """
    _CACHE_DIR[0] = None if path is None else Path(path)


def _cache_dir() -> Path | None:
    if _CACHE_DIR[0] is not None:
        return _CACHE_DIR[0]
    env = os.environ.get("IBTHEORY_CACHE")
    return Path(env) if env else None


@functools.lru_cache(maxsize=1)
def source_fingerprint() -> str:
    """SHA-256 of the package's Python sources and the numeric stack's versions."""
    import platform

    import numpy
    import scipy

    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    h.update(f"{platform.python_version()} {numpy.__version__} {scipy.__version__}".encode())
    return h.hexdigest()


def _jsonable(v):
    import numpy as np

    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return v


@dataclasses.dataclass(frozen=True)
class Experiment:
    """A registered experiment: call it with a preset, optional seeds and overrides.

    Attributes
    ----------
    id : str
        ``"<paper>.<name>"``, e.g. ``"marion2024.sharpness_vs_scale"``.
    fn : callable
        ``fn(*, seeds, **settings) -> Report``.
    presets : dict
        ``{"smoke": {...}, "book": {...}, "paper": {...}}``, each with ``"seeds"``.
    figure : callable or None
        ``figure(report) -> matplotlib.figure.Figure``: the paper's figure.
    """

    id: str
    fn: Callable[..., Report]
    presets: dict
    figure: Callable | None = None

    @property
    def paper(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def __doc__(self):  # the wrapped function's docstring, for help() and autodoc
        return self.fn.__doc__

    def seeds(self, preset: str = "book") -> tuple[int, ...] | None:
        """The default seed set of ``preset`` (``None`` for a deterministic experiment)."""
        s = self.settings(preset)["seeds"]
        return None if s is None else tuple(s)

    def settings(self, preset: str = "book", **overrides) -> dict:
        """The full settings of ``preset`` with ``overrides`` applied (seeds included)."""
        if preset not in self.presets:
            raise ValueError(f"preset must be one of {sorted(self.presets)}, got {preset!r}")
        s = dict(self.presets[preset])
        params = inspect.signature(self.fn).parameters
        for k in overrides:
            if k not in params and k != "seeds":
                raise TypeError(f"{self.id} has no setting {k!r}; settings: {sorted(params)}")
        s.update(overrides)
        if s.get("seeds") is not None:
            s["seeds"] = _check_seeds(s["seeds"], self.id)
        elif "seeds" in overrides and self.presets[preset].get("seeds") is not None:
            raise TypeError(f"{self.id}: seeds must be a non-empty sequence of integers >= 0, got None")
        return s

    def key(self, settings: dict) -> str:
        payload = json.dumps({"id": self.id, "settings": _jsonable(settings)}, sort_keys=True)
        return hashlib.sha256((payload + source_fingerprint()).encode()).hexdigest()[:32]

    def _run(self, settings: dict) -> Report:
        report = self.fn(**settings)
        if not isinstance(report, Report):
            # tables, figures, caches and the merge of shards all rely on the Report contract
            raise TypeError(f"experiment {self.id} must return a Report, got {type(report).__name__}")
        return report

    def __call__(self, preset: str = "book", *, seeds=None, **overrides) -> Report:
        if seeds is not None:
            overrides["seeds"] = seeds
        s = self.settings(preset, **overrides)
        cache, memo = _cache_dir(), _MEMO[0]
        key = None
        if cache is not None or memo is not None:
            key = f"{self.id}-{self.key(s)}"
        if memo is not None and key in memo:
            memo.move_to_end(key)
            return pickle.loads(memo[key])
        if cache is None:
            report = self._run(s)
            _remember(memo, key, report)
            return report
        path = cache / f"{key}.pkl"
        report = _load(path, self.id)
        if report is None:
            # One process computes, the others wait for its file (ledger workers and notebooks
            # that share the cache would otherwise run the same experiment side by side).
            lock = path.with_suffix(".lock")
            with _exclusive(lock):
                report = _load(path, self.id)
                if report is None:
                    report = self._run(s)
                    tmp = path.with_suffix(f".tmp{os.getpid()}")
                    with open(tmp, "wb") as fh:
                        pickle.dump({"experiment": self.id, "report": report}, fh)
                    os.replace(tmp, path)
                # The report is on disk, so no later caller takes this lock (it finds the file
                # first) and whoever still waits on it reads the file: the lock file can go.
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
        _remember(memo, key, report)
        return report


def _load(path: Path, exp_id: str):
    """The report of ``exp_id`` cached at ``path``, or None (absent, unreadable, or not that
    experiment's report: recompute). The file's name already hashes the id, the settings and the
    package source; the stored id guards against a file put there by other means."""
    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh:
            obj = pickle.load(fh)
    except Exception:
        return None
    if not (isinstance(obj, dict) and obj.get("experiment") == exp_id and isinstance(obj.get("report"), Report)):
        return None
    return obj["report"]


@contextlib.contextmanager
def _exclusive(lock_path: Path):
    """Hold an exclusive lock on ``lock_path`` (POSIX ``flock``; no locking where it is missing)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:      # pragma: no cover - not POSIX: at worst two processes compute one report
        yield
        return
    with open(lock_path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _remember(memo, key, report) -> None:
    if memo is not None:
        try:
            memo[key] = pickle.dumps(report)
        except (pickle.PicklingError, AttributeError, TypeError):
            return      # a report that cannot be copied is not shared: callers recompute
        while len(memo) > _MEMO_SIZE:
            memo.popitem(last=False)


def _check_seeds(seeds, exp_id: str) -> tuple:
    """A non-empty tuple of distinct integers in [0, 2**63): the arguments of SeedSequence.

    Rejects what ``int()`` would silently coerce (2.5, True, "3") with the argument named, and a
    repeated seed: it repeats the same run, which an ensemble fit or a count would take for an
    independent one.
    """
    from .._validation import check_int

    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"{exp_id}: seeds must be a non-empty sequence of integers >= 0 "
                        f"(e.g. (0, 1, 2)), got {seeds!r}")
    out = tuple(check_int(x, "seeds", minimum=0, maximum=2**63 - 1) for x in seeds)
    if not out:
        raise ValueError(f"{exp_id}: seeds must hold at least one seed, got an empty sequence")
    if len(set(out)) < len(out):
        dup = sorted({x for x in out if out.count(x) > 1})
        raise ValueError(f"{exp_id}: seeds must be distinct (a repeated seed repeats the same run, not an "
                         f"independent one); repeated: {dup}")
    return out


def experiment(id: str, *, presets: dict, figure: Callable | None = None):
    """Register ``fn(*, seeds, **settings) -> Report`` as the experiment ``id``.

    Examples
    --------
    >>> import dataclasses, numpy as np
    >>> from ibtheory import Report
    >>> from ibtheory.papers import experiment
    >>> @dataclasses.dataclass(frozen=True)
    ... class Draws(Report):
    ...     seed: np.ndarray
    ...     value: np.ndarray
    >>> @experiment("min2021.toy_draws", presets={
    ...     "smoke": {"seeds": (0,), "n": 2}, "book": {"seeds": (0, 1), "n": 3},
    ...     "paper": {"seeds": (0, 1, 2), "n": 4}})
    ... def toy_draws(*, seeds, n):
    ...     vals = [np.random.default_rng(np.random.SeedSequence(s)).standard_normal(n).sum()
    ...             for s in seeds]
    ...     return Draws(seed=np.array(seeds), value=np.array(vals))
    >>> toy_draws("book").table().shape
    (2, 2)
    >>> toy_draws("book", seeds=(5,)).seed.tolist()
    [5]
    >>> from ibtheory.papers._experiment import _REGISTRY
    >>> _ = _REGISTRY.pop("min2021.toy_draws")  # keep the registry to the real experiments
    """
    paper = id.split(".", 1)[0]
    from . import PAPERS

    if paper not in PAPERS or "." not in id:
        raise ValueError(f"id must be '<paper>.<name>' with paper in {PAPERS}, got {id!r}")
    missing = [p for p in PRESETS if p not in presets]
    if missing:
        raise ValueError(f"presets must define {PRESETS}; missing {missing}")
    for name, p in presets.items():
        if "seeds" not in p:
            raise ValueError(f"preset {name!r} must set 'seeds' (a tuple, or None if deterministic)")

    def decorate(fn):
        exp = Experiment(id=id, fn=fn, presets={k: dict(v) for k, v in presets.items()},
                         figure=figure)
        # carry the wrapped function's names for help() and autodoc; the call signature
        # stays the experiment's own: exp(preset="book", *, seeds=None, **overrides)
        for attr in ("__module__", "__name__", "__qualname__"):
            object.__setattr__(exp, attr, getattr(fn, attr))
        _REGISTRY[id] = exp
        return exp

    return decorate


def registry() -> dict[str, Experiment]:
    """Every experiment of every paper, by id (imports each paper's ``experiments``)."""
    from . import PAPERS

    for p in PAPERS:
        try:
            importlib.import_module(f"{__package__}.{p}.experiments")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{p}.experiments" and exc.name != f"{__package__}.{p}":
                raise
    return dict(sorted(_REGISTRY.items()))
