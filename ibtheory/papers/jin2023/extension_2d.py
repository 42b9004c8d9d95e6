r"""Extension beyond Jin & Montufar: wide two-input ReLU networks, their kernel limit and polyharmonic splines.

The paper proves its result for one input. Here the same experiment runs on two inputs, the five
points :math:`(\pm1,\pm1)` (label 0) and :math:`(0,0)` (label 1), for two initializations:

* ``"gaussian"``: :math:`w\sim N(0,I_2)`, :math:`b\sim N(0,1)`; limit: the arc-cosine kernel
  interpolant (:func:`ibtheory.solvers.arccos_kernel`);
* ``"circle"``: :math:`w` uniform on the unit circle, :math:`b\sim U(-a,a)`; trained on the data
  adjusted by the linear part :math:`L` of the cubic polyharmonic spline :math:`S`, whose kernel
  limit is :math:`S-L` (:class:`CircleKernelDerivation`).

See the book chapter *Extension: wide ReLU networks on 2-D inputs* (``book/jin2023_2d.md``).
"""
from __future__ import annotations

import dataclasses
from functools import partial

import numpy as np

from ..._contracts import PER_RUN, Report
from ..._validation import check_int, check_positive
from ...stats import loglog_fit_or_none
from .._experiment import experiment
from .figures import ext2d_rate_figure

__all__ = ["X5", "Y5", "CIRCLE_A", "init_asi_2d", "grid_points", "limit_2d", "Ext2DReport", "ext2d_width_rate",
           "spline_comparison"]

#: The five inputs: the corners of [-1, 1]^2 and the centre.
X5 = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0], [0.0, 0.0]])
#: The labels: 0 at the corners, 1 at the centre (a bump; the seed text gives no 2-D labels).
Y5 = np.array([0.0, 0.0, 0.0, 0.0, 1.0])
#: Bias half-width of the circle initialization (the grid of radius 1.5 sqrt 2 lies inside |x| <= a).
CIRCLE_A = 2.5
_INITS = ("gaussian", "circle")


