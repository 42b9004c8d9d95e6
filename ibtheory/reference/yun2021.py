r"""Second routes for Yun, Krishnan & Mobahi (2021), independent of the functions they check.

Nothing here imports :mod:`ibtheory.papers.yun2021`, :mod:`ibtheory.models` or
:mod:`ibtheory.dynamics`; each function uses another algorithm than the code it
checks:

- :func:`g_inv_reference`: mpmath's Anderson-Bjorck bracketing root finder at
  40 digits on its own evaluation of :math:`g` (checks the float64 safeguarded
  Newton iteration :func:`ibtheory.papers.yun2021.g_inv`);
- :func:`conv_output_circulant`: a convolutional network's output through
  explicit circulant matrices (checks the data tensor and the FFT network);
- :func:`diagonal_flow_limit`: all :math:`L` layers of a diagonal network
  integrated by SciPy's DOP853 on a hand-written gradient until the residual is
  tiny (checks :func:`ibtheory.solvers.qnorm_interpolator` and the flows of
  :mod:`ibtheory.dynamics`).

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import numpy as np

__all__ = ["g_inv_reference", "conv_output_circulant", "diagonal_flow_limit"]


def _vec(v, name):
    a = np.asarray(v, dtype=float)
    if a.ndim != 1 or not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be a finite 1-D array")
    return a


def g_inv_reference(target, s, a0, b0, *, dps=40):
    r"""Solve :math:`g(\nu) = ` ``target`` with mpmath (Anderson-Bjorck) at ``dps`` digits.

    :math:`g(\nu) = \sum_j s_j\big(\tfrac{a_j^2+b_j^2}2\sinh(2s_j\nu) + a_jb_j\cosh(2s_j\nu)\big)`,
    increasing when every :math:`a_j^2 > b_j^2`. The bracket :math:`[-B, B]` is
    widened by doubling until it contains the root; :func:`mpmath.findroot`
    refines it. Returns an ``mpf``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.yun2021 import g_inv_reference
    >>> nu = g_inv_reference(1.0, np.array([2.]), np.array([1.]), np.array([0.5]))
    >>> round(float(nu), 15)   # g(0) = 2 * 1 * 0.5 = 1
    0.0

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    import mpmath as mp

    s, a0, b0 = _vec(s, "s"), _vec(a0, "a0"), _vec(b0, "b0")
    if not (s.shape == a0.shape == b0.shape):
        raise ValueError("s, a0, b0 must have the same shape")
    if not np.all(a0**2 > b0**2):
        raise ValueError("g_inv_reference needs a0_j^2 > b0_j^2 for every j (the initialization condition)")
    with mp.workdps(int(dps)):
        S, A, Bv = ([mp.mpf(float(t)) for t in arr] for arr in (s, a0, b0))
        tgt = mp.mpf(float(target))

        def g(nu):
            return mp.fsum(sj * ((aj**2 + bj**2) / 2 * mp.sinh(2 * sj * nu) + aj * bj * mp.cosh(2 * sj * nu))
                           for sj, aj, bj in zip(S, A, Bv))

        half = mp.mpf(1)
        while not (g(-half) <= tgt <= g(half)):
            half *= 2
        nu = mp.findroot(lambda t: g(t) - tgt, (-half, half), solver="anderson",
                         tol=mp.mpf(10) ** (-2 * int(dps) + 4), maxsteps=2000)
        return +nu


def conv_output_circulant(x, filters):
    r"""Output of a full-length circular convolutional network by explicit circulant matrices.

    :math:`h_0 = x`, :math:`h_{l} = C(w_l)^\top h_{l-1}` with
    :math:`[C(w)]_{ji} = w_{(j-i)\bmod d}`, i.e. :math:`[h_l]_i = \sum_j[h_{l-1}]_{(i+j)\bmod d}[w_l]_j`
    (the correlation :math:`\star` of the paper), and :math:`f = h_{L-1}^\top w_L`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.yun2021 import conv_output_circulant
    >>> conv_output_circulant(np.array([1., 2., 3., 4.]), [np.array([0., 1., 0., 0.]), np.eye(4)[0]])
    2.0

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    h = _vec(x, "x")
    d = h.size
    *hidden, last = [_vec(w, "filters") for w in filters]
    idx = (np.arange(d)[:, None] + np.arange(d)[None, :]) % d   # [i, j] -> (i + j) mod d
    for w in hidden:
        if w.size != d:
            raise ValueError(f"every filter must have length {d}")
        h = h[idx] @ w
    return float(h @ last)


def diagonal_flow_limit(X, y, L, alpha, wbar, *, residual=1e-11):
    r"""Square-loss gradient flow of an L-layer diagonal network, all layers, until :math:`\|X\beta-y\|\le` ``residual``.

    :math:`w_l(0) = \alpha\bar w` (:math:`l<L`), :math:`w_L(0) = 0`; the
    gradient :math:`\partial_{w_l} = \prod_{k\ne l}w_k\odot X^\top(X\beta - y)` is
    written here again; SciPy DOP853 (rtol 1e-12, atol 1e-14) with a terminal
    event. Returns :math:`\beta = \prod_l w_l` at the event.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.yun2021 import diagonal_flow_limit
    >>> b = diagonal_flow_limit(np.array([[1., 1.]]), np.array([1.]), 2, 1.0, np.ones(2))
    >>> np.round(b, 8)   # symmetric data: the two coordinates split the target
    array([0.5, 0.5])

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from scipy.integrate import solve_ivp

    X = np.asarray(X, dtype=float)
    y = _vec(y, "y")
    wbar = _vec(wbar, "wbar")
    if X.ndim != 2 or X.shape != (y.size, wbar.size):
        raise ValueError("X must have shape (len(y), len(wbar))")
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)) or L < 2:
        raise ValueError(f"L must be an integer >= 2, got {L!r}")
    d = X.shape[1]
    W0 = np.vstack([np.tile(alpha * wbar, (L - 1, 1)), np.zeros((1, d))])

    def rhs(t, v):
        W = v.reshape(L, d)
        g = X.T @ (X @ np.prod(W, axis=0) - y)
        return np.concatenate([-np.prod(np.delete(W, l, axis=0), axis=0) * g for l in range(L)])

    def converged(t, v):
        return np.linalg.norm(X @ np.prod(v.reshape(L, d), axis=0) - y) - residual

    converged.terminal = True
    sol = solve_ivp(rhs, (0, 1e7), W0.ravel(), method="DOP853", rtol=1e-12, atol=1e-14,
                    events=converged)
    if sol.status != 1:
        raise RuntimeError(f"diagonal_flow_limit: the flow did not reach residual {residual:g}")
    return np.prod(sol.y[:, -1].reshape(L, d), axis=0)
