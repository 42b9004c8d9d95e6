r"""Regression instances and the authors' initializations (Marion & Chizat 2024).

The authors' data (``utils.generate_data``): :math:`X\sim\mathcal N(0, I)`,
:math:`y = Xw + \text{noise}\cdot\varepsilon`, then :math:`y` rescaled so that
:math:`\|\pi^\star\| = 1`. We add two knobs that the finite-depth threshold needs:
a target norm :math:`\|\pi^\star\|` (the exponent :math:`2-2/L` and the slides' 2
differ only when it is not 1) and an anisotropic covariance (columns of :math:`X`
scaled by a geometric ``spread``, which moves the infimum of the sharpness away from
the lower bound :math:`2La\|\pi^\star\|^{2-2/L}`).

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._validation import as_real_array, check_int, check_positive

__all__ = ["RegressionData", "make_data", "data_from_arrays", "gaussian_layers", "residual_layers",
           "UnderdeterminedData", "make_underdetermined_data"]


@dataclasses.dataclass(frozen=True)
class RegressionData:
    r"""An overdetermined regression instance with its moments.

    Attributes
    ----------
    X, y : ndarray
        Data ``(n, d)`` and labels ``(n,)``.
    Sigma, c : ndarray
        :math:`\Sigma = X^\top X/n` and :math:`c = X^\top y/n`.
    y_sq : float
        :math:`\|y\|^2/n`.
    pi_star : ndarray
        :math:`\pi^\star = \Sigma^{-1}c`.
    R_min : float
        :math:`\frac1n\|y - X\pi^\star\|^2`.
    pi_norm, a, lam, Lam : float
        :math:`\|\pi^\star\|`, :math:`a = \hat\pi^{\star\top}\Sigma\hat\pi^\star` and the extreme
        eigenvalues :math:`\lambda\le a\le\Lambda` of :math:`\Sigma`.
    """

    X: np.ndarray
    y: np.ndarray
    Sigma: np.ndarray
    c: np.ndarray
    y_sq: float
    pi_star: np.ndarray
    R_min: float
    pi_norm: float
    a: float
    lam: float
    Lam: float

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])


def data_from_arrays(X, y) -> RegressionData:
    """A :class:`RegressionData` from arrays (``X`` must have full column rank).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.marion2024 import data_from_arrays
    >>> D = data_from_arrays(np.eye(2) * np.sqrt(2), np.array([np.sqrt(2), 0.0]))
    >>> D.pi_star.tolist(), D.a, D.R_min
    ([1.0, 0.0], 1.0, 0.0)
    """
    X = as_real_array(X, "X")
    y = as_real_array(y, "y")
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, d) and y (n,), got {X.shape} and {y.shape}")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError("X must have full column rank (the covariance X^T X / n must be invertible)")
    n = X.shape[0]
    Sigma = X.T @ X / n
    Sigma = 0.5 * (Sigma + Sigma.T)
    c = X.T @ y / n
    pi = np.linalg.solve(Sigma, c)
    if not np.linalg.norm(pi) > 0:
        raise ValueError("y must not be orthogonal to the columns of X (pi_star = 0)")
    ev = np.linalg.eigvalsh(Sigma)
    nrm = float(np.linalg.norm(pi))
    r = y - X @ pi
    for arr in (X, y, Sigma, c, pi):
        arr.setflags(write=False)
    return RegressionData(X=X, y=y, Sigma=Sigma, c=c, y_sq=float(y @ y) / n, pi_star=pi, R_min=float(r @ r) / n,
                          pi_norm=nrm, a=float(pi @ Sigma @ pi) / nrm ** 2, lam=float(ev[0]), Lam=float(ev[-1]))


def make_data(n=50, d=5, noise=1.0, seed=0, *, pi_norm=1.0, spread=1.0) -> RegressionData:
    r"""The authors' synthetic regression, optionally with :math:`\|\pi^\star\|\ne1` and anisotropy.

    :math:`X = G\,\mathrm{diag}(\text{spread}^{j/(d-1)})`, :math:`G\sim\mathcal N(0,1)`,
    :math:`y = Xw + \text{noise}\,\varepsilon` (:math:`w,\varepsilon\sim\mathcal N(0, I)`), all drawn from
    ``default_rng(SeedSequence(seed))``; then :math:`y` is rescaled so that
    :math:`\|\pi^\star\| =` ``pi_norm`` (``None``: no rescaling).

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import make_data
    >>> D = make_data(seed=0, pi_norm=2.0)
    >>> round(D.pi_norm, 12), bool(D.lam <= D.a <= D.Lam)
    (2.0, True)
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    if n < d:
        raise ValueError(f"n must be >= d (overdetermined regression with full-rank covariance), got n={n}, d={d}")
    noise = float(as_real_array(noise, "noise"))
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    spread = check_positive(spread, "spread")
    if pi_norm is not None:
        pi_norm = check_positive(pi_norm, "pi_norm")
    rng = np.random.default_rng(np.random.SeedSequence(check_int(seed, "seed", minimum=0)))
    X = rng.standard_normal((n, d)) * spread ** (np.arange(d) / max(d - 1, 1))
    w = rng.standard_normal(d)
    y = X @ w + noise * rng.standard_normal(n)
    if pi_norm is not None:
        y = y * (pi_norm / np.linalg.norm(np.linalg.lstsq(X, y, rcond=None)[0]))
    return data_from_arrays(X, y)


