r"""Figures of Yun et al. (2021)'s regression experiments (Theorems 5 and 6, Corollaries 5 and 6) and of
the orthogonally decomposable networks (Theorems 2 and 5).

The slides draw no figure of these experiments. Each figure shows what the ledger claim checks:
the distance of the flow's limit to the prediction per run, on a log axis, against the
claim's tolerance (:mod:`ibtheory.papers.yun2021.tolerances`), beside the final losses, the
printed formulas' misses where the seed prints a different one, and decays along the run
where the claim tests one.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import numpy as np

from . import tolerances as tol
from .._figures import ZERO_FLOOR, finite_or_raise
from .figures_checks import _check, discrepancy_strip

__all__ = ["diagonal_regression_figure", "conv_regression_figure", "deep_conv_regression_figure",
           "two_layer_point_regression_figure", "odn_flows_figure"]


def _floor(v):
    """Exact zeros at :data:`ZERO_FLOOR` for the log axes; NaN (a run with no value) stays NaN (not drawn)."""
    v = np.asarray(v, float)
    return np.where((v > 0) | np.isnan(v), v, ZERO_FLOOR)


def _no_value_note(ax, values, what="run"):
    """Say on ``ax`` how many runs have no value (NaN: the flow failed) and so are not drawn."""
    k = int(np.sum(np.isnan(np.asarray(values, float))))
    if k:
        ax.plot([], [], " ", label=f"{k} {what}(s) with no value (not drawn)")


def _limit(ax, value, colour, style, label):
    ax.axhline(value, color=colour, ls=style, lw=1.4, label=label)


def diagonal_regression_figure(rep):
    r"""Theorem 5 / Corollary 5: the flow's limit against :func:`~ibtheory.solvers.qnorm_interpolator`, per run.

    The paper draws no figure of this; this figure shows, against :math:`\alpha` and one colour
    per depth L, the relative distance :math:`\max_j|\beta_j - z_j|/\max_j|z_j|` of the flow's
    limit to the solver's minimizer of :math:`Q_{L,\alpha,\bar w}` with its tolerance
    ``tolerances.QNORM_FLOW`` (left), and the final square loss of each flow (right).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import diagonal_regression
    >>> from ibtheory.papers.yun2021.figures_regression import diagonal_regression_figure
    >>> len(diagonal_regression_figure(diagonal_regression("smoke")).axes)
    2

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments_regression import DiagonalRegression

    _check(rep, DiagonalRegression, "diagonal_regression")
    finite_or_raise(rep, ("alpha",))
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.9), layout="constrained")
    depths = sorted(set(rep.L.tolist()))
    for k, L in enumerate(depths):
        m = rep.L == L
        shift = 1.06 ** (k - (len(depths) - 1) / 2)      # side by side at each alpha
        done = rep.outcome[m] == "converged"
        for a, v in ((ax[0], rep.error[m]), (ax[1], rep.final_loss[m])):
            x = rep.alpha[m] * shift
            a.scatter(x[done], _floor(v)[done], marker="osD^v"[k % 5], color=f"C{k}", s=20, label=f"L = {L}")
            if (~done).any():
                a.scatter(x[~done], _floor(v)[~done], marker="osD^v"[k % 5], facecolors="none",
                          edgecolors=f"C{k}", s=20, label=f"L = {L}, not converged")
    _no_value_note(ax[0], rep.error)
    _no_value_note(ax[1], rep.final_loss)
    _limit(ax[0], tol.QNORM_FLOW, "C3", "--", "tolerance QNORM_FLOW")
    ax[1].axhline(ZERO_FLOOR, color="0.6", lw=0.6)      # keeps the log axis defined with no finite loss
    ax[0].set_ylabel(r"$\max_j|\beta_j-z_j|\,/\max_j|z_j|$ (flow vs qnorm_interpolator)")
    ax[1].set_ylabel(r"final loss $\frac{1}{2}\|X\beta-y\|^2$")
    alphas = sorted(set(rep.alpha.tolist()))
    for a in ax:
        a.set_xscale("log")
        a.set_yscale("log")
        a.set_xticks(alphas, [f"{v:g}" for v in alphas])
        a.set_xlim(min(alphas) / 1.5, max(alphas) * 1.5)   # defined even when no run has a value
        a.xaxis.set_minor_formatter(plt.NullFormatter())
        a.set_xlabel(r"initialization scale $\alpha$")
        a.legend(fontsize=8)
    return fig


