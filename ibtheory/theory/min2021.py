"""Min, Tarmoun, Vidal & Mallada (2021): imbalance, convergence rate and min-norm bias.

Two-layer linear network :math:`f(x) = VU^\\top x`, :math:`U\\in\\mathbb R^{D\\times h}`,
:math:`V\\in\\mathbb R^{m\\times h}`, trained by gradient flow on

.. math:: \\mathcal L = \\tfrac12\\|Y - XUV^\\top\\|_F^2 .

With the SVD :math:`X = W[\\Sigma_x^{1/2}\\ 0][\\Phi_1\\ \\Phi_2]^\\top` (``r = rank X``),
:math:`U_1 = \\Phi_1^\\top U`, :math:`U_2 = \\Phi_2^\\top U` and :math:`\\tilde Y = W^\\top Y`,

.. math::

    \\mathcal L = \\tfrac12\\|\\tilde Y - \\Sigma_x^{1/2}U_1V^\\top\\|_F^2
    + \\tfrac12\\|(I - WW^\\top)Y\\|_F^2 ,

so :math:`U_2` never moves and the imbalance :math:`\\Lambda = U_1^\\top U_1 - V^\\top V`
is conserved. This module holds the closed forms (level of imbalance, rate
bound, orthogonality measures), the special initializations, the SymPy
derivation object :class:`ReducedFlowSystem` and the experiment drivers
(:func:`rate_experiment`, :func:`width_sweep`) of the book chapter
*Initialization, imbalance and convergence* (``book/min2021.md``).
"""
from __future__ import annotations

import numbers

import numpy as np

from .._validation import as_real_array, check_positive

__all__ = [
    "make_data", "DataSplit", "imbalance", "imbalance_level", "rate_bound", "orthogonality",
    "to_params", "from_params", "compress_width",
    "spectral_init", "balanced_init", "orthogonal_init", "random_init", "rate_initializations",
    "asymptotic_rate", "linearized_rate", "train", "rate_experiment", "width_sweep", "fit_loglog",
    "ReducedFlowSystem",
]


# --------------------------------------------------------------------------- validation
def _int(v, name, minimum=1):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v!r}")
    return int(v)


def _matrix(x, name, ndim_min=2):
    a = as_real_array(x, name)
    if a.ndim < ndim_min:
        raise ValueError(f"{name} must be an array with at least {ndim_min} dimensions, got shape {a.shape}")
    return a


def _T(A):
    return np.swapaxes(A, -1, -2)


# --------------------------------------------------------------------------- data split
def make_data(n, D, m, seed=0, whitened=False):
    """Gaussian data ``X`` (``n x D``) and labels ``Y`` (``n x m``); ``whitened`` gives :math:`\\Sigma_x = I`.

    Whitened data are :math:`X = W[I_n\\ 0]\\Phi^\\top` with Haar-random orthogonal
    ``W`` and ``Phi`` (all singular values 1). Needs ``n <= D``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import make_data
    >>> X, Y = make_data(3, 5, 2, whitened=True)
    >>> bool(np.allclose(X @ X.T, np.eye(3)))
    True
    """
    n, D, m = _int(n, "n"), _int(D, "D"), _int(m, "m")
    if n > D:
        raise ValueError(f"n must be <= D (overparametrized regression), got n={n}, D={D}")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, D))
    if whitened:
        W = np.linalg.qr(rng.standard_normal((n, n)))[0]
        Phi = np.linalg.qr(rng.standard_normal((D, D)))[0]
        X = W @ np.eye(n, D) @ Phi.T
    return X, rng.standard_normal((n, m))


