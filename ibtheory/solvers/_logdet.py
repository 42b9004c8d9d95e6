r"""The log-det regularized factorization of Varre et al. (2023).

.. math::

    \min_{W_1, W_2} \|W_1\|_F^2 + \|W_2\|_F^2 - 2\gamma\log\det(W_1W_1^\top)
    \quad\text{s.t.}\quad XW_1W_2 = Y .

With :math:`\beta = W_1W_2` and :math:`A = W_1W_1^\top \succ 0`, minimizing
:math:`\|W_2\|_F^2` over the factorizations of a given :math:`(\beta, A)` gives
:math:`\operatorname{tr}(\beta^\top A^{-1}\beta)` (attained at
:math:`W_2 = W_1^\top A^{-1}\beta`), so the problem is the convex program

.. math::

    \min_{\beta, A \succ 0}\ \operatorname{tr}A + \operatorname{tr}(\beta^\top A^{-1}\beta)
    - 2\gamma\log\det A \quad\text{s.t.}\quad X\beta = Y

(trace, matrix-fractional and log-det terms). Its stationarity in :math:`A` reads
:math:`I - A^{-1}\beta\beta^\top A^{-1} - 2\gamma A^{-1} = 0`, i.e.
:math:`A^2 - 2\gamma A = \beta\beta^\top`, and in :math:`\beta`,
:math:`A^{-1}\beta \in \operatorname{range}(X^\top)`.
"""
from __future__ import annotations

import numpy as np

from .._validation import check_positive
from ._checks import check_flag, design, require_in_range, svd_range, targets
from ._result import DEFAULT_TOL, KKT, SolverError, check_method, check_tol, cvx_solve, finish, rel


def _gram_residual(A, beta, gamma):
    r"""Eigen-relative residual of :math:`A^2 - 2\gamma A = \beta\beta^\top`.

    In the eigenbasis :math:`A = Q\Lambda Q^\top`, :math:`R = \Lambda^2 - 2\gamma\Lambda -
    (Q^\top\beta)(Q^\top\beta)^\top`; a perturbation E of A moves R by
    :math:`(\lambda_i + \lambda_j - 2\gamma)E_{ij}`, so
    :math:`\|R_{ij} / ((\lambda_i + \lambda_j - 2\gamma)\sqrt{\lambda_i\lambda_j})\|_F`
    is the error of A relative to its own eigenvalues: the bulk :math:`2\gamma` is
    certified as accurately as the large ones (a residual relative to
    :math:`\|A\|^2` would let 1e-7 errors in the bulk pass at gamma = 1e-3).
    """
    lam, Q = np.linalg.eigh(A)
    if lam[0] <= 0:
        return float("nan")
    Qb = Q.T @ beta
    R = np.diag(lam * (lam - 2 * gamma)) - Qb @ Qb.T
    den = (lam[:, None] + lam[None, :] - 2 * gamma) * np.sqrt(lam[:, None] * lam[None, :])
    if np.any(den <= 0):  # an eigenvalue below gamma: far from the optimum (>= 2 gamma)
        return float("inf")
    return float(np.linalg.norm(R / den))


def _gram_from_beta(B, gamma):
    """A = gamma I + (gamma^2 I + B B^T)^(1/2) through the SVD of B (exact 2 gamma bulk)."""
    d = B.shape[0]
    U, s, _ = np.linalg.svd(B, full_matrices=False)
    top = gamma + np.sqrt(gamma**2 + s**2)
    return 2 * gamma * (np.eye(d) - U @ U.T) + (U * top) @ U.T


def _kkt(X, Y, beta, A, gamma):
    evals = np.linalg.eigvalsh(A)
    if evals[0] <= 0:
        nan = float("nan")
        return KKT(primal_feasibility=nan, stationarity_gram=nan, stationarity_beta=nan), None
    # Stationarity in beta: G = A^{-1} beta must lie in range(X^T). Formed with A^{-1}
    # on purpose: a backward error beta - A X^T Lam hides errors of beta in the bulk
    # directions (amplified 1/gamma here), which left 5e-8 errors certified at 3e-11.
    lam_A, Q = np.linalg.eigh(A)
    G = Q @ ((Q.T @ beta) / lam_A[:, None])
    Lam = np.linalg.lstsq(X.T, G, rcond=None)[0]
    kkt = KKT(
        primal_feasibility=rel(np.linalg.norm(X @ beta - Y), np.linalg.norm(Y)),
        stationarity_gram=_gram_residual(A, beta, gamma),
        stationarity_beta=rel(np.linalg.norm(X.T @ Lam - G), np.linalg.norm(G)),
    )
    return kkt, Lam


