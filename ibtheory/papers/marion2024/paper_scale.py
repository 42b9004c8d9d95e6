r"""Marion & Chizat (2024) at the authors' scale: their experiment A read in their own metric.

The authors' ``run_experiment.py linear`` plots, per step size and initialization scale, the
*mean* sharpness after training over the runs that did not fail (their sharpness is 20 power
iterations; a failed run has a NaN sharpness) and the probability of divergence, against the
lines :math:`2/\eta` (stability), :math:`2La` (their lower bound of the sharpness of
minimizers, the slides' :math:`2La\|\pi^\star\|^2` at :math:`\|\pi^\star\| = 1`) and
:math:`8L\Lambda` (the small-scale upper bound). The slides state the outcome: GD fails when
:math:`\eta` exceeds the critical value :math:`2/\inf S`. :func:`authors_metric_table` computes
those quantities from a :class:`~ibtheory.papers.marion2024.SweepReport`, beside our outcome
classes and the certified :math:`\inf S`.

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``), section *At the paper's scale*.
"""
from __future__ import annotations

import numpy as np

from .experiments import outcome_counts
from .experiments_gd import STABILITY_MARGIN, SweepReport, independent_runs, repeat_keys

__all__ = ["authors_metric_table", "sweep_size"]


def sweep_size(settings):
    """Runs and gradient steps of a sweep from its settings (``seeds``, ``lrs``, ``steps``, ``repeats``, ``scales``).

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import sharpness_vs_scale
    >>> from ibtheory.papers.marion2024.paper_scale import sweep_size
    >>> sweep_size(sharpness_vs_scale.settings("paper"))
    (1600, 13200000)
    """
    need = ("seeds", "lrs", "steps", "scales")
    if not isinstance(settings, dict) or any(k not in settings for k in need):
        raise TypeError(f"settings must be a dict with the keys {need} (an experiment's "
                        f".settings(preset)), got {type(settings).__name__}")
    reps = [len(settings["seeds"]) * len(r) for r in repeat_keys(settings.get("repeats"), settings["lrs"])]
    n_scales = len(settings["scales"])
    return (int(sum(reps)) * n_scales, int(sum(n * st for n, st in zip(reps, settings["steps"]))) * n_scales)


def authors_metric_table(rep):
    r"""Per step size: the authors' metrics (mean sharpness of the runs that did not diverge, divergence
    probability) beside the lines of their figure and our outcome counts.

    Columns: ``runs`` (independent runs), ``p_diverged`` with its 95% Wilson
    interval ``p_lo``/``p_hi``, ``p_converged``, ``mean_S`` (mean sharpness of the runs that did not
    diverge, the authors' curve averaged over scales), ``max_S_conv`` (largest sharpness of a converged
    run), ``two_over_lr`` (:math:`2/\eta`), ``inf_S`` (certified), ``authors_2La`` (their lower line),
    ``upper_8LLambda`` and ``above_threshold`` (:math:`\eta\ge` ``STABILITY_MARGIN`` :math:`\cdot 2/\inf S`).

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import sharpness_vs_scale
    >>> from ibtheory.papers.marion2024.paper_scale import authors_metric_table
    >>> t = authors_metric_table(sharpness_vs_scale("smoke"))
    >>> t.index.tolist(), int(t.runs.iloc[0])
    ([0.1], 2)
    """
    import pandas as pd

    if not isinstance(rep, SweepReport):
        raise TypeError(f"rep must be a SweepReport (from sharpness_vs_scale or residual_sharpness_vs_scale), "
                        f"got {type(rep).__name__}")
    indep = independent_runs(rep)
    rows = {}
    for lr in np.unique(rep.lr):
        sel = indep & (rep.lr == lr)
        counts = outcome_counts(rep.outcome, sel)
        live = sel & (rep.outcome != "diverged") & np.isfinite(rep.sharpness)
        conv = sel & (rep.outcome == "converged")
        s_inf = float(rep.s_inf[sel][0])
        rows[float(lr)] = dict(
            runs=int(sel.sum()), p_diverged=counts.loc["diverged", "fraction"],
            p_lo=counts.loc["diverged", "lo"], p_hi=counts.loc["diverged", "hi"],
            p_converged=counts.loc["converged", "fraction"],
            mean_S=float(np.mean(rep.sharpness[live])) if live.any() else np.nan,
            max_S_conv=float(np.max(rep.sharpness[conv])) if conv.any() else np.nan,
            two_over_lr=2 / lr, inf_S=s_inf, authors_2La=float(rep.s_lower[sel][0]),
            upper_8LLambda=rep.s_upper, above_threshold=bool(lr >= STABILITY_MARGIN * 2 / s_inf))
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("lr")
