r"""The norm-like interpolator of Yun et al. (2021), Theorem 5 / Corollary 5.

Problem (separable weights :math:`a_j, b_j > 0`):

.. math::

    \min_z \sum_j a_j H_L(z_j / b_j) \quad\text{s.t.}\quad Az = y ,

with :math:`a_j = \alpha^2 \bar w_j^2`, :math:`b_j = \alpha^L |\bar w_j|^L` for the
diagonal network. Since :math:`H_L' = h_L^{-1}`, the conjugate of
:math:`\phi_j(z) = a_j H_L(z/b_j)` is :math:`\phi_j^*(s) = a_j G_L(c_j s)` with
:math:`c_j = b_j / a_j` and :math:`G_L(\tau) = \int_0^\tau h_L = q_L(\tau)^2/2`
(because :math:`(q^2/2)' = q p^{L-1} = h`). The dual

.. math::

    \max_\lambda\ \lambda^\top y - \sum_j a_j\, G_L\big(c_j (A^\top\lambda)_j\big),
    \qquad |c_j (A^\top\lambda)_j| < c_L ,

is smooth and strictly concave; its gradient is :math:`y - Az(\lambda)` with
:math:`z_j = b_j h_L(c_j (A^\top\lambda)_j)`, and its Hessian is
:math:`-A\,\mathrm{diag}(b_j c_j h_L'(c_j s_j))A^\top` with
:math:`h_L' = (L-1)p^{2L-4}q^2 + p^{2L-2} = (1+q^2)^{L-2}(1 + L q^2)`
(using :math:`p^2 - q^2 = 1`). :func:`_dual_newton` runs Newton's method on it
with backtracking that also keeps :math:`|c_j s_j| < c_L`.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_depth, check_positive
from ._checks import check_flag, design, real_array, require_in_range, svd_range, targets
from ._margin import MAX_DEPTH
from ._qnorm_cvx import _cvxpy_dual
from ._qnorm_edge import CONTINUE_ABOVE, REFINE_ABOVE, continuation, determinacy, refine_at_edge
from ._result import DEFAULT_TOL, KKT, SolverError, check_method, check_tol, finish, rel

_METHODS = ("dual-newton", "primal-newton", "cvxpy")
#: Dual Newton steps before the near-edge Newton is tried (the dual run is continued
#: to 500 steps only when that fails).
_SHORT_DUAL = 60


def q2_from_h(L: int, hv: np.ndarray) -> np.ndarray:
    r"""Return :math:`e = q_L^2` at the point where :math:`h_L = hv`.

    With :math:`p^2 = 1 + e`, :math:`h^2 = (1+e)^{L-1} e`. In :math:`s = \log e` the
    equation :math:`F(s) = (L-1)\,\mathrm{log1p}(e^s) + s - 2\log|h| = 0` has
    :math:`F` convex increasing, and :math:`e \le \min(h^2, |h|^{2/L})`, so Newton
    from that upper bound decreases monotonically to the root (no overflow for
    huge h because everything is in logs).
    """
    hv = np.abs(np.asarray(hv, dtype=float))
    out = np.zeros_like(hv)
    pos = hv > 0
    if not np.any(pos):
        return out
    lh = 2.0 * np.log(hv[pos])
    s = np.minimum(lh, lh / L)
    for _ in range(100):
        es = np.exp(s)
        F = (L - 1) * np.log1p(es) + s - lh
        dF = (L - 1) * es / (1.0 + es) + 1.0
        step = F / dF
        s = s - step
        if np.all(np.abs(step) <= 1e-15 * np.maximum(1.0, np.abs(s))):
            break
    e = np.exp(s)
    # One Newton step on the relative residual restores the ulps lost in exp(log).
    r = np.exp((L - 1) * np.log1p(e) + np.log(e) - lh) - 1.0
    e = e * (1.0 - r * (1.0 + e) / (1.0 + L * e))
    out[pos] = e
    return out


def h_prime_from_q2(L: int, e: np.ndarray) -> np.ndarray:
    """h_L'(t) = (1 + q^2)^(L-2) (1 + L q^2) given e = q(t)^2."""
    return (1.0 + e) ** (L - 2) * (1.0 + L * e)


#: Smallest nonzero max|y| accepted (squared norms of smaller targets underflow).
TINY_Y = 1e-140


