"""The figure of Yun et al. (2021)'s Corollary 5, drawn from an :class:`~ibtheory.papers.yun2021.AlphaPath` report.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import numpy as np

from .._figures import check_report

__all__ = ["alpha_path_figure", "flows_figure", "diagonal_directions_figure", "conv_directions_figure",
           "deep_conv_directions_figure", "short_conv_flows_figure"]


def alpha_path_figure(rep):
    r"""Per depth, each coordinate of the limit against :math:`\alpha` (first seed) between the minimum-:math:`\ell_1`
    (left arrows) and minimum-:math:`\ell_2` (right arrows) interpolators; dots: simulated flows.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import alpha_path
    >>> from ibtheory.papers.yun2021.figures import alpha_path_figure
    >>> len(alpha_path_figure(alpha_path("smoke")).axes)
    1

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments_regression import AlphaPath

    check_report(rep, AlphaPath)
    depths = sorted(set(rep.L.tolist()))
    fig, ax = plt.subplots(1, len(depths), figsize=(4.2 * len(depths), 3.8), sharey=True, squeeze=False,
                           layout="constrained")
    ax = ax[0]
    for k, L in enumerate(depths):
        run = int(np.flatnonzero(rep.L == L)[0])
        for jj in range(rep.path.shape[2]):
            line, = ax[k].semilogx(rep.alphas, rep.path[run, :, jj], lw=1.2)
            ax[k].plot(rep.alphas[-1] * 1.6, rep.l2[run, jj], ">", color=line.get_color())
            ax[k].plot(rep.alphas[0] / 1.6, rep.l1[run, jj], "<", color=line.get_color())
        for a, b in zip(rep.flow_alphas, rep.flow_beta[run]):
            ax[k].plot([a] * b.size, b, "k.", ms=6)
        ax[k].set_title(f"L = {L}")
        ax[k].set_xlabel("initialization scale alpha")
    ax[0].set_ylabel("coordinate z_j of the limit")
    ax[0].plot([], [], "k>", label="min l2 interpolator")
    ax[0].plot([], [], "k<", label="min l1 interpolator")
    ax[0].plot([], [], "k.", label="simulated flow")
    fig.legend(loc="outside upper center", ncol=3, fontsize=9)
    return fig


def _check(rep, cls, fn):
    check_report(rep, cls)


def flows_figure(rep):
    """Theorem 1: the singular-vector residual (left) and the angle between successive X'r (right) along each run.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import exponential_flows
    >>> from ibtheory.papers.yun2021.figures import flows_figure
    >>> len(flows_figure(exponential_flows("smoke")).axes)
    2

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments import FlowDirections

    _check(rep, FlowDirections, "exponential_flows")
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
    for kind, marker in zip(np.unique(rep.network), ("o-", "s--")):
        m = rep.runs(kind)
        for k, (res, inc) in enumerate(zip(rep.residual[m], rep.u_increment[m])):
            ax[0].loglog(rep.s, res, marker, ms=3, color=f"C{k}", label=f"{kind}" if k == 0 else None)
            ax[1].loglog(rep.s[1:], inc, marker, ms=3, color=f"C{k}", label=f"{kind}" if k == 0 else None)
    ax[0].set_ylabel("singular-vector residual")
    ax[1].set_ylabel("angle between successive X'r (rad)")
    for a in ax:
        a.set_xlabel("log-time s = log(1 + t)")
        a.legend()
    return fig


def diagonal_directions_figure(rep):
    """Corollary 2: the angle to the l1 max-margin direction (L = 2, left) and the l_(2/L) KKT residual (right).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import diagonal_directions
    >>> from ibtheory.papers.yun2021.figures import diagonal_directions_figure
    >>> len(diagonal_directions_figure(diagonal_directions("smoke")).axes)
    2

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments import DiagonalDirections

    _check(rep, DiagonalDirections, "diagonal_directions")
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
    for k, L in enumerate(sorted(set(rep.L.tolist()))):
        curves = rep.angle[rep.L == L] if L == 2 else rep.kkt[rep.L == L]
        for i, c in enumerate(curves):
            ax[0 if L == 2 else 1].loglog(rep.s, c, "o-" if L < 4 else "s--", ms=3, color=f"C{k}",
                                          label=f"L={L}" if i == 0 else None)
    ax[0].set_ylabel("angle to the l1 max-margin direction (rad)")
    ax[1].set_ylabel("KKT residual (eq-yun-lp-kkt)")
    for a in ax:
        a.set_xlabel("log-time s = log(1 + t)")
        if a.get_legend_handles_labels()[0]:
            a.legend()
    return fig


def conv_directions_figure(rep):
    """Corollary 3 (L = 2): the angle to the Fourier-l1 max-margin direction along each run.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import conv_directions
    >>> from ibtheory.papers.yun2021.figures import conv_directions_figure
    >>> len(conv_directions_figure(conv_directions("smoke")).axes)
    1

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments import DiagonalDirections

    _check(rep, DiagonalDirections, "conv_directions")
    fig, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    for k, c in enumerate(rep.angle):
        ax.loglog(rep.s, c, "^-", ms=3, label=f"seed {rep.seed[k]}")
    ax.set_xlabel("log-time s = log(1 + t)")
    ax.set_ylabel("angle to fourier_max_margin (rad)")
    ax.legend(fontsize=8)
    return fig


def deep_conv_directions_figure(rep):
    """Corollary 3 (L >= 3): the Fourier KKT residual of beta along each run, one colour per (d, L).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import deep_conv_directions
    >>> from ibtheory.papers.yun2021.figures import deep_conv_directions_figure
    >>> len(deep_conv_directions_figure(deep_conv_directions("smoke")).axes)
    1

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments_deep import DeepConvDirections

    _check(rep, DeepConvDirections, "deep_conv_directions")
    fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
    for j, (d_, L_) in enumerate(sorted(set(zip(rep.d.tolist(), rep.L.tolist())))):
        m = (rep.d == d_) & (rep.L == L_)
        for k, res in enumerate(rep.kkt[m]):
            ax.loglog(rep.s, res, "o-", ms=3, color=f"C{j}", label=f"d = {d_}, L = {L_}" if k == 0 else None)
    ax.set_xlabel("log-time s = log(1 + t)")
    ax.set_ylabel("Fourier KKT residual of beta")
    ax.legend()
    return fig


def short_conv_flows_figure(rep):
    """Theorem 1 with filters shorter than the signal: the residual of the singular-vector equations along each run.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import short_conv_flows
    >>> from ibtheory.papers.yun2021.figures import short_conv_flows_figure
    >>> len(short_conv_flows_figure(short_conv_flows("smoke")).axes)
    1

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    import matplotlib.pyplot as plt

    from .conv_short import ShortConvFlows

    _check(rep, ShortConvFlows, "short_conv_flows")
    fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
    for j, ks in enumerate(np.unique(rep.ks)):
        for k, res in enumerate(rep.residual[rep.ks == ks]):
            ax.loglog(rep.s, res, ("o-", "s--")[j % 2], ms=3, color=f"C{k}", label=f"ks = {ks}" if k == 0 else None)
    ax.set_xlabel("log-time s = log(1 + t)")
    ax.set_ylabel("residual of the singular-vector equations")
    ax.legend()
    return fig
