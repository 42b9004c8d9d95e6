r"""Gradient flow from a small-scale initialization (Marion & Chizat 2024, PL theorem and corollary).

Per run: the exact flow of :class:`ibtheory.models.DeepLinear` ``([d]*L + [1])`` from a
Gaussian initialization of scale ``scale`` (:func:`ibtheory.dynamics.gradient_flow`,
DOP853/Radau with the conservation drift as certificate), integrated to a relative
:math:`\beta`-stationarity of ``stat_tol``. Measured:

- :math:`\varepsilon_0 = \max_k\|W_k(0)\|_F^2` *at initialization* and the hypothesis
  :math:`32L\sqrt{\varepsilon_0}\le1`; the four properties of the limit with that :math:`\varepsilon_0`;
- the sharpness of the limit (power iteration) over the certified :math:`\inf S`;
- the PL ratio :math:`\mu(t) = \|\nabla R\|^2/(R-R_{\min})`: its value at the limit, the
  closed-form interval that must hold it, the lower bound :func:`closed_forms.pl_limit_bound`,
  and the decay rate of :math:`\log(R-R_{\min})` fitted over the tail of the run (an
  independent route to :math:`\mu` at the limit, since :math:`\frac{d}{dt}(R-R_{\min}) = -\mu(R-R_{\min})`).

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Report
from ..._validation import check_int, check_positive
from .._experiment import experiment
from . import closed_forms as cf
from .data import make_data
from .figures import figure_flow
from .experiments import child_rng, child_seed

__all__ = ["FlowLimitReport", "SmallInitFlowReport", "small_init_flow", "TAIL_WINDOW"]

#: the tail over which the decay rate is fitted: excess risk between these fractions of its initial value
TAIL_WINDOW = (1e-15, 1e-10)


@dataclasses.dataclass(frozen=True)
class FlowLimitReport(Report):
    """Columns shared by the small-initialization flow reports: the corollary's quantities at the limit."""

    seed: np.ndarray
    depth: np.ndarray
    success: np.ndarray
    drift: np.ndarray
    final_excess: np.ndarray
    eps_init: np.ndarray
    hypothesis: np.ndarray
    defect: np.ndarray
    sigma_min: np.ndarray
    sigma_max: np.ndarray
    sigma_lo: np.ndarray
    sigma_hi: np.ndarray
    align_min: np.ndarray
    align_bound: np.ndarray
    sharpness: np.ndarray
    s_inf: np.ndarray
    ratio_hi: np.ndarray
    mu_end: np.ndarray
    pl_bound: np.ndarray
    decay_rate: np.ndarray

    @classmethod
    def from_rows(cls, rows, **constants):
        """The report of a list of per-flow dicts (one key per array field) and the scalar fields."""
        arrays = {f.name: np.array([r[f.name] for r in rows]) for f in dataclasses.fields(cls) if f.name in rows[0]}
        return cls(**arrays, **constants)


