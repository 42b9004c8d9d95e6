"""Yun, Krishnan, Mobahi (2021), Corollary 2: diagonal networks, exponential loss.

Experiment: :func:`ibtheory.papers.yun2021.diagonal_directions` (book preset), shared with
the chapter ``book/yun2021.md``. L = 2: the l1 max-margin direction; L >= 3: a stationary
point of the l_{2/L} problem (certified by its KKT residual along the run, not by a
reference built from the flow); lambda = 0: the failure of the initialization condition.
"""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim
from ibtheory.papers.yun2021 import diagonal_directions
from ibtheory.papers.yun2021 import tolerances as tol
from ibtheory.stats import binomial_interval

_SEEDS = diagonal_directions.seeds("book")


@claim("yun2021.cor2.l1_direction",
       "A 2-layer diagonal network (exponential loss, w1_j^2 - w2_j^2 >= lambda > 0) converges in "
       "direction to the l1 max-margin solution: the angle decays along the run.",
       "Yun et al. 2021, Corollary 2 (L = 2)", seeds=_SEEDS)
def l1_direction(seeds):
    rep = diagonal_directions("book", seeds=seeds)
    m = rep.L == 2
    fit = rep.fit("angle", 2)
    # The initialization condition (lambda > 0) is a hypothesis of the corollary, fixed by the
    # experiment's construction: a precondition, not a check (it cannot vary with the seeds).
    if not np.min(rep.init_margin[m]) > 0:
        raise ValueError("the instances violate the initialization condition of Corollary 2")
    return Check.combine(
        details=(f"{int(m.sum())} separable instances (n=4, d=6), wbar_1 = 1, wbar_2 = 1/2 (lambda = "
                 f"{np.min(rep.init_margin[m]):.2f}): angle of beta to max_margin(p=1) from "
                 f"{np.median(rep.angle[m][:, 0]):.2g} (median, s = {rep.s[0]:g}) to "
                 f"{np.min(rep.final_angle[m]):.1e}..{np.max(rep.final_angle[m]):.1e} rad at s = log t = "
                 f"{rep.s[-1]:.0e}; pooled fit from s = {rep.s_fit_from:g}: exponent {fit.slope:.2f} "
                 f"[{fit.ci[0]:.2f}, {fit.ci[1]:.2f}] (95%); the CI must lie below 0. No rate is claimed: the "
                 f"effective initialization scale ~ s^(-1/2) enters the l1 approach only logarithmically, so "
                 f"a fixed angle threshold would be arbitrary. Final log-losses <= "
                 f"{np.max(rep.final_log_loss[m]):.0f}."),
        routes=("logtime_flow (LSODA) of Diagonal", "max_margin(p=1) (LP)"),
        decays=Check.bound(fit.ci[1], 0.0),
        converged=Check.bound(float(np.sum(rep.outcome[m] != "converged")), 0.5),
        drift=Check.bound(float(np.max(rep.drift[m])), tol.LOGTIME_DRIFT))


@claim("yun2021.cor2.stationary_direction",
       "An L-layer diagonal network (L = 3, 4; exponential loss, lambda > 0) converges in direction to a "
       "stationary point of min ||z||_{2/L} s.t. y_i x_i'z >= 1: the KKT residual of the flow's normalized "
       "direction decays along the run.",
       "Yun et al. 2021, Corollary 2 / Theorem 2 (L >= 3)", seeds=_SEEDS)
def stationary_direction(seeds):
    rep = diagonal_directions("book", seeds=seeds)
    parts, text = {}, []
    for L in sorted(set(rep.L.tolist()) - {2}):
        m = rep.L == L
        fit = rep.fit("kkt", L)
        parts[f"L{L}_kkt_decays"] = Check.bound(fit.ci[1], 0.0)
        k = int(m.sum())
        pol = int(np.sum(rep.polished[m]))
        same = int(np.sum(rep.angle_flow_vs_solver[m] < 1e-6))
        lo, hi = binomial_interval(same, k)
        text.append(f"L={L}: KKT residual {np.median(rep.kkt[m][:, 0]):.2g} -> "
                    f"{np.min(rep.final_kkt[m]):.1e}..{np.max(rep.final_kkt[m]):.1e}, exponent {fit.slope:.2f} "
                    f"[{fit.ci[0]:.2f}, {fit.ci[1]:.2f}]; polish_stationary certified a point in {pol}/{k} runs, "
                    f"the same as max_margin(p=2/L) in {same}/{k} (95% CI [{lo:.2f}, {hi:.2f}])")
    m = rep.L >= 3
    parts["converged"] = Check.bound(float(np.sum(rep.outcome[m] != "converged")), 0.5)
    parts["drift"] = Check.bound(float(np.max(rep.drift[m])), tol.LOGTIME_DRIFT)
    return Check.combine(
        details=(f"{len(seeds)} separable instances (n=4, d=6), wbar_l = 1, wbar_L = 1/2. The residual "
                 f"(ibtheory.solvers.lp_margin_kkt_residual: min over mu >= 0 of the stationarity "
                 f"p|z|^p = z.(A'mu) and complementarity, relative; no support threshold) at beta/min "
                 f"margin on s = {rep.s[0]:g}..{rep.s[-1]:.0e}; pooled fits from s = {rep.s_fit_from:g} must "
                 f"have CIs below 0. " + "; ".join(text) + ". Which stationary point the flow selects is "
                 "reported, not claimed: the theorem names only 'a stationary point'."),
        routes=("logtime_flow (LSODA) of Diagonal", "lp_margin_kkt_residual (NNLS)",
                "polish_stationary vs max_margin(p=2/L)"),
        **parts)


@claim("yun2021.cor2.init_condition_failure",
       "When the initialization condition fails (lambda = 0: w2_j = -sign(z_j) w1_j on the largest "
       "coordinate j of the l1 solution z), beta_j keeps the wrong sign and the 2-layer diagonal network "
       "does not reach the l1 max-margin direction.",
       "Yun et al. 2021, Corollary 2 (necessity of the initialization condition)", seeds=_SEEDS)
def init_condition_failure(seeds):
    rep = diagonal_directions("book", seeds=seeds)
    m = rep.L == 2
    not_stuck = int(np.sum(~rep.failure_stuck[m]))
    gap = float(np.max(rep.failure_bound[m] - rep.failure_angle[m]))
    return Check.combine(
        details=(f"{int(m.sum())} instances: w1_j^2 - w2_j^2 = 0 is conserved, so beta_j = w1_j w2_j never "
                 f"changes sign: wrong sign along the whole run in {int(m.sum()) - not_stuck}/{int(m.sum())} "
                 f"runs. Then the angle to z is at least arcsin(|z_j|/||z||) (the nearest unit vector with the "
                 f"wrong sign on j): final angles {np.min(rep.failure_angle[m]):.2f}..."
                 f"{np.max(rep.failure_angle[m]):.2f} rad vs bounds {np.min(rep.failure_bound[m]):.2f}..."
                 f"{np.max(rep.failure_bound[m]):.2f}; and at least {tol.FAILURE_MIN_ANGLE} rad."),
        routes=("logtime_flow (LSODA) of Diagonal", "max_margin(p=1)"),
        wrong_sign_kept=Check.bound(float(not_stuck), 0.5),
        angle_above_bound=Check.bound(gap, 0.0),
        far_from_l1=Check.bound(-float(np.min(rep.failure_angle[m])), -tol.FAILURE_MIN_ANGLE))