class DataSplit:
    """The SVD split of the data :math:`X = W[\\Sigma_x^{1/2}\\ 0][\\Phi_1\\ \\Phi_2]^\\top`.

    Parameters
    ----------
    X : array_like, shape (n, D)
        Data matrix (rows are samples).
    rcond : float
        Singular values below ``rcond * s_max`` count as zero (numerical rank ``r``).

    Attributes
    ----------
    r : int
        Rank of ``X``.
    W : ndarray, shape (n, r)
        Left singular vectors.
    sigma : ndarray, shape (r,)
        Diagonal of :math:`\\Sigma_x` (squared singular values of ``X``).
    Phi1, Phi2 : ndarray, shapes (D, r) and (D, D - r)
        Orthonormal bases of the row space of ``X`` and of its complement.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import DataSplit
    >>> sp = DataSplit(np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    >>> sp.r, sp.sigma.tolist(), sp.Phi2.shape
    (2, [4.0, 1.0], (3, 1))
    """

    def __init__(self, X, rcond=1e-12):
        X = _matrix(X, "X")
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D array (n, D), got shape {X.shape}")
        rcond = check_positive(rcond, "rcond")
        Wf, s, Vt = np.linalg.svd(X)
        r = int(np.sum(s > rcond * s[0])) if s.size and s[0] > 0 else 0
        if r == 0:
            raise ValueError("X must have rank >= 1")
        self.X, self.n, self.D, self.r = X, X.shape[0], X.shape[1], r
        self.W, self.W_perp = Wf[:, :r], Wf[:, r:]
        self.sqrt_sigma = s[:r]
        self.sigma = s[:r] ** 2
        self.Phi1, self.Phi2 = Vt[:r].T, Vt[r:].T

    def split(self, U):
        """Return :math:`(U_1, U_2) = (\\Phi_1^\\top U, \\Phi_2^\\top U)` (batched over leading axes)."""
        U = _matrix(U, "U")
        if U.shape[-2] != self.D:
            raise ValueError(f"U must have {self.D} rows (D), got shape {U.shape}")
        return self.Phi1.T @ U, self.Phi2.T @ U

    def target(self, Y):
        """The factorization target :math:`\\tilde Y = W^\\top Y` of shape ``(r, m)``."""
        Y = _matrix(Y, "Y")
        return self.W.T @ Y

    def reduced_loss(self, U, V, Y):
        """:math:`\\frac12\\|\\tilde Y - \\Sigma_x^{1/2}U_1V^\\top\\|_F^2 + \\frac12\\|(I-WW^\\top)Y\\|_F^2`."""
        U1, _ = self.split(U)
        V = _matrix(V, "V")
        E = self.target(Y) - self.sqrt_sigma[:, None] * (U1 @ _T(V))
        return 0.5 * np.sum(E ** 2, axis=(-2, -1)) + self.optimal_loss(Y)

    def optimal_loss(self, Y):
        """The global minimum :math:`\\mathcal L^* = \\frac12\\|(I - WW^\\top)Y\\|_F^2`."""
        Y = _matrix(Y, "Y")
        return 0.5 * float(np.sum((self.W_perp.T @ Y) ** 2))


# --------------------------------------------------------------------------- closed forms
def imbalance(U1, V):
    """The imbalance :math:`\\Lambda = U_1^\\top U_1 - V^\\top V` (``h x h``, batched).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import imbalance
    >>> imbalance(np.eye(2), np.eye(2)).tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """
    U1, V = _matrix(U1, "U1"), _matrix(V, "V")
    return _T(U1) @ U1 - _T(V) @ V


def _imbalance_eigs(U1, V):
    """Nonzero-block eigenvalues of Lambda without forming the h x h matrix.

    With :math:`A = [U_1; V]` and :math:`J = \\mathrm{diag}(I_r, -I_m)`,
    :math:`\\Lambda = A^\\top J A`. If :math:`A^\\top = QR` then
    :math:`\\Lambda = Q(RJR^\\top)Q^\\top`: the eigenvalues of Lambda are those of the
    small matrix :math:`RJR^\\top` plus zeros, which costs O(h (r+m)^2) at any width.
    """
    U1, V = _matrix(U1, "U1"), _matrix(V, "V")
    if U1.shape[-1] != V.shape[-1]:
        raise ValueError(f"U1 and V must have the same number of columns (width h), got {U1.shape} and {V.shape}")
    r, m, h = U1.shape[-2], V.shape[-2], U1.shape[-1]
    if h < max(r, m):
        raise ValueError(f"the width h (columns of U1 and V) must be >= max(r, m) = {max(r, m)} for "
                         f"lambda_r and lambda_m of the h x h imbalance to exist, got h={h}")
    A = np.concatenate([U1, V], axis=-2)
    J = np.concatenate([np.ones(r), -np.ones(m)])
    if h >= r + m:
        Rt = _T(np.linalg.qr(_T(A), mode="r"))
        small = _T(Rt) @ (J[:, None] * Rt)               # R J R^T
        ev = np.linalg.eigvalsh(small)
        pad = h - (r + m)
    else:
        ev = np.linalg.eigvalsh(_T(A) @ (J[:, None] * A))
        pad = 0
    if pad:
        ev = np.concatenate([ev, np.zeros(ev.shape[:-1] + (pad,))], axis=-1)
    return np.sort(ev, axis=-1)[..., ::-1], r, m


