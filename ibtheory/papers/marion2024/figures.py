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
    import matplotlib.pyplot as plt

    from .experiments import SharpnessDepthReport

    _check_report(rep, SharpnessDepthReport)
    fig, axs = plt.subplots(1, 2, figsize=(11, 3.8))
    seed0 = rep.seed == rep.seed.min()
    for sp, c in zip(sorted(set(rep.spread.tolist())), plt.cm.viridis(np.linspace(0, 0.85, 5))):
        m = seed0 & (rep.spread == sp)
        axs[0].plot(rep.depth[m], rep.infimum[m] / rep.printed[m], "o-", ms=3, color=c, label=f"spread {sp:g}")
        axs[0].fill_between(rep.depth[m], rep.envelope_lo[m], rep.envelope_hi[m], color=c, alpha=0.15)
        for s in sorted(set(rep.seed.tolist())):
            mm = (rep.seed == s) & (rep.spread == sp)
            axs[1].plot(rep.depth[mm], rep.overstatement[mm], "o-", ms=2, color=c,
                        label=f"spread {sp:g}" if s == rep.seed.min() else None)
    axs[0].axhline(1, color="k", lw=0.8)
    axs[0].set_xscale("log")
    axs[0].set_xlabel("depth $L$")
    axs[0].set_ylabel(r"$\inf S/(2La\|\pi^\star\|^2)$")
    axs[0].legend(fontsize=7)
    axs[1].set_xscale("log")
    axs[1].set_xlabel("depth $L$")
    axs[1].set_ylabel(r"$\inf S/(2La\|\pi^\star\|^{2-2/L})$")
    axs[1].legend(fontsize=7)
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
    import matplotlib.pyplot as plt

    from .experiments import OUTCOMES
    from .experiments_gd import EdgeOfStabilityReport

    _check_report(rep, EdgeOfStabilityReport)

    fig, ax = plt.subplots(figsize=(7, 3.8))
    facs = np.unique(rep.lr_factor)
    bottom = np.zeros(facs.size)
    for o in OUTCOMES:
        frac = np.array([np.mean(rep.outcome[rep.lr_factor == f] == o) for f in facs])
        ax.bar(np.arange(facs.size), frac, bottom=bottom, color=_COLORS[o], label=o)
        bottom += frac
    ax.set_xticks(np.arange(facs.size), [f"{f:g}" for f in facs])
    ax.axvline(np.searchsorted(facs, 1.0) - 0.5, color="k", ls="--")
    ax.set_xlabel(r"step size $\eta/\eta_c$, $\eta_c = 2/\inf S$")
    ax.set_ylabel("fraction of runs")
    ax.legend(fontsize=7, loc="upper right")
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
    import matplotlib.pyplot as plt

    from .experiments_gd import EdgeOfStabilityReport

    _check_report(rep, EdgeOfStabilityReport)
    fig, axs = plt.subplots(1, 2, figsize=(11, 3.8))
    depths = sorted(set(rep.depth.tolist()))
    for L, c in zip(depths, plt.cm.plasma(np.linspace(0, 0.85, len(depths)))):
        m = rep.depth == L
        lrs = np.unique(rep.lr[m])
        dist = [np.mean(x[np.isfinite(x)]) if np.isfinite(x).any() else np.nan
                for x in (rep.distance[m & (rep.lr == v)] for v in lrs)]
        conv = [np.mean(rep.outcome[m & (rep.lr == v)] == "converged") for v in lrs]
        axs[0].plot(lrs, dist, "o-", ms=3, color=c, label=f"L={L}")
        axs[1].plot(lrs, conv, "o-", ms=3, color=c, label=f"L={L}")
        for ax in axs:
            ax.axvline(rep.eta_c[m][0], color=c, ls="--", lw=0.8)
    for ax in axs:
        ax.set_xscale("log")
        ax.set_xlabel(r"step size $\eta$")
        ax.legend(fontsize=7)
    axs[0].set_yscale("log")
    axs[0].set_ylabel(r"mean $(\beta-\pi^\star)^2$ (runs that did not diverge)")
    axs[1].set_ylabel("fraction converged")
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
    import matplotlib.pyplot as plt

    from .experiments_gd import SweepReport

    _check_report(rep, SweepReport)
    fig, axs = plt.subplots(1, 2, figsize=(11, 3.8))
    lrs, scales = np.unique(rep.lr), np.unique(rep.scale)
    for lr, c in zip(lrs, plt.cm.plasma(np.linspace(0, 0.85, lrs.size))):
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
    axs[0].set_yscale("log")
    axs[0].set_xlabel("initialization scale")
    axs[0].set_ylabel("sharpness after training (median, converged)")
    axs[0].legend(fontsize=7)
    axs[1].set_xlabel("initialization scale")
    axs[1].set_ylabel("fraction converged")
    axs[1].legend(fontsize=7)
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
    import matplotlib.pyplot as plt

    from .experiments_flow import SmallInitFlowReport

    _check_report(rep, SmallInitFlowReport)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for i, (t, mu) in enumerate(zip(rep.times, rep.mus)):
        m = t >= 1
        label = f"L={rep.depth[i]}, |pi*|={rep.pi_norm[i]:.2g}" if rep.seed[i] == rep.seed[0] else None
        line, = ax.plot(t[m], mu[m], lw=1, label=label)
        ax.axhline(rep.pl_bound[i], color=line.get_color(), ls=":", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("time $t$ (gradient flow)")
    ax.set_ylabel(r"$\mu(t)=\|\nabla R\|^2/(R-R_{\min})$")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig
