r"""Convolutional versions (Yun et al. 2021, Cor. 3 and Cor. 6) in the unitary DFT basis.

:math:`F_{jk} = d^{-1/2} e^{-2\pi i jk/d}` (``numpy.fft.fft(., norm="ortho")``). For real
:math:`z`, :math:`|(Fz)_j| = \|(Cz, Sz)_j\|_2` with :math:`C = \mathrm{Re}\,F`,
:math:`S = \mathrm{Im}\,F`, which is how the complex moduli enter the conic programs.
For even real :math:`z` (:math:`z_k = z_{-k \bmod d}`), :math:`Fz` is real and even.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

from .._validation import check_depth, check_int, check_positive
from ._checks import design, labels, real_array, targets
from ._margin import MAX_DEPTH, _not_separable
from ._qnorm import qnorm_kkt, qnorm_objective, solve_separable
from ._result import DEFAULT_TOL, KKT, check_method, check_tol, cvx_solve, data_scale, finish, rel


def dft_matrix(d: int) -> np.ndarray:
    """The unitary DFT matrix F (complex, d x d)."""
    return np.fft.fft(np.eye(d), norm="ortho", axis=0)


def _is_even(v, tol=1e-12):
    rev = np.roll(v[..., ::-1], 1, axis=-1)  # v_{-k mod d}
    return np.max(np.abs(v - rev)) <= tol * float(np.max(np.abs(v)))


def _weighted_socp(A, C, S, weights, zero=None):
    """min sum_j w_j |(Fz)_j| s.t. Az >= 1 (and (Fz)_j = 0 for j in ``zero``)."""
    import cvxpy as cp

    z = cp.Variable(A.shape[1])
    mods = cp.norm(cp.vstack([C @ z, S @ z]), 2, axis=0)
    con = [A @ z >= 1]
    if zero is not None and zero.size:
        con += [C[zero] @ z == 0, S[zero] @ z == 0]
    prob = cp.Problem(cp.Minimize(weights @ mods), con)
    status = cvx_solve(prob, "fourier_max_margin")
    if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise _not_separable(A, "fourier_max_margin")
    return np.asarray(z.value, float), np.asarray(con[0].dual_value, float)


def _kkt_l1(A, F, z, mu):
    u = F @ z
    slack = A @ z - 1.0
    nrm = float(np.sum(np.abs(u)))
    return KKT(
        primal_feasibility=max(0.0, float(-np.min(slack))),
        # For real g, min ||nu||_inf over Re(F^H nu) = g is attained at nu = F g.
        dual_feasibility=max(0.0, float(np.max(np.abs(F @ (A.T @ mu)))) - 1.0,
                             rel(float(-np.min(mu)), np.max(np.abs(mu)))),
        complementarity=rel(abs(float(mu @ slack)), np.sum(np.abs(mu))),
        duality_gap=rel(abs(nrm - float(np.sum(mu))), nrm),
    )


def _stationarity_quasi(A, F, z, p):
    """First-order conditions of sum_j |(Fz)_j|^p on {(Fz)_j = 0, j not in S} with Az >= 1."""
    u = F @ z
    au = np.abs(u)
    S = au > 1e-9 * float(np.max(au))
    grad = np.real(F[S].conj().T @ (p * au[S] ** (p - 2) * u[S]))
    slack = A @ z - 1.0
    T = np.flatnonzero(slack <= 1e-9 * max(1.0, float(np.max(np.abs(A @ z)))))
    # Remove the directions that leave the support: project onto the orthogonal
    # complement of span{Re F_j, Im F_j : j not in S}.
    Z = np.vstack([F[~S].real, F[~S].imag]).T
    if Z.size:
        Q, r, _ = np.linalg.svd(Z, full_matrices=False)
        Q = Q[:, r > 1e-12 * max(1.0, float(r[0]) if r.size else 1.0)]
        proj = lambda v: v - Q @ (Q.T @ v)  # noqa: E731
    else:
        proj = lambda v: v  # noqa: E731
    gp = proj(grad)
    mu = np.zeros(A.shape[0])
    if T.size:
        muT, res = nnls(np.column_stack([proj(a) for a in A[T]]), gp, maxiter=50 * max(T.size, 10))
        mu[T] = muT
    else:
        res = float(np.linalg.norm(gp))
    return KKT(
        primal_feasibility=max(0.0, float(-np.min(slack))),
        stationarity=rel(res, np.linalg.norm(gp)),
        complementarity=rel(abs(float(mu @ slack)), np.sum(mu)),
    ), mu


def _polish_quasi(A, F, z, p, iters=30):
    """Newton-Lagrange on the smooth problem that z sits on.

    Interior-point SOCP answers stall near 1e-8 and the majorize-minimize steps then
    converge only linearly. With the frequency support S and the active margins T
    fixed, min sum_{j in S} |(Fz)_j|^p s.t. A_T z = 1, (Fz)_j = 0 (j not in S) is
    smooth, and Newton's method on its Lagrange conditions converges quadratically.
    """
    au = np.abs(F @ z)
    S = au > 1e-6 * float(np.max(au))
    Zc = np.vstack([F[~S].real, F[~S].imag])
    if Zc.size:
        _, sv, Vt = np.linalg.svd(Zc)
        rank = int(np.sum(sv > 1e-10 * sv[0]))
        Bz = Vt[rank:].T
    else:
        Bz = np.eye(F.shape[1])
    slack = A @ z - 1.0
    T = np.flatnonzero(slack <= 1e-7 * max(1.0, float(np.max(np.abs(A @ z)))))
    Dr, Di = F[S].real @ Bz, F[S].imag @ Bz
    AT = A[T] @ Bz
    c = Bz.T @ z
    k = AT.shape[0]
    for _ in range(iters):
        r, i = Dr @ c, Di @ c
        m = r * r + i * i
        v = r[:, None] * Dr + i[:, None] * Di
        grad = p * (m ** (p / 2 - 1)) @ v
        H = (np.einsum("j,ja,jb->ab", p * (p - 2) * m ** (p / 2 - 2), v, v)
             + np.einsum("j,ja,jb->ab", p * m ** (p / 2 - 1), Dr, Dr)
             + np.einsum("j,ja,jb->ab", p * m ** (p / 2 - 1), Di, Di))
        K = np.block([[H, -AT.T], [AT, np.zeros((k, k))]])
        rhs = np.concatenate([-grad, 1.0 - AT @ c])
        sol = np.linalg.lstsq(K, rhs, rcond=None)[0]
        step = sol[: c.size]
        c = c + step
        if np.linalg.norm(step) <= 1e-15 * np.linalg.norm(c):
            break
    return Bz @ c


def fourier_max_margin(X, y, L, *, tol=DEFAULT_TOL, maxiter=100):
    r"""Max-margin in the Fourier (quasi-)norm: the limit direction of linear convolutional networks.

    .. math::

        \min_{z\in\mathbb R^d} \|Fz\|_{2/L} \quad\text{s.t.}\quad y_i x_i^\top z \ge 1,

    (Yun et al. 2021, Cor. 3; Gunasekar et al. 2018). ``L = 2`` is the convex
    :math:`\|Fz\|_1` (an SOCP in the complex moduli). For ``L >= 3`` the problem is
    non-convex and we return a stationary point as in :func:`max_margin`: the
    limit of reweighted :math:`\ell_1` in the Fourier domain started from the
    ``L = 2`` solution, followed by exact majorize-minimize steps with the
    vanishing frequencies held at zero, and finally Newton's method on the
    Lagrange conditions with that support and the active margins fixed.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
        Labels in {-1, +1}.
    L : int
        Depth >= 2.
    tol : float, optional
        Tolerance on the relative KKT residuals (default 1e-8).
    maxiter : int, optional
        Bound on the majorize-minimize steps for L >= 3.

    Returns
    -------
    SolverResult
        ``x`` (real z), ``fun`` = :math:`\|Fz\|_{2/L}`, ``spectrum`` = Fz,
        ``dual`` and ``kkt``: for L = 2 ``primal_feasibility``,
        ``dual_feasibility`` (:math:`\|F A^\top\mu\|_\infty \le 1`),
        ``complementarity``, ``duality_gap``; for L >= 3 ``stationarity`` on
        the support (the projected gradient is a non-negative combination of
        the active constraint normals).

    Raises
    ------
    ValueError
        Bad input, non-separable data.
    SolverError
        The certificate does not meet ``tol``.

    Notes
    -----
    Used in the chapter *The limiting optimization problems* (``book/solvers.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import fourier_max_margin
    >>> X = np.array([[1.0, 1.0, 1.0, 1.0]])  # only the zero frequency matters
    >>> res = fourier_max_margin(X, [1.0], L=2)
    >>> np.round(res.x, 8)
    array([0.25, 0.25, 0.25, 0.25])
    """
    tol = check_tol(tol)
    X = design(X)
    y = labels(y, X.shape[0])
    L = check_depth(L, maximum=MAX_DEPTH)
    maxiter = check_int(maxiter, "maxiter", minimum=6)
    A0 = y[:, None] * X
    # Normalize (the conic back end's tolerances are absolute); unscaled at the end.
    s0 = data_scale(A0)
    A = A0 / s0
    d = X.shape[1]
    F = dft_matrix(d)
    C, Sm = F.real, F.imag
    z, mu = _weighted_socp(A, C, Sm, np.ones(d))
    if L == 2:
        z, mu = z / s0, mu / s0
        kkt = _kkt_l1(A0, F, z, mu)
        return finish("fourier_max_margin(L=2)", z, float(np.sum(np.abs(F @ z))), kkt, tol,
                      dual=mu, spectrum=F @ z, hint="nearly non-separable data")
    p = 2.0 / L
    hist = [float(np.sum(np.abs(F @ z) ** p))]
    for eps_rel in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
        au = np.abs(F @ z)
        w = p * (au + eps_rel * float(np.max(au))) ** (p - 1)
        z, _ = _weighted_socp(A, C, Sm, w / np.max(w))
        hist.append(float(np.sum(np.abs(F @ z) ** p)))
    it = 5
    while it < maxiter:
        au = np.abs(F @ z)
        # Interior-point answers leave ~1e-9 dust on frequencies that vanish at
        # the limit; p |u|^(p-1) would blow it up, so hold those at exactly zero.
        small = au <= 1e-6 * float(np.max(au))
        zero = np.flatnonzero(small)
        w = np.where(~small, p * np.maximum(au, 1e-300) ** (p - 1), 0.0)
        z_new, _ = _weighted_socp(A, C, Sm, w / np.max(w), zero)
        it += 1
        f_new = float(np.sum(np.abs(F @ z_new) ** p))
        if f_new > hist[-1] * (1 - 1e-12):
            if f_new <= hist[-1]:
                z = z_new
            break
        z = z_new
        hist.append(f_new)
    kkt, mu = _stationarity_quasi(A, F, z, p)
    zp = _polish_quasi(A, F, z, p)
    if np.all(np.isfinite(zp)):
        kkt_p, mu_p = _stationarity_quasi(A, F, zp, p)
        fp = float(np.sum(np.abs(F @ zp) ** p))
        if kkt_p.worst <= kkt.worst and fp <= float(np.sum(np.abs(F @ z) ** p)) * (1 + 1e-9):
            z, kkt, mu = zp, kkt_p, mu_p
    z = z / s0
    kkt, mu = _stationarity_quasi(A0, F, z, p)
    fun = float(np.sum(np.abs(F @ z) ** p) ** (1 / p))
    return finish(f"fourier_max_margin(L={L})", z, fun, kkt, tol, dual=mu, spectrum=F @ z,
                  nit=it, history=np.array(hist) * s0 ** (-p),
                  hint="nearly non-separable data or a depth L too large for float64")


def _even_basis(d: int):
    """P (d x m) duplicating the independent entries of an even vector, m = d//2 + 1."""
    m = d // 2 + 1
    P = np.zeros((d, m))
    for k in range(m):
        P[k, k] = 1.0
        P[(-k) % d, k] = 1.0
    return P


def fourier_qnorm_interpolator(X, y, L, alpha, w, *, method="dual-newton", tol=DEFAULT_TOL,
                               scaling="network"):
    r"""Regression limit of an L-layer linear full-length convolutional network (even data).

    .. math::

        \min_{z\in\mathbb R^d\ \mathrm{even}} \alpha^2 \sum_{j} [F\bar w]_j^2\,
        H_L\!\left(\frac{[Fz]_j}{d^{(L-1)/2}\,\alpha^L |[F\bar w]_j|^L}\right)
        \quad\text{s.t.}\quad Xz = y

    (Yun et al. 2021, Cor. 6, with the scaling the gradient flow produces). With the
    unitary DFT :math:`F`, :math:`F(w_1 * \cdots * w_L) = d^{(L-1)/2} \prod_l Fw_l`,
    hence the factor :math:`d^{(L-1)/2}`; Corollary 6 as printed in the seed slides
    omits it (it holds for the unnormalised DFT :math:`\sqrt d F`), and misses the
    simulated flow (ledger claim ``yun2021.cor6.conv_regression``). ``scaling="printed"``
    solves the printed problem instead. The corollary needs even data and an even
    :math:`\bar w`, for which :math:`F\bar w` and :math:`Fz` are real and even; the
    problem then becomes the separable problem of :func:`qnorm_interpolator` in
    the :math:`d/2 + 1` independent frequencies (each counted with its
    multiplicity 1 or 2), with constraint matrix :math:`X\,\mathrm{Re}(F^H P)`.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Rows must be even signals (:math:`x_k = x_{-k \bmod d}`).
    y : array_like, shape (n,)
    L : int
        Depth >= 2.
    alpha : float
        Initialization scale > 0.
    w : array_like, shape (d,)
        Even initialization direction with :math:`[F\bar w]_j \ne 0` for every j.
    method : {"dual-newton", "primal-newton"}, optional
        As in :func:`qnorm_interpolator`.
    tol : float, optional
        Tolerance on the relative KKT residuals (default 1e-8).
    scaling : {"network", "printed"}, optional
        ``"network"`` (default): the limit of the convolutional network's gradient
        flow; ``"printed"``: the problem exactly as printed in the seed (no
        :math:`d^{(L-1)/2}`).

    Returns
    -------
    SolverResult
        ``x`` (even real z), ``spectrum`` (real Fz), ``fun``, ``dual`` and
        ``kkt`` (``primal_feasibility``, ``stationarity``) of the reduced problem.

    Raises
    ------
    ValueError
        Bad input, odd data or w, a vanishing DFT coefficient of w, or y not
        reachable by even z.
    SolverError
        No certified optimum.

    Notes
    -----
    Used in the chapter *The limiting optimization problems* (``book/solvers.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.solvers import fourier_qnorm_interpolator
    >>> X = np.array([[1.0, 0.5, 0.0, 0.5]])
    >>> res = fourier_qnorm_interpolator(X, [1.0], L=2, alpha=1.0, w=[2.0, 0.5, 0.3, 0.5])
    >>> bool(np.isclose(X @ res.x, 1.0)[0]), bool(np.allclose(res.x[1], res.x[3]))
    (True, True)
    """
    tol = check_tol(tol)
    check_method(scaling, ("network", "printed"), "scaling")
    check_method(method, ("dual-newton", "primal-newton"))
    X = design(X)
    y = targets(y, X.shape[0])
    L = check_depth(L, maximum=MAX_DEPTH)
    alpha = check_positive(alpha, "alpha")
    d = X.shape[1]
    w = real_array(w, "w")
    if w.shape != (d,):
        raise ValueError(f"w must have shape ({d},) to match X, got {w.shape}")
    if not _is_even(X):
        raise ValueError("the rows of X must be even signals (x_k = x_{-k mod d}), as Cor. 6 requires")
    if not _is_even(w):
        raise ValueError("w must be an even signal (w_k = w_{-k mod d}), as Cor. 6 requires")
    F = dft_matrix(d)
    fw = (F @ w).real
    if np.any(np.abs(fw) <= 1e-12 * np.max(np.abs(fw))):
        raise ValueError("w must have no vanishing DFT coefficient ([F w]_j != 0 for all j)")
    P = _even_basis(d)
    mult = P.sum(axis=0)
    B = np.real(F.conj().T @ P)  # z = B u for the independent frequencies u
    A = X @ B
    m = P.shape[1]
    fwh = fw[:m]
    with np.errstate(over="ignore", under="ignore"):
        a = mult * np.float64(alpha) ** 2 * fwh**2
        b = np.float64(alpha) ** L * np.abs(fwh) ** L
        if scaling == "network":
            # F(w_1 * ... * w_L) = d^{(L-1)/2} prod_l F w_l for the unitary F
            b = b * np.float64(d) ** ((L - 1) / 2)
    if not (np.all(np.isfinite(b)) and np.all(b > 0)):
        raise ValueError("alpha and w give alpha^L |Fw|^L outside the float64 range; rescale them")
    u, lam, nit = solve_separable(A, y, a, b, L, method)
    kkt = qnorm_kkt(A, y, a, b, L, u, lam)
    z = B @ u
    return finish("fourier_qnorm_interpolator", z, qnorm_objective(L, a, b, u), kkt, tol,
                  dual=lam, spectrum=P @ u, nit=nit, method=method)
