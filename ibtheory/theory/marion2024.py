"""Marion & Chizat (2024): deep linear networks for regression are regularized towards flat minima.

Closed forms, the SymPy derivation of the balanced sharpness, a fast batched
gradient-descent kernel for scalar-output deep linear chains, and the drivers
of the paper's experiments. Used by the book chapter *Deep linear networks are
implicitly regularized towards flat minima* (``book/marion2024.md``).

Setting: :math:`f(x) = W_L\\cdots W_1 x` with :math:`d_L = 1`, mean squared error
:math:`R^L(\\mathcal W) = \\frac1n\\|y - XW_1^\\top\\cdots W_L^\\top\\|^2`, end-to-end
predictor :math:`\\beta = W_1^\\top\\cdots W_L^\\top`, covariance
:math:`\\Sigma = X^\\top X/n` (full rank, eigenvalues in :math:`[\\lambda,\\Lambda]`),
optimal regressor :math:`\\pi^\\star = \\Sigma^{-1}X^\\top y/n` and
:math:`a = \\hat\\pi^{\\star\\top}\\Sigma\\hat\\pi^\\star`.
"""
from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import OptimizeResult

from .._validation import as_real_array, check_depth, check_positive

__all__ = [
    "Data", "make_data", "sharpness_lower_bound", "sharpness_upper_bound", "critical_lr",
    "balanced_minimizer", "balanced_sharpness", "rank_one_inf_sharpness", "minimizer_sharpness", "pl_interval",
    "random_minimizer", "min_sharpness_over_minimizers",
    "BalancedSharpness", "chain_gd", "chain_sharpness", "gaussian_chain", "residual_chain",
    "sweep", "small_init_flow", "corollary_properties", "PAPER_SETTINGS",
]


# --------------------------------------------------------------------------- data
class Data(OptimizeResult):
    """A regression instance: ``X, y``, ``Sigma``, ``c = X^T y / n``, ``pi_star``, ``R_min``,
    ``a`` (the curvature of :math:`\\Sigma` along :math:`\\pi^\\star`), ``lam``/``Lam`` (extreme
    eigenvalues of :math:`\\Sigma`), ``pi_norm``."""


def _data_from(X, y):
    n = X.shape[0]
    Sigma = X.T @ X / n
    c = X.T @ y / n
    pi = np.linalg.solve(Sigma, c)
    ev = np.linalg.eigvalsh(Sigma)
    nrm = float(np.linalg.norm(pi))
    r = y - X @ pi
    return Data(X=X, y=y, n=n, d=X.shape[1], Sigma=Sigma, c=c, pi_star=pi, R_min=float(r @ r / n),
                a=float(pi @ Sigma @ pi) / nrm ** 2, lam=float(ev[0]), Lam=float(ev[-1]), pi_norm=nrm)


def make_data(n=50, d=5, noise=1.0, seed=0, normalize=True):
    """The paper's synthetic regression: :math:`X\\sim\\mathcal N(0,I)`, :math:`y = Xw + \\text{noise}\\,\\varepsilon`.

    With ``normalize`` the labels are divided by :math:`\\|\\pi^\\star\\|` so that the
    optimal regressor has unit norm (as in the authors' ``generate_data``).

    Examples
    --------
    >>> from ibtheory.theory.marion2024 import make_data
    >>> D = make_data(n=50, d=5, seed=0)
    >>> round(D.pi_norm, 12), bool(D.lam <= D.a <= D.Lam)
    (1.0, True)
    """
    n = check_depth(n, "n", minimum=1)
    d = check_depth(d, "d", minimum=1)
    if n < d:
        raise ValueError(f"n must be >= d (overdetermined regression with full-rank covariance), got n={n}, d={d}")
    noise = float(as_real_array(noise, "noise"))
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = X @ w + noise * rng.standard_normal(n)
    if normalize:
        pi = np.linalg.lstsq(X, y, rcond=None)[0]
        y = y / np.linalg.norm(pi)
    return _data_from(X, y)


def data_from_arrays(X, y):
    """A :class:`Data` instance from given arrays (full-rank covariance required)."""
    X = as_real_array(X, "X")
    y = as_real_array(y, "y")
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, d) and y (n,), got {X.shape} and {y.shape}")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError("X must have full column rank (the covariance X^T X / n must be invertible)")
    return _data_from(X, y)