def qnorm_kkt(A, y, a, b, L, z, lam):
    """Residuals of min sum a_j H_L(z_j/b_j) s.t. Az = y at (z, lam)."""
    from ..special import h_inv

    grad = (a / b) * h_inv(L, z / b)
    g = A.T @ lam
    gs = float(np.max(np.abs(g))) if g.size and np.all(np.isfinite(g)) and np.any(g) else 1.0
    ys = float(np.max(np.abs(y))) if y.size and np.any(y) else 1.0
    return KKT(
        # normwise backward error: z's entries may span many decades (weights w spread
        # over 1e6 give b_j over 1e18), and then ||y|| alone is below the rounding floor
        # eps ||A|| ||z|| of the residual itself.
        # and everything scaled by max|y| first, so that a y of 1e-170 (whose 2-norm
        # underflows) cannot make z = 0 look feasible (review finding)
        primal_feasibility=rel(np.linalg.norm((A @ z - y) / ys),
                               np.linalg.norm(y / ys) + np.linalg.norm(A, 2) * np.linalg.norm(z / ys)),
        # both scaled by max|g| first: near the l1 end (a/b) ~ alpha^(2-L) can reach
        # 1e200, and an overflowing ||g|| would otherwise pass any residual.
        stationarity=rel(np.linalg.norm((grad - g) / gs), np.linalg.norm(g / gs)),
    )


def qnorm_objective(L, a, b, z):
    from ..special import H

    return float(np.sum(a * H(L, z / b)))


class _NewtonFailure(Exception):
    """Internal: the dual Newton stopped; carries the last iterate for the error report."""

    def __init__(self, status, nu, z, lam):
        super().__init__(status)
        self.status, self.nu, self.z, self.lam = status, nu, z, lam


def _dual_newton(A, y, a, b, L, maxiter=500, nu0=None, svd=None):
    """Newton on the smooth dual; returns (z, lam, nit, nu).

    Raises _NewtonFailure (with the last iterate) when it stops without converging.
    """
    from ..special import blowup_time, h

    U, sv, Vt = svd_range(A) if svd is None else svd
    if svd is None:
        require_in_range(U, y, "y", "X")
    # Work with orthonormal constraint rows: A z = y  <=>  Vt z = diag(1/s) U^T y.
    yr = (U.T @ y) / sv
    c = b / a
    cL = blowup_time(L)

    def evaluate(nu):
        t = c * (Vt.T @ nu)
        if L > 2 and not np.all(np.abs(t) < cL):
            return None
        try:
            hv = h(L, t)
        except ValueError:  # h_L(t) beyond the float64 range: outside the usable domain
            return None
        if not np.all(np.isfinite(hv)):
            return None
        e = q2_from_h(L, hv)
        return float(nu @ yr - 0.5 * np.sum(a * e)), b * hv, e

    nu = np.zeros(Vt.shape[0]) if nu0 is None else nu0
    first = evaluate(nu)
    if first is None:
        nu = np.zeros(Vt.shape[0])
        first = evaluate(nu)
    D, z, e = first
    ynorm = max(float(np.linalg.norm(yr)), 1e-300)
    best, stalls = np.inf, 0
    for it in range(1, maxiter + 1):
        g = yr - Vt @ z
        gnorm = float(np.linalg.norm(g))
        if gnorm <= 1e-14 * max(ynorm, float(np.linalg.norm(z))):
            break
        # Near the blow-up edge, or with weights spanning many decades, the residual
        # has a round-off floor; near the solution (where Newton would otherwise
        # converge quadratically) stop after 3 steps without halving the best
        # residual. The KKT check then judges the answer.
        if gnorm <= 1e-6 * ynorm:
            stalls = stalls + 1 if gnorm >= 0.5 * best else 0
            if stalls >= 3:
                break
        best = min(best, gnorm)
        w = b * c * h_prime_from_q2(L, e)
        M = (Vt * w) @ Vt.T
        try:
            Lc = np.linalg.cholesky(M)
            step = np.linalg.solve(Lc.T, np.linalg.solve(Lc, g))
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(M, g, rcond=None)[0]
        dec = float(g @ step)
        tau = 1.0
        if L > 2:
            # Largest step that keeps every |t_j| < c_L, shortened by 1 %.
            t0 = c * (Vt.T @ nu)
            dt = c * (Vt.T @ step)
            with np.errstate(divide="ignore", invalid="ignore"):
                room = np.where(dt > 0, (cL - t0) / dt, np.where(dt < 0, (-cL - t0) / dt, np.inf))
            tau = min(1.0, 0.99 * float(np.min(room)))
        while True:
            new = evaluate(nu + tau * step)
            if new is not None:
                # Armijo on the (concave) dual; once the predicted increase is at the
                # round-off level of D, Newton is in its quadratic phase: take it.
                if new[0] >= D + 1e-4 * tau * dec or dec <= 1e-15 * max(abs(D), 1.0):
                    break
            tau *= 0.5
            if tau < 1e-14:
                raise _NewtonFailure("line_search", nu, z, U @ (nu / sv))
        nu = nu + tau * step
        D, z, e = new
    else:
        raise _NewtonFailure("max_iter", nu, z, U @ (nu / sv))
    lam = U @ (nu / sv)
    return z, lam, it, nu


