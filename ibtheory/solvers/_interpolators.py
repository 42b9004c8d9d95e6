"""Minimum-norm interpolators: l2 (pseudo-inverse), l1 (basis pursuit), min-distance."""
from __future__ import annotations

import numpy as np

from .._validation import as_real_array
from ._checks import check_flag, design, require_in_range, svd_range, targets
from ._result import (DEFAULT_TOL, KKT, SolverError, check_method, check_tol, cvx_solve,
                      data_scale, finish, rel)


def _l2_core(X, y, tol, name):
    U, s, Vt = svd_range(X)
    require_in_range(U, y, "y", "X")
    Uy = U.T @ y
    x = Vt.T @ ((Uy.T / s).T)
    # The dual of min ||x||^2/2 s.t. Xx = y is lam = (X X^T)^+ y; x = X^T lam.
    lam = U @ ((Uy.T / s**2).T)
    ynorm = float(np.linalg.norm(y))
    kkt = KKT(
        primal_feasibility=rel(np.linalg.norm(X @ x - y), ynorm),
        stationarity=rel(np.linalg.norm(x - X.T @ lam), np.linalg.norm(x)),
    )
    return x, lam, kkt


def min_l2_interpolator(X, y, *, tol=DEFAULT_TOL):
    r"""Minimum Euclidean-norm interpolator.

    .. math::

        \beta^\star = \arg\min_{\beta} \|\beta\|_2 \quad\text{s.t.}\quad X\beta = y,
        \qquad \beta^\star = X^+ y = X^\top \lambda,\ \lambda = (XX^\top)^+ y .

    The limit of gradient flow on least squares from zero, and of the diagonal
    network flow as the initialization scale grows (:func:`qnorm_interpolator`).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Design matrix; may be rank deficient (the numerical rank is used).
    y : array_like, shape (n,) or (n, k)
        Targets; several right-hand sides are solved column by column.
    tol : float, optional
        Tolerance on the relative KKT residuals (default 1e-8).

    Returns
    -------
    SolverResult
        ``x`` (shape (d,) or (d, k)), ``fun`` = ``||x||_2^2 / 2`` (Frobenius for
        matrices), ``dual`` = ``lam`` and ``kkt`` with ``primal_feasibility``
        = ``||Xx - y|| / ||y||`` and ``stationarity`` =
        ``||x - X^T lam|| / ||x||`` (purely relative, so scale-invariant).

    Raises
    ------
    ValueError
        Bad shapes or non-finite entries, or ``y`` outside the range of ``X``.

    See Also
    --------
    min_l1_interpolator, min_distance_interpolator

    Notes
    -----
    Used in the chapter *The limiting optimization problems* (``book/solvers.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import min_l2_interpolator
    >>> res = min_l2_interpolator([[1.0, 1.0]], [2.0])
    >>> res.x
    array([1., 1.])
    >>> res.success
    True
    """
    tol = check_tol(tol)
    X = design(X)
    y = targets(y, X.shape[0], matrix=True)
    x, lam, kkt = _l2_core(X, y, tol, "min_l2_interpolator")
    return finish("min_l2_interpolator", x, 0.5 * float(np.sum(x * x)), kkt, tol, dual=lam)


