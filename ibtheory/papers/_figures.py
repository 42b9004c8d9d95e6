"""What every paper's figure functions share: the check of the report they draw, and the floor
at which exact zeros are drawn on log axes.

A figure function draws one experiment's report (``figure=`` of :func:`~ibtheory.papers.experiment`),
so ``ibtheory reproduce`` and the book call it on whatever report they hold: a report of another
experiment or one with no runs gets a ``TypeError``/``ValueError`` naming the argument, not an
error from deep inside matplotlib.
"""
from __future__ import annotations

import numpy as np

from .._contracts import Report

__all__ = ["ZERO_FLOOR", "check_report", "finite_or_raise"]

#: Exact zeros (a discrepancy that rounds to 0) are drawn at this value on log axes, and said so.
ZERO_FLOOR = 1e-17


def check_report(report, cls, name: str = "rep"):
    """Return ``report`` if it is a ``cls`` with at least one run; raise otherwise.

    Parameters
    ----------
    report : object
        What the figure function was given.
    cls : type
        The :class:`~ibtheory.Report` subclass the figure draws.
    name : str
        The figure function's parameter name, for the messages.

    Raises
    ------
    TypeError
        If ``report`` is not a ``cls``.
    ValueError
        If its table has no row (nothing to draw).

    Examples
    --------
    >>> import dataclasses, numpy as np
    >>> from ibtheory import Report
    >>> from ibtheory.papers._figures import check_report
    >>> @dataclasses.dataclass(frozen=True)
    ... class Toy(Report):
    ...     x: np.ndarray
    >>> check_report(Toy(np.array([1.0])), Toy).x.tolist()
    [1.0]
    >>> check_report(Toy(np.array([])), Toy)
    Traceback (most recent call last):
    ...
    ValueError: rep has no runs to draw (an empty Toy)
    """
    if not isinstance(report, cls):
        article = "an" if cls.__name__[:1].upper() in "AEIOU" else "a"
        raise TypeError(f"{name} must be {article} {cls.__name__} (the report of the experiment this figure "
                        f"draws), got {type(report).__name__}")
    if isinstance(report, Report) and report._run_columns() and len(report.table()) == 0:
        raise ValueError(f"{name} has no runs to draw (an empty {cls.__name__})")
    return report


def finite_or_raise(report, fields, name: str = "rep"):
    """Raise ``ValueError`` naming the field if any of ``fields`` of ``report`` holds NaN or inf.

    For figures whose quantities are never undefined in a report the experiment produces
    (a NaN there is a broken report, which a log axis would silently drop).

    Examples
    --------
    >>> import dataclasses, numpy as np
    >>> from ibtheory import Report
    >>> from ibtheory.papers._figures import finite_or_raise
    >>> @dataclasses.dataclass(frozen=True)
    ... class Toy(Report):
    ...     x: np.ndarray
    >>> finite_or_raise(Toy(np.array([1.0, np.nan])), ("x",))
    Traceback (most recent call last):
    ...
    ValueError: rep.x has 1 non-finite value(s) of 2; this figure draws only finite values
    """
    for f in fields:
        v = np.asarray(getattr(report, f), dtype=float)
        bad = int(np.sum(~np.isfinite(v)))
        if bad:
            raise ValueError(f"{name}.{f} has {bad} non-finite value(s) of {v.size}; "
                             "this figure draws only finite values")
