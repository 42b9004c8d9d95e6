r"""Figures of the Jin & Montufar checks the paper does not draw (each takes the experiment's report).

* :func:`zeta_figure`: the breakpoint form of :math:`\zeta` by Monte Carlo against its closed form, bin by bin;
* :func:`infinite_width_figure`: kernel interpolant against the adjusted weighted spline, the discrepancy per run;
* :func:`min_distance_figure`: gradient descent on the linearization against the minimum-distance interpolator;
* :func:`natural_cubic_figure`: the weighted spline for constant :math:`\zeta` against the natural cubic spline;
* :func:`gaussian_grid_figure`: the weighted spline for Gaussian :math:`\zeta` against grid discretizations.

The paper (its slides) draws none of these: each figure shows what the ledger row checks, the measured
discrepancy against the tolerance (or the prediction beside the simulation).

See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

import numpy as np

from .closed_forms import MC_Z_MAX, TOL_GAUSSIAN_GRID, TOL_INFINITE_WIDTH, TOL_MIN_DISTANCE, TOL_NATURAL_CUBIC
from .figures import _check_report

__all__ = ["zeta_figure", "infinite_width_figure", "min_distance_figure", "natural_cubic_figure",
           "gaussian_grid_figure"]

_EPS = float(np.finfo(float).eps)


def zeta_figure(rep):
    r"""Per family: Monte Carlo bin averages of :math:`\mathbb E[\mathcal W^2 1\{\mathcal C\in I_k\}]/|I_k|`
    (dots, :math:`\pm2` standard errors, one colour per seed) on the closed-form bin averages of :math:`\zeta`
    (steps); last panel: :math:`|{\rm MC}-{\rm closed\ form}|` per bin in standard errors, every run, with the
    threshold ``MC_Z_MAX``.

    The paper draws no figure of this; this figure shows the Monte Carlo check of the breakpoint form
    :math:`\zeta=p_{\mathcal C}\,\mathbb E[\mathcal W^2\mid\mathcal C]` against the closed form.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.jin2023 import zeta_breakpoints
    >>> from ibtheory.papers.jin2023.figures_checks import zeta_figure
    >>> len(zeta_figure(zeta_breakpoints("smoke")).axes)
    4

    See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments import ZetaMCReport

    _check_report(rep, ZetaMCReport)
    fams = list(dict.fromkeys(rep.family.tolist()))
    seeds = np.unique(rep.seed)
    edges = np.asarray(rep.edges, float)
    mid, width = 0.5 * (edges[1:] + edges[:-1]), np.diff(edges)
    fig, ax = plt.subplots(1, len(fams) + 1, figsize=(3.6 * (len(fams) + 1), 3.5), layout="constrained")
    for a, fam in zip(ax, fams):
        rows = np.flatnonzero(rep.family == fam)
        a.stairs(rep.bin_average[rows[0]], edges, color="k", lw=1.5, label=r"closed form $\zeta$ (bin average)")
        for j, s in enumerate(seeds):
            for r in rows[rep.seed[rows] == s]:
                shift = (j - (seeds.size - 1) / 2) * 0.12 * width
                a.errorbar(mid + shift, rep.mc_mean[r], yerr=2 * rep.mc_se[r], fmt="o", ms=3, capsize=2,
                           color=f"C{j}", label=f"Monte Carlo, seed {s}")
        a.set_ylim(0, 1.45 * max(np.max(rep.bin_average[rows]), np.max(rep.mc_mean[rows] + 2 * rep.mc_se[rows])))
        a.set_title(fam, fontsize=9); a.set_xlabel(r"breakpoint $c=-b/w$")
        a.set_ylabel(r"$\zeta$ averaged over the bin"); a.legend(fontsize=7, loc="upper right")
    z = np.abs(rep.mc_mean - rep.bin_average) / np.where(rep.mc_se > 0, rep.mc_se, np.inf)
    for k, fam in enumerate(fams):
        rows = rep.family == fam
        ax[-1].plot(np.broadcast_to(mid, z[rows].shape).ravel(), z[rows].ravel(), "o", ms=3, alpha=0.6,
                    color=f"C{k + 3}", label=fam)
    ax[-1].axhline(MC_Z_MAX, color="k", ls="--", label=f"threshold MC_Z_MAX = {MC_Z_MAX:g}")
    ax[-1].set_ylim(0, 1.6 * max(MC_Z_MAX, float(np.max(z[np.isfinite(z)], initial=0.0))))
    ax[-1].set_xlabel(r"bin centre $c$"); ax[-1].set_ylabel("|MC - closed form| / standard error")
    ax[-1].legend(fontsize=7, ncols=2, loc="upper right")
    return fig


