"""Log-log rate fits with a t-interval, and Wilson intervals for counts."""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._validation import as_real_array


@dataclasses.dataclass(frozen=True)
class RateFit:
    r"""Least-squares fit of :math:`\log y = a + b \log x` with a t-interval for ``b``.

    Attributes
    ----------
    slope : float
        The fitted exponent ``b``.
    ci : tuple of float
        The two-sided ``level`` confidence interval of ``b``.
    intercept : float
        ``a``.
    n : int
        Number of points (seeds × grid values).
    level : float
        Confidence level of ``ci``.
    """

    slope: float
    ci: tuple[float, float]
    intercept: float
    n: int
    level: float

    def consistent_with_bound(self, exponent: float) -> bool:
        r"""Whether an :math:`O(x^{\text{exponent}})` *upper bound* survives the data.

        The bound is contradicted only when the decay is credibly slower, i.e.
        when the whole interval lies above ``exponent``: a one-sided test.

        Examples
        --------
        >>> from ibtheory.stats import loglog_fit
        >>> fit = loglog_fit([1, 10, 100, 1000], [1, 0.09, 0.011, 0.001])
        >>> fit.consistent_with_bound(-1.0), fit.consistent_with_bound(-2.0)
        (True, False)
        """
        return bool(self.ci[0] <= exponent)

    def contains(self, exponent: float) -> bool:
        """Two-sided: whether ``exponent`` lies in the interval (for exact rates)."""
        return bool(self.ci[0] <= exponent <= self.ci[1])

    def excess_over(self, exponent: float) -> float:
        """How far the interval's lower end lies above ``exponent`` (<= 0 when consistent)."""
        return float(self.ci[0] - exponent)


def loglog_fit(x, y, level: float = 0.95) -> RateFit:
    r"""Fit :math:`\log y = a + b\log x` by least squares, with a t-interval for ``b``.

    ``x`` and ``y`` are flattened together, so an ensemble over seeds is passed as
    repeated ``x`` values (or as 2-D arrays of matching shape).

    Parameters
    ----------
    x, y : array_like
        Positive, finite, at least 3 points.
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    RateFit

    Examples
    --------
    >>> from ibtheory.stats import loglog_fit
    >>> fit = loglog_fit([1, 10, 100], [1, 0.1, 0.01])
    >>> round(fit.slope, 12), fit.n
    (-1.0, 3)
    """
    from scipy import stats

    x = as_real_array(x, "x").ravel()
    y = as_real_array(y, "y").ravel()
    if x.size != y.size:
        raise ValueError(f"x and y must have the same number of entries, got {x.size} and {y.size}")
    if x.size < 3:
        raise ValueError(f"x and y must hold at least 3 points, got {x.size}")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must be positive (their logarithms are fitted)")
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must be a number in (0, 1), got {level!r}")
    lx, ly = np.log(x), np.log(y)
    sxx = float(np.sum((lx - lx.mean()) ** 2))
    if sxx == 0:
        raise ValueError("x must take at least two distinct values")
    b, a = np.polyfit(lx, ly, 1)
    resid = ly - (a + b * lx)
    dof = x.size - 2
    s2 = float(resid @ resid) / dof
    se = math.sqrt(s2 / sxx)
    q = float(stats.t.ppf(0.5 + level / 2, dof))
    return RateFit(slope=float(b), ci=(float(b - q * se), float(b + q * se)),
                   intercept=float(a), n=int(x.size), level=float(level))


def loglog_fit_or_none(x, y, level: float = 0.95) -> RateFit | None:
    """:func:`loglog_fit`, or None where an ensemble subset is too small to fit.

    None when there are fewer than 3 points or fewer than 2 distinct ``x`` (a seed shard, a
    subset of converged runs); every other bad input raises as in :func:`loglog_fit`.

    Examples
    --------
    >>> from ibtheory.stats import loglog_fit_or_none
    >>> loglog_fit_or_none([10, 10], [0.1, 0.2]) is None
    True
    >>> round(loglog_fit_or_none([1, 10, 100], [1, 0.1, 0.01]).slope, 12)
    -1.0
    """
    x = as_real_array(x, "x").ravel()
    if x.size < 3 or np.unique(x).size < 2:
        return None
    return loglog_fit(x, y, level=level)


def binomial_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``k/n`` (counts of events over runs).

    Examples
    --------
    >>> from ibtheory.stats import binomial_interval
    >>> lo, hi = binomial_interval(0, 20)
    >>> lo, round(hi, 3)
    (0.0, 0.161)
    """
    from scipy import stats

    from .._validation import check_int

    n = check_int(n, "n", minimum=1)
    k = check_int(k, "k", minimum=0)
    if k > n:
        raise ValueError(f"k must be <= n, got k={k}, n={n}")
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must be a number in (0, 1), got {level!r}")
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))