def _derived_vs_printed(rep, cases, derived, printed, tol_derived, printed_min, ylabel):
    import matplotlib.pyplot as plt

    keys = sorted(set(cases))
    idx = np.array([keys.index(c) for c in cases])
    fig, ax = plt.subplots(figsize=(2.6 + 1.3 * len(keys), 4.0), layout="constrained")
    done = np.asarray(rep.outcome) == "converged"
    for values, mk, colour, off, lab in ((derived, "o", "C0", -0.12, "derived problem (eq-yun-cor6)"),
                                         (printed, "x", "C3", 0.12, "problem as printed")):
        ax.scatter(idx[done] + off, _floor(values)[done], marker=mk, color=colour, s=24, label=lab)
        if (~done).any():
            ax.scatter(idx[~done] + off, _floor(values)[~done], marker="s", facecolors="none",
                       edgecolors=colour, s=24, label=f"{lab}, not converged")
    _limit(ax, tol_derived, "C0", "--", "tolerance of the derived problem")
    if printed_min is not None:
        _limit(ax, printed_min, "C3", ":", "printed must miss by more (some case per instance)")
    ax.set_yscale("log")
    ax.set_xticks(range(len(keys)), [", ".join(f"{n} = {v:g}" for n, v in zip(k[0], k[1])) for k in keys],
                  fontsize=8)
    ax.set_xlim(-0.6, len(keys) - 0.4)
    ax.set_xlabel("case (one point per seed)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return fig


def conv_regression_figure(rep):
    r"""Corollary 6: the flow's limit against the derived problem :eq:`eq-yun-cor6` and the printed one, per case.

    The paper draws no figure of this; this figure shows, per :math:`(L, \alpha)` and seed, the
    distance of the flow's limit to the solution of the derived problem (circles, tolerance
    ``tolerances.CONV_FLOW``) and to the solution of the problem as the seed prints it
    (crosses; on every instance some case must miss by more than
    ``tolerances.PRINTED_CONV_MIN``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import conv_regression
    >>> from ibtheory.papers.yun2021.figures_regression import conv_regression_figure
    >>> len(conv_regression_figure(conv_regression("smoke")).axes)
    1

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from .experiments_regression import ConvRegression

    _check(rep, ConvRegression, "conv_regression")
    cases = [(("L", "alpha"), (int(L), float(a))) for L, a in zip(rep.L, rep.alpha)]
    return _derived_vs_printed(rep, cases, rep.error_derived, rep.error_printed, tol.CONV_FLOW,
                               tol.PRINTED_CONV_MIN, r"$\max_j|\beta_j-z_j|\,/\max_j|z^{\rm derived}_j|$")


def deep_conv_regression_figure(rep):
    r"""Corollary 6 at :math:`L\ge3`, :math:`d\ge6`: the flow's limit against the derived and the printed problem.

    The paper draws no figure of this; this figure shows, per :math:`(d, L, \alpha)` and seed, the
    distance of the flow's limit to the solution of :eq:`eq-yun-cor6` (circles, tolerance
    ``tolerances.CONV_FLOW``) and, reported, to the solution of the problem as printed (crosses).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import deep_conv_regression
    >>> from ibtheory.papers.yun2021.figures_regression import deep_conv_regression_figure
    >>> len(deep_conv_regression_figure(deep_conv_regression("smoke")).axes)
    1

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from .experiments_deep import DeepConvRegression

    _check(rep, DeepConvRegression, "deep_conv_regression")
    cases = [(("d", "L", "alpha"), (int(d), int(L), float(a))) for d, L, a in zip(rep.d, rep.L, rep.alpha)]
    return _derived_vs_printed(rep, cases, rep.error, rep.error_printed, tol.CONV_FLOW, None,
                               r"$\max_j|\beta_j-z_j|\,/\max_j|z^{\rm derived}_j|$")


