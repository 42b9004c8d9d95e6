r"""A fast path of gradient descent for scalar-output chains of square layers.

For :math:`\beta^\top = u^\top Q_m\cdots Q_1` (``m`` square ``d x d`` layers and a
``1 x d`` head ``u``, trainable or fixed) and the mean squared error written with
its moments :math:`\Sigma = X^\top X/n`, :math:`c = X^\top y/n`,

.. math::

    R(\beta) = \beta^\top\Sigma\beta - 2c^\top\beta + \tfrac1n\|y\|^2,
    \qquad \nabla_\beta R = g = 2(\Sigma\beta - c),

the gradient is rank one per layer: with the co-states :math:`a_m = u`,
:math:`a_{k-1} = Q_k^\top a_k` and :math:`v_1 = g`, :math:`v_{k+1} = Q_kv_k`,
:math:`\partial R/\partial Q_k = a_kv_k^\top` and :math:`\partial R/\partial u = v_{m+1}`.
A step costs :math:`O(md^2)` per run, batched over runs (and data sets) in one
NumPy call, independent of ``n``. :func:`chain_gd` is the same iteration as
:func:`ibtheory.dynamics.gradient_descent` on
:class:`ibtheory.models.DeepLinear` ``([d]*(m+1) + [1])`` with ``loss="mean"``
(tested in ``tests/test_dynamics_chain.py``), and :func:`chain_sharpness` is
:func:`ibtheory.dynamics.sharpness` restricted to the trainable layers.

See the book chapter *Deep linear networks are implicitly regularized towards
flat minima* (``book/marion2024.md``).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import OptimizeResult

from .._contracts import Status
from ._sharpness import MAX_BUDGET
from .._validation import as_real_array, check_int, check_positive
from ._observe import quiet_overflow

__all__ = ["ChainGDResult", "chain_gd", "chain_sharpness"]

#: number of final iterates whose losses and step lengths are returned (period-2 detection)
TAIL = 4


class ChainGDResult(OptimizeResult):
    """Result of :func:`chain_gd` (one entry per run along the first axis).

    Attributes
    ----------
    layers, head : ndarray
        Final square layers ``(B, m, d, d)`` and head ``(B, d)`` (a fixed head is returned as given).
    beta : ndarray (B, d)
        End-to-end predictors.
    loss : ndarray (B,)
        Final loss (``nan`` for diverged runs).
    excess : ndarray (B,)
        :math:`(\\beta-\\pi)^\\top\\Sigma(\\beta-\\pi)` for the ``reference`` :math:`\\pi` (a minimizer),
        formed directly (no cancellation); ``nan`` if diverged or without reference.
    tail_loss : ndarray, shape (B, 4)
        Losses of the last ``TAIL`` iterates :math:`\\theta_{T-3},\\dots,\\theta_T`.
    step1, step2 : ndarray (B,)
        :math:`\\|\\theta_T-\\theta_{T-1}\\|` and :math:`\\|\\theta_T-\\theta_{T-2}\\|`
        (a period-2 orbit has ``step2 << step1``).
    param_norm : ndarray (B,)
        :math:`\\|\\theta_T\\|`.
    grad_norm : ndarray (B,)
        Gradient norm at the last step taken.
    diverged : ndarray of bool, diverged_at : ndarray of int
        Divergence flags and the first step whose loss was non-finite or above
        ``blowup * max(R_0, 1)`` (``-1`` if none); a diverged run is frozen at zero.
    status : ndarray of Status
        ``Status.DIVERGED`` or ``Status.MAX_ITER`` (the step budget is always used up).
    success : bool
        True when no run diverged; ``message`` counts them.
    """


def _chain_state(Q, u):
    """Co-states ``a[k]`` with ``a[m] = u`` and ``a[k-1] = Q_k^T a[k]``; ``a[0]`` is beta."""
    m = Q.shape[1]
    a = [None] * (m + 1)
    a[m] = u
    for k in range(m - 1, -1, -1):
        a[k] = (a[k + 1][:, None, :] @ Q[:, k])[:, 0, :]
    return a


def _moments(Sigma, c, B, d):
    Sigma = as_real_array(Sigma, "Sigma")
    c = as_real_array(c, "c")
    if Sigma.shape == (d, d):
        Sigma = np.broadcast_to(Sigma, (B, d, d))
    if c.shape == (d,):
        c = np.broadcast_to(c, (B, d))
    if Sigma.shape != (B, d, d) or c.shape != (B, d):
        raise ValueError(f"Sigma must have shape ({d}, {d}) or ({B}, {d}, {d}) and c ({d},) or ({B}, {d}); "
                         f"got {Sigma.shape} and {c.shape}")
    if not np.allclose(Sigma, np.swapaxes(Sigma, 1, 2)):
        raise ValueError("Sigma must be symmetric (a covariance X^T X / n)")
    return Sigma, c


@quiet_overflow
def chain_gd(layers, head, Sigma, c, lr, n_steps, *, y_sq=0.0, reference=None, train_head=True,
             blowup=1e10):
    r"""Batched gradient descent on the mean squared error of scalar-output chains.

    Parameters
    ----------
    layers : ndarray (B, m, d, d)
        Square layers :math:`Q_1,\dots,Q_m` of ``B`` runs (``m >= 0``).
    head : ndarray (B, d) or (d,)
        The head :math:`u`: trainable (``(B, d)``, with ``train_head``) or a fixed
        projection (``(d,)`` shared or ``(B, d)`` per run, ``train_head=False``: the
        authors' residual network).
    Sigma, c : ndarray
        Moments :math:`X^\top X/n` ``(d, d)`` and :math:`X^\top y/n` ``(d,)``, shared or one
        per run (``(B, d, d)``, ``(B, d)``).
    lr : float or ndarray (B,)
        Positive step sizes.
    n_steps : int
        Number of steps (>= 2 to measure the tail).
    y_sq : float
        :math:`\|y\|^2/n`, so that ``loss`` is the loss itself (float or ``(B,)``).
    reference : ndarray (d,) or (B, d), optional
        A minimizer :math:`\pi` (:math:`\Sigma\pi = c`); ``excess`` is then formed directly.
    blowup : float
        Divergence threshold on the loss, relative to ``max(R_0, 1)``.

    Returns
    -------
    ChainGDResult

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.dynamics import chain_gd
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((20, 3)); y = X @ np.array([1.0, 0.0, 0.0])
    >>> Sig, c = X.T @ X / 20, X.T @ y / 20
    >>> Q = np.broadcast_to(np.eye(3), (2, 2, 3, 3)).copy()
    >>> u = np.tile([0.5, 0.1, 0.1], (2, 1))
    >>> r = chain_gd(Q, u, Sig, c, [0.02, 5.0], 500, reference=np.linalg.solve(Sig, c))
    >>> bool(r.excess[0] < 1e-10), r.diverged.tolist()
    (True, [False, True])

    See the book chapter *Deep linear networks are implicitly regularized towards
    flat minima* (``book/marion2024.md``).
    """
    Q = as_real_array(layers, "layers").copy()
    if Q.ndim != 4 or Q.shape[2] != Q.shape[3] or Q.shape[0] == 0:
        raise ValueError(f"layers must have shape (B, m, d, d) with B >= 1, got {Q.shape}")
    B, m, d, _ = Q.shape
    u = as_real_array(head, "head").copy()
    if train_head and u.shape != (B, d):
        raise ValueError(f"head must have shape ({B}, {d}) for a trainable head, got {u.shape}")
    fixed_shape = u.shape
    if not train_head:
        if u.shape not in ((d,), (B, d)):
            raise ValueError(f"head must be a fixed projection of shape ({d},) or ({B}, {d}) when "
                             f"train_head=False, got {u.shape}")
        u = np.broadcast_to(u, (B, d))
    if not train_head and m == 0:
        raise ValueError("layers must hold at least one layer when the head is fixed")
    Sig, cc = _moments(Sigma, c, B, d)
    lr = as_real_array(lr, "lr")
    if lr.ndim > 1 or (lr.ndim == 1 and lr.shape[0] != B) or np.any(lr <= 0):
        raise ValueError(f"lr must be a positive step size or an array of {B} positive step sizes")
    lr = np.broadcast_to(lr, (B,)).astype(float)
    n_steps = check_int(n_steps, "n_steps", minimum=2, maximum=MAX_BUDGET)
    blowup = check_positive(blowup, "blowup")
    ysq = np.broadcast_to(as_real_array(y_sq, "y_sq"), (B,))
    ref = None
    if reference is not None:
        ref = as_real_array(reference, "reference")
        if ref.shape == (d,):
            ref = np.broadcast_to(ref, (B, d))
        if ref.shape != (B, d):
            raise ValueError(f"reference must have shape ({d},) or ({B}, {d}), got {ref.shape}")
    div_at = np.full(B, -1, dtype=np.int64)
    tail = np.full((B, TAIL), np.nan)
    prev = []  # the last two parameter vectors (for the step lengths)
    gsq = np.zeros(B)
    limit = None
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_steps + 1):
            a = _chain_state(Q, u)
            beta = a[0]
            Sb = (Sig @ beta[:, :, None])[:, :, 0]
            loss = (beta * (Sb - 2.0 * cc)).sum(1) + ysq
            if limit is None:
                limit = blowup * np.maximum(np.abs(loss), 1.0)
            bad = (div_at < 0) & ~(np.isfinite(loss) & (loss <= limit) & np.all(np.isfinite(beta), axis=1))
            if np.any(bad):
                div_at[bad] = t
                Q[bad] = 0.0
                if train_head:
                    u[bad] = 0.0
            if t >= n_steps + 1 - TAIL:
                tail[:, t - (n_steps + 1 - TAIL)] = np.where(div_at >= 0, np.nan, loss)
            if t >= n_steps - 2:
                theta = np.concatenate([Q.reshape(B, -1), u.reshape(B, -1) if train_head else np.zeros((B, 0))], 1)
                prev = (prev + [theta])[-3:]
            if t == n_steps:
                break
            g = 2.0 * (Sb - cc)
            g[div_at >= 0] = 0.0
            v = g
            gsq = np.zeros(B)
            for k in range(m):
                vn = (Q[:, k] @ v[:, :, None])[:, :, 0]
                ak = a[k + 1]
                # |a v^T|_F^2 = |a|^2 |v|^2 (the gradient of a layer is rank one)
                gsq += (ak * ak).sum(1) * (v * v).sum(1)
                Q[:, k] -= (lr[:, None] * ak)[:, :, None] * v[:, None, :]
                v = vn
            if train_head:
                gsq += (v * v).sum(1)
                u -= lr[:, None] * v
    a = _chain_state(Q, u)
    beta = a[0]
    dvg = div_at >= 0
    if ref is not None:
        e = beta - ref
        excess = np.where(dvg, np.nan, np.einsum("bi,bij,bj->b", e, Sig, e))
    else:
        excess = np.full(B, np.nan)
    th, th1, th2 = prev[-1], prev[-2], prev[-3]
    step1 = np.where(dvg, np.nan, np.linalg.norm(th - th1, axis=1))
    step2 = np.where(dvg, np.nan, np.linalg.norm(th - th2, axis=1))
    status = np.array([Status.DIVERGED if x else Status.MAX_ITER for x in dvg], dtype=object)
    return ChainGDResult(
        layers=Q, head=u if train_head or len(fixed_shape) == 2 else u[0], beta=beta, loss=tail[:, -1], excess=excess, tail_loss=tail,
        step1=step1, step2=step2, param_norm=np.linalg.norm(th, axis=1), grad_norm=np.sqrt(gsq),
        diverged=dvg, diverged_at=div_at, status=status, success=bool(not np.any(dvg)), nit=n_steps,
        message=f"{int(dvg.sum())} of {B} runs diverged; the others used the step budget")


def chain_sharpness(layers, head, X, y, *, train_head=True, iters=3000, tol=1e-9, seed=0):
    r"""Sharpness (largest Hessian eigenvalue over the trainable parameters) of chains, batched.

    Power iteration on the exact Hessian-vector products of
    :class:`ibtheory.models.DeepLinear` ``([d]*(m+1) + [1])`` with ``loss="mean"``
    (forward-over-backward, no finite differences). With a fixed head the
    iteration runs on the block of the trainable layers (zero head component in
    and out). A negative dominant eigenvalue triggers a shifted second pass.

    Parameters
    ----------
    layers : ndarray (B, m, d, d)
    head : ndarray (B, d) or (d,)
    X, y : array_like
        The data ``(n, d)``, ``(n,)`` shared by the runs.
    iters : int
        Power-iteration budget; ``tol`` the relative residual
        :math:`\|Hv-\lambda v\|\le\mathrm{tol}\,|\lambda|` that stops it.

    Returns
    -------
    OptimizeResult
        ``sharpness`` ``(B,)``, ``converged`` ``(B,)`` (residual met), ``success`` (all met).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.dynamics import chain_sharpness
    >>> X, y = np.eye(2) * np.sqrt(2), np.zeros(2)         # Sigma = I, minimizer pi = 0
    >>> Q = np.zeros((1, 1, 2, 2)); u = np.zeros((1, 2))     # a saddle: Hessian = 0 ...
    >>> r = chain_sharpness(Q, u, X, y)
    >>> float(abs(r.sharpness[0])) < 1e-12
    True

    See the book chapter *Deep linear networks are implicitly regularized towards
    flat minima* (``book/marion2024.md``).
    """
    from ..models import DeepLinear

    Q = as_real_array(layers, "layers")
    if Q.ndim != 4 or Q.shape[2] != Q.shape[3]:
        raise ValueError(f"layers must have shape (B, m, d, d), got {Q.shape}")
    B, m, d, _ = Q.shape
    u = as_real_array(head, "head")
    if u.shape != ((B, d) if train_head else (d,)):
        raise ValueError(f"head must have shape {(B, d) if train_head else (d,)}, got {u.shape}")
    iters = check_int(iters, "iters", minimum=1)
    tol = check_positive(tol, "tol")
    net = DeepLinear([d] * (m + 1) + [1])
    hd = u[:, None, :] if train_head else np.broadcast_to(u, (B, 1, d)).copy()
    params = tuple(Q[:, k] for k in range(m)) + (hd,)
    n_par = net.n_params - (0 if train_head else d)

    def H(v):
        full = v if train_head else np.concatenate([v, np.zeros((B, d))], axis=1)
        out = net.flatten(net.hvp(params, X, y, net.unflatten(full), loss="mean"))
        return out if train_head else out[:, :n_par]

    def power(v, shift):
        # each run stops at its own convergence (frozen there): no dependence on the batch
        lam = np.zeros(B)
        conv = np.zeros(B, dtype=bool)
        for _ in range(iters):
            active = ~conv
            w = H(v) - shift[:, None] * v
            lam_new = np.sum(v * w, axis=1)
            res = np.linalg.norm(w - lam_new[:, None] * v, axis=1)
            nrm = np.linalg.norm(w, axis=1)
            now = (res <= tol * np.maximum(np.abs(lam_new), 1e-300)) | (nrm == 0)
            lam = np.where(active, lam_new, lam)
            step = active & (nrm > 0)
            v = np.where(step[:, None], w / np.where(nrm > 0, nrm, 1.0)[:, None], v)
            conv = conv | (active & now)
            if np.all(conv):
                break
        return lam + shift, v, conv

    # the same start for every run (a function of seed and size only), so that a run's
    # result does not depend on its position in the batch or on the batch size
    base = np.random.default_rng(np.random.SeedSequence(seed)).standard_normal(n_par)
    v = np.tile(base / np.linalg.norm(base), (B, 1))
    lam, v, conv = power(v, np.zeros(B))
    neg = lam < 0
    if np.any(neg):
        lam2, _, conv2 = power(v, np.where(neg, lam, 0.0))
        lam, conv = np.where(neg, lam2, lam), np.where(neg, conv2, conv)
    return OptimizeResult(sharpness=lam, converged=conv, success=bool(np.all(conv)),
                          message=f"{int(conv.sum())} of {B} power iterations met tol={tol:g}")
