"""Closed forms of Min et al. (2021): imbalance, its level, the rate bound, tail bounds.

The imbalance :math:`\\Lambda = U_1^\\top U_1 - V^\\top V` is conserved by gradient flow
(:mod:`ibtheory.papers.min2021.derivation`); its level
:math:`c = [\\lambda_r(\\Lambda)]_+ + [\\lambda_m(-\\Lambda)]_+` sets the rate
:math:`\\kappa = 2\\lambda_{\\min}(\\Sigma_x)c` of the loss gap. ``printed_*`` names are the
formulas as the seed slides print them, kept to show where they are wrong.

See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..._validation import as_real_array, check_int, check_positive
from .data import DataSplit, _T, matrix

__all__ = ["imbalance", "printed_imbalance", "imbalance_level", "imbalance_lower_bound",
           "imbalance_failure_bound", "rate_bound", "Orthogonality", "orthogonality",
           "linearized_rate", "distance_exponent", "DISTANCE_EXPONENT", "SLOPE_LEVEL"]

#: The theorem's exponent: :math:`\|UV^\top - \hat\Theta\|_2 = O(h^{-1/2})` for N(0, 1/h) init.
DISTANCE_EXPONENT = -0.5

#: Confidence level of the ensemble's log-log slope intervals. The exponent -1/2 is attained
#: (the cross products are sums of h independent terms of size 1/h), so a one-sided test of
#: the O(h^-1/2) bound sits on the boundary and rejects a true bound with probability
#: (1 - level)/2: 0.999 keeps that at 5e-4 per test.
SLOPE_LEVEL = 0.999


def _split(split):
    if not isinstance(split, DataSplit):
        raise TypeError(f"split must be a DataSplit (see split_data), got {type(split).__name__}")
    return split


def _pair(U1, V):
    U1, V = matrix(U1, "U1"), matrix(V, "V")
    if U1.shape[-1] != V.shape[-1]:
        raise ValueError(f"U1 and V must have the same number of columns (width h), got {U1.shape} and {V.shape}")
    return U1, V


def imbalance(U1, V):
    """The imbalance :math:`\\Lambda = U_1^\\top U_1 - V^\\top V` (``h x h``, batched).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import imbalance
    >>> imbalance(np.eye(2), np.eye(2)).tolist()
    [[0.0, 0.0], [0.0, 0.0]]

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    U1, V = _pair(U1, V)
    return _T(U1) @ U1 - _T(V) @ V


def printed_imbalance(U1, V):
    """The imbalance as the seed slide prints it, :math:`U_1^\\top U_1V^\\top V` (OCR lost the minus).

    Not conserved by the flow (shown in the chapter); kept only for that check.
    """
    U1, V = _pair(U1, V)
    return _T(U1) @ U1 @ _T(V) @ V


def _imbalance_eigs(U1, V):
    """Eigenvalues of Lambda (descending) without forming the h x h matrix.

    With :math:`A = [U_1; V]` and :math:`J = \\mathrm{diag}(I_r, -I_m)`,
    :math:`\\Lambda = A^\\top J A`; if :math:`A^\\top = QR` then
    :math:`\\Lambda = Q(RJR^\\top)Q^\\top`: the nonzero eigenvalues are those of
    :math:`RJR^\\top`, plus zeros.
    """
    U1, V = _pair(U1, V)
    r, m, h = U1.shape[-2], V.shape[-2], U1.shape[-1]
    if h < max(r, m):
        raise ValueError(f"the width h (columns of U1 and V) must be >= max(r, m) = {max(r, m)} for "
                         f"lambda_r and lambda_m of the h x h imbalance to exist, got h={h}")
    A = np.concatenate([U1, V], axis=-2)
    J = np.concatenate([np.ones(r), -np.ones(m)])
    if h >= r + m:
        Rt = _T(np.linalg.qr(_T(A), mode="r"))
        ev = np.linalg.eigvalsh(_T(Rt) @ (J[:, None] * Rt))
        pad = h - (r + m)
    else:
        ev, pad = np.linalg.eigvalsh(_T(A) @ (J[:, None] * A)), 0
    if pad:
        ev = np.concatenate([ev, np.zeros(ev.shape[:-1] + (pad,))], axis=-1)
    return np.sort(ev, axis=-1)[..., ::-1], r, m


