r"""The weighted cubic spline of Jin and Montufar: min \int g''^2/zeta s.t. g(x_i) = y_i.

Stationarity of :math:`\int g''^2/\zeta - \sum_i\lambda_i g(x_i)` gives
:math:`(g''/\zeta)'' = \tfrac12\sum_i\lambda_i\delta_{x_i}`, so :math:`m = g''/\zeta` is
piecewise linear with kinks at the data, and the natural boundary terms force
:math:`m = m' = 0` outside the hull :math:`[x_1, x_M]`: m is the piecewise-linear
interpolant of its knot values :math:`m_j` with :math:`m_1 = m_M = 0`. On an interval
:math:`I_j = [x_j, x_{j+1}]` (length :math:`h_j`, :math:`\tau = t - x_j`) the Green's
function of :math:`g'' = \zeta m` with :math:`g(x_j) = y_j, g(x_{j+1}) = y_{j+1}` gives

.. math::

    g'(x_j^+) = s_j - \frac{m_j J^{02}_j + m_{j+1} J^{11}_j}{h_j^2},\qquad
    g'(x_{j+1}^-) = s_j + \frac{m_j J^{11}_j + m_{j+1} J^{20}_j}{h_j^2},

with :math:`s_j = (y_{j+1} - y_j)/h_j` and :math:`J^{pq}_j = \int_{I_j}\tau^p(h_j - \tau)^q\zeta`.
Continuity of :math:`g'` at the interior knots is a symmetric positive-definite
tridiagonal system for the :math:`m_j` (the classical spline "moment"
equations when :math:`\zeta` is constant).
"""
from __future__ import annotations

import numpy as np

from ._checks import real_array
from ._result import DEFAULT_TOL, KKT, SolverResult, check_method, check_tol, finish, rel
from ._zeta import Zeta, zeta as make_zeta

_GL_X, _GL_W = np.polynomial.legendre.leggauss(20)
#: Largest number of data points (the moment system is O(M), its quadrature O(M) too).
MAX_KNOTS = 100_000


def _panel(z, lo, hi, a, b):
    """Gauss-Legendre on [lo, hi] of zeta * (1, tau, tau^2, tau(h - tau), (h - tau)^2, h - tau).

    tau = t - a and h - tau = b - t are formed from the local offsets (lo - a) and
    (b - lo), never from t itself, so no moment loses digits to cancellation, even
    for knots offset by 1e8. Every node value of zeta is checked: > 0 and finite.
    """
    w = 0.5 * (hi - lo)[:, None]
    s = w * (_GL_X + 1.0)
    t = lo[:, None] + s
    zt = np.asarray(z(t), dtype=float)
    if zt.shape != t.shape:
        raise ValueError(f"zeta must be vectorized: zeta(t) of shape {zt.shape} for t of shape {t.shape}")
    bad = ~(np.isfinite(zt) & (zt > 0))
    if np.any(bad):
        i = np.flatnonzero(bad.ravel())[0]
        raise ValueError(f"zeta must be finite and > 0 on the hull of x; zeta({t.ravel()[i]!r}) = "
                         f"{zt.ravel()[i]!r} (data outside the support of zeta, or a zeta that "
                         "changes sign)")
    f = zt * (w * _GL_W)
    tau, rest = (lo - a)[:, None] + s, (b - lo)[:, None] - s
    return np.stack([f.sum(1), (f * tau).sum(1), (f * tau * tau).sum(1),
                     (f * tau * rest).sum(1), (f * rest * rest).sum(1), (f * rest).sum(1)], axis=1)


#: Relative accuracy asked of the moments (reachable: well above the float64 floor).
_RTOL = 1e-13


