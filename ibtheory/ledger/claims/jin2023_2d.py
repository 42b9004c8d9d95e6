"""Claims of the 2-D extension of Jin & Montufar (beyond the paper): kernel limits, polyharmonic splines, width rate."""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim

_SOURCE = "Extension beyond Jin & Montufar (two inputs; the authors' multivariate follow-up), derived here"


@claim("jin2023.ext2d.arccos_kernel",
       "For w ~ N(0, sw^2 I_2), b ~ N(0, sb^2) the output-layer kernel E[[w.x+b]_+[w.x'+b]_+] is the degree-1 "
       "arc-cosine kernel s s' (sin phi + (pi - phi) cos phi)/(2 pi) of the augmented inputs.",
       _SOURCE)
def _():
    from ibtheory.theory.jin2023_2d import arccos_kernel, arccos_kernel_quad

    rng = np.random.default_rng(7)
    worst = 0.0
    for sw, sb in ((1.0, 1.0), (0.7, 0.3), (1.5, 2.0)):
        P = rng.uniform(-1.5, 1.5, size=(12, 2, 2))
        for x1, x2 in P:
            ref = arccos_kernel_quad(x1, x2, sw, sb)
            worst = max(worst, abs(float(arccos_kernel(x1, x2, sw, sb)) - ref) / ref)
    return Check(
        measured=worst, tolerance=1e-10,
        details=(f"36 random pairs in [-1.5, 1.5]^2 for (sw, sb) in (1, 1), (0.7, 0.3), (1.5, 2): worst relative "
                 f"difference {worst:.1e} between the closed form and quad of E[U_+ E[V_+|U]] (epsrel 1e-13); "
                 f"1e-10 leaves room for arccos near phi = 0."),
        routes=("closed form (arc-cosine kernel)", "scipy quad after Gaussian conditioning"),
    )


@claim("jin2023.ext2d.circle_polyharmonic",
       "For directions uniform on the circle and b ~ U(-a, a), the output-layer kernel is a^2/6 + x.x'/4 + "
       "|x - x'|^3/(18 pi a) on |x| <= a, so the infinite-width limit trained on the data adjusted by the linear "
       "part L of the cubic polyharmonic spline S is exactly S - L (the 2-D analogue of 'constant zeta gives "
       "the natural cubic spline').",
       _SOURCE)
def _():
    import sympy as sp
    from functools import partial

    from ibtheory.theory.jin2023_2d import (
        X5, Y5, CircleKernelDerivation, circle_kernel, circle_kernel_quad, grid_points, kernel_interpolant_2d,
        polyharmonic_spline, rbf_spline,
    )

    d = CircleKernelDerivation()
    sym = [sp.simplify(d.g_sym - d.g_sym_claimed), sp.simplify(d.mean_abs_cos3 - 4 / (3 * sp.pi)),
           sp.simplify(d.mean_cos_product - sp.cos(d.psi) / 2)]
    if any(s != 0 for s in sym):
        return Check(measured=float("inf"), tolerance=0.0, details=f"SymPy differences {sym} are not all 0",
                     routes=("SymPy",))
    rng = np.random.default_rng(3)
    quad_err = 0.0
    for _ in range(10):
        x1, x2 = rng.uniform(-1.7, 1.7, (2, 2))
        quad_err = max(quad_err, abs(circle_kernel_quad(x1, x2, 2.5, 4000) - float(circle_kernel(x1, x2, 2.5))))
    S = polyharmonic_spline(X5, Y5, "cubic")
    T = grid_points(1.5, 61)[2].reshape(-1, 2)
    lim = kernel_interpolant_2d(X5, Y5 - S.linear_part(X5), partial(circle_kernel, a=2.5))
    ident = float(np.max(np.abs(lim(T) + S.linear_part(T) - rbf_spline(X5, Y5, "cubic")(T))))
    worst = max(quad_err, ident)
    return Check(
        measured=worst, tolerance=1e-10,
        details=(f"SymPy: the symmetrized bias integral, E|cos|^3 = 4/(3 pi) and E[cos th cos(th - psi)] = cos(psi)/2 "
                 f"(differences 0). Midpoint rule in the angle (4000 points, exact bias integral) vs closed form at "
                 f"10 random pairs, a = 2.5: {quad_err:.1e}. Kernel interpolant of y - L(x_j) plus L vs "
                 f"scipy RBFInterpolator(cubic, degree 1) on a 61x61 grid of [-1.5, 1.5]^2 (|x| <= 2.13 < a): "
                 f"{ident:.1e}. 1e-10 is rounding of 5x5 solves with room for the quadrature's O(n^-4)."),
        routes=("SymPy + midpoint quadrature", "kernel interpolation", "scipy RBFInterpolator"),
    )


@claim("jin2023.ext2d.width_rate",
       "Full-batch GD on two-input ASI ReLU networks (Gaussian init) ends at a function whose sup-distance on "
       "[-1.5, 1.5]^2 to the infinite-width kernel interpolant decreases with the width n; the fitted exponent's "
       "95% interval lies below 0 and contains -1/2.",
       _SOURCE)
def _():
    from ibtheory.theory.jin2023 import fit_rate
    from ibtheory.theory.jin2023_2d import width_sweep

    widths = [40, 80, 160, 320, 640, 1280]
    run, err, _ = width_sweep(widths, [0, 1, 2], "gaussian", 1.0, 1.0, n_grid=41)
    slope, (lo, hi), _ = fit_rate(run.widths, err)
    miss = 0.0 if lo <= -0.5 <= hi else min(abs(lo + 0.5), abs(hi + 0.5))
    ok = run.success and hi < 0
    return Check(
        measured=miss if ok else float("inf"), tolerance=0.0,
        details=(f"Data (+-1, +-1) -> 0, (0, 0) -> 1; W ~ N(0, I_2), b ~ N(0, 1); ASI; GD (step M/(2 lambda_max)) "
                 f"until max residual < 1e-10 (final losses <= {run.fun.max():.0e}, up to {run.nit.max()} steps); "
                 f"widths {widths}, 3 seeds; sup over a 41x41 grid against the arc-cosine kernel interpolant. "
                 f"Fitted exponent {slope:.2f}, 95% interval [{lo:.2f}, {hi:.2f}]; measured is the distance of -1/2 "
                 f"from the interval (0 when inside), and the check fails outright unless the interval is below 0."),
        routes=("train_asi_2d (gradient descent)", "arc-cosine kernel interpolation"),
    )
