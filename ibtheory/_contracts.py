"""The contract vocabulary shared by every layer: one status enum, one failure
policy, and the frozen report type of the experiments.

Failure policy (documented once, applied everywhere)
----------------------------------------------------
- **Bad input** raises :class:`ValueError` or :class:`TypeError` naming the
  argument and what is allowed, before any work is done.
- **Solvers** (:mod:`ibtheory.solvers`) either return a result whose ``.kkt``
  certificate meets ``tol`` (``.success`` is then true) or raise
  :class:`ibtheory.solvers.SolverError` carrying the status and the residuals.
- **Dynamics** (:mod:`ibtheory.dynamics`) always return their result: a run
  that stalls, overflows or diverges is reported through ``.status`` (a
  :class:`Status`), ``.success`` and ``.message``, never silently; the caller
  decides, because a diverging run is often the measured outcome (edge of
  stability).
- **Experiments** (:mod:`ibtheory.papers`) return a frozen :class:`Report`
  that keeps every run, including those that neither converged nor diverged.

No public function returns NaN or inf without ``success=False`` and a message.

See the book chapter *Gradient flow and its conservation laws*
(``book/dynamics.md``) and *The limiting optimization problems*
(``book/solvers.md``).
"""
from __future__ import annotations

import dataclasses
import enum
from typing import ClassVar

import numpy as np

__all__ = ["Status", "Report", "PER_RUN"]

#: ``dataclasses.field(metadata=PER_RUN)`` marks an array field of a :class:`Report` whose first
#: axis runs over the runs but that is not a table column (a trajectory, a curve per run): merging
#: seed shards concatenates it, even where the shards happen to hold equal values.
PER_RUN = {"table": False, "runs": True}


class Status(str, enum.Enum):
    """How a computation ended; a ``str`` so that it prints and serializes plainly.

    Examples
    --------
    >>> from ibtheory import Status
    >>> Status.SUCCESS == "success", Status("diverged") is Status.DIVERGED
    (True, True)
    >>> Status.DIVERGED.ok
    False
    """

    SUCCESS = "success"              #: reached the stated stopping rule
    MAX_ITER = "max_iter"            #: step or iteration budget used up
    DIVERGED = "diverged"            #: the iterates left every bounded set
    OVERFLOW = "overflow"            #: a value left the float64 range
    STALLED = "stalled"              #: the integrator's step collapsed
    KINK = "kink"                    #: a non-smooth point of the model (ReLU)
    KKT_NOT_MET = "kkt_not_met"      #: solver residuals above the tolerance
    INFEASIBLE = "infeasible"        #: certified infeasible (a certificate exists)
    NUMERICAL = "numerical"          #: the back end failed numerically

    @property
    def ok(self) -> bool:
        return self is Status.SUCCESS

    def __str__(self) -> str:  # "success", not "Status.SUCCESS"
        return self.value


def _column(value):
    arr = np.asarray(value)
    return arr if arr.ndim == 1 else None


@dataclasses.dataclass(frozen=True)
class Report:
    """Base class of the experiments' typed, frozen reports.

    A subclass declares its fields (settings, seeds, per-run arrays and summary
    numbers). :meth:`table` returns the per-run fields (1-D arrays of a common
    length, the number of runs) as a :class:`pandas.DataFrame`, one row per run;
    :meth:`settings` returns the scalar and tuple fields.

    Examples
    --------
    >>> import dataclasses, numpy as np
    >>> from ibtheory import Report
    >>> @dataclasses.dataclass(frozen=True)
    ... class Toy(Report):
    ...     width: np.ndarray
    ...     error: np.ndarray
    ...     level: float = 0.95
    >>> r = Toy(width=np.array([10, 100]), error=np.array([0.3, 0.1]))
    >>> r.table().shape, r.settings()
    ((2, 2), {'level': 0.95})
    """

    #: Fields that summarize the runs (an ensemble fit, a count over runs, the trajectory of
    #: the first run). When ``ibtheory reproduce`` merges the reports of seed shards into
    #: one, these are neither compared nor concatenated: :meth:`merge_summaries` recomputes
    #: them, so the merged report (and its figure) equals one batched call's.
    summary_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def merge_summaries(cls, shards, runs: dict) -> dict:
        """The :attr:`summary_fields` of the report merged from ``shards``.

        Parameters
        ----------
        shards : list of Report
            The shard reports, of this class, in seed order (the first shard holds the
            first seeds).
        runs : dict
            Every other field of the merged report: per-run arrays concatenated in the
            order one batched call gives, settings as they are.

        Returns
        -------
        dict
            One value per name in :attr:`summary_fields`.
        """
        raise NotImplementedError(f"{cls.__name__} declares no way to merge its summaries")

    def _run_columns(self) -> dict:
        cols = {}
        for f in dataclasses.fields(self):
            if f.metadata.get("table") is False:
                continue
            col = _column(getattr(self, f.name))
            if col is not None and not isinstance(getattr(self, f.name), tuple):
                cols[f.name] = col
        if not cols:
            return {}
        n = max(len(c) for c in cols.values())
        return {k: v for k, v in cols.items() if len(v) == n}

    def table(self):
        """One row per run: every 1-D array field of the run-count length."""
        import pandas as pd

        return pd.DataFrame(self._run_columns())

    def settings(self) -> dict:
        """The scalar, string and tuple fields: what the experiment was asked to do."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, (int, float, str, bool, tuple, type(None))) or np.isscalar(v):
                out[f.name] = v
        return out
