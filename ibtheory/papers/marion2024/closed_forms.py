r"""Predictions of Marion & Chizat (2024): sharpness of minimizers, critical step size, corollary.

Setting: :math:`f(x) = W_L\cdots W_1x` (:math:`d_L = 1`), :math:`R = \frac1n\|y-X\beta\|^2`,
:math:`\beta^\top = W_L\cdots W_1`, :math:`\Sigma = X^\top X/n` invertible with eigenvalues in
:math:`[\lambda,\Lambda]`, :math:`P = \|\pi^\star\|`, :math:`a = \hat\pi^{\star\top}\Sigma\hat\pi^\star`.
With co-states :math:`a_k^\top = W_L\cdots W_{k+1}` and prefixes :math:`B_k = W_{k-1}\cdots W_1`,
the Jacobian of :math:`\beta` satisfies :math:`JJ^\top = M = \sum_k\|a_k\|^2B_k^\top B_k`, so at a
minimizer :math:`S = 2\lambda_{\max}(\Sigma^{1/2}M\Sigma^{1/2})`.

- :func:`sharpness_lower_bound` :math:`2LaP^{2-2/L}` (every minimizer is at least this sharp);
- :func:`minimal_sharpness` the true infimum over minimizers (certified 1-D problem,
  :func:`ibtheory.solvers.sharpness_infimum`) and :func:`critical_lr` :math:`= 2/\inf S`;
- ``printed_*``: the slides' asymptotic forms (:math:`2LaP^2`), wrong at finite depth when :math:`P\ne1`.

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._validation import as_real_array, check_int, check_positive

__all__ = [
    "sharpness_lower_bound", "printed_inf_sharpness", "printed_critical_lr", "minimal_sharpness",
    "critical_lr", "lower_bound_lr", "balanced_sharpness", "sharpness_upper_bound", "minimizer_sharpness",
    "pl_interval", "pl_limit_bound", "balanced_minimizer", "rank_one_minimizer", "random_minimizer",
    "CorollaryProperties", "corollary_properties", "init_epsilon",
]


def sharpness_lower_bound(L, a, pi_norm=1.0):
    r""":math:`2La\|\pi^\star\|^{2-2/L}`: every minimizer has at least this sharpness (not attained in general).

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import sharpness_lower_bound
    >>> sharpness_lower_bound(10, 0.5), sharpness_lower_bound(2, 1.0, 4.0)
    (10.0, 16.0)
    """
    L = check_int(L, "L", minimum=1)
    return 2.0 * L * check_positive(a, "a") * check_positive(pi_norm, "pi_norm") ** (2.0 - 2.0 / L)


def printed_inf_sharpness(L, a, pi_norm=1.0):
    r"""The slides' :math:`\inf S\sim2La\|\pi^\star\|^2`: the :math:`L\to\infty` equivalent, not a finite-depth value.

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import printed_inf_sharpness
    >>> printed_inf_sharpness(5, 1.0, 2.0)
    40.0
    """
    L = check_int(L, "L", minimum=1)
    return 2.0 * L * check_positive(a, "a") * check_positive(pi_norm, "pi_norm") ** 2


def printed_critical_lr(L, a, pi_norm=1.0):
    r""":math:`2/(2La\|\pi^\star\|^2)`: the threshold the slides' asymptotic form would give."""
    return 2.0 / printed_inf_sharpness(L, a, pi_norm)


def _sigma_pi(data):
    return as_real_array(data.Sigma, "data.Sigma"), as_real_array(data.pi_star, "data.pi_star")


def minimal_sharpness(L, data):
    r""":math:`\inf_{\arg\min R}S` for depth ``L`` (certified; ``L = 1``: :math:`2\Lambda`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.marion2024 import data_from_arrays, minimal_sharpness
    >>> D = data_from_arrays(np.diag([2.0, 1.0]), np.array([2.0, 0.0]))     # Sigma = diag(2, .5), pi = e1
    >>> round(minimal_sharpness(3, D), 12)    # pi* is the top eigenvector: the lower bound 2 L a is attained
    12.0
    """
    L = check_int(L, "L", minimum=1)
    Sigma, pi = _sigma_pi(data)
    if L == 1:
        return float(2.0 * np.linalg.eigvalsh(Sigma)[-1])
    from ...solvers import sharpness_infimum

    return float(sharpness_infimum(L, Sigma, pi).fun)


