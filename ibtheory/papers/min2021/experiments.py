"""Experiments of Min et al. (2021): reduction, conservation, rate bound, invariant set.

Each experiment is registered with :func:`ibtheory.papers.experiment` and returns a
frozen :class:`ibtheory.Report`. Run ``i`` draws everything (data and
initialization) from ``numpy.random.SeedSequence(seeds[i])`` alone. The
wide-initialization experiments live in :mod:`ibtheory.papers.min2021.wide`.

See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Report
from ..._validation import check_int, check_positive
from .. import experiment
from .closed_forms import imbalance, imbalance_level, linearized_rate, orthogonality, rate_bound
from .data import make_problem, split_data
from .figures import conservation_figure, invariant_set_figure, rate_figure, reduction_figure
from .inits import balanced_init, random_init, spectral_init
from .training import asymptotic_rate, train

__all__ = ["ReductionReport", "reduction", "ConservationReport", "conservation",
           "RateReport", "rate_bound_experiment", "InvariantSetReport", "invariant_set"]

#: the chapter's instance: n samples in D dimensions, m outputs (n < D: overparametrized)
SIZES = {"n": 4, "D": 8, "m": 2}
_NO_TABLE = {"table": False}


def _rngs(seed, k):
    return [np.random.default_rng(c) for c in np.random.SeedSequence(seed).spawn(k)]


def _seeds(seeds):
    if seeds is None or len(seeds) == 0:
        raise ValueError("seeds must be a non-empty tuple of integers")
    return tuple(check_int(s, "seeds[i]", minimum=0) for s in seeds)


# --------------------------------------------------------------------------- reduction
@dataclasses.dataclass(frozen=True)
class ReductionReport(Report):
    """Network loss vs reduced loss on rank-deficient data, one row per run."""

    seed: np.ndarray
    rank: np.ndarray
    loss_star: np.ndarray
    network_loss: np.ndarray       #: 1/2 |Y - X U V^T|_F^2 of TwoLayerLinear
    reduced_loss: np.ndarray       #: the reduced loss (without L*) of DataSplit.reduced_loss
    rel_error: np.ndarray          #: |network loss - (reduced loss + L*)| / network loss
    loss_star_error: np.ndarray    #: |L* - least-squares residual| / max(L*, 1)


@experiment("min2021.reduction", figure=reduction_figure, presets={
    "smoke": {"seeds": (0,), "n": 5, "D": 7, "rank": 3, "h": 6, "m": 2},
    "book": {"seeds": (0, 1, 2, 3), "n": 5, "D": 7, "rank": 3, "h": 6, "m": 2},
    "paper": {"seeds": tuple(range(16)), "n": 5, "D": 7, "rank": 3, "h": 6, "m": 2}})
def reduction(*, seeds, n, D, rank, h, m):
    """The loss identity of the reduction, constant included, on rank-deficient data.

    ``X = A B`` with ``A`` (``n x rank``), ``B`` (``rank x D``) Gaussian, so
    :math:`\\mathcal L^*>0`; compares ``TwoLayerLinear``'s loss with
    :meth:`DataSplit.reduced_loss` and :math:`\\mathcal L^*` with the least-squares residual.
    """
    from ...dynamics import Problem
    from ...models import TwoLayerLinear

    seeds = _seeds(seeds)
    n, D, rank, h, m = (check_int(v, k, minimum=1) for v, k in
                        ((n, "n"), (D, "D"), (rank, "rank"), (h, "h"), (m, "m")))
    out = {k: [] for k in ("rank", "loss_star", "network_loss", "reduced_loss", "rel_error", "loss_star_error")}
    net = TwoLayerLinear(d=D, l=h, k=m)
    for s in seeds:
        rng = _rngs(s, 1)[0]
        X = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, D))
        Y = rng.standard_normal((n, m))
        U, V = rng.standard_normal((D, h)), rng.standard_normal((m, h))
        sp_ = split_data(X)
        direct = float(Problem(X, Y, loss="half_sum").loss_value(net, (U, V.T)))
        Ls = sp_.optimal_loss(Y)
        beta = np.linalg.lstsq(X, Y, rcond=None)[0]
        lsq = 0.5 * float(np.sum((X @ beta - Y) ** 2))
        reduced = float(sp_.reduced_loss(U, V, Y))
        out["rank"].append(sp_.r)
        out["loss_star"].append(Ls)
        out["network_loss"].append(direct)
        out["reduced_loss"].append(reduced - Ls)
        out["rel_error"].append(abs(reduced - direct) / direct)
        out["loss_star_error"].append(abs(Ls - lsq) / max(Ls, 1.0))
    return ReductionReport(seed=np.array(seeds), **{k: np.array(v) for k, v in out.items()})


# --------------------------------------------------------------------------- conservation
@dataclasses.dataclass(frozen=True)
class ConservationReport(Report):
    """Drift of the imbalance and of ``U2`` along gradient flow, one row per (seed, data kind)."""

    seed: np.ndarray
    whitened: np.ndarray
    outcome: np.ndarray
    final_gap: np.ndarray
    drift_lambda: np.ndarray       #: max_t |Lambda(t) - Lambda(0)|_F / |theta(0)|^2
    drift_u2: np.ndarray           #: max_t |U2(t) - U2(0)|_F / |theta(0)|
    sigma_ratio: np.ndarray        #: lambda_max / lambda_min of Sigma_x (1 when whitened)
    t: np.ndarray = dataclasses.field(metadata=_NO_TABLE)        #: first run: times
    gap: np.ndarray = dataclasses.field(metadata=_NO_TABLE)      #: first run: loss gap
    dlam: np.ndarray = dataclasses.field(metadata=_NO_TABLE)     #: first run: relative Lambda drift
    h: int = 10
    gap_tol: float = 1e-13
    rtol: float = 1e-12

    summary_fields = ("t", "gap", "dlam")   # the first run's curves: the first shard's

    @classmethod
    def merge_summaries(cls, shards, runs):
        return {k: getattr(shards[0], k) for k in cls.summary_fields}


@experiment("min2021.conservation", figure=conservation_figure, presets={
    "smoke": {"seeds": (0,), "h": 6, "gap_tol": 1e-8, "rtol": 1e-10},
    "book": {"seeds": (0, 1, 2), "h": 10, "gap_tol": 1e-13, "rtol": 1e-12},
    "paper": {"seeds": tuple(range(10)), "h": 10, "gap_tol": 1e-13, "rtol": 1e-12}})
def conservation(*, seeds, h, gap_tol, rtol):
    """Integrate the flow from :math:`\\mathcal N(0, 1/h)` on whitened and general data; record the drifts."""
    seeds = _seeds(seeds)
    h = check_int(h, "h", minimum=1)
    rows = {k: [] for k in ("seed", "whitened", "outcome", "final_gap", "drift_lambda", "drift_u2", "sigma_ratio")}
    first = None
    for s in seeds:
        for w, rng in zip((False, True), _rngs(s, 2)):
            prob = make_problem(SIZES["n"], SIZES["D"], SIZES["m"], rng, whitened=w)
            sp_ = split_data(prob.X)
            ini = random_init(sp_, SIZES["m"], h, rng)
            lam0, u20 = imbalance(sp_.U1(ini.U), ini.V), sp_.U2(ini.U)
            scale = float(np.sum(ini.U ** 2) + np.sum(ini.V ** 2))
            obs = {"dlam": lambda p: np.linalg.norm(imbalance(sp_.U1(p[0]), p[1].T) - lam0) / scale,
                   "du2": lambda p: np.linalg.norm(sp_.U2(p[0]) - u20) / np.sqrt(scale)}
            res = train(prob, ini.U, ini.V, gap_tol=gap_tol, rtol=rtol, observables=obs)
            rows["seed"].append(s)
            rows["whitened"].append(w)
            rows["outcome"].append(str(res.status))
            rows["final_gap"].append(res.final_gap)
            rows["drift_lambda"].append(float(np.max(res.records["dlam"])))
            rows["drift_u2"].append(float(np.max(res.records["du2"])))
            rows["sigma_ratio"].append(float(sp_.sigma.max() / sp_.sigma.min()))
            if first is None:
                first = (res.t, res.gap, np.ravel(res.records["dlam"]))
    return ConservationReport(**{k: np.array(v) for k, v in rows.items()}, t=first[0], gap=first[1],
                              dlam=first[2], h=h, gap_tol=gap_tol, rtol=rtol)


# --------------------------------------------------------------------------- rate bound
@dataclasses.dataclass(frozen=True)
class RateReport(Report):
    """Measured loss rates against the bound :math:`\\kappa = 2\\lambda_{\\min}(\\Sigma_x)c`, one row per run."""

    seed: np.ndarray
    data: np.ndarray               #: "whitened" or "general"
    kind: np.ndarray               #: "Gaussian", "spectral" or "balanced"
    h: np.ndarray
    c: np.ndarray
    bound: np.ndarray              #: kappa
    measured: np.ndarray           #: asymptotic rate of the loss gap
    linearized: np.ndarray         #: 2 lambda_min(K) at the end point
    envelope: np.ndarray           #: max_t log(gap(t)/gap(0)) + kappa t  (<= 0 by the theorem)
    final_gap: np.ndarray
    outcome: np.ndarray
    window: tuple = (1e-8, 1e-12)


@experiment("min2021.rate_bound", figure=rate_figure, presets={
    "smoke": {"seeds": (0,), "gap_tol": 1e-13, "window": (1e-8, 1e-12), "spectral_target": 0.05},
    "book": {"seeds": (0, 1, 2, 3), "gap_tol": 1e-13, "window": (1e-8, 1e-12), "spectral_target": 0.05},
    "paper": {"seeds": tuple(range(20)), "gap_tol": 1e-13, "window": (1e-8, 1e-12), "spectral_target": 0.05}})
def rate_bound_experiment(*, seeds, gap_tol, window, spectral_target):
    """Train from Gaussian, spectral and balanced initializations on whitened and general data.

    Per seed and data kind: a Gaussian init of width in {6, 8, 12, 24} with layer
    scales log-uniform in [0.15, 1.2]; a spectral init (``h = 7``, ``c = a + b``,
    ``a, b`` log-uniform in [0.2, 2]) whose labels are scaled by ``spectral_target``
    so that the weights move little and the bound is nearly attained; a balanced
    init (``h = 6``, ``c = 0``).
    """
    seeds = _seeds(seeds)
    spectral_target = check_positive(spectral_target, "spectral_target")
    m = SIZES["m"]
    rows = {k: [] for k in ("seed", "data", "kind", "h", "c", "bound", "measured", "linearized",
                            "envelope", "final_gap", "outcome")}
    for s in seeds:
        for w, rng in zip((False, True), _rngs(s, 2)):
            prob = make_problem(SIZES["n"], SIZES["D"], m, rng, whitened=w)
            sp_ = split_data(prob.X)
            su, sv = np.exp(rng.uniform(np.log(0.15), np.log(1.2), size=2))
            a, b = np.exp(rng.uniform(np.log(0.2), np.log(2.0), size=2))
            runs = [("Gaussian", random_init(sp_, m, int(rng.choice([6, 8, 12, 24])), rng, std=(su, sv)), 1.0),
                    ("spectral", spectral_init(sp_, m, 7, a, b, rng), spectral_target),
                    ("balanced", balanced_init(sp_, m, 6, rng), 1.0)]
            for kind, ini, tgt in runs:
                p = prob if tgt == 1.0 else type(prob)(prob.X, tgt * prob.y, loss=prob.loss)
                kappa = float(rate_bound(sp_, ini.U, ini.V))
                res = train(p, ini.U, ini.V, gap_tol=gap_tol)
                gap = res.gap
                keep = gap > 1e-12 * gap[0]          # below, the float64 residual is rounding noise
                rows["seed"].append(s)
                rows["data"].append("whitened" if w else "general")
                rows["kind"].append(kind)
                rows["h"].append(ini.h)
                rows["c"].append(float(imbalance_level(sp_.U1(ini.U), ini.V)))
                rows["bound"].append(kappa)
                rows["measured"].append(asymptotic_rate(res.t, gap, tuple(window)))
                rows["linearized"].append(linearized_rate(sp_, res.U, res.V))
                rows["envelope"].append(float(np.max(np.log(gap[keep] / gap[0]) + kappa * res.t[keep])))
                rows["final_gap"].append(res.final_gap)
                rows["outcome"].append(str(res.status))
    return RateReport(**{k: np.array(v) for k, v in rows.items()}, window=tuple(window))


# --------------------------------------------------------------------------- invariant set
@dataclasses.dataclass(frozen=True)
class InvariantSetReport(Report):
    """Distance of the limit to the minimum-norm solution from three initializations, one row per seed."""

    seed: np.ndarray
    orth_VU2: np.ndarray           #: |V U2^T|_F at init of the orthogonal init
    orth_U1U2: np.ndarray          #: |U1 U2^T|_F at init of the orthogonal init
    err_orthogonal: np.ndarray     #: relative distance of U V^T to X^+ Y, orthogonal init
    err_random: np.ndarray         #: the same from N(0, 1/h)
    err_varre: np.ndarray          #: the same from Varre et al.'s init
    c_varre: np.ndarray            #: level of imbalance of Varre et al.'s init
    varre_U1U2: np.ndarray
    final_gap: np.ndarray          #: worst final gap of the three runs
    outcome: np.ndarray            #: worst status of the three runs
    h: int = 12
    gamma: float = 0.05


@experiment("min2021.invariant_set", figure=invariant_set_figure, presets={
    "smoke": {"seeds": (0,), "h": 12, "scale": 1.5, "gamma": 0.05, "gap_tol": 1e-20, "rtol": 1e-13},
    "book": {"seeds": (0, 1, 2, 3), "h": 12, "scale": 1.5, "gamma": 0.05, "gap_tol": 1e-20, "rtol": 1e-13},
    "paper": {"seeds": tuple(range(16)), "h": 12, "scale": 1.5, "gamma": 0.05, "gap_tol": 1e-20,
              "rtol": 1e-13}})
def invariant_set(*, seeds, h, scale, gamma, gap_tol, rtol):
    """Train from an orthogonal init in the invariant set, from :math:`\\mathcal N(0,1/h)` and from Varre et al.'s init.

    The orthogonal init is :func:`ibtheory.models.orthogonal_init` with ``X=``
    (:math:`VU_2^\\top = U_1U_2^\\top = 0`); Varre et al.'s is
    :math:`W_1 = \\sqrt{2\\gamma}P`, :math:`W_2 = 0`. The minimum-norm solution comes
    from :func:`ibtheory.solvers.min_l2_interpolator` (KKT-certified).
    """
    from ...models import TwoLayerLinear, orthogonal_init, varre_init
    from ...solvers import min_l2_interpolator
    from .data import from_params

    seeds = _seeds(seeds)
    h = check_int(h, "h", minimum=1)
    scale, gamma = check_positive(scale, "scale"), check_positive(gamma, "gamma")
    m = SIZES["m"]
    net = TwoLayerLinear(d=SIZES["D"], l=h, k=m)
    keys = ("seed", "orth_VU2", "orth_U1U2", "err_orthogonal", "err_random", "err_varre", "c_varre",
            "varre_U1U2", "final_gap", "outcome")
    rows = {k: [] for k in keys}
    for s in seeds:
        r_data, r_orth, r_rand, r_varre = _rngs(s, 4)
        prob = make_problem(SIZES["n"], SIZES["D"], m, r_data)
        sp_ = split_data(prob.X)
        theta = min_l2_interpolator(prob.X, prob.y).x
        inits = {"orthogonal": from_params(orthogonal_init(net, scale=scale, seed=r_orth, X=prob.X)),
                 "random": (lambda i: (i.U, i.V))(random_init(sp_, m, h, r_rand)),
                 "varre": from_params(varre_init(net, gamma=gamma, seed=r_varre))}
        errs, gaps, status = {}, [], []
        for name, (U, V) in inits.items():
            res = train(prob, U, V, gap_tol=gap_tol, rtol=rtol)
            errs[name] = float(np.linalg.norm(res.U @ res.V.T - theta) / np.linalg.norm(theta))
            gaps.append(res.final_gap)
            status.append(str(res.status))
        o = orthogonality(sp_, *inits["orthogonal"])
        Uv, Vv = inits["varre"]
        rows["seed"].append(s)
        rows["orth_VU2"].append(float(o.VU2))
        rows["orth_U1U2"].append(float(o.U1U2))
        rows["err_orthogonal"].append(errs["orthogonal"])
        rows["err_random"].append(errs["random"])
        rows["err_varre"].append(errs["varre"])
        rows["c_varre"].append(float(imbalance_level(sp_.U1(Uv), Vv)))
        rows["varre_U1U2"].append(float(orthogonality(sp_, Uv, Vv).U1U2))
        rows["final_gap"].append(max(gaps))
        rows["outcome"].append(next((st for st in status if st != "success"), "success"))
    return InvariantSetReport(**{k: np.array(v) for k, v in rows.items()}, h=h, gamma=gamma)


from .wide import *  # noqa: E402,F401,F403  (registers the wide-initialization experiments)
from . import wide as _wide  # noqa: E402

__all__ += list(_wide.__all__)
