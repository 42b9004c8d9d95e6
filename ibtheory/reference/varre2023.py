r"""Second routes for Varre et al. (2023), independent of the code they check.

Nothing here imports :mod:`ibtheory.dynamics`, :mod:`ibtheory.models`,
:mod:`ibtheory.solvers` or :mod:`ibtheory.papers.varre2023`: the flows are
integrated with SciPy (DOP853, LSODA) on hand-written right-hand sides, and the label
noise dynamics by a plain per-run loop.

- :func:`reduced_flow`: the width-free equation of :math:`\beta` alone,

  .. math::

      \dot\beta = X^\top R\,\beta^\top A^{-1}\beta + AX^\top R,\quad
      A = \gamma I + (\gamma^2 I + \beta\beta^\top)^{1/2},\quad R = Y - X\beta,

  from :math:`\beta(0) = 0` (it checks the engine's flow on :math:`(W_1, W_2)`
  at any width and any :math:`P`);
- :func:`two_layer_flow`: gradient flow of
  :math:`\tfrac12\|Y - XW_1W_2\|_F^2` on :math:`(W_1, W_2)` with SciPy's LSODA (it
  checks the log-det solver and the engine);
- :func:`label_noise_loop`: Euler-Maruyama of the label-noise SDE of one run,
  step by step with the noise drawn per step (it checks the batched fast path).

See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy.integrate import solve_ivp

__all__ = ["ReducedFlow", "reduced_flow", "TwoLayerFlow", "two_layer_flow", "label_noise_loop"]


def _matrix(a, name, ndim=2):
    arr = np.asarray(a, dtype=float) if not isinstance(a, np.ndarray) else a.astype(float)
    if arr.ndim == 1 and ndim == 2 and name == "Y":
        arr = arr[:, None]
    if arr.ndim != ndim or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a finite {ndim}-d array, got shape {arr.shape}")
    return arr


def _times(t_eval):
    t = np.asarray(t_eval, dtype=float).ravel()
    if t.size == 0 or not np.all(np.isfinite(t)) or t[0] < 0 or np.any(np.diff(t) <= 0):
        raise ValueError("t_eval must be a non-empty increasing array of finite times >= 0")
    return t


@dataclasses.dataclass(frozen=True)
class ReducedFlow:
    """The reduced flow at the requested times: ``beta`` (T, d, k), ``singular_values`` (T, d) of :math:`W_1 = A^{1/2}`."""

    t: np.ndarray
    beta: np.ndarray
    singular_values: np.ndarray


def reduced_flow(X, Y, gamma, t_eval, rtol=1e-13):
    r"""Integrate the reduced equation of :math:`\beta` (module docstring) with DOP853.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.varre2023 import reduced_flow
    >>> r = reduced_flow(np.eye(2), np.array([[1.0], [0.0]]), 0.5, [0.0, 50.0])
    >>> np.round(r.beta[-1, :, 0], 8)  # the interpolator X^+ Y
    array([1., 0.])

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    X, Y = _matrix(X, "X"), _matrix(Y, "Y")
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y must have {X.shape[0]} rows, got {Y.shape[0]}")
    if not (isinstance(gamma, (int, float)) and np.isfinite(gamma) and gamma > 0):
        raise ValueError(f"gamma must be a positive finite real, got {gamma!r}")
    t = _times(t_eval)
    d, k = X.shape[1], Y.shape[1]

    def gram(b):
        ev, V = np.linalg.eigh(b @ b.T)
        a = gamma + np.sqrt(gamma**2 + np.maximum(ev, 0.0))
        return (V * a) @ V.T, a

    def rhs(_, v):
        b = v.reshape(d, k)
        A, _a = gram(b)
        G = X.T @ (Y - X @ b)
        return (G @ (b.T @ np.linalg.solve(A, b)) + A @ G).ravel()

    sol = solve_ivp(rhs, (0.0, float(t[-1])), np.zeros(d * k), method="DOP853", t_eval=t,
                    rtol=rtol, atol=1e-14)
    if not sol.success:
        raise RuntimeError(f"reduced flow failed: {sol.message}")
    betas = sol.y.T.reshape(-1, d, k)
    svals = np.array([np.sqrt(np.sort(gram(b)[1])[::-1]) for b in betas])
    return ReducedFlow(t=sol.t, beta=betas, singular_values=svals)


