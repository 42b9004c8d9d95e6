"""Figures of the Jin & Montufar chapters (each takes a report or nothing and returns a Figure).

See the book chapters *Wide ReLU networks learn weighted splines* (``book/jin2023.md``) and
*Extension: wide ReLU networks on 2-D inputs* (``book/jin2023_2d.md``).
"""
from __future__ import annotations

import numpy as np

from .._figures import check_report

from ..._validation import as_real_array
from .closed_forms import DATA_X, DATA_Y, INITS, RATE_WIDTH, init_zeta

__all__ = ["variational_solutions", "width_rate_figure", "output_layer_figure", "gap_figure", "adjustment_figure",
           "ext2d_rate_figure", "ext2d_surfaces"]


def _check_report(report, cls, name="rep"):
    """:func:`ibtheory.papers._figures.check_report` with this module's parameter name."""
    return check_report(report, cls, name)


def variational_solutions():
    """Left: the weighted spline of the paper's data for its three inits; right: their zeta (log scale).

    Examples
    --------
    >>> from ibtheory.papers.jin2023.figures import variational_solutions
    >>> len(variational_solutions().axes)
    2
    """
    import matplotlib.pyplot as plt

    from ibtheory.solvers import weighted_spline

    t = np.linspace(-2.5, 2.5, 501)
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, (dist, ws, bs) in INITS.items():
        z = init_zeta(dist, ws, bs)
        ax[0].plot(t, weighted_spline(DATA_X, DATA_Y, z)(t), label=name)
        ax[1].plot(t, z(t) / z(0.0), label=name)
    ax[0].plot(DATA_X, DATA_Y, "ko", label="data")
    ax[0].set_xlabel("$x$"); ax[0].set_ylabel("$g^*(x)$"); ax[0].legend(fontsize=8)
    ax[1].set_xlabel("$x$"); ax[1].set_ylabel(r"$\zeta(x)/\zeta(0)$"); ax[1].set_yscale("log")
    ax[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def _target_label(rep):
    """The limit a width-rate report's ``sup_error`` measures: adjusted spline, or :math:`g^*` (raw labels)."""
    lo, hi = float(rep.t.min()), float(rep.t.max())
    target = r"(g^*-\bar ux-\bar v)" if rep.adjusted else "g^*"
    return rf"$\sup_{{[{lo:g},{hi:g}]}}|f_n - {target}|$"


def _rate_panel(ax, rep, err, fits, guide=True):
    """Log-log ``err`` against the width per init: converged networks (dots), the others (crosses), fits."""
    ok = rep.outcome == "success"
    for name, fit in fits.items():
        sel = rep.init == name
        p = ax.loglog(rep.width[sel & ok], err[sel & ok], "o", alpha=0.5, label=name)
        if (sel & ~ok).any():
            ax.loglog(rep.width[sel & ~ok], err[sel & ~ok], "x", color=p[0].get_color(), label="not converged")
        nn = np.unique(rep.width[sel & (rep.width >= rep.fit_min_width)])
        if fit is not None:
            ax.loglog(nn, np.exp(fit.intercept) * nn ** fit.slope, "-", color=p[0].get_color(),
                      label=f"fit: {fit.slope:.2f} [{fit.ci[0]:.2f}, {fit.ci[1]:.2f}]")
    nn = np.unique(rep.width[rep.width >= rep.fit_min_width])
    if guide and nn.size:
        ax.loglog(nn, np.median(err[rep.width == nn[0]]) * (nn / nn[0]) ** RATE_WIDTH, "k--", label=r"$n^{-1/2}$")
    ax.set_xlabel("base width $n$")
    ax.legend(fontsize=7)


def _network_panels(axes, rep, target):
    """Per init: trained networks of the first seed at every other width, against ``target``, with the data."""
    seed0 = rep.seed.min()
    for a, name in zip(axes, rep.fits):
        for n in np.unique(rep.width)[::2]:
            k = np.flatnonzero((rep.init == name) & (rep.width == n) & (rep.seed == seed0))
            if k.size:
                a.plot(rep.t, rep.outputs[k[0]], lw=1, label=f"n = {n}")
        a.plot(rep.t, rep.targets[name], "k", lw=2, label=target)
        a.set_title(name, fontsize=9); a.set_xlabel("$x$"); a.set_ylabel("$f(x)$"); a.legend(fontsize=7)


def width_rate_figure(rep):
    r"""Sup-error against the width per init (dots: networks; lines: ensemble fits) and trained networks.

    The paper's figure (error against the number of neurons; output functions of trained networks against
    the solution of the variational problem). The y-label names the limit ``sup_error`` measures: the
    adjusted spline :math:`g^*-\bar ux-\bar v` (``adjust=True``) or :math:`g^*` (raw labels).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.jin2023 import width_rate
    >>> from ibtheory.papers.jin2023.figures import width_rate_figure
    >>> len(width_rate_figure(width_rate("smoke", widths=(10, 40), seeds=(0,))).axes)
    2

    See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments import WidthRateReport

    _check_report(rep, WidthRateReport)

    fig, ax = plt.subplots(1, 1 + len(rep.fits), figsize=(5 + 4.5 * len(rep.fits), 3.8), layout="constrained")
    _rate_panel(ax[0], rep, rep.sup_error, rep.fits)
    ax[0].set_ylabel(_target_label(rep))
    _network_panels(ax[1:], rep, "variational solution" + (" (adjusted)" if rep.adjusted else " $g^*$"))
    return fig


def output_layer_figure(rep):
    r"""The authors' protocol (output layer only): top left, :math:`\sup|f_n-g^*|` against the width (raw labels;
    the adjusted spline if the report was run with ``adjust=True``); top right, :math:`\sup|f_n-k_\infty|`, the
    distance to the kernel interpolant of the trained labels (this training's infinite-width limit); each with
    every network a dot, the ensemble fits with their 95% intervals, dashed the :math:`n^{-1/2}` slope. Bottom:
    trained networks of the first seed against :math:`g^*`, per initialization.

    The paper's figure (error between the trained network and the solution of the variational problem
    against the number of neurons; output functions at several widths against that solution), with the
    kernel limit beside it.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.jin2023 import output_layer
    >>> from ibtheory.papers.jin2023.figures import output_layer_figure
    >>> len(output_layer_figure(output_layer("smoke")).axes)
    3

    See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments import OutputLayerReport

    _check_report(rep, OutputLayerReport)
    n = len(rep.fits)
    mosaic = [["g"] * n + ["k"] * n, [f"f{i}" for i in range(n) for _ in (0, 1)]]
    fig, ax = plt.subplot_mosaic(mosaic, figsize=(max(10.0, 4.2 * n), 8.0), layout="constrained")
    _rate_panel(ax["g"], rep, rep.sup_error, rep.fits)
    ax["g"].set_ylabel(_target_label(rep))
    _rate_panel(ax["k"], rep, rep.limit_error, rep.limit_fits)
    lo, hi = float(rep.t.min()), float(rep.t.max())
    ax["k"].set_ylabel(rf"$\sup_{{[{lo:g},{hi:g}]}}|f_n - k_\infty|$ (kernel limit of the labels)")
    _network_panels([ax[f"f{i}"] for i in range(n)], rep,
                    "variational solution" + (" (adjusted)" if rep.adjusted else " $g^*$"))
    return fig