def imbalance_level(U1, V):
    """Level of imbalance :math:`c = [\\lambda_r(\\Lambda)]_+ + [\\lambda_m(-\\Lambda)]_+`.

    :math:`\\lambda_k` is the k-th largest eigenvalue, ``r`` the number of rows of
    ``U1`` (rank of the data) and ``m`` the number of rows of ``V`` (outputs).
    Computed through the ``(r+m) x (r+m)`` block, so widths of 10^4 cost nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import imbalance_level
    >>> U1 = np.array([[2.0, 0.0, 0.0]]); V = np.array([[0.0, 1.0, 0.0]])
    >>> float(imbalance_level(U1, V))   # Lambda = diag(4, -1, 0): c = 4 + 1
    5.0
    """
    ev, r, m = _imbalance_eigs(U1, V)
    lam_r = ev[..., r - 1]
    lam_m_neg = -ev[..., ev.shape[-1] - m]
    return np.maximum(lam_r, 0.0) + np.maximum(lam_m_neg, 0.0)


def rate_bound(split, U, V):
    """Guaranteed exponential rate of the loss gap (derived in the chapter).

    .. math::

        \\mathcal L(t) - \\mathcal L^* \\le e^{-\\kappa t}(\\mathcal L(0) - \\mathcal L^*),\\qquad
        \\kappa = 2\\,\\lambda_{\\min}(\\Sigma_x)\\,c,\\quad
        c = [\\lambda_r(\\Lambda)]_+ + [\\lambda_m(-\\Lambda)]_+,

    which is :math:`2c` for whitened data :math:`\\Sigma_x = I`
    (:math:`\\lambda_{\\min}(\\Sigma_x) = \\sigma_r(X)^2`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import DataSplit, rate_bound
    >>> sp = DataSplit(np.array([[2.0, 0.0, 0.0]]))
    >>> U = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]); V = np.array([[0.0, 1.0]])
    >>> float(rate_bound(sp, U, V))      # 2 * sigma_min * c = 2 * 4 * (1 + 1)
    16.0
    """
    U1, _ = split.split(U)
    return 2.0 * split.sigma.min() * imbalance_level(U1, V)


def orthogonality(split, U, V):
    """Frobenius norms :math:`\\|VU_1^\\top\\|_F`, :math:`\\|VU_2^\\top\\|_F`, :math:`\\|U_1U_2^\\top\\|_F` (batched).

    :math:`VU_2^\\top = 0` and :math:`U_1U_2^\\top = 0` define the invariant set
    that leads to the minimum-norm solution.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import DataSplit, orthogonality
    >>> sp = DataSplit(np.array([[1.0, 0.0]]))
    >>> o = orthogonality(sp, np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0]]))
    >>> {k: float(v) for k, v in o.items()}
    {'VU1': 1.0, 'VU2': 0.0, 'U1U2': 0.0}
    """
    U1, U2 = split.split(U)
    V = _matrix(V, "V")
    nrm = lambda A: np.sqrt(np.sum(A ** 2, axis=(-2, -1)))  # noqa: E731
    return {"VU1": nrm(V @ _T(U1)), "VU2": nrm(V @ _T(U2)), "U1U2": nrm(U1 @ _T(U2))}


# --------------------------------------------------------------------------- parameters
def to_params(U, V):
    """Min et al.'s ``(U, V)`` as :class:`ibtheory.models.TwoLayerLinear` parameters ``(W1, W2) = (U, V^T)``."""
    return (np.asarray(U, dtype=float), _T(np.asarray(V, dtype=float)).copy())


def from_params(params):
    """Inverse of :func:`to_params`: ``(W1, W2) -> (U, V) = (W1, W2^T)``."""
    return params[0], _T(params[1]).copy()


def compress_width(U, V):
    """Exact reduction of a wide network to width ``min(h, D + m)``.

    Gradient flow keeps the rows of ``U`` and ``V`` (vectors of :math:`\\mathbb R^h`)
    in the span of their initial rows: :math:`\\dot U = X^\\top E V`,
    :math:`\\dot V = E^\\top X U` are left-multiples of ``V`` and ``U``. With an
    orthonormal basis :math:`Q\\in\\mathbb R^{h\\times k}` of that span,
    :math:`(UQ, VQ)` follows the same flow, and :math:`UV^\\top`,
    :math:`\\Lambda` (nonzero eigenvalues) and the orthogonality measures are
    unchanged. Returns ``(U Q, V Q, Q)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import compress_width
    >>> rng = np.random.default_rng(0)
    >>> U, V = rng.standard_normal((3, 50)), rng.standard_normal((1, 50))
    >>> Uc, Vc, Q = compress_width(U, V)
    >>> Uc.shape, bool(np.allclose(Uc @ Vc.T, U @ V.T))
    ((3, 4), True)
    """
    U, V = _matrix(U, "U"), _matrix(V, "V")
    if U.ndim != 2 or V.ndim != 2 or U.shape[1] != V.shape[1]:
        raise ValueError(f"U (D, h) and V (m, h) must be 2-D with the same width, got {U.shape}, {V.shape}")
    A = np.vstack([U, V])
    if A.shape[0] >= A.shape[1]:
        return U.copy(), V.copy(), np.eye(A.shape[1])
    Q = np.linalg.qr(A.T)[0]
    return U @ Q, V @ Q, Q


