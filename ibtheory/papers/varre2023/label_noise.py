r"""Batched Euler-Maruyama for label-noise gradient descent on two-layer linear networks.

The label-noise SDE of Varre et al. (2023) (LNGD), for the half-sum loss
:math:`\tfrac12\|Y - XW_1W_2\|_F^2`, discretized with step :math:`\Delta t`:

.. math::

    H_j = \Delta t\,(XW_1W_2 - Y) - \sigma\sqrt{\Delta t}\,\xi_j,\qquad
    W_1 \leftarrow W_1 - X^\top H_jW_2^\top,\qquad W_2 \leftarrow W_2 - W_1^\top X^\top H_j

(both updates with the old :math:`W_1, W_2`), :math:`\xi_j\sim\mathcal N(0, I_{n\times k})`.
It is :func:`ibtheory.dynamics.label_noise_sde` with ``loss="half_sum"``, written for a
batch whose runs draw their noise from *their own* generators, so that a run does not
depend on the runs it is batched with (the determinism contract of
:mod:`ibtheory.papers`); runs may share a noise stream (``stream`` index), e.g. the
noise levels of one seed. The tests check it against ``label_noise_sde`` and against
:func:`ibtheory.reference.varre2023.label_noise_loop` on the same streams.

See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Status
from ..._validation import as_real_array, check_int, check_positive

__all__ = ["LabelNoisePaths", "label_noise_paths"]


@dataclasses.dataclass(frozen=True)
class LabelNoisePaths:
    """Final parameters ``W1`` (B, d, l), ``W2`` (B, l, k); ``t`` (T,); ``loss`` and ``effective_rank`` (B, T); ``status`` (B,)."""

    W1: np.ndarray
    W2: np.ndarray
    t: np.ndarray
    loss: np.ndarray
    effective_rank: np.ndarray
    status: np.ndarray


def _effective_rank(W):
    s = np.linalg.svd(W, compute_uv=False)
    return np.sum(s, axis=-1) ** 2 / np.sum(s**2, axis=-1)


def label_noise_paths(X, Y, W1, W2, dt, n_steps, sigmas, rngs, stream=None, record_every=1):
    r"""Run ``B`` label-noise paths; run ``b`` uses noise level ``sigmas[b]`` and generator ``rngs[stream[b]]``.

    Parameters
    ----------
    X : array_like (n, d); Y : array_like (n, k)
    W1, W2 : array_like (B, d, l) and (B, l, k)
        Initial parameters.
    dt : float
        Step :math:`\Delta t > 0`.
    n_steps, record_every : int
    sigmas : array_like (B,)
        Noise levels :math:`\sigma \ge 0`.
    rngs : sequence of numpy.random.Generator
        One per noise stream; stream ``j`` draws ``(record_every, n, k)`` blocks in order.
    stream : array_like of int (B,), optional
        The stream of each run (default: run ``b`` uses stream ``b``).

    Returns
    -------
    LabelNoisePaths
        A run whose state becomes non-finite is frozen at its last finite iterate and
        reported with status ``overflow``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.varre2023 import label_noise_paths
    >>> X, Y = np.eye(2), np.ones((2, 1))
    >>> W1, W2 = np.stack([np.eye(2)] * 2), np.zeros((2, 2, 1))
    >>> rngs = [np.random.default_rng(np.random.SeedSequence(0))]
    >>> p = label_noise_paths(X, Y, W1, W2, 0.1, 400, [0.0, 0.0], rngs, stream=[0, 0], record_every=100)
    >>> bool(np.allclose(p.W1 @ p.W2, 1.0)), p.loss.shape, [str(s) for s in p.status]
    (True, (2, 5), ['success', 'success'])

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    X, Y = as_real_array(X, "X"), as_real_array(Y, "Y")
    if Y.ndim == 1:
        Y = Y[:, None]
    if X.ndim != 2 or Y.ndim != 2 or Y.shape[0] != X.shape[0]:
        raise ValueError(f"X must be (n, d) and Y (n, k) with the same n, got {X.shape} and {Y.shape}")
    W1, W2 = as_real_array(W1, "W1").copy(), as_real_array(W2, "W2").copy()
    if W1.ndim != 3 or W2.ndim != 3 or W1.shape[0] != W2.shape[0] or W1.shape[1] != X.shape[1] \
            or W1.shape[2] != W2.shape[1] or W2.shape[2] != Y.shape[1]:
        raise ValueError(f"W1 must be (B, d, l) and W2 (B, l, k), got {W1.shape} and {W2.shape}")
    B = W1.shape[0]
    dt = check_positive(dt, "dt")
    n_steps = check_int(n_steps, "n_steps", 0)
    every = check_int(record_every, "record_every", 1)
    sig = as_real_array(sigmas, "sigmas").ravel()
    if sig.shape != (B,) or np.any(sig < 0):
        raise ValueError(f"sigmas must hold {B} reals >= 0, got {sigmas!r}")
    rngs = list(rngs)
    if not rngs or not all(isinstance(r, np.random.Generator) for r in rngs):
        raise TypeError("rngs must be a non-empty sequence of numpy.random.Generator")
    idx = np.arange(B) if stream is None else np.asarray(stream)
    if idx.shape != (B,) or idx.dtype.kind not in "iu" or np.any(idx < 0) or np.any(idx >= len(rngs)):
        raise ValueError(f"stream must hold {B} integers in [0, {len(rngs)}), got {stream!r}")
    n, k = Y.shape
    noise_scale = (sig * np.sqrt(dt))[:, None, None]
    ok = np.ones(B, bool)

    def observe():
        R = X @ W1 @ W2 - Y
        return 0.5 * np.sum(R**2, axis=(1, 2)), _effective_rank(W1)

    losses, ranks, ts = [], [], []
    l0, r0 = observe()
    losses.append(l0), ranks.append(r0), ts.append(0.0)
    done = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while done < n_steps:
            m = min(every, n_steps - done)
            xi = np.stack([rng.standard_normal((m, n, k)) for rng in rngs])[idx]  # (B, m, n, k)
            for j in range(m):
                H = dt * (X @ W1 @ W2 - Y) - noise_scale * xi[:, j]
                XtH = X.T @ H
                N1 = W1 - XtH @ np.swapaxes(W2, 1, 2)
                N2 = W2 - np.swapaxes(W1, 1, 2) @ XtH
                good = np.isfinite(N1).all(axis=(1, 2)) & np.isfinite(N2).all(axis=(1, 2)) & ok
                ok &= good
                W1 = np.where(good[:, None, None], N1, W1)
                W2 = np.where(good[:, None, None], N2, W2)
            done += m
            lo, er = observe()
            losses.append(lo), ranks.append(er), ts.append(done * dt)
    status = np.array([Status.SUCCESS if o else Status.OVERFLOW for o in ok])
    return LabelNoisePaths(W1=W1, W2=W2, t=np.array(ts), loss=np.stack(losses, 1),
                           effective_rank=np.stack(ranks, 1), status=status)
