"""Marion & Chizat (2024): sharpness of minimizers, edge of stability, small-scale and residual initializations."""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim

_SRC = "Marion & Chizat 2024"


@claim("marion2024.flat.minimizer_hessian",
       "At a minimizer the Hessian is 2 J^T Sigma J, so the sharpness is 2 lambda_max(Sigma^1/2 M Sigma^1/2) "
       "with M = sum_k |a_k|^2 B_k^T B_k (a d x d eigenproblem).",
       f"{_SRC}, setting of Theorem 1 (derived in the book chapter)")
def _():
    from ibtheory.dynamics import hessian
    from ibtheory.models import DeepLinear
    from ibtheory.theory import marion2024 as M

    D = M.make_data(n=20, d=3, seed=1, normalize=False)
    errs = []
    for L in (2, 3, 4):
        widths = [3] * L + [1]
        net = DeepLinear(widths)
        for W in (M.balanced_minimizer(widths, D.pi_star, seed=L),
                  M.random_minimizer(widths, D.pi_star, seed=L), M.random_minimizer(widths, D.pi_star, 2.0, L + 9)):
            top = np.linalg.eigvalsh(hessian(net, W, D.X, D.y, loss="mean"))[-1]
            errs.append(abs(M.minimizer_sharpness(W, D.Sigma) - top) / top)
    return Check(measured=max(errs), tolerance=1e-9,
                 details="n=20, d=3, depths 2-4; balanced and two random minimizers each. Both sides are float64 "
                         "eigenvalues of matrices with entries O(10^2); 1e-9 relative leaves room for their "
                         "conditioning (random minimizers reach S ~ 1e3).",
                 routes=("closed form d x d eigenproblem", "eigvalsh of the dense Hessian from exact HVPs"))


@claim("marion2024.flat.lower_bound",
       "Every minimizer has S >= 2 L a |pi*|^(2-2/L); the infimum over all minimizers equals the infimum over "
       "rank-one minimizers (a 1-D problem), which lies between that bound and the balanced value.",
       f"{_SRC}, Theorem 1 (the seed states only inf S ~ 2 L a |pi*|^2)")
def _():
    from ibtheory.theory import marion2024 as M

    worst = 0.0
    for widths, seed in (([2, 3, 1], 5), ([2, 2, 2, 1], 4)):
        D = M.make_data(n=10, d=2, seed=seed, normalize=False)
        L = len(widths) - 1
        r = M.min_sharpness_over_minimizers(widths, D, n_starts=2, seed=0)
        s1, _ = M.rank_one_inf_sharpness(L, D.Sigma, D.pi_star)
        lo = M.sharpness_lower_bound(L, D.a, D.pi_norm)
        bal = M.balanced_sharpness(L, D.Sigma, D.pi_star)
        if not r.success or not lo <= s1 <= bal:
            return Check(measured=np.inf, tolerance=1e-7, details="bound or minimizer constraint violated")
        worst = max(worst, abs(r.fun - s1) / s1)
    return Check(measured=worst, tolerance=1e-7,
                 details="widths (2,3,1) and (2,2,2,1), n=10: BFGS+Nelder-Mead over the full set of minimizers "
                         "(2 starts) vs bounded Brent search over the rank-one family; 1e-7 relative is the "
                         "optimizers' stopping accuracy on a nonsmooth-at-ties objective.",
                 routes=("numerical minimization of the engine Hessian's top eigenvalue over all minimizers",
                         "1-D minimization of the rank-one closed form"))


@claim("marion2024.flat.asymptotics",
       "inf S / (2 L a |pi*|^2) -> 1 as L -> infinity, within the derived envelope "
       "[|pi*|^(-2/L), |pi*|^(-2/L) (1 + (Lambda - a)/(L a))].",
       f"{_SRC}, Theorem 1 (asymptotic form in the seed)")
