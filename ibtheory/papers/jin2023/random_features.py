r"""The random-features step of Jin & Montufar on its own: problem (17) tends to problem (18).

With the hidden layer frozen at :math:`n` samples :math:`(w_i,b_i)` of :math:`(\mathcal W,\mathcal B)`,
training the output layer from an anti-symmetric start is the minimum-norm problem (17),

.. math::

    \min_{\alpha}\ \frac1n\sum_i\alpha_i^2\quad\text{s.t.}\quad
    \frac1n\sum_i\alpha_i[w_ix_j+b_i]_+=z_j,

whose solution is :math:`g_n(x)=\phi_n(x)^\top\Phi^\top(\Phi\Phi^\top)^{-1}z` with
:math:`\Phi_{ji}=[w_ix_j+b_i]_+` (the scaling of the norm does not move the minimizer).
Its infinite-width version (18) replaces the empirical measure by the law of
:math:`(\mathcal W,\mathcal B)`; its solution is the kernel interpolant with
:math:`k(x,x')=\mathbb E[[\mathcal Wx+\mathcal B]_+[\mathcal Wx'+\mathcal B]_+]`, which for the
adjusted data :math:`z=y-\bar ux-\bar v` is the weighted spline :math:`g^*-\bar ux-\bar v`. The
paper's theorem: :math:`\sup_{[-L,L]}|g_n-g|=O(n^{-1/2})` with high probability (finite fourth
moments). :func:`random_features_rate` measures this step alone, without gradient descent: the
empirical Gram matrix :math:`\tfrac1n\Phi\Phi^\top` is a mean of :math:`n` i.i.d. matrices, so its
fluctuation, and with it :math:`g_n-g`, is of the order :math:`n^{-1/2}` (the central limit theorem).

See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Report
from ..._validation import as_real_array
from ...stats import loglog_fit_or_none
from .._experiment import experiment
from .closed_forms import DATA_X, DATA_Y, predicted_limit
from .figures_general import random_features_figure

__all__ = ["TOL_RF_RESIDUAL", "min_norm_random_features", "RandomFeaturesReport", "random_features_rate", "RF_INITS"]

#: the initializations of the experiment: name -> (dist, w_scale, b_scale)
RF_INITS = {"U(-1,1) x U(-2,2)": ("uniform", 1.0, 2.0),
            "N(0,1) x N(0,0.1)": ("gaussian", 1.0, float(np.sqrt(0.1))),
            "binary x U(-2.5,2.5)": ("binary_uniform", 1.0, 2.5)}

_BLOCK, _FEATURE_BLOCK = 4096, 1024
#: Level of the fits' intervals: the error decays at exactly the bound's rate (the central limit theorem), so a
#: one-sided test at the 95% level would fail once in 40 runs per init by chance; 99% makes that 1 in 200.
FIT_LEVEL = 0.99
#: Interpolation residual allowed of the minimum-norm random-features solution (5 x 5 Gram systems).
TOL_RF_RESIDUAL = 1e-10


def min_norm_random_features(w, b, x, z, t):
    r"""The minimum-norm random-features interpolant :math:`g_n` of problem (17), evaluated at ``t``.

    Parameters
    ----------
    w, b : array_like, shape (n,)
        Frozen hidden weights and biases.
    x, z : array_like, shape (M,)
        Data (M <= n, distinct).
    t : array_like, shape (N,)

    Returns
    -------
    values : ndarray, shape (N,)
    residual : float
        :math:`\max_j|g_n(x_j)-z_j|` (the interpolation certificate).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.jin2023.random_features import min_norm_random_features
    >>> g, res = min_norm_random_features([1.0, -1.0], [0.0, 0.0], [-1.0, 1.0], [1.0, 2.0], [0.0, 2.0])
    >>> g, res   # |x| features: 2 x_+ + x_-
    (array([0., 4.]), 0.0)
    """
    w, b, x, z, t = (as_real_array(v, name) for v, name in ((w, "w"), (b, "b"), (x, "x"), (z, "z"), (t, "t")))
    if w.ndim != 1 or b.shape != w.shape or x.ndim != 1 or z.shape != x.shape or t.ndim != 1 or 0 in (w.size, x.size):
        raise ValueError(f"w, b must be non-empty 1-D of one length, x, z non-empty 1-D of one length and t 1-D; "
                         f"got {w.shape}, {b.shape}, {x.shape}, {z.shape}, {t.shape}")
    Phi = np.maximum(x[:, None] * w + b, 0.0)                  # (M, n)
    G = Phi @ Phi.T
    lam = np.linalg.eigvalsh(G)
    if not lam[0] > lam[-1] * 1e-13:
        raise ValueError("the features do not separate the data (Phi Phi^T is singular): more features needed")
    coef = Phi.T @ np.linalg.solve(G, z)                         # min-norm output weights
    # blocks of points and features: the (N, n) feature matrix on the grid would take 8 N n bytes (1 GB at the
    # paper's N = 801, n = 163840); a block holds _BLOCK x _FEATURE_BLOCK (32 MB)
    vals = np.zeros(t.size)
    for i in range(0, t.size, _BLOCK):
        for j in range(0, w.size, _FEATURE_BLOCK):
            vals[i:i + _BLOCK] += np.maximum(t[i:i + _BLOCK, None] * w[j:j + _FEATURE_BLOCK] + b[j:j + _FEATURE_BLOCK],
                                             0.0) @ coef[j:j + _FEATURE_BLOCK]
    return vals, float(np.max(np.abs(Phi @ coef - z)))


@dataclasses.dataclass(frozen=True)
class RandomFeaturesReport(Report):
    r"""Per (init, width, seed): the sup over :math:`[-L,L]` of :math:`|g_n-g|` and the interpolation residual.

    ``fits`` maps init to the ensemble :class:`~ibtheory.stats.RateFit` of ``sup_error`` against n (99% intervals);
    ``u``, ``v`` the adjustment of each init (the data are the paper's, adjusted).
    """

    init: np.ndarray
    width: np.ndarray
    seed: np.ndarray
    outcome: np.ndarray
    sup_error: np.ndarray
    residual: np.ndarray
    fits: dict = dataclasses.field(metadata={"table": False})
    u: dict = dataclasses.field(metadata={"table": False})
    v: dict = dataclasses.field(metadata={"table": False})
    L_eval: float = 2.0
    seconds: float = 0.0

    #: ensemble fits over the runs: recomputed from the merged runs when seed shards are merged
    summary_fields = ("fits",)

    @staticmethod
    def interpolates(residual):
        """The runs whose minimum-norm solution interpolates (residual within :data:`TOL_RF_RESIDUAL`, relative
        to max(1, max|y|)): the ones fitted, outcome ``"success"``."""
        return residual <= TOL_RF_RESIDUAL * max(1.0, float(np.max(np.abs(DATA_Y))))

    @classmethod
    def ensemble_fits(cls, f):
        """``{"fits": ...}`` from the per-run fields ``f`` (a mapping of field names): per init (in the order
        of the runs), the log-log fit of ``sup_error`` against the width over :meth:`interpolates` runs, at the
        level :data:`FIT_LEVEL`."""
        ok = cls.interpolates(f["residual"])
        sel = {name: ok & (f["init"] == name) for name in dict.fromkeys(f["init"].tolist())}
        return {"fits": {name: loglog_fit_or_none(f["width"][s], f["sup_error"][s], level=FIT_LEVEL)
                         for name, s in sel.items()}}

    @classmethod
    def merge_summaries(cls, shards, runs):
        """The fits of the merged runs (:meth:`ensemble_fits`, the experiment's own recipe)."""
        return cls.ensemble_fits(runs)

    def summary(self):
        """One row per init: runs, worst residual, median error at the narrowest and widest width, the fit."""
        import pandas as pd

        rows = []
        for name, f in self.fits.items():
            sel = self.init == name
            lo, hi = sel & (self.width == self.width[sel].min()), sel & (self.width == self.width[sel].max())
            rows.append({"init": name, "runs": int(sel.sum()), "max residual": float(self.residual[sel].max()),
                         f"median error, n = {self.width[sel].min()}": float(np.median(self.sup_error[lo])),
                         f"median error, n = {self.width[sel].max()}": float(np.median(self.sup_error[hi])),
                         "exponent": f.slope, f"{f.level:.0%} CI": f"[{f.ci[0]:.3f}, {f.ci[1]:.3f}]"})
        return pd.DataFrame(rows)


@experiment("jin2023.random_features_rate", figure=random_features_figure, presets={
    "smoke": {"seeds": (0, 1, 2), "inits": ("U(-1,1) x U(-2,2)",), "widths": (40, 160, 640), "n_eval": 101,
              "L_eval": 2.0},
    "book": {"seeds": tuple(range(16)), "inits": tuple(RF_INITS), "widths": (40, 160, 640, 2560, 10240),
             "n_eval": 401, "L_eval": 2.0},
    "paper": {"seeds": tuple(range(50)), "inits": tuple(RF_INITS),
              "widths": (10, 40, 160, 640, 2560, 10240, 40960, 163840), "n_eval": 801, "L_eval": 2.0}})
def random_features_rate(*, seeds, inits, widths, n_eval, L_eval):
    r"""Finite-width minimum-norm random features (17) vs the infinite-width solution (18), paper's adjusted data.

    Run ``(init, n, seed)`` draws :math:`n` pairs :math:`(w_i,b_i)` with
    :func:`ibtheory.models.relu_init` (``asi=False``, the hidden layer only), so from
    ``SeedSequence(seed)`` alone; the limit :math:`g^*-\bar ux-\bar v` is
    :func:`~ibtheory.papers.jin2023.predicted_limit` (the certified weighted spline).
    """
    import time

    from ibtheory.models import TwoLayerReLU, relu_init

    if isinstance(inits, str) or not all(i in RF_INITS for i in inits):
        raise ValueError(f"inits must be a tuple of names from {tuple(RF_INITS)}, got {inits!r}")
    t = np.linspace(-L_eval, L_eval, n_eval)
    rows, us, vs = [], {}, {}
    t0 = time.perf_counter()
    for name in inits:
        dist, ws, bs = RF_INITS[name]
        g, u, v = predicted_limit(DATA_X, DATA_Y, dist, ws, bs)
        z, target = DATA_Y - u * DATA_X - v, g(t) - u * t - v
        us[name], vs[name] = u, v
        for n in widths:
            for s in seeds:
                W, b, _, _ = relu_init(TwoLayerReLU(1, n), dist, ws, bs, asi=False, seed=s)
                try:
                    vals, res = min_norm_random_features(W[:, 0], b, DATA_X, z, t)
                except ValueError:   # too few features to interpolate (small n): kept, counted
                    rows.append((name, n, s, np.inf, np.nan))
                    continue
                rows.append((name, n, s, res, float(np.max(np.abs(vals - target)))))
    c = [np.array(col) for col in zip(*rows)]
    res = c[3].astype(float)
    ok = RandomFeaturesReport.interpolates(res)
    runs = dict(init=c[0], width=c[1].astype(int), seed=c[2].astype(int),
                outcome=np.where(ok, "success", np.where(np.isinf(res), "no_interpolant", "numerical")),
                sup_error=c[4].astype(float), residual=res)
    return RandomFeaturesReport(**runs, **RandomFeaturesReport.ensemble_fits(runs), u=us, v=vs, L_eval=float(L_eval),
                                seconds=time.perf_counter() - t0)
