"""Yun, Krishnan, Mobahi (2021), Theorems 2 and 5 for general orthogonally decomposable networks.

Experiment: :func:`ibtheory.papers.yun2021.odn_flows` (book preset): random real
(S, U_1, ..., U_L) with orthonormal U_l, the data tensor of Assumption 1, and the flows of
:class:`ibtheory.models.TensorNetwork` on it.
"""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim
from ibtheory.papers.yun2021 import odn_flows
from ibtheory.papers.yun2021 import tolerances as tol

_SEEDS = odn_flows.seeds("book")


@claim("yun2021.thm5.odn_regression",
       "For an orthogonally decomposable network (real S, U_l), gradient flow from v_l(0) = alpha U_l eta "
       "(l < L), v_L(0) = 0 converges to S'rho, rho = argmin alpha^2 sum_k eta_k^2 H_L(rho_k/(alpha^L "
       "|eta_k|^L)) s.t. X S'rho = y.",
       "Yun et al. 2021, Theorem 5", seeds=_SEEDS)
def odn_regression(seeds):
    rep = odn_flows("book", seeds=seeds)
    worst = float(np.max(rep.regression_error))
    return Check.combine(
        details=(f"{len(seeds)} random (S, U_1..U_L), d=5, m=4, k_l=5, L in {tuple(np.unique(rep.L))}, "
                 f"alpha = 1, signed eta: TensorNetwork flow (DOP853, relative stationarity 1e-10) vs "
                 f"qnorm_interpolator on the data X S' mapped back by S': worst {worst:.1e} relative "
                 f"(tolerance {tol.QNORM_FLOW:.0e}, as for diagonal networks); final losses <= "
                 f"{np.max(rep.final_loss):.0e}."),
        routes=("gradient_flow of TensorNetwork(odn_tensor)", "qnorm_interpolator on X S'"),
        agreement=Check(worst, tol.QNORM_FLOW),
        converged=Check.bound(float(np.sum(rep.outcome != "converged")), 0.5))


@claim("yun2021.thm2.odn_direction",
       "For an orthogonally decomposable network (real S, U_l) with |U_l'v_l(0)|^2 - |U_L'v_L(0)|^2 >= "
       "lambda > 0, rho(t) = prod_l U_l'v_l converges in direction to a stationary point of "
       "min ||rho||_{2/L} s.t. y_i (S x_i)'rho >= 1: its KKT residual decays along the run.",
       "Yun et al. 2021, Theorem 2", seeds=_SEEDS)
def odn_direction(seeds):
    rep = odn_flows("book", seeds=seeds)
    parts, text = {}, []
    for L in np.unique(rep.L):
        fit = rep.fit(L)
        parts[f"L{L}_kkt_decays"] = Check.bound(fit.ci[1], 0.0)
        text.append(f"L={L}: exponent {fit.slope:.2f} [{fit.ci[0]:.2f}, {fit.ci[1]:.2f}], final residuals "
                    f"{np.min(rep.final_kkt[rep.L == L]):.1e}..{np.max(rep.final_kkt[rep.L == L]):.1e}")
    parts["converged"] = Check.bound(float(np.sum(rep.outcome != "converged")), 0.5)
    return Check.combine(
        details=(f"{len(seeds)} random (S, U_l), separable instances n=3, d=5, v_l(0) = U_l eta, v_L(0) = "
                 f"U_L eta/2; KKT residual (lp_margin_kkt_residual) of rho(t) on X S' for s = log t = "
                 f"{rep.s[0]:g}..{rep.s[-1]:.0e}; pooled fits from s = {rep.s_fit_from:g} must have CIs below "
                 f"0. " + "; ".join(text) + f". Final log-losses <= {np.nanmax(rep.final_log_loss):.0f}."),
        routes=("logtime_flow of TensorNetwork(odn_tensor)", "lp_margin_kkt_residual on X S'"),
        **parts)