# ------------------------------------------------------------------ closed forms
def sharpness_lower_bound(L, a, pi_norm=1.0):
    """The lower bound :math:`S(\\mathcal W)\\ge 2La\\|\\pi^\\star\\|^{2-2/L}` for every minimizer (finite ``L``).

    Proof in the book chapter; it is tight for :math:`d = 1` and, relative to
    :func:`balanced_sharpness`, up to a factor :math:`1+(\\Lambda-a)/(La)`, so
    :math:`\\inf S\\sim 2La\\|\\pi^\\star\\|^2` as :math:`L\\to\\infty` (the seed's statement).

    Examples
    --------
    >>> from ibtheory.theory.marion2024 import sharpness_lower_bound
    >>> sharpness_lower_bound(10, 0.5, 1.0), sharpness_lower_bound(2, 1.0, 4.0)
    (10.0, 16.0)
    """
    L = check_depth(L, "L", minimum=1)
    a = check_positive(a, "a")
    pi_norm = check_positive(pi_norm, "pi_norm")
    return 2.0 * L * a * pi_norm ** (2.0 - 2.0 / L)


def _rank_one_top(L, Sigma, pi, x):
    """:math:`S/2` of the rank-one minimizer with :math:`\\sigma_1 = x^{-1/2}` and equal other layers."""
    P = np.linalg.norm(pi)
    ev, U = np.linalg.eigh(Sigma)
    s = (U * np.sqrt(ev)) @ U.T @ (pi / P)
    c = (L - 1) * (P * P * x) ** (-1.0 / (L - 1)) if L > 1 else 0.0
    return P * P * np.linalg.eigvalsh(x * Sigma + c * np.outer(s, s))[-1]


def balanced_sharpness(L, Sigma, pi_star):
    """Sharpness of the balanced rank-one minimizer (:func:`balanced_minimizer`), closed form.

    :math:`M = \\sigma^{2L-2}(I + (L-1)\\hat\\pi\\hat\\pi^\\top)` (the first layer's Jacobian
    is full rank), so :math:`S = 2\\|\\pi^\\star\\|^{2-2/L}\\lambda_{\\max}(\\Sigma + (L-1)ss^\\top)`
    with :math:`s = \\Sigma^{1/2}\\hat\\pi^\\star`; it lies in
    :math:`[2La, 2((L-1)a+\\Lambda)]\\,\\|\\pi^\\star\\|^{2-2/L}`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.marion2024 import balanced_sharpness
    >>> round(balanced_sharpness(3, np.diag([2.0, 1.0]), np.array([1.0, 0.0])), 12)  # 2(2a) + 2*2
    12.0
    """
    L = check_depth(L, "L", minimum=1)
    Sigma, pi = as_real_array(Sigma, "Sigma"), as_real_array(pi_star, "pi_star")
    return float(2.0 * _rank_one_top(L, Sigma, pi, np.linalg.norm(pi) ** (-2.0 / L)))


def rank_one_inf_sharpness(L, Sigma, pi_star):
    """Infimum of the sharpness over rank-one minimizers (optimal first-layer scale), by a 1-D search.

    Over :math:`W_k = \\sigma_k v_{k+1}v_k^\\top` with :math:`\\prod\\sigma_k = \\|\\pi^\\star\\|`,
    :math:`S/2 = \\|\\pi^\\star\\|^2\\lambda_{\\max}\\big(x\\Sigma + (L-1)(\\|\\pi^\\star\\|^2x)^{-1/(L-1)}ss^\\top\\big)`
    at the best :math:`\\sigma_2=\\dots=\\sigma_L` for :math:`x = \\sigma_1^{-2}`; minimized over
    :math:`\\log x` by bounded Brent search to ``xtol=1e-12``. Returns ``(S, x)``.
    """
    from scipy.optimize import minimize_scalar

    L = check_depth(L, "L", minimum=2)
    Sigma, pi = as_real_array(Sigma, "Sigma"), as_real_array(pi_star, "pi_star")
    x0 = np.log(np.linalg.norm(pi) ** (-2.0 / L))
    r = minimize_scalar(lambda t: _rank_one_top(L, Sigma, pi, np.exp(t)), bounds=(x0 - 20, x0 + 20),
                        method="bounded", options={"xatol": 1e-12})
    return 2.0 * float(r.fun), float(np.exp(r.x))


def sharpness_upper_bound(L, Lam, pi_norm=1.0):
    """:math:`8L\\Lambda\\|\\pi^\\star\\|^{2-2/L}`: the sharpness of any minimizer whose layers have
    operator norms :math:`\\le(2\\|\\pi^\\star\\|)^{1/L}` is at most this (paper's figure line :math:`8L\\Lambda`).

    Examples
    --------
    >>> from ibtheory.theory.marion2024 import sharpness_upper_bound
    >>> sharpness_upper_bound(10, 2.0)
    160.0
    """
    L = check_depth(L, "L", minimum=1)
    return 8.0 * L * check_positive(Lam, "Lam") * check_positive(pi_norm, "pi_norm") ** (2.0 - 2.0 / L)


