"""Varre et al. (2023), the flow from initialization (I): invariants and Theorem 1.

Chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``); the
experiments are :func:`ibtheory.papers.varre2023.trajectories` and
:func:`ibtheory.papers.varre2023.limit` with their ``book`` presets.
"""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim
from ibtheory.papers import varre2023 as vr


def _outcomes(report):
    """Count of runs that did not end with status success, bounded by 1/2 (an integer count: none)."""
    bad = int(np.sum(report.outcome != "success"))
    return Check.bound(bad, 0.5, f"{bad} of {report.outcome.size} runs did not succeed")


@claim("varre2023.invariants.reduced_dynamics",
       "From (I), beta(t) solves the width-free equation beta' = X^T R beta^T A^-1 beta + A X^T R with "
       "A = gamma I + (gamma^2 I + beta beta^T)^(1/2), whatever the width l and the matrix P; so do the "
       "singular values of W1(t) = A(t)^(1/2).",
       "Varre et al. 2023, consequence of the conservation law (derived in the chapter)",
       seeds=vr.trajectories.seeds("book"))
def check_reduced_dynamics(seeds):
    r = vr.trajectories("book", seeds=seeds)
    be, se = float(r.beta_error.max()), float(r.svals_error.max())
    return Check.combine(
        details=(f"{r.seed.size} flows (n={r.n}, d={r.d}, k={r.k}, gammas {sorted(set(r.gamma.tolist()))}, "
                 f"widths {sorted(set(r.width.tolist()))}) on {r.t.size} times in [0, {r.t[-1]:g}]: max relative "
                 f"error of beta(t) {be:.1e}, max error of sigma_i(W1(t)) {se:.1e}; largest final loss "
                 f"{r.final_loss.max():.1e}. Tolerance 1e-7 because the two integrators (rtol 1e-12 and 1e-13) "
                 "accumulate global error over t = 30 and the worst over 5 reseeds was 1.5e-8 (margin ~7)."),
        routes=("engine gradient_flow on (W1, W2) at widths d and 3d",
                "reference.reduced_flow (SciPy DOP853 on the beta equation)"),
        beta=Check(be, 1e-7), singular_values=Check(se, 1e-7), outcomes=_outcomes(r))


@claim("varre2023.invariants.range_and_loss_bound",
       "Along the flow from (I), beta(t) stays in range(X^T) and L(t) <= L(0) exp(-4 gamma mu t), "
       "mu the smallest non-zero eigenvalue of X X^T (Theorem 1(a)).",
       "Varre et al. 2023, Theorem 1(a); the invariants derived in the chapter",
       seeds=vr.trajectories.seeds("book"))
def check_range_and_loss_bound(seeds):
    r = vr.trajectories("book", seeds=seeds)
    leak, excess = float(r.range_leak.max()), float(r.bound_excess.max())
    return Check.combine(
        details=(f"{r.seed.size} flows, {r.t.size} times each: max |Pi_ker(X) beta|/|beta| = {leak:.1e} "
                 f"(tolerance 1e-12, set by float64 rounding of the projection: worst over 5 reseeds 1.6e-15); "
                 f"max (L(t) - bound(t))/L(0) = {excess:.1e} (<= 1e-12: equality at t = 0, rounding; worst over 5 reseeds 7.8e-20)."),
        routes=("engine gradient_flow", "projector on ker X from an SVD; closed-form PL bound"),
        range=Check(leak, 1e-12), loss_bound=Check.bound(excess, 1e-12))


@claim("varre2023.theorem.limit_all_gammas",
       "For every gamma from 1e-3 to 10 and k in {1, 2, 3}, gradient flow from (I) converges to beta = X^+ Y "
       "and (W1, W2) solves the log-det problem (same Gram W1 W1^T and objective as the solver and the "
       "closed form).",
       "Varre et al. 2023, Theorem 1(b)",
       seeds=vr.limit.seeds("book"))
def check_limit_all_gammas(seeds):
    r = vr.limit("book", seeds=seeds)
    worst = r.worst_discrepancy
    return Check.combine(
        details=(f"{r.seed.size} runs (seeds {seeds}, instances (n, d, k) "
                 f"{sorted(set(zip(r.n.tolist(), r.d.tolist(), r.k.tolist())))}, five gammas): worst relative "
                 f"discrepancy among flow/pinv beta, flow/closed-form Gram, flow/solver Gram, solver/closed "
                 f"form and flow/solver objective {worst:.1e}; largest final loss {r.final_loss.max():.1e}. "
                 "The flow stops at stationarity 1e-10 (relative); tolerance 1e-7 because the worst over "
                 "5 reseeds was 1.1e-8 (conditioning of random instances), margin ~10."),
        routes=("engine gradient_flow", "logdet_factorization (dual Newton)", "closed form X^+Y, A(beta)"),
        limit=Check(worst, 1e-7), outcomes=_outcomes(r))
