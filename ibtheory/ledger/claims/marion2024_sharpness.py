"""Marion & Chizat (2024): the sharpness of deep linear networks, computed two ways."""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim


@claim("marion2024.sharpness.power_iteration",
       "The sharpness S(W) (largest Hessian eigenvalue of the mean squared error) computed by power "
       "iteration on exact Hessian-vector products equals the top eigenvalue of the SymPy Hessian.",
       "Marion & Chizat 2024, definition of the sharpness (used by all their sharpness results)")
def _():
    from ibtheory.dynamics import gradient_descent, sharpness
    from ibtheory.models import DeepLinear, gaussian_init
    from ibtheory.symbolic import DeepLinearSystem

    widths, n = [2, 2, 2, 1], 3
    sym = DeepLinearSystem(widths, n=n, loss="mean")
    H_of = sym.numeric_hessian()
    net = DeepLinear(widths)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((n, 2)), rng.standard_normal(n)
    p0 = gaussian_init(net, scale=0.8, seed=2, batch=3)
    # Points along GD trajectories (init, mid-training, near a minimizer).
    res = gradient_descent(net, p0, X, y, lr=0.05, n_steps=400, loss="mean", record=("params",),
                           record_every=200)
    errs = []
    for b in range(3):
        for j in range(res.steps.size):
            params = tuple(a[b, j] for a in res.records["params"])
            lam, ok = sharpness(net, params, X, y, loss="mean", iters=20000, tol=1e-11)
            top = np.linalg.eigvalsh(H_of(net.flatten(params), X, y.reshape(n, 1)))[-1]
            errs.append(abs(lam - top) / abs(top) if ok else np.inf)
    return Check(
        measured=max(errs), tolerance=1e-8,
        details=("Deep linear net widths (2,2,2,1), n=3, mean loss; 9 points along 3 GD runs. Power iteration "
                 "stops at residual |Hv - lam v| <= 1e-11 |lam|, which bounds the eigenvalue error by that "
                 "residual for a symmetric H; tolerance 1e-8 relative."),
        routes=("power iteration on forward-over-backward HVPs", "eigvalsh of the lambdified SymPy Hessian"),
    )
