r"""The weighted spline stated in CVXPY on nested grids and Richardson-extrapolated.

The second route of :func:`~ibtheory.solvers.weighted_spline` (``method="cvxpy"``);
it shares no numerical code with the moment equations of the default route.

**Discrete problem.** The hull :math:`[x_1, x_M]` of the data is cut at the data and at
the kinks of :math:`\zeta` inside it; each piece of length :math:`\ell_s` is split into
:math:`n_s 2^k` equal cells at level :math:`k` (:math:`n_s = \lceil c\,\ell_s/(x_M - x_1)\rceil`
for ``cells`` :math:`= c`), so the grids are nested and contain every knot. On a grid
:math:`t_0 < \dots < t_N`, :math:`g` ranges over the :math:`C^1` piecewise cubics (cubic
Hermite: a value :math:`g_n` and a slope :math:`s_n` per node), so :math:`g''` is linear on
each cell, and the integral is taken by four-point Gauss-Legendre on each cell:

.. math::

    \min_{z = (g, s)}\ \sum_{\text{cells } c}\sum_{q=1}^4 h_c w_q
    \frac{g''(\tau_{cq})^2}{\zeta(\tau_{cq})} = \|Bz\|_2^2
    \quad\text{s.t.}\quad g_{n(j)} = y_j\ (j = 1..M),

a convex QP stated in CVXPY and solved by Clarabel. The grid covers the hull only: the
natural boundary conditions are *natural* (the discrete minimizer, like the continuous
one, is free at the ends, where its :math:`g''` tends to 0), and :math:`g` is continued
linearly outside, :math:`u = s_0`, :math:`v = y_1 - ux_1`, ``slope_right`` :math:`= s_N`,
the conventions of the default route.

**Multipliers give** :math:`m = g''/\zeta`. The discrete stationarity
:math:`2\int g''\varphi''/\zeta = \sum_j\lambda_j\varphi(x_j)` holds for every
:math:`\varphi` of the cubic space, as the continuous one holds for every smooth
:math:`\varphi`: so :math:`2m'' = \sum_j\lambda_j\delta_{x_j}` with :math:`m = m' = 0` outside the
hull (:math:`\varphi = 1, t` give :math:`\sum\lambda_j = \sum\lambda_jx_j = 0`), that is
:math:`m(x_i) = \tfrac12\sum_{j<i}\lambda_j(x_i - x_j)`: the knot values of :math:`m`, the
unknowns of the default route, are read off the duals.

**Certificate: the KKT conditions of each discrete QP.** With :math:`Q = B^\top B` and
:math:`E` the selector of the knot nodes: ``primal_feasibility``
:math:`\|Ez - y\|_\infty/\|y\|_\infty`, ``stationarity``
:math:`\|2Qz - E^\top\lambda\|_\infty/\|2|Q||z| + |E^\top\lambda|\|_\infty` (relative to the
terms it sums), ``duality_gap`` :math:`|z^\top Qz - \lambda^\top y/2|` relative to
:math:`\max(z^\top Qz, |\lambda|^\top|y|/2, \varepsilon\,|z|^\top|Q||z|)`. The constraints are
equalities, so dual feasibility (:math:`\lambda` free) and complementarity hold
identically and are not listed. All are computed in normalized units
(:math:`t\to(t - x_1)/(x_M - x_1)`, :math:`y\to y/\|y\|_\infty`, :math:`\zeta\to\zeta/\max\zeta`),
so they do not change when x, y or :math:`\zeta` are scaled. Clarabel's answer is
polished by Newton steps on the KKT system (``polish``), kept only when they lower
the worst residual; the worst residual over the levels must meet ``tol``.

**What is certified, and what is estimated.** A grid solution is not the continuous
minimizer, so it cannot meet a certificate of the continuous problem; the
certificate above is the discrete problem's. The continuous answer is the
Richardson extrapolation of the nested levels (errors expand in :math:`h^4, h^6,
\dots`: Hermite cubics are exact when :math:`\zeta` is constant, and the errors are
observed to fall by 16 per halving), and it carries its own error estimate: the
difference between the last two diagonal extrapolants, ``discretization_error``
(for the values of g on the coarsest grid, in units of y) and
``error_estimates`` (per quantity).

See the book chapter *The limiting optimization problems* (``book/solvers.md``).
"""
from __future__ import annotations

