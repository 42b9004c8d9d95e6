r"""Figures of the Yun et al. (2021) checks that compare a run with a closed form or a second route.

The slides draw no figure of these experiments. Each figure here shows what the ledger claim
checks: every run's measured discrepancy on a log axis, beside the tolerance of the claim
(:mod:`ibtheory.papers.yun2021.tolerances`) or, for quantities the claim only reports, without
one. :func:`discrepancy_strip` draws such a panel and is shared with
:mod:`.figures_regression`.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import numpy as np

from .._figures import ZERO_FLOOR, check_report

from . import tolerances as tol

__all__ = ["ZERO_FLOOR", "discrepancy_strip", "tensor_identities_figure", "single_point_figure",
           "tied_single_point_figure", "conv_single_point_figure"]

#: outcomes of a run that finished as intended (others are drawn hollow)
_DONE = ("converged", "computed")
_MARKERS = "osD^v"


def _check(rep, cls, fn):
    check_report(rep, cls)


def discrepancy_strip(ax, columns, *, outcome=None, groups=None, count_missing=True):
    r"""One column of points per measured quantity (one point per run), on a log axis, with its limit.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    columns : sequence of (label, values, limit, side)
        ``values`` one per run; ``limit`` the claim's threshold or None (reported only);
        ``side`` ``"below"`` (every run must be below ``limit``: red dashed) or ``"above"``
        (the claim needs values above it: green dotted).
    outcome : array of str, optional
        Per run; runs whose outcome is not ``converged``/``computed`` are drawn hollow.
    groups : array, optional
        Per run; one marker shape per group value (legend entry ``str(value)``).
    count_missing : bool, default True
        Whether the tick label counts the runs without a value (False when a column holds a
        subset of the runs by construction, the others set to NaN).

    Notes
    -----
    Exact zeros are drawn at :data:`ZERO_FLOOR` as downward triangles; NaN (a run with no value)
    is counted under its column's label. Points of a column are spread horizontally by the rank
    of their value, so the drawing does not depend on the order of the runs in the report.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021.figures_checks import discrepancy_strip
    >>> fig, ax = plt.subplots()
    >>> discrepancy_strip(ax, [("error", np.array([1e-12, 0.0, np.nan]), 1e-8, "below")])
    >>> ax.get_yscale(), ax.get_xticklabels()[0].get_text()
    ('log', 'error\n(1 without value)')

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    if not hasattr(ax, "scatter") or not hasattr(ax, "set_yscale"):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    if isinstance(columns, (str, bytes)) or not isinstance(columns, (list, tuple)) or not columns:
        raise TypeError(f"columns must be a non-empty list of (label, values, limit, side), got {columns!r:.80}")
    for col in columns:
        if not isinstance(col, (list, tuple)) or len(col) != 4:
            raise TypeError(f"each entry of columns must be (label, values, limit, side), got {col!r:.80}")
        if col[2] is not None and col[3] not in ("below", "above"):
            raise ValueError(f"side must be 'below' or 'above' where a limit is given, got {col[3]!r}")
    n_runs = len(columns[0][1])
    done = (np.ones(n_runs, bool) if outcome is None
            else np.isin(np.asarray(outcome).astype(str), _DONE))
    keys = [None] if groups is None else sorted(set(np.asarray(groups).tolist()), key=str)
    group_of = (np.zeros(n_runs, int) if groups is None
                else np.array([keys.index(g) for g in np.asarray(groups).tolist()]))
    labels, seen = [], set()
    for i, (label, values, limit, side) in enumerate(columns):
        v = np.asarray(values, float)
        ok = np.isfinite(v)
        order = np.argsort(np.argsort(np.where(ok, v, np.inf), kind="stable"), kind="stable")
        x = i + (order / max(int(ok.sum()) - 1, 1) - 0.5) * 0.5      # the runs with a value, by rank
        reported = limit is None
        colour = "0.45" if reported else "C0"
        for g, key in enumerate(keys):
            for filled in (True, False):
                m = ok & (group_of == g) & (done == filled)
                if not m.any():
                    continue
                pos, zero = m & (v > 0), m & ~(v > 0)
                tag = f"run{'' if key is None else f' ({key})'}{'' if filled else ', not converged'}"
                for mm, mk in ((pos, _MARKERS[g % len(_MARKERS)]), (zero, "v")):
                    if mm.any():
                        lab = (tag if mk != "v" else "exact 0 (drawn at the floor)")
                        ax.scatter(x[mm], np.where(v[mm] > 0, v[mm], ZERO_FLOOR), marker=mk, s=22, zorder=3,
                                   facecolors=colour if filled else "none", edgecolors=colour,
                                   label=None if (lab, reported) in seen or reported else lab)
                        seen.add((lab, reported))
        if limit is not None:
            style = dict(below=("C3", "--", "tolerance (all runs below)"),
                         above=("C2", ":", "the claim needs values above this"))[side]
            # a Line2D (not hlines) so that the legend's "best" placement avoids it
            ax.plot([i - 0.38, i + 0.38], [limit, limit], color=style[0], ls=style[1], lw=1.6,
                    label=None if style[2] in seen else style[2], zorder=2)
            seen.add(style[2])
        n_nan = int(np.sum(~ok))
        labels.append(label + (f"\n({n_nan} without value)" if n_nan and count_missing else "")
                      + ("\n(reported, no tolerance)" if reported else ""))
    ax.set_yscale("log")
    ax.set_xticks(range(len(columns)), labels, fontsize=8)
    ax.set_xlim(-0.6, len(columns) - 0.4)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best")