def _moments_smooth(z, lo, hi, a, b, rtol=_RTOL, max_level=12):
    """Composite Gauss-Legendre on [lo, hi], doubling the panels until the moments settle.

    Returns (moments, err): err is the last relative change per interval. A row
    stops at ``rtol``, or at its noise floor (a change below 1e-9 that no longer
    halves: round-off in zeta, e.g. a zeta computed by quadrature), or when the
    evaluation budget ``z.max_evals`` is spent; ``err`` then says how far it got
    and the caller's certificate judges it.
    """
    out = np.empty((lo.size, 6))
    err = np.zeros(lo.size)
    todo = np.arange(lo.size)
    prev = _panel(z, lo, hi, a, b)
    last = np.full(lo.size, np.inf)
    used = 20 * lo.size
    budget = getattr(z, "max_evals", 2_000_000)
    for level in range(1, max_level + 1):
        m = 2**level
        if todo.size == 0 or used + 20 * m * todo.size > budget:
            break
        used += 20 * m * todo.size
        l0, h0 = lo[todo], hi[todo]
        frac = np.linspace(0.0, 1.0, m + 1)[None, :]
        edges = l0[:, None] + (h0 - l0)[:, None] * frac
        cur = _panel(z, edges[:, :-1].ravel(), edges[:, 1:].ravel(),
                     np.repeat(a[todo], m), np.repeat(b[todo], m)).reshape(todo.size, m, 6).sum(1)
        change = np.max(np.abs(cur - prev[todo]) / np.maximum(np.abs(cur), 1e-300), axis=1)
        ok = (change <= rtol) | ((change <= 1e-9) & (change > 0.5 * last[todo]))
        out[todo[ok]] = cur[ok]
        err[todo[ok]] = change[ok]
        prev[todo] = cur
        last[todo] = change
        todo = todo[~ok]
    if todo.size:
        out[todo] = prev[todo]
        err[todo] = last[todo]
    return out, err


def interval_moments(z: Zeta, lo, hi, a=None, b=None, *, return_error=False):
    r"""Integrals over [lo, hi] of :math:`\zeta` times 1, tau, tau^2, tau(h-tau), (h-tau)^2, h-tau.

    ``tau = t - a`` and ``h - tau = b - t`` refer to the enclosing interval [a, b]
    (default [lo, hi]); panels are split at zeta's breakpoints. With
    ``return_error`` also the estimated relative error per interval.
    """
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    a = lo if a is None else np.asarray(a, float)
    b = hi if b is None else np.asarray(b, float)
    out = np.zeros((lo.size, 6))
    err = np.zeros(lo.size)
    cut = np.zeros(lo.size, bool)
    for p in z.breakpoints:
        cut |= (lo < p) & (p < hi)
    for i in np.flatnonzero(cut):
        pts = [lo[i]] + sorted(p for p in z.breakpoints if lo[i] < p < hi[i]) + [hi[i]]
        for l0, h0 in zip(pts[:-1], pts[1:]):
            mom, e = _moments_smooth(z, np.array([l0]), np.array([h0]), a[i:i + 1], b[i:i + 1])
            out[i] += mom[0]
            err[i] = max(err[i], e[0])
    if np.any(~cut):
        out[~cut], err[~cut] = _moments_smooth(z, lo[~cut], hi[~cut], a[~cut], b[~cut])
    return (out, err) if return_error else out


