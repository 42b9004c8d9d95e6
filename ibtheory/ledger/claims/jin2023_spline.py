"""Claims of Jin & Montufar on the weighted-spline limit of wide ReLU networks."""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim


@claim("jin2023.spline.natural_cubic",
       "With constant curvature weight zeta (uniform or binary-uniform initialization with a_b/a_w "
       ">= L), the minimizer of int g''^2/zeta s.t. g(x_i) = y_i is the natural cubic spline.",
       "Jin & Montufar, Theorem and Proposition (uniform / binary-uniform)")
def _():
    from scipy.interpolate import CubicSpline

    from ibtheory.solvers import weighted_spline, zeta

    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(-2, 2, 15))
    y = rng.standard_normal(15)
    cs = CubicSpline(x, y, bc_type="natural")
    t = np.linspace(x[0], x[-1], 1001)
    errs = []
    for z in (zeta("constant"), zeta("uniform", a_w=1.0, a_b=2.0), zeta("binary_uniform", a_b=2.0)):
        g = weighted_spline(x, y, z)
        errs.append(np.max(np.abs(g(t) - cs(t))) / np.max(np.abs(cs(t))))
    return Check(
        measured=max(errs), tolerance=1e-11,
        details=f"15 random knots in [-2, 2]; constant, uniform(a_w=1, a_b=2) and binary-uniform(a_b=2) "
                f"zeta; max relative deviation from scipy's natural CubicSpline {max(errs):.1e} on 1001 "
                "points (round-off of the moment quadrature and the tridiagonal solve).",
        routes=("weighted_spline (moment equations)", "scipy CubicSpline(bc_type='natural')"),
    )


@claim("jin2023.spline.gaussian_vs_grid",
       "For Gaussian initialization the weighted spline agrees with a fine-grid discretization of "
       "min int g''^2/zeta (second differences, CVXPY) to the discretization order O(h^2).",
       "Jin & Montufar, Theorem (variational problem (24))")
def _():
    import cvxpy as cp

    from ibtheory.solvers import weighted_spline, zeta

    z = zeta("gaussian", sigma_w=1.0, sigma_b=0.5)
    y = np.array([0.3, -0.5, 0.8, 0.1, -0.4, 0.6, 0.0, -0.7, 0.2])
    vals = {}
    for N in (601, 1201):
        grid = np.linspace(-2.0, 2.0, N)
        idx = np.round(np.array([0, 150, 330, 480, 600, 700, 900, 1050, 1200]) * (N - 1) / 1200).astype(int)
        h = grid[1] - grid[0]
        gv = cp.Variable(N)
        d2 = (gv[2:] - 2 * gv[1:-1] + gv[:-2]) / h**2
        prob = cp.Problem(cp.Minimize(cp.sum_squares(cp.multiply(np.sqrt(h / z(grid[1:-1])), d2))),
                          [gv[idx] == y])
        prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
        vals[N] = (grid, np.asarray(gv.value), grid[idx])
    grid, coarse, knots = vals[601]
    fine = vals[1201][1][::2]  # the coarse grid is every other fine point
    g = weighted_spline(knots, y, z)(grid)
    e_c, e_f = (np.max(np.abs(g - v)) / np.max(np.abs(y)) for v in (coarse, fine))
    rich = (4 * fine - coarse) / 3
    e_r = np.max(np.abs(g - rich)) / np.max(np.abs(y))
    return Check(
        measured=e_r, tolerance=1e-7,
        details=(f"9 knots, sigma_w=1, sigma_b=0.5; relative sup error {e_c:.1e} (h=1/150), {e_f:.1e} "
                 f"(h=1/300): ratio {e_c / e_f:.2f}, the O(h^2) of second differences. Their Richardson "
                 f"extrapolation (4 g_h/2 - g_h)/3 removes the h^2 term and is within {e_r:.1e}; 1e-7 "
                 "bounds the remaining O(h^4) term and the QP tolerance."),
        routes=("weighted_spline (exact moment equations)", "CVXPY QP on uniform grids + Richardson"),
    )


@claim("jin2023.zeta.gaussian_closed_form",
       "For independent W ~ N(0, sw^2), B ~ N(0, sb^2), zeta(x) = int abs(W)^3 p(W, -Wx) dW = "
       "2 sw^3 sb^3 / (pi (sb^2 + x^2 sw^2)^2).",
       "Jin & Montufar, Proposition (Gaussian initialization)")
def _():
    import sympy as sp
    from scipy.integrate import quad

    from ibtheory.solvers import zeta

    worst = 0.0
    for sw, sb in ((1.0, 1.0), (1.3, 0.7), (0.5, 2.0)):
        z = zeta("gaussian", sigma_w=sw, sigma_b=sb)
        x = sp.Symbol("x", real=True)
        seed_formula = 2 * sw**3 * sb**3 / (sp.pi * (sb**2 + x**2 * sw**2) ** 2)
        sym_diff = sp.simplify(z.symbolic() - seed_formula)
        for xv in (-2.0, 0.0, 0.3, 1.7):
            f = lambda w: abs(w) ** 3 * np.exp(-w**2 / (2 * sw**2) - (w * xv) ** 2 / (2 * sb**2)) / (2 * np.pi * sw * sb)  # noqa: E731
            val = quad(f, -np.inf, 0, epsabs=0, epsrel=1e-13)[0] + quad(f, 0, np.inf, epsabs=0, epsrel=1e-13)[0]
            worst = max(worst, abs(val - float(z(np.array([xv]))[0])) / val, abs(float(sym_diff)))
    return Check(
        measured=worst, tolerance=1e-11,
        details=f"3 (sw, sb) pairs x 4 points: SymPy integral minus the seed formula simplifies to 0, and "
                f"scipy quad of the definition matches to {worst:.1e} (quad at epsrel 1e-13).",
        routes=("SymPy integral", "scipy.integrate.quad", "closed form"),
    )