def infinite_width_figure(rep):
    r"""Left: :math:`\sup|k-(g^*-\bar ux-\bar v)|/\max|y|` per initialization, one marker per data set, on a
    log axis with the tolerance ``TOL_INFINITE_WIDTH``; right: the same against :math:`{\rm cond}(K)`, with
    the round-off scale :math:`\varepsilon\,{\rm cond}(K)` (dotted).

    The paper draws no figure of this; this figure shows the infinite-width check: kernel interpolation of
    the adjusted data against the adjusted weighted spline, two routes that agree to round-off.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.jin2023 import infinite_width
    >>> from ibtheory.papers.jin2023.figures_checks import infinite_width_figure
    >>> len(infinite_width_figure(infinite_width("smoke")).axes)
    2

    See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments import InfiniteWidthReport

    _check_report(rep, InfiniteWidthReport)
    inits = list(dict.fromkeys(rep.init.tolist()))
    fig, ax = plt.subplots(1, 2, figsize=(10.5, 3.8), layout="constrained")
    for k, (data, mk) in enumerate(zip(dict.fromkeys(rep.data.tolist()), "os^Dv")):
        sel = rep.data == data
        pos = np.array([inits.index(i) for i in rep.init[sel]]) + (k - 0.5) * 0.15
        ax[0].semilogy(pos, rep.sup_difference[sel], mk, ms=7, label=data)
        ax[1].loglog(rep.cond[sel], rep.sup_difference[sel], mk, ms=7, label=data)
    ax[0].axhline(TOL_INFINITE_WIDTH, color="k", ls="--", label="tolerance TOL_INFINITE_WIDTH")
    ax[0].set_xticks(range(len(inits)), inits, rotation=15, fontsize=8)
    ax[0].set_xlabel("initialization")
    ax[0].set_ylabel(r"$\sup_t|k(t)-(g^*(t)-\bar ut-\bar v)|\,/\max|y|$")
    ax[0].legend(fontsize=7)
    c = np.array([rep.cond.min(), rep.cond.max()])
    ax[1].loglog(c, _EPS * c, "k:", label=r"$\varepsilon_{\rm mach}\,{\rm cond}(K)$")
    ax[1].set_xlabel(r"condition number of the kernel matrix ${\rm cond}(K)$")
    ax[1].set_ylabel(r"$\sup_t|k-(g^*-\bar ut-\bar v)|\,/\max|y|$")
    ax[1].legend(fontsize=7)
    return fig


def min_distance_figure(rep):
    r"""Left: relative distance :math:`\|\omega_{\rm GD}-\omega^\star\|/\|\omega^\star-\theta_0\|` of the gradient
    descent end point to the minimum-distance interpolator against the width, every run a dot, with the
    tolerance ``TOL_MIN_DISTANCE``; right: the final training loss of each run and its number of steps.

    The paper draws no figure of this; this figure shows the check that gradient descent on the linearized
    network ends at the interpolator closest to the initialization, with the runs' convergence beside it.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.jin2023 import min_distance
    >>> from ibtheory.papers.jin2023.figures_checks import min_distance_figure
    >>> len(min_distance_figure(min_distance("smoke")).axes)
    3

    See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    from .experiments import MinDistanceReport

    _check_report(rep, MinDistanceReport)
    fig, ax = plt.subplots(1, 2, figsize=(10.5, 3.8), layout="constrained")
    ok = rep.outcome == "success"
    ax[0].loglog(rep.width[ok], rep.rel_distance[ok], "o", alpha=0.7, label="converged runs")
    if (~ok).any():
        ax[0].loglog(rep.width[~ok], rep.rel_distance[~ok], "x", color="C3", label="not converged")
    ax[0].axhline(TOL_MIN_DISTANCE, color="k", ls="--", label="tolerance TOL_MIN_DISTANCE")
    ax[0].set_xlabel("base width $n$")
    ax[0].set_ylabel(r"$\|\omega_{GD}-\omega^\star\|\,/\,\|\omega^\star-\theta_0\|$")
    ax[0].legend(fontsize=7)
    ax[1].loglog(rep.width, np.maximum(rep.final_loss, np.finfo(float).tiny), "o", alpha=0.7,
                 label="final MSE")
    ax[1].set_xlabel("base width $n$"); ax[1].set_ylabel("final training MSE")
    steps = ax[1].twinx()
    steps.semilogx(rep.width, rep.nit, "s", color="C1", mfc="none", alpha=0.7, label="GD steps")
    steps.set_ylabel("gradient-descent steps"); steps.set_xlabel("base width $n$")
    widths = np.unique(rep.width)
    for a in ax:                                     # the widths themselves as ticks, no crowded minor labels
        a.set_xticks(widths, [str(w) for w in widths])
        a.xaxis.set_minor_formatter(NullFormatter())
    h0, l0 = ax[1].get_legend_handles_labels()
    h1, l1 = steps.get_legend_handles_labels()
    ax[1].legend(h0 + h1, l0 + l1, fontsize=7)
    return fig