import time

import numpy as np

from .._validation import check_int
from ._checks import check_flag
from ._result import KKT, SolverError, cvx_solve, finish, rel

_GX, _GW = np.polynomial.legendre.leggauss(4)
_GX, _GW = 0.5 * (_GX + 1.0), 0.5 * _GW
#: Default number of cells of the coarsest grid over the hull, and of nested levels.
CELLS, LEVELS = 16, 5
#: Largest number of cells of the finest grid (the QP has 2 (N + 1) variables).
MAX_CELLS = 200_000
#: Relative rounding allowed to the *default* route when the two routes are compared (its
#: moments are certified to 1e-13; its solve and Green's-function evaluation lose a few digits
#: more): agreement means |difference| <= reported error + ROUTE_ROUNDING * scale.
ROUTE_ROUNDING = 1e-12


def _grid(tn, nseg, k):
    """Nodes of level k (each piece of the normalized hull cut into nseg * 2^k cells) and the knot nodes."""
    parts = [tn[:1]]
    for a, b, n in zip(tn[:-1], tn[1:], nseg * 2**k):
        parts.append(a + (b - a) * np.arange(1, n + 1) / n)
    return np.concatenate(parts), np.concatenate([[0], np.cumsum(nseg * 2**k)])


def _design(t, zfun):
    r"""Sparse B with :math:`\|Bz\|^2 = \sum_c\sum_q h_cw_q g''(\tau_{cq})^2/\zeta(\tau_{cq})`, z = (g, s)."""
    import scipy.sparse as sps

    N = t.size - 1
    h = np.diff(t)
    tq = t[:-1, None] + h[:, None] * _GX[None, :]
    zq = np.asarray(zfun(tq), float)
    bad = ~(np.isfinite(zq) & (zq > 0))
    if np.any(bad):
        raise ValueError("zeta must be finite and > 0 on the hull of x (a quadrature node of the grid "
                         "has zeta <= 0 or not finite)")
    c = np.repeat(np.arange(N), 4)
    hc, xq = h[c], np.tile(_GX, N)
    w = np.sqrt(hc * np.tile(_GW, N) / zq.ravel())
    # g'' on a cell of the cubic Hermite interpolant of (g_c, s_c, g_c+1, s_c+1), at xi = xq:
    coef = [(12 * xq - 6) / hc**2, (6 * xq - 4) / hc, (6 - 12 * xq) / hc**2, (6 * xq - 2) / hc]
    cols = [c, N + 1 + c, c + 1, N + 2 + c]
    rows = np.tile(np.arange(4 * N), 4)
    return sps.csr_matrix((np.concatenate([w * f for f in coef]), (rows, np.concatenate(cols))),
                          shape=(4 * N, 2 * N + 2))


def _kkt(B, idx, z, lam, yn):
    """The residuals of the discrete QP at (z, lam), each relative to the terms it is made of."""
    Bz = B @ z
    grad = 2.0 * (B.T @ Bz)
    Etl = np.zeros_like(z)
    Etl[idx] = lam
    absB = abs(B)
    mag = 2.0 * (absB.T @ (absB @ np.abs(z))) + np.abs(Etl)
    f = float(Bz @ Bz)
    return KKT(
        primal_feasibility=rel(np.max(np.abs(z[idx] - yn)), np.max(np.abs(yn))),
        stationarity=rel(np.max(np.abs(grad - Etl)), np.max(mag)),
        duality_gap=rel(abs(f - 0.5 * float(lam @ yn)), max(f, 0.5 * float(np.abs(lam) @ np.abs(yn)))),
    )