def _scales(scale, B):
    s = np.broadcast_to(as_real_array(scale, "scale"), (B,))
    if np.any(s < 0):
        raise ValueError("scale must be >= 0")
    return s


def gaussian_layers(d, L, scale, rngs):
    r"""The authors' ``init_mlp``: ``L-1`` square layers and a ``1 x d`` head, entries :math:`\mathcal N(0, s^2)`.

    One run per generator in ``rngs`` (its draws come from that generator alone);
    ``scale`` is one scale or one per run. Returns ``(layers (B, L-1, d, d), head (B, d))``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.marion2024 import gaussian_layers
    >>> Q, u = gaussian_layers(3, 4, 0.5, [np.random.default_rng(0), np.random.default_rng(1)])
    >>> Q.shape, u.shape
    ((2, 3, 3, 3), (2, 3))
    """
    d = check_int(d, "d", minimum=1)
    L = check_int(L, "L", minimum=1)
    rngs = list(rngs)
    s = _scales(scale, len(rngs))
    Q = np.stack([r.standard_normal((L - 1, d, d)) for r in rngs]) if L > 1 else np.zeros((len(rngs), 0, d, d))
    u = np.stack([r.standard_normal(d) for r in rngs])
    return s[:, None, None, None] * Q, s[:, None] * u


def residual_layers(d, L, scale, rngs):
    r"""The authors' ``init_resnet``: ``L`` layers :math:`I + \frac{s}{\sqrt{Ld}}\mathcal N(0,1)`.

    The fixed unit output projection is drawn separately (see the experiments).
    Returns ``layers (B, L, d, d)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.marion2024 import residual_layers
    >>> residual_layers(2, 3, 0.0, [np.random.default_rng(0)])[0, 1].tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    d = check_int(d, "d", minimum=1)
    L = check_int(L, "L", minimum=1)
    rngs = list(rngs)
    s = _scales(scale, len(rngs))
    G = np.stack([r.standard_normal((L, d, d)) for r in rngs])
    return np.eye(d) + (s / np.sqrt(L * d))[:, None, None, None] * G


@dataclasses.dataclass(frozen=True)
class UnderdeterminedData:
    r"""An underdetermined regression instance (``n < d``) with a test set.

    Attributes: ``X, y`` (train), ``X_test, y_test``, ``Sigma`` (singular), ``c``, ``y_sq``,
    ``pi_star`` (the minimum-norm interpolator, of norm 1 after the authors' rescaling),
    ``pi_norm``, ``a`` :math:`= \hat\pi^{\star\top}\Sigma\hat\pi^\star`, ``Lam``.
    """

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    Sigma: np.ndarray
    c: np.ndarray
    y_sq: float
    pi_star: np.ndarray
    pi_norm: float
    a: float
    Lam: float

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])


def make_underdetermined_data(n=15, d=20, noise=1.0, seed=0) -> UnderdeterminedData:
    r"""The authors' underdetermined instance: :math:`X, X_{\text{test}}\sim\mathcal N(0, I)`, :math:`y = Xw + \text{noise}\,\varepsilon`.

    Labels (train and test) are divided by the norm of the minimum-norm interpolator
    :math:`\pi^\star = X^+y`, as in the authors' ``generate_data``; draws from
    ``default_rng(SeedSequence(seed))``.

    Examples
    --------
    >>> from ibtheory.papers.marion2024 import make_underdetermined_data
    >>> D = make_underdetermined_data(seed=0)
    >>> D.n, D.d, round(D.pi_norm, 12), bool(abs(D.X @ D.pi_star - D.y).max() < 1e-10)
    (15, 20, 1.0, True)
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=2)
    if n >= d:
        raise ValueError(f"n must be < d (underdetermined regression), got n={n}, d={d}")
    noise = float(as_real_array(noise, "noise"))
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(np.random.SeedSequence(check_int(seed, "seed", minimum=0)))
    X, X_test = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = X @ w + noise * rng.standard_normal(n)
    y_test = X_test @ w + noise * rng.standard_normal(n)
    pi = np.linalg.pinv(X) @ y
    norm = float(np.linalg.norm(pi))
    y, y_test, pi = y / norm, y_test / norm, pi / norm
    Sigma = X.T @ X / n
    Sigma = 0.5 * (Sigma + Sigma.T)
    for arr in (X, y, X_test, y_test, Sigma, pi):
        arr.setflags(write=False)
    return UnderdeterminedData(X=X, y=y, X_test=X_test, y_test=y_test, Sigma=Sigma, c=X.T @ y / n,
                               y_sq=float(y @ y) / n, pi_star=pi, pi_norm=float(np.linalg.norm(pi)),
                               a=float(pi @ Sigma @ pi) / float(pi @ pi), Lam=float(np.linalg.eigvalsh(Sigma)[-1]))
