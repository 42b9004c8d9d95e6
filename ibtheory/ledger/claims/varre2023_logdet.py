"""Claims of Varre et al. (2023) on the log-det regularized factorization."""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim


@claim("varre2023.logdet.closed_form_spectrum",
       "The minimizer of the squared Frobenius norms of W1 and W2 minus 2 gamma log det(W1 W1^T) "
       "s.t. X W1 W2 = Y has "
       "beta = X^+ Y and sigma_i(W1)^2 = gamma + sqrt(gamma^2 + sigma_i(beta)^2) (2 gamma beyond rank).",
       "Varre et al. 2023, Theorem (b) and Corollary")
def _():
    from ibtheory.solvers import logdet_factorization

    worst, seed_err = 0.0, np.inf
    for (n, d, k, gamma) in [(5, 8, 2, 0.1), (30, 20, 3, 0.5), (20, 50, 3, 0.05)]:
        rng = np.random.default_rng(n + d)
        X = rng.standard_normal((n, d))
        Y = X @ rng.standard_normal((d, k))
        res = logdet_factorization(X, Y, gamma)
        beta = np.linalg.pinv(X) @ Y
        s = np.linalg.svd(beta, compute_uv=False)
        sv = np.sort(np.concatenate([np.sqrt(gamma + np.sqrt(gamma**2 + s**2)),
                                     np.full(d - k, np.sqrt(2 * gamma))]))[::-1]
        worst = max(worst, np.max(np.abs(res.singular_values - sv)) / sv[0],
                    np.max(np.abs(res.beta - beta)) / np.max(np.abs(beta)))
        seed = np.sqrt(np.sqrt(s + gamma**2) + gamma)
        seed_err = min(seed_err, np.max(np.abs(seed - sv[:k]) / sv[:k]))
    return Check(
        measured=worst, tolerance=1e-9,
        details=(f"3 instances (d up to 50, k up to 3, gamma 0.05..0.5): max relative error of beta and "
                 f"the spectrum {worst:.1e}. The seed's sigma_i(W1) = (sqrt(sigma_i(beta) + gamma^2) "
                 f"+ gamma)^(1/2) (square missing on sigma_i(beta)) is off by >= {seed_err:.1e}."),
        routes=("logdet_factorization (dual Newton)", "pseudo-inverse + scalar closed form"),
    )


@claim("varre2023.logdet.gradient_flow",
       "Gradient flow on a two-layer linear network from W1 = sqrt(2 gamma) P (P P^T = I), W2 = 0 "
       "converges to the minimizer of the log-det regularized problem.",
       "Varre et al. 2023, Theorem (b)")
def _():
    from scipy.integrate import solve_ivp

    from ibtheory.solvers import logdet_factorization

    rng = np.random.default_rng(2)
    n, d, k, g = 3, 4, 2, 0.3
    X = rng.standard_normal((n, d))
    Y = 0.5 * X @ rng.standard_normal((d, k))
    P = np.linalg.qr(rng.standard_normal((d, d)))[0]

    def rhs(t, v):
        W1, W2 = v[: d * d].reshape(d, d), v[d * d:].reshape(d, k)
        R = Y - X @ W1 @ W2
        return np.concatenate([(X.T @ R @ W2.T).ravel(), (W1.T @ X.T @ R).ravel()])

    def done(t, v):
        return np.linalg.norm(Y - X @ v[: d * d].reshape(d, d) @ v[d * d:].reshape(d, k)) - 1e-11

    done.terminal = True
    v0 = np.concatenate([(np.sqrt(2 * g) * P).ravel(), np.zeros(d * k)])
    sol = solve_ivp(rhs, (0, 1e5), v0, method="DOP853", rtol=1e-12, atol=1e-14, events=done)
    W1, W2 = sol.y[: d * d, -1].reshape(d, d), sol.y[d * d:, -1].reshape(d, k)
    res = logdet_factorization(X, Y, g)
    err = max(np.max(np.abs(W1 @ W1.T - res.gram)), np.max(np.abs(W1 @ W2 - res.beta)))
    return Check(
        measured=err if sol.status == 1 else float("nan"), tolerance=1e-9,
        details=(f"n=3, d=l=4, k=2, gamma=0.3; DOP853 (rtol 1e-12) until ||Y - X W1 W2|| = 1e-11 at "
                 f"t={sol.t[-1]:.0f}; max abs error of W1 W1^T and W1 W2: {err:.1e}."),
        routes=("logdet_factorization", "two-layer gradient flow (DOP853)"),
    )
