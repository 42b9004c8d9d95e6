"""The figure of Min et al. (2021)'s width sweep, drawn from a :class:`~ibtheory.papers.min2021.WidthSweepReport`.

See the book chapter *On the explicit role of initialization* (``book/min2021.md``).
"""
from __future__ import annotations

import numpy as np

from .closed_forms import distance_exponent

__all__ = ["width_sweep_figure"]

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

    if not isinstance(rep, WidthSweepReport):
        raise TypeError(f"rep must be a WidthSweepReport (from width_sweep), got {type(rep).__name__}")
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
