r"""Spectral measures of a first layer :math:`W_1` (batched over leading axes).

See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
"""
from __future__ import annotations

import numpy as np

from ..._validation import as_real_array, check_int, check_positive

__all__ = ["numerical_rank", "effective_rank", "energy_fraction", "neuron_alignment", "range_leak"]


def numerical_rank(svals, tau=0.1):
    r"""Number of singular values :math:`\ge \tau\,\sigma_1` (last axis).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.varre2023 import numerical_rank
    >>> int(numerical_rank(np.array([1.0, 0.2, 0.05]), 0.1))
    2

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    s = as_real_array(svals, "svals")
    tau = check_positive(tau, "tau")
    return np.sum(s >= tau * np.max(s, axis=-1, keepdims=True), axis=-1)


def effective_rank(W):
    r"""Participation ratio :math:`(\sum_i\sigma_i)^2/\sum_i\sigma_i^2` of the singular values of ``W`` (batched).

    It is ``min(W.shape)`` for equal singular values and 1 for a rank-one matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.varre2023 import effective_rank
    >>> float(effective_rank(np.eye(3))), float(effective_rank(np.outer([1, 2], [3, 4, 5])))
    (3.0, 1.0)

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    W = as_real_array(W, "W")
    if W.ndim < 2:
        raise ValueError(f"W must have at least 2 dimensions, got shape {W.shape}")
    s = np.linalg.svd(W, compute_uv=False)
    return np.sum(s, axis=-1) ** 2 / np.sum(s**2, axis=-1)


def energy_fraction(svals, k):
    r"""Share :math:`\sum_{i\le k}\sigma_i^2/\sum_i\sigma_i^2` of :math:`\|W\|_F^2` in the top ``k`` values.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.varre2023 import energy_fraction
    >>> float(energy_fraction(np.array([3.0, 4.0]), 1))
    0.64

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    s = np.sort(as_real_array(svals, "svals"), axis=-1)[..., ::-1]
    k = check_int(k, "k", 1)
    return np.sum(s[..., :k] ** 2, axis=-1) / np.sum(s**2, axis=-1)


def neuron_alignment(W1, direction):
    r"""Share of :math:`\|W_1\|_F^2` along ``direction`` and mean :math:`|\cos|` of the neurons with it.

    The neurons are the ``l`` columns of :math:`W_1\in\mathbb R^{d\times l}`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.varre2023 import neuron_alignment
    >>> neuron_alignment(np.eye(2), [1.0, 0.0])  # neurons e1, e2
    (0.5, 0.5)

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    W1 = as_real_array(W1, "W1")
    u = as_real_array(direction, "direction").ravel()
    if W1.ndim != 2 or u.size != W1.shape[0] or not np.any(u):
        raise ValueError(f"W1 must be (d, l) and direction a non-zero (d,) vector, got {W1.shape}, {u.shape}")
    u = u / np.linalg.norm(u)
    proj = u @ W1
    nrm = np.linalg.norm(W1, axis=0)
    return float(np.sum(proj**2) / np.sum(W1**2)), float(np.mean(np.abs(proj) / nrm))


def range_leak(X, betas):
    r"""Relative norm of the part of each :math:`\beta(t)` outside :math:`\operatorname{range}(X^\top)` (0 by the theory).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.varre2023 import range_leak
    >>> range_leak(np.array([[1.0, 0.0, 0.0]]), np.array([[[2.0], [0.0], [0.0]], [[0.0], [1.0], [1.0]]]))
    array([0., 1.])

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    X = as_real_array(X, "X")
    B = as_real_array(betas, "betas")
    if X.ndim != 2 or X.size == 0:
        raise ValueError(f"X must be a non-empty (n, d) array, got shape {X.shape}")
    if B.ndim not in (2, 3) or B.shape[1] != X.shape[1]:
        raise ValueError(f"betas must be (T, d) or (T, d, k) with d = {X.shape[-1]}, got {B.shape}")
    B = B.reshape(B.shape[0], X.shape[1], -1)
    _, s, Vt = np.linalg.svd(X, full_matrices=False)
    V = Vt[s > s[0] * max(X.shape) * np.finfo(float).eps].T
    out = B - V @ (V.T @ B)
    nb = np.linalg.norm(B, axis=(1, 2))
    return np.linalg.norm(out, axis=(1, 2)) / np.where(nb > 0, nb, 1.0)