def _refine(B, idx, z, lam, yn, kkt, steps):
    """Newton steps on the KKT system [[2Q, -E^T], [E, 0]], kept while the worst residual falls.

    Returns the refined (z, lam, kkt) and one more correction (dz, dlam), not applied:
    iterative refinement stagnates at the rounding floor, so its size estimates the
    forward error left in (z, lam).
    """
    import scipy.sparse as sps
    from scipy.sparse.linalg import splu

    n, M = z.size, idx.size
    E = sps.csr_matrix((np.ones(M), (np.arange(M), idx)), shape=(M, n))
    K = sps.bmat([[2.0 * (B.T @ B), -E.T], [E, None]], format="csc")
    try:
        lu = splu(K)
    except RuntimeError as exc:
        raise SolverError("weighted_spline(method='cvxpy'): the KKT matrix of the discrete QP is "
                          "singular; remedy: fewer cells or levels", "numerical", kkt) from exc

    def step(z, lam):
        d = lu.solve(-np.concatenate([2.0 * (B.T @ (B @ z)) - E.T @ lam, z[idx] - yn]))
        return d[:n], d[n:]

    for _ in range(steps):
        dz, dl = step(z, lam)
        k2 = _kkt(B, idx, z + dz, lam + dl, yn)
        if not k2.worst < kkt.worst:
            break
        z, lam, kkt = z + dz, lam + dl, k2
    return z, lam, kkt, step(z, lam)


def _quantities(B, t, idx, step, z, lam):
    """g on the coarsest grid, m at the knots (from the multipliers), s_0, s_N and the objective."""
    N = t.size - 1
    tk = t[idx]
    # m(x_i) = 1/2 sum_{j<i} lam_j (x_i - x_j), by running sums.
    c0 = np.concatenate([[0.0], np.cumsum(lam)[:-1]])
    c1 = np.concatenate([[0.0], np.cumsum(lam * tk)[:-1]])
    Bz = B @ z
    return np.concatenate([z[:N + 1][::step], 0.5 * (tk * c0 - c1), [z[N + 1], z[-1], float(Bz @ Bz)]])


