"""The figure of Yun et al. (2021)'s Corollary 5, drawn from an :class:`~ibtheory.papers.yun2021.AlphaPath` report.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import numpy as np

__all__ = ["alpha_path_figure"]


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

    if not isinstance(rep, AlphaPath):
        raise TypeError(f"rep must be an AlphaPath report (from alpha_path), got {type(rep).__name__}")
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
