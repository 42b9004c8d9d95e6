r"""Figures of the Varre et al. (2023) experiments: each takes a report and returns a Figure.

They are registered as the ``figure`` of their experiment, e.g.
``vr.rank_vs_gamma.figure(report)``.

See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
"""
from __future__ import annotations

import numpy as np

from .._figures import ZERO_FLOOR, check_report

__all__ = ["trajectories_figure", "limit_figure", "reference_flow_figure", "neuron_figure", "rank_figure",
           "label_noise_figure", "relu_figure"]



def _check_report(report, cls, name="report"):
    """:func:`ibtheory.papers._figures.check_report` with this module's parameter name."""
    return check_report(report, cls, name)


def _plt():
    import matplotlib.pyplot as plt

    return plt


def trajectories_figure(report):
    """Singular values of W1(t) of the first seed, one panel per gamma, widths d (thick) and the others (dotted)."""
    from .experiments import TrajectoryReport

    _check_report(report, TrajectoryReport)
    plt = _plt()
    first = report.seed == report.seed[0]
    gammas = sorted(set(report.gamma[first].tolist()))
    fig, axes = plt.subplots(1, len(gammas), figsize=(3.4 * len(gammas), 3.6), sharey=True, squeeze=False)
    wmin = report.width[first].min()
    for ax, g in zip(axes[0], gammas):
        for i in np.flatnonzero(first & (report.gamma == g)):
            thick = report.width[i] == wmin
            for j in range(report.svals.shape[2]):
                ax.semilogy(report.t, report.svals[i, :, j], "-" if thick else ":",
                            color=f"C{j}" if thick else "k", lw=2.5 if thick else 1, alpha=0.6 if thick else 1,
                            label=(f"flow, l = {report.width[i]}" if j == 0 else None))
        ax.set_xscale("symlog", linthresh=0.1)
        ax.set(xlabel="time t (linear below 0.1, log above)", title=rf"$\gamma$ = {g:g}")
    axes[0, 0].set_ylabel(r"singular values $\sigma_i(W_1(t))$")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def neuron_figure(report):
    """The neurons (columns of W1_inf, scaled by the longest) of the first seed at each gamma, with beta_inf."""
    from .experiments import NeuronReport

    _check_report(report, NeuronReport)
    plt = _plt()
    first = np.flatnonzero(report.seed == report.seed[0])
    fig, axes = plt.subplots(1, first.size, figsize=(4.5 * first.size, 4.3), squeeze=False)
    for ax, i in zip(axes[0], first):
        W = report.W1[i]
        Wn = W / np.max(np.linalg.norm(W, axis=0))
        for j in range(W.shape[1]):
            ax.annotate("", xy=Wn[:, j], xytext=(0, 0), arrowprops=dict(arrowstyle="->", color="C0", lw=1.2))
        u = report.beta[i] / np.linalg.norm(report.beta[i])
        ax.plot([-1.1 * u[0], 1.1 * u[0]], [-1.1 * u[1], 1.1 * u[1]], "k--", lw=1, label=r"direction of $\beta_\infty$")
        ax.set(xlim=(-1.15, 1.15), ylim=(-1.15, 1.15), aspect="equal", xlabel="first input coordinate",
               ylabel="second input coordinate",
               title=rf"$\gamma$ = {report.gamma[i]:g}: share along $\beta$ {report.share[i]:.3f}")
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def rank_figure(report):
    """Left: the whole spectrum of W1_inf vs gamma (first seed), flow and corollary; right: share outside the top k with its bound."""
    from .experiments import RankReport

    _check_report(report, RankReport)
    plt = _plt()
    first = report.seed == report.seed[0]
    g = report.gamma[first]
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
    for j in range(report.sv_flow.shape[1]):
        ax[0].loglog(g, report.sv_closed[first, j], "-", color=f"C{j}", label="corollary" if j == 0 else None)
        ax[0].loglog(g, report.sv_flow[first, j], "o", color=f"C{j}", ms=4, label="gradient flow" if j == 0 else None)
    ax[0].set(xlabel=r"initialization scale $\gamma$", ylabel=r"$\sigma_i(W_1^\infty)$")
    for s in np.unique(report.seed):
        m = report.seed == s
        ax[1].loglog(report.gamma[m], report.outside_flow[m], "o-", ms=3, label=f"flow, seed {s}")
        ax[1].loglog(report.gamma[m], np.minimum(report.outside_bound[m], 1.0), ":", color="k",
                     label="bound" if s == report.seed[0] else None)
    ax[1].set(xlabel=r"initialization scale $\gamma$", ylabel=rf"share of $\|W_1^\infty\|_F^2$ outside top {report.k}")
    for a in ax:
        a.legend(fontsize=8)
    fig.tight_layout()
    return fig


