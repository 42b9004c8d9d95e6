r"""Gradient-descent experiments of Marion & Chizat (2024): the critical step size and the
sharpness after training, on the authors' Gaussian and residual initializations.

Every run ends in one of the outcomes :data:`OUTCOMES` (classified by :func:`classify`):
``converged`` (excess risk below ``conv_tol`` relative to :math:`R(0)-R_{\min}` at
:math:`\beta = 0`), ``period_2`` (the last step is large but :math:`\theta_T = \theta_{T-2}`
to ``p2_tol``), ``diverged``, ``still_descending`` (the loss still decreases over two steps)
or ``other``. Reports keep every run.

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Report
from ..._validation import as_real_array, check_int, check_positive
from .._experiment import experiment
from . import closed_forms as cf
from .data import gaussian_layers, make_data, residual_layers
from .figures import figure_lr_vs_depth, figure_outcomes, figure_sweep
from .experiments import OUTCOMES, child_rng, child_seed

__all__ = ["classify", "independent_runs", "repeat_keys", "EdgeOfStabilityReport", "edge_of_stability", "lr_vs_depth", "SweepReport",
           "sharpness_vs_scale", "residual_sharpness_vs_scale", "residual_flatness", "CONV_TOL", "P2_TOL", "STABILITY_MARGIN"]

#: relative excess risk below which a run counts as converged
CONV_TOL = 1e-8
#: a run is on a period-2 orbit when |theta_T - theta_{T-2}| <= P2_TOL |theta_T - theta_{T-1}|
P2_TOL = 1e-6
#: runs with lr >= STABILITY_MARGIN * eta_c are "above the threshold" (keeps grid points on it out)
STABILITY_MARGIN = 1.05


def classify(res, excess0, conv_tol=CONV_TOL, p2_tol=P2_TOL):
    """Outcome of each run of a :class:`ibtheory.dynamics.ChainGDResult` (see :data:`OUTCOMES`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.dynamics import chain_gd
    >>> from ibtheory.papers.marion2024 import classify
    >>> Sig, c = np.array([[1.0]]), np.array([1.0])
    >>> r = chain_gd(np.ones((3, 1, 1, 1)), np.ones((3, 1)) * 1.01, Sig, c, [0.1, 0.55, 2.0], 4000,
    ...              y_sq=1.0, reference=np.ones(1))
    >>> classify(r, 1.0).tolist()
    ['converged', 'period_2', 'diverged']
    """
    from ...dynamics import ChainGDResult

    if not isinstance(res, ChainGDResult):
        raise TypeError(f"res must be a ChainGDResult (from ibtheory.dynamics.chain_gd), got {type(res).__name__}")
    B = np.shape(res.diverged)
    excess0 = as_real_array(excess0, "excess0")
    if excess0.shape not in ((), B) or np.any(excess0 <= 0):
        raise ValueError(f"excess0 must be a positive number or an array of {B[0] if B else 1} positive numbers "
                         f"(R(0) - R_min per run), got shape {excess0.shape}")
    conv_tol, p2_tol = check_positive(conv_tol, "conv_tol"), check_positive(p2_tol, "p2_tol")
    rel = np.asarray(res.excess) / excess0
    div = np.asarray(res.diverged)
    conv = ~div & (rel < conv_tol)
    p2 = ~div & ~conv & (res.step2 <= p2_tol * res.step1) & (res.step1 > 0)
    t = res.tail_loss
    desc = ~div & ~conv & ~p2 & (t[:, 3] < t[:, 1]) & (t[:, 2] < t[:, 0])
    out = np.full(div.shape, "other", dtype="<U16")
    for name, m in (("converged", conv), ("period_2", p2), ("diverged", div), ("still_descending", desc)):
        out[m] = name
    assert set(out.tolist()) <= set(OUTCOMES)
    return out


@dataclasses.dataclass(frozen=True)
class EdgeOfStabilityReport(Report):
    """Per run: data kind, depth, step size (absolute and relative to the thresholds), outcome."""

    seed: np.ndarray
    pi_norm: np.ndarray
    spread: np.ndarray
    depth: np.ndarray
    lr: np.ndarray
    lr_factor: np.ndarray
    eta_c: np.ndarray
    eta_lower: np.ndarray
    eta_printed: np.ndarray
    outcome: np.ndarray
    excess: np.ndarray
    distance: np.ndarray
    final_loss: np.ndarray
    n_steps: int
    scale: float
    n: int
    d: int


def _residual_runs(datas, depth_of_run, lrs, scale, n_steps, rngs):
    """Batched residual-init GD, one chain_gd call per depth; returns per-run arrays in input order."""
    from ...dynamics import chain_gd

    B = len(datas)
    d = datas[0].d
    outcome = np.empty(B, dtype="<U16")
    excess, dist, loss = np.empty(B), np.empty(B), np.empty(B)
    for L in sorted(set(depth_of_run)):
        idx = [i for i in range(B) if depth_of_run[i] == L]
        Q = residual_layers(d, L, scale, [rngs[i] for i in idx])
        w = np.stack([rngs[i].standard_normal(d) for i in idx])
        w /= np.linalg.norm(w, axis=1, keepdims=True)
        Sig = np.stack([datas[i].Sigma for i in idx])
        c = np.stack([datas[i].c for i in idx])
        pi = np.stack([datas[i].pi_star for i in idx])
        r = chain_gd(Q, w, Sig, c, np.asarray(lrs)[idx], n_steps, y_sq=np.array([datas[i].y_sq for i in idx]),
                     reference=pi, train_head=False)
        e0 = np.einsum("bi,bij,bj->b", pi, Sig, pi)
        outcome[idx] = classify(r, e0)
        excess[idx] = r.excess / e0
        dist[idx] = np.where(r.diverged, np.nan, np.mean((r.beta - pi) ** 2, axis=1))
        loss[idx] = r.loss
    return outcome, excess, dist, loss


@experiment("marion2024.edge_of_stability", figure=figure_outcomes, presets={
    "smoke": {"seeds": (0,), "depths": (5,), "lr_factors": (0.5, 2.0), "data_kinds": ((1.0, 1.0),),
              "n_steps": 300, "scale": 0.25, "n": 50, "d": 5},
    "book": {"seeds": (0, 1), "depths": (5, 10, 20),
             "lr_factors": (0.5, 0.8, 0.95, 1.05, 1.1, 1.2, 1.5, 2.0, 3.0),
             "data_kinds": ((1.0, 1.0), (0.5, 1.0), (2.0, 1.0), (1.0, 4.0), (0.5, 8.0)),
             "n_steps": 2000, "scale": 0.25, "n": 50, "d": 5},
    "paper": {"seeds": tuple(range(20)), "depths": (5, 10, 20, 40),
              "lr_factors": (0.5, 0.8, 0.9, 0.95, 1.05, 1.1, 1.2, 1.5, 2.0, 3.0),
              "data_kinds": ((1.0, 1.0), (0.5, 1.0), (2.0, 1.0), (1.0, 4.0), (2.0, 4.0), (0.5, 8.0)),
              "n_steps": 20000, "scale": 0.25, "n": 50, "d": 5},
})
def edge_of_stability(*, seeds, depths, lr_factors, data_kinds, n_steps, scale, n, d):
    r"""GD from the residual init at step sizes ``lr_factors`` times the true :math:`\eta_c = 2/\inf S`.

    Each seed and data kind ``(pi_norm, spread)`` draws one instance (:func:`make_data`); each
    (depth, factor) one residual initialization :math:`I + \frac{s}{\sqrt{Ld}}\mathcal N(0,1)` and a unit
    fixed projection. Besides :math:`\eta_c` the report holds the step size of the lower bound
    :math:`2/(2La\|\pi^\star\|^{2-2/L})` (``eta_lower``) and of the slides' :math:`2La\|\pi^\star\|^2`
    (``eta_printed``), so runs between the true and an overstated threshold can be counted.

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import edge_of_stability
    >>> edge_of_stability("smoke").outcome.tolist()
    ['converged', 'diverged']
    """
    n_steps = check_int(n_steps, "n_steps", minimum=2)
    datas, depth, lrs, fac, rngs, meta = [], [], [], [], [], []
    for s in seeds:
        for j, (P, spread) in enumerate(data_kinds):
            D = make_data(n=n, d=d, seed=child_seed(s, 0, j), pi_norm=P, spread=spread)
            for L in depths:
                L = check_int(L, "depths entry", minimum=2)
                eta = cf.critical_lr(L, D)
                for i, f in enumerate(lr_factors):
                    datas.append(D)
                    depth.append(L)
                    lrs.append(f * eta)
                    fac.append(f)
                    rngs.append(child_rng(s, 1, j, L, i))
                    meta.append((s, P, spread, eta, cf.lower_bound_lr(L, D), cf.printed_critical_lr(L, D.a, D.pi_norm)))
    outcome, excess, dist, loss = _residual_runs(datas, depth, lrs, scale, n_steps, rngs)
    m = [np.array(v) for v in zip(*meta)]
    return EdgeOfStabilityReport(seed=m[0], pi_norm=m[1], spread=m[2], depth=np.array(depth), lr=np.array(lrs),
                                 lr_factor=np.array(fac), eta_c=m[3], eta_lower=m[4], eta_printed=m[5],
                                 outcome=outcome, excess=excess, distance=dist, final_loss=loss,
                                 n_steps=n_steps, scale=float(scale), n=n, d=d)


@experiment("marion2024.lr_vs_depth", figure=figure_lr_vs_depth, presets={
    "smoke": {"seeds": (0,), "depths": (5,), "lrs": (0.01, 0.5), "n_steps": 200, "scale": 0.25, "data_seed": 0},
    "book": {"seeds": (0, 1), "depths": (5, 10, 20, 40), "lrs": tuple(np.logspace(-2, -0.3, 25)), "n_steps": 1000,
             "scale": 0.25, "data_seed": 0},
    "paper": {"seeds": tuple(range(50)), "depths": (5, 10, 20, 40), "lrs": tuple(np.logspace(-2, -0.3, 25)),
              "n_steps": 1000, "scale": 0.25, "data_seed": 0},
})
def lr_vs_depth(*, seeds, depths, lrs, n_steps, scale, data_seed):
    r"""The authors' learning-rate-versus-depth experiment (residual init, :math:`\|\pi^\star\| = 1`, ``n=50, d=5``).

    One data set (``data_seed``); per seed, depth and step size one residual initialization
    and unit projection. Same report as :func:`edge_of_stability` (``lr_factor = lr/eta_c``).

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import lr_vs_depth
    >>> lr_vs_depth("smoke").outcome.tolist()
    ['still_descending', 'diverged']
    """
    D = make_data(n=50, d=5, seed=data_seed)
    datas, depth, lr, rngs = [], [], [], []
    for s in seeds:
        for L in depths:
            for i, eta in enumerate(lrs):
                datas.append(D)
                depth.append(check_int(L, "depths entry", minimum=2))
                lr.append(float(eta))
                rngs.append(child_rng(s, L, i))
    outcome, excess, dist, loss = _residual_runs(datas, depth, lr, scale, n_steps, rngs)
    depth, lr = np.array(depth), np.array(lr)
    eta_c = {L: cf.critical_lr(L, D) for L in set(depth.tolist())}
    ec = np.array([eta_c[L] for L in depth])
    B = depth.size
    return EdgeOfStabilityReport(
        seed=np.repeat(np.asarray(seeds), len(depths) * len(lrs)), pi_norm=np.full(B, D.pi_norm), spread=np.ones(B),
        depth=depth, lr=lr, lr_factor=lr / ec, eta_c=ec,
        eta_lower=np.array([cf.lower_bound_lr(L, D) for L in depth]),
        eta_printed=np.array([cf.printed_critical_lr(L, D.a, D.pi_norm) for L in depth]),
        outcome=outcome, excess=excess, distance=dist, final_loss=loss, n_steps=n_steps, scale=float(scale), n=50, d=5)


@dataclasses.dataclass(frozen=True)
class SweepReport(Report):
    """Per run of a sharpness sweep: step size, init scale, outcome, excess risk, distance, sharpness.

    ``repeat`` numbers the initializations of one seed at one grid point (:func:`repeat_keys`).
    """

    seed: np.ndarray
    repeat: np.ndarray
    pi_norm: np.ndarray
    spread: np.ndarray
    lr: np.ndarray
    scale: np.ndarray
    outcome: np.ndarray
    excess: np.ndarray
    distance: np.ndarray
    final_loss: np.ndarray
    sharpness: np.ndarray
    sharp_converged: np.ndarray
    s_inf: np.ndarray
    s_lower: np.ndarray
    ratio_hi: np.ndarray
    init: str
    depth: int
    s_upper: float
    n: int
    d: int


def independent_runs(rep):
    """Mask of the runs of a :class:`SweepReport` that are independent draws (for counts and intervals).

    A residual init at scale 0 is the identity whatever the seed (the projection and the data come from
    ``data_seed``), so its runs repeat one deterministic run: only the first seed of each (data, step
    size) is kept. Every other run is kept.

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import independent_runs, residual_flatness
    >>> rep = residual_flatness("smoke", seeds=(0, 1))
    >>> rep.scale.tolist(), independent_runs(rep).tolist()
    ([0.0, 0.5, 0.0, 0.5], [True, True, False, True])
    """
    if not isinstance(rep, SweepReport):
        raise TypeError(f"rep must be a SweepReport, got {type(rep).__name__}")
    keep = np.ones(rep.seed.size, dtype=bool)
    if rep.init == "residual":
        zero = np.flatnonzero(rep.scale == 0)
        key = np.stack([rep.pi_norm[zero], rep.spread[zero], rep.lr[zero]], axis=1)
        _, first = np.unique(key, axis=0, return_index=True)
        keep[zero] = False
        keep[zero[first]] = True
    return keep


def repeat_keys(repeats, lrs):
    """Per step size, the repetition indices of each seed: ``range(repeats[i])`` (``None``: one per seed).

    Step size ``i`` runs ``repeats[i]`` independent initializations per seed, repetition ``r``
    drawn from the child of ``SeedSequence(seed)`` keyed by the grid point and ``r`` (``r = 0``
    keeps the key of a single repetition), so a run depends on its own seed alone (shards of the
    seeds give the same runs).

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import repeat_keys
    >>> [list(r) for r in repeat_keys((1, 4), (0.1, 0.2))]
    [[0], [0, 1, 2, 3]]
    """
    if repeats is None:
        return [range(1)] * len(lrs)
    if len(repeats) != len(lrs):
        raise ValueError(f"repeats must hold one count per step size ({len(lrs)}), got {len(repeats)}")
    return [range(check_int(r, "repeats entry", minimum=1)) for r in repeats]


def _key(*key_and_repeat):
    """The child key of a run: the grid point, plus the repetition index when it is not 0."""
    *key, r = key_and_repeat
    return tuple(key) + ((r,) if r else ())


def _sweep(data_of, kinds, init, depth, lrs, steps, repeats, scales, seeds, sharp_iters, data_seed):
    """Runs (seed, kind, lr index, repetition, scale index), one batched call per data kind (per-run budgets).

    Step size ``i`` runs ``len(repeats[i])`` initializations per seed (see :func:`repeat_keys`).
    """
    from ...dynamics import chain_gd, chain_sharpness

    rows = []
    for j, D in enumerate(kinds):
        d = D.d
        w = child_rng(data_seed, 7, j).standard_normal(d) if init == "residual" else None
        if w is not None:
            w /= np.linalg.norm(w)
        e0 = float(D.pi_star @ D.Sigma @ D.pi_star)
        s_inf, s_low = cf.minimal_sharpness(depth, D), cf.sharpness_lower_bound(depth, D.a, D.pi_norm)
        runs = [(s, i, r, k) for s in seeds for i in range(len(lrs)) for r in repeats[i] for k in range(len(scales))]
        rngs = [child_rng(s, *_key(j, i, k, r)) for s, i, r, k in runs]
        sc = np.array([scales[k] for *_, k in runs])
        lr = np.array([lrs[i] for _, i, _, _ in runs])
        st = np.array([steps[i] for _, i, _, _ in runs])
        if init == "gaussian":
            Q, u = gaussian_layers(d, depth, sc, rngs)
            r = chain_gd(Q, u, D.Sigma, D.c, lr, st, y_sq=D.y_sq, reference=D.pi_star)
        else:
            Q = residual_layers(d, depth, sc, rngs)
            r = chain_gd(Q, w, D.Sigma, D.c, lr, st, y_sq=D.y_sq, reference=D.pi_star, train_head=False)
        out = classify(r, e0)
        lam, ok = np.full(len(runs), np.nan), np.zeros(len(runs), dtype=bool)
        live = ~r.diverged
        if sharp_iters and np.any(live):
            sh = chain_sharpness(r.layers[live], r.head[live] if init == "gaussian" else w, D.X, D.y,
                                 train_head=init == "gaussian", iters=sharp_iters)
            lam[live], ok[live] = sh.sharpness, sh.converged
        dist = np.where(r.diverged, np.nan, np.mean((r.beta - D.pi_star) ** 2, axis=1))
        for b, (s, _, rep, _) in enumerate(runs):
            rows.append((s, D.pi_norm, data_of[j][1], lr[b], sc[b], out[b], r.excess[b] / e0, dist[b], r.loss[b],
                         lam[b], ok[b], s_inf, s_low, 4 * D.Lam / D.lam, rep))
    return [np.array(v) for v in zip(*rows)]


def _sweep_report(cols, init, depth, D):
    return SweepReport(seed=cols[0], repeat=cols[14], pi_norm=cols[1], spread=cols[2], lr=cols[3], scale=cols[4], outcome=cols[5],
                       excess=cols[6], distance=cols[7], final_loss=cols[8], sharpness=cols[9],
                       sharp_converged=cols[10].astype(bool), s_inf=cols[11], s_lower=cols[12], ratio_hi=cols[13],
                       init=init, depth=depth, s_upper=cf.sharpness_upper_bound(depth, D.Lam, D.pi_norm), n=D.n, d=D.d)


_SCALES_G = tuple(float(v) for v in np.linspace(0.25, 0.6, 10))
_SCALES_R = tuple(float(v) for v in np.linspace(0.0, 1.7, 10))


def _sharpness_vs_scale(*, seeds, init, lrs, steps, scales, depth, data_seed, sharp_iters, repeats):
    r"""The authors' sweep: sharpness after GD versus initialization scale, per step size (``n=50, d=5``).

    ``init`` is ``"gaussian"`` (``init_mlp``: trainable head) or ``"residual"`` (``init_resnet``:
    fixed unit projection drawn from ``data_seed``). One run per (seed, step size, scale); the
    sharpness of every run that did not diverge is a converged power iteration on exact HVPs
    (the authors take 20 iterations). Step size ``lrs[i]`` runs ``steps[i]`` steps from
    ``repeats[i]`` initializations per seed (``None``: one); the ``paper`` preset of the Gaussian
    sweep is the authors' experiment A: 20 seeds, 4 repetitions for the largest step, so 20
    repetitions per step size and 80 for 0.2 (13.2 M run-steps).

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import sharpness_vs_scale
    >>> rep = sharpness_vs_scale("smoke")
    >>> rep.table().shape[0], rep.init
    (2, 'gaussian')
    """
    if init not in ("gaussian", "residual"):
        raise ValueError(f"init must be 'gaussian' or 'residual', got {init!r}")
    if len(lrs) != len(steps):
        raise ValueError(f"lrs and steps must have the same length, got {len(lrs)} and {len(steps)}")
    steps = [check_int(v, "steps entry", minimum=2) for v in steps]
    D = make_data(n=50, d=5, seed=data_seed)
    cols = _sweep([(1.0, 1.0)], [D], init, check_int(depth, "depth", minimum=2), lrs, steps, repeat_keys(repeats, lrs),
                  scales, seeds, sharp_iters, data_seed)
    return _sweep_report(cols, init, depth, D)


sharpness_vs_scale = experiment("marion2024.sharpness_vs_scale", figure=figure_sweep, presets={
    "smoke": {"seeds": (0,), "init": "gaussian", "lrs": (0.1,), "steps": (300,), "scales": (0.3, 0.5),
              "depth": 10, "data_seed": 0, "sharp_iters": 300, "repeats": None},
    "book": {"seeds": (0,), "init": "gaussian", "lrs": (0.02, 0.07, 0.1, 0.2), "steps": (10_000, 4_000, 4_000, 2_000),
             "scales": _SCALES_G, "depth": 10, "data_seed": 0, "sharp_iters": 2000, "repeats": None},
    "paper": {"seeds": tuple(range(20)), "init": "gaussian", "lrs": (0.005, 0.02, 0.07, 0.1, 0.2),
              "steps": (40_000, 10_000, 4_000, 4_000, 2_000), "repeats": (1, 1, 1, 1, 4), "scales": _SCALES_G,
              "depth": 10, "data_seed": 0, "sharp_iters": 3000},
})(_sharpness_vs_scale)

residual_sharpness_vs_scale = experiment("marion2024.residual_sharpness_vs_scale", figure=figure_sweep, presets={
    "smoke": {"seeds": (0,), "init": "residual", "lrs": (0.1,), "steps": (300,), "scales": (0.0, 1.0),
              "depth": 10, "data_seed": 0, "sharp_iters": 300, "repeats": None},
    "book": {"seeds": (0,), "init": "residual", "lrs": (0.005, 0.02, 0.07, 0.1, 0.2), "steps": (4_000,) * 5,
             "scales": _SCALES_R, "depth": 10, "data_seed": 0, "sharp_iters": 2000, "repeats": None},
    "paper": {"seeds": tuple(range(20)), "init": "residual", "lrs": (0.005, 0.02, 0.07, 0.1, 0.2),
              "steps": (4_000,) * 5, "scales": _SCALES_R, "depth": 10, "data_seed": 0, "sharp_iters": 3000, "repeats": None},
})(_sharpness_vs_scale)


@experiment("marion2024.residual_flatness", figure=figure_sweep, presets={
    "smoke": {"seeds": (0,), "depth": 4, "scales": (0.0, 0.5), "lr_factor": 0.2, "n_steps": 800,
              "data_kinds": ((1.0, 1.0),), "sharp_iters": 2000, "data_seed": 0},
    "book": {"seeds": (0, 1), "depth": 10, "scales": (0.0, 0.25, 0.5, 0.75, 1.0), "lr_factor": 0.2,
             "n_steps": 3000, "data_kinds": ((1.0, 1.0), (2.0, 1.0), (0.5, 3.0)), "sharp_iters": 3000, "data_seed": 0},
    "paper": {"seeds": tuple(range(20)), "depth": 10, "scales": tuple(float(v) for v in np.linspace(0, 1.0, 11)),
              "lr_factor": 0.1, "n_steps": 10_000, "data_kinds": ((1.0, 1.0), (2.0, 1.0), (0.5, 3.0), (1.0, 6.0)),
              "sharp_iters": 5000, "data_seed": 0},
})
def residual_flatness(*, seeds, depth, scales, lr_factor, n_steps, data_kinds, sharp_iters, data_seed):
    r"""Small-step GD from the residual init: the sharpness of the limit relative to :math:`\inf S`.

    Each data kind ``(pi_norm, spread)`` is one instance drawn from ``data_seed`` (so that the
    sharpness can be batched per instance) with one unit projection; per seed and scale one
    residual init. The step approximates gradient flow: ``lr_factor`` times
    :math:`2/\max(S(\theta_0), \inf S)`, below the stability limit of both the initialization and
    every minimizer (a step relative to :math:`\eta_c` alone can exceed :math:`2/S(\theta_0)` at large scales).

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import residual_flatness
    >>> rep = residual_flatness("smoke")
    >>> rep.outcome.tolist(), bool((rep.sharpness >= rep.s_inf * (1 - 1e-6)).all())
    (['converged', 'converged'], True)
    """
    from ...dynamics import chain_gd, chain_sharpness

    n_steps = check_int(n_steps, "n_steps", minimum=2)
    depth = check_int(depth, "depth", minimum=2)
    rows = []
    for j, (P, spread) in enumerate(data_kinds):
        D = make_data(n=50, d=5, seed=child_seed(data_seed, 5, j), pi_norm=P, spread=spread)
        w = child_rng(data_seed, 7, j).standard_normal(D.d)
        w /= np.linalg.norm(w)
        runs = [(s, k) for s in seeds for k in range(len(scales))]
        sc = np.array([scales[k] for _, k in runs])
        Q = residual_layers(D.d, depth, sc, [child_rng(s, j, k) for s, k in runs])
        s_inf = cf.minimal_sharpness(depth, D)
        s0 = chain_sharpness(Q, w, D.X, D.y, train_head=False, iters=sharp_iters, tol=1e-6).sharpness
        lr = lr_factor * 2 / np.maximum(s0, s_inf)
        r = chain_gd(Q, w, D.Sigma, D.c, lr, n_steps, y_sq=D.y_sq, reference=D.pi_star, train_head=False)
        e0 = float(D.pi_star @ D.Sigma @ D.pi_star)
        out = classify(r, e0)
        lam, ok = np.full(len(runs), np.nan), np.zeros(len(runs), dtype=bool)
        live = ~r.diverged
        if np.any(live):
            sh = chain_sharpness(r.layers[live], w, D.X, D.y, train_head=False, iters=sharp_iters)
            lam[live], ok[live] = sh.sharpness, sh.converged
        dist = np.where(r.diverged, np.nan, np.mean((r.beta - D.pi_star) ** 2, axis=1))
        for b, (s, _) in enumerate(runs):
            rows.append((s, D.pi_norm, spread, lr[b], sc[b], out[b], r.excess[b] / e0, dist[b], r.loss[b], lam[b],
                         ok[b], s_inf, cf.sharpness_lower_bound(depth, D.a, D.pi_norm), 4 * D.Lam / D.lam, 0))
    cols = [np.array(v) for v in zip(*rows)]
    return _sweep_report(cols, "residual", depth, D)