def _strip_figure(rep, columns, groups=None, count_missing=True):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2.2 + 1.9 * len(columns), 4.2), layout="constrained")
    discrepancy_strip(ax, columns, outcome=rep.outcome, groups=groups, count_missing=count_missing)
    ax.set_xlabel("measured quantity (one point per run)")
    ax.set_ylabel("discrepancy (relative error, or angle in rad)")
    return fig, ax


def tensor_identities_figure(rep):
    r"""The data tensor :math:`M(x)\circ(v_1,\dots,v_L)` against the four other routes, per family and seed.

    The paper draws no figure of this; this figure shows the largest relative difference per
    run and family (diagonal, convolutional, fully connected) against
    ``tolerances.TENSOR_IDENTITY``, and the flow identity :eq:`eq-yun-flow` in floating point
    (:meth:`TensorNetwork.grad` against the multilinear form, one value per seed) against
    ``tolerances.FLOW_EQUATION``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import tensor_identities
    >>> from ibtheory.papers.yun2021.figures_checks import tensor_identities_figure
    >>> len(tensor_identities_figure(tensor_identities("smoke")).axes)
    1

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from .experiments_tensor import TensorIdentities

    _check(rep, TensorIdentities, "tensor_identities")
    nets = list(dict.fromkeys(rep.network.tolist()))
    # one flow value per seed (it is repeated on the rows of that seed's families)
    first = rep.network == nets[0]
    columns = [(f"{k}: M(x) vs networks", np.where(rep.network == k, rep.max_rel_difference, np.nan),
                tol.TENSOR_IDENTITY, "below") for k in nets]
    columns.append(("flow: grad vs\nmultilinear form", np.where(first, rep.flow_difference, np.nan),
                    tol.FLOW_EQUATION, "below"))
    # each column holds one family's runs: the NaN of the others are not missing values
    fig, ax = _strip_figure(rep, columns, count_missing=False)
    ax.set_ylabel("largest relative difference")
    return fig


def single_point_figure(rep):
    r"""Theorem 3: the flow against the exact path, and the path's direction against :math:`U\eta`, per seed.

    The paper draws no figure of this; this figure shows, per run, the relative distance of the
    simulated flow to the closed-form path at :math:`\nu = g^{-1}(f)` (tolerance
    ``tolerances.PATH``), the angle of the path at large :math:`|\nu|` to the predicted
    direction (``tolerances.PATH_LIMIT``), and, reported, the flow's own angle at
    :math:`s_{\max}`, still far from its limit.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import single_point
    >>> from ibtheory.papers.yun2021.figures_checks import single_point_figure
    >>> len(single_point_figure(single_point("smoke")).axes)
    1

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from .experiments import SinglePoint

    _check(rep, SinglePoint, "single_point")
    fig, ax = _strip_figure(rep, [
        ("flow vs exact path\n(relative)", rep.path_error, tol.PATH, "below"),
        ("path at large |nu| vs U eta\n(angle, rad)", rep.limit_angle, tol.PATH_LIMIT, "below"),
        ("flow at s_max vs |eta|\n(angle, rad)", rep.flow_angle, None, None)])
    ax.set_title(f"predicted signs on {int(np.sum(rep.signs_ok))} of {rep.signs_ok.size} runs", fontsize=9)
    return fig