def critical_lr(L, a, pi_norm=1.0):
    """:math:`2/\\inf S`: above this step size GD cannot converge to a minimizer (linear stability).

    Examples
    --------
    >>> from ibtheory.theory.marion2024 import critical_lr
    >>> critical_lr(10, 0.5)
    0.2
    """
    return 2.0 / sharpness_lower_bound(L, a, pi_norm)


def _check_widths(widths):
    widths = [check_depth(w, f"widths[{i}]", minimum=1) for i, w in enumerate(widths)]
    if len(widths) < 2 or widths[-1] != 1:
        raise ValueError(f"widths must be (d_0, ..., d_L) with L >= 1 and d_L = 1, got {widths}")
    return widths


def balanced_minimizer(widths, pi_star, seed=0):
    """The balanced rank-one minimizer :math:`W_k = \\sigma v_{k+1}v_k^\\top`, :math:`\\sigma = \\|\\pi^\\star\\|^{1/L}`.

    :math:`v_1 = \\hat\\pi^\\star`, :math:`v_{L+1} = 1`, hidden unit vectors drawn from
    ``default_rng(seed)``. Its sharpness is :func:`sharpness_lower_bound`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import DeepLinear
    >>> from ibtheory.theory.marion2024 import balanced_minimizer
    >>> W = balanced_minimizer([2, 3, 1], np.array([3.0, 4.0]))
    >>> bool(np.allclose(DeepLinear([2, 3, 1]).beta(W), [3.0, 4.0]))
    True
    """
    widths = _check_widths(widths)
    pi = as_real_array(pi_star, "pi_star")
    if pi.shape != (widths[0],) or not np.linalg.norm(pi) > 0:
        raise ValueError(f"pi_star must be a nonzero vector of length {widths[0]}")
    rng = np.random.default_rng(seed)
    L = len(widths) - 1
    sig = np.linalg.norm(pi) ** (1.0 / L)
    vs = [pi / np.linalg.norm(pi)]
    for w in widths[1:-1]:
        v = rng.standard_normal(w)
        vs.append(v / np.linalg.norm(v))
    vs.append(np.ones(1))
    return tuple(sig * np.outer(vs[k + 1], vs[k]) for k in range(L))


def _chain_rows(params):
    """Co-states :math:`a_k^\\top = W_L\\cdots W_{k+1}` (``a[L] = 1``) and prefixes :math:`B_k = W_{k-1}\\cdots W_1`."""
    L = len(params)
    a = [None] * (L + 1)
    a[L] = np.ones(1)
    for k in range(L - 1, -1, -1):
        a[k] = params[k].T @ a[k + 1]
    B = [np.eye(params[0].shape[1])]
    for k in range(L - 1):
        B.append(params[k] @ B[-1])
    return a, B


def minimizer_sharpness(params, Sigma):
    """Sharpness of a *minimizer* in closed form, a ``d x d`` eigenproblem.

    At a minimizer the residual is orthogonal to the columns of ``X``, so the
    Hessian is :math:`2J^\\top\\Sigma J` with :math:`J = \\partial\\beta/\\partial\\mathcal W`, and

    .. math::

        S(\\mathcal W) = 2\\lambda_{\\max}\\big(\\Sigma^{1/2} M \\Sigma^{1/2}\\big), \\qquad
        M = JJ^\\top = \\sum_{k=1}^L \\|a_k\\|^2 B_k^\\top B_k ,

    because :math:`\\partial\\langle u,\\beta\\rangle/\\partial W_k = a_k(B_k u)^\\top`.
    (Off minimizers this is only the Gauss-Newton part.)

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.marion2024 import balanced_minimizer, minimizer_sharpness
    >>> W = balanced_minimizer([2, 2, 2, 1], np.array([1.0, 0.0]))
    >>> round(minimizer_sharpness(W, np.diag([2.0, 1.0])), 12)   # balanced_sharpness
    12.0
    """
    params = tuple(as_real_array(p, f"params[{i}]") for i, p in enumerate(params))
    Sigma = as_real_array(Sigma, "Sigma")
    a, B = _chain_rows(params)
    M = sum(float(a[k + 1] @ a[k + 1]) * (B[k].T @ B[k]) for k in range(len(params)))
    ev, U = np.linalg.eigh(Sigma)
    R = (U * np.sqrt(np.maximum(ev, 0))) @ U.T
    return float(2.0 * np.linalg.eigvalsh(R @ M @ R)[-1])