def min_distance_interpolator(J, y, theta0, *, f0=None, tol=DEFAULT_TOL):
    r"""Closest parameter to ``theta0`` at which the linearized model interpolates.

    .. math::

        \omega^\star = \arg\min_\omega \|\omega - \theta_0\|_2 \quad\text{s.t.}\quad
        f_0 + J(\omega - \theta_0) = y ,
        \qquad \omega^\star = \theta_0 + J^+ (y - f_0),

    where :math:`f^{\rm lin}(x_i, \omega) = f(x_i, \theta_0) + \nabla_\theta f(x_i, \theta_0)
    (\omega - \theta_0)` is the linearization of the network at its initialization
    (Jin and Montufar, eq. (13)); ``J`` stacks the gradients as rows.

    Parameters
    ----------
    J : array_like, shape (n, p)
        Jacobian of the network outputs on the training inputs at ``theta0``.
    y : array_like, shape (n,)
        Training targets.
    theta0 : array_like, shape (p,)
        Initial parameters.
    f0 : array_like, shape (n,), optional
        Network outputs at ``theta0`` (default zero, as under the
        anti-symmetrical initialization).
    tol : float, optional
        Tolerance on the relative KKT residuals (default 1e-8).

    Returns
    -------
    SolverResult
        ``x`` = ``omega``, ``fun`` = ``||omega - theta0||_2^2 / 2``, ``dual`` and
        ``kkt`` as in :func:`min_l2_interpolator` (for ``omega - theta0``).

    Raises
    ------
    ValueError
        Bad shapes, non-finite entries, or ``y - f0`` outside the range of ``J``.

    Notes
    -----
    Used in the chapter *The limiting optimization problems* (``book/solvers.md``).

    Examples
    --------
    >>> from ibtheory.solvers import min_distance_interpolator
    >>> res = min_distance_interpolator([[1.0, 0.0]], [3.0], [1.0, 5.0])
    >>> res.x
    array([3., 5.])
    """
    tol = check_tol(tol)
    J = design(J, "J")
    y = targets(y, J.shape[0])
    theta0 = as_real_array(theta0, "theta0")
    if theta0.shape != (J.shape[1],):
        raise ValueError(f"theta0 must have shape ({J.shape[1]},) to match J, got {theta0.shape}")
    if f0 is None:
        f0 = np.zeros_like(y)
    else:
        f0 = targets(f0, J.shape[0], "f0")
    delta, lam, kkt = _l2_core(J, y - f0, tol, "min_distance_interpolator")
    omega = theta0 + delta
    return finish("min_distance_interpolator", omega, 0.5 * float(delta @ delta), kkt, tol, dual=lam)


def _l1_kkt(X, y, x, lam):
    """Scale-invariant residuals of basis pursuit at (x, lam) (all dimensionless)."""
    g = X.T @ lam
    xn = float(np.sum(np.abs(x)))
    return KKT(
        primal_feasibility=rel(np.linalg.norm(X @ x - y), np.linalg.norm(y)),
        dual_feasibility=max(0.0, float(np.max(np.abs(g))) - 1.0),
        complementarity=rel(abs(float(np.sum(np.abs(x) - g * x))), xn),
        duality_gap=rel(abs(xn - float(lam @ y)), xn),
    )


def _l1_polish(X, y, x, lam):
    """Re-solve on the active set {|X^T lam| = 1} exactly; None if that fails.

    An interior-point answer carries ~1e-10 dust off the support; basis pursuit's
    solution is a vertex, so solving X_S x_S = y on the support removes the dust
    and gives full float64 accuracy.
    """
    g = X.T @ lam
    S = np.flatnonzero(np.abs(g) > 1.0 - 1e-7)
    if S.size == 0 or S.size > X.shape[0]:
        return None
    XS = X[:, S]
    xS, _, rank, _ = np.linalg.lstsq(XS, y, rcond=None)
    if rank < S.size:
        return None
    sg = np.sign(g[S])
    if np.any(xS * sg < -1e-12 * max(1.0, np.max(np.abs(xS)))):
        return None
    xp = np.zeros(X.shape[1])
    xp[S] = xS
    # Smallest change of lam that makes X_S^T lam = sign exactly.
    corr, *_ = np.linalg.lstsq(XS.T, sg - XS.T @ lam, rcond=None)
    return xp, lam + corr


_BANNER_SHOWN = [False]


def _quiet_highs(highspy):
    """A silent HiGHS instance (the first one of a process prints a banner to fd 1)."""
    import os
    import sys

    if _BANNER_SHOWN[0]:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
        _BANNER_SHOWN[0] = True
    h.setOptionValue("output_flag", False)
    return h