def critical_lr(L, data):
    r""":math:`\eta_c = 2/\inf_{\arg\min}S`: above it no minimizer is linearly stable for GD.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.marion2024 import data_from_arrays, critical_lr
    >>> critical_lr(2, data_from_arrays(np.eye(2) * np.sqrt(2), np.array([np.sqrt(2), 0.0])))
    0.5
    """
    return 2.0 / minimal_sharpness(L, data)


def lower_bound_lr(L, data):
    r""":math:`2/(2La\|\pi^\star\|^{2-2/L})`: the step size the lower bound alone gives (overstates :math:`\eta_c`)."""
    L = check_int(L, "L", minimum=1)
    if not all(hasattr(data, k) for k in ("a", "pi_norm")):
        raise TypeError(f"data must be a RegressionData (with fields a and pi_norm), got {type(data).__name__}")
    return 2.0 / sharpness_lower_bound(L, data.a, data.pi_norm)


def balanced_sharpness(L, Sigma, pi_star):
    r"""Sharpness of the balanced rank-one minimizer :math:`\sigma_k = \|\pi^\star\|^{1/L}`, closed form.

    :math:`S = 2\|\pi^\star\|^{2-2/L}\lambda_{\max}(\Sigma + (L-1)ss^\top)`, :math:`s = \Sigma^{1/2}\hat\pi^\star`,
    in :math:`[2La, 2((L-1)a+\Lambda)]\,\|\pi^\star\|^{2-2/L}`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.marion2024 import balanced_sharpness
    >>> round(balanced_sharpness(3, np.diag([2.0, 1.0]), np.array([1.0, 0.0])), 12)
    12.0
    """
    L = check_int(L, "L", minimum=1)
    Sigma, pi = as_real_array(Sigma, "Sigma"), as_real_array(pi_star, "pi_star")
    P = np.linalg.norm(pi)
    ev, U = np.linalg.eigh(Sigma)
    s = (U * np.sqrt(ev)) @ U.T @ (pi / P)
    return float(2.0 * P ** (2.0 - 2.0 / L) * np.linalg.eigvalsh(Sigma + (L - 1) * np.outer(s, s))[-1])


def sharpness_upper_bound(L, Lam, pi_norm=1.0):
    r""":math:`8L\Lambda\|\pi^\star\|^{2-2/L}` (the authors' figure line :math:`8L\Lambda`).

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import sharpness_upper_bound
    >>> sharpness_upper_bound(10, 2.0)
    160.0
    """
    L = check_int(L, "L", minimum=1)
    return 8.0 * L * check_positive(Lam, "Lam") * check_positive(pi_norm, "pi_norm") ** (2.0 - 2.0 / L)


def _layers(params):
    params = tuple(as_real_array(p, f"params[{i}]") for i, p in enumerate(params))
    if not params or any(p.ndim != 2 for p in params) or params[-1].shape[0] != 1:
        raise ValueError("params must be layers W_1..W_L (2-D arrays) with W_L of one row")
    for k in range(1, len(params)):
        if params[k].shape[1] != params[k - 1].shape[0]:
            raise ValueError(f"params[{k}] has {params[k].shape[1]} columns, expected {params[k - 1].shape[0]}")
    return params


def _gram_M(params):
    """:math:`M = \\sum_k\\|a_k\\|^2B_k^\\top B_k` (``JJ^T``)."""
    L = len(params)
    a = [None] * (L + 1)
    a[L] = np.ones(1)
    for k in range(L - 1, -1, -1):
        a[k] = params[k].T @ a[k + 1]
    B = np.eye(params[0].shape[1])
    M = np.zeros_like(B)
    for k in range(L):
        M += float(a[k + 1] @ a[k + 1]) * (B.T @ B)
        B = params[k] @ B
    return M


def _sqrt_psd(Sigma):
    ev, U = np.linalg.eigh(as_real_array(Sigma, "Sigma"))
    return (U * np.sqrt(np.maximum(ev, 0))) @ U.T


def minimizer_sharpness(params, Sigma):
    r"""Sharpness of a *minimizer*: :math:`2\lambda_{\max}(\Sigma^{1/2}M\Sigma^{1/2})`, a ``d x d`` eigenproblem.

    Off minimizers this is only the Gauss-Newton part of the Hessian.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.marion2024 import balanced_minimizer, minimizer_sharpness
    >>> W = balanced_minimizer([2, 2, 2, 1], np.array([1.0, 0.0]))
    >>> round(minimizer_sharpness(W, np.diag([2.0, 1.0])), 12)
    12.0
    """
    R = _sqrt_psd(Sigma)
    return float(2.0 * np.linalg.eigvalsh(R @ _gram_M(_layers(params)) @ R)[-1])