def _primal_newton(A, y, a, b, L, maxiter=500):
    """Second route: feasible-start Newton on the primal in a null-space basis.

    z = z0 + N v with X z0 = y and N an orthonormal basis of ker X; Newton on
    f(v) = sum_j a_j H_L(z_j / b_j) with Armijo backtracking. It shares no code
    with the dual route (it evaluates H_L and h_L^{-1}, not h_L) and costs
    O(d^3) per step, hence much slower for d >> n.
    """
    from ..special import H, h_inv

    U, sv, Vt = svd_range(A)
    require_in_range(U, y, "y", "X")
    z0 = Vt.T @ ((U.T @ y) / sv)
    _, _, Vfull = np.linalg.svd(A, full_matrices=True)
    N = Vfull[Vt.shape[0]:].T
    v = np.zeros(N.shape[1])

    def f(v):
        try:
            return float(np.sum(a * H(L, (z0 + N @ v) / b)))
        except ValueError:  # H beyond the float64 range: reject the trial point
            return float("inf")

    def last_kkt(v):
        z = z0 + N @ v
        lam = U @ ((Vt @ ((a / b) * h_inv(L, z / b))) / sv)
        return qnorm_kkt(A, y, a, b, L, z, lam)

    fv = f(v)
    flat = 0
    for it in range(1, maxiter + 1):
        u = (z0 + N @ v) / b
        gz = (a / b) * h_inv(L, u)
        g = N.T @ gz
        if np.linalg.norm(g) <= 1e-15 * max(float(np.linalg.norm(gz)), 1e-300):
            break
        hz = (a / b**2) / h_prime_from_q2(L, q2_from_h(L, u))
        Hm = (N.T * hz) @ N
        try:
            step = -np.linalg.solve(Hm, g)
        except np.linalg.LinAlgError:
            step = -np.linalg.lstsq(Hm, g, rcond=None)[0]
        if not np.all(np.isfinite(step)):
            raise SolverError("qnorm_interpolator: the primal Hessian is numerically singular "
                              "(alpha too small for float64); use method='dual-newton' or a "
                              "larger alpha", "numerical")
        dec = float(-g @ step)
        if dec <= 1e-28 * max(abs(fv), 1e-300):
            break
        tau = 1.0
        while True:
            fn = f(v + tau * step)
            if fn <= fv - 1e-4 * tau * dec or dec <= 1e-15 * abs(fv):
                break
            tau *= 0.5
            if tau < 1e-14:
                raise SolverError("qnorm_interpolator: the primal line search failed (alpha too "
                                  "small or w too spread for the primal route); use "
                                  "method='dual-newton'", "line_search", last_kkt(v))
        # Stop when the objective no longer decreases (its round-off floor).
        flat = flat + 1 if fn >= fv else 0
        v, fv = v + tau * step, fn
        if flat >= 3:
            break
    else:
        raise SolverError(f"qnorm_interpolator: no convergence in {maxiter} primal Newton steps "
                          "(alpha too small or w too spread for the primal route); use "
                          "method='dual-newton'", "max_iter", last_kkt(v))
    z = z0 + N @ v
    gz = (a / b) * h_inv(L, z / b)
    lam_r = Vt @ gz  # gz lies in the row space of A at the optimum
    return z, U @ (lam_r / sv), it


