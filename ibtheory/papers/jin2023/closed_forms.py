r"""Predictions of Jin & Montufar: the curvature weight of an initialization, the linear adjustment, the limit.

* :func:`init_zeta`: the :class:`ibtheory.solvers.Zeta` of an initialization family;
* :func:`linear_adjustment` and :func:`predicted_limit`: the weighted spline :math:`g^*` of
  :math:`\min\int g''^2/\zeta` s.t. :math:`g(x_i)=y_i` and the adjustment :math:`\bar ux+\bar v`;
* :func:`init_kernel`: the output-layer kernel of the family (for :func:`ibtheory.solvers.kernel_interpolant`);
* :func:`printed_gaussian_zeta`: the Gaussian :math:`\zeta` as printed in the paper (checked, not used);
* the data and the theorem's exponents, shared by experiments, claims and chapters.

See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from ..._validation import as_real_array, check_positive

__all__ = ["DATA_X", "DATA_Y", "INITS", "RATE_WIDTH", "RATE_LINEARIZED", "TOL_INFINITE_WIDTH", "TOL_MIN_DISTANCE",
           "MC_Z_MAX", "TOL_KERNEL", "TOL_NATURAL_CUBIC", "TOL_GAUSSIAN_GRID", "init_zeta", "init_kernel",
           "linear_adjustment", "predicted_limit", "printed_gaussian_zeta"]

#: The paper's data: inputs and labels.
DATA_X = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
DATA_Y = np.array([1.5, 0.5, 1.5, 0.5, 1.5])
#: The paper's three initializations (its figure): name -> (dist, w_scale, b_scale); normal laws are
#: written N(mean, variance) as in the paper, ``relu_init`` takes standard deviations.
INITS = {"U(-1,1) x U(-2,2)": ("uniform", 1.0, 2.0),
         "N(0,1) x N(0,1)": ("gaussian", 1.0, 1.0),
         "N(0,1) x N(0,0.1)": ("gaussian", 1.0, float(np.sqrt(0.1)))}
#: The theorem's rate in the width: sup-distance to the variational solution O(n^-1/2).
RATE_WIDTH = -0.5
#: The output-only vs all-parameters gap of the linearized model: O(n^-1).
RATE_LINEARIZED = -1.0

#: Tolerances shared by the claims and the chapter (each claim's details give the reason):
#: kernel interpolant vs adjusted spline (relative sup), GD on the linearization vs the minimum-distance
#: solution (relative), Monte Carlo of zeta (standard errors), closed-form vs quadrature kernels (relative),
#: weighted spline vs natural cubic spline for constant zeta (relative sup), Richardson-extrapolated grid
#: solution vs weighted spline for Gaussian zeta (relative sup).
TOL_INFINITE_WIDTH = 1e-9
TOL_MIN_DISTANCE = 1e-9
MC_Z_MAX = 4.5
TOL_KERNEL = 1e-13
TOL_NATURAL_CUBIC = 1e-13
TOL_GAUSSIAN_GRID = 3e-7

_DISTS = ("gaussian", "uniform", "binary_uniform")


def _check_dist(dist, w_scale, b_scale):
    if dist not in _DISTS:
        raise ValueError(f"dist must be one of {_DISTS}, got {dist!r}")
    return check_positive(w_scale, "w_scale"), check_positive(b_scale, "b_scale")


def init_zeta(dist="uniform", w_scale=1.0, b_scale=2.0):
    r"""The curvature weight :math:`\zeta` of an initialization family of :func:`ibtheory.models.relu_init`.

    ``w_scale``, ``b_scale`` are standard deviations (``"gaussian"``) or half-widths
    (``"uniform"``); ``"binary_uniform"`` has :math:`\mathcal W=\pm1` (``w_scale`` must be 1).

    Examples
    --------
    >>> from ibtheory.papers.jin2023 import init_zeta
    >>> float(init_zeta("uniform", 1.0, 2.0)(0.0))
    0.0625
    """
    from ibtheory.solvers import zeta

    w_scale, b_scale = _check_dist(dist, w_scale, b_scale)
    if dist == "gaussian":
        return zeta("gaussian", sigma_w=w_scale, sigma_b=b_scale)
    if dist == "uniform":
        return zeta("uniform", a_w=w_scale, a_b=b_scale)
    if w_scale != 1.0:
        raise ValueError("w_scale must be 1 for binary_uniform (W = +-1, as in the paper)")
    return zeta("binary_uniform", a_b=b_scale)


def init_kernel(dist="uniform", w_scale=1.0, b_scale=2.0):
    """The output-layer kernel of the family: :func:`ibtheory.solvers.relu_kernel` with its parameters bound.

    Examples
    --------
    >>> from ibtheory.papers.jin2023 import init_kernel
    >>> round(float(init_kernel("gaussian", 1.0, 1.0)(0.0, 0.0)), 12)
    0.5
    """
    from ibtheory.solvers import relu_kernel

    w_scale, b_scale = _check_dist(dist, w_scale, b_scale)
    return partial(relu_kernel, dist=dist, w_scale=w_scale, b_scale=b_scale)


def linear_adjustment(spline):
    r"""The linear part :math:`\bar ux+\bar v` that the network does not pay for (symmetric initializations).

    For :math:`(\mathcal W,\mathcal B)\overset d=(-\mathcal W,-\mathcal B)` the cheapest ReLU
    representation of a curvature :math:`g''` is :math:`h(x)=\tfrac12\int g''(c)|x-c|\,dc`, and
    :math:`g-h=\bar ux+\bar v` with, for end slopes :math:`s_L,s_R`,
    :math:`\bar u=\tfrac12(s_L+s_R)`, :math:`\bar v=\tfrac12(y_1+y_M-s_Rx_M-s_Lx_1)`.

    Parameters
    ----------
    spline : ibtheory.solvers.WeightedSplineResult

    Returns
    -------
    (float, float)
        :math:`(\bar u,\bar v)`.

    Examples
    --------
    >>> from ibtheory.solvers import weighted_spline
    >>> from ibtheory.papers.jin2023 import linear_adjustment
    >>> linear_adjustment(weighted_spline([0.0, 1.0, 2.0], [0.0, 1.0, 2.0], "constant"))
    (1.0, 0.0)
    """
    from ibtheory.solvers import WeightedSplineResult

    if not isinstance(spline, WeightedSplineResult):
        raise TypeError(f"spline must be a WeightedSplineResult, got {type(spline).__name__}")
    k, yk = spline.knots, spline.knot_values
    sL, sR = spline.u, spline.slope_right
    return float(0.5 * (sL + sR)), float(0.5 * (yk[0] + yk[-1] - sR * k[-1] - sL * k[0]))


def predicted_limit(x, y, dist="uniform", w_scale=1.0, b_scale=2.0):
    r"""The theorem's prediction ``(spline, u, v)``: wide networks trained on :math:`y_i-\bar ux_i-\bar v`
    tend to :math:`g^*(x)-\bar ux-\bar v`.

    Examples
    --------
    >>> from ibtheory.papers.jin2023 import DATA_X, DATA_Y, predicted_limit
    >>> g, u, v = predicted_limit(DATA_X, DATA_Y)
    >>> round(u, 12)
    0.0
    """
    from ibtheory.solvers import weighted_spline

    x, y = as_real_array(x, "x"), as_real_array(y, "y")
    if x.ndim != 1 or y.shape != x.shape or x.size < 2:
        raise ValueError(f"x and y must be 1-D of the same length >= 2, got {x.shape}, {y.shape}")
    spline = weighted_spline(x, y, init_zeta(dist, w_scale, b_scale))
    u, v = linear_adjustment(spline)
    return spline, u, v


def printed_gaussian_zeta(x, sigma_w, sigma_b):
    r"""The Gaussian :math:`\zeta` as printed in the paper, :math:`2\sigma_w^3\sigma_b^3/(\pi(\sigma_b^2+x^2\sigma_w^2)^2)`
    (SymPy or NumPy arguments); :class:`ZetaDerivation` checks it against the definition.

    Examples
    --------
    >>> from ibtheory.papers.jin2023 import printed_gaussian_zeta
    >>> round(float(printed_gaussian_zeta(0.0, 1.0, 1.0)), 12)  # 2/pi
    0.636619772368
    """
    import sympy as sp

    if any(isinstance(v, sp.Basic) for v in (x, sigma_w, sigma_b)):
        pi = sp.pi
    else:
        x = as_real_array(x, "x")
        sigma_w, sigma_b = check_positive(sigma_w, "sigma_w"), check_positive(sigma_b, "sigma_b")
        pi = np.pi
    return 2 * sigma_w**3 * sigma_b**3 / (pi * (sigma_b**2 + x**2 * sigma_w**2) ** 2)