def _rng_gauss(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape)


def _check_init(split, m, h):
    m, h = _int(m, "m"), _int(h, "h")
    return m, h


def random_init(split, m, h, seed=0, batch=None, scale=None):
    """Min et al.'s random initialization :math:`[U]_{ij}, [V]_{ij}\\sim\\mathcal N(0, 1/h)`.

    ``scale`` overrides the standard deviation (a float, or a pair for ``(U, V)``).
    With ``batch`` the arrays carry a leading axis of independent draws.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import DataSplit, random_init
    >>> U, V = random_init(DataSplit(np.eye(2, 3)), m=1, h=5, seed=0, batch=4)
    >>> U.shape, V.shape
    ((4, 3, 5), (4, 1, 5))
    """
    m, h = _check_init(split, m, h)
    lead = () if batch is None else (_int(batch, "batch"),)
    if scale is None:
        su = sv = h ** -0.5
    elif isinstance(scale, (tuple, list)):
        su, sv = (check_positive(s, "scale") for s in scale)
    else:
        su = sv = check_positive(scale, "scale")
    rng = np.random.default_rng(seed)
    U = su * rng.standard_normal(lead + (split.D, h))
    V = sv * rng.standard_normal(lead + (m, h))
    return U, V


def spectral_init(split, m, h, a, b, seed=0, u2_scale=0.0):
    """Rows of :math:`U_1` and :math:`V` on orthogonal directions: :math:`\\Lambda = Q\\,\\mathrm{diag}(aI_r, -bI_m, 0)Q^\\top`.

    :math:`U_1 = \\sqrt a\\,[I_r\\ 0\\ 0]Q^\\top`, :math:`V = \\sqrt b\\,[0\\ I_m\\ 0]Q^\\top`
    with a Haar-random orthogonal :math:`Q` (needs ``h >= r + m``), so the level
    of imbalance is exactly ``c = a + b``: the family on which the rate bound is
    nearly attained when the target is small. ``U2`` is Gaussian with std ``u2_scale``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import DataSplit, spectral_init, imbalance_level
    >>> sp = DataSplit(np.eye(2, 3))
    >>> U, V = spectral_init(sp, m=1, h=4, a=0.5, b=0.25)
    >>> round(float(imbalance_level(sp.split(U)[0], V)), 12)
    0.75
    """
    m, h = _check_init(split, m, h)
    a, b = check_positive(a, "a"), check_positive(b, "b")
    r = split.r
    if h < r + m:
        raise ValueError(f"h must be >= r + m = {r + m} for spectral_init, got {h}")
    Q = np.linalg.qr(_rng_gauss(seed, (h, h)))[0]
    U1 = np.sqrt(a) * Q[:, :r].T
    V = np.sqrt(b) * Q[:, r:r + m].T
    U2 = float(u2_scale) * _rng_gauss(seed + 1, (split.D - r, h))
    return split.Phi1 @ U1 + split.Phi2 @ U2, V


def balanced_init(split, m, h, scale=1.0, seed=0):
    """Balanced initialization :math:`\\Lambda = 0` (so ``c = 0``).

    :math:`U_1 = A S Q^\\top`, :math:`V = B S Q^\\top` with orthonormal columns
    :math:`A\\in\\mathbb R^{r\\times k}`, :math:`B\\in\\mathbb R^{m\\times k}`,
    :math:`Q\\in\\mathbb R^{h\\times k}`, ``k = min(r, m)`` and a random positive diagonal
    ``S`` of size ``scale``; then :math:`U_1^\\top U_1 = QS^2Q^\\top = V^\\top V`. ``U2 = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import DataSplit, balanced_init, imbalance
    >>> sp = DataSplit(np.eye(3, 4))
    >>> U, V = balanced_init(sp, m=2, h=5)
    >>> bool(np.allclose(imbalance(sp.split(U)[0], V), 0))
    True
    """
    m, h = _check_init(split, m, h)
    scale = check_positive(scale, "scale")
    r = split.r
    k = min(r, m)
    if h < k:
        raise ValueError(f"h must be >= min(r, m) = {k}, got {h}")
    rng = np.random.default_rng(seed)
    A = np.linalg.qr(rng.standard_normal((r, k)))[0]
    B = np.linalg.qr(rng.standard_normal((m, k)))[0]
    Q = np.linalg.qr(rng.standard_normal((h, k)))[0]
    S = scale * rng.uniform(0.5, 1.5, size=k)
    U1, V = (A * S) @ Q.T, (B * S) @ Q.T
    return split.Phi1 @ U1, V


