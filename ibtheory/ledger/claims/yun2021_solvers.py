"""Claims of Yun, Krishnan, Mobahi (2021) about limiting problems, checked by independent routes.

Each check compares a solver of :mod:`ibtheory.solvers` with a route that does not
share its code: a simulated gradient flow (SciPy DOP853), an LP in
``scipy.optimize.linprog`` (HiGHS), or an exact NNLS solution of a dual QP.
"""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim


def _flow_instance(seed=3, n=3, d=6):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, n)))
    wbar = rng.uniform(0.5, 1.5, d) * rng.choice([-1.0, 1.0], d)
    return Q.T, 0.5 * rng.standard_normal(n), wbar


def _diagonal_flow_limit(X, y, L, alpha, wbar, thr=1e-11):
    """Simulate all L layers of the diagonal network until ||X beta - y|| = thr (see the reference module)."""
    from ibtheory.reference.yun2021 import diagonal_flow_limit

    return diagonal_flow_limit(X, y, L, alpha, wbar, residual=thr)


@claim("yun2021.thm5.qnorm_vs_flow",
       "Gradient flow on an L-layer diagonal network from w_l(0) = alpha*wbar (l < L), w_L(0) = 0 "
       "converges to argmin sum alpha^2 wbar_j^2 H_L(z_j / (alpha^L abs(wbar_j)^L)) s.t. Xz = y.",
       "Yun et al. 2021, Theorem 5 / Corollary 5")
def qnorm_vs_flow():
    from ibtheory.solvers import qnorm_interpolator
    from ibtheory.solvers._qnorm import solve_separable

    X, y, wbar = _flow_instance()
    errs, ocr = [], []
    for L in (2, 3, 4):
        for alpha in (0.5, 1.0):
            beta = _diagonal_flow_limit(X, y, L, alpha, wbar)
            z = qnorm_interpolator(X, y, L, alpha, wbar).x
            errs.append(np.max(np.abs(z - beta)) / np.max(np.abs(beta)))
            # The seed's "alpha L |eta_j|^L" scaling, for contrast.
            zo, _, _ = solve_separable(X, y, alpha**2 * wbar**2, alpha * L * np.abs(wbar) ** L,
                                       L, "dual-newton")
            ocr.append(np.max(np.abs(zo - beta)) / np.max(np.abs(beta)))
    return Check(
        measured=max(errs), tolerance=1e-9,
        details=(f"n=3, d=6 (orthonormal rows), signed wbar, L in (2,3,4), alpha in (0.5,1): max relative "
                 f"error {max(errs):.1e}. The flow (all L layers, DOP853 rtol 1e-12) stops at residual "
                 f"1e-11, so its limit is known to ~1e-10; tolerance 1e-9 (~40x the measured 2.5e-11). The OCR'd scaling alpha*L "
                 f"instead of alpha^L misses the flow by at least {min(ocr):.1e} (relative)."),
        routes=("qnorm_interpolator (dual Newton)", "diagonal-network gradient flow (DOP853)"),
    )


@claim("yun2021.cor5.limits_vs_lp",
       "At alpha = 1e3 the diagonal-network limit (L = 3, 4) is the minimum l2 interpolator (lstsq) and at "
       "alpha = 1e-3 (L = 4) the minimum l1 interpolator (an LP), to solver accuracy plus the power-law gap.",
       "Yun et al. 2021, Corollary 5 (cf. Woodworth et al. 2020)")
def limits_vs_lp():
    from scipy.optimize import linprog

    from ibtheory.solvers import qnorm_interpolator

    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((5, 12)), rng.standard_normal(5)
    d = X.shape[1]
    lp = linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=y, bounds=(0, None), method="highs",
                 options=dict(primal_feasibility_tolerance=1e-10, dual_feasibility_tolerance=1e-10))
    l1 = lp.x[:d] - lp.x[d:]
    l2 = np.linalg.lstsq(X, y, rcond=None)[0]
    gap = np.max(np.abs(l1 - l2))
    e_big = max(np.max(np.abs(qnorm_interpolator(X, y, L, 1e3).x - l2)) for L in (3, 4)) / gap
    e_small = np.max(np.abs(qnorm_interpolator(X, y, 4, 1e-3).x - l1)) / gap
    return Check(
        measured=max(e_big, e_small), tolerance=1e-7,
        details=(f"n=5, d=12 Gaussian; distances relative to ||l1 - l2||_inf = {gap:.2f}: "
                 f"alpha=1e3 (L=3,4) to min-l2 {e_big:.1e}, alpha=1e-3 (L=4) to min-l1 {e_small:.1e}. "
                 "The gaps shrink like alpha^(-2L) towards l2 and like a power of alpha towards l1 (both "
                 "measured in yun2021.cor5.alpha_limits); at alpha = 1e-3, L = 4 the l1 gap itself is "
                 "~1e-9. Tolerance 1e-7: ~70x the measured 1.4e-9."),
        routes=("qnorm_interpolator", "lstsq (gelsd)", "linprog (HiGHS)"),
    )