def natural_cubic_figure(rep):
    r"""Relative sup deviation of the weighted spline from SciPy's natural cubic spline, per constant-:math:`\zeta`
    family, on a log axis with the tolerance ``TOL_NATURAL_CUBIC`` and machine epsilon.

    The paper draws no figure of this; this figure shows the check that for constant :math:`\zeta` the
    minimizer of :math:`\int g''^2/\zeta` is the natural cubic spline (two solvers, agreement to round-off).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.jin2023 import natural_cubic
    >>> from ibtheory.papers.jin2023.figures_checks import natural_cubic_figure
    >>> len(natural_cubic_figure(natural_cubic("smoke")).axes)
    1

    See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
    """
    import matplotlib.pyplot as plt

    from .spline_checks import NaturalCubicReport

    _check_report(rep, NaturalCubicReport)
    fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
    pos = np.arange(rep.family.size)
    # a deviation of exactly 0 (identical round-off) is drawn at the bottom of the axis, not dropped
    ax.semilogy(pos, np.maximum(rep.rel_deviation, _EPS / 100), "o", ms=8, label="measured")
    ax.axhline(TOL_NATURAL_CUBIC, color="k", ls="--", label="tolerance TOL_NATURAL_CUBIC")
    ax.axhline(_EPS, color="0.5", ls=":", label=r"machine $\varepsilon$")
    ax.set_xticks(pos, rep.family.tolist())
    ax.set_xlim(-0.5, rep.family.size - 0.5)
    ax.set_xlabel(rf"$\zeta$ family ({rep.n_knots} knots)")
    ax.set_ylabel(r"$\sup|g_\zeta-{\rm CubicSpline}|\,/\,\sup|{\rm CubicSpline}|$")
    ax.legend(fontsize=7)
    return fig


def gaussian_grid_figure(rep):
    r"""Relative sup error of the grid solutions of :math:`\min\int g''^2/\zeta` (Gaussian :math:`\zeta`) against
    the grid step :math:`h` (log-log), with the :math:`h^2` slope through the coarse grid, the Richardson
    extrapolation :math:`(4g_{h/2}-g_h)/3` with an :math:`h^4` slope through it, and the tolerance
    ``TOL_GAUSSIAN_GRID``.

    The paper draws no figure of this; this figure shows the check of the weighted spline against an
    independent CVXPY discretization: second-order convergence, and the extrapolated error.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.jin2023 import gaussian_grid
    >>> from ibtheory.papers.jin2023.figures_checks import gaussian_grid_figure
    >>> len(gaussian_grid_figure(gaussian_grid("smoke")).axes)
    1

    See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
    """
    import matplotlib.pyplot as plt

    from .spline_checks import GaussianGridReport

    _check_report(rep, GaussianGridReport)
    h = 4.0 / (rep.n_coarse - 1)                     # the grids are uniform on [-2, 2]
    hh = np.array([h, h / 2])
    fig, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    ax.loglog(hh, [rep.error_coarse, rep.error_fine], "o-", ms=7, label="grid solution (CVXPY)")
    guide = np.array([2 * h, h / 4])
    ax.loglog(guide, rep.error_coarse * (guide / h) ** 2, "k:", label=r"$\propto h^2$")
    ax.loglog([h / 2], [rep.error_richardson], "D", ms=8, color="C2", label=r"Richardson $(4g_{h/2}-g_h)/3$")
    ax.loglog(guide, rep.error_richardson * (guide / (h / 2)) ** 4, ":", color="C2", label=r"$\propto h^4$")
    ax.axhline(TOL_GAUSSIAN_GRID, color="k", ls="--", label="tolerance TOL_GAUSSIAN_GRID")
    ax.set_xlabel("grid step $h$")
    ax.set_ylabel(r"$\sup|g_{\rm grid}-g^*|\,/\max|y|$")
    ax.legend(fontsize=7)
    return fig
