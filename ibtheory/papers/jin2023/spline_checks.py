r"""Deterministic checks of the weighted-spline solver for Jin & Montufar's variational problem.

* :func:`natural_cubic`: for constant :math:`\zeta` (constant, uniform, binary-uniform families) the
  weighted spline against SciPy's natural cubic spline;
* :func:`gaussian_grid`: for Gaussian :math:`\zeta` against a CVXPY second-difference discretization of
  :math:`\min\int g''^2/\zeta` on two grids, and their Richardson extrapolation.

See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Report
from .._experiment import experiment
from .figures_checks import gaussian_grid_figure, natural_cubic_figure

__all__ = ["NaturalCubicReport", "natural_cubic", "GaussianGridReport", "gaussian_grid"]


@dataclasses.dataclass(frozen=True)
class NaturalCubicReport(Report):
    """Per zeta family: max relative deviation of the weighted spline from the natural cubic spline."""

    family: np.ndarray
    rel_deviation: np.ndarray
    seed: np.ndarray
    outcome: np.ndarray
    n_knots: int = 0


@experiment("jin2023.natural_cubic", figure=natural_cubic_figure, presets={
    "smoke": {"seeds": None, "n_knots": 6, "a_b": 2.5, "n_eval": 201},
    "book": {"seeds": None, "n_knots": 15, "a_b": 2.5, "n_eval": 1001},
    "paper": {"seeds": None, "n_knots": 40, "a_b": 2.5, "n_eval": 4001}})
def natural_cubic(*, seeds, n_knots, a_b, n_eval):
    """Fixed uneven knots in [-2, 2] (a sine perturbation of a uniform grid) and cosine labels."""
    from scipy.interpolate import CubicSpline

    from ibtheory.solvers import weighted_spline, zeta

    x = np.linspace(-2, 2, n_knots) + 0.1 * np.sin(np.arange(n_knots) * 2.3) * 4 / n_knots
    y = np.cos(np.arange(n_knots) * 1.7)
    cs = CubicSpline(x, y, bc_type="natural")
    t = np.linspace(x[0], x[-1], n_eval)
    fams = {"constant": zeta("constant"), "uniform": zeta("uniform", a_w=1.0, a_b=a_b),
            "binary_uniform": zeta("binary_uniform", a_b=a_b)}
    dev = [np.max(np.abs(weighted_spline(x, y, z)(t) - cs(t))) / np.max(np.abs(cs(t))) for z in fams.values()]
    return NaturalCubicReport(family=np.array(list(fams)), rel_deviation=np.array(dev), seed=np.full(3, -1),
                              outcome=np.full(3, "success"), n_knots=int(n_knots))


@dataclasses.dataclass(frozen=True)
class GaussianGridReport(Report):
    """Relative sup errors of the grid solutions (step h and h/2) and of their Richardson extrapolation."""

    error_coarse: float
    error_fine: float
    error_richardson: float
    n_coarse: int = 0


@experiment("jin2023.gaussian_grid", figure=gaussian_grid_figure, presets={
    "smoke": {"seeds": None, "n_coarse": 161, "sigma_b": 0.5},
    "book": {"seeds": None, "n_coarse": 641, "sigma_b": 0.5},
    "paper": {"seeds": None, "n_coarse": 1281, "sigma_b": 0.5}})
def gaussian_grid(*, seeds, n_coarse, sigma_b):
    """Nine knots on grid points of [-2, 2] (multiples of 1/8 of the interval), fixed labels; CVXPY (Clarabel)."""
    import cvxpy as cp

    from ibtheory.solvers import weighted_spline, zeta

    if (n_coarse - 1) % 16:
        raise ValueError(f"n_coarse - 1 must be a multiple of 16 (knots on grid points), got {n_coarse}")
    z = zeta("gaussian", sigma_w=1.0, sigma_b=sigma_b)
    frac = np.array([0, 2, 4, 7, 8, 10, 12, 13, 16]) / 16
    y = np.cos(np.arange(frac.size) * 2.1) * 0.8
    vals = {}
    for N in (n_coarse, 2 * n_coarse - 1):
        grid = np.linspace(-2.0, 2.0, N)
        idx = np.round(frac * (N - 1)).astype(int)
        h = grid[1] - grid[0]
        gv = cp.Variable(N)
        d2 = (gv[2:] - 2 * gv[1:-1] + gv[:-2]) / h**2
        prob = cp.Problem(cp.Minimize(cp.sum_squares(cp.multiply(np.sqrt(h / z(grid[1:-1])), d2))), [gv[idx] == y])
        prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
        vals[N] = (grid, np.asarray(gv.value), grid[idx])
    grid, coarse, knots = vals[n_coarse]
    fine = vals[2 * n_coarse - 1][1][::2]
    g = weighted_spline(knots, y, z)(grid)
    e_c, e_f = (float(np.max(np.abs(g - v)) / np.max(np.abs(y))) for v in (coarse, fine))
    e_r = float(np.max(np.abs(g - (4 * fine - coarse) / 3)) / np.max(np.abs(y)))
    return GaussianGridReport(error_coarse=e_c, error_fine=e_f, error_richardson=e_r, n_coarse=int(n_coarse))
