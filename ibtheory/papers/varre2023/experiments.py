r"""Gradient-flow experiments of Varre et al. (2023): trajectories, limits, neurons, rank.

Each function is registered with :func:`ibtheory.papers.experiment` and holds its
settings in the presets ``smoke`` (seconds), ``book`` (the chapter and the ledger)
and ``paper``. Run ``i`` draws its data and its initialization (I) from children of
``numpy.random.SeedSequence(seeds[i])`` only. Gradient flows are single runs
(:meth:`ibtheory.dynamics.Problem.gradient_flow`), so the seeds are looped over.
The noisy and ReLU experiments are in :mod:`.experiments_noise` (imported here so
the registry finds them).

See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import PER_RUN, Report
from ..._validation import as_real_array, check_int, check_positive
from .._experiment import experiment
from . import closed_forms as cf
from . import figures
from . import measures as ms
from .data import linear_teacher

__all__ = ["TrajectoryReport", "trajectories", "LimitReport", "limit", "ReferenceFlowReport", "reference_flow", "NeuronReport",
           "neuron_directions", "RankReport", "rank_vs_gamma"]

_NOTABLE = dict(metadata={"table": False})


def _seeds(seeds):
    if seeds is None or len(seeds) == 0:
        raise ValueError("seeds must be a non-empty tuple of ints")
    return tuple(check_int(s, "seeds", 0) for s in seeds)


def _gammas(gammas):
    g = as_real_array(gammas, "gammas").ravel()
    if g.size == 0 or np.any(g <= 0):
        raise ValueError(f"gammas must be a non-empty sequence of positive reals, got {gammas!r}")
    return g


def _flow(X, Y, gamma, l, init_seed, **kw):
    """Gradient flow from (I) on the half-sum loss; returns (result, model)."""
    from ...dynamics import Problem
    from ...models import TwoLayerLinear, varre_init

    net = TwoLayerLinear(d=X.shape[1], l=l, k=Y.shape[1])
    y = Y[:, 0] if Y.shape[1] == 1 else Y
    res = Problem(X, y, loss="half_sum").gradient_flow(net, varre_init(net, gamma=gamma, seed=init_seed), **kw)
    return res, net


def _flows(cases, l, **kw):
    """The :func:`_flow` of every case ``(X, Y, gamma, init_seed)`` (one shape of data), in one batch.

    :func:`ibtheory.dynamics.gradient_flow_batch` (one design per run): each result equals
    :func:`_flow`'s to the last bit (the batch replicates its DOP853 row by row, and the
    stiff runs are redone by it). Returns (results, model).
    """
    from ...dynamics import gradient_flow_batch
    from ...models import TwoLayerLinear, varre_init

    X0, Y0 = cases[0][:2]
    net = TwoLayerLinear(d=X0.shape[1], l=l, k=Y0.shape[1])
    Y = np.stack([c[1] for c in cases])
    res = gradient_flow_batch(net, [varre_init(net, gamma=g, seed=ss) for _, _, g, ss in cases],
                              np.stack([c[0] for c in cases]), Y[..., 0] if Y0.shape[1] == 1 else Y,
                              "half_sum", **kw)
    return res, net


def _rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


# ------------------------------------------------------------- trajectories
@dataclasses.dataclass(frozen=True)
class TrajectoryReport(Report):
    """Flows at several widths against the reduced equation; one row per (seed, gamma, width)."""

    seed: np.ndarray
    gamma: np.ndarray
    width: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    beta_error: np.ndarray      #: max_t |beta_flow - beta_reduced| / max_t |beta_reduced|
    svals_error: np.ndarray     #: max_t max_i |sigma_i flow - sigma_i reduced|
    range_leak: np.ndarray      #: max_t |Pi_ker X beta(t)| / |beta(t)|
    bound_excess: np.ndarray    #: max_t (L(t) - L(0) exp(-4 gamma mu t)) / L(0), <= 0 by the theorem
    drift: np.ndarray           #: drift of the conservation law (engine certificate)
    t: np.ndarray = dataclasses.field(**_NOTABLE)
    svals: np.ndarray = dataclasses.field(metadata=PER_RUN)   #: (runs, T, d)
    n: int = 0
    d: int = 0
    k: int = 0


@experiment("varre2023.trajectories", presets={
    "smoke": dict(seeds=(0,), n=3, d=4, k=2, gammas=(1e-2,), width_factors=(1, 2), t_max=5.0,
                  n_times=11, rtol=1e-12),
    "book": dict(seeds=(0,), n=4, d=6, k=2, gammas=(1e-3, 1e-2, 1e-1, 1.0), width_factors=(1, 3),
                 t_max=30.0, n_times=301, rtol=1e-12),
    "paper": dict(seeds=(0, 1, 2, 3, 4), n=4, d=6, k=2, gammas=(1e-3, 1e-2, 1e-1, 1.0),
                  width_factors=(1, 3), t_max=30.0, n_times=301, rtol=1e-12),
}, figure=figures.trajectories_figure)
def trajectories(*, seeds, n, d, k, gammas, width_factors, t_max, n_times, rtol):
    r"""Gradient flow from (I) at widths :math:`l = c\,d` against the reduced :math:`\beta` equation.

    Measures, per run, the distance of :math:`\beta(t)` and of the singular values of
    :math:`W_1(t)` to :func:`ibtheory.reference.varre2023.reduced_flow`, the leak of
    :math:`\beta(t)` out of :math:`\operatorname{range}(X^\top)` and the largest ratio of the
    loss to its Polyak-Lojasiewicz bound (invariants 2-4 of the chapter's lemma).
    """
    from ...reference.varre2023 import reduced_flow

    seeds, g = _seeds(seeds), _gammas(gammas)
    n, d, k = check_int(n, "n", 1), check_int(d, "d", 1), check_int(k, "k", 1)
    factors = [check_int(c, "width_factors", 1) for c in width_factors]
    te = np.linspace(0.0, check_positive(t_max, "t_max"), check_int(n_times, "n_times", 2))
    rows, svals = [], []
    for s in seeds:
        data_ss, init_ss = np.random.SeedSequence(s).spawn(2)
        data = linear_teacher(n, d, k, seed=data_ss)
        inits = init_ss.spawn(len(factors))
        for gamma in g:
            red = reduced_flow(data.X, data.Y, float(gamma), te)
            scale = np.max(np.abs(red.beta))
            bound = cf.loss_bound(data.X, data.Y, float(gamma), te)
            for c, init in zip(factors, inits):
                res, _ = _flow(data.X, data.Y, float(gamma), c * d, init, t_eval=te, rtol=rtol,
                               record=("loss", "beta", "svals"))
                B = res.records["beta"].reshape(te.size, d, k)
                sv = res.records["svals"][0]
                rows.append((s, gamma, c * d, str(res.status), float(res.fun),
                             float(np.max(np.abs(B - red.beta)) / scale),
                             float(np.max(np.abs(sv - red.singular_values))),
                             float(ms.range_leak(data.X, B[1:]).max()),
                             float(np.max(res.records["loss"] - bound) / bound[0]), float(res.drift)))
                svals.append(sv)
    cols = list(zip(*rows))
    return TrajectoryReport(
        seed=np.array(cols[0]), gamma=np.array(cols[1], float), width=np.array(cols[2]),
        outcome=np.array(cols[3]), final_loss=np.array(cols[4]), beta_error=np.array(cols[5]),
        svals_error=np.array(cols[6]), range_leak=np.array(cols[7]), bound_excess=np.array(cols[8]),
        drift=np.array(cols[9]), t=te, svals=np.array(svals), n=n, d=d, k=k)


# -------------------------------------------------------------------- limit
@dataclasses.dataclass(frozen=True)
class LimitReport(Report):
    """Flow limit vs log-det solver vs closed form; one row per (seed, instance, gamma)."""

    seed: np.ndarray
    n: np.ndarray
    d: np.ndarray
    k: np.ndarray
    gamma: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    beta_flow_pinv: np.ndarray
    gram_flow_closed: np.ndarray
    gram_flow_solver: np.ndarray
    gram_solver_closed: np.ndarray
    objective_flow_solver: np.ndarray
    beta_solver_pinv: np.ndarray     #: relative, solver's beta vs X^+ Y
    sv_solver_closed: np.ndarray     #: max_i |sigma_i solver - corollary| / sigma_1
    sv_flow_closed: np.ndarray       #: max_i |sigma_i(W1) - corollary|, all d values
    sv_flow_printed: np.ndarray      #: the same against the printed corollary
    big_gram_tail: np.ndarray        #: eigenvalues d+1..l of W1^T W1, relative to the largest
    big_gram_top: np.ndarray         #: top d eigenvalues of W1^T W1 vs those of W1 W1^T, relative
    singular_values: np.ndarray = dataclasses.field(metadata=PER_RUN)  #: (runs, max d), of W1 at the end of the flow
    sv_closed: np.ndarray = dataclasses.field(metadata=PER_RUN)        #: (runs, max d), the corollary's
    sv_printed: np.ndarray = dataclasses.field(metadata=PER_RUN)       #: (runs, max d), the slides' printed formula

    #: the route comparisons (flow, solver, closed form) and, last, the corollary's against the flow
    ROUTE_FIELDS = ("beta_flow_pinv", "gram_flow_closed", "gram_flow_solver", "gram_solver_closed",
                    "objective_flow_solver")

    @property
    def worst_discrepancy(self) -> float:
        """The largest relative discrepancy between the three routes (beta, Gram, objective)."""
        return float(max(np.max(getattr(self, f)) for f in self.ROUTE_FIELDS))

    def worst_by_gamma(self):
        """Per scale gamma (rows), the worst over runs of each route discrepancy, of the corrected
        corollary's (``sv_flow_closed``) and of the printed corollary's (``sv_flow_printed``) miss;
        column ``routes`` is the worst of all but the printed one. A pandas DataFrame."""
        cols = self.ROUTE_FIELDS + ("sv_flow_closed", "sv_flow_printed")
        worst = self.table().groupby("gamma")[list(cols)].max()
        worst.insert(len(cols) - 1, "routes", worst[list(cols[:-1])].max(axis=1))
        return worst


@experiment("varre2023.limit", presets={
    "smoke": dict(seeds=(0,), instances=((3, 4, 1),), gammas=(1e-2, 1.0), width_extra=2,
                  stat_tol=1e-10, rtol=1e-12),
    "book": dict(seeds=(0, 1), instances=((4, 6, 1), (4, 6, 2), (8, 6, 3)),
                 gammas=(1e-3, 1e-2, 1e-1, 1.0, 10.0), width_extra=2, stat_tol=1e-10, rtol=1e-12),
    "paper": dict(seeds=(0, 1, 2, 3, 4), instances=((4, 6, 1), (4, 6, 2), (8, 6, 3), (20, 40, 3)),
                  gammas=(1e-3, 1e-2, 1e-1, 1.0, 10.0), width_extra=2, stat_tol=1e-8, rtol=1e-12),
}, figure=figures.limit_figure)
def limit(*, seeds, instances, gammas, width_extra, stat_tol, rtol):
    r"""Theorem 1 and its corollary: the flow from (I) to stationarity, three routes to the limit.

    For each seed, instance ``(n, d, k)`` (data :math:`Y = XU_*`) and :math:`\gamma`: the flow
    at width ``d + width_extra`` until the function-space stationarity ``stat_tol``, the solver
    :func:`ibtheory.solvers.logdet_factorization` and :func:`.closed_forms.closed_form_limit`.
    """
    from ...solvers import logdet_factorization

    seeds, g = _seeds(seeds), _gammas(gammas)
    inst = [tuple(check_int(v, "instances", 1) for v in i) for i in instances]
    if any(len(i) != 3 for i in inst):
        raise ValueError("instances must be (n, d, k) triples")
    extra = check_int(width_extra, "width_extra", 0)
    dmax = max(i[1] for i in inst)
    children = {s: np.random.SeedSequence(s).spawn(2 * len(inst)) for s in seeds}
    datas = {(s, j): linear_teacher(n, d, k, seed=children[s][2 * j])
             for s in seeds for j, (n, d, k) in enumerate(inst)}
    flows = {}
    for j, (n, d, k) in enumerate(inst):     # one batch of flows per instance (one model)
        keys = [(s, gamma) for s in seeds for gamma in map(float, g)]
        res, _ = _flows([(datas[s, j].X, datas[s, j].Y, gamma, children[s][2 * j + 1]) for s, gamma in keys],
                        d + extra, stat_tol=stat_tol, rtol=rtol)
        flows.update({(s, j, gamma): r for (s, gamma), r in zip(keys, res)})
    rows, svs, svc, svp = [], [], [], []
    pad = lambda v, d: np.concatenate([v, np.full(dmax - d, np.nan)])  # noqa: E731
    for s in seeds:
        for j, (n, d, k) in enumerate(inst):
            data = datas[s, j]
            for gamma in map(float, g):
                res = flows[s, j, gamma]
                W1, W2 = res.x
                W2 = W2.reshape(W1.shape[1], k)
                pred = cf.closed_form_limit(data.X, data.Y, gamma)
                sol = logdet_factorization(data.X, data.Y, gamma)
                sv = np.linalg.svd(W1, compute_uv=False)
                big = np.linalg.eigvalsh(W1.T @ W1)[::-1]
                small = np.linalg.eigvalsh(W1 @ W1.T)[::-1]
                f_flow = cf.objective(W1, W2, gamma)
                printed = cf.printed_singular_values(data.X, data.Y, gamma)
                rows.append((s, n, d, k, gamma, str(res.status), float(res.fun),
                             _rel(W1 @ W2, pred.beta), _rel(W1 @ W1.T, pred.gram), _rel(W1 @ W1.T, sol.gram),
                             _rel(sol.gram, pred.gram), abs(f_flow - sol.fun) / abs(sol.fun),
                             _rel(sol.beta, pred.beta),
                             float(np.max(np.abs(sol.singular_values - pred.singular_values))
                                   / pred.singular_values[0]),
                             float(np.max(np.abs(sv - pred.singular_values))),
                             float(np.max(np.abs(sv - printed))),
                             float(np.max(np.abs(big[d:]), initial=0.0) / big[0]),
                             float(np.max(np.abs(big[:d] - small) / small))))
                svs.append(pad(sv, d))
                svc.append(pad(pred.singular_values, d))
                svp.append(pad(printed, d))
    c = list(zip(*rows))
    names = [f.name for f in dataclasses.fields(LimitReport)][:18]
    kw = {nm: np.array(col) for nm, col in zip(names, c)}
    return LimitReport(**kw, singular_values=np.array(svs), sv_closed=np.array(svc), sv_printed=np.array(svp))


# --------------------------------------------------- reference flow (SciPy)
@dataclasses.dataclass(frozen=True)
class ReferenceFlowReport(Report):
    """The SciPy two-layer flow from (I) (no engine) against the log-det solver; one row per seed."""

    seed: np.ndarray
    outcome: np.ndarray
    final_residual: np.ndarray
    t_final: np.ndarray
    gram_error: np.ndarray   #: max abs error of W1 W1^T (flow vs solver)
    beta_error: np.ndarray   #: max abs error of W1 W2 (flow vs solver)


@experiment("varre2023.reference_flow", presets={
    "smoke": dict(seeds=(0,), n=3, d=4, k=2, gamma=0.3, residual_tol=1e-11),
    "book": dict(seeds=(0, 1, 2), n=3, d=4, k=2, gamma=0.3, residual_tol=1e-11),
    "paper": dict(seeds=tuple(range(10)), n=3, d=4, k=2, gamma=0.3, residual_tol=1e-11),
}, figure=figures.reference_flow_figure)
def reference_flow(*, seeds, n, d, k, gamma, residual_tol):
    r"""Theorem 1(b) by routes that share no code: :func:`ibtheory.reference.varre2023.two_layer_flow`
    (SciPy LSODA on :math:`(W_1, W_2)` from :math:`\sqrt{2\gamma}P`, :math:`l = d`) until
    :math:`\|Y - XW_1W_2\|_F` = ``residual_tol``, against :func:`ibtheory.solvers.logdet_factorization`."""
    from ...models import TwoLayerLinear, varre_init
    from ...reference.varre2023 import two_layer_flow
    from ...solvers import logdet_factorization

    seeds = _seeds(seeds)
    n, d, k = check_int(n, "n", 1), check_int(d, "d", 1), check_int(k, "k", 1)
    gamma = check_positive(gamma, "gamma")
    rows = []
    for s in seeds:
        data_ss, init_ss = np.random.SeedSequence(s).spawn(2)
        data = linear_teacher(n, d, k, seed=data_ss)
        W1, W2 = varre_init(TwoLayerLinear(d=d, l=d, k=k), gamma=gamma, seed=init_ss)
        try:
            fl = two_layer_flow(data.X, data.Y, W1, W2, residual_tol=check_positive(residual_tol, "residual_tol"))
        except RuntimeError:
            rows.append((s, "max_iter", np.nan, np.nan, np.nan, np.nan))
            continue
        sol = logdet_factorization(data.X, data.Y, gamma)
        rows.append((s, "success", fl.residual, fl.t_final, float(np.max(np.abs(fl.W1 @ fl.W1.T - sol.gram))),
                     float(np.max(np.abs(fl.W1 @ fl.W2 - sol.beta)))))
    c = list(zip(*rows))
    return ReferenceFlowReport(*(np.array(col) for col in c))


# ------------------------------------------------------------------ neurons
@dataclasses.dataclass(frozen=True)
class NeuronReport(Report):
    """Directions of the neurons (columns of W1) at the end of the flow; one row per (seed, gamma)."""

    seed: np.ndarray
    gamma: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    beta_norm: np.ndarray
    share: np.ndarray            #: share of ||W1||_F^2 along beta_inf (flow)
    share_predicted: np.ndarray  #: closed form a1 / (a1 + 2 gamma (d - 1))
    mean_cos: np.ndarray         #: mean |cos| of the neurons with beta_inf
    W1: np.ndarray = dataclasses.field(metadata=PER_RUN)    #: (runs, d, l)
    beta: np.ndarray = dataclasses.field(metadata=PER_RUN)  #: (runs, d)


@experiment("varre2023.neuron_directions", presets={
    "smoke": dict(seeds=(0,), n=5, d=2, l=6, gammas=(1.0, 1e-3), stat_tol=1e-10),
    "book": dict(seeds=(0, 1, 2, 3), n=5, d=2, l=16, gammas=(1.0, 1e-3), stat_tol=1e-10),
    "paper": dict(seeds=tuple(range(10)), n=5, d=2, l=16, gammas=(1.0, 1e-3), stat_tol=1e-10),
}, figure=figures.neuron_figure)
def neuron_directions(*, seeds, n, d, l, gammas, stat_tol):
    r"""Scalar regression (k = 1): where the ``l`` neurons point at the end of the flow from (I)."""
    seeds, g = _seeds(seeds), _gammas(gammas)
    n, d, l = check_int(n, "n", 1), check_int(d, "d", 1), check_int(l, "l", 1)
    draws = {s: np.random.SeedSequence(s).spawn(2) for s in seeds}
    datas = {s: linear_teacher(n, d, 1, seed=draws[s][0]) for s in seeds}
    keys = [(s, gamma) for s in seeds for gamma in map(float, g)]
    res_all, net = _flows([(datas[s].X, datas[s].Y, gamma, draws[s][1]) for s, gamma in keys], l,
                          stat_tol=stat_tol)
    flows = dict(zip(keys, res_all))
    rows, Ws, bs = [], [], []
    for s in seeds:
        for gamma in map(float, g):
            res = flows[s, gamma]
            W = res.x[0]
            b = np.asarray(net.beta(res.x)).ravel()
            share, mcos = ms.neuron_alignment(W, b)
            bn = float(np.linalg.norm(b))
            rows.append((s, gamma, str(res.status), float(res.fun), bn, share,
                         float(cf.share_along_beta(bn, gamma, d)), mcos))
            Ws.append(W)
            bs.append(b)
    c = list(zip(*rows))
    return NeuronReport(seed=np.array(c[0]), gamma=np.array(c[1]), outcome=np.array(c[2]),
                        final_loss=np.array(c[3]), beta_norm=np.array(c[4]), share=np.array(c[5]),
                        share_predicted=np.array(c[6]), mean_cos=np.array(c[7]),
                        W1=np.array(Ws), beta=np.array(bs))


# --------------------------------------------------------------------- rank
@dataclasses.dataclass(frozen=True)
class RankReport(Report):
    """Spectrum of W1 at the end of the flow along a grid of gamma; one row per (seed, gamma)."""

    seed: np.ndarray
    gamma: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray
    spectrum_error: np.ndarray   #: max_i |sigma_i flow - corollary|, the whole spectrum
    rank_flow: np.ndarray        #: singular values >= tau sigma_1 (display only)
    rank_closed: np.ndarray
    outside_flow: np.ndarray     #: share of ||W1||^2 outside the top k (flow)
    outside_closed: np.ndarray
    outside_bound: np.ndarray    #: 2 gamma (d - k) / sum_i sigma_i(beta_inf)
    sv_flow: np.ndarray = dataclasses.field(metadata=PER_RUN)    #: (runs, d)
    sv_closed: np.ndarray = dataclasses.field(metadata=PER_RUN)  #: (runs, d)
    k: int = 0
    d: int = 0
    tau: float = 0.1


@experiment("varre2023.rank_vs_gamma", presets={
    "smoke": dict(seeds=(0,), n=3, d=4, k=2, l=4, gammas=(1e-3, 1.0), tau=0.1, stat_tol=1e-10),
    "book": dict(seeds=(0, 1, 2), n=4, d=6, k=2, l=6, gammas=tuple(np.logspace(-4, 1, 11).tolist()),
                 tau=0.1, stat_tol=1e-10),
    "paper": dict(seeds=tuple(range(10)), n=4, d=6, k=2, l=6,
                  gammas=tuple(np.logspace(-4, 1, 21).tolist()), tau=0.1, stat_tol=1e-10),
}, figure=figures.rank_figure)
def rank_vs_gamma(*, seeds, n, d, k, l, gammas, tau, stat_tol):
    r"""Rich to lazy: the whole spectrum of :math:`W_1^\infty` against the corollary along a :math:`\gamma` grid."""
    seeds, g = _seeds(seeds), _gammas(gammas)
    n, d, k, l = (check_int(v, nm, 1) for v, nm in ((n, "n"), (d, "d"), (k, "k"), (l, "l")))
    tau = check_positive(tau, "tau")
    draws = {s: np.random.SeedSequence(s).spawn(2) for s in seeds}
    datas = {s: linear_teacher(n, d, k, seed=draws[s][0]) for s in seeds}
    keys = [(s, gamma) for s in seeds for gamma in map(float, g)]
    res_all, _ = _flows([(datas[s].X, datas[s].Y, gamma, draws[s][1]) for s, gamma in keys], l,
                        stat_tol=stat_tol)
    flows = dict(zip(keys, res_all))
    rows, sf, sc = [], [], []
    for s in seeds:
        data = datas[s]
        sb = np.linalg.svd(np.linalg.pinv(data.X) @ data.Y, compute_uv=False)
        for gamma in map(float, g):
            res = flows[s, gamma]
            s_f = np.linalg.svd(res.x[0], compute_uv=False)
            s_p = cf.closed_form_limit(data.X, data.Y, gamma).singular_values
            rows.append((s, gamma, str(res.status), float(res.fun), float(np.max(np.abs(s_f - s_p))),
                         int(ms.numerical_rank(s_f, tau)), int(ms.numerical_rank(s_p, tau)),
                         1.0 - float(ms.energy_fraction(s_f, k)), 1.0 - float(ms.energy_fraction(s_p, k)),
                         float(cf.outside_top_k_bound(sb, gamma, d))))
            sf.append(s_f)
            sc.append(s_p)
    c = list(zip(*rows))
    names = [f.name for f in dataclasses.fields(RankReport)][:10]
    return RankReport(**{nm: np.array(col) for nm, col in zip(names, c)}, sv_flow=np.array(sf),
                      sv_closed=np.array(sc), k=k, d=d, tau=tau)


from . import experiments_noise  # noqa: E402,F401  (registers the noisy and ReLU experiments)
from .experiments_noise import *  # noqa: E402,F401,F403
from .experiments_noise import __all__ as _noise_all  # noqa: E402

__all__ += _noise_all