def pl_interval(params, Sigma):
    """The interval :math:`4[\\lambda_{\\min}, \\lambda_{\\max}](\\Sigma^{1/2}M\\Sigma^{1/2})` that holds the PL ratio at ``params``.

    Since :math:`\\beta` is multilinear, :math:`\\nabla_{\\mathcal W}R = J^\\top\\nabla_\\beta R` with
    :math:`\\nabla_\\beta R = 2\\Sigma(\\beta-\\pi^\\star)` and :math:`JJ^\\top = M` (see
    :func:`minimizer_sharpness`), so with :math:`w = \\Sigma^{1/2}(\\beta-\\pi^\\star)`,

    .. math::

        \\frac{\\|\\nabla R\\|^2}{R - R_{\\min}} = \\frac{4\\,w^\\top\\Sigma^{1/2}M\\Sigma^{1/2}w}{w^\\top w}
        \\in 4\\,[\\lambda_{\\min}, \\lambda_{\\max}](\\Sigma^{1/2}M\\Sigma^{1/2})

    at every point (not only at minimizers). Returns ``(lo, hi)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.marion2024 import balanced_minimizer, pl_interval
    >>> lo, hi = pl_interval(balanced_minimizer([2, 2, 1], np.array([1.0, 0.0])), np.eye(2))
    >>> round(lo, 12), round(hi, 12)   # M = I + e1 e1^T
    (4.0, 8.0)
    """
    params = tuple(as_real_array(p, f"params[{i}]") for i, p in enumerate(params))
    Sigma = as_real_array(Sigma, "Sigma")
    a, B = _chain_rows(params)
    M = sum(float(a[k + 1] @ a[k + 1]) * (B[k].T @ B[k]) for k in range(len(params)))
    ev, U = np.linalg.eigh(Sigma)
    R = (U * np.sqrt(np.maximum(ev, 0))) @ U.T
    e = np.linalg.eigvalsh(R @ M @ R)
    return float(4.0 * e[0]), float(4.0 * e[-1])


def random_minimizer(widths, pi_star, scale=1.0, seed=0):
    """A random minimizer: ``W_2..W_L`` Gaussian, ``W_1`` solving :math:`a_1^\\top W_1 = \\pi^{\\star\\top}`.

    Every minimizer with :math:`a_1\\ne 0` is :math:`W_1 = a_1\\pi^{\\star\\top}/\\|a_1\\|^2 + (I - \\hat a_1\\hat a_1^\\top)N`.
    """
    widths = _check_widths(widths)
    rng = np.random.default_rng(seed)
    rest = [scale * rng.standard_normal((widths[k + 1], widths[k])) for k in range(1, len(widths) - 1)]
    N = scale * rng.standard_normal((widths[1], widths[0]))
    return _complete_minimizer(rest, N, as_real_array(pi_star, "pi_star"))


def _complete_minimizer(rest, N, pi):
    a1 = np.ones(1)
    for W in reversed(rest):
        a1 = W.T @ a1
    n2 = float(a1 @ a1)
    P = np.eye(a1.size) - np.outer(a1, a1) / n2
    W1 = np.outer(a1, pi) / n2 + P @ N
    return (W1,) + tuple(rest)


def min_sharpness_over_minimizers(widths, data, n_starts=6, seed=0, maxiter=4000):
    """Minimize the sharpness over the set of minimizers numerically (small nets).

    The minimizers are parametrized by ``_complete_minimizer`` (free ``W_2..W_L``
    and ``N``); the objective is the top eigenvalue of the dense Hessian built
    from the engine's exact HVPs (:func:`ibtheory.dynamics.hessian`), minimized by
    BFGS then Nelder-Mead from ``n_starts`` random starts. Returns an
    ``OptimizeResult`` with ``fun`` (best sharpness), ``x`` (the minimizer),
    ``funs`` (per start) and ``grad_beta`` (the largest :math:`\\|X^\\top r\\|/n`, the
    certificate that the points are minimizers).
    """
    from scipy.optimize import minimize

    from ..dynamics import hessian
    from ..models import DeepLinear

    widths = _check_widths(widths)
    if not isinstance(n_starts, numbers.Integral) or n_starts < 1:
        raise ValueError(f"n_starts must be a positive integer, got {n_starts!r}")
    net = DeepLinear(widths)
    shapes = net.shapes[1:] + ((widths[1], widths[0]),)
    sizes = [int(np.prod(s)) for s in shapes]

    def unpack(z):
        parts, i = [], 0
        for s, m in zip(shapes, sizes):
            parts.append(z[i:i + m].reshape(s))
            i += m
        return _complete_minimizer(parts[:-1], parts[-1], data.pi_star)

    def f(z):
        W = unpack(z)
        if not np.all(np.isfinite(np.concatenate([w.ravel() for w in W]))):
            return np.inf
        return float(np.linalg.eigvalsh(hessian(net, W, data.X, data.y, loss="mean"))[-1])

    rng = np.random.default_rng(seed)
    best, funs, gb = None, [], 0.0
    for _ in range(n_starts):
        z0 = rng.standard_normal(sum(sizes))
        r = minimize(f, z0, method="BFGS", options={"maxiter": maxiter, "gtol": 1e-10})
        r = minimize(f, r.x, method="Nelder-Mead",
                     options={"maxiter": maxiter, "xatol": 1e-10, "fatol": 1e-13, "adaptive": True})
        W = unpack(r.x)
        beta = net.beta(W)
        gb = max(gb, float(np.linalg.norm(data.Sigma @ beta - data.c)))
        funs.append(r.fun)
        if best is None or r.fun < best[0]:
            best = (r.fun, W)
    return OptimizeResult(fun=float(best[0]), x=best[1], funs=np.array(funs), grad_beta=gb,
                          success=bool(gb < 1e-8), status=0 if gb < 1e-8 else 1,
                          message="points are minimizers" if gb < 1e-8 else "minimizer constraint violated")