def imbalance_level(U1, V):
    """Level of imbalance :math:`c = [\\lambda_r(\\Lambda)]_+ + [\\lambda_m(-\\Lambda)]_+` (batched).

    :math:`\\lambda_k` is the k-th largest eigenvalue, ``r`` the number of rows of
    ``U1`` (rank of the data), ``m`` of ``V`` (outputs). Computed through the
    ``(r+m) x (r+m)`` block, so widths of 10^4 cost nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import imbalance_level
    >>> U1 = np.array([[2.0, 0.0, 0.0]]); V = np.array([[0.0, 1.0, 0.0]])
    >>> float(imbalance_level(U1, V))   # Lambda = diag(4, -1, 0): c = 4 + 1
    5.0

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    ev, r, m = _imbalance_eigs(U1, V)
    return np.maximum(ev[..., r - 1], 0.0) + np.maximum(-ev[..., ev.shape[-1] - m], 0.0)


def imbalance_lower_bound(U1, V):
    """:math:`2\\sigma_{\\min}([U_1; V])^2 \\le c` (and :math:`c \\le 2\\sigma_{\\max}^2`).

    The nonzero eigenvalues of :math:`\\Lambda = A^\\top JA` are those of :math:`JG`,
    :math:`G = AA^\\top`, similar to :math:`G^{1/2}JG^{1/2}`. By Ostrowski's theorem its
    eigenvalues are :math:`\\theta_k\\lambda_k(J)` with
    :math:`\\theta_k\\in[\\lambda_{\\min}(G), \\lambda_{\\max}(G)]`: the ``r`` positive ones
    are :math:`\\ge\\lambda_{\\min}(G)`, the ``m`` negative ones :math:`\\le-\\lambda_{\\min}(G)`.
    Returns :math:`2\\lambda_{\\min}(G)` (0 if ``h < r + m``), batched.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import imbalance_lower_bound
    >>> float(imbalance_lower_bound(np.array([[2.0, 0.0]]), np.array([[0.0, 1.0]])))
    2.0
    """
    U1, V = _pair(U1, V)
    A = np.concatenate([U1, V], axis=-2)
    if A.shape[-1] < A.shape[-2]:
        return np.zeros(A.shape[:-2])
    return 2.0 * np.linalg.svd(A, compute_uv=False)[..., -1] ** 2


def imbalance_failure_bound(h, k, std=None, threshold=1.0):
    """Upper bound on :math:`P(c < \\text{threshold})` for i.i.d. :math:`\\mathcal N(0, s^2)` weights.

    Derived here (the slides give no constant): :math:`U_1 = \\Phi_1^\\top U` and ``V``
    stack into a ``k x h`` matrix ``A`` (``k = r + m``) with i.i.d. :math:`\\mathcal N(0, s^2)`
    entries, and :math:`c\\ge 2\\sigma_{\\min}(A)^2` (:func:`imbalance_lower_bound`).
    Gordon's inequality :math:`\\mathbb E\\,\\sigma_{\\min}(A/s)\\ge\\sqrt h-\\sqrt k` and
    Gaussian concentration of the 1-Lipschitz :math:`\\sigma_{\\min}` give

    .. math::

        P(c < c_0) \\le P\\big(\\sigma_{\\min}(A/s) < \\sqrt{c_0/(2s^2)}\\big)
        \\le \\exp(-t^2/2),\\qquad t = \\sqrt h - \\sqrt k - \\sqrt{c_0/(2s^2)},

    when :math:`t > 0`, and the trivial bound 1 otherwise. Default :math:`s^2 = 1/h`.

    Examples
    --------
    >>> from ibtheory.papers.min2021 import imbalance_failure_bound
    >>> imbalance_failure_bound(20, 6), imbalance_failure_bound(1000, 6) < 1e-9
    (1.0, True)
    """
    h, k = check_int(h, "h", minimum=1), check_int(k, "k", minimum=1)
    s = h ** -0.5 if std is None else check_positive(std, "std")
    threshold = check_positive(threshold, "threshold")
    t = math.sqrt(h) - math.sqrt(k) - math.sqrt(threshold / (2.0 * s * s))
    return 1.0 if t <= 0 else min(1.0, math.exp(-t * t / 2.0))


def rate_bound(split: DataSplit, U, V):
    """Guaranteed exponential rate :math:`\\kappa = 2\\lambda_{\\min}(\\Sigma_x)c` of the loss gap.

    .. math::

        \\mathcal L(t) - \\mathcal L^* \\le e^{-\\kappa t}(\\mathcal L(0) - \\mathcal L^*),

    :math:`\\kappa = 2c` for whitened data (derived in the chapter).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import split_data, rate_bound
    >>> sp = split_data(np.array([[2.0, 0.0, 0.0]]))
    >>> U = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]); V = np.array([[0.0, 1.0]])
    >>> float(rate_bound(sp, U, V))      # 2 * sigma_min * c = 2 * 4 * (1 + 1)
    16.0

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    return 2.0 * _split(split).sigma.min() * imbalance_level(split.U1(U), V)


