"""Figures of the Marion & Chizat (2024) experiments (``figure(report) -> matplotlib Figure``).

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``).
"""
from __future__ import annotations

import numpy as np

from .._figures import ZERO_FLOOR, check_report

__all__ = ["figure_sharpness_vs_depth", "figure_outcomes", "figure_lr_vs_depth", "figure_sweep", "figure_flow",
           "figure_landscape", "figure_deep_flow"]


_COLORS = {"converged": "tab:green", "period_2": "tab:blue", "diverged": "tab:red",
           "still_descending": "tab:orange", "other": "tab:gray"}


def _check_report(report, cls, name="rep"):
    """:func:`ibtheory.papers._figures.check_report` with this module's parameter name."""
    return check_report(report, cls, name)


def new_figure(rep, cls, ncols=1):
    """Check that ``rep`` is a ``cls`` and open a figure of ``ncols`` panels (the shared scaffolding)."""
    import matplotlib.pyplot as plt

    _check_report(rep, cls)
    fig, axs = plt.subplots(1, ncols, figsize=(11, 3.8) if ncols > 1 else (7, 3.8))
    return fig, axs


def style(ax, xlabel, ylabel, *, xlog=False, ylog=False, legend=True, **legend_kw):
    """Axis labels, log scales and a small legend of one panel."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if xlog:
        ax.set_xscale("log")
    if ylog:
        ax.set_yscale("log")
    if legend:
        ax.legend(fontsize=7, **legend_kw)


def palette(n, top=0.85, cmap="plasma"):
    """``n`` colours of a matplotlib colormap, from 0 to ``top``."""
    import matplotlib.pyplot as plt

    return getattr(plt.cm, cmap)(np.linspace(0, top, n))


def figure_sharpness_vs_depth(rep):
    """inf S / (2La|pi*|^2) against depth with its envelope, and the overstatement of eta_c by the lower bound.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.marion2024 import sharpness_vs_depth
    >>> from ibtheory.papers.marion2024.figures import figure_sharpness_vs_depth
    >>> fig = figure_sharpness_vs_depth(sharpness_vs_depth("smoke"))
    >>> len(fig.axes) >= 1
    True
    """
    from .experiments import SharpnessDepthReport

    fig, axs = new_figure(rep, SharpnessDepthReport, 2)
    seed0 = rep.seed == rep.seed.min()
    for sp, c in zip(sorted(set(rep.spread.tolist())), palette(5, cmap="viridis")):
        m = seed0 & (rep.spread == sp)
        axs[0].plot(rep.depth[m], rep.infimum[m] / rep.printed[m], "o-", ms=3, color=c, label=f"spread {sp:g}")
        axs[0].fill_between(rep.depth[m], rep.envelope_lo[m], rep.envelope_hi[m], color=c, alpha=0.15)
        for s in sorted(set(rep.seed.tolist())):
            mm = (rep.seed == s) & (rep.spread == sp)
            axs[1].plot(rep.depth[mm], rep.overstatement[mm], "o-", ms=2, color=c,
                        label=f"spread {sp:g}" if s == rep.seed.min() else None)
    axs[0].axhline(1, color="k", lw=0.8)
    style(axs[0], "depth $L$", r"$\inf S/(2La\|\pi^\star\|^2)$", xlog=True)
    style(axs[1], "depth $L$", r"$\inf S/(2La\|\pi^\star\|^{2-2/L})$", xlog=True)
    fig.tight_layout()
    return fig


def figure_outcomes(rep):
    """Fraction of each outcome against lr / eta_c (all data kinds and depths pooled).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.marion2024 import edge_of_stability
    >>> from ibtheory.papers.marion2024.figures import figure_outcomes
    >>> fig = figure_outcomes(edge_of_stability("smoke"))
    >>> len(fig.axes) >= 1
    True
    """
    from .experiments import OUTCOMES
    from .experiments_gd import EdgeOfStabilityReport

    fig, ax = new_figure(rep, EdgeOfStabilityReport)
    facs = np.unique(rep.lr_factor)
    bottom = np.zeros(facs.size)
    for o in OUTCOMES:
        frac = np.array([np.mean(rep.outcome[rep.lr_factor == f] == o) for f in facs])
        ax.bar(np.arange(facs.size), frac, bottom=bottom, color=_COLORS[o], label=o)
        bottom += frac
    ax.set_xticks(np.arange(facs.size), [f"{f:g}" for f in facs])
    ax.axvline(np.searchsorted(facs, 1.0) - 0.5, color="k", ls="--")
    style(ax, r"step size $\eta/\eta_c$, $\eta_c = 2/\inf S$", "fraction of runs", loc="upper right")
    fig.tight_layout()
    return fig


def figure_lr_vs_depth(rep):
    """The authors' figure: squared distance to pi* after training against the step size, per depth.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.marion2024 import lr_vs_depth
    >>> from ibtheory.papers.marion2024.figures import figure_lr_vs_depth
    >>> fig = figure_lr_vs_depth(lr_vs_depth("smoke"))
    >>> len(fig.axes) >= 1
    True
    """
    from .experiments_gd import EdgeOfStabilityReport

    fig, axs = new_figure(rep, EdgeOfStabilityReport, 2)
    depths = sorted(set(rep.depth.tolist()))
    for L, c in zip(depths, palette(len(depths))):
        m = rep.depth == L
        lrs = np.unique(rep.lr[m])
        dist = [np.mean(x[np.isfinite(x)]) if np.isfinite(x).any() else np.nan
                for x in (rep.distance[m & (rep.lr == v)] for v in lrs)]
        conv = [np.mean(rep.outcome[m & (rep.lr == v)] == "converged") for v in lrs]
        axs[0].plot(lrs, dist, "o-", ms=3, color=c, label=f"L={L}")
        axs[1].plot(lrs, conv, "o-", ms=3, color=c, label=f"L={L}")
        for ax in axs:
            ax.axvline(rep.eta_c[m][0], color=c, ls="--", lw=0.8)
    style(axs[0], r"step size $\eta$", r"mean $(\beta-\pi^\star)^2$ (runs that did not diverge)", xlog=True,
          ylog=True)
    style(axs[1], r"step size $\eta$", "fraction converged", xlog=True)
    fig.tight_layout()
    return fig


def figure_sweep(rep):
    """Sharpness after training (median over converged runs) and outcome fractions against the init scale.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.marion2024 import sharpness_vs_scale
    >>> from ibtheory.papers.marion2024.figures import figure_sweep
    >>> fig = figure_sweep(sharpness_vs_scale("smoke"))
    >>> len(fig.axes) >= 1
    True
    """
    from .experiments_gd import SweepReport

    fig, axs = new_figure(rep, SweepReport, 2)
    lrs, scales = np.unique(rep.lr), np.unique(rep.scale)
    for lr, c in zip(lrs, palette(lrs.size)):
        sel = rep.lr == lr
        conv = sel & (rep.outcome == "converged")
        med = [np.median(rep.sharpness[conv & (rep.scale == s)]) if np.any(conv & (rep.scale == s)) else np.nan
               for s in scales]
        axs[0].plot(scales, med, "o-", ms=3, color=c, label=f"lr={lr:g}")
        axs[0].axhline(2 / lr, color=c, ls="--", lw=0.8)
        axs[1].plot(scales, [np.mean(rep.outcome[sel & (rep.scale == s)] == "converged") for s in scales], "o-",
                    ms=3, color=c, label=f"lr={lr:g}")
    axs[0].axhline(rep.s_inf[0], color="k", ls=":", label=r"$\inf S$")
    if rep.init == "gaussian":
        axs[0].axhline(rep.s_upper, color="k", ls="-.", label=r"$8L\Lambda$")
    style(axs[0], "initialization scale", "sharpness after training (median, converged)", ylog=True)
    style(axs[1], "initialization scale", "fraction converged")
    fig.tight_layout()
    return fig


def figure_flow(rep):
    """The PL ratio mu(t) along the flows (t >= 1), with the bound at the limit (dotted).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.marion2024 import small_init_flow
    >>> from ibtheory.papers.marion2024.figures import figure_flow
    >>> fig = figure_flow(small_init_flow("smoke"))
    >>> len(fig.axes) >= 1
    True
    """
    from .experiments_flow import SmallInitFlowReport

    fig, ax = new_figure(rep, SmallInitFlowReport)
    for i, (t, mu) in enumerate(zip(rep.times, rep.mus)):
        m = t >= 1
        label = f"L={rep.depth[i]}, |pi*|={rep.pi_norm[i]:.2g}" if rep.seed[i] == rep.seed[0] else None
        line, = ax.plot(t[m], mu[m], lw=1, label=label)
        ax.axhline(rep.pl_bound[i], color=line.get_color(), ls=":", lw=0.8)
    style(ax, "time $t$ (gradient flow)", r"$\mu(t)=\|\nabla R\|^2/(R-R_{\min})$", xlog=True, ylog=True, ncol=2)
    fig.tight_layout()
    return fig


def figure_landscape(rep):
    r"""The infimum of the sharpness over minimizers two ways, per instance of ``sharpness_landscape``.

    The paper draws no figure of this (the slides state the theorem on :math:`\inf S`); this figure
    shows what the claims compare. Left: per (seed, network), the brute-force minimum of the dense
    Hessian's top eigenvalue over all minimizers, the certified lower end, the lower bound
    :math:`2La\|\pi^\star\|^{2-2/L}` and the balanced minimizer's sharpness, each divided by the certified
    :math:`\inf S`. Right: the relative gap brute force vs certified infimum and the relative error of the
    closed-form minimizer sharpness against the dense Hessian, on a log axis with their tolerances
    (:data:`.tolerances.INFIMUM`, :data:`.tolerances.HESSIAN`; exact zeros drawn at :data:`ZERO_FLOOR`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.marion2024 import sharpness_landscape
    >>> from ibtheory.papers.marion2024.figures import figure_landscape
    >>> len(figure_landscape(sharpness_landscape("smoke")).axes)
    2

    See the book chapter *Deep linear networks are implicitly regularized towards flat minima*
    (``book/marion2024.md``).
    """
    import matplotlib.pyplot as plt

    from . import tolerances as tol
    from .experiments import SharpnessLandscapeReport

    _check_report(rep, SharpnessLandscapeReport)
    order = np.lexsort((rep.widths, rep.seed))
    x = np.arange(order.size)
    labels = [f"seed {s}\n{w}" for s, w in zip(rep.seed[order], rep.widths[order])]
    fig, axs = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    inf = rep.infimum[order]
    for field, fmt, kw, lab in (("balanced", "^", {}, "balanced minimizer"),
                                ("brute_force", "o", dict(ms=10, mfc="none"), "brute force over all minimizers"),
                                ("certified_lower", "k_", dict(ms=16, mew=1.5), r"certified lower end of $\inf S$"),
                                ("lower_bound", "v", {}, r"lower bound $2La\|\pi^\star\|^{2-2/L}$")):
        axs[0].plot(x, getattr(rep, field)[order] / inf, fmt, label=lab, **kw)
    axs[0].axhline(1, color="k", lw=0.8)
    axs[0].set_xticks(x, labels)
    style(axs[0], "instance (seed, widths)", r"sharpness / certified $\inf S$")
    gap = np.abs(rep.brute_force - rep.infimum) / rep.infimum
    axs[1].semilogy(x, np.maximum(gap[order], ZERO_FLOOR), "o", label=r"|brute force $-\inf S$| / $\inf S$")
    axs[1].semilogy(x, np.maximum(rep.hessian_error[order], ZERO_FLOOR), "s",
                    label="closed-form minimizer sharpness vs dense Hessian")
    axs[1].axhline(tol.INFIMUM, color="C0", ls="--", lw=1, label="tolerance INFIMUM")
    axs[1].axhline(tol.HESSIAN, color="C1", ls=":", lw=1, label="tolerance HESSIAN")
    axs[1].set_xticks(x, labels)
    style(axs[1], "instance (seed, widths)", "relative discrepancy")
    return fig


def figure_deep_flow(rep):
    r"""The corollary at depths up to 10, from a ``deep_small_init_flow`` report.

    The slides show *Gradient flow from a small-scale initialization* only as section titles, with no
    axes to follow, so this is not the paper's figure; it shows what the claim checks, against depth
    :math:`L`, one marker per seed. Left: the time to escape the saddle at 0 (excess risk halved) with
    the order :math:`s^{2-L}` of the init scale :math:`s` (dashed). Middle: the sharpness of the limit
    over :math:`\inf S`, between 1 and the corollary's :math:`4\Lambda/\lambda` (dashed). Right: each
    property of the corollary as a ratio that the theorem keeps at or below 1 (rank-one defect over
    :math:`\varepsilon_0`, misalignment over its bound, the singular values' distance to their interval,
    the PL bound over the PL ratio at the limit and over the fitted decay rate) and the conservation drift
    over :data:`.tolerances.CONSERVATION`, on a log axis (exact zeros drawn at :data:`ZERO_FLOOR`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.marion2024 import deep_small_init_flow
    >>> from ibtheory.papers.marion2024.figures import figure_deep_flow
    >>> len(figure_deep_flow(deep_small_init_flow("smoke")).axes)
    3

    See the book chapter *Deep linear networks are implicitly regularized towards flat minima*
    (``book/marion2024.md``).
    """
    import matplotlib.pyplot as plt

    from . import tolerances as tol
    from .experiments_deep import DeepFlowReport

    _check_report(rep, DeepFlowReport)
    fig, axs = plt.subplots(1, 3, figsize=(16, 4), layout="constrained")
    seeds = np.unique(rep.seed)
    depths = np.unique(rep.depth)
    for i, s in enumerate(seeds):
        m = rep.seed == s
        o = np.argsort(rep.depth[m])
        L = rep.depth[m][o]
        axs[0].semilogy(L, rep.t_escape[m][o], "o-", color=f"C{i}", ms=4, label=f"seed {s}")
        axs[1].semilogy(L, rep.sharpness[m][o] / rep.s_inf[m][o], "o-", color=f"C{i}", ms=4, label=f"seed {s}")
        axs[1].semilogy(L, rep.ratio_hi[m][o], "--", color=f"C{i}", lw=1,
                        label=r"corollary's upper end $4\Lambda/\lambda$ (dashed, per seed)" if i == 0 else None)
    scale = rep.target_hypothesis / (32 * depths * rep.d)
    axs[0].semilogy(depths, scale ** (2.0 - depths), "k--", lw=1, label=r"$s^{2-L}$ (order of the escape time)")
    axs[1].axhline(1, color="k", lw=0.8)
    ratios = ((rep.defect / rep.eps_init, "o", r"rank-one defect / $\varepsilon_0$"),
              ((1 - rep.align_min) / (1 - rep.align_bound), "s", "misalignment / its bound"),
              (np.maximum(rep.sigma_max / rep.sigma_hi, rep.sigma_lo / rep.sigma_min), "D",
               r"$\max(\sigma_{\max}/\sigma_{hi}, \sigma_{lo}/\sigma_{\min})$"),
              (rep.pl_bound / rep.mu_end, "^", r"PL bound / $\mu$ at the limit"),
              (rep.pl_bound / rep.decay_rate, "v", "PL bound / fitted decay rate"),
              (rep.drift / tol.CONSERVATION, "x", "conservation drift / tolerance"))
    for j, (v, mk, lab) in enumerate(ratios):
        axs[2].semilogy(rep.depth + 0.08 * (j - 2.5), np.maximum(v, ZERO_FLOOR), mk, color=f"C{j}", label=lab)
    axs[2].axhline(1, color="k", lw=1, label="theorem's bound (1)")
    style(axs[0], "depth $L$", "escape time $t$ (excess risk halved)")
    style(axs[1], "depth $L$", r"sharpness of the limit / $\inf S$")
    style(axs[2], "depth $L$", r"ratio (required $\leq 1$)", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    for ax in axs:
        ax.set_xticks(depths)
    return fig