def _level(tn, nseg, k, knot_pos, yn, zfun, polish):
    """Solve level k; return its quantities (normalized), their rounding estimate and diagnostics."""
    import cvxpy as cp

    t, offsets = _grid(tn, nseg, k)
    idx = offsets[knot_pos]
    B = _design(t, zfun)
    zv = cp.Variable(B.shape[1])
    con = zv[idx] == yn
    prob = cp.Problem(cp.Minimize(cp.sum_squares(B @ zv)), [con])
    t0 = time.perf_counter()
    status = cvx_solve(prob, "weighted_spline(method='cvxpy')")
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or zv.value is None:
        raise SolverError(f"weighted_spline(method='cvxpy'): Clarabel reported {status!r} on a "
                          "feasible QP (numerical trouble); remedy: fewer cells or levels", "numerical")
    z = np.asarray(zv.value, float)
    lam = -np.asarray(con.dual_value, float)  # CVXPY's multiplier has the opposite sign
    raw = _kkt(B, idx, z, lam, yn)
    z, lam, kkt, (dz, dl) = _refine(B, idx, z, lam, yn, raw, 3 if polish else 0)
    seconds = time.perf_counter() - t0
    q = _quantities(B, t, idx, 2**k, z, lam)
    rounding = np.abs(_quantities(B, t, idx, 2**k, z + dz, lam + dl) - q)
    return q, rounding, {"cells": t.size - 1, "kkt": kkt, "unpolished": raw, "seconds": seconds,
                         "grid_values": q[:offsets[-1] // 2**k + 1]}


def _richardson(rows):
    """Diagonal of the Richardson table (orders 4, 6, 8, ...): its last entry and last change."""
    T = [np.asarray(rows[0], float)]
    diag = [T[0]]
    for k in range(1, len(rows)):
        new = [np.asarray(rows[k], float)]
        for j in range(1, k + 1):
            new.append(new[j - 1] + (new[j - 1] - T[j - 1]) / (2.0 ** (2 * j + 2) - 1.0))
        T = new
        diag.append(T[-1])
    return diag[-1], np.abs(diag[-1] - diag[-2])


def spline_cvxpy(x, y, zeta, *, tol, cells=None, levels=None, polish=True):
    """The ``method="cvxpy"`` route of :func:`weighted_spline` (documented there and above)."""
    from ._spline import WeightedSplineResult, _prepare

    cells = CELLS if cells is None else check_int(cells, "cells", minimum=1)
    levels = LEVELS if levels is None else check_int(levels, "levels", minimum=2, maximum=12)
    polish = check_flag(polish, "polish")
    k, yk, zeta = _prepare(x, y, zeta)
    name = "weighted_spline(method='cvxpy')"
    lo, L = k[0], k[-1] - k[0]
    pts = np.unique(np.concatenate([k, [p for p in zeta.breakpoints if k[0] < p < k[-1]]]))
    tn = (pts - lo) / L
    tn[-1] = 1.0
    nseg = np.maximum(1, np.ceil(cells * np.diff(tn) - 1e-9).astype(int))
    if int(nseg.sum()) * 2 ** (levels - 1) > MAX_CELLS:
        raise ValueError(f"the finest grid would have {int(nseg.sum()) * 2 ** (levels - 1)} cells, more "
                         f"than {MAX_CELLS}: lower cells or levels")
    knot_pos = np.searchsorted(pts, k)
    # The line through the end points costs nothing (l'' = 0): the QP is posed for g - l,
    # so data on a line give g = l exactly and nearly linear data lose no digits to it.
    slope = (yk[-1] - yk[0]) / L
    line = yk[0] + slope * (k - lo)
    r = yk - line
    Y = float(np.max(np.abs(r)))
    M, n0 = k.size, int(nseg.sum()) + 1
    t0, off0 = _grid(tn, nseg, 0)
    grid = lo + L * t0
    grid[off0[knot_pos]] = k  # the knots themselves, not their images through the normalization
    per, seconds = [], 0.0
    if Y == 0.0:  # g = l: nothing to solve, every residual is exactly zero
        kkt = KKT(primal_feasibility=0.0, stationarity=0.0, duality_gap=0.0)
        est = {q: 0.0 for q in ("g", "m", "u", "slope_right", "fun")}
        vals = np.zeros(n0 + M + 3)
    else:
        Z = float(np.max(zeta(lo + L * (t0[:-1, None] + np.diff(t0)[:, None] * _GX))))
        if not (np.isfinite(Z) and Z > 0):
            raise ValueError("zeta must be finite and > 0 on the hull of x")

        def zfun(s):
            return np.asarray(zeta(lo + L * s), float) / Z

        rows, noise = [], []
        for lev in range(levels):
            v, rnd, info = _level(tn, nseg, lev, knot_pos, r / Y, zfun, polish)
            rows.append(v)
            noise.append(rnd)
            per.append(info)
        vals, err = _richardson(rows)
        # Rounding carried into the extrapolant: sum_k |c_k| rho_k, T = sum_k c_k (level k).
        weights = _richardson(list(np.eye(levels)))[0]
        err = err + np.abs(weights) @ np.array(noise)
        # Back to the data's units: g - l = Y gamma, s = (Y/L) sigma, m = Y/(L^2 Z) m~,
        # fun = Y^2/(L^3 Z) f~.
        unit = np.concatenate([np.full(n0, Y), np.full(M, Y / (L * L * Z)), [Y / L, Y / L, Y * Y / (L**3 * Z)]])
        vals, err = vals * unit, err * unit
        est = {"g": float(np.max(err[:n0])), "m": float(np.max(err[n0:n0 + M])), "u": float(err[-3]),
               "slope_right": float(err[-2]), "fun": float(err[-1])}
        for p in per:  # each grid's own (unextrapolated) values of g, in the data's units
            p["grid_values"] = p["grid_values"] * Y + yk[0] + slope * (grid - lo)
        kkt = KKT({key: max(float(p["kkt"][key]) for p in per) for key in per[0]["kkt"]})
        seconds = sum(p["seconds"] for p in per)
    vals[:n0] += yk[0] + slope * (grid - lo)
    vals[-3:-1] += slope
    g_grid, m = vals[:n0], vals[n0:n0 + M]
    u, slope_right, fun = float(vals[-3]), float(vals[-2]), float(vals[-1])
    v = float(yk[0] - u * k[0])
    out = finish(name, m, fun, kkt, tol, u=u, v=v, knots=k,
                 hint="lower cells or levels (a finer grid is worse conditioned), or use a larger tol")
    res = WeightedSplineResult(x=m, knots=k, knot_values=yk, zeta=zeta, u=u, v=v, slope_right=slope_right)
    res.update(out)
    res.update(method="cvxpy", grid=grid, grid_values=g_grid, discretization_error=est["g"],
               error_estimates=est, levels=per, seconds=seconds)
    return res