def _weights(w, d, L, alpha):
    if w is None:
        w = np.ones(d)
    else:
        w = real_array(w, "w")
        if w.shape != (d,):
            raise ValueError(f"w must have shape ({d},) to match X, got {w.shape}")
        if np.any(w == 0):
            raise ValueError("w must have no zero entries (H_L(z/(alpha^L |w|^L)) needs |w_j| > 0)")
    with np.errstate(over="ignore", under="ignore"):
        a = np.float64(alpha) ** 2 * w**2
        b = np.float64(alpha) ** L * np.abs(w) ** L
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b)) and np.all(a > 0) and np.all(b > 0)):
        raise ValueError("alpha and w give alpha^L |w_j|^L outside the float64 range; rescale them")
    return w, a, b


def _edge_hint(A, a, b, L, lam):
    """Why the dual route is limited here: distance of the dual optimum to the edge c_L."""
    from ..special import blowup_time

    if L == 2 or lam is None:
        return "ill-conditioned data"
    t = np.abs((b / a) * (A.T @ lam))
    cL = blowup_time(L)
    gap = float(cL - np.max(t)) if t.size else 1.0
    where = (f"lies {gap:.1e} from the blow-up edge c_L = {cL:.4g} (float64 then resolves "
             f"z = b h_L(t) only to ~{2.2e-16 * cL / gap:.0e} relatively)" if gap > 2.2e-16 * cL
             else f"reaches the blow-up edge c_L = {cL:.4g} to float64 precision")
    return (f"the dual point {where}: alpha is too small (or L too large, or w too spread) for float64; the "
            "solution is then within that accuracy of the weighted min-l1 interpolator "
            "(|w|^(L-2) times min_l1_interpolator on X diag(|w|^(L-2))); use a larger alpha or that limit")


def solve_separable(A, y, a, b, L, method):
    """min sum_j a_j H_L(z_j / b_j) s.t. A z = y; returns (z, lam, nit) or raises SolverError.

    ``"dual-newton"``: a short dual Newton run; when its point is not certified to
    ``REFINE_ABOVE`` (the dual optimum near the edge c_L, float64's limit there), the
    near-edge Newton of ``ibtheory.solvers._qnorm_edge`` from that point and from
    the exact weighted l1 solution; if still above ``CONTINUE_ABOVE``, a continuation in alpha from
    the nearly-l2 regime with that Newton (degenerate l1 limits, e.g. sparse targets);
    last, the dual run continued to 500 steps. The best point by its KKT residuals
    is returned; when none meets ``DEFAULT_TOL`` after a failed dual run, the error
    carries its residuals and the distance of the dual point to the edge.
    """
    check_method(method, _METHODS)
    if method == "primal-newton":
        return _primal_newton(A, y, a, b, L)
    if method == "cvxpy":
        return _cvxpy_dual(A, y, a, b, L)[:3]
    svd = svd_range(A)
    require_in_range(svd[0], y, "y", "X")
    # A short dual run first: near the l1 end it cannot converge (float64 limit), and
    # the near-edge Newton then finishes from its point or from the l1 solution; the
    # dual run is continued only when both fail.
    nu, it = None, 0
    for budget in (_SHORT_DUAL, 500 - _SHORT_DUAL):
        failure = None
        try:
            z, lam, nit, nu = _dual_newton(A, y, a, b, L, maxiter=budget, nu0=nu, svd=svd)
        except _NewtonFailure as exc:
            failure, z, lam, nit, nu = exc, exc.z, exc.lam, budget, exc.nu
        it += nit
        kkt = qnorm_kkt(A, y, a, b, L, z, lam)
        if L > 2 and not kkt.meets(REFINE_ABOVE):
            z, lam, it2, kkt = refine_at_edge(A, y, a, b, L, svd, z, lam, nu, kkt)
            it += it2
        if L > 2 and budget == _SHORT_DUAL and not kkt.meets(CONTINUE_ABOVE):
            path = continuation(A, y, a, b, L, svd)
            if path is not None:
                k2 = qnorm_kkt(A, y, a, b, L, path[0], path[1])
                if k2.worst < kkt.worst:
                    z, lam, kkt, it = path[0], path[1], k2, it + path[2]
        if kkt.meets(DEFAULT_TOL) or failure is None or failure.status != "max_iter":
            break
    if failure is not None and not kkt.meets(DEFAULT_TOL):
        raise SolverError(f"qnorm_interpolator: the dual Newton method stopped ({failure.status}) "
                          f"and the near-edge Newton did not recover; {_edge_hint(A, a, b, L, lam)}",
                          failure.status, kkt) from None
    if L > 2:
        # The KKT residuals are blind along ker A_S on the near-edge set (several l1
        # minimizers): refuse when float64 leaves z undetermined there (review finding).
        undetermined = determinacy(A, a, b, L, z, lam)
        if undetermined > DEFAULT_TOL:
            raise SolverError(
                f"qnorm_interpolator: the l1 limit has several minimizers (the columns of X on "
                f"the support near the l1 end are linearly dependent, e.g. duplicated columns), "
                f"and at this alpha float64 determines the solution only to a relative "
                f"{undetermined:.1e} along them; use a larger alpha", "undetermined", kkt)
    return z, lam, it


