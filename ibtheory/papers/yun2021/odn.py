r"""Orthogonally decomposable linear tensor networks (Assumption 1), with any real :math:`(S, U_1, \dots, U_L)`.

.. math::

    M(x) = \sum_{k=1}^m [Sx]_k\,[U_1]_{\cdot k}\otimes\cdots\otimes[U_L]_{\cdot k},
    \qquad U_l^\top U_l = I_m,

so that, with :math:`\rho_k = \prod_l[U_l^\top v_l]_k`, :math:`f(x) = (Sx)^\top\rho` and
:math:`\beta = S^\top\rho`: the network is an :math:`L`-layer diagonal network in the
coordinates :math:`U_l^\top v_l` on the data :math:`XS^\top`. Theorem 5 (regression) and
Theorem 2 (classification) follow from Corollaries 5 and 2 in these coordinates;
:func:`odn_tensor` builds the data tensor, :func:`odn_regression_limit` and
:func:`odn_rho` give the predictions and the flow's :math:`\rho`, and the experiment
:func:`odn_flows` checks both on random :math:`(S, U_l)`.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import PER_RUN, Report
from ..._validation import as_real_array, check_int
from .._experiment import experiment
from .data import rng_for, separable_instance
from .figures_regression import odn_flows_figure

__all__ = ["odn_tensor", "odn_rho", "odn_regression_limit", "random_odn", "OdnFlows", "odn_flows"]


def _check_odn(S, Us):
    S = as_real_array(S, "S")
    if S.ndim != 2:
        raise ValueError(f"S must be a matrix (m, d), got shape {S.shape}")
    if not isinstance(Us, (list, tuple)) or len(Us) < 2:
        raise ValueError("Us must be a sequence of L >= 2 matrices U_l of shape (k_l, m)")
    out = []
    for l, U in enumerate(Us):
        U = as_real_array(U, f"Us[{l}]")
        if U.ndim != 2 or U.shape[1] != S.shape[0]:
            raise ValueError(f"Us[{l}] must have shape (k_l, {S.shape[0]}), got {U.shape}")
        if np.max(np.abs(U.T @ U - np.eye(U.shape[1]))) > 1e-10:
            raise ValueError(f"Us[{l}] must have orthonormal columns (U^T U = I)")
        out.append(U)
    return S, out


def odn_tensor(S, Us):
    r"""Stacked data tensor :math:`T_j = M(e_j) = \sum_k S_{kj}\,[U_1]_{\cdot k}\otimes\cdots\otimes[U_L]_{\cdot k}`.

    Returns an array of shape ``(d, k_1, ..., k_L)`` for :class:`ibtheory.models.TensorNetwork`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import odn_tensor
    >>> T = odn_tensor(np.eye(2), [np.eye(2), np.eye(2)])   # the 2-layer diagonal network
    >>> T[0], T[1]
    (array([[1., 0.],
           [0., 0.]]), array([[0., 0.],
           [0., 1.]]))

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    S, Us = _check_odn(S, Us)
    letters = "abcdefghij"[:len(Us)]
    spec = "kj," + ",".join(f"{c}k" for c in letters) + "->j" + letters
    return np.einsum(spec, S, *Us)