def gap_figure(rep):
    """The output-only vs all-parameters gap of the linearized model against the width, with the fit."""
    import matplotlib.pyplot as plt

    from .experiments import GapReport

    _check_report(rep, GapReport)

    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.loglog(rep.width, rep.gap, "o", alpha=0.6, label="networks")
    nn = np.unique(rep.width)
    ax.loglog(nn, np.exp(rep.fit.intercept) * nn ** rep.fit.slope, "-",
              label=f"fit: {rep.fit.slope:.2f} [{rep.fit.ci[0]:.2f}, {rep.fit.ci[1]:.2f}]")
    ax.set_xlabel("base width $n$"); ax.set_ylabel(r"$\sup_{t,x}|f^{lin}_{out}-f^{lin}_{all}|$"); ax.legend()
    fig.tight_layout()
    return fig


def adjustment_figure(rep):
    """Distance to g* on [-L, L] of networks trained on raw and on adjusted data, with the infinite-width gap."""
    import matplotlib.pyplot as plt

    from .adjustment import AdjustmentReport

    _check_report(rep, AdjustmentReport)

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for adj, label in ((True, "trained on y - u x - v (adjustment added back)"), (False, "trained on raw y")):
        sel = rep.adjusted == adj
        ax.loglog(rep.width[sel], rep.error_to_spline[sel], "o", alpha=0.6, label=label)
    ax.axhline(rep.limit_gap, color="k", ls="--", label=r"$\sup|k_{raw}-g^*|$ (infinite width)")
    ax.set_xlabel("base width $n$"); ax.set_ylabel(rf"$\sup_{{[-{rep.L_eval:g},{rep.L_eval:g}]}}|f_n-g^*|$")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def ext2d_rate_figure(rep):
    """Two inputs: sup-distance to the kernel limit against the width, with the ensemble fits."""
    import matplotlib.pyplot as plt

    from .extension_2d import Ext2DReport

    _check_report(rep, Ext2DReport)

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name, fit in rep.fits.items():
        sel = rep.init == name
        p = ax.loglog(rep.width[sel], rep.sup_error[sel], "o", alpha=0.4, ms=4, label=f"{name}: networks")
        nn = np.unique(rep.width[sel & (rep.width >= rep.fit_min_width)])
        ax.loglog(nn, np.exp(fit.intercept) * nn ** fit.slope, "--", color=p[0].get_color(), lw=2,
                  label=f"fit {fit.slope:.2f} [{fit.ci[0]:.2f}, {fit.ci[1]:.2f}]")
    ax.set_xlabel("width n (2n ReLUs)"); ax.set_ylabel("sup over grid of |f_n - f_inf|")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def ext2d_surfaces(panels, grid, X):
    """Contour panels ``[(title, values on grid)]`` over the points ``grid`` (N, 2) of a square grid, data ``X``."""
    import matplotlib.pyplot as plt

    grid, X = as_real_array(grid, "grid"), as_real_array(X, "X")
    if grid.ndim != 2 or grid.shape[1] != 2 or grid.shape[0] == 0:
        raise ValueError(f"grid must be an (m*m, 2) array of the points of a square grid, got shape {grid.shape}")
    m = int(round(np.sqrt(grid.shape[0])))
    if m * m != grid.shape[0]:
        raise ValueError(f"grid must hold m*m points of a square grid, got {grid.shape[0]} points")
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must be an (n, 2) array of data points, got shape {X.shape}")
    if isinstance(panels, (str, bytes)) or not hasattr(panels, "__len__") or len(panels) == 0:
        raise TypeError(f"panels must be a non-empty list of (title, values on grid) pairs, got {panels!r}")
    checked = []
    for p in panels:
        if not (isinstance(p, (tuple, list)) and len(p) == 2):
            raise TypeError(f"panels must be a list of (title, values on grid) pairs, got the entry {p!r}")
        F = as_real_array(p[1], "panels values")
        if F.size != m * m:
            raise ValueError(f"panels values must hold one value per grid point ({m * m}), got {F.size}")
        checked.append((p[0], F))
    panels = checked
    g1, g2 = grid[:, 0].reshape(m, m), grid[:, 1].reshape(m, m)
    fig, axes = plt.subplots(1, len(panels), figsize=(3.8 * len(panels), 3.6), constrained_layout=True)
    for ax, (title, F) in zip(np.atleast_1d(axes), panels):
        F = np.asarray(F).reshape(m, m)
        cs = ax.contourf(g1, g2, F, levels=21, cmap="viridis")
        ax.plot(X[:, 0], X[:, 1], "k^", ms=6)
        ax.set_aspect("equal"); ax.set_title(title, fontsize=9); ax.set_xlabel("$x_1$"); ax.set_ylabel("$x_2$")
        fig.colorbar(cs, ax=ax, shrink=0.8)
    return fig
