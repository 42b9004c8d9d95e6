"""The figures of Min et al. (2021)'s experiments, each drawn from the experiment's report.

See the book chapter *On the explicit role of initialization* (``book/min2021.md``).
"""
from __future__ import annotations

import numpy as np

from .._figures import ZERO_FLOOR, check_report

from .closed_forms import distance_exponent

__all__ = ["width_sweep_figure", "conservation_figure", "imbalance_probability_figure", "rate_figure",
           "reduction_figure", "invariant_set_figure"]

_LABELS = {"VU1": r"$\|VU_1^\top\|_F$", "VU2": r"$\|VU_2^\top\|_F$", "U1U2": r"$\|U_1U_2^\top\|_F$",
           "dist": r"$\|UV^\top-\hat\Theta\|_2$"}


def width_sweep_figure(rep):
    r"""Left: the cross products and the distance to the minimum-norm solution against the width, with
    their ensemble fits and the theorem's :math:`h^{1/2-2a}` (dashed); right: the level of imbalance c.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.min2021 import width_sweep
    >>> from ibtheory.papers.min2021.figures import width_sweep_figure
    >>> len(width_sweep_figure(width_sweep("smoke")).axes)
    2

    See the book chapter *On the explicit role of initialization* (``book/min2021.md``).
    """
    import matplotlib.pyplot as plt

    from .wide import WidthSweepReport

    check_report(rep, WidthSweepReport)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    hgrid = np.array([rep.h.min(), rep.h.max()], dtype=float)
    for k, mk in zip(_LABELS, "osD^"):
        line, = axes[0].loglog(rep.h, getattr(rep, k), mk, alpha=0.45, ms=4)
        f = (rep.fits or {}).get(k)
        if f is not None:
            axes[0].loglog(hgrid, np.exp(f.intercept) * hgrid ** f.slope, "-", color=line.get_color(),
                           label=f"{_LABELS[k]}: slope {f.slope:.2f}")
    expo = distance_exponent(rep.a)
    axes[0].loglog(hgrid, hgrid ** expo, "k--", lw=1, label=f"$h^{{{expo:g}}}$ (theorem)")
    axes[0].set_xlabel("width h")
    axes[0].set_ylabel("norm")
    axes[0].legend(fontsize=7)
    axes[1].semilogx(rep.h, rep.c, "o", alpha=0.5)
    axes[1].axhline(1, color="k", ls="--", lw=1, label="c = 1")
    axes[1].axhline(2, color="gray", ls=":", lw=1, label="c = 2 (large-h limit at a = 1/2)")
    axes[1].set_xlabel("width h")
    axes[1].set_ylabel("level of imbalance c")
    axes[1].legend()
    return fig


