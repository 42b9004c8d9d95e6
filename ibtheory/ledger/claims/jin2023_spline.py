"""Claims of Jin & Montufar on the curvature weight zeta and the weighted-spline problem."""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim
from ibtheory.papers.jin2023 import MC_Z_MAX, TOL_GAUSSIAN_GRID, TOL_NATURAL_CUBIC, zeta_breakpoints
from ibtheory.papers.jin2023.spline_checks import gaussian_grid, natural_cubic


@claim("jin2023.spline.natural_cubic",
       "With constant curvature weight zeta (uniform or binary-uniform initialization with a_b/a_w "
       ">= L), the minimizer of int g''^2/zeta s.t. g(x_i) = y_i is the natural cubic spline.",
       "Jin & Montufar, Theorem and Proposition (uniform / binary-uniform)")
def spline_natural_cubic():
    rep = natural_cubic("book")
    worst = float(rep.rel_deviation.max())
    return Check(
        measured=worst, tolerance=TOL_NATURAL_CUBIC,
        details=f"{rep.n_knots} fixed uneven knots in [-2, 2]; constant, uniform(a_w=1, a_b=2.5) and binary-uniform "
                f"(a_b=2.5) zeta; max relative deviation from scipy's natural CubicSpline {worst:.1e}; {TOL_NATURAL_CUBIC:.0e} is "
                "~200x the measured round-off of the moment quadrature and the tridiagonal solve.",
        routes=("weighted_spline (moment equations)", "scipy CubicSpline(bc_type='natural')"),
    )


@claim("jin2023.spline.gaussian_vs_grid",
       "For Gaussian initialization the weighted spline agrees with a fine-grid discretization of "
       "min int g''^2/zeta (second differences, CVXPY) to the discretization order O(h^2).",
       "Jin & Montufar, Theorem (variational problem (24))")
def spline_gaussian_vs_grid():
    rep = gaussian_grid("book")
    order = float(np.log2(rep.error_coarse / rep.error_fine))
    return Check.combine(
        richardson=Check(measured=rep.error_richardson, tolerance=TOL_GAUSSIAN_GRID),
        # the observed order of the two grids is 2 up to their O(h^4) terms; 0.1 leaves room
        # for them at the coarse grid (its h^4 share is the Richardson error, far below h^2)
        order=Check(measured=abs(order - 2.0), tolerance=0.1),
        details=(f"observed order log2(coarse/fine) = {order:.4f} (2 expected). "f"9 knots on grid points, sigma_w=1, sigma_b=0.5; relative sup error {rep.error_coarse:.1e} (grid "
                 f"of {rep.n_coarse}) and {rep.error_fine:.1e} (twice finer): ratio "
                 f"{rep.error_coarse / rep.error_fine:.2f}, the O(h^2) of second differences. Richardson "
                 f"(4 g_h/2 - g_h)/3 is within {rep.error_richardson:.1e}, the O(h^4) remainder; {TOL_GAUSSIAN_GRID:.0e} is ~13x it, room for "
                 f"the QP tolerance (1e-11)."),
        routes=("weighted_spline (exact moment equations)", "CVXPY QP on uniform grids + Richardson"),
    )


@claim("jin2023.zeta.families",
       "zeta(x) = int |W|^3 p(W, -Wx) dW equals p_C(x) E[W^2 | C = x]; it is 2 sw^3 sb^3/(pi (sb^2 + x^2 sw^2)^2) "
       "for Gaussian (as printed), the constant a_w^3/(8 a_b) on |x| <= a_b/a_w for uniform and 1/(2 a_b) on "
       "|x| <= a_b (0 beyond) for binary-uniform initialization; ibtheory.solvers.zeta implements these.",
       "Jin & Montufar, Theorem (eq. (23)) and Proposition")
def zeta_families():
    from ibtheory.papers.jin2023 import ZetaDerivation, init_zeta
    from ibtheory.reference.jin2023 import zeta_quadrature

    d = ZetaDerivation()
    ok = d.verify()
    failed = [k for k, v in ok.items() if not v]
    worst, spread = 0.0, 0.0
    for fam, ws, bs, L in (("gaussian", 1.3, 0.7, 3.0), ("uniform", 1.0, 2.0, 2.0), ("uniform", 0.5, 1.5, 3.0)):
        xs = np.linspace(-1.5 * L, 1.5 * L, 13)
        num = zeta_quadrature(xs, fam, ws, bs)
        worst = max(worst, float(np.max(np.abs(num - init_zeta(fam, ws, bs)(xs)) / num)))
        if fam == "uniform":     # constancy on [-L, L] measured on the quadrature (no closed form involved)
            q = zeta_quadrature(np.linspace(-L, L, 21), fam, ws, bs)
            spread = max(spread, float(np.ptp(q) / np.mean(q)))
    sym = Check(measured=float(len(failed)), tolerance=0.0,
                details=f"{len(ok)} SymPy residuals (definition vs breakpoint form for the three families, printed "
                        f"Gaussian formula, continuity, solvers.zeta(...).symbolic() at 5 parameter sets); not zero: "
                        f"{failed or 'none'}")
    quad = Check(measured=worst, tolerance=1e-13,
                 details=f"scipy quad of the definition vs solvers.zeta at 13 points of [-1.5L, 1.5L] (both sides of "
                         f"the uniform kinks) for N(0,1.3^2)xN(0,0.7^2), U(-1,1)xU(-2,2), U(-.5,.5)xU(-1.5,1.5): worst "
                         f"relative {worst:.1e}; 1e-13 is ~250x that (quad, asked for 1e-12, integrates these smooth "
                         f"pieces to rounding)")
    const = Check(measured=spread, tolerance=1e-13,
                  details=f"relative spread of the quadrature of the definition over 21 points of [-L, L] "
                          f"(L = a_b/a_w) for the two uniform laws: {spread:.1e} (quad of a cubic per piece; 1e-13 allows "
                          f"rounding)")
    return Check.combine(details="zeta by SymPy, quadrature and its constancy.",
                         routes=("SymPy (definition, breakpoint CDF via sympy.stats)", "scipy quad of the definition",
                                 "solvers.zeta"), symbolic=sym, quadrature=quad, constant=const)


@claim("jin2023.zeta.breakpoint_monte_carlo",
       "zeta is the density of the breakpoints C = -B/W weighted by W^2: zeta(x) = p_C(x) E[W^2 | C = x].",
       "Jin & Montufar, eq. (23)", seeds=zeta_breakpoints.seeds("book"))
def zeta_breakpoint_monte_carlo(seeds):
    rep = zeta_breakpoints("book", seeds=seeds)
    worst = float(rep.max_z.max())
    return Check(
        measured=worst, tolerance=MC_Z_MAX,
        details=(f"{rep.n_bins} bins on [-3, 3], {rep.n_samples} samples per family (Gaussian 1/1, uniform 1/2, "
                 f"binary-uniform 2) and seed: largest |Monte Carlo bin average - bin average of solvers.zeta| is "
                 f"{worst:.2f} standard errors over {len(rep.seed)} runs; 4.5 bounds {rep.n_bins * len(rep.seed)} "
                 f"roughly normal deviations with probability > 0.999 (a statistical threshold, not a margin)."),
        routes=("Monte Carlo over (W, B) (reference)", "solvers.zeta closed form"),
    )
