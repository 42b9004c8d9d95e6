r"""Real (nonlinear) networks against their linearization and against output-only training.

Two statements of Jin & Montufar's proof, measured on trained networks rather than on the
linearized model alone:

* Lee et al. (2019, Thm H.1): :math:`\sup_t|f^{\rm lin}(x,\omega_t)-f(x,\theta_t)|=O(n^{-1/2})`, the
  network trained on all parameters against its linearization at :math:`\theta_0` trained the same way;
* eq. (12), carried to the network: training all parameters against training only the output layer,
  with the same step. For the network the gap splits as
  :math:`f(\theta_t)-f^{\rm out}_t=[f(\theta_t)-f^{\rm lin}(\omega_t)]+[f^{\rm lin}(\omega_t)-f^{\rm lin}(\tilde\omega_t)]`,
  :math:`O(n^{-1/2})+O(n^{-1})` by the two results; the paper uses :math:`O(n^{-1})` for the second.

Training only the output layer of the *network* is exactly linear in the trained parameters, so its
path is the closed form :math:`f^{\rm out}_t(x)=\Theta_o(x,X)\Theta_o^{-1}(I-(I-\tfrac{2\eta}M\Theta_o)^t)y`
with the output-layer tangent kernel :math:`\Theta_o`; the linearized all-parameter path is the same
formula with the full tangent kernel :math:`\Theta` (both with the step :math:`\eta` of the network's
run). The network's path comes from :func:`ibtheory.dynamics.asi_gradient_descent` stopped at each
checkpoint (and run to convergence, with its Gauss-Newton tail, for :math:`t=\infty`). The sup over
time is taken over the checkpoints: a lower bound of the theorem's sup, so a decay *slower* than the
bound would contradict it (the one-sided test).

See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Report
from ..._validation import as_real_array, check_positive
from ...stats import loglog_fit_or_none
from .._experiment import experiment
from .closed_forms import DATA_X, DATA_Y, INITS
from .figures_general import network_gap_figure

__all__ = ["RATE_LEE", "NetworkGapReport", "network_gap_rate", "kernel_path"]

_NOT_IN_TABLE = {"table": False}
#: Lee et al.'s rate for the distance between a network and its linearization, O(n^-1/2).
RATE_LEE = -0.5


def kernel_path(J, G, y, eta, steps):
    r"""Outputs on the evaluation points of gradient descent on the linear model with Jacobians ``J`` (data)
    and ``G`` (evaluation points), from :math:`f\equiv0`, after each of ``steps`` (``np.inf`` = the limit).

    :math:`f_t=G J^\top K^{-1}(I-(I-\tfrac{2\eta}MK)^t)y` with :math:`K=JJ^\top` (mean squared error),
    evaluated in :math:`K`'s eigenbasis.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.jin2023.network_gap import kernel_path
    >>> J = np.eye(2); out = kernel_path(J, J, np.array([1.0, 2.0]), 0.5, [1, np.inf])
    >>> out   # M = 2, step 1/2: each residual mode contracts by 1/2 per step
    array([[0.5, 1. ],
           [1. , 2. ]])
    """
    J, G, y = as_real_array(J, "J"), as_real_array(G, "G"), as_real_array(y, "y")
    if J.ndim != 2 or G.ndim != 2 or G.shape[1] != J.shape[1] or y.shape != (J.shape[0],) or J.shape[0] == 0:
        raise ValueError(f"J must be (M, p), G (N, p) and y (M,) with M >= 1; got {J.shape}, {G.shape}, {y.shape}")
    eta = check_positive(eta, "eta")
    try:
        steps = np.asarray(steps, float)
    except (TypeError, ValueError):
        raise TypeError(f"steps must be a 1-D sequence of step counts (np.inf for the limit), got {steps!r}") from None
    if steps.ndim != 1 or np.any(np.isnan(steps)) or np.any(steps < 0):
        raise ValueError(f"steps must be a 1-D sequence of step counts >= 0 (np.inf for the limit), got {steps!r}")
    M = J.shape[0]
    lam, U = np.linalg.eigh(J @ J.T)
    if not lam[0] > 0:
        raise ValueError("the tangent kernel is singular on the data: the linear model cannot interpolate")
    with np.errstate(over="ignore"):
        decay = np.where(np.isinf(steps)[:, None], 0.0, (1 - 2 * eta / M * lam)[None, :] ** np.where(
            np.isinf(steps), 0.0, steps)[:, None])
    return ((1 - decay) * (U.T @ y)) @ ((G @ J.T @ U) / lam).T


@dataclasses.dataclass(frozen=True)
class NetworkGapReport(Report):
    r"""Per network (anti-symmetric init, width n = base neurons): the sup over checkpoints and inputs of

    ``gap`` :math:`|f(\theta_t)-f^{\rm out}_t|` (all parameters vs output layer only, the network),
    ``lin_distance`` :math:`|f(\theta_t)-f^{\rm lin}(\omega_t)|` (network vs linearization, Lee et al.),
    ``lin_gap`` :math:`|f^{\rm lin}(\omega_t)-f^{\rm out}_t|` (the linearized theorem (12));
    ``final_loss`` at :math:`t=\infty`, ``nit`` its gradient steps. ``fits`` maps each quantity to its
    ensemble :class:`~ibtheory.stats.RateFit` against n over converged networks.
    """

    width: np.ndarray
    seed: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    nit: np.ndarray
    gap: np.ndarray
    lin_distance: np.ndarray
    lin_gap: np.ndarray
    fits: dict = dataclasses.field(metadata=_NOT_IN_TABLE)
    checkpoints: tuple = ()
    init: str = ""
    seconds: float = 0.0

    #: ensemble fits over the runs: recomputed from the merged runs when seed shards are merged
    summary_fields = ("fits",)

    @staticmethod
    def ensemble_fits(f):
        """``{"fits": ...}`` from the per-run fields ``f`` (a mapping of field names): the log-log fit of
        ``gap``, ``lin_distance`` and ``lin_gap`` against the width over converged, interpolating
        (MSE < 1e-16) networks."""
        ok = (f["outcome"] == "success") & (f["final_loss"] < 1e-16)
        return {"fits": {name: loglog_fit_or_none(f["width"][ok], f[name][ok]) for name in ("gap", "lin_distance", "lin_gap")}}

    @classmethod
    def merge_summaries(cls, shards, runs):
        """The fits of the merged runs (:meth:`ensemble_fits`, the experiment's own recipe)."""
        return cls.ensemble_fits(runs)

    def summary(self):
        """Median of each quantity per width, with the final losses."""
        return self.table().groupby("width").agg(
            networks=("seed", "size"), max_final_MSE=("final_loss", "max"), gap=("gap", "median"),
            lin_distance=("lin_distance", "median"), lin_gap=("lin_gap", "median"))


@experiment("jin2023.network_gap_rate", figure=network_gap_figure, presets={
    "smoke": {"seeds": (0, 1), "init": "U(-1,1) x U(-2,2)", "widths": (40, 160), "n_eval": 51,
              "checkpoints": (10, 100), "max_steps": 100_000},
    "book": {"seeds": (0, 1, 2, 3), "init": "U(-1,1) x U(-2,2)", "widths": (80, 160, 320, 640, 1280),
             "n_eval": 201, "checkpoints": (3, 30, 300, 3000), "max_steps": 200_000},
    "paper": {"seeds": (0, 1, 2, 3, 4), "init": "U(-1,1) x U(-2,2)",
              "widths": (80, 160, 320, 640, 1280, 2560, 5120, 10240), "n_eval": 401,
              "checkpoints": (1, 3, 10, 30, 100, 300, 1000, 3000, 10000), "max_steps": 1_000_000}})
def network_gap_rate(*, seeds, init, widths, n_eval, checkpoints, max_steps):
    r"""Network vs linearization vs output-only training along gradient descent, per width and seed.

    Paper's data and labels, anti-symmetric initialization (:math:`f_0\equiv0`) of ``init`` with
    ``2n`` ReLUs, mean squared error, the paper's parametrization (output weights with half the
    step), step :math:`M/(2\lambda_{\max})` of the full tangent kernel at initialization for all three runs.
    """
    import time

    from ibtheory.dynamics import Problem, asi_gradient_descent, relu_jacobian
    from ibtheory.models import TwoLayerReLU, relu_init

    if init not in INITS:
        raise ValueError(f"init must be one of {tuple(INITS)}, got {init!r}")
    dist, ws, bs = INITS[init]
    t = np.linspace(DATA_X.min(), DATA_X.max(), n_eval)
    t0 = time.perf_counter()
    prob = Problem(DATA_X[:, None], DATA_Y, loss="mean")
    keys = [(n, s) for n in widths for s in seeds]
    P = [relu_init(TwoLayerReLU(1, 2 * n), dist, ws, bs, seed=s) for n, s in keys]
    kw = dict(output_lr_scale=0.5)
    # the network at each checkpoint (no stopping rule: exactly T steps), then at convergence
    paths = [asi_gradient_descent(prob, P, stop="residual", tol=1e-300, max_steps=int(T), **kw)
             for T in checkpoints]
    end = asi_gradient_descent(prob, P, tol=1e-9, max_steps=max_steps, polish=True, polish_points=t[:, None],
                               polish_steps=50, **kw)
    steps = list(checkpoints) + [np.inf]
    rows = []
    for k, (n, s) in enumerate(keys):
        net = np.array([run(k, t[:, None]) for run in paths] + [end(k, t[:, None])])
        eta = float(end.lr[k])
        lin = kernel_path(relu_jacobian(P[k], prob.X, 0.5), relu_jacobian(P[k], t[:, None], 0.5), DATA_Y, eta, steps)
        out = kernel_path(relu_jacobian(P[k], prob.X, 0.5, train="output"),
                          relu_jacobian(P[k], t[:, None], 0.5, train="output"), DATA_Y, eta, steps)
        rows.append((n, s, str(end.status[k]), end.loss[k], end.nit[k], np.max(np.abs(net - out)),
                     np.max(np.abs(net - lin)), np.max(np.abs(lin - out))))
    c = [np.array(col) for col in zip(*rows)]
    runs = dict(width=c[0].astype(int), seed=c[1].astype(int), outcome=c[2], final_loss=c[3].astype(float),
                nit=c[4].astype(int), gap=c[5].astype(float), lin_distance=c[6].astype(float),
                lin_gap=c[7].astype(float))
    return NetworkGapReport(**runs, **NetworkGapReport.ensemble_fits(runs),
                            checkpoints=tuple(int(T) for T in checkpoints), init=init,
                            seconds=time.perf_counter() - t0)
