"""Input validation shared by the public functions.

Every public function validates its arguments here so that bad input raises a
``ValueError`` naming the argument and what is allowed, instead of propagating
a silent NaN.
"""
from __future__ import annotations

import numbers

import numpy as np


def check_depth(L, name: str = "L", minimum: int = 2) -> int:
    """Return ``L`` as a Python int, or raise if it is not an integer >= minimum."""
    if isinstance(L, (bool, np.bool_)) or not isinstance(L, numbers.Integral):
        if isinstance(L, numbers.Real) and not isinstance(L, (bool, np.bool_)) and float(L).is_integer():
            # 3.0 is a float that names an integer; accept it but not 3.5.
            L = int(L)
        else:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {L!r}")
    L = int(L)
    if L < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {L}")
    return L


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