def orthogonal_init(split, m, h, scale=1.0, seed=0):
    """An initialization in the invariant set :math:`VU_2^\\top = 0,\\ U_1U_2^\\top = 0`.

    The rows of ``U1`` and ``V`` are Gaussian combinations of the first
    ``h - (D - r)`` columns of a Haar-random orthogonal ``Q``, the rows of
    ``U2`` of the remaining ``D - r`` columns (needs ``h > D - r``). Entries have
    standard deviation about ``scale / sqrt(h)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import DataSplit, orthogonal_init, orthogonality
    >>> sp = DataSplit(np.eye(2, 4))
    >>> U, V = orthogonal_init(sp, m=1, h=6)
    >>> o = orthogonality(sp, U, V); bool(o["VU2"] < 1e-14 and o["U1U2"] < 1e-14)
    True
    """
    m, h = _check_init(split, m, h)
    scale = check_positive(scale, "scale")
    r, D = split.r, split.D
    k1 = h - (D - r)
    if k1 < 1:
        raise ValueError(f"h must be > D - r = {D - r} for orthogonal_init, got {h}")
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((h, h)))[0]
    s = scale / np.sqrt(h)
    U1 = s * rng.standard_normal((r, k1)) @ Q[:, :k1].T
    V = s * rng.standard_normal((m, k1)) @ Q[:, :k1].T
    U2 = s * rng.standard_normal((D - r, D - r)) @ Q[:, k1:].T
    return split.Phi1 @ U1 + split.Phi2 @ U2, V


def rate_initializations(split, m, seed=0):
    """The initializations of the chapter's rate check: 8 Gaussian, 4 spectral, 3 balanced.

    - Gaussian: widths drawn from {6, 8, 12, 24}, unequal layer scales
      log-uniform in [0.15, 1.2] (:func:`random_init` with ``scale``);
    - spectral (:func:`spectral_init`, ``h = 7``): :math:`c = a + b` for
      ``(a, b)`` in (0.3, 0.2), (1, 0.5), (0.2, 2), (1.5, 1.5); their target is
      scaled by 0.05 so that the weights move little and the bound is nearly attained;
    - balanced (:func:`balanced_init`, ``h = 6``): :math:`\\Lambda = 0`, :math:`c = 0`.

    Returns
    -------
    inits : list of (U, V)
    kinds : ndarray of str ("Gaussian", "spectral", "balanced")
    target_scale : ndarray
        Factor applied to the labels for each run (0.05 for spectral, 1 otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import DataSplit, rate_initializations
    >>> inits, kinds, scale = rate_initializations(DataSplit(np.eye(2, 4)), 1)
    >>> len(inits), int((kinds == "balanced").sum()), float(scale.min())
    (15, 3, 0.05)
    """
    m = _int(m, "m")
    rng = np.random.default_rng(seed)
    inits, kinds = [], []
    for s in range(8):
        h = int(rng.choice([6, 8, 12, 24]))
        su, sv = np.exp(rng.uniform(np.log(0.15), np.log(1.2), size=2))
        inits.append(random_init(split, m, h, seed=seed + s, scale=(su, sv)))
        kinds.append("Gaussian")
    for s, (a, b) in enumerate([(0.3, 0.2), (1.0, 0.5), (0.2, 2.0), (1.5, 1.5)]):
        inits.append(spectral_init(split, m, 7, a, b, seed=seed + s))
        kinds.append("spectral")
    for s in range(3):
        inits.append(balanced_init(split, m, 6, scale=1.0, seed=seed + s))
        kinds.append("balanced")
    kinds = np.array(kinds)
    return inits, kinds, np.where(kinds == "spectral", 0.05, 1.0)


# --------------------------------------------------------------------------- measurements
def asymptotic_rate(t, loss, loss_star=0.0, window=(1e-8, 1e-12)):
    """Least-squares slope :math:`-\\mathrm d\\log(\\mathcal L-\\mathcal L^*)/\\mathrm dt` over a late window.

    The window keeps the recorded points whose gap, relative to the initial
    gap, lies in ``window = (hi, lo)``: late enough that the slowest mode
    dominates, early enough that the integrator's local error (about
    ``rtol`` on the parameters) is negligible in the residual.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import asymptotic_rate
    >>> t = np.linspace(0, 20, 400)
    >>> round(float(asymptotic_rate(t, np.exp(-3 * t) + np.exp(-5 * t))), 6)
    3.0
    """
    t, loss = as_real_array(t, "t").ravel(), as_real_array(loss, "loss").ravel()
    gap = loss - float(loss_star)
    hi, lo = window
    rel = gap / gap[0]
    keep = (rel <= hi) & (rel >= lo)
    if np.sum(keep) < 3:
        raise ValueError(f"fewer than 3 recorded points with relative loss gap in [{lo:g}, {hi:g}]; "
                         "integrate further or record more points")
    slope = np.polyfit(t[keep], np.log(gap[keep]), 1)[0]
    return -slope