class BalancedSharpness:
    """SymPy derivation of the sharpness of the balanced minimizer of a scalar chain.

    For :math:`d = 1` the risk is :math:`s(w_L\\cdots w_1 - \\pi)^2` up to a constant
    (:math:`s = \\Sigma > 0`, :math:`\\pi = \\pi^\\star > 0`). Attributes: ``hessian`` (the
    symbolic Hessian), ``at_balanced`` (its value at :math:`w_k = \\pi^{1/L}`),
    ``eigenvalues`` (of ``at_balanced``), ``sharpness`` (the largest),
    ``expected`` :math:`= 2Ls\\pi^{2-2/L}`, and ``residual`` (``simplify(sharpness - expected)``).

    Examples
    --------
    >>> from ibtheory.theory.marion2024 import BalancedSharpness
    >>> BalancedSharpness(3).residual
    0
    """

    def __init__(self, L):
        import sympy as sp

        L = check_depth(L, "L", minimum=1)
        self.L = L
        self.s, self.pi = sp.symbols("s pi", positive=True)
        self.w = sp.symbols(f"w1:{L + 1}", real=True)
        self.risk = self.s * (sp.Mul(*self.w) - self.pi) ** 2
        self.hessian = sp.hessian(self.risk, self.w)
        sig = self.pi ** sp.Rational(1, L)
        self.at_balanced = sp.simplify(self.hessian.subs({w: sig for w in self.w}))
        self.eigenvalues = {sp.simplify(k): v for k, v in self.at_balanced.eigenvals().items()}
        self.sharpness = max(self.eigenvalues, key=lambda e: float(e.subs({self.s: 1.3, self.pi: 1.7})))
        self.expected = 2 * L * self.s * self.pi ** (2 - sp.Rational(2, L))
        self.residual = sp.simplify(self.sharpness - self.expected)


# ------------------------------------------------------ fast chain gradient descent
def gaussian_chain(d, L, scale, seed=0, batch=1):
    """The authors' Gaussian init: ``L-1`` square layers and a trainable ``1 x d`` head, entries :math:`\\mathcal N(0,s^2)`.

    ``scale`` may be an array of one scale per run (length ``batch``). Returns ``(Q, u)``
    with ``Q`` of shape ``(batch, L-1, d, d)`` and ``u`` ``(batch, d)``.
    """
    L = check_depth(L, "L", minimum=1)
    d = check_depth(d, "d", minimum=1)
    rng = np.random.default_rng(seed)
    s = np.broadcast_to(as_real_array(scale, "scale"), (batch,))
    Q = s[:, None, None, None] * rng.standard_normal((batch, L - 1, d, d))
    u = s[:, None] * rng.standard_normal((batch, d))
    return Q, u


def residual_chain(d, L, scale, seed=0, batch=1):
    """The authors' residual init: ``L`` layers :math:`I + \\frac{s}{\\sqrt{Ld}}\\mathcal N(0,1)` and a
    *fixed* unit projection ``w`` (drawn from the same generator). Returns ``(Q, w)``."""
    L = check_depth(L, "L", minimum=1)
    d = check_depth(d, "d", minimum=1)
    rng = np.random.default_rng(seed)
    s = np.broadcast_to(as_real_array(scale, "scale"), (batch,))
    Q = np.eye(d) + (s / np.sqrt(L * d))[:, None, None, None] * rng.standard_normal((batch, L, d, d))
    w = rng.standard_normal(d)
    return Q, w / np.linalg.norm(w)