class WeightedSplineResult(SolverResult):
    """Result of :func:`weighted_spline`; calling it evaluates g (vectorized).

    Attributes
    ----------
    u, v : float
        The linear part: g(x) = u x + v for x <= min(x_i).
    x : ndarray
        Knot values m_j of m = g''/zeta (zero at both ends).
    knots, knot_values : ndarray
        The sorted data.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import WeightedSplineResult, weighted_spline
    >>> g = weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], "constant")
    >>> isinstance(g, WeightedSplineResult)
    True
    >>> # natural cubic spline: g''(1) = -3 and g'(0) = 1.5, continued linearly left of 0
    >>> g.second_derivative(np.array([1.0, 3.0])), round(g.u, 12), round(g.v, 12)
    (array([-3.,  0.]), 1.5, 0.0)

    See the book chapters *The limiting optimization problems* (``book/solvers.md``) and *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
    """

    def __call__(self, t):
        return self._evaluate(real_array(t, "t"))

    def _m(self, t):
        k = self.knots
        return np.interp(t, k, self.x, left=0.0, right=0.0)

    def second_derivative(self, t):
        """g''(t) = zeta(t) m(t) (zero outside the hull of the data)."""
        t = real_array(t, "t")
        k = self.knots
        inside = (t >= k[0]) & (t <= k[-1])
        return np.where(inside, self.zeta(np.clip(t, k[0], k[-1])) * self._m(t), 0.0)

    def _evaluate(self, t):
        k, yk, m = self.knots, self.knot_values, self.x
        flat = t.ravel()
        j = np.clip(np.searchsorted(k, flat, side="right") - 1, 0, k.size - 2)
        xc = np.clip(flat, k[0], k[-1])
        a, b = k[j], k[j + 1]
        h = b - a
        rho, sig = xc - a, b - xc
        g = yk[j] + (yk[j + 1] - yk[j]) * rho / h
        inner = (rho > 0) & (sig > 0)
        if np.any(inner):
            ii = np.flatnonzero(inner)
            left = interval_moments(self.zeta, a[ii], xc[ii], a[ii], b[ii])
            right = interval_moments(self.zeta, xc[ii], b[ii], a[ii], b[ii])
            mj, mk, hh = m[j[ii]], m[j[ii] + 1], h[ii]
            # g = l - int G(x,t) zeta m: G = (t-a)(b-x)/h left of x, (x-a)(b-t)/h right of x.
            gl = (mj * left[:, 3] + mk * left[:, 2]) / hh
            gr = (mj * right[:, 4] + mk * right[:, 3]) / hh
            g[ii] -= (sig[ii] * gl + rho[ii] * gr) / hh
        g = np.where(flat < k[0], self.u * flat + self.v, g)
        g = np.where(flat > k[-1], yk[-1] + self.slope_right * (flat - k[-1]), g)
        return g.reshape(t.shape)


def _prepare(x, y, zeta):
    """Validated, sorted data and a :class:`Zeta` (shared by both routes of :func:`weighted_spline`)."""
    x = real_array(x, "x")
    y = real_array(y, "y")
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"x must be a 1-D array of at least 2 points, got shape {x.shape}")
    if y.shape != x.shape:
        raise ValueError(f"y must have shape {x.shape} to match x, got {y.shape}")
    if x.size > MAX_KNOTS:
        raise ValueError(f"x has {x.size} points; at most {MAX_KNOTS} are supported")
    if isinstance(zeta, str):
        zeta = make_zeta(zeta)
    elif not isinstance(zeta, Zeta):
        if not callable(zeta):
            raise TypeError(f"zeta must be a Zeta, a callable or a family name, got {zeta!r}")
        fn = zeta
        zeta = Zeta("callable", lambda t: np.asarray(fn(t), float), {})
    order = np.argsort(x, kind="stable")
    k, yk = x[order], y[order]
    if np.any(np.diff(k) == 0):
        raise ValueError("x must not contain repeated knots")
    if np.any(np.diff(k) <= 4 * np.finfo(float).eps * np.maximum(np.abs(k[1:]), np.abs(k[:-1]))):
        raise ValueError("x has knots closer than a few ulps (relative 1e-15): merge them")
    lo_s, hi_s = zeta.support
    if k[0] < lo_s or k[-1] > hi_s:
        raise ValueError(f"x must lie in the support of zeta, [{lo_s}, {hi_s}] (zeta = 0 outside)")
    return k, yk, zeta


