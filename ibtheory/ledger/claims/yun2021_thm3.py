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


@claim("yun2021.thm3.tied_singular_values",
       "With tied top singular values s_1 = s_2 > s_3 the l1 problem of Theorem 3 has a face of solutions; "
       "the flow selects rho proportional to sign(y)(a + sign(y) b)^2 on the tied set (a = U1'vbar1, "
       "b = U2'vbar2), an l1 solution fixed by the initialization.",
       "Yun et al. 2021, Theorem 3 (ties; derived here)", seeds=single_point.seeds("book"))
def thm3_tied(seeds):
    from ibtheory.papers.yun2021 import tied_single_point

    rep = tied_single_point("book", seeds=seeds)
    return Check.combine(
        details=(f"{len(seeds)} points whose M(x) has two equal top singular values (the rest <= s_1/2), "
                 f"lambda >= {np.min(rep.init_margin):.2f}, y = -1. The log-time flow to t = e^1000 lies on the "
                 f"exact path to {np.max(rep.path_error):.1e} (tolerance {tol.PATH:.0e}); the path at "
                 f"nu = 80/s_1 points to (U1 eta1, U2 eta2) of tied_limit to {np.max(rep.limit_angle):.1e} rad "
                 f"(the other coordinates are e^(-40) smaller; tolerance {tol.TIED_LIMIT:.0e}); tied_limit's "
                 f"rho is an l1 solution (| ||rho||_1 s_1 - 1 | <= {np.max(rep.rho_optimal):.1e}); within the "
                 f"tied set the flow is already {np.min(rep.flow_tied_angle):.1e}..{np.max(rep.flow_tied_angle):.1e} "
                 f"rad from the selected direction (the ratio converges like e^(-2 s_1 |nu|))."),
        routes=("logtime_flow (LSODA) of TensorNetwork", "closed-form path (SymPy) + g_inv",
                "tied_limit (asymptotics of the path)"),
        path=Check(float(np.max(rep.path_error)), tol.PATH),
        limit=Check(float(np.max(rep.limit_angle)), tol.TIED_LIMIT),
        l1_optimal=Check(float(np.max(rep.rho_optimal)), tol.PATH_LIMIT),
        converged=Check.bound(float(np.sum(rep.outcome != "converged")), 0.5))
