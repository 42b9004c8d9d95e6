r"""Where the linear adjustment matters: networks trained on raw vs adjusted data (binary-uniform initialization).

Trained on the raw labels, wide networks tend to the kernel interpolant of the raw data; the theorem's
weighted spline :math:`g^*` is reached only after the linear adjustment :math:`\bar ux+\bar v`. Inside the
data's hull the two limits are close; outside it they differ by the linear part the network pays
for. :func:`adjustment_effect` trains both and measures, on an interval wider than the data, the
distance of each trained function (adjustment added back) to :math:`g^*`, and the distance of the raw
runs to their own kernel limit.

See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Report
from ...stats import RateFit, loglog_fit_or_none
from .._experiment import experiment
from .closed_forms import DATA_X, DATA_Y, init_kernel, predicted_limit
from .figures import adjustment_figure

__all__ = ["AdjustmentReport", "adjustment_effect", "ADJUSTMENT_INIT"]

#: The initialization of the experiment: W = +-1, B ~ U(-2.5, 2.5) (constant zeta on [-2.5, 2.5]).
ADJUSTMENT_INIT = ("binary_uniform", 1.0, 2.5)


@dataclasses.dataclass(frozen=True)
class AdjustmentReport(Report):
    """Per network: width, seed, ``adjusted`` (trained on y - u x - v), outcome, final loss, the sup over
    [-L, L] of |f_n (+ u x + v if adjusted) - g*| (``error_to_spline``) and of |f_n - raw kernel limit|
    (``error_to_raw_limit``); ``limit_gap`` is sup |raw kernel limit - g*| on [-L, L], ``limit_gap_inside``
    the same on the data's interval."""

    width: np.ndarray
    seed: np.ndarray
    adjusted: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    error_to_spline: np.ndarray
    error_to_raw_limit: np.ndarray
    fit_adjusted: RateFit = dataclasses.field(metadata={"table": False})
    fit_raw_to_limit: RateFit = dataclasses.field(metadata={"table": False})
    limit_gap: float = 0.0
    limit_gap_inside: float = 0.0
    L_eval: float = 4.0
    u: float = 0.0
    v: float = 0.0

    #: ensemble fits over the runs: recomputed from the merged runs when seed shards are merged
    summary_fields = ("fit_adjusted", "fit_raw_to_limit")

    @staticmethod
    def ensemble_fits(f):
        """The summary fields from the per-run fields ``f`` (a mapping of field names): over converged
        networks, the log-log fit against the width of ``error_to_spline`` of the adjusted runs
        (``fit_adjusted``) and of ``error_to_raw_limit`` of the raw runs (``fit_raw_to_limit``)."""
        width, adj, ok = f["width"], f["adjusted"], f["outcome"] == "success"
        return {"fit_adjusted": loglog_fit_or_none(width[adj & ok], f["error_to_spline"][adj & ok]),
                "fit_raw_to_limit": loglog_fit_or_none(width[~adj & ok], f["error_to_raw_limit"][~adj & ok])}

    @classmethod
    def merge_summaries(cls, shards, runs):
        """The fits of the merged runs (:meth:`ensemble_fits`, the experiment's own recipe)."""
        return cls.ensemble_fits(runs)

    def summary(self):
        """Median distances per (adjusted, width) and the number of networks."""
        t = self.table()
        return t.groupby(["adjusted", "width"]).agg(networks=("seed", "size"),
                                                    error_to_spline=("error_to_spline", "median"),
                                                    error_to_raw_limit=("error_to_raw_limit", "median"))


@experiment("jin2023.adjustment_effect", figure=adjustment_figure, presets={
    "smoke": {"seeds": (0, 1), "widths": (40, 160), "L_eval": 4.0},
    "book": {"seeds": (0, 1, 2, 3), "widths": (40, 160, 640), "L_eval": 4.0},
    "paper": {"seeds": (0, 1, 2, 3, 4), "widths": (40, 160, 640, 2560, 10240), "L_eval": 4.0}})
def adjustment_effect(*, seeds, widths, L_eval):
    """Binary-uniform networks trained on raw and on adjusted data (same initializations), compared on [-L, L]."""
    from ibtheory.dynamics import Problem, asi_gradient_descent
    from ibtheory.models import TwoLayerReLU, relu_init
    from ibtheory.solvers import kernel_interpolant

    dist, ws, bs = ADJUSTMENT_INIT
    t = np.linspace(-L_eval, L_eval, 801)
    g, u, v = predicted_limit(DATA_X, DATA_Y, dist, ws, bs)
    raw_limit = kernel_interpolant(DATA_X, DATA_Y, init_kernel(dist, ws, bs))(t)
    P = [relu_init(TwoLayerReLU(1, 2 * n), dist, ws, bs, seed=s) for n in widths for s in seeds]
    rows, B = [], len(P)
    # one call: the networks on the adjusted labels, then the same networks on the raw labels
    run = asi_gradient_descent(Problem(DATA_X[:, None], DATA_Y, loss="mean"), P + P, output_lr_scale=0.5, tol=1e-9,
                               labels=np.array([DATA_Y - u * DATA_X - v] * B + [DATA_Y] * B), max_steps=200_000,
                               polish=True, polish_steps=50)
    for j, adjusted in enumerate((True, False)):
        for k, (n, s) in enumerate((n, s) for n in widths for s in seeds):
            f = run(j * B + k, t[:, None])
            back = u * t + v if adjusted else 0.0
            rows.append((n, s, adjusted, str(run.status[j * B + k]), run.loss[j * B + k],
                         np.max(np.abs(f + back - g(t))), np.max(np.abs(f - raw_limit))))
    c = [np.array(x) for x in zip(*rows)]
    runs = dict(width=c[0], seed=c[1], adjusted=c[2].astype(bool), outcome=c[3], final_loss=c[4].astype(float),
                error_to_spline=c[5].astype(float), error_to_raw_limit=c[6].astype(float))
    return AdjustmentReport(
        **runs, **AdjustmentReport.ensemble_fits(runs),
        limit_gap=float(np.max(np.abs(raw_limit - g(t)))),
        limit_gap_inside=float(np.max(np.abs(raw_limit - g(t))[(t >= DATA_X.min()) & (t <= DATA_X.max())])),
        L_eval=float(L_eval), u=float(u), v=float(v))