def tied_single_point_figure(rep):
    r"""Theorem 3 with tied top singular values: flow vs path, the selected limit, its :math:`\ell_1` optimality.

    The paper draws no figure of this; this figure shows, per run, the flow's distance to the
    exact path (``tolerances.PATH``), the angle of the path at large :math:`|\nu|` to the
    direction :func:`tied_limit` selects (``tolerances.TIED_LIMIT``), the optimality gap
    :math:`|\|\rho\|_1s_1 - 1|` of its :math:`\rho` (``tolerances.PATH_LIMIT``) and, reported,
    the flow's angle to it within the tied pair at :math:`s_{\max}`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import tied_single_point
    >>> from ibtheory.papers.yun2021.figures_checks import tied_single_point_figure
    >>> len(tied_single_point_figure(tied_single_point("smoke")).axes)
    1

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from .tied import TiedSinglePoint

    _check(rep, TiedSinglePoint, "tied_single_point")
    fig, _ = _strip_figure(rep, [
        ("flow vs exact path\n(relative)", rep.path_error, tol.PATH, "below"),
        ("path at large |nu| vs\nselected limit (rad)", rep.limit_angle, tol.TIED_LIMIT, "below"),
        ("l1 optimality gap\n|‖rho‖_1 s_1 - 1|", rep.rho_optimal, tol.PATH_LIMIT, "below"),
        ("flow at s_max, tied pair,\nvs selected (rad)", rep.flow_tied_angle, None, None)])
    return fig


def conv_single_point_figure(rep):
    r"""Corollary 4 (derived): flow vs exact path, path limit vs :eq:`eq-yun-cor4`, prediction vs the solver.

    The paper draws no figure of this (the slides list Corollary 4 without a statement); this
    figure shows, per run (marker: whether the dominant frequency is a tied pair), the flow's
    distance to the exact path (``tolerances.COR4_PATH``), the angle of the path at large
    :math:`|\nu|` to :func:`cor4_limit` (``tolerances.COR4_LIMIT``), the angle of the
    predicted :math:`\beta` to :func:`ibtheory.solvers.fourier_max_margin`
    (``tolerances.COR4_SOLVER``) and, reported, the flow's own angles at :math:`s_{\max}`
    (:math:`\beta`, and the first filter within the dominant pair).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import conv_single_point
    >>> from ibtheory.papers.yun2021.figures_checks import conv_single_point_figure
    >>> len(conv_single_point_figure(conv_single_point("smoke")).axes)
    1

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from .conv_point import ConvSinglePoint

    _check(rep, ConvSinglePoint, "conv_single_point")
    groups = np.where(rep.tied, "tied pair", "single frequency")
    fig, _ = _strip_figure(rep, [
        ("flow vs exact path\n(relative)", rep.path_error, tol.COR4_PATH, "below"),
        ("path limit vs cor4_limit\n(angle, rad)", rep.limit_angle, tol.COR4_LIMIT, "below"),
        ("predicted beta vs\nfourier_max_margin (rad)", rep.solver_angle, tol.COR4_SOLVER, "below"),
        ("flow beta at s_max\nvs limit (rad)", rep.flow_beta_angle, None, None),
        ("flow w_1 in the pair\nvs limit (rad)", rep.flow_plane_angle, None, None)], groups=groups)
    return fig