def odn_rho(Us, params):
    r""":math:`\rho = \prod_l U_l^\top v_l` (entrywise), the diagonal-network coordinates of the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import odn_rho
    >>> odn_rho([np.eye(2), np.eye(2)], (np.array([1., 2.]), np.array([3., 4.])))
    array([3., 8.])

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    if len(Us) != len(params):
        raise ValueError(f"params must hold one vector per layer ({len(Us)}), got {len(params)}")
    rho = 1.0
    for l, (U, v) in enumerate(zip(Us, params)):
        rho = rho * (as_real_array(U, f"Us[{l}]").T @ as_real_array(v, f"params[{l}]"))
    return rho


def odn_regression_limit(X, y, S, Us, alpha, eta_bar):
    r"""Theorem 5: the limit :math:`\beta = S^\top\rho` of square-loss gradient flow from :math:`v_l(0) = \alpha U_l\bar\eta`, :math:`v_L(0) = 0`.

    :math:`\rho = \arg\min\alpha^2\sum_k\bar\eta_k^2H_L\big(\rho_k/(\alpha^L|\bar\eta_k|^L)\big)`
    s.t. :math:`XS^\top\rho = y` (:func:`ibtheory.solvers.qnorm_interpolator` on the data
    :math:`XS^\top`, which is Corollary 5 in the coordinates :math:`U_l^\top v_l`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import odn_regression_limit
    >>> X, y = np.array([[1., 2.]]), np.array([1.])
    >>> beta = odn_regression_limit(X, y, np.eye(2), [np.eye(2), np.eye(2)], 1.0, np.ones(2))
    >>> bool(abs(X @ beta - 1) < 1e-9)
    True

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...solvers import qnorm_interpolator

    S, Us = _check_odn(S, Us)
    X = as_real_array(X, "X")
    rho = qnorm_interpolator(X @ S.T, y, len(Us), alpha, eta_bar).x
    return S.T @ rho


def random_odn(rng, d, m, ks):
    r"""Gaussian :math:`S` (m, d) and :math:`U_l` (k_l, m) with orthonormal columns (QR of Gaussians).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import random_odn, rng_for
    >>> S, Us = random_odn(rng_for(0), 4, 3, (5, 4))
    >>> S.shape, [U.shape for U in Us], bool(np.allclose(Us[0].T @ Us[0], np.eye(3)))
    ((3, 4), [(5, 3), (4, 3)], True)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    d, m = check_int(d, "d", minimum=1), check_int(m, "m", minimum=1)
    ks = tuple(check_int(k, "ks", minimum=m) for k in ks)
    S = rng.standard_normal((m, d))
    Us = [np.linalg.qr(rng.standard_normal((k, m)))[0] for k in ks]
    return S, Us


@dataclasses.dataclass(frozen=True)
class OdnFlows(Report):
    """Report of :func:`odn_flows`: one row per (seed, L)."""

    seed: np.ndarray
    L: np.ndarray
    outcome: np.ndarray
    final_loss: np.ndarray         #: square loss at the end of the regression flow
    regression_error: np.ndarray   #: max|beta_flow - S'rho_Thm5| / max|S'rho_Thm5|
    final_log_loss: np.ndarray     #: exponential loss (log) at the end of the classification flow
    final_kkt: np.ndarray          #: l_{2/L} KKT residual of rho(t) on the data X S' at s_max
    s: np.ndarray = dataclasses.field(metadata={"table": False})
    kkt: np.ndarray = dataclasses.field(metadata=PER_RUN)   #: (run, s)
    s_fit_from: float = 100.0

    def fit(self, L):
        """Pooled decay fit (:func:`decay_fit`) of the KKT residual over the runs of depth ``L``."""
        from .experiments import decay_fit

        return decay_fit(self.s, self.kkt[self.L == L], self.s_fit_from)


@experiment("yun2021.odn_flows", figure=odn_flows_figure, presets={
    "smoke": {"seeds": (0,), "depths": (2,), "d": 5, "m": 4, "k": 5, "alpha": 1.0, "n_reg": 2,
              "s_min": 10.0, "s_max": 100.0, "num": 5, "s_fit_from": 10.0},
    "book": {"seeds": (0, 1, 2, 3, 4), "depths": (2, 3), "d": 5, "m": 4, "k": 5, "alpha": 1.0,
             "n_reg": 2, "s_min": 10.0, "s_max": 1e3, "num": 9, "s_fit_from": 30.0},
    "paper": {"seeds": tuple(range(20)), "depths": (2, 3, 4), "d": 5, "m": 4, "k": 5, "alpha": 1.0,
              "n_reg": 2, "s_min": 10.0, "s_max": 1e4, "num": 13, "s_fit_from": 100.0}})
def odn_flows(*, seeds, depths, d, m, k, alpha, n_reg, s_min, s_max, num, s_fit_from):
    r"""Theorems 2 and 5 for random orthogonally decomposable networks (real :math:`S`, :math:`U_l`).

    Per seed and L: a random :math:`(S, U_1, \dots, U_L)` (:func:`random_odn`), a signed
    :math:`\bar\eta` with :math:`|\bar\eta_k|\in[0.5, 1.5]`. Regression (Theorem 5): Gaussian
    ``(n_reg, d)`` data, the flow of :class:`ibtheory.models.TensorNetwork` on
    :func:`odn_tensor` from :math:`v_l(0) = \alpha U_l\bar\eta`, :math:`v_L(0) = 0`, against
    :func:`odn_regression_limit`. Classification (Theorem 2): a separable instance (n = 3),
    :math:`v_l(0) = U_l\bar\eta` (:math:`l<L`), :math:`v_L(0) = U_L\bar\eta/2` (so
    :math:`\lambda = \tfrac34\min\bar\eta_k^2 > 0`), the log-time flow, and the
    :math:`\ell_{2/L}` KKT residual of :math:`\rho(t)` on the data :math:`XS^\top` along the run.
    """
    from ...dynamics import logtime_flow
    from ...models import TensorNetwork
    from ...solvers import lp_margin_kkt_residual
    from .experiments import log_grid
    from .experiments_regression import regression_limit

    s_eval = log_grid(s_min, s_max, num)
    rows = []
    for seed in seeds:
        rng = rng_for(seed)
        Xr, yr = rng.standard_normal((n_reg, d)), rng.standard_normal(n_reg)
        Xc, yc = separable_instance(rng, 3, d)
        for L in depths:
            L = check_int(L, "depths", minimum=2)
            S, Us = random_odn(rng, d, m, (k,) * L)
            eta = rng.uniform(0.5, 1.5, m) * rng.choice([-1.0, 1.0], m)
            net = TensorNetwork(odn_tensor(S, Us))
            p0 = tuple(alpha * U @ eta for U in Us[:-1]) + (np.zeros(k),)
            res = regression_limit(net, p0, Xr, yr)
            pred = odn_regression_limit(Xr, yr, S, Us, alpha, eta)
            err = float(np.max(np.abs(net.beta(res.x) - pred)) / np.max(np.abs(pred)))
            pc = tuple(U @ eta for U in Us[:-1]) + (0.5 * Us[-1] @ eta,)
            fl = logtime_flow(net, pc, Xc, yc, s_max, s_eval)
            ok = res.success and fl.success
            kkt = (np.array([lp_margin_kkt_residual(Xc @ S.T, yc, odn_rho(Us, P), 2.0 / L)
                             for P in fl.params]) if fl.success else np.full(num, np.nan))
            rows.append((seed, L, "converged" if ok else "neither", res.fun, err,
                         fl.log_loss[-1] if fl.success else np.nan, kkt))
    c = list(zip(*rows))
    kkt = np.array(c[6])
    return OdnFlows(seed=np.array(c[0]), L=np.array(c[1]), outcome=np.array(c[2]),
                    final_loss=np.array(c[3], float), regression_error=np.array(c[4], float),
                    final_log_loss=np.array(c[5], float), final_kkt=kkt[:, -1], s=s_eval, kkt=kkt,
                    s_fit_from=float(s_fit_from))