def flow_limit(prob, net, r, D, eps0, L):
    r"""The columns of :class:`FlowLimitReport` at the end of the flow ``r`` (and the PL ratio along it).

    Relative excess, the corollary's properties (:func:`closed_forms.corollary_properties`), the
    sharpness (power iteration), the PL ratio :math:`\mu = \|\nabla R\|^2/(R-R_{\min})` at the end and
    the decay rate of the excess fitted over :data:`TAIL_WINDOW`.
    """
    e0 = float(D.pi_star @ D.Sigma @ D.pi_star)
    e = r.records["beta"] - D.pi_star
    excess = np.einsum("ti,ij,tj->t", e, D.Sigma, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = r.records["grad_norm"] ** 2 / excess
    tail = (excess > TAIL_WINDOW[0] * e0) & (excess < TAIL_WINDOW[1] * e0)
    rate = -np.polyfit(r.t[tail], np.log(excess[tail]), 1)[0] if tail.sum() >= 3 else np.nan
    p = cf.corollary_properties(r.x, D, eps0)
    sh, sok = prob.sharpness(net, r.x, iters=5000, tol=1e-10)
    cols = dict(final_excess=excess[-1] / e0, eps_init=eps0, hypothesis=p.hypothesis, defect=p.defect,
                sigma_min=p.sigma.min(), sigma_max=p.sigma.max(), sigma_lo=p.sigma_lo, sigma_hi=p.sigma_hi,
                align_min=float(np.min(p.align, initial=1.0)), align_bound=p.align_bound,
                sharpness=float(sh) if sok else np.nan, s_inf=cf.minimal_sharpness(L, D), ratio_hi=p.ratio_hi,
                mu_end=float(mu[-1]), pl_bound=cf.pl_limit_bound(L, D.lam, D.pi_norm), decay_rate=rate)
    return cols, mu


@dataclasses.dataclass(frozen=True)
class SmallInitFlowReport(FlowLimitReport):
    """Per flow: the corollary's quantities at the limit and the PL constants (see the module docstring)."""

    pi_norm: np.ndarray
    spread: np.ndarray
    outcome: np.ndarray
    t_final: np.ndarray
    s_lower: np.ndarray
    pl_lo: np.ndarray
    pl_hi: np.ndarray
    mu_min_t1: np.ndarray
    times: tuple = dataclasses.field(default=(), metadata={"table": False})
    mus: tuple = dataclasses.field(default=(), metadata={"table": False})
    scale: float = 0.0
    n: int = 0
    d: int = 0

    summary_fields = ("times", "mus")

    @classmethod
    def merge_summaries(cls, shards, runs):
        # one curve per run, runs seed-major (the loop over seeds is outermost): shards in seed order
        return {k: tuple(c for r in shards for c in getattr(r, k)) for k in cls.summary_fields}


@experiment("marion2024.small_init_flow", figure=figure_flow, presets={
    "smoke": {"seeds": (0,), "depths": (2,), "scale": 1e-3, "data_kinds": ((1.0, 1.0),), "n": 50, "d": 5,
              "rtol": 1e-11},
    "book": {"seeds": (0, 1), "depths": (2, 3, 4), "scale": 1e-3, "data_kinds": ((1.0, 1.0), (2.0, 3.0)),
             "n": 50, "d": 5, "rtol": 1e-11},
    "paper": {"seeds": tuple(range(10)), "depths": (2, 3, 4), "scale": 1e-3,
              "data_kinds": ((1.0, 1.0), (2.0, 3.0), (0.5, 1.0), (1.0, 6.0)), "n": 50, "d": 5, "rtol": 1e-11},
})
def small_init_flow(*, seeds, depths, scale, data_kinds, n, d, rtol):
    r"""Gradient flow from a small Gaussian init: corollary at the limit and PL constants (module docstring).

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import small_init_flow
    >>> rep = small_init_flow("smoke")
    >>> bool(rep.success[0]), bool(rep.defect[0] <= rep.eps_init[0]), bool(rep.mu_end[0] >= rep.pl_bound[0])
    (True, True, True)
    """
    from ...dynamics import Problem
    from ...models import DeepLinear

    scale = check_positive(scale, "scale")
    rows, times, mus = [], [], []
    for s in seeds:
        for j, (P, spread) in enumerate(data_kinds):
            D = make_data(n=n, d=d, seed=child_seed(s, 0, j), pi_norm=P, spread=spread)
            prob = Problem(D.X, D.y, loss="mean")
            for L in depths:
                L = check_int(L, "depths entry", minimum=2)
                net = DeepLinear([d] * L + [1])
                rng = child_rng(s, 1, j, L)
                p0 = tuple(scale * rng.standard_normal(shape) for shape in net.shapes)
                r = prob.gradient_flow(net, p0, rtol=rtol, stat_tol=max(1e-8, 100 * rtol),
                                       record=("grad_norm", "beta"))
                cols, mu = flow_limit(prob, net, r, D, cf.init_epsilon(p0), L)
                pl_lo, pl_hi = cf.pl_interval(r.x, D.Sigma)
                rows.append(dict(cols, seed=s, depth=L, pi_norm=D.pi_norm, spread=spread, success=bool(r.success),
                                 outcome=str(r.status), t_final=r.t_final, drift=r.drift,
                                 s_lower=cf.sharpness_lower_bound(L, D.a, D.pi_norm), pl_lo=pl_lo, pl_hi=pl_hi,
                                 mu_min_t1=float(np.min(mu[r.t >= 1]))))
                times.append(r.t)
                mus.append(mu)
    return SmallInitFlowReport.from_rows(rows, times=tuple(times), mus=tuple(mus), scale=scale, n=n, d=d)
