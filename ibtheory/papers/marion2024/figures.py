"""Figures of the Marion & Chizat (2024) experiments (``figure(report) -> matplotlib Figure``).

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``).
"""
from __future__ import annotations

import numpy as np

__all__ = ["figure_sharpness_vs_depth", "figure_outcomes", "figure_lr_vs_depth", "figure_sweep", "figure_flow"]

_COLORS = {"converged": "tab:green", "period_2": "tab:blue", "diverged": "tab:red",
           "still_descending": "tab:orange", "other": "tab:gray"}


def _check_report(report, cls, name="rep"):
    """Return ``report``, or raise ``TypeError`` naming ``name`` unless it is a ``cls`` (the report drawn)."""
    if not isinstance(report, cls):
        raise TypeError(f"{name} must be a {cls.__name__} (the report of the experiment this figure draws), "
                        f"got {type(report).__name__}")
    return report


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