def _chain_state(Q, u):
    """Rows :math:`a_k` with :math:`a_m = u` and :math:`a_{k-1} = Q_k^\\top a_k`; ``a[0] = beta``."""
    m = Q.shape[1]
    a = [None] * (m + 1)
    a[m] = u
    for k in range(m - 1, -1, -1):
        a[k] = np.einsum("bi,bij->bj", a[k + 1], Q[:, k])
    return a


def chain_gd(Q, u, data, lr, n_steps, train_head=True, blowup=1e10):
    """Batched GD on :math:`R = \\frac1n\\|y - X\\beta\\|^2`, :math:`\\beta^\\top = u^\\top Q_m\\cdots Q_1`.

    The gradient is rank one per layer: with :math:`g = 2(\\Sigma\\beta - X^\\top y/n)`,
    :math:`\\partial R/\\partial Q_k = a_k (Q_{k-1}\\cdots Q_1 g)^\\top` and
    :math:`\\partial R/\\partial u = Q_m\\cdots Q_1 g`, so a step costs :math:`2m` batched
    mat-vecs (checked against :func:`ibtheory.dynamics.gradient_descent`).

    Parameters
    ----------
    Q : ndarray (B, m, d, d)
        Square layers; ``u``: ``(B, d)`` head (trainable if ``train_head``) or ``(d,)``
        fixed projection (the authors' ResNet).
    data : Data
    lr : float or ndarray (B,)
    n_steps : int
    blowup : float
        A run diverges when its loss is non-finite or exceeds ``blowup * max(R_0, 1)``;
        its parameters are then set to zero (a stationary point of the chain for
        ``m >= 1``), so that no overflow propagates, and it is flagged.

    Returns
    -------
    OptimizeResult
        ``Q``, ``u``, ``beta``, ``fun`` (final loss, ``nan`` if diverged), ``diverged``,
        ``diverged_at`` (``-1`` if not), ``grad_norm`` (final), ``success``.
    """
    Q = as_real_array(Q, "Q").copy()
    if Q.ndim != 4 or Q.shape[2] != Q.shape[3] or Q.shape[3] != data.d:
        raise ValueError(f"Q must have shape (B, m, {data.d}, {data.d}), got {Q.shape}")
    B = Q.shape[0]
    u = as_real_array(u, "u").copy()
    if train_head and u.shape != (B, data.d):
        raise ValueError(f"u must have shape ({B}, {data.d}) for a trainable head, got {u.shape}")
    if not train_head:
        if u.shape != (data.d,):
            raise ValueError(f"u must be a fixed projection of shape ({data.d},), got {u.shape}")
        u = np.broadcast_to(u, (B, data.d))
    lr = np.broadcast_to(as_real_array(lr, "lr"), (B,)).astype(float)
    if np.any(lr <= 0):
        raise ValueError("lr must be positive")
    if isinstance(n_steps, (bool, np.bool_)) or not isinstance(n_steps, numbers.Integral) or n_steps < 0:
        raise ValueError(f"n_steps must be an integer >= 0, got {n_steps!r}")
    Sig, c, yy = data.Sigma, data.c, float(data.y @ data.y) / data.n
    m = Q.shape[1]
    div_at = np.full(B, -1, dtype=np.int64)
    limit = None
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_steps + 1):
            a = _chain_state(Q, u)
            beta = a[0]
            Sb = beta @ Sig
            # R - R_min = (beta - pi)^T Sigma (beta - pi): no cancellation near the minimum.
            e = beta - data.pi_star
            loss = np.einsum("bi,ij,bj->b", e, Sig, e) + data.R_min
            if limit is None:
                limit = blowup * np.maximum(loss, 1.0)
            bad = (div_at < 0) & ~(np.isfinite(loss) & (loss <= limit))
            if np.any(bad):
                div_at[bad] = t
                Q[bad] = 0.0
                if train_head:
                    u[bad] = 0.0
            if t == n_steps:
                break
            g = 2.0 * (Sb - c)
            g[div_at >= 0] = 0.0
            v = g
            gsq = np.zeros(B)
            for k in range(m):
                vn = np.einsum("bij,bj->bi", Q[:, k], v)
                step = a[k + 1][:, :, None] * v[:, None, :]
                gsq += np.einsum("bij,bij->b", step, step)
                Q[:, k] -= lr[:, None, None] * step
                v = vn
            if train_head:
                gsq += np.einsum("bi,bi->b", v, v)
                u -= lr[:, None] * v
    a = _chain_state(Q, u)
    beta = a[0]
    dvg = div_at >= 0
    e = beta - data.pi_star
    # The excess risk is formed directly (fun - R_min would round it to 0 below ~1e-16 R_min).
    excess = np.where(dvg, np.nan, np.einsum("bi,ij,bj->b", e, Sig, e))
    fun = excess + data.R_min
    return OptimizeResult(Q=Q, u=u if train_head else u[0], beta=beta, fun=fun, excess=excess,
                          diverged=dvg, diverged_at=div_at, grad_norm=np.sqrt(gsq) if n_steps else None,
                          success=bool(not np.any(dvg)), status=int(np.any(dvg)), nit=n_steps,
                          message=f"{int(dvg.sum())} of {B} runs diverged")


