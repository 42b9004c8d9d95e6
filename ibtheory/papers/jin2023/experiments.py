r"""The experiments of the Jin & Montufar chapter and ledger, each with smoke/book/paper presets.

* :func:`width_rate`: gradient descent on anti-symmetrically initialized networks of growing
  width, distance to the adjusted weighted spline (sup, and the authors' RMS on a grid);
* :func:`output_layer`: the authors' protocol (only the output layer trained), distance to the
  weighted spline and to the kernel limit of the labels;
* :func:`linearized_gap_rate`: output-only vs all-parameter training of the linearized model;
* :func:`min_distance`: gradient descent on the linearized model vs the minimum-distance interpolator;
* :func:`zeta_breakpoints`: Monte Carlo of the breakpoint form of :math:`\zeta` vs its closed form;
* :func:`infinite_width`: kernel interpolation with the output-layer kernel vs the adjusted spline.

Every random draw of run ``i`` comes from ``SeedSequence(seeds[i])`` (via
:func:`ibtheory.models.relu_init`, whose ``default_rng(seed)`` is that sequence).

See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import PER_RUN, Report
from ...stats import RateFit, loglog_fit_or_none
from .._experiment import experiment
from .closed_forms import DATA_X, DATA_Y, INITS, init_kernel, init_zeta, predicted_limit
from .figures import gap_figure, output_layer_figure, width_rate_figure
from .figures_checks import infinite_width_figure, min_distance_figure, zeta_figure

__all__ = ["WidthRateReport", "width_rate", "OutputLayerReport", "output_layer", "LIMIT_INITS", "GapReport",
           "linearized_gap_rate", "MinDistanceReport",
           "min_distance", "ZetaMCReport", "zeta_breakpoints", "InfiniteWidthReport", "infinite_width"]

_NOT_IN_TABLE = {"table": False}


#: the paper's three inits and the binary-uniform one (W = +-1, B ~ U(-2.5, 2.5))
LIMIT_INITS = dict(INITS, **{"binary x U(-2.5,2.5)": ("binary_uniform", 1.0, 2.5)})


def _check_inits(inits):
    if isinstance(inits, str) or not all(i in LIMIT_INITS for i in inits):
        raise ValueError(f"inits must be a tuple of names from {tuple(LIMIT_INITS)}, got {inits!r}")
    return tuple(inits)


@dataclasses.dataclass(frozen=True)
class WidthRateReport(Report):
    """Per network: init, width n (2n ReLUs), seed, outcome, losses, steps, errors; per init: the fit.

    ``sup_error`` is :math:`\\sup_{[-L,L]}|f_n-(g^*-\\bar ux-\\bar v)|` (ours); ``rms_error`` is the
    root mean square over the same grid (the authors' kind of metric). ``fits`` maps init to the
    ensemble :class:`~ibtheory.stats.RateFit` of ``sup_error`` on widths >= ``fit_min_width`` over
    converged networks; ``rms_fits`` the same for ``rms_error``.
    """

    init: np.ndarray
    width: np.ndarray
    seed: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    gd_loss: np.ndarray
    nit: np.ndarray
    polish_shift: np.ndarray
    sup_error: np.ndarray
    rms_error: np.ndarray
    t: np.ndarray = dataclasses.field(metadata=_NOT_IN_TABLE)
    outputs: np.ndarray = dataclasses.field(metadata=PER_RUN)
    targets: dict = dataclasses.field(metadata=_NOT_IN_TABLE)
    fits: dict = dataclasses.field(metadata=_NOT_IN_TABLE)
    rms_fits: dict = dataclasses.field(metadata=_NOT_IN_TABLE)
    fit_min_width: int = 40
    adjusted: bool = True
    seconds: float = 0.0

    #: ensemble fits over the runs: recomputed from the merged runs when seed shards are merged
    summary_fields = ("fits", "rms_fits")

    @staticmethod
    def fitted(f):
        """The networks the fits use: converged, interpolating (MSE < 1e-16), width >= ``fit_min_width``.

        ``f`` maps field names to values (a report's fields, or those of merged shards)."""
        return (f["outcome"] == "success") & (f["final_loss"] < 1e-16) & (f["width"] >= f["fit_min_width"])

    @classmethod
    def ensemble_fits(cls, f):
        """The summary fields from the per-run fields ``f``: per init (in the order of the runs), the
        :class:`~ibtheory.stats.RateFit` of ``sup_error`` (``fits``) and ``rms_error`` (``rms_fits``)
        against the width over :meth:`fitted` networks (``None``: fewer than 3 runs at 2 widths)."""
        ok = cls.fitted(f)
        return {"fits": _fits_by_init(f["init"], f["width"], f["sup_error"], ok),
                "rms_fits": _fits_by_init(f["init"], f["width"], f["rms_error"], ok)}

    @classmethod
    def merge_summaries(cls, shards, runs):
        """The fits of the merged runs (:meth:`ensemble_fits`, the experiment's own recipe)."""
        return cls.ensemble_fits(runs)

    def summary(self):
        """One row per init: networks, convergence, final losses, the two ensemble fits."""
        import pandas as pd

        rows = []
        nan = float("nan")
        for name in self.fits:
            sel = self.init == name
            fs = sel & (self.width >= self.fit_min_width)
            f, r = self.fits[name], self.rms_fits[name]
            rows.append({"init": name, "networks": int(sel.sum()),
                         "not converged (all widths)": int(np.sum(sel & (self.outcome != "success"))),
                         "max final MSE (fit range)": float(self.final_loss[fs].max()) if fs.any() else nan,
                         "median MSE at GD stop": float(np.median(self.gd_loss[sel])),
                         "max tail shift / sup-error": float(np.max(self.polish_shift[fs] / self.sup_error[fs]))
                         if fs.any() else nan,
                         "sup exponent": f.slope if f else nan,
                         "sup 95% CI": f"[{f.ci[0]:.2f}, {f.ci[1]:.2f}]" if f else "no fit",
                         "RMS exponent": r.slope if r else nan,
                         "RMS 95% CI": f"[{r.ci[0]:.2f}, {r.ci[1]:.2f}]" if r else "no fit"})
        return pd.DataFrame(rows)


def _fit(widths, err, ok):
    sel = ok & np.isfinite(err) & (err > 0)
    return loglog_fit_or_none(widths[sel], err[sel])


def _fits_by_init(init, widths, err, ok):
    """``{name: _fit(...)}`` over the runs of each init, inits in the order of their first run."""
    return {name: _fit(widths[init == name], err[init == name], ok[init == name])
            for name in dict.fromkeys(init.tolist())}


@experiment("jin2023.width_rate", figure=width_rate_figure, presets={
    "smoke": {"seeds": (0, 1), "inits": ("U(-1,1) x U(-2,2)",), "widths": (10, 40, 80), "n_eval": 101,
              "fit_min_width": 10, "max_steps": 50_000, "adjust": True},
    "book": {"seeds": (0, 1, 2, 3, 4, 5), "inits": tuple(INITS), "widths": (10, 20, 40, 80, 160, 320), "n_eval": 401,
             "fit_min_width": 40, "max_steps": 200_000, "adjust": True},
    "paper": {"seeds": (0, 1, 2, 3, 4), "inits": tuple(LIMIT_INITS),
              "widths": (10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240), "n_eval": 401,
              "fit_min_width": 320, "max_steps": 1_000_000, "adjust": True}})
def width_rate(*, seeds, inits, widths, n_eval, fit_min_width, max_steps, adjust):
    r"""Train anti-symmetrically initialized networks on the paper's data; distance to the theorem's limit.

    Gradient descent on the mean squared error in the paper's parametrization (output weights with
    half the step), step :math:`M/(2\lambda_{\max})` of the tangent kernel at initialization, stopped
    when the loss changes by less than :math:`10^{-9}` (the authors' rule), then a Gauss-Newton tail (up to 50 steps).
    Plain GD, run by the activation-pattern engine of :func:`ibtheory.dynamics.asi_gradient_descent` (the
    same iterates up to rounding, a per-step cost independent of the width: the ``paper`` preset, 220
    networks up to 20,480 neurons, takes seconds).
    With ``adjust`` the labels are :math:`y_i-\bar ux_i-\bar v` and the target
    :math:`g^*-\bar ux-\bar v`; without, the raw labels and :math:`g^*` (the authors' comparison).
    """
    f = _sweep(seeds, inits, widths, n_eval, fit_min_width, max_steps, adjust, "all")
    return WidthRateReport(**f, **WidthRateReport.ensemble_fits(f))


def _sweep(seeds, inits, widths, n_eval, fit_min_width, max_steps, adjust, train):
    """Train (``train`` = "all" or "output") and measure every (init, width, seed); the per-run fields of the
    report and its settings (the fits: :meth:`WidthRateReport.ensemble_fits`)."""
    import time

    from ibtheory.dynamics import Problem, asi_gradient_descent
    from ibtheory.models import TwoLayerReLU, relu_init

    inits = _check_inits(inits)
    t = np.linspace(DATA_X.min(), DATA_X.max(), n_eval)
    rows, outs, targets, keys, P, labels = [], [], {}, [], [], []
    t0 = time.perf_counter()
    for name in inits:                  # every init's networks in one call, each with its init's labels
        dist, ws, bs = LIMIT_INITS[name]
        g, u, v = predicted_limit(DATA_X, DATA_Y, dist, ws, bs)
        targets[name] = g(t) - ((u * t + v) if adjust else 0.0)
        keys += [(name, n, s) for n in widths for s in seeds]
        P += [relu_init(TwoLayerReLU(1, 2 * n), dist, ws, bs, seed=s) for n in widths for s in seeds]
        labels += [DATA_Y - ((u * DATA_X + v) if adjust else 0.0)] * (len(widths) * len(seeds))
    run = asi_gradient_descent(Problem(DATA_X[:, None], DATA_Y, loss="mean"), P, labels=np.array(labels),
                               output_lr_scale=0.5, train=train, stop="loss_change", tol=1e-9, max_steps=max_steps,
                               polish=True, polish_points=t[:, None], polish_steps=50,
                               method="spectral" if train == "output" else "pattern")
    for k, (name, n, s) in enumerate(keys):
        f = run(k, t[:, None])
        d = f - targets[name]
        rows.append((name, n, s, str(run.status[k]), run.loss[k], run.gd_loss[k], run.nit[k],
                     run.polish_shift[k], np.max(np.abs(d)), np.sqrt(np.mean(d * d))))
        outs.append(f)
    cols = list(zip(*rows))
    init, width, seed = np.array(cols[0]), np.array(cols[1]), np.array(cols[2])
    outcome, sup, rms = np.array(cols[3]), np.array(cols[8], float), np.array(cols[9], float)
    # networks that did not interpolate (dead ReLUs at small widths) are kept in the table, not fitted
    return dict(init=init, width=width, seed=seed, outcome=outcome, final_loss=np.array(cols[4], float),
                gd_loss=np.array(cols[5], float), nit=np.array(cols[6]), polish_shift=np.array(cols[7], float),
                sup_error=sup, rms_error=rms, t=t, outputs=np.array(outs), targets=targets,
                fit_min_width=int(fit_min_width), adjusted=bool(adjust), seconds=time.perf_counter() - t0)


@dataclasses.dataclass(frozen=True)
class OutputLayerReport(WidthRateReport):
    """:class:`WidthRateReport` of output-layer-only training, with ``limit_error``: the sup over the grid of
    :math:`|f_n-k_n|`, :math:`k_n` the kernel interpolant of the trained labels with the family's output-layer
    kernel (the infinite-width limit of this training, :func:`ibtheory.solvers.kernel_interpolant`), and
    ``limit_fits``, its ensemble fits per init."""

    limit_error: np.ndarray = None
    limit_fits: dict = dataclasses.field(default=None, metadata=_NOT_IN_TABLE)

    summary_fields = ("fits", "rms_fits", "limit_fits")

    @classmethod
    def ensemble_fits(cls, f):
        """:meth:`WidthRateReport.ensemble_fits` and ``limit_fits``, the same fits of ``limit_error``."""
        return dict(super().ensemble_fits(f),
                    limit_fits=_fits_by_init(f["init"], f["width"], f["limit_error"], cls.fitted(f)))


@experiment("jin2023.output_layer", figure=output_layer_figure, presets={
    "smoke": {"seeds": (0, 1), "inits": ("U(-1,1) x U(-2,2)",), "widths": (10, 40, 160), "n_eval": 101,
              "fit_min_width": 10, "adjust": False},
    "book": {"seeds": (0, 1, 2), "inits": tuple(LIMIT_INITS), "widths": (10, 40, 160, 640, 2560), "n_eval": 401,
             "fit_min_width": 40, "adjust": False},
    "paper": {"seeds": (0, 1, 2), "inits": tuple(LIMIT_INITS),
              "widths": (10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240), "n_eval": 401,
              "fit_min_width": 320, "adjust": False}})
def output_layer(*, seeds, inits, widths, n_eval, fit_min_width, adjust):
    r"""The authors' protocol: only the output layer trained (hidden layer frozen at its anti-symmetric init).

    Gradient descent on the mean squared error (output weights with half the step, output bias with the full
    one, step :math:`M/(2\lambda_{\max})`), stopped when the loss changes by less than :math:`10^{-9}`: the
    iterate at that step in closed form (:func:`ibtheory.dynamics.asi_gradient_descent`, ``method="spectral"``),
    then the exact limit by a Gauss-Newton step (the problem is linear least squares). Raw labels by default
    (as the authors), so ``sup_error`` is to :math:`g^*`; ``limit_error`` is to the kernel limit of the labels.

    Examples
    --------
    >>> from ibtheory.papers.jin2023.experiments import output_layer
    >>> rep = output_layer("smoke")
    >>> bool(rep.final_loss[rep.width == 160].max() < 1e-20), sorted(set(rep.seed.tolist()))
    (True, [0, 1])

    See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
    """
    from ibtheory.solvers import kernel_interpolant

    f = _sweep(seeds, inits, widths, n_eval, fit_min_width, 1_000_000, adjust, "output")
    lim = np.empty(f["init"].size)
    for name in _check_inits(inits):
        dist, ws, bs = LIMIT_INITS[name]
        g, u, v = predicted_limit(DATA_X, DATA_Y, dist, ws, bs)
        y = DATA_Y - ((u * DATA_X + v) if adjust else 0.0)
        sel = f["init"] == name
        lim[sel] = np.max(np.abs(f["outputs"][sel] - kernel_interpolant(DATA_X, y, init_kernel(dist, ws, bs))(f["t"])), 1)
    f["limit_error"] = lim
    return OutputLayerReport(**f, **OutputLayerReport.ensemble_fits(f))


@dataclasses.dataclass(frozen=True)
class GapReport(Report):
    """Per run: width, seed, the linearized gap; the ensemble fit of the gap against the width."""

    width: np.ndarray
    seed: np.ndarray
    outcome: np.ndarray
    gap: np.ndarray
    fit: RateFit = dataclasses.field(metadata=_NOT_IN_TABLE)
    init: str = ""

    summary_fields = ("fit",)

    @staticmethod
    def ensemble_fit(width, gap):
        """The log-log fit of the gap against the width over every run."""
        return loglog_fit_or_none(width, gap)

    @classmethod
    def merge_summaries(cls, shards, runs):
        """The fit of the merged runs (:meth:`ensemble_fit`)."""
        return {"fit": cls.ensemble_fit(runs["width"], runs["gap"])}


@experiment("jin2023.linearized_gap_rate", figure=gap_figure, presets={
    "smoke": {"seeds": (0, 1), "widths": (40, 160, 640), "init": "U(-1,1) x U(-2,2)", "n_eval": 51},
    "book": {"seeds": (0, 1, 2, 3, 4), "widths": (160, 640, 2560), "init": "U(-1,1) x U(-2,2)", "n_eval": 201},
    "paper": {"seeds": tuple(range(10)), "widths": (160, 320, 640, 1280, 2560, 5120, 10240),
              "init": "U(-1,1) x U(-2,2)", "n_eval": 401}})
def linearized_gap_rate(*, seeds, widths, init, n_eval):
    """The gap between output-only and all-parameter training of the linearized model, per width and seed."""
    from ibtheory.models import TwoLayerReLU, relu_init

    from .linearized import linearized_gap

    dist, ws, bs = INITS[_check_inits((init,))[0]]
    tt = np.linspace(DATA_X.min(), DATA_X.max(), n_eval)
    W, S, G = [], [], []
    for n in widths:
        for s in seeds:
            G.append(linearized_gap(relu_init(TwoLayerReLU(1, 2 * n), dist, ws, bs, seed=s), DATA_X, DATA_Y, tt).gap)
            W.append(n)
            S.append(s)
    W, G = np.array(W), np.array(G)
    return GapReport(width=W, seed=np.array(S), outcome=np.full(W.size, "success"), gap=G,
                     fit=GapReport.ensemble_fit(W, G), init=init)


@dataclasses.dataclass(frozen=True)
class MinDistanceReport(Report):
    """Per run: width, seed, GD steps, cond(JJ^T), relative distance of the GD end point to the min-distance solution."""

    width: np.ndarray
    seed: np.ndarray
    outcome: np.ndarray
    nit: np.ndarray
    final_loss: np.ndarray
    cond: np.ndarray
    rel_distance: np.ndarray


@experiment("jin2023.min_distance", figure=min_distance_figure, presets={
    "smoke": {"seeds": (2,), "widths": (25,), "init": "N(0,1) x N(0,1)"},
    "book": {"seeds": (2, 3), "widths": (25, 100, 400), "init": "N(0,1) x N(0,1)"},
    "paper": {"seeds": (2, 3, 4, 5, 6), "widths": (25, 100, 400, 1600), "init": "N(0,1) x N(0,1)"}})
def min_distance(*, seeds, widths, init):
    """Gradient descent on the linearized network (plain GD, all parameters) vs the minimum-distance interpolator."""
    from ibtheory.dynamics import relu_jacobian
    from ibtheory.models import TwoLayerReLU, relu_init
    from ibtheory.solvers import min_distance_interpolator

    from .linearized import linearized_gd

    dist, ws, bs = INITS[_check_inits((init,))[0]]
    rows = []
    for n in widths:
        for s in seeds:
            P = relu_init(TwoLayerReLU(1, 2 * n), dist, ws, bs, seed=s)
            theta0 = np.concatenate([P[0][:, 0], P[1], P[2], [float(P[3])]])
            J = relu_jacobian(P, DATA_X[:, None])
            gd = linearized_gd(J, DATA_Y, theta0, lr_factor=0.4, contraction=1e-15)
            md = min_distance_interpolator(J, DATA_Y, theta0)
            rows.append((n, s, gd.nit, gd.loss, gd.cond, np.linalg.norm(gd.x - md.x) / np.linalg.norm(md.x - theta0)))
    c = [np.array(v) for v in zip(*rows)]
    return MinDistanceReport(width=c[0], seed=c[1], outcome=np.full(c[0].size, "success"), nit=c[2],
                             final_loss=c[3], cond=c[4], rel_distance=c[5])


@dataclasses.dataclass(frozen=True)
class ZetaMCReport(Report):
    """Per (family, seed): the largest |Monte Carlo - closed form| over the bins in standard errors.

    ``mc_mean`` and ``mc_se`` (runs x bins) are the Monte Carlo bin averages of the breakpoint form and their
    standard errors, ``bin_average`` (runs x bins) the closed form's bin averages, ``edges`` the bin edges.
    """

    family: np.ndarray
    seed: np.ndarray
    outcome: np.ndarray
    max_z: np.ndarray
    n_bins: int = 0
    n_samples: int = 0
    edges: np.ndarray = dataclasses.field(default=None, metadata=_NOT_IN_TABLE)
    mc_mean: np.ndarray = dataclasses.field(default=None, metadata=PER_RUN)
    mc_se: np.ndarray = dataclasses.field(default=None, metadata=PER_RUN)
    bin_average: np.ndarray = dataclasses.field(default=None, metadata=PER_RUN)


#: (dist, w_scale, b_scale) of the Monte Carlo check of zeta
ZETA_FAMILIES = (("gaussian", 1.0, 1.0), ("uniform", 1.0, 2.0), ("binary_uniform", 1.0, 2.0))


@experiment("jin2023.zeta_breakpoints", figure=zeta_figure, presets={
    "smoke": {"seeds": (0,), "edges": tuple(np.linspace(-3, 3, 13)), "n_samples": 50_000},
    "book": {"seeds": (0, 1), "edges": tuple(np.linspace(-3, 3, 13)), "n_samples": 400_000},
    "paper": {"seeds": (0, 1, 2, 3, 4), "edges": tuple(np.linspace(-3, 3, 25)), "n_samples": 4_000_000}})
def zeta_breakpoints(*, seeds, edges, n_samples):
    r"""Breakpoint form of :math:`\zeta` by Monte Carlo (:func:`ibtheory.reference.jin2023.zeta_monte_carlo`)
    against bin averages of :func:`init_zeta` (40-point Gauss-Legendre per bin; no bin straddles a kink)."""
    from ibtheory.reference.jin2023 import zeta_monte_carlo

    edges = np.asarray(edges, float)
    xg, wg = np.polynomial.legendre.leggauss(40)
    pts = edges[:-1, None] + 0.5 * np.diff(edges)[:, None] * (xg + 1)
    fam, S, Z, M, SE, R = [], [], [], [], [], []
    for dist, ws, bs in ZETA_FAMILIES:
        ref = np.sum(init_zeta(dist, ws, bs)(pts) * wg, axis=1) / 2
        for s in seeds:
            mean, se = zeta_monte_carlo(edges, dist, ws, bs, n_samples=n_samples, seed=s)
            z = np.abs(mean - ref) / np.where(se > 0, se, np.inf)   # empty bins: zeta = 0 there
            fam.append(dist)
            S.append(s)
            Z.append(float(np.max(z)))
            M.append(mean)
            SE.append(se)
            R.append(ref)
    return ZetaMCReport(family=np.array(fam), seed=np.array(S), outcome=np.full(len(S), "success"),
                        max_z=np.array(Z), n_bins=edges.size - 1, n_samples=int(n_samples), edges=edges,
                        mc_mean=np.array(M), mc_se=np.array(SE), bin_average=np.array(R))


@dataclasses.dataclass(frozen=True)
class InfiniteWidthReport(Report):
    """Per (data set, init): u, v, sup |kernel interpolant - (g* - u x - v)| (relative to max|y|), cond(K)."""

    data: np.ndarray
    init: np.ndarray
    u: np.ndarray
    v: np.ndarray
    sup_difference: np.ndarray
    cond: np.ndarray
    seed: np.ndarray = None
    outcome: np.ndarray = None




@experiment("jin2023.infinite_width", figure=infinite_width_figure, presets={
    "smoke": {"seeds": None, "L_eval": 4.0, "n_eval": 101},
    "book": {"seeds": None, "L_eval": 4.0, "n_eval": 801},
    "paper": {"seeds": None, "L_eval": 6.0, "n_eval": 2001}})
def infinite_width(*, seeds, L_eval, n_eval):
    """Kernel interpolation of the adjusted data vs the adjusted weighted spline, on the paper's data and on
    seven fixed jittered points (labels a fixed pattern), for four initializations."""
    from ibtheory.solvers import kernel_interpolant

    t = np.linspace(-L_eval, L_eval, n_eval)
    xj = np.linspace(-2, 2, 7) + np.array([0.1, -0.12, 0.05, 0.14, -0.08, 0.11, -0.03])
    yj = np.array([0.3, -1.1, 0.8, 0.2, -0.6, 1.4, -0.2])
    rows = []
    for dname, (x, y) in {"paper's data": (DATA_X, DATA_Y), "7 jittered points": (xj, yj)}.items():
        for name, (dist, ws, bs) in LIMIT_INITS.items():
            g, u, v = predicted_limit(x, y, dist, ws, bs)
            k = kernel_interpolant(x, y - u * x - v, init_kernel(dist, ws, bs))
            rows.append((dname, name, u, v, np.max(np.abs(k(t) - (g(t) - u * t - v))) / np.max(np.abs(y)), k.cond))
    c = [np.array(v) for v in zip(*rows)]
    return InfiniteWidthReport(data=c[0], init=c[1], u=c[2].astype(float), v=c[3].astype(float),
                               sup_difference=c[4].astype(float), cond=c[5].astype(float),
                               seed=np.full(c[0].size, -1), outcome=np.full(c[0].size, "success"))