def init_asi_2d(n, init="gaussian", seed=0, a=CIRCLE_A):
    r"""Anti-symmetric initialization of a two-input ReLU network with :math:`2n` neurons (:math:`f\equiv0`).

    ``"gaussian"``: :func:`ibtheory.models.relu_init` (unit variances). ``"circle"``:
    :math:`w=(\cos\theta,\sin\theta)`, :math:`\theta\sim U(0,2\pi)`, :math:`b\sim U(-a,a)`, output weights
    :math:`\pm\frac{\sqrt2}2\xi/\sqrt n`, :math:`\xi\sim N(0,1)`, all drawn from ``SeedSequence(seed)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TwoLayerReLU
    >>> from ibtheory.papers.jin2023.extension_2d import init_asi_2d
    >>> P = init_asi_2d(50, "circle", seed=1)
    >>> float(np.max(np.abs(TwoLayerReLU(2, 100).forward(P, np.ones((3, 2))))))
    0.0
    """
    n = check_int(n, "n", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    if init not in _INITS:
        raise ValueError(f"init must be one of {_INITS}, got {init!r}")
    if init == "gaussian":
        from ibtheory.models import TwoLayerReLU, relu_init

        return relu_init(TwoLayerReLU(2, 2 * n), "gaussian", 1.0, 1.0, asi=True, seed=seed)
    a = check_positive(a, "a")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    th = rng.uniform(0.0, 2 * np.pi, n)
    W = np.stack([np.cos(th), np.sin(th)], -1)
    b = rng.uniform(-a, a, n)
    v = rng.standard_normal(n) / np.sqrt(n)
    return (np.concatenate([W, W]), np.concatenate([b, b]), np.concatenate([v, -v]) * (np.sqrt(2) / 2),
            np.zeros(()))


def grid_points(L=1.5, n=61):
    """An ``n x n`` grid on :math:`[-L,L]^2`: ``(g1, g2, T)`` with ``T`` of shape ``(n, n, 2)``.

    Examples
    --------
    >>> from ibtheory.papers.jin2023.extension_2d import grid_points
    >>> grid_points(1.0, 3)[2].shape
    (3, 3, 2)
    """
    L = check_positive(L, "L")
    n = check_int(n, "n", minimum=2)
    g = np.linspace(-L, L, n)
    g1, g2 = np.meshgrid(g, g, indexing="xy")
    return g1, g2, np.stack([g1, g2], -1)


def limit_2d(init):
    """``(limit, adjust)``: the kernel limit of ``init`` on the data and the linear adjustment (a callable or None).

    Examples
    --------
    >>> from ibtheory.papers.jin2023.extension_2d import X5, Y5, limit_2d
    >>> lim, adj = limit_2d("gaussian")
    >>> adj is None, bool(abs(lim(X5) - Y5).max() < 1e-12)
    (True, True)
    """
    from ibtheory.solvers import arccos_kernel, circle_kernel, kernel_interpolant, polyharmonic_spline

    if init == "gaussian":
        return kernel_interpolant(X5, Y5, partial(arccos_kernel, sigma_w=1.0, sigma_b=1.0)), None
    if init == "circle":
        S = polyharmonic_spline(X5, Y5, "cubic")
        return kernel_interpolant(X5, Y5 - S.linear_part(X5), partial(circle_kernel, a=CIRCLE_A)), S.linear_part
    raise ValueError(f"init must be one of {_INITS}, got {init!r}")


@dataclasses.dataclass(frozen=True)
class Ext2DReport(Report):
    """Per network: init, width, seed, outcome, final loss, steps, sup-distance to the kernel limit;
    per init: the ensemble fit (``fits``); the grid and outputs for the figures."""

    init: np.ndarray
    width: np.ndarray
    seed: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    nit: np.ndarray
    sup_error: np.ndarray
    fits: dict = dataclasses.field(metadata={"table": False})
    grid: np.ndarray = dataclasses.field(metadata={"table": False})
    outputs: np.ndarray = dataclasses.field(metadata=PER_RUN)
    fit_min_width: int = 40
    seconds: float = 0.0

    #: ensemble fits over the runs: recomputed from the merged runs when seed shards are merged
    summary_fields = ("fits",)

    @staticmethod
    def ensemble_fits(f):
        """``{"fits": ...}`` from the per-run fields ``f`` (a mapping of field names): per init (in the
        order of the runs), the log-log fit of ``sup_error`` against the width over converged networks
        of width >= ``fit_min_width``."""
        ok = (f["outcome"] == "success") & (f["width"] >= f["fit_min_width"])
        sel = {init: ok & (f["init"] == init) for init in dict.fromkeys(f["init"].tolist())}
        return {"fits": {init: loglog_fit_or_none(f["width"][s], f["sup_error"][s]) for init, s in sel.items()}}

    @classmethod
    def merge_summaries(cls, shards, runs):
        """The fits of the merged runs (:meth:`ensemble_fits`, the experiment's own recipe)."""
        return cls.ensemble_fits(runs)

    def summary(self):
        """One row per init: networks, convergence, final losses, steps, the ensemble fit."""
        import pandas as pd

        return pd.DataFrame([{"init": name, "networks": int(np.sum(self.init == name)),
                              "not converged": int(np.sum((self.init == name) & (self.outcome != "success"))),
                              "max final MSE": float(self.final_loss[self.init == name].max()),
                              "max steps": int(self.nit[self.init == name].max()),
                              "exponent": f.slope, "95% CI": f"[{f.ci[0]:.2f}, {f.ci[1]:.2f}]"}
                             for name, f in self.fits.items()])


@experiment("jin2023.ext2d_width_rate", figure=ext2d_rate_figure, presets={
    "smoke": {"seeds": (0, 1), "inits": ("gaussian",), "widths": (20, 40, 80), "n_grid": 21, "fit_min_width": 20},
    "book": {"seeds": (0, 1, 2, 3, 4), "inits": _INITS, "widths": (10, 20, 40, 80, 160, 320, 640, 1280),
             "n_grid": 41, "fit_min_width": 40},
    "paper": {"seeds": (0, 1, 2, 3, 4), "inits": _INITS,
              "widths": (10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120), "n_grid": 61, "fit_min_width": 40}})
def ext2d_width_rate(*, seeds, inits, widths, n_grid, fit_min_width):
    r"""Gradient descent (all parameters, the paper's parametrization, step :math:`M/(2\lambda_{\max})`) until the
    largest residual is below :math:`10^{-10}`; sup over an ``n_grid`` grid of :math:`[-1.5,1.5]^2` of the
    distance to the kernel limit (after adding back the adjustment for ``"circle"``)."""
    import time

    from ibtheory.dynamics import Problem, asi_gradient_descent

    if isinstance(inits, str) or not all(i in _INITS for i in inits):
        raise ValueError(f"inits must be a tuple from {_INITS}, got {inits!r}")
    T = grid_points(1.5, n_grid)[2].reshape(-1, 2)
    rows, outs, refs, keys, P, labels = [], [], {}, [], [], []
    t0 = time.perf_counter()
    for init in inits:                  # every init's networks in one call, each with its init's labels
        lim, adj = limit_2d(init)
        refs[init] = lim(T)
        keys += [(init, n, s) for n in widths for s in seeds]
        P += [init_asi_2d(n, init, seed=s) for n in widths for s in seeds]
        labels += [Y5 if adj is None else Y5 - adj(X5)] * (len(widths) * len(seeds))
    run = asi_gradient_descent(Problem(X5, Y5, loss="mean"), P, labels=np.array(labels), output_lr_scale=0.5,
                               stop="residual", tol=1e-10, max_steps=100_000, check_every=100)
    for k, (init, n, s) in enumerate(keys):
        f = run(k, T)
        rows.append((init, n, s, str(run.status[k]), run.loss[k], run.nit[k], np.max(np.abs(f - refs[init]))))
        outs.append(f)
    c = [np.array(v) for v in zip(*rows)]
    runs = dict(init=c[0], width=c[1], seed=c[2], outcome=c[3], final_loss=c[4].astype(float), nit=c[5],
                sup_error=c[6].astype(float), fit_min_width=int(fit_min_width))
    return Ext2DReport(**runs, **Ext2DReport.ensemble_fits(runs), grid=T, outputs=np.array(outs),
                       seconds=time.perf_counter() - t0)


def spline_comparison(rep):
    """Sup-distances on the report's grid between the widest Gaussian network (median seed), its kernel
    limit, the thin-plate and the cubic polyharmonic spline; returns ``(table, surfaces)``.

    ``surfaces`` maps a title to the values on ``rep.grid`` (for :func:`figures.ext2d_surfaces`).
    """
    import pandas as pd

    from ibtheory.solvers import polyharmonic_spline

    if not isinstance(rep, Ext2DReport):
        raise TypeError(f"rep must be an Ext2DReport (from ext2d_width_rate), got {type(rep).__name__}")
    if "gaussian" not in rep.fits:
        raise ValueError("rep must contain the 'gaussian' initialization")
    sel = np.flatnonzero((rep.init == "gaussian") & (rep.width == rep.width.max()))
    k = sel[np.argsort(rep.sup_error[sel])[len(sel) // 2]]
    T = rep.grid
    F = {f"trained network, n = {rep.width[k]}": rep.outputs[k], "kernel limit (arc-cosine)": limit_2d("gaussian")[0](T),
         "thin-plate spline": polyharmonic_spline(X5, Y5, "thin_plate_spline")(T),
         "cubic polyharmonic spline": polyharmonic_spline(X5, Y5, "cubic")(T)}
    names = list(F)
    pairs = [(names[0], names[1]), (names[1], names[2]), (names[1], names[3]), (names[2], names[3]),
             (names[0], names[2])]
    table = pd.DataFrame([{"compared": f"{a} vs {b}", "sup-distance": float(np.max(np.abs(F[a] - F[b])))}
                          for a, b in pairs])
    F["kernel limit - thin-plate spline"] = F[names[1]] - F[names[2]]
    return table, F