def _():
    from ibtheory.theory import marion2024 as M

    D = M.make_data(n=20, d=3, seed=1, normalize=False)
    out = 0.0
    for L in (10, 100, 1000, 10000):
        r = M.rank_one_inf_sharpness(L, D.Sigma, D.pi_star)[0] / (2 * L * D.a * D.pi_norm ** 2)
        lo = D.pi_norm ** (-2 / L)
        hi = lo * (1 + (D.Lam - D.a) / (L * D.a))
        out = max(out, max(lo - r, r - hi, 0) / r)
    last = abs(r - 1)
    return Check(measured=max(out, last - 1e-3 if last > 1e-3 else 0.0), tolerance=1e-12,
                 details=f"n=20, d=3, |pi*|={D.pi_norm:.3f}; L=10..1e4. Measured: excursion out of the envelope "
                         f"plus excess of |ratio-1| over 1e-3 at L=1e4 (it is {last:.2e}).",
                 routes=("rank-one 1-D numerical infimum", "closed-form envelope"))


@claim("marion2024.flat.edge_of_stability",
       "GD does not converge to a minimizer when lr > 2 / inf S: in a learning-rate x depth sweep (residual init), "
       "no run above 1.05 x the threshold 1/(L a) converges.",
       f"{_SRC}, edge-of-stability corollary of Theorem 1; Figure (learning rate vs depth)")
def _():
    from ibtheory.theory import marion2024 as M

    D = M.make_data(seed=0)
    conv_above, conv_below, n_above = 0, 0, 0
    for L in (5, 10, 20):
        lrs = np.geomspace(0.3, 3.0, 6) * M.critical_lr(L, D.a)
        res = M.sweep(D, "residual", L, lrs, 1000, 4, [0.25], seed=L, sharpness=False)
        ok = ~res["diverged"] & (res["excess"] < 1e-8)
        above = res["lr"] > 1.05 * M.critical_lr(L, D.a)
        conv_above += int(np.sum(ok & above))
        n_above += int(np.sum(above))
        conv_below += int(np.sum(ok & (res["lr"] < 0.5 * M.critical_lr(L, D.a))))
    return Check(measured=conv_above, tolerance=0,
                 details=f"n=50, d=5, depths 5/10/20, 6 step sizes in [0.3, 3] x 2/(2La), 4 runs each, 1000 steps. "
                         f"Converged = excess risk < 1e-8. {conv_above} of {n_above} runs above the threshold "
                         f"converged; {conv_below} runs below 0.5 x threshold converged.",
                 routes=("batched GD (fast chain kernel)", "closed-form threshold 2/(2 L a |pi*|^(2-2/L))"))


@claim("marion2024.flat.small_init",
       "Gradient flow from a small Gaussian init converges (PL ratio > 0 for t >= 1, final ratio within the "
       "closed-form interval 4 [lambda_min, lambda_max](Sigma^1/2 M Sigma^1/2)) to a minimizer that is rank-one, "
       "low-norm, aligned and has 1 <= S/S_min <= 4 Lambda/lambda, with 32 L sqrt(eps) <= 1 measured.",
       f"{_SRC}, PL theorem and its corollary (small-scale initialization)")
def _():
    from ibtheory.dynamics import sharpness
    from ibtheory.theory import marion2024 as M

    D = M.make_data(seed=0)
    viol = 0.0
    for L in (2, 3, 4):
        r = M.small_init_flow(D, L, 1e-3, seed=L)
        if not r.success:
            return Check(measured=np.inf, tolerance=0, details=r.message)
        p = M.corollary_properties(r.x, D)
        lam, ok = sharpness(r.model, r.x, D.X, D.y, loss="mean", iters=5000, tol=1e-10)
        ratio = lam / M.sharpness_lower_bound(L, D.a, D.pi_norm)
        pl_lo, pl_hi = M.pl_interval(r.x, D.Sigma)
        mu_end = r.mu[-1]
        viol = max(viol, p["hypothesis"] - 1, p["sigma_lo"] - p["sigma"].min(), p["sigma"].max() - p["sigma_hi"],
                   np.max(p["align_bound"] - p["align"], initial=0), 1 - ratio, ratio - p["ratio_hi"],
                   (pl_lo - mu_end) / mu_end - 1e-6, (mu_end - pl_hi) / mu_end - 1e-6,
                   0.0 if np.all(r.mu[r.t >= 1] > 0) and ok else np.inf)
    return Check(measured=max(viol, 0.0), tolerance=0.0,
                 details="n=50, d=5, depths 2-4, Gaussian init scale 1e-3 (so 32L sqrt(eps) <= 1), DOP853/Radau "
                         "flow to a 1e-8 relative stationarity. Measured: largest violation of any property "
                         "(the PL interval is an exact identity; it gets 1e-6 relative slack because the final "
                         "gradient, ~1e-8 of its initial size, is formed from O(1) residuals: ~1e-8 relative error).",
                 routes=("gradient flow (adaptive integrator) + power iteration", "closed-form bounds"))