def chain_sharpness(Q, u, data, train_head=True, iters=3000, tol=1e-9, seed=0):
    """Sharpness (largest Hessian eigenvalue of the trainable parameters) of chain runs.

    Power iteration on the exact HVPs of :class:`ibtheory.models.DeepLinear`
    (forward-over-backward); with a fixed head the chain is a ``DeepLinear`` whose
    last layer is frozen, and the iteration runs on the block of the trainable
    layers (zero head component in and out). A negative dominant eigenvalue
    triggers a shifted second pass. Returns ``(lam, converged)`` per run.
    """
    from ..models import DeepLinear

    Q = as_real_array(Q, "Q")
    B, m, d, _ = Q.shape
    u = as_real_array(u, "u")
    net = DeepLinear([d] * (m + 1) + [1])
    head = u[:, None, :] if train_head else np.broadcast_to(u, (B, 1, d)).copy()
    params = tuple(Q[:, k] for k in range(m)) + (head,)
    n_par = net.n_params - (0 if train_head else d)

    def H(v):
        V = net.unflatten(np.concatenate([v, np.zeros((B, d))], axis=1) if not train_head else v)
        out = net.flatten(net.hvp(params, data.X, data.y, V, loss="mean"))
        return out if train_head else out[:, :n_par]

    def power(v, shift):
        lam = np.zeros(B)
        for _ in range(iters):
            w = H(v) - shift[:, None] * v
            lam = np.sum(v * w, axis=1)
            res = np.linalg.norm(w - lam[:, None] * v, axis=1)
            conv = res <= tol * np.maximum(np.abs(lam), 1e-300)
            nrm = np.linalg.norm(w, axis=1)
            v = w / np.where(nrm > 0, nrm, 1.0)[:, None]
            if np.all(conv):
                break
        return lam + shift, v, conv

    v = np.random.default_rng(seed).standard_normal((B, n_par))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    lam, v, conv = power(v, np.zeros(B))
    neg = lam < 0
    if np.any(neg):
        lam2, _, conv2 = power(v, np.where(neg, lam, 0.0))
        lam, conv = np.where(neg, lam2, lam), np.where(neg, conv2, conv)
    return lam, conv


# ------------------------------------------------------------ the paper's sweeps
#: The settings of the authors' ``run_experiment.py linear`` (n, d, L, the three sweeps).
PAPER_SETTINGS = dict(
    n=50, d=5, L=10, noise=1.0,
    gaussian=dict(lrs=(0.005, 0.02, 0.07, 0.1, 0.2), steps=(40_000, 10_000, 4_000, 4_000, 2_000),
                  reps=(20, 20, 20, 20, 80), scales=tuple(np.linspace(0.25, 0.6, 10))),
    residual=dict(lrs=(0.005, 0.02, 0.07, 0.1, 0.2), steps=(4_000,) * 5, reps=(20,) * 5,
                  scales=tuple(np.linspace(0.0, 1.7, 10))),
    depth=dict(depths=(5, 10, 20, 40), lrs=tuple(np.logspace(-2, -0.3, 25)), steps=1_000, reps=50, scale=0.25),
)