def label_noise_figure(report):
    """Effective rank of W1 along LNGD for each sigma: mean over seeds and min-max band (finished runs)."""
    from .experiments_noise import LabelNoiseReport

    _check_report(report, LabelNoiseReport)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for i, s in enumerate(np.unique(report.sigma)):
        m = (report.sigma == s) & (report.outcome == "success")
        er = report.effective_rank[m]
        ax.plot(report.t, er.mean(0), color=f"C{i}", label=rf"$\sigma$ = {s:g}")
        ax.fill_between(report.t, er.min(0), er.max(0), color=f"C{i}", alpha=0.2)
    ax.set(xlabel="time t", ylabel=r"effective rank of $W_1$")
    ax.legend(title=f"label noise ({np.unique(report.seed).size} seeds)", fontsize=8)
    fig.tight_layout()
    return fig


def relu_figure(report):
    """Singular values along training (first seed, smallest and largest scale); top-2 share and angles vs scale."""
    from .experiments_noise import ReLUReport

    _check_report(report, ReLUReport)
    plt = _plt()
    fig, ax = plt.subplots(1, 4, figsize=(16, 3.6))
    first = np.flatnonzero(report.seed == report.seed[0])
    for a, i in zip(ax[:2], (first[np.argmin(report.scale[first])], first[np.argmax(report.scale[first])])):
        for j in range(report.svals.shape[2]):
            a.semilogy(report.steps, report.svals[i, :, j], color=f"C{j}", label=rf"$\sigma_{j + 1}$")
        a.set(xlabel="GD step", ylabel="singular values of the first layer",
              title=rf"std {report.scale[i]:g} (seed {report.seed[i]})")
    ax[0].legend(fontsize=7, ncol=2)
    ok = report.outcome == "success"
    scales = np.unique(report.scale)
    for a, field, label in ((ax[2], "top2", "top-2 share of $\\|W_1\\|_F^2$"),
                            (ax[3], "subspace_angle", "angle to span(u, v), degrees")):
        vals = [getattr(report, field)[ok & (report.scale == s)] for s in scales]
        a.semilogx(scales, [v.mean() for v in vals], "o-", color="C0", label="mean" if field == "top2" else "top-2 subspace")
        a.fill_between(scales, [v.min() for v in vals], [v.max() for v in vals], color="C0", alpha=0.2)
        a.set(xlabel="initialization std", ylabel=label)
    dom = [report.dominant_angle[ok & (report.scale == s)] for s in scales]
    ax[3].semilogx(scales, [v.mean() for v in dom], "s-", color="C1", label="dominant neurons")
    ax[3].fill_between(scales, [v.min() for v in dom], [v.max() for v in dom], color="C1", alpha=0.2)
    ax[3].legend(fontsize=8)
    fig.tight_layout()
    return fig


#: the route discrepancies of :class:`~.experiments.LimitReport` drawn by :func:`limit_figure`
_LIMIT_ROUTES = (("beta_flow_pinv", r"$\beta$: flow vs $X^+Y$"),
                 ("gram_flow_closed", r"$W_1W_1^\top$: flow vs closed form"),
                 ("gram_flow_solver", r"$W_1W_1^\top$: flow vs solver"),
                 ("gram_solver_closed", r"$W_1W_1^\top$: solver vs closed form"),
                 ("objective_flow_solver", "log-det objective: flow vs solver"),
                 ("sv_flow_closed", r"$\sigma_i(W_1)$: flow vs corollary (abs.)"),
                 ("sv_flow_printed", r"$\sigma_i(W_1)$: flow vs printed corollary (abs.)"))


