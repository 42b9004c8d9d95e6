"""Yun, Krishnan, Mobahi (2021), Corollary 1: fully connected networks reach the l2 max-margin direction.

Experiment: :func:`ibtheory.papers.yun2021.exponential_flows` (book preset, ``fc`` runs).
"""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim
from ibtheory.papers.yun2021 import direction_rate, exponential_flows
from ibtheory.papers.yun2021 import tolerances as tol


@claim("yun2021.cor1.fc_direction",
       "A linear fully connected network trained with exponential loss converges in direction to the l2 "
       "max-margin classifier; the angle decays at least like (log t)^(-1/L).",
       "Yun et al. 2021, Corollary 1 (cf. Ji & Telgarsky 2020)", seeds=exponential_flows.seeds("book"))
def fc_direction(seeds):
    rep = exponential_flows("book", seeds=seeds)
    m = rep.runs("fc")
    fit = rep.fit("angle_l2", "fc")
    a = direction_rate(rep.depth)
    return Check.combine(
        details=(f"{int(m.sum())} runs (seeds {tuple(rep.seed[m])}), widths (6,4,3,1), init N(0, 0.1^2): "
                 f"angle of beta to max_margin(p=2) from {np.median(rep.angle_l2[m][:, 0]):.2g} (s = "
                 f"{rep.s[0]:g}) to {np.min(rep.final_angle_l2[m]):.1e}..{np.max(rep.final_angle_l2[m]):.1e} "
                 f"rad at s = log t = {rep.s[-1]:.0e}; pooled fit from s = {rep.s_fit_from:g}: exponent "
                 f"{fit.slope:.2f} [{fit.ci[0]:.2f}, {fit.ci[1]:.2f}]. Checked: it decays (CI below 0) and "
                 f"is consistent with the O(s^(-1/L)) = O(s^{a:.3f}) bound from the untouched part of the "
                 f"initialization (one-sided: CI lower end <= -1/L + {tol.RATE_SLACK}, the slack covering the "
                 f"finite-s corrections of an asymptotic rate). Final log-losses <= {np.max(rep.final_log_loss[m]):.0f}."),
        routes=("logtime_flow (LSODA) of DeepLinear in tensor form", "max_margin(p=2) (Clarabel QP)"),
        decays=Check.bound(fit.ci[1], 0.0),
        rate=Check.rate(fit, a + tol.RATE_SLACK, side="upper"),
        converged=Check.bound(float(np.sum(rep.outcome[m] != "converged")), 0.5))
