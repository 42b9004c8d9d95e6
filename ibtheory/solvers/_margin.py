"""Maximum-margin problems min ||z||_p s.t. y_i x_i^T z >= 1 for p = 2, 1 and 2/L."""
from __future__ import annotations

import fractions
import numbers

import numpy as np
from scipy.optimize import nnls

from ._checks import design, labels
from ._result import DEFAULT_TOL, KKT, SolverError, check_tol, cvx_solve, data_scale, farkas_margin, finish, rel


def _parse_p(p):
    """Return (p as float, L) with L = 2/p for p < 1, or raise ValueError."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (numbers.Real, fractions.Fraction)):
        raise TypeError(f"p must be 2, 1 or 2/L with an integer L >= 3, got {p!r}")
    pf = float(p)
    if pf == 2.0:
        return 2.0, 1
    if pf == 1.0:
        return 1.0, 2
    if np.isfinite(pf) and pf > 0:
        L = 2.0 / pf
        Lr = round(L)
        if 3 <= Lr <= MAX_DEPTH and abs(L - Lr) <= 1e-9 * Lr:
            return 2.0 / Lr, int(Lr)
    raise ValueError(f"p must be 2, 1 or 2/L with an integer 3 <= L <= {MAX_DEPTH}, got {p!r}")


#: Largest depth of the quasi-norm problems: |z|^(2/L) with L > 100 is numerically
#: indistinguishable from the support size (an l0 problem, NP-hard).
MAX_DEPTH = 100


def _not_separable(A=None, name="max_margin"):
    """The error for a back end that reports infeasibility, after verifying it.

    The claim "not separable" is made only with a Farkas certificate: mu >= 0,
    sum mu = 1 and A^T mu = 0 (to round-off), found by an LP
    (:func:`farkas_margin`). Otherwise the back end was wrong and a SolverError
    says so.
    """
    if A is None:
        return ValueError("the data (X, y) are not linearly separable through the origin: "
                          "no z satisfies y_i x_i^T z >= 1 for every i")
    t, mu = farkas_margin(A)
    if np.isfinite(t) and t <= FARKAS_TOL:
        k = np.flatnonzero(mu > 1e-12)
        return ValueError(
            "the data (X, y) are not linearly separable through the origin: no z satisfies "
            f"y_i x_i^T z >= 1 for every i (Farkas certificate: a convex combination of the "
            f"points y_i x_i, i in {k[:10].tolist()}{'...' if k.size > 10 else ''}, has "
            f"||.||_inf = {t:.1e} relative to max|X|)")
    return SolverError(
        f"{name}: the interior-point back end reported the data not separable, but a Farkas "
        f"LP finds them separable (l1 margin {t:.2e} of X/max|X|): numerical trouble on "
        "nearly non-separable data; remedy: remove near-duplicate points of opposite labels",
        "numerical")


#: A Farkas certificate ||A^T mu||_inf / max|A| below this proves non-separability
#: to float64 accuracy (a separable set would need ||z||_1 >= 1/FARKAS_TOL).
FARKAS_TOL = 1e-10


def _kkt_l2(A, z, mu):
    slack = A @ z - 1.0
    return KKT(
        primal_feasibility=max(0.0, float(-np.min(slack))),
        dual_feasibility=rel(max(0.0, float(-np.min(mu))), np.max(np.abs(mu))),
        stationarity=rel(np.linalg.norm(z - A.T @ mu), np.linalg.norm(z)),
        complementarity=rel(abs(float(mu @ slack)), np.sum(np.abs(mu))),
    )


def _kkt_l1(A, z, mu):
    slack = A @ z - 1.0
    g = A.T @ mu
    zn = float(np.sum(np.abs(z)))
    return KKT(
        primal_feasibility=max(0.0, float(-np.min(slack))),
        dual_feasibility=max(0.0, float(np.max(np.abs(g))) - 1.0,
                             rel(float(-np.min(mu)), np.max(np.abs(mu)))),
        complementarity=rel(abs(float(mu @ slack)) + abs(float(np.sum(np.abs(z) - g * z))), zn),
        duality_gap=rel(abs(zn - float(np.sum(mu))), zn),
    )


def _solve_l2(A):
    import cvxpy as cp

    z = cp.Variable(A.shape[1])
    con = A @ z >= 1
    prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(z)), [con])
    status = cvx_solve(prob, "max_margin")
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise _not_separable(A)
    z = np.asarray(z.value, float)
    mu = np.asarray(con.dual_value, float)
    kkt = _kkt_l2(A, z, mu)
    # Polish: on the support T of mu, the margin constraints are tight and
    # z = A_T^T mu_T with A_T A_T^T mu_T = 1.
    T = np.flatnonzero(mu > 1e-9 * max(1.0, float(np.max(mu))))
    if T.size:
        AT = A[T]
        muT, *_ = np.linalg.lstsq(AT @ AT.T, np.ones(T.size), rcond=None)
        if np.all(muT >= 0):
            mu_p = np.zeros_like(mu)
            mu_p[T] = muT
            z_p = AT.T @ muT
            kkt_p = _kkt_l2(A, z_p, mu_p)
            if kkt_p.worst <= kkt.worst:
                z, mu, kkt = z_p, mu_p, kkt_p
    return z, mu, kkt


def _weighted_l1(A, weights=None):
    """Solve min sum_j w_j |z_j| s.t. Az >= 1 and polish on the active sets.

    Returns z, mu (dual of the margin constraints) for the weighted problem; the
    polish solves A_{T,S} z_S = 1 on the supports and restores
    A_{T,S}^T mu_T = w_S sign(z_S) by least squares.
    """
    import cvxpy as cp

    n, d = A.shape
    w = np.ones(d) if weights is None else weights
    z = cp.Variable(d)
    con = A @ z >= 1
    prob = cp.Problem(cp.Minimize(cp.sum(cp.multiply(w, cp.abs(z)))), [con])
    status = cvx_solve(prob, "max_margin")
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise _not_separable(A)
    zv = np.asarray(z.value, float)
    mu = np.asarray(con.dual_value, float)
    # Unweighted coordinates: rescale to the l1 problem with A / w.
    As = A / w
    zs, mus = zv * w, mu
    kkt = _kkt_l1(As, zs, mus)
    g = As.T @ mus
    S = np.flatnonzero(np.abs(g) > 1 - 1e-7)
    T = np.flatnonzero(mus > 1e-9 * max(1.0, float(np.max(mus))))
    if S.size and T.size:
        ATS = As[np.ix_(T, S)]
        zS, *_ = np.linalg.lstsq(ATS, np.ones(T.size), rcond=None)
        if np.all(zS * np.sign(g[S]) >= 0):
            zp = np.zeros(d)
            zp[S] = zS
            muT, *_ = np.linalg.lstsq(ATS.T, np.sign(g[S]), rcond=None)
            mup = np.zeros(n)
            mup[T] = muT
            kkt_p = _kkt_l1(As, zp, mup)
            if kkt_p.worst <= kkt.worst:
                zs, mus, kkt = zp, mup, kkt_p
    return zs / w, mus, kkt


def _stationarity_p(A, z, p):
    """Stationarity residual of min sum|z_j|^p s.t. Az >= 1 at z (restricted to its support).

    For p < 1 the objective is not differentiable where z_j = 0 and its
    generalized gradient there is all of R, so stationarity constrains only the
    support S: p |z_S|^(p-1) sign(z_S) = A_{T,S}^T mu_T with mu_T >= 0 on the
    active constraints T. mu is found by non-negative least squares.
    """
    zmax = float(np.max(np.abs(z)))
    S = np.flatnonzero(np.abs(z) > 1e-12 * zmax)
    slack = A @ z - 1.0
    T = np.flatnonzero(slack <= 1e-9 * max(1.0, float(np.max(np.abs(A @ z)))))
    grad = p * np.abs(z[S]) ** (p - 1) * np.sign(z[S])
    mu = np.zeros(A.shape[0])
    if T.size == 0:
        return KKT(primal_feasibility=max(0.0, float(-np.min(slack))),
                   stationarity=1.0), mu
    muT, res = nnls(A[np.ix_(T, S)].T, grad, maxiter=50 * max(T.size, 10))
    mu[T] = muT
    return KKT(
        primal_feasibility=max(0.0, float(-np.min(slack))),
        stationarity=rel(res, np.linalg.norm(grad)),
        complementarity=rel(abs(float(mu @ slack)), np.sum(mu)),
    ), mu


def _solve_quasi(A, L, tol, maxiter=100):
    p = 2.0 / L
    n, d = A.shape
    z, mu, kkt = _weighted_l1(A)
    history = [float(np.sum(np.abs(z) ** p))]
    # Phase 1: smoothed weights p (|z_j| + eps)^(p-1) with eps shrinking from
    # 1e-2 to 1e-6 of max|z|, which lets the support shrink from the l1 solution.
    K = np.arange(d)
    it = 0
    for eps_rel in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
        eps = eps_rel * float(np.max(np.abs(z)))
        w = p * (np.abs(z) + eps) ** (p - 1)
        z, _, _ = _weighted_l1(A, w / np.max(w))
        history.append(float(np.sum(np.abs(z) ** p)))
        it += 1
    # Phase 2: fix the coordinates at zero (the reweighting would give them
    # weights ~ eps^(p-1), which ruins the LP's scaling) and run the exact
    # majorize-minimize step with eps = 0 on the support: it never increases
    # sum |z_j|^p and moves between vertices, so it stops after finitely many steps.
    while it < maxiter:
        K = np.flatnonzero(np.abs(z) > 1e-12 * float(np.max(np.abs(z))))
        w = p * np.abs(z[K]) ** (p - 1)
        zK, _, _ = _weighted_l1(A[:, K], w / np.max(w))
        z_new = np.zeros(d)
        z_new[K] = zK
        it += 1
        f_new = float(np.sum(np.abs(z_new) ** p))
        if f_new > history[-1] * (1 - 1e-14):
            # No strict decrease: z is a fixed point of the MM map up to round-off.
            if f_new <= history[-1] * (1 + 1e-12):
                z = z_new if f_new <= history[-1] else z
            break
        z = z_new
        history.append(f_new)
    kkt, mu = _stationarity_p(A, z, p)
    return z, mu, kkt, it, np.array(history)


def max_margin(X, y, p=2, *, tol=DEFAULT_TOL):
    r"""Maximum-margin linear classifier in the l_p (quasi-)norm.

    .. math::

        \min_{z} \|z\|_p \quad\text{s.t.}\quad y_i x_i^\top z \ge 1,\ i = 1..n,

    for ``p = 2`` (fully connected networks, Yun et al. 2021 Cor. 1), ``p = 1``
    and ``p = 2/L`` with an integer ``L >= 3`` (``L``-layer diagonal networks,
    Yun et al. 2021 Cor. 2; ``p = 1`` is ``L = 2``).

    * ``p = 2``: a QP (CVXPY/Clarabel), polished on the support of the dual.
    * ``p = 1``: an LP (CVXPY/Clarabel), polished on its optimal vertex.
    * ``p = 2/L < 1``: non-convex; the papers speak of *stationary points* and so
      do we. We return the limit of the majorize-minimize iteration (reweighted
      l1) ``z^{k+1} = argmin sum_j p (|z^k_j| + eps_k)^{p-1} |z_j|`` s.t. the
      margin constraints, started from the l1 solution, with ``eps_k -> 0``:
      each step lowers the smoothed objective, so the point found has
      ``||z||_p`` at most that of the l1 max-margin solution and in practice a
      smaller support. It is a stationary point in the sense that
      ``p |z_S|^(p-1) sign(z_S) = A_{T,S}^T mu_T`` with ``mu_T >= 0`` on its
      support ``S`` and active constraints ``T`` (coordinates at zero carry no
      condition because ``|t|^p`` has an infinite slope at 0).

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
        Labels in {-1, +1}.
    p : float, optional
        2 (default), 1, or 2/L (e.g. ``2/3``, ``fractions.Fraction(1, 2)``).
    tol : float, optional
        Tolerance on the relative KKT residuals (default 1e-8).

    Returns
    -------
    SolverResult
        ``x``, ``fun`` = ``||x||_p``, ``dual`` (multipliers of the margin
        constraints) and ``kkt``: ``primal_feasibility`` (largest margin
        violation), ``dual_feasibility``, ``stationarity``, ``complementarity``
        and, for p = 1, ``duality_gap``. For ``p < 1`` also ``nit`` and
        ``history`` (``sum |z_j|^p`` along the iteration).

    Raises
    ------
    ValueError
        Bad input, labels not in {-1, +1}, p not allowed, or data that are not
        linearly separable.
    SolverError
        The certificate does not meet ``tol``.

    Notes
    -----
    Used in the chapter *The limiting optimization problems* (``book/solvers.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import max_margin
    >>> X = np.array([[2.0, 1.0]])
    >>> np.round(max_margin(X, [1], p=1).x, 10)  # sparse
    array([0.5, 0. ])
    >>> np.round(max_margin(X, [1], p=2).x, 10)  # x / ||x||^2
    array([0.4, 0.2])
    """
    tol = check_tol(tol)
    X = design(X)
    y = labels(y, X.shape[0])
    pf, L = _parse_p(p)
    A = y[:, None] * X
    # Normalize (Clarabel's tolerances are absolute): A = s An, z = zn / s, and the
    # multipliers scale as mu = mun / s^2 (p = 2), mun / s (p = 1), mun s^-p (p < 1).
    s = data_scale(A)
    An = A / s
    extra = {}
    if pf == 2.0:
        zn, mun, _ = _solve_l2(An)
        z, mu = zn / s, mun / s**2
        kkt = _kkt_l2(A, z, mu)
        fun = float(np.linalg.norm(z))
    elif pf == 1.0:
        zn, mun, _ = _weighted_l1(An)
        z, mu = zn / s, mun / s
        kkt = _kkt_l1(A, z, mu)
        fun = float(np.sum(np.abs(z)))
    else:
        zn, _, _, nit, hist = _solve_quasi(An, L, tol)
        z = zn / s
        kkt, mu = _stationarity_p(A, z, pf)
        fun = float(np.sum(np.abs(z) ** pf) ** (1.0 / pf))
        extra = dict(nit=nit, history=hist * s ** (-pf))
    return finish(f"max_margin(p={pf:g})", z, fun, kkt, tol, dual=mu, p=pf,
                  hint="nearly non-separable or badly conditioned data", **extra)
