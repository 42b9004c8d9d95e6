r"""Fast full-batch gradient descent for many two-layer ReLU networks at once (anti-symmetric initialization).

Jin & Montufar train networks :math:`f(x)=\sum_i a_i[w_i^\top x+b_i]_+ + c` that start from an
*anti-symmetric initialization* (every neuron duplicated with opposite output weights, so
:math:`f\equiv0` at the start) on a handful of points, at widths from 10 to 10,240 and for
tens of thousands of steps. Networks of *different widths* advance together, each stopping on its
own rule, by plain gradient descent on the problem's loss,
:math:`\theta_{t+1} = \theta_t - \eta\,D\,\nabla\mathcal L(\theta_t)`,
with :math:`D` = ``output_lr_scale`` on the output weights and 1 elsewhere (1/2 is gradient
descent in the parameters of the paper's anti-symmetric parametrization, where the output
weights are :math:`\pm\frac{\sqrt2}{2}V_i` with :math:`V_i` trained; 1 is
:func:`ibtheory.dynamics.gradient_descent` on :class:`ibtheory.models.TwoLayerReLU`). On :math:`M`
points a neuron's step is linear in :math:`(w,b,a)` while its activation pattern on the data holds,
so the default engine steps one :math:`(d+2)^2` moment per (network, pattern) instead of every
neuron (:func:`asi_gradient_descent`, ``method``); output-layer-only training is linear least
squares, solved along GD's path in closed form.

See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .._contracts import Status
from .._validation import as_real_array, check_int, check_positive
from ._problem import Problem
from ._observe import quiet_overflow

__all__ = ["ASIRun", "asi_gradient_descent", "relu_jacobian"]

_STOPS, _METHODS = ("loss_change", "residual"), ("pattern", "dense", "spectral")
#: pattern engine: most steps between explicit maps of the neurons; networks of at most _SMALL neurons go one by one
_CHUNK, _SMALL = 1024, 64


def _check_params(P, k):
    if not isinstance(P, (tuple, list)) or len(P) != 4:
        raise ValueError(f"params[{k}] must be a tuple (W1, b1, W2, b2) of a TwoLayerReLU with biases")
    W, b, a, c = (as_real_array(p, f"params[{k}]") for p in P)
    if W.ndim != 2 or W.shape[0] == 0 or b.shape != (W.shape[0],) or a.shape != (W.shape[0],) or c.size != 1:
        raise ValueError(f"params[{k}] must have shapes (m, d), (m,), (m,), () with width m >= 1, got "
                         f"{W.shape}, {b.shape}, {a.shape}, {c.shape}")
    return W, b, a, float(c.reshape(()))


def relu_jacobian(params, X, output_lr_scale=1.0, train="all"):
    r"""Rows :math:`\nabla_\theta f(x_j)` of a two-layer ReLU network, scaled by the square root of the step scales.

    Columns are ``(W1 (row-major), b1, W2, b2)``; the output-weight columns carry
    :math:`\sqrt{\texttt{output\_lr\_scale}}` and the hidden columns are 0 when
    ``train="output"``, so that :math:`JJ^\top` is the tangent kernel of the dynamics of
    :func:`asi_gradient_descent` (ReLU derivative :math:`H(0)=0`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.dynamics import relu_jacobian
    >>> from ibtheory.models import TwoLayerReLU, relu_init
    >>> relu_jacobian(relu_init(TwoLayerReLU(1, 4), "uniform", 1.0, 2.0), np.array([[0.0], [1.0]])).shape
    (2, 13)
    """
    W, b, a, _ = _check_params(params, 0)
    X = as_real_array(X, "X")
    if X.ndim != 2 or X.shape[1] != W.shape[1]:
        raise ValueError(f"X must have shape (M, {W.shape[1]}), got {X.shape}")
    output_lr_scale = check_positive(output_lr_scale, "output_lr_scale")
    if train not in ("all", "output"):
        raise ValueError(f"train must be 'all' or 'output', got {train!r}")
    Z = X @ W.T + b
    H = (Z > 0) * a                                     # (M, m)
    hid = 1.0 if train == "all" else 0.0
    JW = hid * (H[:, :, None] * X[:, None, :]).reshape(X.shape[0], -1)
    return np.concatenate([JW, hid * H, np.sqrt(output_lr_scale) * np.maximum(Z, 0.0),
                           np.ones((X.shape[0], 1))], axis=1)


@dataclasses.dataclass(frozen=True)
class ASIRun:
    """Result of :func:`asi_gradient_descent`, one entry per network.

    Attributes
    ----------
    neurons, params : ndarray of int, tuple of tuple
        Hidden neurons m and final ``(W1, b1, W2, b2)`` of each network.
    loss, gd_loss : ndarray
        Final loss (the problem's convention), after the Gauss-Newton tail if any; loss when GD stopped.
    nit, lr : ndarray
        Gradient-descent steps taken; step size of each network.
    polish_shift : ndarray
        Sup over ``polish_points`` of the change of the output made by the tail (0 without).
    status : tuple of Status
        ``SUCCESS`` (stopping rule met and, with a tail, residual below 1e-8 of the data
        scale), ``MAX_ITER``, or ``DIVERGED`` (non-finite loss).
    success : bool
    message : str
    """

    neurons: np.ndarray
    params: tuple
    loss: np.ndarray
    gd_loss: np.ndarray
    nit: np.ndarray
    lr: np.ndarray
    polish_shift: np.ndarray
    status: tuple
    success: bool
    message: str

    def __call__(self, k, T):
        """Output of network ``k`` on inputs ``T`` of shape (N, d)."""
        W, b, a, c = self.params[k]
        T = as_real_array(T, "T")
        if T.ndim != 2 or T.shape[1] != W.shape[1]:
            raise ValueError(f"T must have shape (N, {W.shape[1]}), got {T.shape}")
        return _forward(W, b, a, c, T)


def _forward(W, b, a, c, T):
    r"""Network output on T (N, d). For d = 1 the network is linear between its kinks :math:`-b_i/w_i`: the slope
    and intercept on each interval of the sorted points are cumulative sums, :math:`O((m+N)\log(m+N))`."""
    if W.shape[1] != 1 or T.shape[0] < 16:
        step = max(1, 2**22 // max(W.shape[0], 1))    # blocks keep (points x neurons) small
        return np.concatenate([np.maximum(T[i:i + step] @ W.T + b, 0.0) @ a
                               for i in range(0, T.shape[0], step)]) + c
    w, order = W[:, 0], np.argsort(T[:, 0])
    ts = T[order, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        kink = -b / w
    up, down, flat = w > 0, w < 0, (w == 0) & (b > 0)       # active right of, left of the kink; everywhere
    start = np.where(up, np.searchsorted(ts, kink, "right"), 0)
    stop = np.where(down, np.searchsorted(ts, kink, "left"), ts.size)
    on = up | down | flat
    steps = [np.bincount(start[on], v[on], ts.size + 1) - np.bincount(stop[on], v[on], ts.size + 1)
             for v in (a * w, a * b)]
    f = np.empty(ts.size)
    f[order] = np.cumsum(steps[0])[:-1] * ts + np.cumsum(steps[1])[:-1]
    return f + c


def _dL(problem, R):
    """dL/df per network for R of shape (M, nets); the loss per network."""
    if problem.loss == "mean":
        return (2.0 / problem.n) * R, np.mean(R * R, axis=0)
    return R, 0.5 * np.sum(R * R, axis=0)


def _finish_rule(stop, tol, pv, L, R):
    """Stopping rule of each network (loss change or largest residual) and non-finite losses."""
    crit = np.abs(pv - L) < tol if stop == "loss_change" else np.max(np.abs(R), axis=0) < tol
    return crit, ~np.isfinite(L)


def _run_arrays(B):
    """Per network: steps, loss at the GD stop, finished, diverged, previous loss."""
    return np.zeros(B, int), np.full(B, np.nan), np.zeros(B, bool), np.zeros(B, bool), np.full(B, np.inf)


def _dense_gd(problem, Y, nets, lr, s, hid, stop, tol, max_steps, check_every):
    """Reference engine: every neuron of every running network updated at every step, O(M n) per step."""
    X, B, state, step = problem.X, len(nets), [list(P) for P in nets], 0
    nit, gd_loss, finished, diverged, prev = _run_arrays(B)
    while step < max_steps and not np.all(finished | diverged):
        act = np.flatnonzero(~(finished | diverged))
        sizes = np.array([state[k][0].shape[0] for k in act])
        starts, seg = np.concatenate([[0], np.cumsum(sizes)[:-1]]), np.repeat(np.arange(act.size), sizes)
        Wt = np.concatenate([state[k][0] for k in act]).T.copy()     # (d, neurons)
        b, a = np.concatenate([state[k][1] for k in act]), np.concatenate([state[k][2] for k in act])
        c = np.array([state[k][3] for k in act])
        eta, pv, done = lr[act].copy(), prev[act].copy(), np.zeros(act.size, bool)
        for _ in range(min(check_every, max_steps - step)):
            Z = X @ Wt + b
            R = np.add.reduceat((phi := np.maximum(Z, 0.0)) * a, starts, axis=1) + (c - Y[:, act])  # (M, nets)
            G, L = _dL(problem, R)
            crit, bad = _finish_rule(stop, tol, pv, L, R)
            newly = ~done & (crit | bad)
            nit[act[newly]], gd_loss[act[newly]], finished[act[newly]] = step, L[newly], ~bad[newly]
            diverged[act[newly]] = bad[newly]
            done |= newly
            if done.all():
                break
            pv = np.where(done, pv, L)
            Ge = G * np.where(done, 0.0, eta)                 # step-scaled dL/df per network
            gz = (Z > 0) * (Gn := Ge[:, seg]) * a
            Wt, b, a = Wt - hid * (X.T @ gz), b - hid * gz.sum(0), a - s * np.einsum("mn,mn->n", phi, Gn)
            c, step = c - Ge.sum(0), step + 1
        for i, k in enumerate(act):
            sl = slice(starts[i], starts[i] + sizes[i])
            state[k], prev[k] = [Wt[:, sl].T.copy(), b[sl].copy(), a[sl].copy(), float(c[i])], pv[i]
    return state, nit, gd_loss, finished, diverged, step


def _groups(S, net, n_act):
    """Group of each neuron by (network, activation pattern on the data), every network with a group; the network
    and 0/1 pattern (M, groups) of each group and the first group of each network (groups sorted by network)."""
    M = S.shape[1]
    if M <= 40:
        key = (net.astype(np.int64) << M) | (S.astype(np.int64) @ (np.int64(1) << np.arange(M, dtype=np.int64)))
        uk, inv = np.unique(np.concatenate([key, np.arange(n_act, dtype=np.int64) << M]), return_inverse=True)
        gnet, pat = uk >> M, ((uk[None, :] >> np.arange(M)[:, None]) & 1).astype(float)
    else:
        rows = np.concatenate([np.column_stack([net, S]), np.column_stack([np.arange(n_act), np.zeros((n_act, M))])])
        uk, inv = np.unique(rows.astype(np.int64), axis=0, return_inverse=True)
        gnet, pat = uk[:, 0], uk[:, 1:].T.astype(float)
    return inv[:net.size], gnet, pat, np.flatnonzero(np.r_[True, gnet[1:] != gnet[:-1]])


def _mm(A, B):
    """``A @ B`` (also stacked along a last axis) as a sum of outer products in a fixed order: each entry's rounding
    is independent of the other rows and columns (a BLAS kernel's may not be), so a run does not depend on its batch."""
    out = A[:, 0, None] * B[0]
    for i in range(1, A.shape[1]):
        out = out + A[:, i, None] * B[i]
    return out


def _pattern_chunk(problem, E, K, eta, pv, c, Y, Ub, Ab, nb, Uf, Af, nf, n_act, h, s, stop, tol):
    r"""K steps of the networks in ``n_act`` (labels ``Y``, (M, n_act)): bulk neurons through their groups' moments,
    fringe neurons one by one.

    For a neuron :math:`z=(u,a)`, :math:`u=(w,b)`, of activation pattern :math:`S` the step is linear,
    :math:`z\leftarrow M_S z`, :math:`M_S=\begin{pmatrix}I&-hp\\-sp^\top&1\end{pmatrix}`, :math:`p=E^\top(S\odot g)`,
    so a group carries :math:`C=\sum zz^\top\leftarrow MCM^\top` (its output on the data is
    :math:`S\odot Ec_{ua}`) and the product :math:`T=\prod M`. A neuron's pre-activation at :math:`x_j` drifts by
    :math:`-h\sum_t(e_j^\top p_t)\,a(t)`, :math:`a(t)=T_a(t)z`, at most :math:`D^a_j|a|+D^u_j\|u\|` with
    :math:`D^a_j=h\sum_t|e_j^\top p_t||T_{aa}(t)|`, :math:`D^u_j=h\sum_t|e_j^\top p_t|\|T_{au}(t)\|`."""
    M, k = E.shape
    gi, gnet, Sg, gstart = _groups(_mm(Ub, E.T) > 0, nb, n_act)
    ng = gnet.size
    z = np.column_stack([Ub, Ab])
    C = np.stack([np.bincount(gi, z[:, i] * z[:, j], ng) for i in range(k + 1) for j in range(k + 1)]).reshape(
        k + 1, k + 1, ng)                                             # sum z z^T per group
    T, Mt = np.eye(k + 1)[:, :, None] * np.ones(ng), np.eye(k + 1)[:, :, None] * np.ones(ng)
    Da, Du, Dn = np.zeros((M, ng)), np.zeros((M, ng)), np.zeros((M, n_act))
    Uf = np.concatenate([Uf, np.zeros((n_act, k))])       # one zero neuron per network (stays 0): reduceat
    Af, nf = np.concatenate([Af, np.zeros(n_act)]), np.concatenate([nf, np.arange(n_act)])
    order = np.argsort(nf, kind="stable")
    Uf, Af, nf, ET = Uf[order].T.copy(), Af[order], nf[order], E.T.copy()      # fringe as (k, neurons)
    fstart = np.flatnonzero(np.r_[True, nf[1:] != nf[:-1]])
    done, fin, nit, gdl = np.zeros(n_act, bool), np.zeros(n_act, bool), np.zeros(n_act, int), np.full(n_act, np.nan)
    t = 0
    while True:
        Zf = _mm(E, Uf)                                                 # (M, fringe)
        F = np.add.reduceat(Sg * _mm(E, C[:k, k]), gstart, axis=1) + np.add.reduceat(
            np.maximum(Zf, 0.0) * Af, fstart, axis=1)                   # (M, networks)
        R = F + (c - Y)
        G, L = _dL(problem, R)
        crit, bad = _finish_rule(stop, tol, pv, L, R)
        newly = ~done & (crit | bad)
        nit[newly], gdl[newly], fin[newly] = t, L[newly], ~bad[newly]
        done |= newly
        if done.all() or t == K:
            ga, gu = np.maximum.reduceat(Da, gstart, axis=1).T, np.maximum.reduceat(Du, gstart, axis=1).T
            return dict(t=t, done=done, fin=fin, nit=nit, gd_loss=gdl, pv=pv, c=c, Da=Da, Du=Du, gi=gi, Tu=T[:k],
                        Ta=T[k], Uf=Uf.T[np.argsort(order)[:order.size - n_act]],
                        Af=Af[np.argsort(order)[:order.size - n_act]],
                        rate_a=np.maximum(ga, 0.5 * _mm(np.abs(E @ E.T), Dn).T) / max(t, 1), rate_u=gu / max(t, 1) ** 2)
        pv = np.where(done, pv, L)
        Ge = G * np.where(done, 0.0, eta)
        P = _mm(ET, Sg * Ge[:, gnet])                                   # (k, groups)
        Dn += np.abs(Ge)                           # |E E^T| Dn >= sum_t |e_j.p_t| for every pattern
        Mt[:k, k], Mt[k, :k] = -h * P, -s * P                           # the step matrix of each group
        if h:
            eP = np.abs(_mm(E, P))
            Da += eP * np.abs(T[k, k])
            Du += eP * np.sqrt(np.sum(T[k, :k] * T[k, :k], 0))
        C, T = _mm(_mm(Mt, C), Mt.transpose(1, 0, 2)), _mm(Mt, T)       # C <- M C M^T, T <- M T (per group)
        Gf = Ge[:, nf]
        gz = (Zf > 0) * Gf * Af
        Uf, Af = Uf - h * _mm(ET, gz), Af - s * np.sum(np.maximum(Zf, 0.0) * Gf, 0)
        c = c - Ge.sum(0)
        t += 1


def _pattern_gd(problem, Y, nets, lr, s, hid, stop, tol, max_steps, check_every):
    """Engine of :func:`asi_gradient_descent` with ``method="pattern"`` (see there). The chunk lengths are fixed
    and every choice (fringe, rerun) is made per network, so a network's run does not depend on its batch."""
    (M, d), B = problem.X.shape, len(nets)
    E, sizes = np.column_stack([problem.X, np.ones(M)]), np.array([W.shape[0] for W, *_ in nets])
    owner, ends = np.repeat(np.arange(B), sizes), np.cumsum(sizes)
    U = np.concatenate([np.column_stack([W, b]) for W, b, _, _ in nets])
    A, c = np.concatenate([a for _, _, a, _ in nets]), np.array([P[3] for P in nets], float)
    nit, gd_loss, finished, diverged, prev = _run_arrays(B)
    rate_a, rate_u = np.zeros((B, M)), np.zeros((B, M))   # pre-activation drift per unit |a| (step), ||u|| (step^2)
    forced = sizes[owner] <= _SMALL                          # small networks: every neuron one by one
    step, K = 0, 8
    while step < max_steps and not np.all(finished | diverged):
        act, local = np.flatnonzero(~(finished | diverged)), np.full(B, -1)
        local[act] = np.arange(act.size)
        idx, K = np.flatnonzero(local[owner] >= 0), min(K, max_steps - step)
        pre = _mm(U[idx], E.T)
        au, uu, o = np.abs(A[idx]), np.sqrt(np.sum(U[idx] ** 2, 1)), owner[idx]
        al, be, ap = rate_a[o] * au[:, None], rate_u[o] * uu[:, None], np.abs(pre)
        with np.errstate(divide="ignore", invalid="ignore"):   # a drift twice the last chunk's reaches a kink
            fr = forced[idx] | np.any(2.0 * K * (al + K * be) >= ap, 1)
        ib, jf = idx[~fr], idx[fr]
        out = _pattern_chunk(problem, E, K, lr[act], prev[act], c[act], Y[:, act], U[ib], A[ib], local[owner[ib]],
                             U[jf], A[jf], local[owner[jf]], act.size, hid, s, stop, tol)
        gi = out["gi"]
        lost = out["done"] & ~out["fin"]                                 # diverged: exactness moot
        bound = out["Da"][:, gi].T * au[~fr, None] + out["Du"][:, gi].T * uu[~fr, None]
        safe = lost[local[owner[ib]]] | np.all(ap[~fr] > bound, axis=1)
        if not safe.all():                  # a bulk neuron may have changed pattern: rerun with it in the fringe
            forced[ib[~safe]] = True
            continue
        z = np.column_stack([U[ib], A[ib]])
        U[ib] = sum(out["Tu"][:, j, gi].T * z[:, j, None] for j in range(d + 2))
        A[ib] = sum(out["Ta"][j, gi] * z[:, j] for j in range(d + 2))
        U[jf], A[jf] = out["Uf"], out["Af"]
        c[act], prev[act], rate_a[act], rate_u[act] = out["c"], out["pv"], out["rate_a"], out["rate_u"]
        dn, new = out["done"], act[out["done"]]
        nit[new], gd_loss[new], finished[new], diverged[new] = step + out["nit"][dn], out["gd_loss"][dn], \
            out["fin"][dn], ~out["fin"][dn]
        step, K = step + out["t"], min(4 * K, _CHUNK)
    state = [[U[e - m:e, :d].copy(), U[e - m:e, d].copy(), A[e - m:e].copy(), float(c[k])]
             for k, (m, e) in enumerate(zip(sizes, ends))]
    return state, nit, gd_loss, finished, diverged, step


def _spectral_gd(problem, Y, nets, lr, s, hid, stop, tol, max_steps, check_every):
    r"""Output layer only: gradient descent's iterate at its stopping step, in closed form.

    With the hidden layer frozen, :math:`r_t=f_t(X)-y` obeys :math:`r_{t+1}=(I-A)r_t`,
    :math:`A=\eta\kappa'(s\Phi\Phi^\top+\mathbf 1\mathbf 1^\top)=Q\,\mathrm{diag}(\mu)Q^\top` (:math:`\kappa'=2/M` or 1),
    so :math:`r_t=Q(1-\mu)^tQ^\top r_0`, the loss at every step is a sum of :math:`M` geometric terms (the
    stopping step is found by scanning them) and :math:`a_t=a_0-\eta\kappa's\Phi^\top\sum_{\tau<t}r_\tau`,
    :math:`\sum_{\tau<t}r_\tau=Q\,\frac{1-(1-\mu)^t}{\mu}Q^\top r_0`: :math:`O(Mn)` per network."""
    X, M = problem.X, problem.n
    kp, lw = (2.0 / M, 1.0 / M) if problem.loss == "mean" else (1.0, 0.5)
    B = len(nets)
    state, nit, gd_loss, finished = [], np.zeros(B, int), np.full(B, np.nan), np.zeros(B, bool)
    for k, (W, b, a, c) in enumerate(nets):
        mu, Q = np.linalg.eigh(lr[k] * kp * (s * ((Phi := np.maximum(X @ W.T + b, 0.0)) @ Phi.T) + 1.0))
        mu, t_end = np.clip(mu, 0.0, None), max_steps
        q = Q.T @ (Phi @ a + c - Y[:, k])
        for t0 in range(0, max_steps + 1, 4096):
            t = np.arange(t0, min(t0 + 4096, max_steps + 1))
            dec = np.power((1.0 - mu)[:, None], t[None])                 # (M, steps)
            L = lw * np.sum((dec * q[:, None]) ** 2, 0)
            if stop == "loss_change":
                pv = lw * np.sum((np.power((1.0 - mu)[:, None], np.maximum(t - 1, 0)[None]) * q[:, None]) ** 2, 0)
                crit = np.abs(np.where(t == 0, np.inf, pv) - L) < tol
            else:
                crit = np.max(np.abs(Q @ (dec * q[:, None])), 0) < tol
            if crit.any():
                t_end, finished[k] = int(t[np.argmax(crit)]), True
                break
        with np.errstate(divide="ignore", invalid="ignore"):   # (1 - (1 - mu)^t) / mu, accurate for small mu
            sig = np.where(mu < 0.5, -np.expm1(t_end * np.log1p(-np.minimum(mu, 0.5))) / mu,
                           (1.0 - np.power(1.0 - mu, t_end)) / mu)
        rsum = Q @ (np.where(mu == 0.0, float(t_end), sig) * q)
        nit[k], gd_loss[k] = t_end, lw * np.sum((np.power(1.0 - mu, t_end) * q) ** 2)
        state.append([W, b, a - lr[k] * kp * s * (Phi.T @ rsum), float(c - lr[k] * kp * rsum.sum())])
    return state, nit, gd_loss, finished, np.zeros(B, bool), int(nit.max())


@quiet_overflow
def asi_gradient_descent(problem, params, *, lr_factor=1.0, output_lr_scale=1.0, train="all",
                         stop="loss_change", tol=1e-9, max_steps=200_000, check_every=50, polish=False,
                         polish_points=None, polish_steps=5, method="pattern", labels=None):
    r"""Gradient descent on many two-layer ReLU networks (anti-symmetric initialization), all in one step.

    Each network's step is :math:`\eta = \texttt{lr\_factor}\cdot\kappa/\lambda_{\max}` with
    :math:`\lambda_{\max}` the top eigenvalue of its tangent kernel :math:`JDJ^\top` at the start
    (:func:`relu_jacobian`) and :math:`\kappa = M/2` for ``loss="mean"``
    (:math:`\tfrac1M\sum r^2`, the paper's mean squared error), 1 for ``"half_sum"``: the stiffest mode of the linearized
    dynamics contracts by :math:`1-\texttt{lr\_factor}`. A network stops when its loss changes by
    less than ``tol`` in one step (``stop="loss_change"``, the rule of Jin & Montufar's code) or
    when its largest residual is below ``tol`` (``"residual"``), or after ``max_steps``.
    With ``polish=True`` the remaining residual is removed by Gauss-Newton steps
    :math:`\theta\leftarrow\theta-D^{1/2}(JD^{1/2})^+r`, the limit of gradient descent on the network
    linearized at the stopping point; its effect on the output over ``polish_points`` is reported.

    Parameters
    ----------
    problem : Problem
        Data ``X`` (M, d), ``y`` (M,) (unused with ``labels``) and the loss (``"mean"`` or ``"half_sum"``).
    params : sequence of tuple
        Initial ``(W1, b1, W2, b2)`` of :class:`ibtheory.models.TwoLayerReLU` networks (any widths).
    lr_factor : float in (0, 2)
    output_lr_scale : float
    train : {"all", "output"}
        ``"output"`` freezes the hidden layer.
    stop : {"loss_change", "residual"}
    tol : float
    max_steps, check_every : int
        Budget, and how often finished networks are removed from the vectorized step (``"dense"``).
    polish : bool
    polish_points : array_like, shape (N, d), optional
        Where the tail's change of the output is measured (default: the training inputs).
    polish_steps : int
        Most Gauss-Newton steps of the tail (a step can move a ReLU's kink across a data point,
        which changes the piecewise-linear model; more steps then help).
    method : {"pattern", "dense", "spectral"}
        The same iteration, three ways. ``"dense"`` updates every neuron at every step (:math:`O(Mn)`
        per step). ``"pattern"`` (default) uses that a step is linear in each neuron's
        :math:`z=(w,b,a)` for a fixed activation pattern on the data: neurons of one network and one
        pattern advance together through :math:`\sum zz^\top` and the product of the step matrices
        (a few numbers per pattern and step), are mapped explicitly every chunk of steps, and the
        neurons that could cross a data point within the chunk (a certified bound on their
        pre-activation drift; a violated bound reruns the chunk) are stepped one by one: the iterates
        are those of plain gradient descent up to rounding, at a per-step cost independent of the
        width. ``"spectral"`` (``train="output"`` only) gives the iterate at the stopping step in
        closed form in the eigenbasis of the :math:`M\times M` tangent kernel.
    labels : array_like, shape (len(params), M), optional
        Targets of each network, in place of the problem's ``y`` (network ``k`` fits ``labels[k]``): networks
        whose labels differ (e.g. depend on their initial function) train in one call. This equals one call
        per network with ``Problem(X, labels[k])``: bit for bit for inputs of dimension d = 1 (every use in
        the package) and with ``"spectral"``; for d >= 2 the dense and pattern engines' products with X can
        round differently with the batch (relative 1e-16 per step, 2e-11 seen after 4000 steps).

    Returns
    -------
    ASIRun

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.dynamics import Problem, asi_gradient_descent
    >>> from ibtheory.models import TwoLayerReLU, relu_init
    >>> prob = Problem(np.array([[-1.0], [0.0], [1.0]]), np.array([1.0, 0.0, 1.0]), loss="mean")
    >>> P = [relu_init(TwoLayerReLU(1, m), "uniform", 1.0, 2.0, seed=0) for m in (40, 100)]
    >>> run = asi_gradient_descent(prob, P, stop="residual", tol=1e-10)
    >>> run.success, bool(np.max(np.abs(run(1, prob.X) - prob.y)) < 1e-10)
    (True, True)

    See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be an ibtheory.dynamics.Problem, got {type(problem).__name__}")
    if problem.loss not in ("mean", "half_sum") or problem.y.ndim != 1:
        raise ValueError(f"problem must have a square loss ('mean' or 'half_sum') and y of shape (M,), "
                         f"got loss={problem.loss!r}, y.shape={problem.y.shape}")
    if not isinstance(params, (list, tuple)) or len(params) == 0:
        raise ValueError("params must be a non-empty sequence of (W1, b1, W2, b2) tuples")
    nets = [_check_params(P, k) for k, P in enumerate(params)]
    X, M, B = problem.X, problem.n, len(nets)
    if any(W.shape[1] != problem.d for W, *_ in nets):
        raise ValueError(f"every network must take {problem.d} inputs (the problem's X has {problem.d} columns)")
    lr_factor = check_positive(lr_factor, "lr_factor")
    if lr_factor >= 2:
        raise ValueError(f"lr_factor must be < 2 (stability of the linearized dynamics), got {lr_factor}")
    output_lr_scale = check_positive(output_lr_scale, "output_lr_scale")
    for name, v, allowed in (("train", train, ("all", "output")), ("stop", stop, _STOPS), ("method", method, _METHODS),
                             ("polish", polish, (True, False))):
        if v not in allowed:
            raise ValueError(f"{name} must be one of {allowed}, got {v!r}")
    if method == "spectral" and train != "output":
        raise ValueError("method='spectral' needs train='output' (the hidden layer frozen: a linear least-squares problem)")
    tol, max_steps = check_positive(tol, "tol"), check_int(max_steps, "max_steps", minimum=1)
    check_every, polish_steps = check_int(check_every, "check_every", 1), check_int(polish_steps, "polish_steps", 1)
    Tp = X if polish_points is None else as_real_array(polish_points, "polish_points")
    if Tp.ndim != 2 or Tp.shape[1] != problem.d:
        raise ValueError(f"polish_points must have shape (N, {problem.d}), got {Tp.shape}")
    kappa, hid = M / 2 if problem.loss == "mean" else 1.0, 1.0 if train == "all" else 0.0
    Y = np.repeat(problem.y[:, None], B, axis=1) if labels is None else as_real_array(labels, "labels").T.copy()
    if Y.shape != (M, B):
        raise ValueError(f"labels must have shape (len(params), M) = ({B}, {M}), got {Y.T.shape}")
    lr = np.array([lr_factor * kappa / np.linalg.eigvalsh(
        (lambda J: J @ J.T)(relu_jacobian(P, X, output_lr_scale, train)))[-1] for P in nets])
    engine = {"pattern": _pattern_gd, "dense": _dense_gd, "spectral": _spectral_gd}[method]
    state, nit, gd_loss, finished, diverged, step = engine(problem, Y, nets, lr, output_lr_scale, hid, stop, tol,
                                                           max_steps, check_every)
    out_params, losses, shifts, status = [], np.empty(B), np.zeros(B), []
    for k in range(B):
        (W, b, a, c), y = state[k], Y[:, k]
        if not (finished[k] or diverged[k]):
            nit[k] = step
            r = np.maximum(X @ W.T + b, 0.0) @ a + c - y
            gd_loss[k] = float(_dL(problem, r[:, None])[1][0])
        if polish and finished[k]:
            before = _forward(W, b, a, c, Tp)
            for _ in range(polish_steps):
                r = np.maximum(X @ W.T + b, 0.0) @ a + c - y
                if np.max(np.abs(r)) < 1e-13:
                    break
                J = relu_jacobian((W, b, a, c), X, output_lr_scale, train)
                Q, Rr = np.linalg.qr(J.T)                          # min-norm J delta = r; lstsq if rank-deficient
                dg = np.abs(np.diag(Rr))
                delta = Q @ np.linalg.solve(Rr.T, r) if dg.min() > 1e-10 * dg.max() else np.linalg.lstsq(J, r)[0]
                m, d = W.shape
                W, b = W - hid * delta[:m * d].reshape(m, d), b - hid * delta[m * d:m * d + m]
                a, c = a - np.sqrt(output_lr_scale) * delta[m * d + m:m * d + 2 * m], c - delta[-1]
            shifts[k] = float(np.max(np.abs(_forward(W, b, a, c, Tp) - before)))
        r = np.maximum(X @ W.T + b, 0.0) @ a + c - y
        losses[k] = float(_dL(problem, r[:, None])[1][0])
        scale = max(float(np.max(np.abs(y))), 1.0)
        if diverged[k] or not np.isfinite(losses[k]):
            status.append(Status.DIVERGED)
        elif not finished[k] or (polish and np.max(np.abs(r)) > 1e-8 * scale):
            status.append(Status.MAX_ITER)
        else:
            status.append(Status.SUCCESS)
        out_params.append((W, b, a, np.asarray(c)))
    ok = (n_bad := sum(s is not Status.SUCCESS for s in status)) == 0
    return ASIRun(neurons=np.array([P[0].shape[0] for P in nets]), params=tuple(out_params), loss=losses,
                  gd_loss=gd_loss, nit=nit, lr=lr, polish_shift=shifts, status=tuple(status), success=ok,
                  message="every network met its stopping rule" if ok else
                  f"{n_bad} of {B} networks did not meet the stopping rule (see status)")