def _polish(X, Y, B, G, gamma, maxiter=2000):
    """Exact block minimization from the interior-point answer.

    Clarabel's exponential/PSD cones stop near 1e-8; alternating the two exact
    block minimizers of the (jointly convex, smooth) objective,
    beta <- A X^T (X A X^T)^+ Y (A-weighted min-norm interpolator) and
    A <- gamma I + (gamma^2 I + beta beta^T)^(1/2) (the root of A^2 - 2 gamma A =
    beta beta^T), decreases it monotonically and converges linearly from there.
    """
    for _ in range(maxiter):
        K = X @ G @ X.T
        Bn = G @ X.T @ np.linalg.lstsq(K, Y, rcond=None)[0]
        Gn = _gram_from_beta(Bn, gamma)
        change = np.linalg.norm(Gn - G) / np.linalg.norm(Gn)
        B, G = Bn, 0.5 * (Gn + Gn.T)
        if change < 1e-15:
            break
    return B, G


def _dual_newton(X, Y, gamma, maxiter=200, Lam0=None):
    r"""Newton's method on the dual; returns (beta, A).

    With the constraint reduced to orthonormal rows, :math:`V^\top\beta = \tilde Y`
    (:math:`X = U S V^\top`), minimizing the Lagrangian over :math:`\beta`
    (:math:`\beta = A V\Lambda/2`) and then :math:`A`
    (:math:`A = 2\gamma(I - V\Lambda\Lambda^\top V^\top/4)^{-1}`) leaves the concave dual

    .. math::

        g(\Lambda) = \operatorname{tr}(\Lambda^\top\tilde Y)
        + 2\gamma\log\det(I_k - \Lambda^\top\Lambda/4) + \text{const},
        \qquad \|\Lambda\|_2 < 2,

    (Sylvester's determinant identity turns the d x d log-det into a k x k one)
    with gradient :math:`\tilde Y - \gamma\Lambda M^{-1}`, :math:`M = I_k - \Lambda^\top\Lambda/4`.
    """
    U, sv, Vt = svd_range(X)
    Yr = (U.T @ Y) / sv[:, None]
    r, k = Yr.shape

    def evaluate(Lam):
        M = np.eye(k) - Lam.T @ Lam / 4
        try:
            Lc = np.linalg.cholesky(M)
        except np.linalg.LinAlgError:
            return None
        return float(np.sum(Lam * Yr) + 4 * gamma * np.sum(np.log(np.diag(Lc)))), M

    Lam = np.zeros((r, k)) if Lam0 is None else Lam0
    first = evaluate(Lam)
    if first is None:
        Lam = np.zeros((r, k))
        first = evaluate(Lam)
    gval, M = first
    ynorm = max(float(np.linalg.norm(Yr)), 1e-300)
    best, stalls = np.inf, 0
    for it in range(1, maxiter + 1):
        Minv = np.linalg.inv(M)
        F = Lam @ Minv
        G = Yr - gamma * F
        gn = float(np.linalg.norm(G))
        if gn <= 1e-15 * ynorm:
            break
        # In the converged region stop after 3 steps without a new best residual.
        if gn <= 1e-10 * ynorm:
            stalls = stalls + 1 if gn >= 0.5 * best else 0
            if stalls >= 3:
                break
        best = min(best, gn)
        # Hessian of -g / gamma as an (r k) x (r k) matrix, index (i, a) = i * k + a:
        # d(Lam M^{-1})[E] = E M^{-1} + F (Lam^T E + E^T Lam)/4 M^{-1}... written out:
        I_r = np.eye(r)
        Hm = (np.einsum("ij,ba->iajb", I_r, Minv)
              + np.einsum("ij,ba->iajb", F @ Lam.T / 4, Minv)
              + np.einsum("ib,ja->iajb", F, F) / 4).reshape(r * k, r * k)
        step = np.linalg.solve(gamma * Hm, G.ravel()).reshape(r, k)
        dec = float(np.sum(G * step))
        tau = 1.0
        while True:
            new = evaluate(Lam + tau * step)
            if new is not None and (new[0] >= gval + 1e-4 * tau * dec
                                    or dec <= 1e-15 * max(abs(gval), 1.0)):
                break
            tau *= 0.5
            if tau < 1e-14:
                raise SolverError("logdet_factorization: the dual line search failed", "line_search")
        Lam = Lam + tau * step
        gval, M = new
    else:
        raise SolverError(f"logdet_factorization: no convergence in {maxiter} Newton steps", "max_iter")
    C = Vt.T @ Lam / 2
    Minv = np.linalg.inv(np.eye(k) - C.T @ C)
    beta = 2 * gamma * C @ Minv
    A = 2 * gamma * (np.eye(X.shape[1]) + C @ Minv @ C.T)
    return beta, 0.5 * (A + A.T)


