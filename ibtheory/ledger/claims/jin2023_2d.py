"""Claims of the 2-D extension of Jin & Montufar (beyond the paper): kernel limits, polyharmonic splines, width rate."""
from __future__ import annotations

from functools import partial

import numpy as np

from ibtheory.ledger import Check, claim
from ibtheory.papers.jin2023 import RATE_WIDTH, TOL_KERNEL, CircleKernelDerivation, ext2d_width_rate
from ibtheory.papers.jin2023.extension_2d import CIRCLE_A, X5, Y5, grid_points

_SOURCE = "Extension beyond Jin & Montufar (two inputs; the authors' multivariate follow-up), derived here"
#: fixed pairs of points in [-1.5, 1.5]^2 where the kernels are compared (a deterministic design)
_PAIRS = np.stack([np.stack([1.5 * np.cos(0.7 * k + np.array([0.0, 1.3])) * (0.2 + 0.08 * k),
                             1.5 * np.sin(1.1 * k + np.array([0.4, 2.0])) * (1.0 - 0.07 * k)]) for k in range(12)])


@claim("jin2023.ext2d.arccos_kernel",
       "For w ~ N(0, sw^2 I_2), b ~ N(0, sb^2) the output-layer kernel E[[w.x+b]_+[w.x'+b]_+] is the degree-1 "
       "arc-cosine kernel s s' (sin phi + (pi - phi) cos phi)/(2 pi) of the augmented inputs.", _SOURCE)
def ext2d_arccos_kernel():
    from ibtheory.reference.jin2023 import arccos_kernel_quad
    from ibtheory.solvers import arccos_kernel

    worst = 0.0
    for sw, sb in ((1.0, 1.0), (0.7, 0.3), (1.5, 2.0)):
        for x1, x2 in _PAIRS:
            ref = arccos_kernel_quad(x1, x2, sw, sb)
            worst = max(worst, abs(float(arccos_kernel(x1, x2, sw, sb)) - ref) / ref)
    return Check(
        measured=worst, tolerance=TOL_KERNEL,
        details=(f"12 fixed pairs in [-1.5, 1.5]^2 for (sw, sb) in (1, 1), (0.7, 0.3), (1.5, 2): worst relative "
                 f"difference {worst:.1e} between the closed form and quad of E[U_+ E[V_+|U]] (epsrel 1e-13); "
                 f"{TOL_KERNEL:.0e} is ~200x the measured rounding (the pairs are distinct, so arccos is well conditioned)."),
        routes=("closed form (solvers.arccos_kernel)", "scipy quad after Gaussian conditioning (reference)"),
    )


@claim("jin2023.ext2d.circle_polyharmonic",
       "For directions uniform on the circle and b ~ U(-a, a), the output-layer kernel is a^2/6 + x.x'/4 + "
       "|x - x'|^3/(18 pi a) on |x| <= a, so the infinite-width limit trained on the data adjusted by the linear "
       "part L of the cubic polyharmonic spline S is exactly S - L.", _SOURCE)
def ext2d_circle_polyharmonic():
    from ibtheory.reference.jin2023 import circle_kernel_quad, rbf_spline
    from ibtheory.solvers import circle_kernel, kernel_interpolant, polyharmonic_spline

    d = CircleKernelDerivation()
    failed = [k for k, v in d.verify().items() if not v]
    quad_err = max(abs(circle_kernel_quad(x1, x2, CIRCLE_A, 4000) - float(circle_kernel(x1, x2, CIRCLE_A)))
                   for x1, x2 in _PAIRS)
    S = polyharmonic_spline(X5, Y5, "cubic")
    T = grid_points(1.5, 61)[2].reshape(-1, 2)
    lim = kernel_interpolant(X5, Y5 - S.linear_part(X5), partial(circle_kernel, a=CIRCLE_A))
    ident = float(np.max(np.abs(lim(T) + S.linear_part(T) - rbf_spline(X5, Y5, "cubic")(T))))
    return Check.combine(
        details="Circle kernel derived with SymPy, checked by quadrature, and its limit vs the cubic spline.",
        routes=("SymPy + midpoint quadrature (reference)", "kernel_interpolant", "scipy RBFInterpolator (reference)"),
        symbolic=Check(float(len(failed)), 0.0, details=f"SymPy residuals not zero: {failed or 'none'}"),
        quadrature=Check(quad_err, TOL_KERNEL, details=f"midpoint rule (4000 angles, exact bias integral) vs closed form "
                                                  f"at 12 fixed pairs, a = {CIRCLE_A}: {quad_err:.1e} (the O(n^-4) rule error is "
                                                  f"~1e-15 at 4000 angles; tolerance ~40x)"),
        identity=Check(ident, 1e-12, details=f"kernel interpolant of y - L(x_j) plus L vs RBFInterpolator(cubic, "
                                           f"degree 1) on a 61x61 grid of [-1.5, 1.5]^2: {ident:.1e}; 1e-12 is ~60x "
                                           f"that rounding of two 5x5 and 8x8 solves"),
    )


@claim("jin2023.ext2d.width_rate",
       "Full-batch GD on two-input anti-symmetrically initialized ReLU networks (Gaussian and circle inits) ends "
       "at a function whose sup-distance on [-1.5, 1.5]^2 to the infinite-width kernel interpolant is "
       "O(n^(-1/2)) like the one-input theorem (one-sided: the fit's interval reaches -1/2) and decreases.",
       _SOURCE, seeds=ext2d_width_rate.seeds("book"))
def ext2d_width(seeds):
    rep = ext2d_width_rate("book", seeds=seeds)
    parts = {}
    for name, fit in rep.fits.items():
        parts[f"rate_{name}"] = Check.rate(fit, RATE_WIDTH, side="upper", details=name)
        parts[f"decreasing_{name}"] = Check.bound(fit.ci[1], 0.0, details=f"{name}: upper end of the interval < 0")
    fit_range = rep.width >= rep.fit_min_width
    n_bad = int(np.sum(fit_range & (rep.outcome != "success")))
    n_small = int(np.sum(~fit_range & (rep.outcome != "success")))
    parts["converged"] = Check.bound(n_bad, 0, details=f"networks of width >= {rep.fit_min_width} not reaching max "
                                                        f"residual < 1e-10: {n_bad} (narrower ones, reported and not "
                                                        f"fitted: {n_small})")
    return Check.combine(
        details=(f"data (+-1, +-1) -> 0, (0, 0) -> 1; widths {sorted(set(rep.width.tolist()))} x {len(seeds)} "
                 f"seeds; GD until max residual < 1e-10 (final MSE <= {rep.final_loss.max():.0e}, up to "
                 f"{rep.nit.max()} steps); fits on n >= {rep.fit_min_width}: "
                 + ", ".join(f"{n}: {f.slope:.2f} [{f.ci[0]:.2f}, {f.ci[1]:.2f}]" for n, f in rep.fits.items())),
        routes=("asi_gradient_descent", "kernel_interpolant (arc-cosine / circle kernel)"), **parts)
