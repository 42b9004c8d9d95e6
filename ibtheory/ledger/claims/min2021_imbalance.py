"""Min et al. (2021): the imbalance of two-layer linear networks is conserved."""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim


@claim("min2021.imbalance.conserved",
       "The imbalance U1^T U1 - V^T V (equivalently U^T U - V^T V) is constant along gradient flow.",
       "Min et al. 2021, imbalance Lambda (the seed's OCR drops the minus sign)")
def _():
    from ibtheory.dynamics import gradient_flow
    from ibtheory.models import TwoLayerLinear, gaussian_init
    from ibtheory.symbolic import MinImbalanceSystem

    s = MinImbalanceSystem(r=2, h=3, m=2)
    nonzero = sum(1 for e in s.imbalance_rate() if e != 0)
    rng = np.random.default_rng(0)
    d, h, m, n = 6, 8, 2, 4
    X, Y = rng.standard_normal((n, d)), rng.standard_normal((n, m))
    net = TwoLayerLinear(d=d, l=h, k=m)
    p0 = gaussian_init(net, scale=h ** -0.5, seed=1)   # Min et al.'s N(0, 1/h) init
    res = gradient_flow(net, p0, X, Y, stat_tol=1e-9)
    if not res.success:
        raise RuntimeError(res.message)
    # U1 = Phi1^T U with Phi1 the right singular vectors of X (rank n).
    Phi1 = np.linalg.svd(X)[2][:n].T

    def lam(p):
        U, V = p[0], p[1].T
        U1 = Phi1.T @ U
        return U1.T @ U1 - V.T @ V

    drift = np.linalg.norm(lam(res.x) - lam(p0)) / max(np.sum(net.flatten(res.x) ** 2), 1.0)
    return Check(
        measured=max(drift, float(nonzero)), tolerance=1e-9,
        details=(f"SymPy: d/dt(U1^T U1 - V^T V) = 0 for the reduced loss 1/2|Y~ - U1 V^T|^2 (r=2, h=3, m=2; "
                 f"{nonzero} nonzero entries). Numerics: d=6, h=8, m=2, n=4, N(0,1/h) init, flow to "
                 f"stationarity 1e-9; relative drift {drift:.2e} of U1^T U1 - V^T V with U1 from the SVD of X."),
        routes=("SymPy expansion", "gradient_flow (DOP853) + SVD projection"),
    )
