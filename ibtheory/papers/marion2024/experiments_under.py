r"""The authors' underdetermined experiment (``n = 15``, ``d = 20``, ``L = 5``, Gaussian init; issue 16).

With :math:`n < d` every interpolator is a minimizer. The lower bound of the chapter only
involves :math:`\Sigma^{1/2}\beta`, which is the same for every interpolator, so the certified
:math:`\inf S` of :func:`ibtheory.solvers.sharpness_infimum` at the minimum-norm interpolator is
the infimum over all interpolating networks, and :math:`\eta_c = 2/\inf S` is again the
step size above which GD cannot converge. Per run: the outcome, the sharpness, and the train
and test losses (the authors relate the generalization gap to the sharpness).

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Report
from ..._validation import check_int
from .._experiment import experiment
from . import closed_forms as cf
from .data import gaussian_layers, make_underdetermined_data
from .experiments import child_rng
from .experiments_gd import _key, classify, repeat_keys

__all__ = ["UnderdeterminedReport", "underdetermined_sweep"]


@dataclasses.dataclass(frozen=True)
class UnderdeterminedReport(Report):
    """Per run: step size, scale, outcome, sharpness, train/test loss and generalization gap."""

    seed: np.ndarray
    repeat: np.ndarray
    lr: np.ndarray
    scale: np.ndarray
    outcome: np.ndarray
    excess: np.ndarray
    sharpness: np.ndarray
    sharp_converged: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    gap: np.ndarray
    s_inf: float
    s_lower: float
    s_upper: float
    depth: int
    n: int
    d: int


def _figure(rep):
    from .figures import new_figure, palette, style

    fig, axs = new_figure(rep, UnderdeterminedReport, 2)
    conv = rep.outcome == "converged"
    lrs = np.unique(rep.lr)
    for lr, c in zip(lrs, palette(lrs.size, top=0.8)):
        m = conv & (rep.lr == lr)
        axs[0].plot(rep.scale[m], rep.sharpness[m], "o", ms=3, color=c, label=f"lr={lr:g}")
        axs[0].axhline(2 / lr, color=c, ls="--", lw=0.8)
        axs[1].loglog(rep.sharpness[m], np.abs(rep.gap[m]), "o", ms=3, color=c, label=f"lr={lr:g}")
    axs[0].axhline(rep.s_inf, color="k", ls=":", label=r"$\inf S$")
    axs[0].axhline(rep.s_upper, color="k", ls="-.", label=r"$8L\Lambda$")
    style(axs[0], "initialization scale", "sharpness after training (converged runs)", ylog=True)
    style(axs[1], "sharpness after training", "|test loss - train loss|")
    fig.tight_layout()
    return fig


@experiment("marion2024.underdetermined_sweep", figure=_figure, presets={
    "smoke": {"seeds": (0,), "lrs": (0.01,), "steps": (300,), "scales": (0.2, 0.3), "depth": 5, "data_seed": 0,
              "sharp_iters": 300, "repeats": None},
    "book": {"seeds": (0,), "lrs": (0.004, 0.01), "steps": (10_000, 4_000),
             "scales": tuple(float(v) for v in np.linspace(0.1, 0.36, 9)), "depth": 5, "data_seed": 0,
             "sharp_iters": 2000, "repeats": None},
    "paper": {"seeds": tuple(range(20)), "lrs": (0.001, 0.004, 0.01), "steps": (40_000, 10_000, 4_000),
              "repeats": (5, 1, 1), "scales": tuple(float(v) for v in np.linspace(0.1, 0.36, 9)), "depth": 5,
              "data_seed": 0, "sharp_iters": 3000},
})
def underdetermined_sweep(*, seeds, lrs, steps, scales, depth, data_seed, sharp_iters, repeats):
    r"""GD from the authors' Gaussian init on the underdetermined instance (module docstring).

    Step size ``lrs[i]`` runs ``steps[i]`` steps from ``repeats[i]`` initializations per seed and
    scale (:func:`repeat_keys`; ``None``: one); the ``paper`` preset has the authors' 100
    repetitions for the smallest step size and 20 for the others (38.5 M run-steps).

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import underdetermined_sweep
    >>> rep = underdetermined_sweep("smoke")
    >>> rep.n, rep.d, rep.table().shape[0]
    (15, 20, 2)
    """
    from ...dynamics import chain_gd, chain_sharpness

    if len(lrs) != len(steps):
        raise ValueError(f"lrs and steps must have the same length, got {len(lrs)} and {len(steps)}")
    depth = check_int(depth, "depth", minimum=2)
    D = make_underdetermined_data(seed=data_seed)
    e0 = float(D.pi_star @ D.Sigma @ D.pi_star)
    s_inf = cf.minimal_sharpness(depth, D)
    steps = [check_int(st, "steps entry", minimum=2) for st in steps]
    keys = repeat_keys(repeats, lrs)
    runs = [(s, i, rep, k) for s in seeds for i in range(len(lrs)) for rep in keys[i] for k in range(len(scales))]
    sc = np.array([scales[k] for *_, k in runs])
    lr = np.array([lrs[i] for _, i, _, _ in runs])
    Q, u = gaussian_layers(D.d, depth, sc, [child_rng(s, *_key(i, k, rep)) for s, i, rep, k in runs])
    r = chain_gd(Q, u, D.Sigma, D.c, lr, np.array([steps[i] for _, i, _, _ in runs]), y_sq=D.y_sq,
                 reference=D.pi_star)
    out = classify(r, e0)
    lam, ok = np.full(len(runs), np.nan), np.zeros(len(runs), dtype=bool)
    live = ~r.diverged
    if np.any(live):
        sh = chain_sharpness(r.layers[live], r.head[live], D.X, D.y, iters=sharp_iters)
        lam[live], ok[live] = sh.sharpness, sh.converged
    with np.errstate(invalid="ignore"):
        test = np.where(r.diverged, np.nan, np.mean((D.X_test @ r.beta.T - D.y_test[:, None]) ** 2, axis=0))
    rows = [(s, rep, lr[b], sc[b], out[b], r.excess[b] / e0, lam[b], ok[b], r.loss[b], test[b], test[b] - r.loss[b])
            for b, (s, _, rep, _) in enumerate(runs)]
    c = [np.array(v) for v in zip(*rows)]
    return UnderdeterminedReport(seed=c[0], repeat=c[1], lr=c[2], scale=c[3], outcome=c[4], excess=c[5],
                                 sharpness=c[6], sharp_converged=c[7].astype(bool), train_loss=c[8], test_loss=c[9],
                                 gap=c[10],
                                 s_inf=s_inf, s_lower=cf.sharpness_lower_bound(depth, D.a, D.pi_norm),
                                 s_upper=cf.sharpness_upper_bound(depth, D.Lam, D.pi_norm), depth=depth, n=D.n, d=D.d)