def _cvxpy(X, Y2, gamma):
    import cvxpy as cp

    d, k = X.shape[1], Y2.shape[1]
    beta = cp.Variable((d, k))
    A = cp.Variable((d, d), PSD=True)
    obj = cp.trace(A) + cp.matrix_frac(beta, A) - 2 * gamma * cp.log_det(A)
    prob = cp.Problem(cp.Minimize(obj), [X @ beta == Y2])
    status = cvx_solve(prob, "logdet_factorization")
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise SolverError(f"logdet_factorization: Clarabel reported {status}", status)
    G = np.asarray(A.value, float)
    return np.asarray(beta.value, float), 0.5 * (G + G.T)


def logdet_factorization(X, Y, gamma, *, method="dual-newton", tol=DEFAULT_TOL, polish=True):
    r"""Solve the log-det regularized factorization problem of Varre et al. (2023).

    .. math::

        \min_{W_1, W_2} \|W_1\|_F^2 + \|W_2\|_F^2 - 2\gamma\log\det(W_1W_1^\top)
        \quad\text{s.t.}\quad XW_1W_2 = Y ,

    the implicit bias of gradient flow on a two-layer linear network from the
    initialization :math:`W_1 = \sqrt{2\gamma}P`, :math:`W_2 = 0`. It is the
    convex problem in :math:`(\beta, A) = (W_1W_2, W_1W_1^\top)` (trace +
    matrix-fractional - log-det), solved through its dual (default) or with
    CVXPY/Clarabel; a factorization is then
    :math:`W_1 = A^{1/2}`, :math:`W_2 = A^{-1/2}\beta` (any :math:`W_1 = A^{1/2}Q`
    with :math:`QQ^\top = I` is equally optimal).

    The optimum has a closed form (derived in the chapter): :math:`\beta =
    X^+Y` (the minimum Frobenius-norm interpolator) and :math:`A = \gamma I +
    (\gamma^2 I + \beta\beta^\top)^{1/2}`, so
    :math:`\sigma_i(W_1) = (\gamma + \sqrt{\gamma^2 + \sigma_i(\beta)^2})^{1/2}`
    for :math:`i \le \operatorname{rank}\beta` and :math:`\sqrt{2\gamma}` beyond.
    This solver does not use it; the tests and the ledger compare with it.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n, k) or (n,)
    gamma : float
        Initialization scale, > 0.
    tol : float, optional
        Tolerance on the relative KKT residuals (default 1e-8).
    method : {"dual-newton", "cvxpy"}, optional
        ``"dual-newton"`` (default): Newton's method on the smooth dual
        :math:`\max_\Lambda \operatorname{tr}(\Lambda^\top\tilde Y) + 2\gamma\log\det(I_k -
        \Lambda^\top\Lambda/4)` over :math:`r \times k` multipliers (r = rank X), with
        the primal recovered in closed form from :math:`\Lambda`.
        ``"cvxpy"``: the convex primal in :math:`(\beta, A)` with CVXPY/Clarabel
        (a d x d PSD variable; about a minute at d = 50, so for small d).
    polish : bool, optional
        For ``method="cvxpy"``: refine Clarabel's answer (accurate to ~1e-7 on
        these cones) by the dual Newton method restarted from Clarabel's
        multiplier (or, if that fails, exact alternating minimization over beta
        and A); kept only if it improves the certificate (default True).

    Returns
    -------
    SolverResult
        ``x`` = ``beta`` (d, k), ``beta``, ``gram`` = :math:`A = W_1W_1^\top`
        (d, d), ``singular_values`` of :math:`W_1` (descending), ``W1``, ``W2``,
        ``fun`` (the objective), ``dual`` (:math:`\Lambda` with
        :math:`X^\top\Lambda = A^{-1}\beta`) and ``kkt`` with
        ``primal_feasibility`` (``||X beta - Y||_F / ||Y||_F``),
        ``stationarity_gram`` (the residual of :math:`A^2 - 2\gamma A = \beta\beta^\top`
        relative to A's own eigenvalues, see ``_gram_residual``)
        and ``stationarity_beta`` (``min_Lam ||beta - A X^T Lam||_F / ||beta||_F``,
        i.e. :math:`A^{-1}\beta \in` range(X^T) as a backward error); ``route``
        (the method, or the block-minimization fallback used when the dual Newton
        stalls at tiny gamma); for ``method="cvxpy"`` also ``unpolished``
        (Clarabel's ``(beta, kkt)`` before the polish).

    Raises
    ------
    ValueError
        Bad shapes, NaN/inf, gamma <= 0, or Y outside the range of X.
    SolverError
        The certificate does not meet ``tol``. **Documented limit:** the residual
        of :math:`A^2 - 2\gamma A = \beta\beta^\top` is measured relative to each
        eigenvalue of A, so the bulk :math:`2\gamma` must be resolved next to
        :math:`\|\beta\|^2`; measured on Gaussian 3 x 6 data, certified for
        gamma >= 1e-6 and refused (with the residuals) from about 1e-9 on.

    Notes
    -----
    Used in the chapter *The limiting optimization problems* (``book/solvers.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import logdet_factorization
    >>> res = logdet_factorization(np.eye(2), np.array([[3.0], [4.0]]), gamma=1.0)
    >>> np.round(res.singular_values**2, 6)  # gamma + sqrt(gamma^2 + 25), 2 gamma
    array([6.09902, 2.     ])
    """
    tol = check_tol(tol)
    check_method(method, ("dual-newton", "cvxpy"))
    polish = check_flag(polish, "polish")
    X = design(X)
    Y = targets(Y, X.shape[0], "Y", matrix=True)
    vec = Y.ndim == 1
    Y2 = Y.reshape(X.shape[0], -1)
    gamma = check_positive(gamma, "gamma")
    U, _, _ = svd_range(X)
    require_in_range(U, Y2, "Y", "X")
    fallback = None
    if method == "dual-newton":
        try:
            B, G = _dual_newton(X, Y2, gamma)
        except SolverError as exc:
            # Tiny gamma puts the dual optimum at the edge ||Lambda||_2 -> 2 where Newton
            # stalls; exact block minimization from A = I (beta-step, then A-step) is
            # immune to that edge and converges linearly.
            fallback = exc.status
            B, G = _polish(X, Y2, None,
                           np.eye(X.shape[1]), gamma, maxiter=2000)
    else:
        B, G = _cvxpy(X, Y2, gamma)
    kkt, Lam = _kkt(X, Y2, B, G, gamma)
    extra = {}
    if method == "cvxpy":
        extra["unpolished"] = (B[:, 0] if vec else B, kkt)
    if polish and method == "cvxpy":
        # Restart the dual Newton method from Clarabel's point: its multiplier is
        # Lam = 2 V^T A^{-1} beta (A^{-1} beta = V Lam / 2 at the optimum); exact block
        # minimization if that fails.
        _, _, Vt = svd_range(X)
        try:
            Bp, Gp = _dual_newton(X, Y2, gamma, Lam0=2 * Vt @ np.linalg.solve(G, B))
        except SolverError:
            Bp, Gp = _polish(X, Y2, B, G, gamma)
        kkt_p, Lam_p = _kkt(X, Y2, Bp, Gp, gamma)
        if kkt_p.worst <= kkt.worst:
            B, G, kkt, Lam = Bp, Gp, kkt_p, Lam_p
    evals, evecs = np.linalg.eigh(G)
    if evals[0] <= 0:
        raise SolverError("logdet_factorization: the Gram matrix is not positive definite "
                          "(gamma too small for float64 relative to ||beta||^2?)", "not_pd", kkt)
    root = (evecs * np.sqrt(evals)) @ evecs.T
    W1 = root
    W2 = (evecs / np.sqrt(evals)) @ evecs.T @ B
    fun = float(np.trace(G) + np.sum(B * np.linalg.solve(G, B)) - 2 * gamma * np.sum(np.log(evals)))
    x = B[:, 0] if vec else B
    return finish("logdet_factorization", x, fun, kkt, tol, beta=x, gram=G, route=(
                  method if fallback is None else f"block-minimization (dual Newton: {fallback})"),
                  hint=(f"gamma = {gamma:.1e} is below what float64 resolves here: the bulk "
                        "eigenvalues 2 gamma of A sit next to ||beta||^2 and the residual is "
                        "measured relative to each eigenvalue (documented limit: about "
                        "gamma >= 1e-7 ||X^+ Y||^2); use a larger gamma")
                  if fallback is not None else "ill-conditioned X or extreme gamma",
                  singular_values=np.sqrt(evals[::-1]), W1=W1, W2=W2[:, 0] if vec else W2,
                  dual=Lam, **extra)