def two_layer_point_regression_figure(rep):
    r"""Theorem 6: the flow's limit against the closed form :eq:`eq-yun-thm6` and the printed :math:`v_2^\infty`.

    The paper draws no figure of this; this figure shows (left), against :math:`\alpha`, the
    largest distance of the flow's :math:`(v_1, v_2)` to the derived closed form (circles,
    tolerance ``tolerances.THM6_FLOW``) and of its :math:`v_2` to the seed's printed
    :math:`v_2^\infty` (crosses, which must miss by more than ``tolerances.PRINTED_THM6_MIN``);
    and (right), against :math:`\nu^\infty`, the difference of the float64 root of :math:`g`
    and the 40-digit root of the second route (``tolerances.NU_ROUTES``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import two_layer_point_regression
    >>> from ibtheory.papers.yun2021.figures_regression import two_layer_point_regression_figure
    >>> len(two_layer_point_regression_figure(two_layer_point_regression("smoke")).axes)
    2

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    import matplotlib.pyplot as plt

    from .experiments_regression import PointRegression

    _check(rep, PointRegression, "two_layer_point_regression")
    finite_or_raise(rep, ("alpha",))
    fig, ax = plt.subplots(1, 2, figsize=(10.5, 3.9), layout="constrained")
    done = rep.outcome == "converged"
    for values, mk, colour, lab in ((rep.error, "o", "C0", "closed form (eq-yun-thm6)"),
                                    (rep.error_printed, "x", "C3", "printed v2")):
        ax[0].scatter(rep.alpha[done], _floor(values)[done], marker=mk, color=colour, s=24, label=lab)
        if (~done).any():
            ax[0].scatter(rep.alpha[~done], _floor(values)[~done], marker="s", facecolors="none",
                          edgecolors=colour, s=24, label=f"{lab}, not converged")
    _no_value_note(ax[0], rep.error)
    _limit(ax[0], tol.THM6_FLOW, "C0", "--", "tolerance of the closed form")
    _limit(ax[0], tol.PRINTED_THM6_MIN, "C3", ":", "printed must miss by more")
    alphas = sorted(set(rep.alpha.tolist()))
    ax[0].set_xscale("log")
    ax[0].set_xticks(alphas, [f"{v:g}" for v in alphas])
    ax[0].set_xlim(min(alphas) / 1.5, max(alphas) * 1.5)
    ax[0].xaxis.set_minor_formatter(plt.NullFormatter())
    ax[0].set_xlabel(r"initialization scale $\alpha$")
    ax[0].set_ylabel("max |flow - formula| over the entries")
    zero = rep.nu_difference <= 0
    ax[1].scatter(rep.nu[~zero], _floor(rep.nu_difference)[~zero], color="C0", s=24, label="run")
    if zero.any():
        ax[1].scatter(rep.nu[zero], _floor(rep.nu_difference)[zero], marker="v", color="C0", s=24,
                      label="exact 0 (drawn at the floor)")
    _limit(ax[1], tol.NU_ROUTES, "C3", "--", "tolerance (all runs below)")
    ax[1].set_xlabel(r"$\nu^\infty = g^{-1}(y/\alpha^2)$")
    ax[1].set_ylabel(r"$|\nu_{\rm float64}-\nu_{\rm mpmath}|\,s_1/\max(1,|\nu s_1|)$")
    for a in ax:
        a.set_yscale("log")
        a.legend(fontsize=8)
    return fig


def odn_flows_figure(rep):
    r"""Theorems 5 and 2 for random orthogonally decomposable networks.

    The paper draws no figure of this; this figure shows (left) the distance of each regression
    flow's limit to :math:`S^\top\rho` of Theorem 5, per depth, against
    ``tolerances.QNORM_FLOW``; (right) the :math:`\ell_{2/L}` KKT residual of :math:`\rho(t)`
    along each classification run against the log-time, one colour per depth, with the pooled
    decay exponent of :meth:`OdnFlows.fit` (the claim: its CI lies below 0) and the log-time
    from which it is fitted.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from ibtheory.papers.yun2021 import odn_flows
    >>> from ibtheory.papers.yun2021.figures_regression import odn_flows_figure
    >>> len(odn_flows_figure(odn_flows("smoke")).axes)
    2

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    import matplotlib.pyplot as plt

    from .odn import OdnFlows

    _check(rep, OdnFlows, "odn_flows")
    depths = sorted(set(rep.L.tolist()))
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.9), layout="constrained",
                           gridspec_kw={"width_ratios": [1, 1.6]})
    discrepancy_strip(ax[0], [(f"L = {L}", np.where(rep.L == L, rep.regression_error, np.nan),
                               tol.QNORM_FLOW, "below") for L in depths], outcome=rep.outcome,
                      count_missing=False)
    ax[0].set_xlabel("depth (one point per seed)")
    ax[0].set_ylabel(r"regression: $\max|\beta-S^\top\rho|\,/\max|S^\top\rho|$")
    for k, L in enumerate(depths):
        m = rep.L == L
        try:
            fit = rep.fit(L)
            lab = f"L = {L}: exponent {fit.slope:.2f} [{fit.ci[0]:.2f}, {fit.ci[1]:.2f}]"
        except ValueError:      # no run of this depth with values to fit
            lab = f"L = {L}"
        for i, curve in enumerate(rep.kkt[m]):
            ax[1].loglog(rep.s, _floor(curve), "o-" if k % 2 == 0 else "s--", ms=3, color=f"C{k}",
                         label=lab if i == 0 else None)
    ax[1].axvline(rep.s_fit_from, color="0.5", ls=":", lw=1, label="fitted from here")
    ax[1].set_xlabel("log-time s = log(1 + t)")
    ax[1].set_ylabel(r"classification: KKT residual of $\rho(t)$")
    ax[1].legend(fontsize=8)
    return fig