def pl_interval(params, Sigma):
    r""":math:`4[\lambda_{\min},\lambda_{\max}](\Sigma^{1/2}M\Sigma^{1/2})`: it holds the PL ratio at ``params``.

    :math:`\nabla_{\mathcal W}R = J^\top\nabla_\beta R`, :math:`\nabla_\beta R = 2\Sigma(\beta-\pi^\star)`, so with
    :math:`w = \Sigma^{1/2}(\beta-\pi^\star)`,
    :math:`\|\nabla R\|^2/(R-R_{\min}) = 4w^\top\Sigma^{1/2}M\Sigma^{1/2}w/w^\top w` at every point.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.marion2024 import balanced_minimizer, pl_interval
    >>> pl_interval(balanced_minimizer([2, 2, 1], np.array([1.0, 0.0])), np.eye(2))
    (4.0, 8.0)
    """
    R = _sqrt_psd(Sigma)
    ev = np.linalg.eigvalsh(R @ _gram_M(_layers(params)) @ R)
    return float(4.0 * ev[0]), float(4.0 * ev[-1])


def pl_limit_bound(L, lam, pi_norm):
    r"""Lower bound :math:`4\lambda\|\pi^\star\|^2(2\|\pi^\star\|)^{-2/L}` on the PL ratio at a low-norm minimizer.

    At a minimizer :math:`M\succeq\|a_1\|^2I` and :math:`\|a_1\|\,\|W_1\|_2\ge\|\beta\| = \|\pi^\star\|`;
    with the corollary's :math:`\|W_1\|_2\le(2\|\pi^\star\|)^{1/L}` this gives
    :math:`\lambda_{\min}(\Sigma^{1/2}M\Sigma^{1/2})\ge\lambda\|\pi^\star\|^2(2\|\pi^\star\|)^{-2/L}`.

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import pl_limit_bound
    >>> pl_limit_bound(2, 1.0, 2.0)    # 4 * 1 * 4 / 4
    4.0
    """
    L = check_int(L, "L", minimum=1)
    P = check_positive(pi_norm, "pi_norm")
    return 4.0 * check_positive(lam, "lam") * P * P * (2 * P) ** (-2.0 / L)


def _check_widths(widths, pi):
    widths = [check_int(w, f"widths[{i}]", minimum=1) for i, w in enumerate(widths)]
    if len(widths) < 2 or widths[-1] != 1:
        raise ValueError(f"widths must be (d_0, ..., d_L) with L >= 1 and d_L = 1, got {widths}")
    pi = as_real_array(pi, "pi_star")
    if pi.shape != (widths[0],) or not np.linalg.norm(pi) > 0:
        raise ValueError(f"pi_star must be a nonzero vector of length {widths[0]}")
    return widths, pi


def rank_one_minimizer(widths, pi_star, sigma1=None, seed=0):
    r"""The rank-one minimizer :math:`W_k = \sigma_kv_{k+1}v_k^\top`, :math:`v_1 = \hat\pi^\star`, :math:`v_{L+1} = 1`.

    ``sigma1`` fixes :math:`\sigma_1` and :math:`\sigma_2=\dots=\sigma_L = (\|\pi^\star\|/\sigma_1)^{1/(L-1)}`;
    ``None`` is the balanced one (:math:`\sigma_k = \|\pi^\star\|^{1/L}`). Hidden unit
    vectors come from ``default_rng(SeedSequence(seed))``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import DeepLinear
    >>> from ibtheory.papers.marion2024 import rank_one_minimizer
    >>> W = rank_one_minimizer([2, 3, 1], np.array([3.0, 4.0]), sigma1=2.0)
    >>> bool(np.allclose(DeepLinear([2, 3, 1]).beta(W), [3.0, 4.0])), round(float(np.linalg.norm(W[0], 2)), 12)
    (True, 2.0)
    """
    widths, pi = _check_widths(widths, pi_star)
    L = len(widths) - 1
    P = float(np.linalg.norm(pi))
    if sigma1 is None:
        sig = [P ** (1.0 / L)] * L
    else:
        s1 = check_positive(sigma1, "sigma1")
        sig = [s1] + [(P / s1) ** (1.0 / (L - 1))] * (L - 1) if L > 1 else [P]
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    vs = [pi / P]
    for w in widths[1:-1]:
        v = rng.standard_normal(w)
        vs.append(v / np.linalg.norm(v))
    vs.append(np.ones(1))
    return tuple(sig[k] * np.outer(vs[k + 1], vs[k]) for k in range(L))