def sweep(data, init, L, lrs, steps, reps, scales, seed=0, sharpness=True, sharp_iters=3000):
    """Run the grid ``lrs x reps x scales`` of GD from ``init`` (``"gaussian"`` or ``"residual"``).

    Runs sharing a step count are batched into one :func:`chain_gd` call (one
    NumPy step for all of them). Returns a dict of flat arrays, one entry per run:
    ``lr``, ``scale``, ``diverged``, ``excess`` (:math:`R - R_{\\min}`), ``distance``
    (the authors' :math:`\\mathrm{mean}((\\beta-\\pi^\\star)^2)`), ``sharpness`` (``nan``
    for diverged runs) and ``sharp_converged``.
    """
    if init not in ("gaussian", "residual"):
        raise ValueError(f"init must be 'gaussian' or 'residual', got {init!r}")
    lrs = np.atleast_1d(as_real_array(lrs, "lrs"))
    steps = np.broadcast_to(np.atleast_1d(steps), lrs.shape)
    reps = np.broadcast_to(np.atleast_1d(reps), lrs.shape)
    scales = np.atleast_1d(as_real_array(scales, "scales"))
    out = {k: [] for k in ("lr", "scale", "diverged", "excess", "distance", "sharpness", "sharp_converged")}
    for st in sorted(set(int(s) for s in steps), reverse=True):
        sel = steps == st
        lr_run = np.concatenate([np.full(int(r) * scales.size, lr) for lr, r in zip(lrs[sel], reps[sel])])
        sc_run = np.concatenate([np.tile(scales, int(r)) for r in reps[sel]])
        B = lr_run.size
        if init == "gaussian":
            Q, u = gaussian_chain(data.d, L, sc_run, seed=seed + st, batch=B)
            head = True
        else:
            Q, u = residual_chain(data.d, L, sc_run, seed=seed + st, batch=B)
            head = False
        r = chain_gd(Q, u, data, lr_run, st, train_head=head)
        ok = ~r.diverged
        lam = np.full(B, np.nan)
        conv = np.zeros(B, dtype=bool)
        if sharpness and np.any(ok):
            lam_ok, conv_ok = chain_sharpness(r.Q[ok], r.u[ok] if head else r.u, data, train_head=head,
                                              iters=sharp_iters)
            lam[ok], conv[ok] = lam_ok, conv_ok
        out["lr"].append(lr_run)
        out["scale"].append(sc_run)
        out["diverged"].append(r.diverged)
        out["excess"].append(r.excess)
        out["distance"].append(np.where(ok, np.mean((r.beta - data.pi_star) ** 2, axis=1), np.nan))
        out["sharpness"].append(lam)
        out["sharp_converged"].append(conv)
    return {k: np.concatenate(v) for k, v in out.items()}


# ------------------------------------------------------ gradient flow, small init
def small_init_flow(data, L, scale, seed=0, rtol=1e-11):
    """Gradient flow of :class:`ibtheory.models.DeepLinear` (hidden widths ``d``) from a small Gaussian init.

    Integrated by :func:`ibtheory.dynamics.gradient_flow` (DOP853/Radau, conservation
    drift as certificate) until the :math:`\\beta`-gradient is ``1e-8`` of its
    value at 0. Returns the flow result with extra fields ``excess`` (recorded
    :math:`R - R_{\\min} = (\\beta-\\pi^\\star)^\\top\\Sigma(\\beta-\\pi^\\star)`) and ``mu``
    (the PL ratio :math:`\\|\\nabla R\\|^2/(R-R_{\\min})` at each recorded time).
    """
    from ..dynamics import gradient_flow
    from ..models import DeepLinear, gaussian_init

    net = DeepLinear([data.d] * L + [1])
    p0 = gaussian_init(net, scale=scale, seed=seed)
    res = gradient_flow(net, p0, data.X, data.y, loss="mean", rtol=rtol, stat_tol=max(1e-8, 100 * rtol),
                        record=("loss", "grad_norm", "beta"))
    e = res.records["beta"] - data.pi_star
    res["excess"] = np.einsum("ti,ij,tj->t", e, data.Sigma, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        res["mu"] = res.records["grad_norm"] ** 2 / res["excess"]
    res["model"] = net
    return res


def corollary_properties(params, data):
    """The four properties of the corollary at a limit :math:`\\mathcal W^{SI}` (layers ``W_1..W_L``).

    Returns a dict: ``eps`` (:math:`\\max_k \\|W_k\\|_F^2-\\|W_k\\|_2^2`, measured), ``sigma``
    (top singular values), the low-norm interval ``sigma_lo, sigma_hi`` =
    :math:`(\\|\\pi^\\star\\|/2)^{1/L}, (2\\|\\pi^\\star\\|)^{1/L}`, ``align`` (the
    :math:`\\langle v_{k+1},u_k\\rangle^2`), ``align_bound`` :math:`= 1-\\varepsilon/(2\\|\\pi^\\star\\|)^{2/L}`,
    ``hypothesis`` :math:`32L\\sqrt\\varepsilon`, and ``ratio_hi`` :math:`= 4\\Lambda/\\lambda`.
    """
    L = len(params)
    svd = [np.linalg.svd(np.asarray(W, float)) for W in params]
    eps = max(float(np.sum(s ** 2) - s[0] ** 2) for _, s, _ in svd)
    sigma = np.array([s[0] for _, s, _ in svd])
    align = np.array([float(svd[k + 1][2][0] @ svd[k][0][:, 0]) ** 2 for k in range(L - 1)])
    p = data.pi_norm
    return dict(eps=eps, sigma=sigma, sigma_lo=(p / 2) ** (1 / L), sigma_hi=(2 * p) ** (1 / L), align=align,
                align_bound=1 - eps / (2 * p) ** (2 / L), hypothesis=32 * L * np.sqrt(eps),
                ratio_hi=4 * data.Lam / data.lam)