def _l1_highs(Xn, yn):
    r"""Basis pursuit through its dual LP with HiGHS, on a growing working set of columns.

    The dual :math:`\max y^\top\lambda` s.t. :math:`-1 \le X_W^\top\lambda \le 1`
    has n free variables and one ranged row per column of the working set W. It
    starts from the 2n columns most correlated with y; after each solve the columns
    whose constraint :math:`|x_j^\top\lambda| \le 1` is violated (at most 2n, the most
    violated first) are added and the dual simplex restarts warm from the previous
    basis. At the end :math:`\lambda` is feasible for *every* column, so with the
    row duals (the primal x on W, zero elsewhere) it is an optimal pair of the
    full problem; our KKT check verifies exactly that. An unbounded restricted dual
    means y is not reachable from X_W: more columns are added.
    """
    try:
        import highspy
    except ImportError:  # pragma: no cover - highspy ships with scipy's HiGHS wheels
        return _l1_linprog(Xn, yn)
    n, d = Xn.shape
    h = _quiet_highs(highspy)
    inf = highspy.kHighsInf
    h.addVars(n, np.full(n, -inf), np.full(n, inf))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), -yn)
    cn = np.linalg.norm(Xn, axis=0)
    score = np.abs(Xn.T @ yn) / np.where(cn > 0, cn, 1.0)
    in_w = np.zeros(d, bool)

    def add(cols):
        k = cols.size
        h.addRows(k, -np.ones(k), np.ones(k), k * n, np.arange(0, k * n, n, dtype=np.int32),
                  np.tile(np.arange(n, dtype=np.int32), k), np.ascontiguousarray(Xn[:, cols].T).ravel())
        in_w[cols] = True
        rows.extend(cols.tolist())

    rows: list = []
    add(np.argsort(-score)[: min(d, 2 * n)])
    OK = highspy.HighsModelStatus.kOptimal
    while True:
        h.run()
        status = h.getModelStatus()
        sol = h.getSolution()
        if status == OK:
            lam = np.asarray(sol.col_value, float)
            g = np.abs(Xn.T @ lam)
            viol = np.flatnonzero((g > 1.0 + 1e-9) & ~in_w)
            if viol.size == 0:
                x = np.zeros(d)
                x[np.asarray(rows)] = -np.asarray(sol.row_dual, float)
                return x, lam, "optimal"
            add(viol[np.argsort(-g[viol])][: 2 * n])
        elif status in (highspy.HighsModelStatus.kUnbounded,
                        highspy.HighsModelStatus.kUnboundedOrInfeasible):
            rest = np.flatnonzero(~in_w)
            if rest.size == 0:
                return None, None, "infeasible"
            add(rest[np.argsort(-score[rest])][: 2 * n])
        else:
            raise SolverError(f"min_l1_interpolator: HiGHS stopped with status "
                              f"{h.modelStatusToString(status)!r}", "numerical")


def _l1_linprog(Xn, yn):
    """Basis pursuit as the LP min 1^T(u + v) s.t. Xn(u - v) = yn, u, v >= 0 (HiGHS)."""
    from scipy.optimize import linprog

    d = Xn.shape[1]
    lp = linprog(np.ones(2 * d), A_eq=np.hstack([Xn, -Xn]), b_eq=yn, bounds=(0, None),
                 method="highs")
    if lp.status == 2:
        return None, None, "infeasible"
    if lp.status != 0:
        raise SolverError(f"min_l1_interpolator: HiGHS stopped ({lp.message})", "numerical")
    return lp.x[:d] - lp.x[d:], np.asarray(lp.eqlin.marginals, float), "optimal"


def _l1_cvxpy(Xn, yn):
    import cvxpy as cp

    z = cp.Variable(Xn.shape[1])
    con = Xn @ z == yn
    prob = cp.Problem(cp.Minimize(cp.norm1(z)), [con])
    status = cvx_solve(prob, "min_l1_interpolator")
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        return None, None, "infeasible"
    return np.asarray(z.value, float), -np.asarray(con.dual_value, float), "optimal"


