"""Yun, Krishnan, Mobahi (2021), Corollary 3: 2-layer convolutional networks, exponential loss.

Experiment: :func:`ibtheory.papers.yun2021.conv_directions` (book preset).
"""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim
from ibtheory.papers.yun2021 import conv_directions
from ibtheory.papers.yun2021 import tolerances as tol


@claim("yun2021.cor3.conv_direction",
       "A 2-layer full-length convolutional network (exponential loss, |F w1|^2 - |F w2|^2 >= lambda > 0) "
       "converges in direction to argmin ||Fz||_1 s.t. y_i x_i'z >= 1: the angle decays along the run.",
       "Yun et al. 2021, Corollary 3 (cf. Gunasekar et al. 2018)", seeds=conv_directions.seeds("book"))
def conv_direction(seeds):
    rep = conv_directions("book", seeds=seeds)
    fit = rep.fit("angle", 2)
    return Check.combine(
        details=(f"{len(seeds)} separable instances (n=4, d=6), wbar_1 = e_0 + 0.1, wbar_2 = e_0/2 (lambda = "
                 f"{np.min(rep.init_margin):.3f}): angle to fourier_max_margin(L=2) from "
                 f"{np.median(rep.angle[:, 0]):.2g} (median) to {np.min(rep.final_angle):.1e}.."
                 f"{np.max(rep.final_angle):.1e} rad at s = log t = {rep.s[-1]:.0e}; pooled fit from s = "
                 f"{rep.s_fit_from:g}: exponent {fit.slope:.2f} [{fit.ci[0]:.2f}, {fit.ci[1]:.2f}], CI must lie "
                 f"below 0 (slow: frequencies that must still grow do so only like a power of s; no rate is "
                 f"claimed). Final log-losses <= {np.max(rep.final_log_loss):.0f}."),
        routes=("logtime_flow (LSODA) of Convolutional (FFT)", "fourier_max_margin (SOCP)"),
        decays=Check.bound(fit.ci[1], 0.0),
        condition=Check.bound(-float(np.min(rep.init_margin)), 0.0),
        converged=Check.bound(float(np.sum(rep.outcome != "converged")), 0.5),
        drift=Check.bound(float(np.max(rep.drift)), tol.LOGTIME_DRIFT))
