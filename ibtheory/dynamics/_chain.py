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
A step costs :math:`O(md^2)` per run, independent of ``n``. The runs are stored with
the run index as the last (contiguous) axis, ``Q`` as ``(m, d, d, B)``, so that each
product :math:`Q_k^\top a_k`, :math:`Q_kv_k` and each rank-one update is one vectorized
``einsum`` over every run; a run that diverges or reaches its own step budget leaves the
batch, and large batches are cut into chunks whose layers fit the cache
(``CHUNK_BYTES``). Runs are independent: a run's iterates do not depend on the runs it
is batched with (up to rounding). :func:`chain_gd` is the same iteration as
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
        Gradient norm at the last step taken (``nan`` for diverged runs).
    diverged : ndarray of bool, diverged_at : ndarray of int
        Divergence flags and the first step whose loss was non-finite or above
        ``blowup * max(R_0, 1)`` (``-1`` if none); a diverged run is frozen at zero.
    status : ndarray of Status
        ``Status.DIVERGED`` or ``Status.MAX_ITER`` (the step budget is always used up).
    nit : int or ndarray (B,)
        The step budget (one per run when they differ).
    success : bool
        True when no run diverged; ``message`` counts them.
    """


def _moments(Sigma, c, B, d):
    """Moments with the batch axis last: ``Sigma`` ``(d, d)`` or ``(d, d, B)``, ``c`` ``(d, 1)`` or ``(d, B)``."""
    Sigma = as_real_array(Sigma, "Sigma")
    c = as_real_array(c, "c")
    if Sigma.shape not in ((d, d), (B, d, d)) or c.shape not in ((d,), (B, d)):
        raise ValueError(f"Sigma must have shape ({d}, {d}) or ({B}, {d}, {d}) and c ({d},) or ({B}, {d}); "
                         f"got {Sigma.shape} and {c.shape}")
    if not np.allclose(Sigma, np.swapaxes(Sigma, -1, -2)):
        raise ValueError("Sigma must be symmetric (a covariance X^T X / n)")
    Sig = Sigma if Sigma.ndim == 2 else np.ascontiguousarray(np.moveaxis(Sigma, 0, -1))
    cc = c[:, None] if c.ndim == 1 else np.ascontiguousarray(c.T)
    return Sig, cc


def _as_steps(n_steps, B):
    """``n_steps`` as an int array ``(B,)`` (one integer, or one per run), each in ``[2, MAX_BUDGET]``."""
    if np.ndim(n_steps) == 0:
        return np.full(B, check_int(n_steps, "n_steps", minimum=2, maximum=MAX_BUDGET), dtype=np.int64)
    arr = np.asarray(n_steps, dtype=object)
    if arr.shape != (B,):
        raise ValueError(f"n_steps must be an integer or an array of {B} integers, got shape {arr.shape}")
    return np.array([check_int(v, "n_steps entry", minimum=2, maximum=MAX_BUDGET) for v in arr], dtype=np.int64)


class _Batch:
    """The live runs of :func:`chain_gd`, batch axis last (``Q`` is ``(m, d, d, b)``), compacted as runs end.

    ``per_run`` names the arrays whose last axis is the run; the others (a shared fixed head,
    shared moments) are left alone by :meth:`keep`.
    """

    def __init__(self, per_run, **arrays):
        self.per_run = tuple(per_run)
        self.__dict__.update(arrays)
        self._work()

    def _work(self):
        m, d, _, b = self.Q.shape
        self.A = np.empty((m + 1, d, b))  # co-states a_0 = beta, ..., a_m = head
        self.Sb = np.empty((d, b))
        self._scratch()

    def _scratch(self):
        d, b = self.Sb.shape
        self.v, self.vn, self.la = (np.empty((d, b)) for _ in range(3))
        self.T = np.empty((d, d, b))

    def keep(self, mask):
        """Drop the runs where ``mask`` is False (the co-states of the last :meth:`forward` are kept)."""
        for name in self.per_run + ("A", "Sb"):
            setattr(self, name, np.ascontiguousarray(getattr(self, name)[..., mask]))
        self._scratch()

    def forward(self):
        """Co-states :math:`a_{k-1} = Q_k^\\top a_k` (``A[0]`` is beta); returns the loss of every run."""
        Q, A = self.Q, self.A
        m = Q.shape[0]
        A[m] = self.u if self.u.ndim == 2 else self.u[:, None]
        for k in range(m - 1, -1, -1):
            np.einsum("ijb,ib->jb", Q[k], A[k + 1], out=A[k])
        if self.Sig.ndim == 2:
            np.matmul(self.Sig, A[0], out=self.Sb)
        else:
            np.einsum("ijb,jb->ib", self.Sig, A[0], out=self.Sb)
        np.subtract(self.Sb, 2.0 * self.c, out=self.v)
        return np.einsum("ib,ib->b", A[0], self.v) + self.ysq

    def step(self, train_head, want_gsq=False):
        """One gradient step from the co-states of :meth:`forward`, in place (and the squared gradient norm)."""
        Q, A, lr = self.Q, self.A, self.lr
        v, vn = self.v, self.vn
        np.subtract(self.Sb, self.c, out=v)
        v *= 2.0                                      # v_1 = grad_beta R = 2 (Sigma beta - c)
        gsq = np.zeros(v.shape[1]) if want_gsq else None
        for k in range(Q.shape[0]):
            np.einsum("ijb,jb->ib", Q[k], v, out=vn)  # v_{k+1} = Q_k v_k with the old layer
            if want_gsq:                              # |a v^T|_F^2 = |a|^2 |v|^2 (rank one)
                gsq += np.einsum("ib,ib->b", A[k + 1], A[k + 1]) * np.einsum("ib,ib->b", v, v)
            np.multiply(A[k + 1], lr, out=self.la)
            np.einsum("ib,jb->ijb", self.la, v, out=self.T)
            np.subtract(Q[k], self.T, out=Q[k])       # Q_k -= lr a_k v_k^T
            v, vn = vn, v
        if train_head:
            if want_gsq:
                gsq += np.einsum("ib,ib->b", v, v)
            self.u -= lr * v
        self.v, self.vn = v, vn
        return gsq

    def theta(self, train_head):
        """The trainable parameters, one column per run."""
        b = self.Q.shape[-1]
        return np.concatenate([self.Q.reshape(-1, b)] + ([self.u] if train_head else []), 0)


def _gd_chunk(Q, u, Sig, cc, lr, ysq, steps, train_head, blowup):
    """:func:`chain_gd` on one chunk of runs (inputs validated, moments batch-last); returns the per-run outputs."""
    B, m, d, _ = Q.shape
    n_par = m * d * d + (d if train_head else 0)
    per_run = ["idx", "Q", "lr", "ysq", "steps", "limit", "gsq", "prev1", "prev2"]
    per_run += ["u"] if u.ndim == 2 else []
    per_run += ["Sig"] if Sig.ndim == 3 else []
    per_run += ["c"] if cc.shape[1] > 1 else []
    run = _Batch(per_run, idx=np.arange(B), Q=np.ascontiguousarray(np.moveaxis(Q, 0, -1)),
                 u=np.ascontiguousarray(u.T) if u.ndim == 2 else u.copy(), Sig=Sig, c=cc, lr=lr.copy(), ysq=ysq,
                 steps=steps, limit=np.zeros(B), gsq=np.full(B, np.nan), prev1=np.zeros((n_par, B)),
                 prev2=np.zeros((n_par, B)))
    out_Q = np.zeros((B, m, d, d))
    out_u = np.zeros((B, d)) if train_head else None
    beta = np.zeros((B, d))
    tail = np.full((B, TAIL), np.nan)
    step1, step2, gnorm = (np.full(B, np.nan) for _ in range(3))
    pnorm = np.zeros(B)                               # a diverged run is frozen at theta = 0
    div_at = np.full(B, -1, dtype=np.int64)
    t, T = 0, int(steps.min())
    while True:
        loss = run.forward()                          # loss of theta_t
        if t == 0:
            run.limit = blowup * np.maximum(np.abs(loss), 1.0)
        bad = ~(loss <= run.limit)                    # non-finite or above the threshold
        if bad.any():                                 # leaves the batch (reported frozen at zero)
            div_at[run.idx[bad]] = t
            run.keep(~bad)
            loss = loss[~bad]
            if not run.idx.size:
                break
            T = int(run.steps.min())
        if t >= T + 1 - TAIL:                         # some run is in its last TAIL iterates
            col = t - run.steps + TAIL - 1
            w = col >= 0
            tail[run.idx[w], col[w]] = loss[w]
            for prev, lag in ((run.prev2, 2), (run.prev1, 1)):
                w = run.steps - lag == t
                if w.any():
                    prev[:, w] = run.theta(train_head)[:, w]
            if t == T:
                done = run.steps == T
                i = run.idx[done]
                out_Q[i] = np.moveaxis(run.Q[..., done], -1, 0)
                if train_head:
                    out_u[i] = run.u[:, done].T
                beta[i] = run.A[0][:, done].T
                th = run.theta(train_head)[:, done]
                step1[i] = np.linalg.norm(th - run.prev1[:, done], axis=0)
                step2[i] = np.linalg.norm(th - run.prev2[:, done], axis=0)
                pnorm[i] = np.linalg.norm(th, axis=0)
                gnorm[i] = np.sqrt(run.gsq[done])
                run.keep(~done)
                if not run.idx.size:
                    break
                T = int(run.steps.min())
        last = (run.steps - 1 == t) if t >= T - 1 else None   # the gradient norm of each run's last step
        gsq = run.step(train_head, want_gsq=last is not None and bool(last.any()))
        if gsq is not None:
            run.gsq[last] = gsq[last]
        t += 1
    return dict(layers=out_Q, head=out_u, beta=beta, tail_loss=tail, step1=step1, step2=step2, param_norm=pnorm,
                grad_norm=gnorm, diverged_at=div_at)


#: bytes of layer state per chunk of runs: chunks that fit the L2 cache (the batch is split above this)
CHUNK_BYTES = 2 ** 21


@quiet_overflow
def chain_gd(layers, head, Sigma, c, lr, n_steps, *, y_sq=0.0, reference=None, train_head=True,
             blowup=1e10):
    r"""Batched gradient descent on the mean squared error of scalar-output chains.

    The runs are stored with the batch axis last, so that every operation of a step
    is one vectorized NumPy call over all runs (:math:`O(md^2)` per run). A run that
    diverges, or reaches its own step budget, leaves the batch (no further work).

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
    n_steps : int or ndarray (B,) of int
        Number of steps (>= 2 to measure the tail), shared or one per run.
    y_sq : float
        :math:`\|y\|^2/n`, so that ``loss`` is the loss itself (float or ``(B,)``).
    reference : ndarray (d,) or (B, d), optional
        A minimizer :math:`\pi` (:math:`\Sigma\pi = c`); ``excess`` is then formed directly.
    blowup : float
        Divergence threshold on the loss, relative to ``max(R_0, 1)``; the loss of every
        iterate :math:`\theta_0,\dots,\theta_T` is checked.

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
    Q = as_real_array(layers, "layers")
    if Q.ndim != 4 or Q.shape[2] != Q.shape[3] or Q.shape[0] == 0:
        raise ValueError(f"layers must have shape (B, m, d, d) with B >= 1, got {Q.shape}")
    B, m, d, _ = Q.shape
    u = as_real_array(head, "head")
    if train_head and u.shape != (B, d):
        raise ValueError(f"head must have shape ({B}, {d}) for a trainable head, got {u.shape}")
    if not train_head:
        if u.shape not in ((d,), (B, d)):
            raise ValueError(f"head must be a fixed projection of shape ({d},) or ({B}, {d}) when "
                             f"train_head=False, got {u.shape}")
        if m == 0:
            raise ValueError("layers must hold at least one layer when the head is fixed")
    Sig, cc = _moments(Sigma, c, B, d)
    lr = as_real_array(lr, "lr")
    if lr.ndim > 1 or (lr.ndim == 1 and lr.shape[0] != B) or np.any(lr <= 0):
        raise ValueError(f"lr must be a positive step size or an array of {B} positive step sizes")
    steps = _as_steps(n_steps, B)
    blowup = check_positive(blowup, "blowup")
    ysq = np.broadcast_to(as_real_array(y_sq, "y_sq"), (B,)).copy()
    ref = None
    if reference is not None:
        ref = as_real_array(reference, "reference")
        if ref.shape == (d,):
            ref = np.broadcast_to(ref, (B, d))
        if ref.shape != (B, d):
            raise ValueError(f"reference must have shape ({d},) or ({B}, {d}), got {ref.shape}")

    # chunks of runs whose layers fit the cache, longest budgets first (runs are independent)
    order = np.argsort(-steps, kind="stable")
    size = max(16, CHUNK_BYTES // (8 * max(m, 1) * d * d))
    lr = np.broadcast_to(lr, (B,)).astype(float)
    res = {}
    for lo in range(0, B, size):
        i = order[lo:lo + size]
        part = _gd_chunk(Q[i], u[i] if u.ndim == 2 else u, Sig if Sig.ndim == 2 else Sig[..., i],
                         cc[:, i] if cc.shape[1] > 1 else cc, lr[i], ysq[i], steps[i], train_head, blowup)
        for k, v in part.items():
            if v is not None:
                res.setdefault(k, np.empty((B,) + v.shape[1:], dtype=v.dtype))[i] = v
    out_u = res["head"] if train_head else u.copy()
    beta, tail, div_at = res["beta"], res["tail_loss"], res["diverged_at"]
    dvg = div_at >= 0
    if ref is not None:
        e = beta - ref
        SigB = Sigma if np.ndim(Sigma) == 3 else np.broadcast_to(Sigma, (B, d, d))
        excess = np.where(dvg, np.nan, np.einsum("bi,bij,bj->b", e, SigB, e))
    else:
        excess = np.full(B, np.nan)
    status = np.array([Status.DIVERGED if x else Status.MAX_ITER for x in dvg], dtype=object)
    return ChainGDResult(
        layers=res["layers"], head=out_u, beta=beta, loss=tail[:, -1], excess=excess, tail_loss=tail,
        step1=res["step1"], step2=res["step2"], param_norm=res["param_norm"], grad_norm=res["grad_norm"],
        diverged=dvg, diverged_at=div_at, status=status, success=bool(not np.any(dvg)), nit=int(steps[0]) if np.all(steps == steps[0]) else steps,
        message=f"{int(dvg.sum())} of {B} runs diverged; the others used their step budget")


def _hvp(Q, u, A, V, Sig, dQ, du):
    r"""Hessian-vector products of the chain loss, batch axis last (forward-mode of the backward pass).

    With the co-states ``A`` and backward states ``V`` of the point (``V[0]`` the gradient in
    :math:`\beta`, ``V[k+1] = Q_k V[k]``), the tangents are :math:`\dot a_{k} = \dot Q_{k+1}^\top a_{k+1}
    + Q_{k+1}^\top\dot a_{k+1}`, :math:`\dot v_0 = 2\Sigma\dot a_0`, :math:`\dot v_{k+1} = \dot Q_k v_k + Q_k\dot v_k`,
    and the product is :math:`(\dot a_{k+1}v_k^\top + a_{k+1}\dot v_k^\top)_k` and :math:`\dot v_m` for the head.
    """
    m, d, _, b = Q.shape
    dA = np.empty((m + 1, d, b))
    dA[m] = 0.0 if du is None else du
    for k in range(m - 1, -1, -1):
        dA[k] = np.einsum("ijb,ib->jb", dQ[k], A[k + 1]) + np.einsum("ijb,ib->jb", Q[k], dA[k + 1])
    dv = 2.0 * (Sig @ dA[0])
    HQ = np.empty_like(dQ)
    for k in range(m):
        np.einsum("ib,jb->ijb", dA[k + 1], V[k], out=HQ[k])
        HQ[k] += np.einsum("ib,jb->ijb", A[k + 1], dv)
        dv = np.einsum("ijb,jb->ib", dQ[k], V[k]) + np.einsum("ijb,jb->ib", Q[k], dv)
    return HQ, (dv if du is not None else None)


def chain_sharpness(layers, head, X, y, *, train_head=True, iters=3000, tol=1e-9, seed=0):
    r"""Sharpness (largest Hessian eigenvalue over the trainable parameters) of chains, batched.

    Power iteration on exact Hessian-vector products of the mean squared error of
    :class:`ibtheory.models.DeepLinear` ``([d]*(m+1) + [1])`` (``loss="mean"``), formed
    analytically in :math:`O(md^2)` per run (forward mode of the backward pass of
    :func:`chain_gd`, no finite differences). With a fixed head the iteration runs on the
    block of the trainable layers. A negative dominant eigenvalue triggers a shifted second
    pass. Every run starts from the same vector and stops at its own convergence, so its
    result does not depend on the batch.

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
    Q = as_real_array(layers, "layers")
    if Q.ndim != 4 or Q.shape[2] != Q.shape[3]:
        raise ValueError(f"layers must have shape (B, m, d, d), got {Q.shape}")
    B, m, d, _ = Q.shape
    u = as_real_array(head, "head")
    if u.shape != ((B, d) if train_head else (d,)):
        raise ValueError(f"head must have shape {(B, d) if train_head else (d,)}, got {u.shape}")
    X = as_real_array(X, "X")
    y = as_real_array(y, "y")
    if X.ndim != 2 or X.shape[1] != d or y.shape != (X.shape[0],):
        raise ValueError(f"X must have shape (n, {d}) and y (n,), got {X.shape} and {y.shape}")
    iters = check_int(iters, "iters", minimum=1, maximum=MAX_BUDGET)
    tol = check_positive(tol, "tol")
    n = X.shape[0]
    Sig, c = X.T @ X / n, X.T @ y / n
    Qt = np.ascontiguousarray(np.moveaxis(Q, 0, -1))
    ut = np.ascontiguousarray(u.T) if train_head else np.broadcast_to(u[:, None], (d, B))
    A = np.empty((m + 1, d, B))
    A[m] = ut
    for k in range(m - 1, -1, -1):
        A[k] = np.einsum("ijb,ib->jb", Qt[k], A[k + 1])
    V = np.empty((m + 1, d, B))
    V[0] = 2.0 * (Sig @ A[0] - c[:, None])
    for k in range(m):
        V[k + 1] = np.einsum("ijb,jb->ib", Qt[k], V[k])
    nq = m * d * d
    n_par = nq + (d if train_head else 0)

    def H(vec, idx):
        dQ = vec[:nq].reshape(m, d, d, -1)
        HQ, Hu = _hvp(Qt[..., idx], ut[:, idx], A[..., idx], V[..., idx], Sig, dQ, vec[nq:] if train_head else None)
        return np.concatenate([HQ.reshape(nq, -1)] + ([Hu] if train_head else []), 0)

    def power(v, shift, idx):
        # each run leaves the batch at its own convergence (frozen there): no dependence on the batch
        lam = np.zeros(B)
        conv = np.zeros(B, dtype=bool)
        for _ in range(iters):
            if not idx.size:
                break
            vi = v[:, idx]
            w = H(vi, idx) - shift[idx] * vi
            lam_new = np.sum(vi * w, axis=0)
            res = np.linalg.norm(w - lam_new * vi, axis=0)
            nrm = np.linalg.norm(w, axis=0)
            now = (res <= tol * np.maximum(np.abs(lam_new), 1e-300)) | (nrm == 0)
            lam[idx] = lam_new
            step = nrm > 0
            v[:, idx[step]] = w[:, step] / nrm[step]
            conv[idx[now]] = True
            idx = idx[~now]
        return lam + shift, v, conv

    # the same start for every run (a function of seed and size only), in the parameter order of
    # DeepLinear.flatten (layers row-major, then the head): moved to the batch-last layout
    base = np.random.default_rng(np.random.SeedSequence(seed)).standard_normal(n_par)
    base /= np.linalg.norm(base)
    v = np.repeat(base[:, None], B, axis=1)           # row r of v is entry r of DeepLinear.flatten
    lam, v, conv = power(v, np.zeros(B), np.arange(B))
    neg = lam < 0
    if np.any(neg):                                   # shifted pass on the runs with a negative dominant eigenvalue
        lam2, _, conv2 = power(v, np.where(neg, lam, 0.0), np.flatnonzero(neg))
        lam, conv = np.where(neg, lam2, lam), np.where(neg, conv2, conv)
    return OptimizeResult(sharpness=lam, converged=conv, success=bool(np.all(conv)),
                          message=f"{int(conv.sum())} of {B} power iterations met tol={tol:g}")