@dataclasses.dataclass(frozen=True)
class Orthogonality:
    """Frobenius norms of :math:`VU_1^\\top`, :math:`VU_2^\\top`, :math:`U_1U_2^\\top` (batched arrays)."""

    VU1: np.ndarray
    VU2: np.ndarray
    U1U2: np.ndarray


def orthogonality(split: DataSplit, U, V) -> Orthogonality:
    """The products whose vanishing (:math:`VU_2^\\top = 0`, :math:`U_1U_2^\\top = 0`) gives min-norm.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import split_data, orthogonality
    >>> o = orthogonality(split_data(np.array([[1.0, 0.0]])), np.eye(2), np.array([[1.0, 0.0]]))
    >>> float(o.VU1), float(o.VU2), float(o.U1U2)
    (1.0, 0.0, 0.0)

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    U1, U2, V = _split(split).U1(U), split.U2(U), matrix(V, "V")
    nrm = lambda A: np.sqrt(np.sum(A ** 2, axis=(-2, -1)))  # noqa: E731
    return Orthogonality(VU1=nrm(V @ _T(U1)), VU2=nrm(V @ _T(U2)), U1U2=nrm(U1 @ _T(U2)))


def linearized_rate(split: DataSplit, U, V) -> float:
    """Asymptotic loss rate :math:`2\\lambda_{\\min}(K)` of the residual dynamics linearized at ``(U, V)``.

    The residual :math:`E = \\tilde Y - SU_1V^\\top` (:math:`S = \\Sigma_x^{1/2}`) obeys
    :math:`\\dot E = -K(E)`, :math:`K(E) = SU_1U_1^\\top SE + S^2EVV^\\top` (the
    neural-tangent operator, symmetric positive semidefinite). One run, no batch.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import split_data, linearized_rate
    >>> sp = split_data(np.eye(1, 2))
    >>> linearized_rate(sp, np.array([[1.0], [0.0]]), np.array([[2.0]]))   # 2 (1 + 4)
    10.0
    """
    U1, V = _split(split).U1(matrix(U, "U", ndim=2)), matrix(V, "V", ndim=2)
    S = split.sqrt_sigma
    A = (S[:, None] * U1) @ (S[:, None] * U1).T
    K = np.kron(np.eye(V.shape[0]), A) + np.kron(V @ V.T, np.diag(S ** 2))
    return 2.0 * float(np.linalg.eigvalsh(0.5 * (K + K.T))[0])


def distance_exponent(a):
    """Exponent of :math:`\\|UV^\\top-\\hat\\Theta\\|_2` for weights :math:`\\mathcal N(0, h^{-2a})`, :math:`\\frac14 < a\\le\\frac12`.

    The null-space error :math:`\\Phi_2U_2V(\\infty)^\\top` has :math:`U_2 = O(h^{-a})` per
    entry summed over ``h`` columns against :math:`V(\\infty)`, whose initial part is
    independent of :math:`U_2`: :math:`\\|U_2V(0)^\\top\\| = O(h^{1/2-2a})`. Returns
    :math:`-(2a - 1/2)`; ``a = 1/2`` gives :data:`DISTANCE_EXPONENT`.

    Examples
    --------
    >>> from ibtheory.papers.min2021 import distance_exponent
    >>> distance_exponent(0.5), distance_exponent(0.375)
    (-0.5, -0.25)
    """
    a = float(as_real_array(a, "a"))
    if not 0.25 < a <= 0.5:
        raise ValueError(f"a must be in (1/4, 1/2], got {a!r}")
    return -(2.0 * a - 0.5)
