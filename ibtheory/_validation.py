"""Input validation shared by the public functions.

Every public function validates its arguments here so that bad input raises a
``ValueError`` naming the argument and what is allowed, instead of propagating
a silent NaN.
"""
from __future__ import annotations

import numbers

import numpy as np


def check_int(v, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``v`` as a Python int, or raise naming ``name`` and the allowed range.

    The one integer validator of the package: bools, non-integral floats (2.7),
    strings and arrays are rejected; an integral float (3.0) is accepted.

    Examples
    --------
    >>> from ibtheory._validation import check_int
    >>> check_int(3.0, "L", minimum=2)
    3
    >>> check_int(2.7, "d")
    Traceback (most recent call last):
    ...
    TypeError: d must be an integer, got 2.7
    """
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, numbers.Real)):
        raise TypeError(f"{name} must be an integer, got {v!r}")
    if not isinstance(v, numbers.Integral):
        if not (np.isfinite(v) and float(v).is_integer()):
            raise TypeError(f"{name} must be an integer, got {v!r}")
    v = int(v)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {v}")
    return v


def check_depth(L, name: str = "L", minimum: int = 2, maximum: int | None = None) -> int:
    """Return ``L`` as a Python int, or raise ``ValueError`` if it is not an integer >= minimum."""
    try:
        return check_int(L, name, minimum=minimum, maximum=maximum)
    except TypeError as exc:
        # depth errors have always been ValueErrors; keep that contract
        raise ValueError(f"{name} must be an integer >= {minimum}, got {L!r}") from exc


def as_real_array(x, name: str) -> np.ndarray:
    """Convert ``x`` to a float64 array; reject complex, non-numeric and non-finite entries."""
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - numpy raises many types
        raise ValueError(f"{name} must be a real number or array of real numbers") from exc
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must be a real number or array of real numbers, got dtype {arr.dtype}"
        )
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def check_positive(x, name: str) -> float:
    """Return ``x`` as a float, or raise if it is not a finite positive real."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise ValueError(f"{name} must be a finite positive real, got {x!r}")
    x = float(x)
    if not np.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be a finite positive real, got {x!r}")
    return x


def check_dps(dps) -> int | None:
    """Validate the mpmath working precision (decimal digits)."""
    if dps is None:
        return None
    if isinstance(dps, (bool, np.bool_)) or not isinstance(dps, numbers.Integral) or dps < 5:
        raise ValueError(f"dps must be None or an integer >= 5, got {dps!r}")
    return int(dps)