def min_l1_interpolator(X, y, *, tol=DEFAULT_TOL, polish=True, method="highs"):
    r"""Basis pursuit: the minimum l1-norm interpolator.

    .. math::

        \min_z \|z\|_1 \quad\text{s.t.}\quad Xz = y
        \qquad\Longleftrightarrow\qquad
        \max_\lambda \lambda^\top y \quad\text{s.t.}\quad \|X^\top\lambda\|_\infty \le 1 .

    The alpha -> 0 limit of the diagonal-network flow (Yun et al. 2021, Cor. 5;
    Woodworth et al. 2020). The data are normalized first
    (:math:`X/\max|X|`, :math:`y/\|y\|_\infty`; the answer is unscaled), so the
    result and its certificate do not depend on the units of X and y. The LP is
    solved by HiGHS (default) or CVXPY/Clarabel, then polished on the active set
    ``{|X^T lam| = 1}``.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
    tol : float, optional
        Tolerance on the relative KKT residuals (default 1e-8).
    polish : bool, optional
        Re-solve exactly on the support (default True); kept only when it does
        not worsen the certificate.
    method : {"highs", "cvxpy"}, optional
        ``"highs"`` (default): the dual LP with HiGHS's dual simplex on a
        growing working set of columns (warm restarts; about 3x faster than
        ``scipy.optimize.linprog`` on the full split LP at n = 100, d = 1000,
        see ``benchmarks/bench_solvers.py``). ``"cvxpy"``: the conic form with
        CVXPY/Clarabel. Both are certified by the same KKT check on all columns.

    Returns
    -------
    SolverResult
        ``x``, ``fun`` = ``||x||_1``, ``dual`` = ``lam`` and ``kkt`` with
        ``primal_feasibility`` (``||Xx-y||/||y||``), ``dual_feasibility``
        (``max(0, ||X^T lam||_inf - 1)``), ``complementarity``
        (``sum_j |x_j| - (X^T lam)_j x_j``, relative to ``||x||_1``) and
        ``duality_gap`` (``| ||x||_1 - lam^T y |``, same scaling); every
        residual is dimensionless, so scaling X or y by any factor leaves them
        unchanged. ``method`` records the route; ``unpolished`` holds the back
        end's ``(x, kkt)`` before the polish.

    Raises
    ------
    ValueError
        Bad input or ``y`` outside the range of ``X`` (checked by an SVD).
    TypeError
        Non-numeric input, a non-string ``method``.
    SolverError
        The certificate does not meet ``tol`` (the message names the residuals).

    Notes
    -----
    Used in the chapter *The limiting optimization problems* (``book/solvers.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import min_l1_interpolator
    >>> res = min_l1_interpolator([[1.0, 2.0, 0.5]], [4.0])
    >>> np.round(res.x, 12)
    array([0., 2., 0.])
    >>> float(round(res.fun, 12))
    2.0
    >>> float(round(min_l1_interpolator([[1e-9, 2e-9, 5e-10]], [4e12]).fun / 1e21, 12))
    2.0
    """
    tol = check_tol(tol)
    method = check_method(method, ("highs", "cvxpy"))
    polish = check_flag(polish, "polish")
    X = design(X)
    y = targets(y, X.shape[0])
    name = "min_l1_interpolator"
    if not np.any(y):
        kkt = KKT(primal_feasibility=0.0, dual_feasibility=0.0, complementarity=0.0, duality_gap=0.0)
        return finish(name, np.zeros(X.shape[1]), 0.0, kkt, tol, dual=np.zeros(X.shape[0]),
                      method=method)
    sx, sy = data_scale(X), data_scale(y)
    Xn, yn = X / sx, y / sy
    xn, lamn, status = (_l1_highs if method == "highs" else _l1_cvxpy)(Xn, yn)
    if status != "optimal":
        # Verify before saying so: y outside range(X) (an SVD) is a ValueError about the
        # data; otherwise the back end's "infeasible" is numerical trouble.
        U, _, _ = svd_range(X)
        require_in_range(U, y, "y", "X")
        raise SolverError(
            f"{name}: the back end ({method}) reported the problem infeasible although y lies "
            "in the range of X (checked by an SVD): numerical trouble from nearly dependent "
            "rows of X; remedy: remove them or try method='cvxpy'/'highs'", "numerical")
    kkt = _l1_kkt(Xn, yn, xn, lamn)
    raw = (xn * (sy / sx), _l1_kkt(X, y, xn * (sy / sx), lamn / sx))
    if polish:
        p = _l1_polish(Xn, yn, xn, lamn)
        if p is not None:
            kkt_p = _l1_kkt(Xn, yn, *p)
            if kkt_p.worst <= kkt.worst or kkt_p.meets(tol):
                xn, lamn = p
    # Unscale: x = (sy/sx) xn, lam = lamn/sx; the residuals are recomputed on the data.
    x, lam = xn * (sy / sx), lamn / sx
    kkt = _l1_kkt(X, y, x, lam)
    return finish(name, x, float(np.sum(np.abs(x))), kkt, tol, dual=lam, method=method, unpolished=raw,
                  hint="nearly dependent rows of X or extreme conditioning; try the other method")