def linearized_rate(split, U, V):
    """Asymptotic loss rate predicted by linearizing the residual dynamics at the end point.

    The residual :math:`E = \\tilde Y - SU_1V^\\top` (:math:`S = \\Sigma_x^{1/2}`) obeys
    :math:`\\dot E = -K(E)` with the neural-tangent operator
    :math:`K(E) = SU_1U_1^\\top S E + S^2 E VV^\\top`, symmetric positive semidefinite;
    near a global minimum the loss decays at :math:`2\\lambda_{\\min}(K)` (one run, no batch).
    """
    U1, _ = split.split(U)
    V = _matrix(V, "V")
    S = split.sqrt_sigma
    A = (S[:, None] * U1) @ (S[:, None] * U1).T
    # vec (column-major) of A E + S^2 E B is (I_m kron A + B kron S^2) vec E.
    K = np.kron(np.eye(V.shape[0]), A) + np.kron(V @ V.T, np.diag(S ** 2))
    return 2.0 * float(np.linalg.eigvalsh(0.5 * (K + K.T))[0])


def train(X, Y, U, V, *, gap_tol=1e-13, rtol=1e-12, record=("loss",), observables=None):
    """Gradient flow of the two-layer network from ``(U, V)`` until the loss gap is below ``gap_tol``.

    Runs :func:`ibtheory.dynamics.gradient_flow` (DOP853) with
    ``loss_tol = L* + gap_tol * (L(0) - L*)``. Raises ``RuntimeError`` if the
    flow does not reach it.
    """
    from ..dynamics import gradient_flow
    from ..models import TwoLayerLinear

    U, V = _matrix(U, "U"), _matrix(V, "V")
    net = TwoLayerLinear(d=U.shape[0], l=U.shape[1], k=V.shape[0])
    p0 = to_params(U, V)
    split = DataSplit(X)
    Ls = split.optimal_loss(Y)
    L0 = float(net.loss(p0, X, Y))
    res = gradient_flow(net, p0, X, Y, loss_tol=Ls + check_positive(gap_tol, "gap_tol") * (L0 - Ls),
                        rtol=rtol, record=record, observables=observables)
    if not res.success:
        raise RuntimeError(f"gradient flow did not converge: {res.message}")
    res.loss_star, res.net = Ls, net
    return res


def rate_experiment(X, Y, inits, *, gap_tol=1e-13, window=(1e-8, 1e-12)):
    """Train from each ``(U, V)`` in ``inits`` and compare the measured rate with the bound.

    Returns a dict of arrays: ``bound`` (:func:`rate_bound`), ``c``
    (:func:`imbalance_level`), ``measured`` (:func:`asymptotic_rate`),
    ``linearized`` (:func:`linearized_rate` at the end point), ``envelope``
    (:math:`\\max_t\\,[\\log(\\mathcal L-\\mathcal L^*)(t) - \\log(\\mathcal L-\\mathcal L^*)(0) + \\kappa t]`,
    which the theorem says is <= 0), ``final_gap``, ``drift``, ``t_final``.
    """
    split = DataSplit(X)
    out = {k: [] for k in ("bound", "c", "measured", "linearized", "envelope", "final_gap", "drift", "t_final")}
    for U, V in inits:
        kappa = float(rate_bound(split, U, V))
        res = train(X, Y, U, V, gap_tol=gap_tol)
        gap = res.records["loss"] - res.loss_star
        keep = gap > 1e-12 * gap[0]          # below, the float64 residual is rounding noise
        env = np.max(np.log(gap[keep] / gap[0]) + kappa * res.t[keep])
        Uf, Vf = from_params(res.x)
        out["bound"].append(kappa)
        out["c"].append(float(imbalance_level(split.split(U)[0], V)))
        out["measured"].append(asymptotic_rate(res.t, res.records["loss"], res.loss_star, window))
        out["linearized"].append(float(linearized_rate(split, Uf, Vf)))
        out["envelope"].append(float(env))
        out["final_gap"].append(float(res.fun - res.loss_star))
        out["drift"].append(float(res.drift))
        out["t_final"].append(res.t_final)
    return {k: np.array(v) for k, v in out.items()}


