"""Experiments on wide random initializations of Min et al. (2021).

- ``min2021.imbalance_probability``: how often :math:`c \\ge 1` for
  :math:`\\mathcal N(0, 1/h)` weights across widths, against the derived tail bound;
- ``min2021.width_sweep``: the distance of the learned :math:`UV^\\top` to the
  minimum-norm solution and the orthogonality products across widths;
- ``min2021.width_sweep_scaled``: the same with variance :math:`h^{-2a}`, ``a < 1/2``.

Run ``i`` draws from ``numpy.random.SeedSequence(seeds[i])`` alone (data from its
first child, the weights of width ``widths[j]`` from child ``j + 1``).

See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Report
from ..._validation import check_int, check_positive
from ...stats import RateFit, binomial_interval, loglog_fit
from .. import experiment
from .closed_forms import SLOPE_LEVEL, imbalance_failure_bound, imbalance_level, imbalance_lower_bound, orthogonality
from .data import compress_width, make_problem, split_data
from .figures import imbalance_probability_figure, width_sweep_figure
from .inits import random_init
from .training import train

__all__ = ["ImbalanceProbabilityReport", "imbalance_probability", "WidthSweepReport", "width_sweep",
           "width_sweep_scaled"]

SIZES = {"n": 4, "D": 8, "m": 2}


def _children(seed, k):
    return [np.random.default_rng(c) for c in np.random.SeedSequence(seed).spawn(k)]


def _check(seeds, widths):
    if seeds is None or len(seeds) == 0:
        raise ValueError("seeds must be a non-empty tuple of integers")
    seeds = tuple(check_int(s, "seeds[i]", minimum=0) for s in seeds)
    if not isinstance(widths, (tuple, list)) or len(widths) == 0:
        raise ValueError(f"widths must be a non-empty tuple of integers, got {widths!r}")
    widths = tuple(check_int(h, "widths[i]", minimum=SIZES["m"]) for h in widths)
    return seeds, widths


# --------------------------------------------------------------------------- P(c >= 1)
@dataclasses.dataclass(frozen=True)
class ImbalanceProbabilityReport(Report):
    """Level of imbalance of :math:`\\mathcal N(0, 1/h)` draws; one row per (seed, width)."""

    seed: np.ndarray
    h: np.ndarray
    c: np.ndarray
    c_lower: np.ndarray            #: 2 sigma_min([U1; V])^2 <= c (Ostrowski)
    failed: np.ndarray             #: c < threshold
    widths: np.ndarray = dataclasses.field(metadata={"table": False})
    n_failed: np.ndarray = dataclasses.field(metadata={"table": False})
    n_draws: int = 0
    fail_lo: np.ndarray = dataclasses.field(default=None, metadata={"table": False})  #: Wilson 95 %
    fail_hi: np.ndarray = dataclasses.field(default=None, metadata={"table": False})
    bound: np.ndarray = dataclasses.field(default=None, metadata={"table": False})    #: derived P(c < 1) bound
    threshold: float = 1.0
    k: int = 6                     #: r + m

    summary_fields = ("n_failed", "n_draws", "fail_lo", "fail_hi")

    @staticmethod
    def failure_counts(h, failed, widths, n_draws):
        """Failures per width and their Wilson 95 % intervals (``n_failed, fail_lo, fail_hi``)."""
        nf = np.array([int(np.sum(failed[h == w])) for w in widths])
        iv = np.array([binomial_interval(int(f), n_draws) for f in nf]).reshape(-1, 2)
        return nf, iv[:, 0], iv[:, 1]

    @classmethod
    def merge_summaries(cls, shards, runs):
        n_draws = sum(r.n_draws for r in shards)
        nf, lo, hi = cls.failure_counts(runs["h"], runs["failed"], runs["widths"], n_draws)
        return {"n_failed": nf, "n_draws": n_draws, "fail_lo": lo, "fail_hi": hi}

    def summary(self):
        """One row per width: failures, their Wilson interval, the derived bound."""
        import pandas as pd

        return pd.DataFrame({"h": self.widths, "n_failed": self.n_failed, "n_draws": self.n_draws,
                             "fail_fraction": self.n_failed / self.n_draws, "wilson_lo": self.fail_lo,
                             "wilson_hi": self.fail_hi, "bound": self.bound})


_WIDTHS_P = (8, 12, 16, 24, 32, 48, 64, 128, 256, 512)


@experiment("min2021.imbalance_probability", figure=imbalance_probability_figure, presets={
    "smoke": {"seeds": tuple(range(50)), "widths": (8, 32, 256), "threshold": 1.0},
    "book": {"seeds": tuple(range(1000)), "widths": _WIDTHS_P, "threshold": 1.0},
    "paper": {"seeds": tuple(range(10000)), "widths": _WIDTHS_P, "threshold": 1.0}})
def imbalance_probability(*, seeds, widths, threshold):
    """Draw :math:`[U]_{ij},[V]_{ij}\\sim\\mathcal N(0,1/h)` per seed and width; count :math:`c <` ``threshold``."""
    seeds, widths = _check(seeds, widths)
    threshold = check_positive(threshold, "threshold")
    D, m, n = SIZES["D"], SIZES["m"], SIZES["n"]
    rngs = [_children(s, len(widths) + 1) for s in seeds]
    Phi1 = [split_data(make_problem(n, D, m, r[0]).X).Phi1 for r in rngs]
    k = n + m
    cols = {key: [] for key in ("seed", "h", "c", "c_lower")}
    for j, h in enumerate(widths):
        U = np.stack([r[j + 1].standard_normal((D, h)) for r in rngs]) / np.sqrt(h)
        V = np.stack([r[j + 1].standard_normal((m, h)) for r in rngs]) / np.sqrt(h)
        U1 = np.stack(Phi1).transpose(0, 2, 1) @ U
        cols["seed"].append(np.array(seeds))
        cols["h"].append(np.full(len(seeds), h))
        cols["c"].append(imbalance_level(U1, V))
        cols["c_lower"].append(imbalance_lower_bound(U1, V))
    cols = {key: np.concatenate(v) for key, v in cols.items()}
    failed = cols["c"] < threshold
    nf, lo, hi = ImbalanceProbabilityReport.failure_counts(cols["h"], failed, np.array(widths), len(seeds))
    bound = np.array([imbalance_failure_bound(h, k, threshold=threshold) for h in widths])
    return ImbalanceProbabilityReport(**cols, failed=failed, widths=np.array(widths), n_failed=nf,
                                      n_draws=len(seeds), fail_lo=lo, fail_hi=hi, bound=bound,
                                      threshold=threshold, k=k)


# --------------------------------------------------------------------------- width sweep
@dataclasses.dataclass(frozen=True)
class WidthSweepReport(Report):
    """Trained networks from :math:`\\mathcal N(0, h^{-2a})` across widths; one row per (seed, width)."""

    seed: np.ndarray
    h: np.ndarray
    c: np.ndarray
    VU1: np.ndarray
    VU2: np.ndarray
    U1U2: np.ndarray
    dist: np.ndarray               #: |U V^T - Theta_hat|_2 at the end of training
    final_gap: np.ndarray
    outcome: np.ndarray
    fits: dict = dataclasses.field(default=None, metadata={"table": False})  #: name -> RateFit over the ensemble
    compression_error: float = float("nan")   #: full-width vs compressed flow, first seed at check_width
    a: float = 0.5
    gap_tol: float = 1e-14

    summary_fields = ("fits", "compression_error")

    @staticmethod
    def ensemble_fits(cols) -> dict:
        """The log-log fit of each product and of the distance against the width, over every run."""
        return {k: loglog_fit(cols["h"], cols[k], level=SLOPE_LEVEL) for k in ("VU1", "VU2", "U1U2", "dist")}

    @classmethod
    def merge_summaries(cls, shards, runs):
        # compression_error is the first seed's check: the first shard's
        return {"fits": cls.ensemble_fits(runs), "compression_error": shards[0].compression_error}


def _width_sweep(*, seeds, widths, a, gap_tol, check_width):
    from ...solvers import min_l2_interpolator

    seeds, widths = _check(seeds, widths)
    a = float(a)
    if not 0.25 < a <= 0.5:
        raise ValueError(f"a must be in (1/4, 1/2], got {a!r}")
    gap_tol = check_positive(gap_tol, "gap_tol")
    D, m, n = SIZES["D"], SIZES["m"], SIZES["n"]
    rows = {k: [] for k in ("seed", "h", "c", "VU1", "VU2", "U1U2", "dist", "final_gap", "outcome")}
    comp_err = float("nan")
    for s in seeds:
        rngs = _children(s, len(widths) + 1)
        prob = make_problem(n, D, m, rngs[0])
        sp_ = split_data(prob.X)
        theta = min_l2_interpolator(prob.X, prob.y).x
        for j, h in enumerate(widths):
            ini = random_init(sp_, m, h, rngs[j + 1], std=float(h) ** -a)
            o = orthogonality(sp_, ini.U, ini.V)
            comp = compress_width(ini.U, ini.V)
            res = train(prob, comp.U, comp.V, gap_tol=gap_tol)
            beta = res.U @ res.V.T
            if check_width is not None and s == seeds[0] and h == check_width:
                full = train(prob, ini.U, ini.V, gap_tol=gap_tol)
                bf = full.U @ full.V.T
                comp_err = float(np.linalg.norm(bf - beta) / np.linalg.norm(bf))
            for key, v in (("seed", s), ("h", h), ("c", float(imbalance_level(sp_.U1(ini.U), ini.V))),
                           ("VU1", float(o.VU1)), ("VU2", float(o.VU2)), ("U1U2", float(o.U1U2)),
                           ("dist", float(np.linalg.norm(beta - theta, 2))), ("final_gap", res.final_gap),
                           ("outcome", str(res.status))):
                rows[key].append(v)
    cols = {k: np.array(v) for k, v in rows.items()}
    return WidthSweepReport(**cols, fits=WidthSweepReport.ensemble_fits(cols), compression_error=comp_err, a=a,
                            gap_tol=gap_tol)


_WIDTHS = (10, 30, 100, 300, 1000, 3000, 10000)

width_sweep = experiment("min2021.width_sweep", figure=width_sweep_figure, presets={
    "smoke": {"seeds": (0, 1), "widths": (20, 200, 2000), "a": 0.5, "gap_tol": 1e-12, "check_width": None},
    "book": {"seeds": tuple(range(8)), "widths": _WIDTHS, "a": 0.5, "gap_tol": 1e-14, "check_width": 1000},
    "paper": {"seeds": tuple(range(32)), "widths": _WIDTHS, "a": 0.5, "gap_tol": 1e-14, "check_width": 1000},
})(_width_sweep)
width_sweep.fn.__doc__ = """Random :math:`\\mathcal N(0, h^{-2a})` initializations across widths: imbalance, orthogonality, bias.

For each seed and width: the level of imbalance and the orthogonality products at
initialization; then gradient flow on the exact width-``(D+m)`` compression
(:func:`compress_width`) to a relative loss gap ``gap_tol``, and the spectral distance
of :math:`UV^\\top` to the minimum-norm solution (:func:`ibtheory.solvers.min_l2_interpolator`).
The ensemble's log-log fits (:func:`ibtheory.stats.loglog_fit`, level :data:`SLOPE_LEVEL`) are in ``fits``. With
``check_width``, the first seed's run at that width is also trained at full width.
"""

width_sweep_scaled = experiment("min2021.width_sweep_scaled", figure=width_sweep_figure, presets={
    "smoke": {"seeds": (0, 1), "widths": (20, 200, 2000), "a": 0.375, "gap_tol": 1e-12, "check_width": None},
    "book": {"seeds": tuple(range(8)), "widths": _WIDTHS, "a": 0.375, "gap_tol": 1e-14, "check_width": None},
    "paper": {"seeds": tuple(range(32)), "widths": _WIDTHS, "a": 0.375, "gap_tol": 1e-14, "check_width": None},
})(_width_sweep)