def qnorm_interpolator(X, y, L, alpha, w=None, *, method="dual-newton", tol=DEFAULT_TOL,
                       polish=True):
    r"""The limit of gradient flow on an L-layer diagonal network (regression).

    .. math::

        \min_{z} Q_{L,\alpha,\bar w}(z) = \alpha^2\sum_{j=1}^d \bar w_j^2\,
        H_L\!\left(\frac{z_j}{\alpha^L |\bar w_j|^L}\right)
        \quad\text{s.t.}\quad Xz = y,
        \qquad H_L(y) = \int_0^y h_L^{-1},

    the limit of :math:`\beta = w_1\odot\cdots\odot w_L` under gradient flow on
    :math:`\tfrac12\|X\beta - y\|^2` from :math:`w_l(0) = \alpha\bar w`
    (:math:`l < L`), :math:`w_L(0) = 0` (Yun et al. 2021, Cor. 5; Thm. 5 in
    general). Along the flow :math:`\beta_j = (\alpha|\bar w_j|)^L
    h_L(\sigma_j)` with :math:`\sigma = (\alpha|\bar w|)^{L-2}\odot X^\top\lambda`,
    which is the stationarity condition of this problem; the seed text's
    denominator ":math:`\alpha L |\bar\eta_j|^L`" in Theorem 5 is OCR damage of
    :math:`\alpha^L|\bar\eta_j|^L` (checked against simulated flows in the
    ledger claim ``yun2021.thm5.qnorm_vs_flow``). As
    :math:`\alpha\to\infty` the solution tends to the minimum (weighted) l2
    interpolator, as :math:`\alpha\to 0` to the minimum l1 interpolator.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    L : int
        Depth, an integer >= 2.
    alpha : float
        Initialization scale, > 0.
    w : array_like, shape (d,), optional
        Initialization direction :math:`\bar w` (no zeros); default ones.
    method : {"dual-newton", "primal-newton", "cvxpy"}, optional
        ``"dual-newton"`` (default): Newton's method on the smooth dual with a
        backtracking line search that keeps :math:`|c_j (X^\top\lambda)_j| < c_L`
        (the blow-up time of :math:`h_L`); O(n^2 d) per step. Near the l1 end
        (small alpha, large L) the dual optimum sits at a gap
        :math:`\sim\alpha^{L-2}` from :math:`c_L`, beyond float64's resolution;
        the answer is then finished by a primal-dual Newton in mixed variables
        (:math:`z_j` on the near-edge coordinates, :math:`\lambda` elsewhere;
        ``ibtheory.solvers._qnorm_edge``) started from the dual point, from the
        exact weighted l1 solution, or by a continuation in alpha.
        ``"primal-newton"``: feasible-start Newton on the primal in a basis of
        :math:`\ker X` (evaluates :math:`H_L, h_L^{-1}`, not :math:`h_L`); an
        independent second route, O(d^3) per step.
        ``"cvxpy"``: the dual with CVXPY/Clarabel, for L = 2 (exponential cones)
        and L = 4 (second-order cones) only, where :math:`\int_0^\tau h_L` has a
        DCP form; Clarabel alone reaches ~1e-6, so ``polish`` restarts the dual
        Newton method from its point. ``unpolished`` then holds Clarabel's
        ``(x, kkt)`` for comparison.
    polish : bool, optional
        For ``method="cvxpy"``: refine Clarabel's answer (default True).
    tol : float, optional
        Tolerance on the relative KKT residuals (default 1e-8).

    Returns
    -------
    SolverResult
        ``x``, ``fun`` = :math:`Q(x)`, ``dual`` = :math:`\lambda`, ``nit`` and
        ``kkt`` with ``primal_feasibility`` = ``||Xx - y|| / (||y|| + ||X||_2 ||x||)`` (the
        normwise backward error) and
        ``stationarity`` = ``||grad Q(x) - X^T lam|| / ||X^T lam||``, where
        ``grad Q`` is evaluated with :func:`ibtheory.special.h_inv` (not with
        the :math:`h_L` used by the dual).

    Raises
    ------
    ValueError
        Bad input (shapes, NaN/inf, L < 2, alpha <= 0, zeros in w), or y not in
        the range of X.
    SolverError
        No certified optimum; the message names the residuals, the distance of
        the dual point to the edge and the remedy. **Reach:** on Gaussian data
        (random and sparse targets, n x d from 3 x 6 to 50 x 200, signed
        spread w) every (L, alpha) with L in 3..12 and alpha from 1 down to the
        float64 limit of :math:`\alpha^L|\bar w_j|^L` (alpha = 1e-20 at L = 12)
        is certified to KKT residuals below ~1e-12 (sparse targets, whose l1
        limit is degenerate: below 5e-11), and agrees with an mpmath solve
        (``ibtheory.solvers._qnorm_reach.qnorm_mp``) to ~1e-14 componentwise.
        Before the near-edge Newton the dual route stopped at alpha ~ 1e-6
        (L = 3), 1e-4 (L = 4), 1e-2 (L = 5, 6), 0.1 (L = 8) and above 0.1 (L = 12).
        As alpha -> 0 the answer tends to the weighted minimum-l1 interpolator
        :math:`|\bar w|^{L-2}\odot\arg\min\{\|\zeta\|_1 : X\operatorname{diag}(|\bar w|^{L-2})\zeta = y\}`
        (:func:`min_l1_interpolator`).

    Notes
    -----
    Used in the chapter *The limiting optimization problems* (``book/solvers.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import qnorm_interpolator
    >>> X = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]])
    >>> y = np.array([1.0, 1.0])
    >>> res = qnorm_interpolator(X, y, L=2, alpha=1.0)
    >>> bool(np.allclose(X @ res.x, y)), res.success
    (True, True)
    >>> np.round(qnorm_interpolator(X, y, L=3, alpha=1e-3).x, 5)  # ~ min l1: [0, 1/2, 1/2]
    array([0. , 0.5, 0.5])
    >>> res = qnorm_interpolator(X, y, L=12, alpha=1e-8)  # deep, at the l1 end: certified
    >>> res.success, bool(res.kkt.worst < 1e-12)
    (True, True)
    """
    tol = check_tol(tol)
    X = design(X)
    y = targets(y, X.shape[0])
    ymax = float(np.max(np.abs(y))) if y.size else 0.0
    if 0 < ymax < TINY_Y:
        # the dual Newton's merit works with squared norms of y, which underflow below this
        raise ValueError(f"y must be 0 or have max|y| >= {TINY_Y:g} (squared norms underflow below), got "
                         f"max|y| = {ymax:.3g}; for such y the limit is the weighted min-l2 interpolator "
                         f"to first order")
    L = check_depth(L, maximum=MAX_DEPTH)
    alpha = check_positive(alpha, "alpha")
    check_method(method, _METHODS)
    polish = check_flag(polish, "polish")
    w, a, b = _weights(w, X.shape[1], L, alpha)
    extra = {}
    if method == "cvxpy":
        z, lam, nit, (z0, lam0) = _cvxpy_dual(X, y, a, b, L, polish)
        extra["unpolished"] = (z0, qnorm_kkt(X, y, a, b, L, z0, lam0))
    else:
        z, lam, nit = solve_separable(X, y, a, b, L, method)
    kkt = qnorm_kkt(X, y, a, b, L, z, lam)
    return finish("qnorm_interpolator", z, qnorm_objective(L, a, b, z), kkt, tol,
                  dual=lam, nit=nit, method=method, **extra)
