r"""How far toward the l1 end :func:`qnorm_interpolator` certifies, checked by a second route.

:func:`qnorm_mp` is an independent solver of the same problem: Newton's method on the
smooth dual in mpmath at enough digits that the blow-up edge :math:`c_L` is
resolved (the dual optimum lies at a gap :math:`\sim\alpha^{L-2}` from it, so
:math:`40 + 1.1 (L-2)\log_{10}(1/\alpha)` digits leave 40 significant ones). It
shares no code with the float64 solver (it imports only the mpmath path of
:mod:`ibtheory.special`). :func:`qnorm_reach` tabulates, over a grid of depths
and scales, whether the float64 solver certifies its answer, its KKT residuals,
its time, and its distance to :func:`qnorm_mp`.

See the book chapter *The limiting optimization problems* (``book/solvers.md``).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .._contracts import Report

__all__ = ["qnorm_mp", "qnorm_reach", "QnormReach"]

#: Default grid of the reach table (depths, scales) and its instance size.
REACH_DEPTHS = (3, 4, 5, 6, 8, 10, 12)
REACH_ALPHAS = (1e-1, 3e-2, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8, 1e-12)
REACH_SHAPE = (3, 6)
#: Cells (L, alpha) checked by the mpmath route (under a second each from the float64 answer:
#: its digits grow like L log10(1/alpha)); the issue's two failing cases among them.
MP_CELLS = ((3, 1e-8), (5, 1e-3), (8, 3e-2), (12, 1e-1))
#: Componentwise agreement required of the two routes: measured worst 5.4e-15 on the
#: default cells and 8.9e-14 over five more seeds with signed spread w (float64
#: round-off of the entries); ~10x margin over the latter.
MP_AGREEMENT = 1e-12


def _mp_digits(L, alpha):
    # The primal iterate z0 + N v forms coordinates of size alpha^L (times O(1)) as differences of O(1)
    # numbers: L log10(1/alpha) digits are lost there, on top of the 25 the stopping rule resolves
    # (the dual's rule, (L - 2) log10(1/alpha), is too few: no convergence at L = 3, 4, alpha = 1e-12).
    return int(40 + math.ceil(1.2 * L * max(0.0, -math.log10(alpha))))


def qnorm_mp(X, y, L, alpha, w=None, dps=None, maxiter=500, start=None):
    r"""The minimizer of :math:`Q_{L,\alpha,\bar w}(z)` s.t. :math:`Xz = y`, in mpmath.

    Newton's method on the **primal** :math:`f(z) = \sum_j a_j H_L(z_j/b_j)`
    (:math:`a = \alpha^2\bar w^2`, :math:`b = \alpha^L|\bar w|^L`) on the affine set
    :math:`z = z_0 + Nv`, with :math:`z_0` the minimum-norm solution and
    :math:`N = \begin{pmatrix}-X_1^{-1}X_2\\ I\end{pmatrix}` an exact basis of
    :math:`\ker X` (:math:`X_1` the first n columns, assumed invertible), gradient
    :math:`(a/b)\,h_L^{-1}(z/b)`, Hessian :math:`\operatorname{diag}\big((a/b^2)/h_L'(h_L^{-1}(z/b))\big)`
    with :math:`h_L' = (1+q^2)^{L-2}(1+Lq^2)`, :math:`q(1+q^2)^{(L-1)/2} = z/b`, and an
    Armijo search on :math:`f`. Everything at a point comes from one root :math:`q_j` per
    coordinate, found in mpmath at ``dps`` digits (``ibtheory.special._lemma4_mp``):
    :math:`h_L^{-1} = I_{L-2}(\operatorname{asinh} q)` and, by the Legendre identity,
    :math:`H_L(u) = |u|\,h_L^{-1}(|u|) - q^2/2`. The float64 solver works on the dual and
    near-edge variables; this route shares no code with it. Stops when a Newton step
    moves every :math:`z_j` by less than :math:`10^{-25}|z_j|` (:math:`10^{15-\mathrm{dps}}`
    if ``dps < 40``) (quadratic convergence: the point is then good to far more than
    float64); returns ``z`` (float64) and that last relative step.

    ``start`` (a float64 point, e.g. the float64 solver's answer) only sets where Newton
    begins: its last d - n coordinates are kept and the first n re-solved in mpmath, so the
    iterate is exactly feasible, and the stopping rule above is met in mpmath whatever the
    start. A poor start costs iterations, not accuracy (tested with perturbed starts), given
    enough digits: by default :math:`40 + 1.2\,L\log_{10}(1/\alpha)`. A Newton method that does
    not converge (a failed line search, a singular system, ``maxiter`` steps) raises
    ``RuntimeError`` naming ``dps``: raise it.
    From the minimum-norm point (``start=None``) the damped Newton needs hundreds of
    steps near the :math:`\ell_1` end, where :math:`H_L` is nearly linear.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers._qnorm_reach import qnorm_mp
    >>> z, step = qnorm_mp(np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]]), [1.0, 1.0], 3, 1e-3, dps=30)
    >>> np.round(z, 5), bool(step < 1e-15)   # ~ the min-l1 interpolator [0, 1/2, 1/2]
    (array([0. , 0.5, 0.5]), True)

    See the book chapter *The limiting optimization problems* (``book/solvers.md``).
    """
    import mpmath as mp

    from ..special import _lemma4_mp as lm

    from .._validation import check_depth, check_int, check_positive
    from ._checks import design, real_array, targets

    X = design(X)
    y = targets(y, X.shape[0])
    L = check_depth(L)
    alpha = check_positive(alpha, "alpha")
    n, d = X.shape
    w = np.ones(d) if w is None else real_array(w, "w")
    if w.shape != (d,) or np.any(w == 0):
        raise ValueError(f"w must be a nonzero vector of length {d}, got shape {w.shape}")
    dps = _mp_digits(L, alpha) if dps is None else check_int(dps, "dps", minimum=15)
    maxiter = check_int(maxiter, "maxiter", minimum=1)
    if start is not None:
        start = real_array(start, "start")
        if start.shape != (d,):
            raise ValueError(f"start must be a finite vector of length {d}, got shape {start.shape}")
    with mp.workdps(dps):
        Xm, ym = mp.matrix(X.tolist()), mp.matrix(y.tolist())
        al = mp.mpf(alpha)
        a = [al**2 * mp.mpf(wj) ** 2 for wj in w]
        b = [al**L * abs(mp.mpf(wj)) ** L for wj in w]
        z0 = Xm.T * mp.lu_solve(Xm * Xm.T, ym)
        B = mp.inverse(Xm[:, :n]) * Xm[:, n:] if d > n else mp.matrix(n, 0)
        N = mp.matrix(d, d - n)
        for k in range(d - n):
            for i in range(n):
                N[i, k] = -B[i, k]
            N[n + k, k] = 1

        def at(v, near=None):
            """z, f, (a/b) h^{-1}(z/b), and q^2 at z = z0 + N v, from ONE root w_j of
            w (1 + w^2)^((L-1)/2) = |z_j|/b_j per coordinate (w = q(h^{-1}), so
            h^{-1} = I_{L-2}(asinh w) and H = |u| h^{-1}(|u|) - w^2/2, Legendre);
            ``near``: the roots at a nearby point, Newton's starting points."""
            z = z0 + N * v
            ws, tz, fs = [], [], []
            for j in range(d):
                u = z[j] / b[j]
                if u == 0:
                    ws.append(mp.mpf(0)), tz.append(mp.mpf(0)), fs.append(mp.mpf(0))
                    continue
                st = None if near is None or near[j] == 0 else near[j]
                wj = lm._w_of_h(L, abs(u), st)
                t = lm.I_of_u(L - 2, mp.asinh(wj))
                ws.append(wj)
                tz.append(mp.sign(u) * t)
                fs.append(a[j] * (abs(u) * t - wj * wj / 2))
            return z, mp.fsum(fs), ws, tz

        v = mp.matrix(d - n, 1)
        if start is not None:   # z = z0 + N v has z[n:] = z0[n:] + v (N's lower block is I)
            for k in range(d - n):
                v[k] = mp.mpf(start[n + k]) - z0[n + k]
        z, fv, ws, tz = at(v)
        dec = mp.inf
        for _ in range(maxiter):
            gz = mp.matrix([a[j] / b[j] * tz[j] for j in range(d)])
            hz = [a[j] / b[j] ** 2 / ((1 + ws[j] ** 2) ** (L - 2) * (1 + L * ws[j] ** 2)) for j in range(d)]
            g = N.T * gz
            Hm = mp.matrix(d - n, d - n)
            for i in range(d - n):
                for k in range(d - n):
                    Hm[i, k] = mp.fsum(N[j, i] * hz[j] * N[j, k] for j in range(d))
            try:
                step = -mp.lu_solve(Hm, g)
            except ZeroDivisionError:       # mpmath: "matrix is numerically singular"
                raise RuntimeError(f"qnorm_mp: singular Newton system at dps={dps}: raise dps") from None
            dz = N * step
            dec = -sum(g[i] * step[i] for i in range(d - n)) / abs(fv)
            # Stop on the componentwise step (the tiny coordinates, of relative size
            # alpha^L, barely move f): the last step is below 1e-25 of every |z_j|.
            small = max(abs(dz[j]) / max(abs(z[j]), mp.mpf(10) ** (-dps)) for j in range(d))
            tau = mp.mpf(1)
            trial = at(v + tau * step, ws)
            while dec > mp.mpf(10) ** (-(dps - 12)):  # above the round-off of f: Armijo
                if trial[1] <= fv - mp.mpf("1e-4") * tau * dec * abs(fv):
                    break
                tau /= 2
                if tau < mp.mpf(10) ** (-dps // 2):
                    raise RuntimeError(f"qnorm_mp: line search failed at dps={dps}: raise dps")
                trial = at(v + tau * step, ws)
            v = v + tau * step
            z, fv, ws, tz = trial
            if small < mp.mpf(10) ** -min(25, dps - 15):
                break
        else:
            raise RuntimeError(f"qnorm_mp: no convergence in {maxiter} Newton steps at dps={dps}: raise dps")
        small = float(small)
        return np.array([float(zj) for zj in z]), small


@dataclass(frozen=True)
class QnormReach(Report):
    """Table of :func:`qnorm_reach`: one row per (L, alpha).

    Attributes
    ----------
    L, alpha : ndarray
    certified : ndarray of bool
        ``qnorm_interpolator`` returned (every KKT residual <= 1e-8).
    dual_only : ndarray of bool or None
        The dual Newton method alone (``_qnorm._dual_newton``, 500 steps), the route
        before the near-edge Newton, meets the same residuals: float64's reach on the dual
        (``None`` when not asked for: ``dual=False``).
    primal, stationarity, worst : ndarray
        Its KKT residuals and their maximum (NaN where it raised without residuals).
    seconds : ndarray
        Its wall time.
    mp_error : ndarray
        ``max_j |z_j - z_mp,j| / |z_mp,j|`` (componentwise) against :func:`qnorm_mp`,
        NaN outside ``mp_cells``, ``-inf`` where the mpmath Newton did not converge
        (never compared; such a cell fails :attr:`passed`).
    shape : tuple
        ``(n, d)`` of the Gaussian instance.
    seed : int
    """

    L: np.ndarray
    alpha: np.ndarray
    certified: np.ndarray
    dual_only: np.ndarray | None
    primal: np.ndarray
    stationarity: np.ndarray
    worst: np.ndarray
    seconds: np.ndarray
    mp_error: np.ndarray
    shape: tuple
    seed: int

    @property
    def passed(self) -> bool:
        """Every cell certified, and on every mpmath cell the reference converged and agrees within
        ``MP_AGREEMENT``."""
        err = self.mp_error[~np.isnan(self.mp_error)]
        return bool(self.certified.all() and err.size > 0 and np.all(np.isfinite(err))
                    and np.all(err <= MP_AGREEMENT))

    def pivot(self, field="worst"):
        """``field`` as an L x alpha table (alpha decreasing to the right)."""
        tab = self.table().pivot(index="L", columns="alpha", values=field)
        return tab.sort_index(axis=1, ascending=False).rename(columns=lambda a: f"{a:g}")


def qnorm_reach(depths=REACH_DEPTHS, alphas=REACH_ALPHAS, seed=0, shape=REACH_SHAPE,
                mp_cells=MP_CELLS, dual=True):
    r"""Certify :func:`qnorm_interpolator` over a grid of (L, alpha) and check it in mpmath.

    One Gaussian instance ``X`` (shape ``shape``), ``y`` from
    ``default_rng(SeedSequence(seed))``, :math:`\bar w = 1`. For each cell: whether the
    solver certifies its answer, its KKT residuals and its time; on the cells
    ``mp_cells`` (pairs (L, alpha)), its componentwise distance to :func:`qnorm_mp`
    (started from the solver's answer: see there); with ``dual=True``, whether the dual
    Newton method alone (the route before the near-edge Newton) certifies the cell, the
    comparison the book shows (most of the time: 500 failing steps per uncertified cell).

    Returns
    -------
    QnormReach

    Examples
    --------
    >>> from ibtheory.solvers._qnorm_reach import qnorm_reach
    >>> r = qnorm_reach(depths=(5,), alphas=(1e-3,), mp_cells=((5, 1e-3),))
    >>> bool(r.certified[0]), bool(r.dual_only[0]), bool(r.worst[0] < 1e-12), r.passed
    (True, False, True, True)

    See the book chapter *The limiting optimization problems* (``book/solvers.md``).
    """
    from . import SolverError, qnorm_interpolator
    from ._qnorm import _NewtonFailure, _dual_newton, _weights, qnorm_kkt
    from ._result import DEFAULT_TOL

    rng = np.random.default_rng(np.random.SeedSequence(seed))
    X, y = rng.standard_normal(shape), rng.standard_normal(shape[0])
    cells = {(int(L), float(al)) for L, al in mp_cells}
    rows = []
    for L in depths:
        for alpha in alphas:
            t0 = time.perf_counter()
            try:
                res = qnorm_interpolator(X, y, L, alpha)
                ok, kkt, z = True, res.kkt, res.x
            except SolverError as exc:
                ok, kkt, z = False, exc.kkt, None
            sec = time.perf_counter() - t0
            _, a, b = _weights(None, X.shape[1], L, alpha)
            dual_ok = False
            if dual:
                try:
                    zd, lamd, _, _ = _dual_newton(X, y, a, b, L)
                    dual_ok = qnorm_kkt(X, y, a, b, L, zd, lamd).meets(DEFAULT_TOL)
                except _NewtonFailure:
                    pass
            err = np.nan
            if z is not None and (int(L), float(alpha)) in cells:
                try:
                    zm, _ = qnorm_mp(X, y, L, alpha, start=z)
                    err = float(np.max(np.abs(z - zm) / np.abs(zm)))
                except RuntimeError:   # the reference did not converge: -inf marks the cell
                    err = -np.inf
            pf = np.nan if kkt is None else float(kkt["primal_feasibility"])
            st = np.nan if kkt is None else float(kkt["stationarity"])
            rows.append((L, alpha, ok, dual_ok, pf, st, max(pf, st), sec, err))
    cols = [np.array(col) for col in zip(*rows)]
    if not dual:
        cols[3] = None
    return QnormReach(*cols, shape=tuple(shape), seed=seed)
