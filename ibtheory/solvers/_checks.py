"""Private input validation for the solvers (shapes, labels, range conditions)."""
from __future__ import annotations

import numpy as np

from .._validation import as_real_array


#: Largest array accepted (dense linear algebra beyond this exhausts memory or time).
MAX_ENTRIES = 50_000_000


def real_array(x, name: str) -> np.ndarray:
    """A finite float64 array; None, str, bool, complex and object input raise TypeError."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a real number or array of real numbers, got {x!r}")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of real numbers ({exc})") from None
    if arr.dtype == object or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be an array of real numbers (not bool, complex, str or "
                        f"object), got dtype {arr.dtype}")
    if arr.size > MAX_ENTRIES:
        raise ValueError(f"{name} has {arr.size} entries, more than the {MAX_ENTRIES} these "
                         "dense solvers handle")
    return as_real_array(arr, name)


def check_flag(v, name: str) -> bool:
    """A genuine bool (True/False), or TypeError naming the argument."""
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {v!r}")
    return bool(v)


def design(X, name: str = "X") -> np.ndarray:
    """A finite float64 matrix with at least one row and one column."""
    X = real_array(X, name)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (n, d), got shape {X.shape}")
    if X.size > MAX_ENTRIES:
        raise ValueError(f"{name} has {X.size} entries, more than the {MAX_ENTRIES} these dense "
                         "solvers handle")
    return X


def targets(y, n: int, name: str = "y", matrix: bool = False) -> np.ndarray:
    """Targets of length n (or shape (n, k) when ``matrix``)."""
    y = real_array(y, name)
    ok = (y.ndim == 1 and y.shape[0] == n) or (matrix and y.ndim == 2 and y.shape[0] == n and y.shape[1] > 0)
    if not ok:
        want = f"({n},)" + (f" or ({n}, k)" if matrix else "")
        raise ValueError(f"{name} must have shape {want} to match X, got {y.shape}")
    return y


def labels(y, n: int, name: str = "y") -> np.ndarray:
    """Binary labels: a length-n vector of +1/-1."""
    y = targets(y, n, name)
    if not np.all(np.abs(y) == 1.0):
        raise ValueError(f"{name} must contain only the labels +1 and -1")
    return y


def svd_range(X: np.ndarray):
    """Thin SVD of X truncated at the numerical rank (LAPACK gesdd)."""
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    if s.size == 0 or s[0] == 0.0:
        return U[:, :0], s[:0], Vt[:0]
    r = int(np.sum(s > s[0] * max(X.shape) * np.finfo(float).eps))
    return U[:, :r], s[:r], Vt[:r]


def require_in_range(U: np.ndarray, y: np.ndarray, name: str = "y", what: str = "X") -> None:
    """Raise when y is not (numerically) in the column space spanned by U."""
    yy = y.reshape(y.shape[0], -1)
    resid = yy - U @ (U.T @ yy)
    scale = max(float(np.linalg.norm(yy)), 1e-300)
    if np.linalg.norm(resid) > 1e-9 * scale + 1e-300:
        raise ValueError(
            f"{name} is not in the range of {what}: no exact interpolator exists "
            f"(relative distance to the range {np.linalg.norm(resid) / scale:.2e})"
        )
