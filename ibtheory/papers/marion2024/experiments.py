r"""Experiments of Marion & Chizat (2024): the sharpness of minimizers (this module), gradient
descent (:mod:`.experiments_gd`) and gradient flow (:mod:`.experiments_flow`).

Every experiment is registered with :func:`ibtheory.papers.experiment` and has
``smoke``/``book``/``paper`` presets; the chapter and the ledger call the same
objects. Every random draw of run ``i`` comes from ``SeedSequence(seeds[i])`` (or
one of its children, keyed by the grid point).

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
from .data import make_data
from .figures import figure_landscape, figure_sharpness_vs_depth

__all__ = ["OUTCOMES", "child_seed", "child_rng", "outcome_counts", "SharpnessLandscapeReport", "sharpness_landscape",
           "SharpnessDepthReport", "sharpness_vs_depth"]


def _sequence(seed, key):
    """``SeedSequence(seed, spawn_key=key)`` after checking both are non-negative integers."""
    return np.random.SeedSequence(check_int(seed, "seed", minimum=0),
                                  spawn_key=tuple(check_int(k, f"key[{i}]", minimum=0) for i, k in enumerate(key)))


def child_seed(seed, *key) -> int:
    """An integer seed drawn from ``SeedSequence(seed)``'s child keyed by ``key`` (depends on nothing else).

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import child_seed
    >>> child_seed(0, 1) == child_seed(0, 1) != child_seed(0, 2)
    True
    """
    return int(_sequence(seed, key).generate_state(1)[0])


def child_rng(seed, *key):
    """The generator of ``SeedSequence(seed)``'s child keyed by ``key``.

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import child_rng
    >>> float(child_rng(0, 1).standard_normal()) == float(child_rng(0, 1).standard_normal())
    True
    """
    return np.random.default_rng(_sequence(seed, key))


#: the outcomes of a gradient-descent run, in the order the tables show them
OUTCOMES = ("converged", "period_2", "diverged", "still_descending", "other")


def outcome_counts(outcome, mask=None, level=0.95):
    """Counts of each outcome among the runs in ``mask``, with Wilson intervals of the fractions.

    Returns a :class:`pandas.DataFrame` (rows: outcomes; columns ``count``, ``runs``,
    ``fraction``, ``lo``, ``hi``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.marion2024 import outcome_counts
    >>> outcome_counts(np.array(["converged", "period_2", "converged"]))["count"].tolist()
    [2, 1, 0, 0, 0]
    """
    import pandas as pd

    from ...stats import binomial_interval

    outcome = np.asarray(outcome)
    sel = outcome if mask is None else outcome[np.asarray(mask, dtype=bool)]
    n = int(sel.size)
    rows = []
    for o in OUTCOMES:
        k = int(np.sum(sel == o))
        lo, hi = binomial_interval(k, n, level) if n else (np.nan, np.nan)
        rows.append((o, k, n, k / n if n else np.nan, lo, hi))
    return pd.DataFrame(rows, columns=["outcome", "count", "runs", "fraction", "lo", "hi"]).set_index("outcome")


# ------------------------------------------------------------------ sharpness of minimizers
@dataclasses.dataclass(frozen=True)
class SharpnessLandscapeReport(Report):
    """Per (seed, network): brute-force and certified infimum of the sharpness over minimizers."""

    seed: np.ndarray
    depth: np.ndarray
    widths: np.ndarray
    brute_force: np.ndarray
    infimum: np.ndarray
    certified_lower: np.ndarray
    lower_bound: np.ndarray
    balanced: np.ndarray
    feasibility: np.ndarray
    hessian_error: np.ndarray
    n: int
    d: int
    spread: float
    n_starts: int


@experiment("marion2024.sharpness_landscape", figure=figure_landscape, presets={
    "smoke": {"seeds": (0,), "networks": ((2, 3, 1),), "n": 10, "spread": 3.0, "n_starts": 1},
    "book": {"seeds": (0,), "networks": ((2, 3, 1), (2, 2, 2, 1)), "n": 10, "spread": 3.0, "n_starts": 2},
    "paper": {"seeds": tuple(range(10)), "networks": ((2, 3, 1), (2, 2, 2, 1), (3, 2, 2, 2, 1)), "n": 10,
              "spread": 3.0, "n_starts": 4},
})
def sharpness_landscape(*, seeds, networks, n, spread, n_starts):
    r"""The infimum of the sharpness over all minimizers, two ways, on random anisotropic instances.

    For each seed an instance :func:`make_data` (``d = widths[0]``, covariance spread ``spread``,
    :math:`\|\pi^\star\|` unnormalized) and each network: the brute-force minimum of the
    dense Hessian's top eigenvalue over a parametrization of all minimizers
    (:func:`ibtheory.solvers.min_sharpness_over_minimizers`), the certified 1-D infimum
    (:func:`ibtheory.solvers.sharpness_infimum`), the paper's lower bound, the balanced
    minimizer's sharpness, and the relative error of the closed form
    :math:`2\lambda_{\max}(\Sigma^{1/2}M\Sigma^{1/2})` against the dense Hessian at three minimizers.

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import sharpness_landscape
    >>> rep = sharpness_landscape("smoke")
    >>> bool(abs(rep.brute_force[0] - rep.infimum[0]) < 1e-9 * rep.infimum[0])
    True
    """
    from ...dynamics import Problem
    from ...models import DeepLinear
    from ...solvers import min_sharpness_over_minimizers, sharpness_infimum

    rows = []
    for s in seeds:
        for j, widths in enumerate(networks):
            widths = [check_int(w, "networks entry", minimum=1) for w in widths]
            D = make_data(n=n, d=widths[0], seed=child_seed(s, 0, widths[0]), pi_norm=None, spread=spread)
            L = len(widths) - 1
            num = min_sharpness_over_minimizers(widths, D.X, D.y, n_starts=n_starts, seed=child_seed(s, 1, j))
            inf = sharpness_infimum(L, D.Sigma, D.pi_star)
            net, prob = DeepLinear(widths), Problem(D.X, D.y, loss="mean")
            err = 0.0
            for W in (cf.balanced_minimizer(widths, D.pi_star, seed=child_seed(s, 2, j)),
                      cf.random_minimizer(widths, D.pi_star, 1.0, seed=child_seed(s, 3, j)),
                      cf.random_minimizer(widths, D.pi_star, 2.0, seed=child_seed(s, 4, j))):
                top = np.linalg.eigvalsh(prob.hessian(net, W))[-1]
                err = max(err, abs(cf.minimizer_sharpness(W, D.Sigma) - top) / top)
            rows.append((s, L, "-".join(map(str, widths)), num.fun, inf.fun, inf.lower,
                         cf.sharpness_lower_bound(L, D.a, D.pi_norm), cf.balanced_sharpness(L, D.Sigma, D.pi_star),
                         num.kkt.primal_feasibility, err))
    cols = list(zip(*rows))
    return SharpnessLandscapeReport(
        seed=np.array(cols[0]), depth=np.array(cols[1]), widths=np.array(cols[2]), brute_force=np.array(cols[3]),
        infimum=np.array(cols[4]), certified_lower=np.array(cols[5]), lower_bound=np.array(cols[6]),
        balanced=np.array(cols[7]), feasibility=np.array(cols[8]), hessian_error=np.array(cols[9]),
        n=n, d=int(networks[0][0]), spread=float(spread), n_starts=n_starts)


@dataclasses.dataclass(frozen=True)
class SharpnessDepthReport(Report):
    """Per (seed, spread, depth): the infimum of the sharpness and its bounds."""

    seed: np.ndarray
    spread: np.ndarray
    depth: np.ndarray
    pi_norm: np.ndarray
    infimum: np.ndarray
    lower_bound: np.ndarray
    balanced: np.ndarray
    printed: np.ndarray
    envelope_lo: np.ndarray
    envelope_hi: np.ndarray
    overstatement: np.ndarray
    n: int
    d: int


@experiment("marion2024.sharpness_vs_depth", figure=figure_sharpness_vs_depth, presets={
    "smoke": {"seeds": (0,), "depths": (2, 10, 100), "spreads": (1.0, 4.0), "n": 20, "d": 3},
    "book": {"seeds": (0, 1, 2), "depths": (2, 3, 4, 6, 10, 20, 40, 100, 300, 1000, 3000, 10000),
             "spreads": (1.0, 2.0, 4.0, 8.0), "n": 50, "d": 5},
    "paper": {"seeds": tuple(range(20)), "depths": tuple(int(v) for v in np.unique(np.geomspace(2, 1e4, 30).astype(int))),
              "spreads": (1.0, 2.0, 4.0, 8.0, 16.0), "n": 50, "d": 5},
})
def sharpness_vs_depth(*, seeds, depths, spreads, n, d):
    r"""Certified :math:`\inf S` against the lower bound, the balanced value and the slides' :math:`2La\|\pi^\star\|^2`.

    Each seed and spread draws one instance (:func:`make_data`, :math:`\|\pi^\star\|` unnormalized);
    per depth it records :math:`\inf S`, :math:`2La\|\pi^\star\|^{2-2/L}`, the balanced sharpness,
    :math:`2La\|\pi^\star\|^2`, the envelope :math:`[\|\pi^\star\|^{-2/L}, \|\pi^\star\|^{-2/L}(1+\frac{\Lambda-a}{La})]`
    of :math:`\inf S/(2La\|\pi^\star\|^2)`, and the *overstatement* :math:`\inf S/(2La\|\pi^\star\|^{2-2/L})`:
    the factor by which the lower-bound step size exceeds the true :math:`\eta_c`.

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import sharpness_vs_depth
    >>> rep = sharpness_vs_depth("smoke")
    >>> bool((rep.overstatement >= 1).all()), rep.table().shape[0]
    (True, 6)
    """
    from ...solvers import sharpness_infimum

    rows = []
    for s in seeds:
        for j, sp_ in enumerate(spreads):
            D = make_data(n=n, d=d, seed=child_seed(s, j), pi_norm=None, spread=sp_)
            P, a = D.pi_norm, D.a
            for L in depths:
                L = check_int(L, "depths entry", minimum=2)
                inf = sharpness_infimum(L, D.Sigma, D.pi_star).fun
                lo = cf.sharpness_lower_bound(L, a, P)
                e_lo = P ** (-2 / L)
                rows.append((s, sp_, L, P, inf, lo, cf.balanced_sharpness(L, D.Sigma, D.pi_star),
                             cf.printed_inf_sharpness(L, a, P), e_lo, e_lo * (1 + (D.Lam - a) / (L * a)), inf / lo))
    c = [np.array(v) for v in zip(*rows)]
    return SharpnessDepthReport(seed=c[0], spread=c[1], depth=c[2], pi_norm=c[3], infimum=c[4], lower_bound=c[5],
                                balanced=c[6], printed=c[7], envelope_lo=c[8], envelope_hi=c[9], overstatement=c[10],
                                n=n, d=d)


from .experiments_gd import *  # noqa: E402,F401,F403  (registers the gradient-descent experiments)
from .experiments_flow import *  # noqa: E402,F401,F403  (registers the gradient-flow experiment)
from .experiments_deep import *  # noqa: E402,F401,F403  (registers the deep gradient-flow experiment)
from .experiments_under import *  # noqa: E402,F401,F403  (registers the underdetermined experiment)
from . import experiments_deep as _deep, experiments_flow as _flow, experiments_gd as _gd  # noqa: E402
from . import experiments_under as _under  # noqa: E402

__all__ += list(_gd.__all__) + list(_flow.__all__) + list(_deep.__all__) + list(_under.__all__)
