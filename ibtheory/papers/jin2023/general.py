r"""The general theorem of Jin & Montufar: a network that does not vanish at initialization.

Without the anti-symmetric trick, :math:`f_0=f(\cdot,\theta_0)` is a random function of size
:math:`O(1)`. The theorem's limit solves

.. math::

    \min_g\int\frac{(g''(x)-f_0''(x))^2}{\zeta(x)}\,dx\quad\text{s.t.}\quad
    g(x_i)=y_i-\bar ux_i-\bar v,

and :class:`~ibtheory.papers.jin2023.general_derivation.GeneralLimitDerivation` derives its
solution: with :math:`h=g-f_0+\bar ux+\bar v` the objective is :math:`\int h''^2/\zeta` (a linear
function has no curvature; :math:`f_0''` is a sum of Dirac masses at the breakpoints, so the
problem is *defined* through :math:`h`) and the constraints are :math:`h(x_i)=z_i:=y_i-f_0(x_i)`.
So :math:`h=S` is the weighted spline of the residual data :math:`z`, and

.. math::

    g^*=f_0+S-\bar ux-\bar v,\qquad (\bar u,\bar v)=\text{linear adjustment of }S,

the adjustment (:func:`~ibtheory.papers.jin2023.linear_adjustment`) now a random quantity, a
function of :math:`f_0(x_1),\dots,f_0(x_M)`. The adjustment of :math:`S-\bar ux-\bar v` is zero,
so the infinite-width kernel interpolant of the adjusted residuals is exactly
:math:`S-\bar ux-\bar v` (checked per network in :func:`general_width_rate`).

* :func:`general_limit`: the prediction :math:`g^*` for given initial parameters;
* :func:`general_width_rate`: gradient descent on *all* parameters of standard-initialized
  networks (no anti-symmetry), distance to :math:`g^*` against the width.

See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import PER_RUN, Report
from ..._validation import as_real_array
from .._experiment import experiment
from .closed_forms import DATA_X, DATA_Y, INITS, init_kernel, init_zeta, linear_adjustment
from .figures_general import general_figure

__all__ = ["TOL_LIMIT_IDENTITY", "SCALED_INIT", "GENERAL_INITS", "GeneralLimit", "general_limit", "GeneralWidthReport",
           "general_width_rate", "network_output"]

_NOT_IN_TABLE = {"table": False}
#: Two routes to the infinite-width correction S - u x - v (kernel interpolant vs weighted spline), absolute.
TOL_LIMIT_IDENTITY = 1e-10


def network_output(params, t):
    r""":math:`f(t)=\sum_i a_i[w_it+b_i]_++c` of a one-input :class:`~ibtheory.models.TwoLayerReLU` (1-D ``t``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.jin2023.general import network_output
    >>> P = (np.array([[1.0], [-1.0]]), np.zeros(2), np.array([1.0, 2.0]), np.asarray(0.5))
    >>> network_output(P, np.array([-1.0, 2.0]))
    array([2.5, 2.5])
    """
    W, b, a, c = (np.asarray(p, float) for p in params)
    t = as_real_array(t, "t")
    if t.ndim != 1 or W.ndim != 2 or W.shape[1] != 1:
        raise ValueError(f"t must be 1-D and params one-input (W of shape (m, 1)), got {t.shape}, {W.shape}")
    return np.maximum(t[:, None] * W[:, 0] + b, 0.0) @ a + float(c)


@dataclasses.dataclass(frozen=True)
class GeneralLimit:
    r"""The prediction of the general theorem for one initialization; calling it evaluates :math:`g^*`.

    Attributes
    ----------
    spline : ibtheory.solvers.WeightedSplineResult
        :math:`S`, the weighted spline of the residual data :math:`z_i=y_i-f_0(x_i)`.
    u, v : float
        The linear adjustment of :math:`S`.
    labels : ndarray
        The adjusted training labels :math:`y_i-\bar ux_i-\bar v`.
    residual : ndarray
        :math:`z`.
    params : tuple
        The initial parameters (:math:`f_0`).
    """

    spline: object
    u: float
    v: float
    labels: np.ndarray
    residual: np.ndarray
    params: tuple

    def __call__(self, t):
        t = as_real_array(t, "t")
        return network_output(self.params, t) + self.spline(t) - self.u * t - self.v

    def correction(self, t):
        r""":math:`g^*-f_0=S-\bar ux-\bar v`, what training adds to the initial function."""
        t = as_real_array(t, "t")
        return self.spline(t) - self.u * t - self.v


def general_limit(params, x, y, dist="uniform", w_scale=1.0, b_scale=2.0):
    r"""The theorem's limit :math:`g^*=f_0+S-\bar ux-\bar v` for initial parameters ``params``.

    Parameters
    ----------
    params : tuple
        ``(W1, b1, W2, b2)`` of a one-input :class:`~ibtheory.models.TwoLayerReLU` at initialization.
    x, y : array_like, shape (M,)
        The data (raw labels).
    dist, w_scale, b_scale
        The initialization family (its :math:`\zeta`, :func:`~ibtheory.papers.jin2023.init_zeta`).

    Returns
    -------
    GeneralLimit

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TwoLayerReLU, relu_init
    >>> from ibtheory.papers.jin2023 import DATA_X, DATA_Y, general_limit
    >>> P = relu_init(TwoLayerReLU(1, 50), "uniform", 1.0, 2.0, asi=False, seed=0)
    >>> g = general_limit(P, DATA_X, DATA_Y)
    >>> bool(np.allclose(g(DATA_X), g.labels, atol=1e-12))   # interpolates the adjusted labels
    True
    """
    from ibtheory.solvers import weighted_spline

    x, y = as_real_array(x, "x"), as_real_array(y, "y")
    if x.ndim != 1 or y.shape != x.shape or x.size < 2:
        raise ValueError(f"x and y must be 1-D of the same length >= 2, got {x.shape}, {y.shape}")
    z = y - network_output(params, x)
    spline = weighted_spline(x, z, init_zeta(dist, w_scale, b_scale))
    u, v = linear_adjustment(spline)
    return GeneralLimit(spline=spline, u=u, v=v, labels=y - u * x - v, residual=z, params=tuple(params))


@dataclasses.dataclass(frozen=True)
class GeneralWidthReport(Report):
    r"""Per network (standard initialization): init, width n, seed, outcome, losses, steps, the adjustment and errors.

    ``sup_error`` is :math:`\sup_{[x_1,x_M]}|f(\cdot,\theta^*)-g^*|`; ``error_ignoring_f0`` the same
    distance to the prediction that forgets :math:`f_0` (the anti-symmetric theory applied to the same
    labels: their kernel interpolant), which must *not* decay; ``f0_sup`` the size of
    :math:`f_0` on the grid; ``limit_identity`` :math:`\sup|k\text{-interpolant of the adjusted residuals}
    -(S-\bar ux-\bar v)|` (two routes to the infinite-width correction). ``fits`` maps init to the
    ensemble fit of ``sup_error`` over converged networks of width >= ``fit_min_width`` (``None`` when
    fewer than 3 such runs at 2 or more widths: nothing to fit).
    """

    init: np.ndarray
    width: np.ndarray
    seed: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    gd_loss: np.ndarray
    nit: np.ndarray
    u: np.ndarray
    v: np.ndarray
    f0_sup: np.ndarray
    sup_error: np.ndarray
    error_ignoring_f0: np.ndarray
    limit_identity: np.ndarray
    t: np.ndarray = dataclasses.field(metadata=_NOT_IN_TABLE)
    outputs: np.ndarray = dataclasses.field(metadata=PER_RUN)
    predictions: np.ndarray = dataclasses.field(metadata=PER_RUN)
    initial: np.ndarray = dataclasses.field(metadata=PER_RUN)
    fits: dict = dataclasses.field(metadata=_NOT_IN_TABLE)
    fit_min_width: int = 40
    seconds: float = 0.0

    #: ensemble fits over the runs: recomputed from the merged runs when seed shards are merged
    summary_fields = ("fits",)

    @staticmethod
    def ensemble_fits(f):
        """``{"fits": ...}`` from the per-run fields ``f`` (a mapping of field names): per init (in the order
        of the runs), the log-log fit of ``sup_error`` against the width over converged, interpolating
        (MSE < 1e-16) networks of width >= ``fit_min_width``; ``None`` with fewer than 3 such runs at 2 widths
        (e.g. one seed of the smoke preset has 2)."""
        from ...stats import loglog_fit_or_none

        ok = (f["outcome"] == "success") & (f["final_loss"] < 1e-16) & (f["width"] >= f["fit_min_width"])
        fits = {}
        for name in dict.fromkeys(f["init"].tolist()):
            sel = ok & (f["init"] == name)
            fits[name] = loglog_fit_or_none(f["width"][sel], f["sup_error"][sel])
        return {"fits": fits}

    @classmethod
    def merge_summaries(cls, shards, runs):
        """The fits of the merged runs (:meth:`ensemble_fits`, the experiment's own recipe)."""
        return cls.ensemble_fits(runs)

    def converged(self):
        """Networks that met the stopping rule and interpolate (MSE < 1e-16)."""
        return (self.outcome == "success") & (self.final_loss < 1e-16)

    def summary(self):
        """One row per init: networks, convergence, final losses, errors at the widest width, the fit."""
        import pandas as pd

        rows = []
        ok = self.converged()
        for name, f in self.fits.items():
            sel = self.init == name
            wide = sel & (self.width == self.width[sel].max())
            rows.append({"init": name, "networks": int(sel.sum()), "not converged": int(np.sum(sel & ~ok)),
                         "max final MSE": float(self.final_loss[sel].max()),
                         "median sup|f0|": float(np.median(self.f0_sup[sel])),
                         "median error (widest)": float(np.median(self.sup_error[wide])),
                         "median error ignoring f0 (widest)": float(np.median(self.error_ignoring_f0[wide])),
                         "exponent": f.slope if f else float("nan"),
                         "95% CI": f"[{f.ci[0]:.2f}, {f.ci[1]:.2f}]" if f else "no fit"})
        return pd.DataFrame(rows)


#: The book's initialization: the paper's uniform law scaled by 4 (zeta = a_w^3/(8 a_b) = 1 on [-2, 2]).
#: Scaling (W, B) leaves the random-features interpolant unchanged but multiplies f0 by 16, so the part
#: of f0 that the kernel interpolant of f0(x_i) does not reproduce (what the f0-blind prediction misses)
#: is well above the finite-width error at the book's widths.
SCALED_INIT = "U(-4,4) x U(-8,8)"
#: the paper's three initializations and the scaled uniform one
GENERAL_INITS = dict(INITS, **{SCALED_INIT: ("uniform", 4.0, 8.0)})


def _check_inits(inits):
    if isinstance(inits, str) or not all(i in GENERAL_INITS for i in inits):
        raise ValueError(f"inits must be a tuple of names from {tuple(GENERAL_INITS)}, got {inits!r}")
    return tuple(inits)


@experiment("jin2023.general_width_rate", figure=general_figure, presets={
    "smoke": {"seeds": (0, 1), "inits": (SCALED_INIT,), "widths": (40, 160), "n_eval": 101, "L_eval": 2.0,
              "fit_min_width": 40, "max_steps": 50_000},
    "book": {"seeds": (0, 1, 2, 3), "inits": (SCALED_INIT,), "widths": (40, 80, 160, 320, 640),
             "n_eval": 201, "L_eval": 2.0, "fit_min_width": 40, "max_steps": 200_000},
    "paper": {"seeds": (0, 1, 2, 3, 4), "inits": ("U(-1,1) x U(-2,2)", SCALED_INIT),
              "widths": (10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240), "n_eval": 401, "L_eval": 2.0,
              "fit_min_width": 320, "max_steps": 1_000_000}})
def general_width_rate(*, seeds, inits, widths, n_eval, L_eval, fit_min_width, max_steps):
    r"""Gradient descent on all parameters of standard-initialized networks; distance to :math:`g^*`.

    Width ``n`` means ``n`` ReLUs drawn by :func:`ibtheory.models.relu_init` with ``asi=False``
    (so :math:`f_0\neq0`). Each network is trained on its own adjusted labels
    :math:`y_i-\bar ux_i-\bar v` (they depend on :math:`f_0`), by plain full-batch gradient descent
    on the mean squared error (every parameter with the same step :math:`M/(2\lambda_{\max})`),
    stopped when the loss changes by less than :math:`10^{-9}`, then a Gauss-Newton tail. One call
    of :func:`~ibtheory.dynamics.asi_gradient_descent` per init trains every (width, seed) network, each on
    its own labels (``labels``; a network's run does not depend on the others of the call).
    """
    import time

    from ibtheory.dynamics import Problem, asi_gradient_descent
    from ibtheory.models import TwoLayerReLU, relu_init
    from ibtheory.solvers import kernel_interpolant

    inits = _check_inits(inits)
    t = np.linspace(-L_eval, L_eval, n_eval)
    rows, outs, preds, f0s = [], [], [], []
    t0 = time.perf_counter()
    for name in inits:
        dist, ws, bs = GENERAL_INITS[name]
        kern = init_kernel(dist, ws, bs)
        keys = [(n, s) for n in widths for s in seeds]
        P = [relu_init(TwoLayerReLU(1, n), dist, ws, bs, asi=False, seed=s) for n, s in keys]
        gs = [general_limit(p, DATA_X, DATA_Y, dist, ws, bs) for p in P]
        run = asi_gradient_descent(Problem(DATA_X[:, None], DATA_Y, loss="mean"), P,
                                   labels=np.array([g.labels for g in gs]), output_lr_scale=1.0, tol=1e-9,
                                   max_steps=max_steps, polish=True, polish_points=t[:, None], polish_steps=50)
        for k, ((n, s), p, g) in enumerate(zip(keys, P, gs)):
            f0, out, pred = network_output(p, t), run(k, t[:, None]), g(t)
            forget = kernel_interpolant(DATA_X, g.labels, kern)(t)
            ident = kernel_interpolant(DATA_X, g.labels - network_output(p, DATA_X), kern)(t) - g.correction(t)
            rows.append((name, n, s, str(run.status[k]), run.loss[k], run.gd_loss[k], run.nit[k], g.u, g.v,
                         np.max(np.abs(f0)), np.max(np.abs(out - pred)), np.max(np.abs(out - forget)),
                         np.max(np.abs(ident))))
            outs.append(out)
            preds.append(pred)
            f0s.append(f0)
    c = [np.array(col) for col in zip(*rows)]
    rep = dict(init=c[0], width=c[1].astype(int), seed=c[2].astype(int), outcome=c[3],
               final_loss=c[4].astype(float), gd_loss=c[5].astype(float), nit=c[6].astype(int),
               u=c[7].astype(float), v=c[8].astype(float), f0_sup=c[9].astype(float),
               sup_error=c[10].astype(float), error_ignoring_f0=c[11].astype(float),
               limit_identity=c[12].astype(float), fit_min_width=int(fit_min_width))
    return GeneralWidthReport(**rep, **GeneralWidthReport.ensemble_fits(rep), t=t, outputs=np.array(outs),
                              predictions=np.array(preds), initial=np.array(f0s), seconds=time.perf_counter() - t0)
