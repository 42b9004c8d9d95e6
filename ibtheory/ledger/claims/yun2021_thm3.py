"""Yun, Krishnan, Mobahi (2021), Theorem 3: two layers, one data point, exponential loss.

Experiment: :func:`ibtheory.papers.yun2021.single_point` (book preset).
"""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim
from ibtheory.papers.yun2021 import single_point
from ibtheory.papers.yun2021 import tolerances as tol


@claim("yun2021.thm3.single_point",
       "Two-layer tensor network, one data point, exponential loss: v1, v2 follow the closed-form path "
       "and converge in direction to U1 eta1, U2 eta2 with |eta| = |rho|^(1/2) (rho the l1 solution on the "
       "singular values) and sign(eta1) = sign(y) sign(eta2).",
       "Yun et al. 2021, Theorem 3", seeds=single_point.seeds("book"))
def thm3_single_point(seeds):
    rep = single_point("book", seeds=seeds)
    return Check.combine(
        details=(f"{len(seeds)} random 3x4x3 tensors, one point, y = -1, lambda >= "
                 f"{np.min(rep.init_margin):.2f}. The log-time flow (LSODA rtol 1e-10) up to t = e^1000 lies on "
                 f"the SymPy-derived path at nu = g^-1(f) to {np.max(rep.path_error):.1e} (relative; tolerance "
                 f"{tol.PATH:.0e}: ~10x the worst over reseeds, LSODA error accumulated over the run); along the "
                 f"path the direction reaches U eta to {np.max(rep.limit_angle):.1e} rad at nu = 40/(s1 - s2) "
                 f"(the path converges like exp(-2(s1 - s2)|nu|)) with the predicted signs; the flow itself, at "
                 f"nu = {np.min(np.abs(rep.nu_final)):.2f}..{np.max(np.abs(rep.nu_final)):.2f} (nu grows only "
                 f"like log(log t)), is still {np.min(rep.flow_angle):.2f}..{np.max(rep.flow_angle):.2f} rad away."),
        routes=("logtime_flow (LSODA) of TensorNetwork", "closed-form path (SymPy) + g_inv",
                "max_margin(p=1) on the singular values"),
        path=Check(float(np.max(rep.path_error)), tol.PATH),
        limit=Check(float(np.max(rep.limit_angle)), tol.PATH_LIMIT),
        signs=Check.bound(float(np.sum(~rep.signs_ok)), 0.5),
        converged=Check.bound(float(np.sum(rep.outcome != "converged")), 0.5))