def conservation_figure(rep):
    r"""The loss gap and the drift of :math:`\Lambda` along the first run of :func:`~ibtheory.papers.min2021.conservation`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.min2021 import conservation
    >>> from ibtheory.papers.min2021.figures import conservation_figure
    >>> len(conservation_figure(conservation("smoke")).axes)
    1

    See the book chapter *On the explicit role of initialization* (``book/min2021.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments import ConservationReport

    check_report(rep, ConservationReport)
    fig, ax = plt.subplots(figsize=(6, 3.4), layout="constrained")
    ax.semilogy(rep.t, rep.gap, label=r"loss gap $\mathcal{L}-\mathcal{L}^*$")
    ax.semilogy(rep.t, np.maximum(rep.dlam, np.finfo(float).tiny),
                label=r"$\|\Lambda(t)-\Lambda(0)\|_F/\|\theta_0\|^2$")
    ax.set_xlabel("time t")
    ax.set_ylabel("value (log scale)")
    ax.legend()
    return fig


def imbalance_probability_figure(rep):
    r"""The observed :math:`P(c < 1)` per width with its 95 % Wilson interval, and the derived bound.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.min2021 import imbalance_probability
    >>> from ibtheory.papers.min2021.figures import imbalance_probability_figure
    >>> len(imbalance_probability_figure(imbalance_probability("smoke")).axes)
    1

    See the book chapter *On the explicit role of initialization* (``book/min2021.md``).
    """
    import matplotlib.pyplot as plt

    from .wide import ImbalanceProbabilityReport

    check_report(rep, ImbalanceProbabilityReport)
    fig, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
    frac = rep.n_failed / rep.n_draws
    ax.errorbar(rep.widths, frac, yerr=[np.clip(frac - rep.fail_lo, 0, None), np.clip(rep.fail_hi - frac, 0, None)],
                fmt="o", capsize=3, label=r"observed $P(c<1)$, 95 % Wilson")
    ax.plot(rep.widths, rep.bound, "k--", label="derived bound (eq-min-tail)")
    ax.set_xscale("log")
    ax.set_xlabel("width h")
    ax.set_ylabel(r"$P(c < 1)$")
    ax.legend(fontsize=8)
    return fig


def rate_figure(rep):
    r"""Measured asymptotic loss rate against the bound :math:`2\lambda_{\min}(\Sigma_x)c`, per data kind and initialization.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.min2021 import rate_bound_experiment
    >>> from ibtheory.papers.min2021.figures import rate_figure
    >>> len(rate_figure(rate_bound_experiment("smoke")).axes)
    2

    See the book chapter *On the explicit role of initialization* (``book/min2021.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments import RateReport

    check_report(rep, RateReport)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    for ax, data in zip(axes, ("whitened", "general")):
        for kind, mk in zip(("Gaussian", "spectral", "balanced"), "os^"):
            sel = (rep.data == data) & (rep.kind == kind)
            ax.scatter(rep.bound[sel], rep.measured[sel], marker=mk, label=kind)
        top = 1.05 * max(rep.bound.max(), rep.measured.max())
        ax.plot([0, top], [0, top], "k--", lw=1, label="measured = bound")
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_yscale("log")
        ax.set_xlabel(r"bound $\kappa = 2\lambda_{\min}(\Sigma_x)\,c$")
        ax.set_ylabel("measured asymptotic loss rate")
        ax.set_title(f"{data} data")
        ax.legend(fontsize=8)
    return fig


def _runs(rep):
    """Row order by seed (a merged report may hold its shards in any order) and the x tick labels."""
    order = np.argsort(rep.seed, kind="stable")
    return order, np.arange(order.size), [f"seed {s}" for s in rep.seed[order]]


def reduction_figure(rep):
    r"""The loss identity of the reduction, per run of :func:`~ibtheory.papers.min2021.reduction`.

    The paper draws no figure of this; this figure shows what the check compares. Left, on a log
    axis: the network loss :math:`\frac12\|Y-XUV^\top\|_F^2` (circles), the reduced loss
    :math:`\frac12\|\tilde Y-\Sigma_x^{1/2}U_1V^\top\|_F^2` plus :math:`\mathcal L^*` (crosses) and the
    constant :math:`\mathcal L^*` alone (non-zero: the data are rank-deficient). Right: the two relative
    discrepancies of the claim (network loss vs reduced loss + :math:`\mathcal L^*`, :math:`\mathcal L^*` vs
    the least-squares residual) on a log axis, with the float64 machine epsilon for scale (exact zeros
    drawn at :data:`ZERO_FLOOR`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.min2021 import reduction
    >>> from ibtheory.papers.min2021.figures import reduction_figure
    >>> len(reduction_figure(reduction("smoke")).axes)
    2

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments import ReductionReport

    check_report(rep, ReductionReport)
    order, x, labels = _runs(rep)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    red, star = rep.reduced_loss[order], rep.loss_star[order]
    axes[0].semilogy(x, rep.network_loss[order], "ko", ms=9, mfc="none", label="network loss")
    axes[0].semilogy(x, red + star, "C0x", ms=8, label=r"reduced loss + $\mathcal{L}^*$")
    axes[0].semilogy(x, star, "C1s", label=r"$\mathcal{L}^*$ ($> 0$: rank-deficient data)")
    axes[0].set_xticks(x, labels)
    axes[0].set_xlabel("run")
    axes[0].set_ylabel("loss")
    axes[0].legend(fontsize=8)
    for field, mk, lab in (("rel_error", "o", r"|network $-$ (reduced + $\mathcal{L}^*$)| / network"),
                           ("loss_star_error", "s", r"|$\mathcal{L}^*$ $-$ lstsq residual| / max($\mathcal{L}^*$, 1)")):
        axes[1].semilogy(x, np.maximum(getattr(rep, field)[order], ZERO_FLOOR), mk, label=lab)
    axes[1].axhline(np.finfo(float).eps, color="k", ls=":", lw=1, label="float64 machine epsilon")
    axes[1].set_xticks(x, labels)
    axes[1].set_xlabel("run")
    axes[1].set_ylabel("relative discrepancy")
    axes[1].legend(fontsize=8)
    return fig


def invariant_set_figure(rep):
    r"""Distance of the limit to the minimum-norm solution from three initializations, per run of
    :func:`~ibtheory.papers.min2021.invariant_set`.

    The paper draws no figure of this; this figure shows the proposition's contrast. Left: the
    relative distance :math:`\|U(\infty)V(\infty)^\top-\hat\Theta\|_F/\|\hat\Theta\|_F` from the
    orthogonal initialization and from Varre et al.'s (both in the invariant set) and from
    :math:`\mathcal N(0,1/h)` (not in it); the title gives the worst final loss gap. Right: the
    invariant-set conditions at initialization (:math:`\|VU_2^\top\|_F`, :math:`\|U_1U_2^\top\|_F`) and
    :math:`|c-2\gamma|` for Varre et al.'s initialization, on a log axis (exact zeros drawn at
    :data:`ZERO_FLOOR`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.min2021 import invariant_set
    >>> from ibtheory.papers.min2021.figures import invariant_set_figure
    >>> len(invariant_set_figure(invariant_set("smoke")).axes)
    2

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments import InvariantSetReport

    check_report(rep, InvariantSetReport)
    order, x, labels = _runs(rep)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    for field, mk, lab in (("err_orthogonal", "o", "orthogonal init (invariant set)"),
                           ("err_varre", "s", "Varre et al.'s init (invariant set)"),
                           ("err_random", "^", r"$\mathcal{N}(0, 1/h)$ init")):
        axes[0].semilogy(x, np.maximum(getattr(rep, field)[order], ZERO_FLOOR), mk, label=lab)
    axes[0].set_title(f"h = {rep.h}; worst final loss gap {np.max(rep.final_gap):.1e}", fontsize=9)
    axes[0].set_ylabel(r"$\|UV^\top - \hat\Theta\|_F / \|\hat\Theta\|_F$ at the limit")
    for field, mk, lab in (("orth_VU2", "o", r"$\|VU_2^\top\|_F$, orthogonal init"),
                           ("orth_U1U2", "D", r"$\|U_1U_2^\top\|_F$, orthogonal init"),
                           ("varre_U1U2", "s", r"$\|U_1U_2^\top\|_F$, Varre et al.'s init")):
        axes[1].semilogy(x, np.maximum(getattr(rep, field)[order], ZERO_FLOOR), mk, label=lab)
    axes[1].semilogy(x, np.maximum(np.abs(rep.c_varre[order] - 2 * rep.gamma), ZERO_FLOOR), "x",
                     label=rf"$|c - 2\gamma|$, Varre et al.'s init ($\gamma$ = {rep.gamma:g})")
    axes[1].set_ylabel("value at initialization")
    for ax in axes:
        ax.set_xticks(x, labels)
        ax.set_xlabel("run")
        ax.legend(fontsize=7)
    return fig