@dataclasses.dataclass(frozen=True)
class TwoLayerFlow:
    """Final state of :func:`two_layer_flow`: ``W1``, ``W2``, the time and the final residual norm."""

    W1: np.ndarray
    W2: np.ndarray
    t_final: float
    residual: float


def two_layer_flow(X, Y, W1, W2, residual_tol=1e-11, t_max=1e5, rtol=1e-12):
    r"""Gradient flow :math:`\dot W_1 = X^\top RW_2^\top`, :math:`\dot W_2 = W_1^\top X^\top R` until :math:`\|R\|_F` = ``residual_tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.varre2023 import two_layer_flow
    >>> r = two_layer_flow(np.eye(2), np.array([[1.0], [2.0]]), np.eye(2), np.zeros((2, 1)))
    >>> bool(np.allclose(r.W1 @ r.W2, [[1.0], [2.0]], atol=1e-10))
    True

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    X, Y, W1, W2 = _matrix(X, "X"), _matrix(Y, "Y"), _matrix(W1, "W1"), _matrix(W2, "W2")
    n, d = X.shape
    if Y.shape[0] != n or W1.shape[0] != d or W2.shape[0] != W1.shape[1] or W2.shape[1] != Y.shape[1]:
        raise ValueError(f"shapes do not chain: X {X.shape}, Y {Y.shape}, W1 {W1.shape}, W2 {W2.shape}")
    l, k = W2.shape

    def split(v):
        return v[: d * l].reshape(d, l), v[d * l:].reshape(l, k)

    def rhs(_, v):
        A, B = split(v)
        R = Y - X @ A @ B
        return np.concatenate([(X.T @ R @ B.T).ravel(), (A.T @ X.T @ R).ravel()])

    def done(_, v):
        A, B = split(v)
        return np.linalg.norm(Y - X @ A @ B) - residual_tol

    done.terminal = True
    # LSODA switches to a stiff (BDF) method on the slow modes of ill-conditioned X, where an
    # explicit method needs ~1e6 steps to reach the residual
    sol = solve_ivp(rhs, (0.0, t_max), np.concatenate([W1.ravel(), W2.ravel()]), method="LSODA",
                    rtol=rtol, atol=1e-14, events=done)
    if sol.status != 1:
        raise RuntimeError(f"two_layer_flow did not reach the residual {residual_tol:g}: {sol.message}")
    A, B = split(sol.y[:, -1])
    return TwoLayerFlow(W1=A, W2=B, t_final=float(sol.t[-1]), residual=float(np.linalg.norm(Y - X @ A @ B)))


def label_noise_loop(X, Y, W1, W2, dt, n_steps, sigma, rng):
    r"""One run of Euler-Maruyama for the label-noise SDE of :math:`\tfrac12\|Y - XW_1W_2\|_F^2`.

    Each step draws :math:`\xi\sim\mathcal N(0, I_{n\times k})` from ``rng`` and sets
    :math:`G = XW_1W_2 - Y`, :math:`(W_1, W_2) \leftarrow (W_1 - \Delta t\,X^\top GW_2^\top
    + \sigma\sqrt{\Delta t}\,X^\top\xi W_2^\top,\ W_2 - \Delta t\,W_1^\top X^\top G
    + \sigma\sqrt{\Delta t}\,W_1^\top X^\top\xi)` (both with the old :math:`W_1, W_2`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.varre2023 import label_noise_loop
    >>> W1, W2 = label_noise_loop(np.eye(2), np.ones((2, 1)), np.eye(2), np.zeros((2, 1)), 0.1, 500,
    ...                           0.0, np.random.default_rng(np.random.SeedSequence(1)))
    >>> bool(np.allclose(W1 @ W2, 1.0))
    True

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    X, Y, W1, W2 = _matrix(X, "X"), _matrix(Y, "Y"), _matrix(W1, "W1").copy(), _matrix(W2, "W2").copy()
    sq = np.sqrt(dt)
    for _ in range(int(n_steps)):
        G = X @ W1 @ W2 - Y
        xi = rng.standard_normal((1,) + Y.shape)[0]
        g1, g2 = X.T @ G @ W2.T, W1.T @ X.T @ G
        e1, e2 = X.T @ xi @ W2.T, W1.T @ X.T @ xi
        W1, W2 = W1 - dt * g1 + sigma * sq * e1, W2 - dt * g2 + sigma * sq * e2
    return W1, W2
