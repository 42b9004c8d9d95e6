"""Claims of Varre et al. (2023) on the log-det regularized factorization.

Shown in the chapters *The limiting optimization problems* (``book/solvers.md``) and
*Spectral bias of two-layer linear networks*; the experiments are
:func:`ibtheory.papers.varre2023.limit` and ``reference_flow`` with their ``book`` presets.
"""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim
from ibtheory.papers import varre2023 as vr


@claim("varre2023.logdet.closed_form_spectrum",
       "The minimizer of the squared Frobenius norms of W1 and W2 minus 2 gamma log det(W1 W1^T) "
       "s.t. X W1 W2 = Y has "
       "beta = X^+ Y and sigma_i(W1)^2 = gamma + sqrt(gamma^2 + sigma_i(beta)^2) (2 gamma beyond rank).",
       "Varre et al. 2023, Theorem (b) and Corollary",
       seeds=vr.limit.seeds("book"))
def check_closed_form_spectrum(seeds):
    r = vr.limit("book", seeds=seeds)
    b, g, s = (float(np.max(getattr(r, f))) for f in ("beta_solver_pinv", "gram_solver_closed", "sv_solver_closed"))
    return Check.combine(
        details=(f"{r.seed.size} instances of varre2023.limit (gamma 1e-3..10): relative errors of the solver's "
                 f"beta {b:.1e}, Gram {g:.1e}, spectrum {s:.1e}. Tolerance 1e-10 because the worst over "
                 "5 reseeds was 6.7e-12 (the solver's KKT certificate is 1e-8), margin ~15."),
        routes=("logdet_factorization (dual Newton)", "pseudo-inverse + scalar closed form"),
        beta=Check(b, 1e-10), gram=Check(g, 1e-10), spectrum=Check(s, 1e-10))


@claim("varre2023.logdet.gradient_flow",
       "Gradient flow on a two-layer linear network from W1 = sqrt(2 gamma) P (P P^T = I), W2 = 0 "
       "converges to the minimizer of the log-det regularized problem.",
       "Varre et al. 2023, Theorem (b)",
       seeds=vr.reference_flow.seeds("book"))
def check_logdet_gradient_flow(seeds):
    r = vr.reference_flow("book", seeds=seeds)
    err = float(np.max(np.maximum(r.gram_error, r.beta_error)))
    bad = int(np.sum(r.outcome != "success"))
    return Check.combine(
        details=(f"{r.seed.size} random instances (n=3, d=l=4, k=2, gamma=0.3), SciPy LSODA (rtol 1e-12) until "
                 f"||Y - X W1 W2|| = 1e-11 at t up to {np.nanmax(r.t_final):.0f}: max abs error of W1 W1^T and "
                 f"W1 W2 {err:.1e}. Tolerance 1e-8 because the stopping residual 1e-11 is amplified by the "
                 "slowest mode (t ~ 1e4 on some instances) and the worst was 2.1e-10 (book seeds; 1.1e-10 over "
                 "5 reseeds), margin ~50."),
        routes=("logdet_factorization", "reference.two_layer_flow (SciPy LSODA, no engine)"),
        limit=Check(err, 1e-8), outcomes=Check.bound(bad, 0.5))
