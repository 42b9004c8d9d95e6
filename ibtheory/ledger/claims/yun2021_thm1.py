"""Yun, Krishnan, Mobahi (2021), Theorem 1: parameters converge to singular vectors of M(-u_inf).

Experiment: :func:`ibtheory.papers.yun2021.exponential_flows` (book preset), shared with
Corollary 1 and the chapter ``book/yun2021.md``.
"""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim
from ibtheory.papers.yun2021 import direction_rate, exponential_flows
from ibtheory.papers.yun2021 import tolerances as tol


@claim("yun2021.thm1.singular_vectors",
       "Under exponential loss, if X^T r converges in direction to u, the parameters of a linear tensor "
       "network converge in direction to singular vectors of M(-u): along the flow the singular-vector "
       "residual decays (at least like s^(-1/L) for fully connected networks), on fully connected networks "
       "in tensor form and on random tensor networks; the hypothesis is monitored.",
       "Yun et al. 2021, Theorem 1", seeds=exponential_flows.seeds("book"))
def singular_vectors(seeds):
    from ibtheory.stats import binomial_interval

    rep = exponential_flows("book", seeds=seeds)
    parts, text = {}, []
    keep = rep.s[1:] >= rep.s_fit_from
    for kind in np.unique(rep.network):
        m = rep.runs(kind)
        fit, fit_u = rep.fit("residual", kind), rep.fit("u_increment", kind)
        parts[f"{kind}_residual_decays"] = Check.bound(fit.ci[1], 0.0)
        if kind == "fc":
            parts["fc_residual_rate"] = Check.rate(fit, direction_rate(rep.depth) + tol.RATE_SLACK, side="upper")
        # the hypothesis, run by run: do the increments of u = X'r/||X'r|| decay over the fit window?
        slopes = [np.polyfit(np.log(rep.s[1:][keep]), np.log(np.maximum(inc[keep], 1e-16)), 1)[0]
                  for inc in rep.u_increment[m]]
        k, n = int(np.sum(np.array(slopes) < 0)), int(m.sum())
        lo, hi = binomial_interval(k, n)
        text.append(f"{kind}: residual {np.median(rep.residual[m][:, 0]):.2g} -> "
                    f"{np.median(rep.final_residual[m]):.2g} (median), exponent {fit.slope:.2f} "
                    f"[{fit.ci[0]:.2f}, {fit.ci[1]:.2f}]; hypothesis monitor: increments of u decay in {k}/{n} "
                    f"runs (95% CI [{lo:.2f}, {hi:.2f}]), pooled exponent {fit_u.slope:.2f} "
                    f"[{fit_u.ci[0]:.2f}, {fit_u.ci[1]:.2f}]")
    bad = int(np.sum(rep.outcome != "converged"))
    parts["all_converged"] = Check.bound(float(bad), 0.5)
    parts["drift"] = Check.bound(float(np.nanmax(rep.drift)), tol.LOGTIME_DRIFT)
    return Check.combine(
        details=(f"{len(seeds)} seeds (n=4, d=6 separable instance, init N(0, 0.1^2)), networks "
                 f"{tuple(np.unique(rep.network))}, depth {rep.depth}, log-time s = log(1+t) up to "
                 f"{rep.s[-1]:.0e} (final log-loss <= {np.max(rep.final_log_loss):.0f}). The conclusion is "
                 f"checked by its decay: pooled log-log fits from s = {rep.s_fit_from:g} of the residual "
                 f"max_l ||M(-u) o (..I..) - sigma v_l||/sigma must have 95% CIs below 0, and for the fully "
                 f"connected network be consistent with the s^(-1/L) bound (one-sided, CI lower end <= -1/L + "
                 f"{tol.RATE_SLACK} for the finite-s corrections of an asymptotic rate, see tolerances."
                 f"RATE_SLACK; the theorem itself gives no rate). The hypothesis (u = X'r/||X'r|| converges in direction) is monitored by the "
                 f"angle between successive u on the log-grid and reported, not asserted: where it fails the "
                 f"theorem does not apply. " + "; ".join(text)
                 + f". Drift of ||v_l||^2 - ||v_L||^2 <= {tol.LOGTIME_DRIFT:.0e}."),
        routes=("logtime_flow (LSODA) of DeepLinear / TensorNetwork", "singular_vector_residual on the data tensor"),
        **parts)
