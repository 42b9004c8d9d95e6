"""Sharpness: the largest Hessian eigenvalue, by power iteration on exact HVPs.

The Hessian-vector products come from the model's forward-over-backward
formulas (:meth:`ibtheory.models.Model.hvp`), so no finite differences are
involved; :func:`hessian` assembles the dense Hessian of small nets from the
same products, and the tests check both against a SymPy Hessian.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_int

#: Largest step, iteration or record budget accepted (a budget of 1e300 is a typo that
#: would run forever, not a request).
MAX_BUDGET = 10 ** 9
from ..models._base import check_loss, check_model


def _hvp_flat(model, P, X, Y, v, loss):
    return model._flatten_b(model._hvp(P, X, Y, model._unflatten_b(v), loss))


def _norm_rows(a):
    """Row norms without overflow of the squares (values up to the float64 maximum)."""
    big = np.max(np.abs(a), axis=1)
    safe = np.where(big > 0, big, 1.0)
    return big * np.linalg.norm(a / safe[:, None], axis=1)


def _power(model, P, X, Y, loss, v, shift, iters, tol):
    """Batched power iteration on H - shift*I; returns (eigenvalue of H, vector, converged).

    Each run stops at its own convergence (its eigenvalue and vector are frozen there), so
    a run's result does not depend on which other runs share the batch.
    """
    B = P[0].shape[0]
    lam = np.zeros(B)
    conv = np.zeros(B, dtype=bool)
    for _ in range(iters):
        active = ~conv
        w = _hvp_flat(model, P, X, Y, v, loss) - shift[:, None] * v
        lam_new = np.sum(v * w, axis=1)
        res = _norm_rows(w - lam_new[:, None] * v)
        nrm = _norm_rows(w)
        scale = np.maximum(np.abs(lam_new), np.abs(shift))
        now = res <= tol * np.where(scale > 0, scale, 1.0)
        lam = np.where(active, lam_new, lam)
        step = active & (nrm > 0)
        v = np.where(step[:, None], w / np.where(nrm > 0, nrm, 1.0)[:, None], v)
        conv = conv | (active & now)
        if np.all(conv):
            break
    return lam + shift, v, conv


def sharpness_batched(model, P, X, Y, loss="half_sum", v0=None, iters=500, tol=1e-8, seed=0):
    """Largest Hessian eigenvalue of every run of batched parameters ``P`` (internal API).

    Returns ``(lam, v, converged)``; ``v`` is the eigenvector estimate, reusable as
    ``v0`` to warm-start the next call along a trajectory.
    """
    B = P[0].shape[0]
    if v0 is None:
        # the same start for every run (seed and size only): a run's sharpness does not
        # depend on its position in the batch or on the batch size
        v0 = np.tile(np.random.default_rng(seed).standard_normal(model.n_params), (B, 1))
    v = v0 / np.linalg.norm(v0, axis=1, keepdims=True)
    lam, v, conv = _power(model, P, X, Y, loss, v, np.zeros(B), iters, tol)
    # Power iteration finds the eigenvalue of largest modulus; if it is negative the
    # largest (algebraic) eigenvalue is found by iterating on H - lam*I >= 0 shifted.
    neg = lam < 0
    if np.any(neg):
        v2 = np.tile(np.random.default_rng(seed + 1).standard_normal(model.n_params), (B, 1))
        v2 /= np.linalg.norm(v2, axis=1, keepdims=True)
        lam2, v2, conv2 = _power(model, P, X, Y, loss, v2, np.where(neg, lam, 0.0), iters, tol)
        lam = np.where(neg, lam2, lam)
        v = np.where(neg[:, None], v2, v)
        conv = np.where(neg, conv2, conv)
    return lam, v, conv


def sharpness(model, params, X, y, loss="half_sum", iters=500, tol=1e-8, seed=0):
    """Largest eigenvalue of the Hessian of the loss (the sharpness), by power iteration.

    Parameters
    ----------
    model : ibtheory.models.Model
    params : tuple of ndarray
        One run or a batch (leading axis).
    X, y : array_like
        Data and labels.
    loss : str
        Loss convention.
    iters : int
        Maximum power iterations (per pass; a second shifted pass runs when the
        eigenvalue of largest modulus is negative).
    tol : float
        Stop when :math:`\\|Hv - \\lambda v\\| \\le` ``tol`` :math:`|\\lambda|`.

    Returns
    -------
    lam : float or ndarray
        The sharpness (per run if batched).
    converged : bool or ndarray
        Whether the residual tolerance was met (``False`` means ``lam`` is
        only a lower bound of the largest eigenvalue's modulus estimate).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import DeepLinear, gaussian_init
    >>> from ibtheory.dynamics import hessian, sharpness
    >>> net = DeepLinear([3, 3, 1]); rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((10, 3)), rng.standard_normal(10)
    >>> params = gaussian_init(net, seed=1)
    >>> lam, ok = sharpness(net, params, X, y)
    >>> bool(ok), bool(abs(lam - np.linalg.eigvalsh(hessian(net, params, X, y))[-1]) < 1e-6 * lam)
    (True, True)

    See the book chapters *Gradient flow and its conservation laws* (``book/dynamics.md``) and *Deep linear networks are implicitly regularized towards flat minima* (``book/marion2024.md``).
    """
    check_model(model)
    check_loss(loss)
    P, batched = model._check_params(params)
    X, Y = model.check_data(X, y, loss, require_y=True)
    B = P[0].shape[0]
    if Y.shape[0] not in (1, B):
        raise ValueError(f"y has a batch axis of {Y.shape[0]} runs but params have {B}: give params "
                         f"the same batch axis (or y none)")
    iters = check_int(iters, "iters", minimum=1, maximum=MAX_BUDGET)
    if isinstance(tol, (bool, np.bool_)) or not (isinstance(tol, numbers.Real) and 0 < tol < 1):
        raise ValueError(f"tol must be a real in (0, 1), got {tol!r}")
    seed = check_int(seed, "seed", minimum=0)
    with np.errstate(over="ignore", invalid="ignore"):
        lam, _, conv = sharpness_batched(model, P, X, Y, loss, iters=iters, tol=float(tol), seed=seed)
    if not np.all(np.isfinite(lam)):
        raise ValueError("params, X or y: the Hessian-vector products are not finite in float64 (the "
                         "values are too large for this loss); the sharpness is undefined there")
    return (lam, conv) if batched else (float(lam[0]), bool(conv[0]))


def hessian(model, params, X, y, loss="half_sum"):
    """Dense Hessian of the loss in the flattened parameters (small nets only).

    Column ``j`` is the exact Hessian-vector product with the ``j``-th basis
    vector; the order of the parameters is that of ``model.flatten``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Diagonal
    >>> from ibtheory.dynamics import hessian
    >>> # loss (u v - 1)^2 / 2: Hessian [[v^2, 2uv - 1], [2uv - 1, u^2]] at (u, v) = (2, 3)
    >>> hessian(Diagonal(d=1, L=2), (np.array([2.0]), np.array([3.0])), [[1.0]], [1.0])
    array([[ 9., 11.],
           [11.,  4.]])

    See the book chapter *Deep linear networks are implicitly regularized towards flat minima* (``book/marion2024.md``).
    """
    check_model(model)
    check_loss(loss)
    P, batched = model._check_params(params)
    if batched:
        raise ValueError("params: hessian takes one run (no batch axis)")
    X, Y = model.check_data(X, y, loss, require_y=True)
    if Y.shape[0] != 1:
        raise ValueError(f"y must be one label vector (no batch axis) for hessian, got {Y.shape[0]} runs")
    n = model.n_params
    if n > 5000:
        raise ValueError(f"model: hessian is for small nets (n_params <= 5000), got {n}; use sharpness")
    with np.errstate(over="ignore", invalid="ignore"):
        H = _hvp_flat(model, tuple(np.broadcast_to(p, (n,) + p.shape[1:]) for p in P), X, Y, np.eye(n), loss)
    if not np.all(np.isfinite(H)):
        raise ValueError("params, X or y: the Hessian is not finite in float64 (the values are too "
                         "large for this loss)")
    return 0.5 * (H + H.T)