def width_sweep(X, Y, widths, n_seeds, seed=0, gap_tol=1e-14):
    """Random :math:`\\mathcal N(0, 1/h)` initializations over widths: imbalance, orthogonality, bias.

    For each width ``h`` draws ``n_seeds`` initializations at once (batched),
    computes the level of imbalance and the orthogonality measures at width
    ``h``, then trains each run by gradient flow on its exact width-``(D+m)``
    compression (:func:`compress_width`) and measures the spectral-norm
    distance of :math:`UV^\\top` to the minimum-norm solution (computed by
    :func:`ibtheory.solvers.min_l2_interpolator`, not by this module).

    Returns a dict of arrays of shape ``(len(widths), n_seeds)``: ``c``,
    ``VU1``, ``VU2``, ``U1U2``, ``dist``, ``final_gap``; and ``h``.
    """
    from ..solvers import min_l2_interpolator

    widths = [_int(h, "widths[i]") for h in widths]
    n_seeds = _int(n_seeds, "n_seeds")
    split = DataSplit(X)
    Y = _matrix(Y, "Y")
    sol = min_l2_interpolator(X, Y)
    theta_mn = sol.x
    keys = ("c", "VU1", "VU2", "U1U2", "dist", "final_gap")
    out = {k: np.zeros((len(widths), n_seeds)) for k in keys}
    for i, h in enumerate(widths):
        U, V = random_init(split, Y.shape[1], h, seed=seed + 1000 * i, batch=n_seeds)
        U1, _ = split.split(U)
        out["c"][i] = imbalance_level(U1, V)
        for k, v in orthogonality(split, U, V).items():
            out[k][i] = v
        for j in range(n_seeds):
            Uc, Vc, _ = compress_width(U[j], V[j])
            res = train(X, Y, Uc, Vc, gap_tol=gap_tol)
            Uf, Vf = from_params(res.x)
            out["dist"][i, j] = np.linalg.norm(Uf @ Vf.T - theta_mn, 2)
            out["final_gap"][i, j] = res.fun - res.loss_star
    out["h"] = np.array(widths, dtype=float)
    return out


def fit_loglog(x, y, level=0.95):
    """OLS fit of :math:`\\log y = a + b\\log x`; returns ``(b, (lo, hi), a)`` with a t-interval for ``b``.

    ``x`` and ``y`` are flattened together (repeated ``x`` for several seeds).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.min2021 import fit_loglog
    >>> b, ci, a = fit_loglog([1, 10, 100], [1, 0.1, 0.01])
    >>> round(b, 12)
    -1.0
    """
    from scipy import stats

    x = as_real_array(x, "x").ravel()
    y = as_real_array(y, "y").ravel()
    if x.size != y.size or x.size < 3 or np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and y must have the same size >= 3 and positive entries")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    lx, ly = np.log(x), np.log(y)
    b, a = np.polyfit(lx, ly, 1)
    resid = ly - (a + b * lx)
    dof = x.size - 2
    s2 = float(resid @ resid) / dof if dof > 0 else 0.0
    se = np.sqrt(s2 / np.sum((lx - lx.mean()) ** 2))
    q = stats.t.ppf(0.5 + level / 2, dof) if dof > 0 else np.inf
    return float(b), (float(b - q * se), float(b + q * se)), float(a)