def balanced_minimizer(widths, pi_star, seed=0):
    r"""The balanced rank-one minimizer (:func:`rank_one_minimizer` with :math:`\sigma_k = \|\pi^\star\|^{1/L}`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.marion2024 import balanced_minimizer
    >>> [round(float(np.linalg.norm(W, 2)), 12) for W in balanced_minimizer([2, 2, 1], np.array([4.0, 0.0]))]
    [2.0, 2.0]
    """
    return rank_one_minimizer(widths, pi_star, None, seed)


def random_minimizer(widths, pi_star, scale=1.0, seed=0):
    r"""A random minimizer: :math:`W_2..W_L` Gaussian, :math:`W_1 = a_1\pi^{\star\top}/\|a_1\|^2 + (I-\hat a_1\hat a_1^\top)N`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import DeepLinear
    >>> from ibtheory.papers.marion2024 import random_minimizer
    >>> bool(np.allclose(DeepLinear([2, 3, 3, 1]).beta(random_minimizer([2, 3, 3, 1], np.ones(2))), 1.0))
    True
    """
    widths, pi = _check_widths(widths, pi_star)
    scale = check_positive(scale, "scale")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    rest = [scale * rng.standard_normal((widths[k + 1], widths[k])) for k in range(1, len(widths) - 1)]
    N = scale * rng.standard_normal((widths[1], widths[0]))
    a1 = np.ones(1)
    for W in reversed(rest):
        a1 = W.T @ a1
    n2 = float(a1 @ a1)
    W1 = np.outer(a1, pi) / n2 + (np.eye(a1.size) - np.outer(a1, a1) / n2) @ N
    return (W1,) + tuple(rest)


def init_epsilon(params):
    r""":math:`\varepsilon_0 = \max_k\|W_k(0)\|_F^2`, our reading of the corollary's :math:`\varepsilon` (an initialization scale).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.marion2024 import init_epsilon
    >>> init_epsilon((np.ones((2, 2)) * 0.1, np.ones((1, 2)) * 0.2))
    0.08000000000000002
    """
    return max(float(np.sum(W * W)) for W in _layers(params))


@dataclasses.dataclass(frozen=True)
class CorollaryProperties:
    r"""The corollary's four properties at a limit, measured with a given :math:`\varepsilon`.

    Attributes: ``eps`` (the :math:`\varepsilon` used), ``hypothesis`` :math:`32L\sqrt\varepsilon`,
    ``defect`` :math:`\max_k\|W_k\|_F^2-\|W_k\|_2^2`, ``sigma`` (top singular values),
    ``sigma_lo``/``sigma_hi`` :math:`(\|\pi^\star\|/2)^{1/L}, (2\|\pi^\star\|)^{1/L}`, ``align``
    (:math:`\langle v_{k+1},u_k\rangle^2`), ``align_bound`` :math:`1-\varepsilon/(2\|\pi^\star\|)^{2/L}`,
    ``ratio_hi`` :math:`4\Lambda/\lambda`.
    """

    eps: float
    hypothesis: float
    defect: float
    sigma: np.ndarray
    sigma_lo: float
    sigma_hi: float
    align: np.ndarray
    align_bound: float
    ratio_hi: float


def corollary_properties(params, data, eps):
    r"""The quantities of the corollary at a limit ``params`` for a given :math:`\varepsilon` (e.g. :func:`init_epsilon`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.marion2024 import balanced_minimizer, corollary_properties, make_data
    >>> D = make_data(n=20, d=2, seed=0)
    >>> p = corollary_properties(balanced_minimizer([2, 2, 1], D.pi_star), D, eps=1e-4)
    >>> bool(p.defect < 1e-15), bool(p.sigma_lo <= p.sigma.min() <= p.sigma.max() <= p.sigma_hi)
    (True, True)
    """
    params = _layers(params)
    eps = float(as_real_array(eps, "eps"))
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    L = len(params)
    svd = [np.linalg.svd(W) for W in params]
    defect = max(float(np.sum(s ** 2) - s[0] ** 2) for _, s, _ in svd)
    align = np.array([float(svd[k + 1][2][0] @ svd[k][0][:, 0]) ** 2 for k in range(L - 1)])
    P = data.pi_norm
    return CorollaryProperties(eps=eps, hypothesis=32 * L * np.sqrt(eps), defect=defect,
                               sigma=np.array([s[0] for _, s, _ in svd]), sigma_lo=(P / 2) ** (1 / L),
                               sigma_hi=(2 * P) ** (1 / L), align=align, align_bound=1 - eps / (2 * P) ** (2 / L),
                               ratio_hi=4 * data.Lam / data.lam)