def limit_figure(report):
    r"""Theorem 1(b) and the corollary by three routes, from a :class:`~.experiments.LimitReport`.

    The paper draws no figure of this (its singular-value figure is the trajectory one, drawn by
    :func:`trajectories_figure`); this figure shows what the claims compare. Left: against
    :math:`\gamma`, the worst over seeds and instances of each discrepancy between the flow's limit,
    the solver :func:`ibtheory.solvers.logdet_factorization` and the closed form (relative), and of the
    singular values of :math:`W_1^\infty` against the corrected corollary and against the printed one
    (absolute), log-log (exact zeros drawn at :data:`ZERO_FLOOR`); the title gives the largest final
    loss. Right: every singular value of :math:`W_1^\infty` from the flow against the corollary's
    :math:`\big(\gamma + \sqrt{\gamma^2+\sigma_i(\beta_\infty)^2}\big)^{1/2}` (dots, on the diagonal)
    and against the slides' :math:`\big(\gamma + \sqrt{\gamma^2+\sigma_i(\beta_\infty)}\big)^{1/2}` (crosses).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.varre2023 import limit
    >>> from ibtheory.papers.varre2023.figures import limit_figure
    >>> len(limit_figure(limit("smoke")).axes)
    2

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    from .experiments import LimitReport

    _check_report(report, LimitReport)
    plt = _plt()
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    by_gamma = report.worst_by_gamma()
    gammas = by_gamma.index.to_numpy()
    for j, (field, label) in enumerate(_LIMIT_ROUTES):
        worst = by_gamma[field].to_numpy()
        style = dict(color="k", ls="--", marker="x") if field == "sv_flow_printed" else dict(marker="o", ms=4)
        ax[0].loglog(gammas, np.maximum(worst, ZERO_FLOOR), label=label, **style)
    ax[0].set(xlabel=r"initialization scale $\gamma$", ylabel="discrepancy (worst over runs)",
              title=f"{report.seed.size} runs, largest final loss {np.max(report.final_loss):.1e}")
    ax[0].title.set_fontsize(9)
    # outside the axes: the route curves span the whole panel at every gamma
    ax[0].legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    ok = np.isfinite(report.singular_values)
    flow = report.singular_values[ok]
    ax[1].loglog(report.sv_closed[ok], flow, "o", ms=4, label="corollary (corrected)")
    ax[1].loglog(report.sv_printed[ok], flow, "kx", ms=5, label="corollary as printed on the slides")
    lo, hi = np.min(flow), np.max(flow)
    ax[1].loglog([lo, hi], [lo, hi], color="0.5", lw=1, label="equality")
    ax[1].set(xlabel=r"predicted $\sigma_i(W_1^\infty)$", ylabel=r"$\sigma_i(W_1^\infty)$ of the gradient flow")
    for axis in (ax[1].xaxis, ax[1].yaxis):     # minor-tick labels collide on a narrow log range
        axis.set_minor_formatter(plt.NullFormatter())
    ax[1].legend(fontsize=8)
    return fig


def reference_flow_figure(report):
    r"""The engine-free flow against the log-det solver, from a :class:`~.experiments.ReferenceFlowReport`.

    The paper draws no figure of this; this figure shows what the claim checks. Per run, against the
    time :math:`t` at which the SciPy flow of :func:`ibtheory.reference.varre2023.two_layer_flow` reached
    its stopping residual: the largest absolute error of :math:`W_1W_1^\top` and of :math:`W_1W_2`
    against :func:`ibtheory.solvers.logdet_factorization`, and the final residual
    :math:`\|Y-XW_1W_2\|_F`, log-log (exact zeros drawn at :data:`ZERO_FLOOR`). Slow instances (large
    :math:`t`) amplify the stopping residual; runs that did not reach it are counted in the title.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.varre2023 import reference_flow
    >>> from ibtheory.papers.varre2023.figures import reference_flow_figure
    >>> len(reference_flow_figure(reference_flow("smoke")).axes)
    1

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    from .experiments import ReferenceFlowReport

    _check_report(report, ReferenceFlowReport)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    ok = report.outcome == "success"
    t = report.t_final[ok]
    for field, mk, label in (("gram_error", "o", r"$\max|W_1W_1^\top - A_{\rm solver}|$"),
                             ("beta_error", "s", r"$\max|W_1W_2 - \beta_{\rm solver}|$"),
                             ("final_residual", "k_", r"final residual $\|Y - XW_1W_2\|_F$")):
        ax.loglog(t, np.maximum(getattr(report, field)[ok], ZERO_FLOOR), mk, ms=7, label=label)
    ax.set(xlabel="time $t$ at which the reference flow stopped", ylabel="absolute error",
           title=f"{int(ok.sum())} of {ok.size} runs reached the stopping residual")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=8)
    return fig