# --------------------------------------------------------------------------- SymPy
class ReducedFlowSystem:
    """SymPy derivation of the reduced flow on :math:`\\frac12\\|\\tilde Y - SU_1V^\\top\\|_F^2`.

    ``S = diag(s_1..s_r)`` is a positive diagonal (:math:`\\Sigma_x^{1/2}`; set
    ``whitened=True`` for :math:`S = I`). ``U2`` (``k2 x h``) does not enter the
    loss, so it is constant. Derived attributes and methods (each returns
    expressions that expand to zero when the statement holds):

    - ``imbalance_rate()``: :math:`\\dot\\Lambda` for :math:`\\Lambda = U_1^\\top U_1 - V^\\top V`;
    - ``loss_rate_residual()``: :math:`\\dot{\\mathcal L} + \\|U_1^\\top S E\\|_F^2 + \\|SEV\\|_F^2`;
    - ``invariant_set_residual()``: :math:`\\frac{d}{dt}(VU_2^\\top) - E^\\top SU_1U_2^\\top`
      and :math:`\\frac{d}{dt}(U_1U_2^\\top) - SEVU_2^\\top`;
    - ``seed_variant_rate()``: :math:`\\frac{d}{dt}(VU_1^\\top)` (nonzero: the seed's
      ":math:`VU_1^\\top = 0`" is not an invariant set);
    - :meth:`reduction_residual`: full loss minus reduced loss with rational
      (Cayley-type) rotations for ``W`` and ``Phi`` (cancels to zero).

    Examples
    --------
    >>> from ibtheory.theory.min2021 import ReducedFlowSystem
    >>> s = ReducedFlowSystem(r=2, h=2, m=1)
    >>> s.imbalance_rate().is_zero_matrix
    True
    """

    def __init__(self, r=2, h=3, m=2, k2=1, whitened=False):
        import sympy as sp

        self.r, self.h, self.m, self.k2 = (_int(v, n) for v, n in ((r, "r"), (h, "h"), (m, "m"), (k2, "k2")))
        M = lambda nm, a, b: sp.Matrix(a, b, lambda i, j: sp.Symbol(f"{nm}_{i}{j}", real=True))  # noqa: E731
        self.U1, self.U2, self.V = M("u", self.r, self.h), M("w", self.k2, self.h), M("v", self.m, self.h)
        self.Yt = M("yt", self.r, self.m)
        self.s = sp.symbols(f"s1:{self.r + 1}", positive=True)
        self.S = sp.eye(self.r) if whitened else sp.diag(*self.s)
        self.E = self.Yt - self.S * self.U1 * self.V.T
        self.loss = sum(e ** 2 for e in self.E) / 2
        # The flow derived element by element from the loss (not from matrix formulas).
        self.flow = {x: -sp.diff(self.loss, x) for Mx in (self.U1, self.V) for x in Mx}
        for x in self.U2:
            self.flow[x] = -sp.diff(self.loss, x)
        self.imbalance = self.U1.T * self.U1 - self.V.T * self.V

    def _rate(self, expr):
        import sympy as sp

        if isinstance(expr, sp.MatrixBase):
            return expr.applyfunc(lambda e: sp.expand(sum(sp.diff(e, x) * f for x, f in self.flow.items())))
        return sp.expand(sum(sp.diff(expr, x) * f for x, f in self.flow.items()))

    def u2_rate(self):
        """:math:`\\dot U_2` (all zeros: ``U2`` does not enter the loss)."""
        import sympy as sp

        return sp.Matrix(self.k2, self.h, [self.flow[x] for x in self.U2])

    def imbalance_rate(self):
        return self._rate(self.imbalance)

    def loss_rate_residual(self):
        import sympy as sp

        A, B = self.U1.T * self.S * self.E, self.S * self.E * self.V
        return sp.expand(self._rate(self.loss) + sum(a ** 2 for a in A) + sum(b ** 2 for b in B))

    def invariant_set_residual(self):
        import sympy as sp

        VU2, U1U2 = self.V * self.U2.T, self.U1 * self.U2.T
        r1 = self._rate(VU2) - (self.E.T * self.S * U1U2).applyfunc(sp.expand)
        r2 = self._rate(U1U2) - (self.S * self.E * VU2).applyfunc(sp.expand)
        return r1.applyfunc(sp.expand), r2.applyfunc(sp.expand)

    def seed_variant_rate(self):
        return self._rate(self.V * self.U1.T)

    @staticmethod
    def reduction_residual(n=2, D=3, h=2, m=1):
        """``cancel(full loss - reduced loss)`` for ``X = W [S 0] Phi^T``, ``U = Phi [U1; U2]``.

        ``W`` (``n x n``) and ``Phi`` (``D x D``) are products of Givens rotations
        with the rational parametrization :math:`\\cos = (1-t^2)/(1+t^2)`,
        :math:`\\sin = 2t/(1+t^2)`, so orthogonality is exact in rational
        arithmetic; full rank ``r = n <= D``.
        """
        import sympy as sp

        n, D, h, m = _int(n, "n"), _int(D, "D"), _int(h, "h"), _int(m, "m")
        if n > D:
            raise ValueError(f"n must be <= D (full row rank), got n={n}, D={D}")

        def givens(t, size, i, j):
            c, s = (1 - t ** 2) / (1 + t ** 2), 2 * t / (1 + t ** 2)
            R = sp.eye(size)
            R[i, i], R[j, j], R[i, j], R[j, i] = c, c, -s, s
            return R

        def rotation(size, name):
            R = sp.eye(size)
            for i in range(size - 1):
                R = R * givens(sp.Symbol(f"{name}_{i}", real=True), size, i, i + 1)
            return R

        M = lambda nm, a, b: sp.Matrix(a, b, lambda i, j: sp.Symbol(f"{nm}_{i}{j}", real=True))  # noqa: E731
        W, Phi = rotation(n, "ta"), rotation(D, "tb")
        S = sp.diag(*sp.symbols(f"s1:{n + 1}", positive=True))
        U1, U2, V, Y = M("u", n, h), M("w", D - n, h), M("v", m, h), M("y", n, m)
        X = W * S.row_join(sp.zeros(n, D - n)) * Phi.T
        U = Phi * U1.col_join(U2)
        full = sum(e ** 2 for e in (Y - X * U * V.T)) / 2
        reduced = sum(e ** 2 for e in (W.T * Y - S * U1 * V.T)) / 2
        return sp.cancel(sp.together(full - reduced))
