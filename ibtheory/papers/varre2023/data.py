r"""Random instances of Varre et al. (2023): a linear teacher and a two-ReLU teacher.

Every draw comes from ``numpy.random.default_rng(seed)`` where ``seed`` is an int
or a :class:`numpy.random.SeedSequence` (the experiments pass a child of the
run's ``SeedSequence``), so an instance depends on its own seed only.

See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._validation import check_int

__all__ = ["LinearTeacher", "linear_teacher", "ReLUTeacher", "relu_teacher"]


def _rng(seed):
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer, np.random.SeedSequence)):
        raise TypeError(f"seed must be an int or a numpy.random.SeedSequence, got {type(seed).__name__}")
    if not isinstance(seed, np.random.SeedSequence) and seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return np.random.default_rng(seed)


@dataclasses.dataclass(frozen=True)
class LinearTeacher:
    """Gaussian inputs ``X`` (n, d), teacher ``U`` (d, k) and labels ``Y = X U`` (n, k)."""

    X: np.ndarray
    Y: np.ndarray
    U: np.ndarray


def linear_teacher(n, d, k=1, seed=0):
    r"""Inputs :math:`x_i\sim\mathcal N(0, I_d)`, teacher :math:`U_*` with i.i.d. standard entries, :math:`Y = XU_*`.

    Examples
    --------
    >>> from ibtheory.papers.varre2023 import linear_teacher
    >>> data = linear_teacher(4, 6, 2, seed=0)
    >>> data.X.shape, data.Y.shape, data.U.shape
    ((4, 6), (4, 2), (6, 2))

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    n, d, k = check_int(n, "n", 1), check_int(d, "d", 1), check_int(k, "k", 1)
    rng = _rng(seed)
    X = rng.standard_normal((n, d))
    U = rng.standard_normal((d, k))
    return LinearTeacher(X=X, Y=X @ U, U=U)


@dataclasses.dataclass(frozen=True)
class ReLUTeacher:
    """Inputs ``X`` (n, d), labels ``y`` (n,), orthonormal teacher directions ``u``, ``v`` (d,)."""

    X: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray

    def labels(self, X):
        """:math:`[u^\\top x]_+ + [v^\\top x]_+` for the rows of ``X``."""
        return np.maximum(X @ self.u, 0.0) + np.maximum(X @ self.v, 0.0)


def relu_teacher(n=100, d=5, seed=0):
    r"""Inputs :math:`x_i\sim\mathcal N(0, I_d)`, labels :math:`[u^\top x_i]_+ + [v^\top x_i]_+`, :math:`u\perp v` unit.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.varre2023 import relu_teacher
    >>> t = relu_teacher(50, 4, seed=2)
    >>> bool(abs(t.u @ t.v) < 1e-14), bool(np.allclose(t.y, t.labels(t.X)))
    (True, True)

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    n, d = check_int(n, "n", 1), check_int(d, "d", 2)
    rng = _rng(seed)
    X = rng.standard_normal((n, d))
    Q = np.linalg.qr(rng.standard_normal((d, 2)))[0]
    u, v = Q[:, 0].copy(), Q[:, 1].copy()
    return ReLUTeacher(X=X, y=np.maximum(X @ u, 0.0) + np.maximum(X @ v, 0.0), u=u, v=v)