@claim("yun2021.cor5.l1_vs_linprog",
       "The minimum l1 interpolator (basis pursuit) solved by CVXPY/Clarabel agrees with an LP.",
       "Yun et al. 2021, Corollary 5, alpha -> 0 limit")
def l1_vs_linprog():
    from scipy.optimize import linprog

    from ibtheory.solvers import min_l1_interpolator

    errs = []
    for seed in range(3):
        rng = np.random.default_rng(100 + seed)
        X, y = rng.standard_normal((20, 60)), rng.standard_normal(20)
        d = X.shape[1]
        lp = linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=y, bounds=(0, None),
                     method="highs", options=dict(primal_feasibility_tolerance=1e-10,
                                                  dual_feasibility_tolerance=1e-10))
        ref = lp.x[:d] - lp.x[d:]
        errs.append(np.max(np.abs(min_l1_interpolator(X, y).x - ref)) / np.max(np.abs(ref)))
    return Check(
        measured=max(errs), tolerance=1e-12,
        details=f"3 Gaussian instances n=20, d=60; max relative error {max(errs):.1e}; both return the "
                "same vertex (the polished vertex solves a 20x20 system exactly up to round-off): "
                "tolerance 1e-12, ~130x the measured 7.8e-15.",
        routes=("min_l1_interpolator (Clarabel + vertex polish)", "linprog (HiGHS dual simplex)"),
    )


@claim("yun2021.cor1.max_margin_l2_vs_dual",
       "The l2 max-margin classifier (limit direction of fully connected linear networks) agrees "
       "with the solution of its dual QP.",
       "Yun et al. 2021, Corollary 1 (cf. Ji & Telgarsky)")
def max_margin_l2_vs_dual():
    from scipy.optimize import nnls

    from ibtheory.solvers import max_margin

    errs = []
    for seed in range(3):
        rng = np.random.default_rng(200 + seed)
        X = rng.standard_normal((10, 20))
        y = np.where(rng.standard_normal(10) > 0, 1.0, -1.0)
        A = y[:, None] * X
        R = np.linalg.cholesky(A @ A.T).T
        mu, _ = nnls(R, np.linalg.solve(R.T, np.ones(10)))
        ref = A.T @ mu
        errs.append(np.max(np.abs(max_margin(X, y, p=2).x - ref)) / np.max(np.abs(ref)))
    return Check(
        measured=max(errs), tolerance=1e-13,
        details=f"3 instances n=10, d=20; the dual min 1/2 mu'AA'mu - 1'mu, mu >= 0 is solved exactly "
                f"as NNLS (Lawson-Hanson active set) and z = A'mu; max relative error {max(errs):.1e} "
                "(both polished to the active set: round-off); tolerance 1e-13, ~50x the measured 2.1e-15.",
        routes=("max_margin(p=2) (Clarabel QP + polish)", "dual QP as NNLS"),
    )


@claim("yun2021.cor2.max_margin_stationary",
       "For p = 2/L (L = 3, 4) max_margin returns a stationary point of the l_p max-margin problem "
       "(min l_p quasi-norm s.t. y_i x_i'z >= 1) that is sparser and has a smaller l_p quasi-norm "
       "than the l1 solution.",
       "Yun et al. 2021, Corollary 2")