@claim("marion2024.flat.residual",
       "GD with small step from the residual init I + s/sqrt(Ld) N(0,1) (fixed unit projection) converges, "
       "and its limit is no flatter than the lower bound: 1 <= S/S_min, with S/S_min < 4 Lambda/lambda.",
       f"{_SRC}, residual-initialization theorem; authors' run_experiment.py (ResNet init)")
def _():
    from ibtheory.theory import marion2024 as M

    D = M.make_data(seed=0)
    L = 10
    res = M.sweep(D, "residual", L, [0.005], [4000], [2], np.linspace(0.0, 1.0, 5), seed=1)
    smin = M.sharpness_lower_bound(L, D.a, D.pi_norm)
    ratio = res["sharpness"] / smin
    # Each criterion normalized so that it holds iff its value is <= 1.
    viol = max(float(np.max(res["excess"])) / 1e-10, float(np.max(1 - ratio)) + 1,
               float(np.max(ratio)) / (4 * D.Lam / D.lam))
    return Check(measured=viol if res["sharp_converged"].all() else np.inf, tolerance=1.0,
                 details=f"n=50, d=5, L=10, lr=0.005, 4000 steps, scales 0..1, 10 runs. Excess risk "
                         f"max {np.max(res['excess']):.1e} (< 1e-10 required); S/S_min in "
                         f"[{ratio.min():.3f}, {ratio.max():.3f}] (needs >= 1 and < 4 Lambda/lambda = "
                         f"{4 * D.Lam / D.lam:.2f}). Measured: the largest of excess/1e-10, 1 + max(1 - S/S_min) "
                         f"and max(S/S_min)/(4 Lambda/lambda); each criterion holds iff it is <= 1.",
                 routes=("batched GD + power iteration on HVPs", "closed-form S_min and bound"))


@claim("marion2024.flat.reproduced_sharpness",
       "In the paper's Gaussian-init experiment (n=50, d=5, L=10, ||pi*|| = 1) every converged GD run ends "
       "with 2La <= S <= 2/lr (stable minimizer above the lower bound).",
       f"{_SRC}, Figure (sharpness after training vs initialization scale)")
def _():
    from ibtheory.theory import marion2024 as M

    D = M.make_data(seed=0)
    L = 10
    res = M.sweep(D, "gaussian", L, [0.07, 0.1], [4000, 4000], [1, 1], np.linspace(0.25, 0.6, 10), seed=2)
    ok = ~res["diverged"] & (res["excess"] < 1e-6)
    lo = M.sharpness_lower_bound(L, D.a)
    s, lr = res["sharpness"][ok], res["lr"][ok]
    viol = max(float(np.max((lo - s) / lo, initial=0)), float(np.max(s * lr / 2 - 1, initial=0)))
    return Check(measured=viol if ok.sum() >= 5 else np.inf, tolerance=1e-6,
                 details=f"lr 0.07 and 0.1, 4000 steps, 10 scales in [0.25, 0.6]: {int(ok.sum())} of {ok.size} runs "
                         f"converged (excess < 1e-6); sharpness by converged power iteration (tol 1e-9); 1e-6 "
                         f"relative slack for the excess-risk part of the Hessian.",
                 routes=("batched GD + power iteration on HVPs", "closed-form bounds 2La and 2/lr"))
