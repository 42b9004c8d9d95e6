"""Where the shards of an experiment run: one process, all cores, or a Dask cluster.

An experiment ``fn(*, seeds, **settings)`` obeys the determinism contract of
:mod:`ibtheory.papers`: run ``i`` depends on ``seeds[i]`` alone. Its seed list
can therefore be cut into contiguous *shards* ``seeds[a:b]``, each shard run
anywhere, and the per-run tables concatenated in shard order: the result is
the table of the single batched call, run for run.

- ``local``: the shards one after the other in this process (one batched call per shard);
- ``processes``: shards on ``workers`` processes of this machine (joblib, loky);
- ``dask``: shards as tasks of a :class:`distributed.Client`, to a scheduler
  address, an existing client or cluster, or a new ``LocalCluster``.

See the book chapter *Reproducing the papers* (``book/reproduce.md``).
"""
from __future__ import annotations

import dataclasses
import importlib
import os
import time
from typing import Callable

from .._validation import check_int

BACKENDS = ("local", "processes", "dask")

_CLUSTER_HINT = ("the {what} needs the optional dependency {pkg!r}; install the extra: "
                 "pip install 'ibtheory[cluster]'")


def require(module: str, what: str, pkg: str | None = None):
    """Import ``module`` or raise an ImportError naming the ``cluster`` extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(_CLUSTER_HINT.format(what=what, pkg=pkg or module)) from exc


def shard_seeds(seeds, n_shards: int) -> list[tuple[int, ...]]:
    """Cut ``seeds`` into ``n_shards`` contiguous, non-empty slices of near-equal size.

    Slice sizes differ by at most one and the slices, in order, concatenate to
    ``seeds``; ``None`` (a deterministic experiment) is one shard.

    Examples
    --------
    >>> from ibtheory.reproduce import shard_seeds
    >>> shard_seeds((0, 1, 2, 3, 4), 2)
    [(0, 1, 2), (3, 4)]
    >>> shard_seeds((7,), 4)
    [(7,)]
    """
    if seeds is None:
        return [None]
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got ()")
    n = min(check_int(n_shards, "n_shards", minimum=1), len(seeds))
    q, r = divmod(len(seeds), n)
    out, start = [], 0
    for i in range(n):
        stop = start + q + (1 if i < r else 0)
        out.append(seeds[start:stop])
        start = stop
    return out


@dataclasses.dataclass
class ShardResult:
    """What one shard sends back: its report and what it cost."""

    index: int
    seeds: tuple[int, ...] | None
    report: object
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float | None
    host: str
    pid: int


def peak_rss_mb() -> float | None:
    """Peak resident set size of this process in MiB (None where unavailable)."""
    try:
        import resource
        import sys

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss / 2 ** 20 if sys.platform == "darwin" else rss / 2 ** 10
    except (ImportError, OSError):  # pragma: no cover - Windows
        return None


def resolve(exp_id: str, module: str, payload=None):
    """The experiment ``exp_id``: from the registry, else by importing ``module`` (where it is
    defined: importing registers it, or holds it as a module attribute), else ``payload``
    (the experiment itself, shipped by value when it was defined in ``__main__``)."""
    from ..papers import _experiment

    if payload is not None:
        return payload
    exp = _experiment._REGISTRY.get(exp_id)
    if exp is None:
        mod = importlib.import_module(module)
        exp = _experiment._REGISTRY.get(exp_id) or next(
            (v for v in vars(mod).values()
             if isinstance(v, _experiment.Experiment) and v.id == exp_id), None)
    if exp is None:
        raise LookupError(f"experiment {exp_id!r} is not registered in this worker "
                          f"(importing {module!r} did not define it)")
    return exp


def _ref(exp) -> tuple:
    """What travels to a worker: the id and the defining module (and the experiment itself
    when it lives in ``__main__``, which a worker cannot import)."""
    module = exp.fn.__module__
    return exp.id, module, (exp if module == "__main__" else None)


#: BLAS threads of every shard on every backend (the determinism contract across backends)
BLAS_THREADS = 1


def run_shard(ref: tuple, settings: dict, seeds, index: int) -> ShardResult:
    """Run one shard: the experiment on the sub-tuple ``seeds`` with ``settings``.

    Runs in a worker; the experiment is looked up by id so that only names travel.
    """
    import platform

    exp = resolve(*ref)
    s = dict(settings)
    s["seeds"] = seeds
    import scipy.linalg  # noqa: F401 - loads SciPy's own BLAS now, so that the limit below reaches it
    from threadpoolctl import threadpool_limits

    t0, c0 = time.perf_counter(), time.process_time()
    # One BLAS thread in every shard, whatever the backend: a threaded reduction sums in an
    # order set by the thread count, and tables must agree bit for bit across backends
    # (multi-threaded local runs differed from single-threaded workers at 1e-17).
    with threadpool_limits(limits=BLAS_THREADS):
        report = exp.fn(**s)
    return ShardResult(index=index, seeds=seeds, report=report,
                       wall_seconds=time.perf_counter() - t0,
                       cpu_seconds=time.process_time() - c0,
                       peak_rss_mb=peak_rss_mb(), host=platform.node(), pid=os.getpid())


def run_local(exp, settings, shards, tick: Callable[[ShardResult], None], **_) -> tuple[list, dict]:
    """The shards one after the other in this process (one batched call per shard)."""
    out = []
    for i, s in enumerate(shards):
        out.append(run_shard((exp.id, exp.fn.__module__, exp), settings, s, i))
        tick(out[-1])
    return out, {"workers": 1, "executor": "in-process"}


def run_processes(exp, settings, shards, tick, workers: int, **_) -> tuple[list, dict]:
    """The shards on ``workers`` loky processes; results are returned in shard order."""
    from joblib import Parallel, delayed

    ref = _ref(exp)
    out = [None] * len(shards)
    par = Parallel(n_jobs=workers, backend="loky", return_as="generator_unordered",
                   batch_size=1, pre_dispatch="all")
    for res in par(delayed(run_shard)(ref, settings, s, i) for i, s in enumerate(shards)):
        out[res.index] = res
        tick(res)
    return out, {"workers": workers, "executor": "joblib/loky"}


def _client(scheduler, workers):
    """``(client, owned_objects)``: a distributed client for ``scheduler`` (see :func:`run_dask`)."""
    distributed = require("distributed", "dask backend", "dask[distributed]")
    if scheduler is None:
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                           processes=True, dashboard_address=":0")
        client = distributed.Client(cluster)
        return client, [client, cluster]
    if isinstance(scheduler, distributed.Client):
        return scheduler, []
    if isinstance(scheduler, str):
        try:
            client = distributed.Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise ConnectionError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from exc
        return client, [client]
    if hasattr(scheduler, "scheduler_address"):  # a LocalCluster, SpecCluster, ...
        client = distributed.Client(scheduler)
        return client, [client]
    raise TypeError("scheduler must be an address such as 'tcp://host:8786', a distributed.Client, "
                    f"a cluster object or None, got {type(scheduler).__name__}")


def run_dask(exp, settings, shards, tick, workers: int, scheduler=None, **_) -> tuple[list, dict]:
    """The shards as tasks of a Dask cluster; results are returned in shard order.

    ``scheduler``: an address (``"tcp://host:8786"``), a :class:`distributed.Client`,
    a cluster object, or None for a new ``LocalCluster`` of ``workers`` single-thread
    worker processes (closed afterwards). Every worker must have ibtheory installed.
    """
    distributed = require("distributed", "dask backend", "dask[distributed]")
    client, owned = _client(scheduler, workers)
    try:
        info = client.scheduler_info()
        n_workers = len(info.get("workers", {})) or workers
        ref = _ref(exp)
        futures = [client.submit(run_shard, ref, settings, s, i, pure=False)
                   for i, s in enumerate(shards)]
        out = [None] * len(shards)
        try:
            for fut in distributed.as_completed(futures):
                res = fut.result()
                out[res.index] = res
                tick(res)
        finally:
            for fut in futures:
                fut.release()
        return out, {"workers": n_workers, "executor": "dask.distributed",
                     "scheduler": info.get("address")}
    finally:
        for obj in owned:
            obj.close()


EXECUTORS = {"local": run_local, "processes": run_processes, "dask": run_dask}