def weighted_spline(x, y, zeta, *, tol=DEFAULT_TOL, method="moments", cells=None, levels=None,
                    polish=True):
    r"""Minimum weighted curvature interpolant of Jin and Montufar.

    .. math::

        \min_g \int \frac{g''(t)^2}{\zeta(t)}\,dt \quad\text{s.t.}\quad g(x_i) = y_i ,

    the function learned by a wide one-input ReLU network trained by gradient
    descent from an anti-symmetric initialization (after the linear adjustment
    ``u x + v``). :math:`g''/\zeta` is piecewise linear with knots at the data
    and vanishes outside their hull, so the solution solves an ``(M+2) x (M+2)``
    linear system whose entries are integrals of :math:`\zeta` against
    polynomials, computed by adaptive composite Gauss-Legendre quadrature
    split at the kinks of :math:`\zeta` (in practice the moment
    equations below are tridiagonal). With constant :math:`\zeta` it is the
    natural cubic spline.

    Parameters
    ----------
    x : array_like, shape (M,)
        Distinct abscissae (any order), M >= 2, inside the support of zeta.
    y : array_like, shape (M,)
    zeta : Zeta, callable, or str
        A :func:`zeta` object, a vectorized positive callable, or a family
        name (``"gaussian"``, ``"uniform"``, ``"binary_uniform"``,
        ``"constant"``) with default parameters.
    tol : float, optional
        Tolerance on the relative residuals (default 1e-8).
    method : {"moments", "cvxpy"}, optional
        ``"moments"`` (default): the exact route above (moment equations; its only
        approximation is the quadrature of the moments, whose error is reported).
        ``"cvxpy"``: the problem stated in CVXPY on nested grids (C^1 cubic
        Hermite elements, Clarabel), solved at ``levels`` grid sizes and
        Richardson-extrapolated (the module docstring of ``ibtheory/solvers/_spline_cvxpy.py``);
        it shares no numerical code with the default route.
    cells, levels : int, optional
        ``method="cvxpy"`` only: cells of the coarsest grid over the hull (default
        16; at least one between consecutive knots or kinks of zeta) and number of
        nested grids, each twice finer (default 5, at least 2).
    polish : bool, optional
        ``method="cvxpy"`` only: refine Clarabel's answer on each grid by Newton
        steps on the discrete KKT system (default True).

    Returns
    -------
    WeightedSplineResult
        Callable ``g``; ``u``, ``v`` (the linear part, :math:`g = ux + v` left of
        the data), ``x`` (knot values of :math:`m = g''/\zeta`), ``knots``,
        ``fun`` = :math:`\int g''^2/\zeta`, ``slope_right`` (g' right of the data),
        and ``kkt`` with ``primal_feasibility`` (``max |g(x_i) - y_i| /
        ||y||_inf`` through the callable) and ``stationarity`` (the
        relative residual of the continuity of g' at the interior knots, the
        Euler-Lagrange condition; the natural conditions hold by construction)
        and ``quadrature`` (the estimated relative error of the moments of zeta).

        With ``method="cvxpy"``: ``x``, ``u``, ``v``, ``slope_right`` and ``fun``
        are the extrapolated values (``x`` from the multipliers of the
        interpolation constraints); ``grid`` and ``grid_values`` (g on the
        coarsest grid); ``kkt`` = the worst over the grids of the discrete
        QP's ``primal_feasibility``, ``stationarity`` and ``duality_gap`` (each
        relative to the terms it is made of); ``discretization_error`` (the
        estimated error of ``grid_values``, in units of y: the difference
        between the last two diagonal Richardson extrapolants plus the
        rounding carried from each grid) and ``error_estimates`` (the same for
        ``g``, ``m``, ``u``, ``slope_right``, ``fun``); ``levels`` (per grid:
        ``cells``, ``kkt``, ``unpolished`` = Clarabel's residuals, ``seconds``,
        ``grid_values`` = that grid's own g on the coarsest grid).
        Calling the result evaluates g from the extrapolated ``x`` by the
        Green's function of the module docstring.

    Raises
    ------
    ValueError
        Shapes, NaN/inf, fewer than 2 points, repeated knots, data outside
        the support of zeta, or a zeta that is not finite and > 0 at some
        quadrature node in the hull of the data (every node is checked).
    TypeError
        Non-numeric x or y, or a zeta that is neither a Zeta, a callable nor a string.
    SolverError
        The certificate does not meet ``tol``.

    Notes
    -----
    A grid solution is not the minimizer of the continuous problem, so it cannot
    meet that problem's certificate. With ``method="cvxpy"`` the certificate is
    the KKT system of each discretized QP (checked against ``tol``, else
    ``SolverError``), and the extrapolated answer carries its own error
    estimate, ``discretization_error``; the two routes agree to within it
    (tested on constant, Gaussian and uniform-bias density weights).

    Used in the chapter *The limiting optimization problems* (``book/solvers.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import weighted_spline
    >>> g = weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], "constant")
    >>> np.round(g(np.array([0.5, 1.0, 3.0])), 12)  # natural cubic spline, then linear
    array([ 0.6875,  1.    , -1.5   ])
    >>> h = weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], "gaussian", method="cvxpy")
    >>> e = weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 0.0], "gaussian")
    >>> h.success, bool(np.max(np.abs(h.grid_values - e(h.grid))) <= h.discretization_error)
    (True, True)
    """
    tol = check_tol(tol)
    method = check_method(method, ("moments", "cvxpy"))
    if method == "cvxpy":
        from ._spline_cvxpy import spline_cvxpy

        return spline_cvxpy(x, y, zeta, tol=tol, cells=cells, levels=levels, polish=polish)
    if cells is not None or levels is not None:
        raise ValueError("cells and levels apply only to method='cvxpy' (the grid route); "
                         "leave them None for method='moments'")
    k, yk, zeta = _prepare(x, y, zeta)
    # Positivity is checked at every quadrature node (an adaptive grid over the whole
    # hull, refined where the moments are), and for the named families analytically.
    M = k.size
    h = np.diff(k)
    J, qerr = interval_moments(zeta, k[:-1], k[1:], return_error=True)  # J00, J10, J20, J11, J02, J01
    J20, J11, J02 = J[:, 2] / h**2, J[:, 3] / h**2, J[:, 4] / h**2
    sl = np.diff(yk) / h
    m = np.zeros(M)
    if M > 2:
        # Row for interior knot i (1..M-2): m_{i-1} J11_{i-1} + m_i (J20_{i-1} + J02_i)
        # + m_{i+1} J11_i = s_i - s_{i-1}.
        diag = J20[:-1] + J02[1:]
        off = J11[1:-1]
        rhs = sl[1:] - sl[:-1]
        ab = np.zeros((2, M - 2))
        ab[0, 1:] = off
        ab[1] = diag
        from scipy.linalg import solveh_banded

        m[1:-1] = solveh_banded(ab, rhs) if M > 3 else rhs / diag
        lhs = diag * m[1:-1]
        lhs[1:] += off * m[1:-2]
        lhs[:-1] += off * m[2:-1]
        jump = float(np.max(np.abs(lhs - rhs))) / max(float(np.max(np.abs(rhs))), 1e-300)
    else:
        jump = 0.0
    u = float(sl[0] - (m[0] * J02[0] + m[1] * J11[0]))
    v = float(yk[0] - u * k[0])
    slope_right = float(sl[-1] + (m[-2] * J11[-1] + m[-1] * J20[-1]))
    fun = float(np.sum(m[:-1] ** 2 * J02 + 2 * m[:-1] * m[1:] * J11 + m[1:] ** 2 * J20))
    res = WeightedSplineResult(x=m, knots=k, knot_values=yk, zeta=zeta, u=u, v=v, slope_right=slope_right)
    # Interpolation holds by construction of the representation (g = y_j at the
    # knots); the substantive residual is the C^1 condition, i.e. the continuity
    # of g' = the stationarity of the variational problem across each knot.
    kkt = KKT(
        primal_feasibility=rel(np.max(np.abs(res(k) - yk)), np.max(np.abs(yk))),
        stationarity=jump,
        quadrature=float(np.max(qerr)),
    )
    out = finish("weighted_spline", m, fun, kkt, tol, u=u, v=v, knots=k,
                 hint="zeta has kinks or jumps the quadrature does not know: pass them as "
                      "breakpoints (zeta('density', ..., breakpoints=..., b_bound=...)), or "
                      "use a larger tol")
    res.update(out)
    return res
