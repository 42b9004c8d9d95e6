"""Figures of the general theorem, the random-features step and the network-vs-linearization experiment.

Each takes the experiment's report and returns a Figure.

See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

import numpy as np

from .closed_forms import RATE_LINEARIZED, RATE_WIDTH
from .figures import _check_report

__all__ = ["general_figure", "random_features_figure", "network_gap_figure"]


def _rate_panel(ax, width, err, fit, label, marker="o"):
    p = ax.loglog(width, err, marker, alpha=0.45, label=label)
    if fit is None:        # too few runs to fit (see general_width_rate): the points alone
        return
    nn = np.unique(width)
    ax.loglog(nn, np.exp(fit.intercept) * nn ** fit.slope, "-", color=p[0].get_color(),
              label=f"fit {fit.slope:.2f} [{fit.ci[0]:.2f}, {fit.ci[1]:.2f}]")


def _slope_guide(ax, width, err, exponent, label):
    nn = np.unique(width)
    ax.loglog(nn, np.median(err[width == nn[0]]) * (nn / nn[0]) ** exponent, "k--", lw=1, label=label)


def general_figure(rep):
    """Left: distance of trained networks to g* and to the f0-blind prediction against the width;
    right: the widest network of the first seed, its initial function f0 and g*.

    Examples
    --------
    >>> from ibtheory.papers.jin2023 import general_width_rate
    >>> from ibtheory.papers.jin2023.figures_general import general_figure
    >>> len(general_figure(general_width_rate("smoke", widths=(40, 80), seeds=(0, 1))).axes)
    2
    """
    import matplotlib.pyplot as plt

    from .general import GeneralWidthReport

    _check_report(rep, GeneralWidthReport)
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.9))
    ok = rep.converged()
    for name, fit in rep.fits.items():
        sel = ok & (rep.init == name) & (rep.width >= rep.fit_min_width)
        _rate_panel(ax[0], rep.width[sel], rep.sup_error[sel], fit, f"to $g^*$ ({name})")
        ax[0].loglog(rep.width[sel], rep.error_ignoring_f0[sel], "x", alpha=0.6, label="to the $f_0$-blind prediction")
        _slope_guide(ax[0], rep.width[sel], rep.sup_error[sel], RATE_WIDTH, r"$n^{-1/2}$")
    ax[0].set_xlabel("width $n$"); ax[0].set_ylabel(r"$\sup_{[x_1,x_M]}|f(\cdot,\theta^*)-\cdot|$")
    ax[0].legend(fontsize=7)
    k = np.flatnonzero((rep.width == rep.width.max()) & (rep.seed == rep.seed.min()))[0]
    ax[1].plot(rep.t, rep.initial[k], color="0.6", label="$f_0$ (initial network)")
    ax[1].plot(rep.t, rep.outputs[k], lw=2, label=f"trained, n = {rep.width[k]}")
    ax[1].plot(rep.t, rep.predictions[k], "k--", label=r"$g^*=f_0+S-\bar ux-\bar v$")
    ax[1].set_xlabel("$x$"); ax[1].set_ylabel("$f(x)$"); ax[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def random_features_figure(rep):
    """Sup-distance of the finite-width minimum-norm random-features interpolant to the infinite-width solution.

    Examples
    --------
    >>> from ibtheory.papers.jin2023 import random_features_rate
    >>> from ibtheory.papers.jin2023.figures_general import random_features_figure
    >>> len(random_features_figure(random_features_rate("smoke")).axes)
    1
    """
    import matplotlib.pyplot as plt

    from .random_features import RandomFeaturesReport

    _check_report(rep, RandomFeaturesReport)
    fig, ax = plt.subplots(figsize=(6, 3.9))
    ok = rep.outcome == "success"
    for name, fit in rep.fits.items():
        sel = ok & (rep.init == name)
        _rate_panel(ax, rep.width[sel], rep.sup_error[sel], fit, name)
    _slope_guide(ax, rep.width[ok], rep.sup_error[ok], RATE_WIDTH, r"$n^{-1/2}$")
    ax.set_xlabel("number of random features $n$")
    ax.set_ylabel(r"$\sup_{[-L,L]}|g_n-(g^*-\bar ux-\bar v)|$")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def network_gap_figure(rep):
    """The three distances of :func:`~ibtheory.papers.jin2023.network_gap_rate` against the width.

    Examples
    --------
    >>> from ibtheory.papers.jin2023 import network_gap_rate
    >>> from ibtheory.papers.jin2023.figures_general import network_gap_figure
    >>> len(network_gap_figure(network_gap_rate("smoke")).axes)
    1
    """
    import matplotlib.pyplot as plt

    from .network_gap import NetworkGapReport

    _check_report(rep, NetworkGapReport)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ok = (rep.outcome == "success") & (rep.final_loss < 1e-16)
    labels = {"lin_distance": "network vs linearization", "gap": "network: all vs output layer",
              "lin_gap": "linearized: all vs output layer"}
    for (key, label), m in zip(labels.items(), "os^"):
        _rate_panel(ax, rep.width[ok], getattr(rep, key)[ok], rep.fits[key], label, marker=m)
    _slope_guide(ax, rep.width[ok], rep.lin_distance[ok], RATE_WIDTH, r"$n^{-1/2}$ (Lee et al.)")
    nn = np.unique(rep.width[ok])
    ax.loglog(nn, np.median(rep.gap[ok][rep.width[ok] == nn[0]]) * (nn / nn[0]) ** RATE_LINEARIZED, "k:", lw=1,
              label=r"$n^{-1}$ (eq. (12))")
    ax.set_xlabel("base width $n$"); ax.set_ylabel(r"$\sup_{t,x}$ distance")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