def max_margin_stationary():
    from ibtheory.solvers import max_margin

    rng = np.random.default_rng(11)
    X = rng.standard_normal((10, 30))
    y = np.where(rng.standard_normal(10) > 0, 1.0, -1.0)
    A = y[:, None] * X
    z1 = max_margin(X, y, p=1).x
    worst, notes = 0.0, []
    for L in (3, 4):
        p = 2.0 / L
        z = max_margin(X, y, p=p).x
        S = np.flatnonzero(np.abs(z) > 1e-9 * np.max(np.abs(z)))
        T = np.flatnonzero(A @ z - 1 <= 1e-9)
        grad = p * np.abs(z[S]) ** (p - 1) * np.sign(z[S])
        mu, *_ = np.linalg.lstsq(A[np.ix_(T, S)].T, grad, rcond=None)
        resid = np.linalg.norm(A[np.ix_(T, S)].T @ mu - grad) / np.linalg.norm(grad)
        neg = max(0.0, -float(np.min(mu))) / float(np.max(np.abs(mu)))
        better = np.sum(np.abs(z) ** p) <= np.sum(np.abs(z1) ** p) * (1 + 1e-12)
        sparser = S.size <= np.count_nonzero(np.abs(z1) > 1e-9 * np.max(np.abs(z1)))
        worst = max(worst, resid, neg, 0.0 if (better and sparser) else 1.0)
        notes.append(f"L={L}: |S|={S.size}, resid {resid:.1e}")
    return Check(
        measured=worst, tolerance=1e-13,
        details="tolerance 1e-13 (~100x the measured 9e-16: exact active-set solution). n=10, d=30; stationarity recomputed by dense least squares on the support S and "
                "active set T (mu must be >= 0); " + "; ".join(notes) + f"; l1 support "
                f"{np.count_nonzero(np.abs(z1) > 1e-9 * np.max(np.abs(z1)))}.",
        routes=("max_margin (reweighted l1)", "first-order conditions by lstsq"),
    )


@claim("yun2021.cor3.fourier_max_margin",
       "For linear full-length convolutional networks the limit direction minimizes the 2/L "
       "quasi-norm of the DFT Fz s.t. y_i x_i'z >= 1; for L = 2 our SOCP in the real embedding "
       "agrees with a complex-valued CVXPY model.",
       "Yun et al. 2021, Corollary 3")
def fourier_max_margin_vs_complex():
    import cvxpy as cp

    from ibtheory.solvers import fourier_max_margin

    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 10))
    y = np.where(rng.standard_normal(6) > 0, 1.0, -1.0)
    res = fourier_max_margin(X, y, 2)
    F = np.fft.fft(np.eye(10), norm="ortho", axis=0)
    z = cp.Variable(10)
    prob = cp.Problem(cp.Minimize(cp.norm1(F @ z)), [cp.multiply(y, X @ z) >= 1])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    err = abs(res.fun - prob.value) / prob.value
    return Check(
        measured=err, tolerance=1e-10,
        details=f"tolerance 1e-10 (~50x the measured 2e-12, both solves at 1e-11 gaps). n=6, d=10 Gaussian data: optimal values {res.fun:.10f} (real SOCP, certified by "
                f"||F A'mu||_inf <= 1 and the gap) vs {prob.value:.10f} (complex model); relative "
                f"difference {err:.1e}, within the 1e-11 gaps of both solves.",
        routes=("fourier_max_margin (real embedding + own certificate)", "CVXPY complex norm1 model"),
    )


@claim("yun2021.cor6.fourier_qnorm_l2_limit",
       "For even data and even wbar, the convolutional-network limit (Q of Fz over even z) tends "
       "as alpha -> infinity to the minimizer of the weighted sum of squared moduli of Fz, weights "
       "(F wbar)_j^(2-2L), s.t. Xz = y.",
       "Yun et al. 2021, Corollary 6")
def fourier_qnorm_l2_limit():
    from ibtheory.solvers import fourier_qnorm_interpolator

    rng = np.random.default_rng(4)
    d, L = 12, 3

    def even(v):
        return 0.5 * (v + np.roll(v[..., ::-1], 1, axis=-1))

    X, y = even(rng.standard_normal((3, d))), rng.standard_normal(3)
    fw = even(rng.uniform(0.5, 1.5, d))
    w = np.real(np.fft.ifft(fw, norm="ortho"))
    F = np.fft.fft(np.eye(d), norm="ortho", axis=0)
    K = np.real(F.conj().T @ np.diag(np.abs(fw) ** (2 - 2 * L)) @ F)
    Ki = np.linalg.inv(K)
    ref = Ki @ X.T @ np.linalg.solve(X @ Ki @ X.T, y)
    z = fourier_qnorm_interpolator(X, y, L, 1e4, w).x
    err = np.max(np.abs(z - ref)) / np.max(np.abs(ref))
    return Check(
        measured=err, tolerance=1e-13,
        details=f"d=12, n=3 even data, L=3, alpha=1e4: relative distance {err:.1e} to the weighted-l2 "
                "interpolator computed from the normal equations (the remaining gap, O(alpha^-2L) = 1e-24 "
                "relative, is below round-off); tolerance 1e-13, ~60x the measured 1.7e-15.",
        routes=("fourier_qnorm_interpolator (dual Newton)", "weighted least norm, normal equations"),
    )
