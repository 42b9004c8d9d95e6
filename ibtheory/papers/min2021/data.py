"""Data, its SVD split, and the two-layer parameters of Min et al. (2021).

Two-layer linear network :math:`f(x) = VU^\\top x` with :math:`U\\in\\mathbb R^{D\\times h}`,
:math:`V\\in\\mathbb R^{m\\times h}`, trained on the paper's loss (half the sum of squares,
``loss="half_sum"``, as the slides print it)

.. math:: \\mathcal L = \\tfrac12\\|Y - XUV^\\top\\|_F^2 .

With the SVD :math:`X = W[\\Sigma_x^{1/2}\\ 0][\\Phi_1\\ \\Phi_2]^\\top` (``r = rank X``),
:math:`U_1 = \\Phi_1^\\top U`, :math:`U_2 = \\Phi_2^\\top U`, :math:`\\tilde Y = W^\\top Y`:

.. math::

    \\mathcal L = \\tfrac12\\|\\tilde Y - \\Sigma_x^{1/2}U_1V^\\top\\|_F^2
    + \\tfrac12\\|(I - WW^\\top)Y\\|_F^2 .

See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._validation import as_real_array, check_int, check_positive
from ...dynamics import Problem

__all__ = ["LOSS", "DataSplit", "split_data", "make_problem", "to_params", "from_params",
           "Compression", "compress_width"]

#: The paper's loss convention: :math:`\frac12\|Y - XUV^\top\|_F^2` (half the sum of squares).
LOSS = "half_sum"


def _T(A):
    return np.swapaxes(A, -1, -2)


def matrix(x, name, ndim=None):
    """``x`` as a finite float64 array with at least two axes (or exactly ``ndim``)."""
    a = as_real_array(x, name)
    if a.ndim < 2 or (ndim is not None and a.ndim != ndim):
        want = f"{ndim}" if ndim is not None else "at least 2"
        raise ValueError(f"{name} must be an array with {want} dimensions, got shape {a.shape}")
    return a


@dataclasses.dataclass(frozen=True)
class DataSplit:
    """The SVD split :math:`X = W[\\Sigma_x^{1/2}\\ 0][\\Phi_1\\ \\Phi_2]^\\top` (build with :func:`split_data`).

    Attributes
    ----------
    X : ndarray (n, D)
    r : int
        Numerical rank of ``X``.
    W, W_perp : ndarray (n, r), (n, n - r)
        Left singular vectors and their complement.
    sqrt_sigma, sigma : ndarray (r,)
        Singular values of ``X`` and their squares (the diagonal of :math:`\\Sigma_x`).
    Phi1, Phi2 : ndarray (D, r), (D, D - r)
        Orthonormal bases of the row space of ``X`` and of its null space.
    """

    X: np.ndarray
    r: int
    W: np.ndarray
    W_perp: np.ndarray
    sqrt_sigma: np.ndarray
    sigma: np.ndarray
    Phi1: np.ndarray
    Phi2: np.ndarray

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def D(self) -> int:
        return int(self.X.shape[1])

    def _check_U(self, U):
        U = matrix(U, "U")
        if U.shape[-2] != self.D:
            raise ValueError(f"U must have D = {self.D} rows, got shape {U.shape}")
        return U

    def U1(self, U):
        """:math:`U_1 = \\Phi_1^\\top U` (batched over leading axes)."""
        return self.Phi1.T @ self._check_U(U)

    def U2(self, U):
        """:math:`U_2 = \\Phi_2^\\top U` (batched over leading axes)."""
        return self.Phi2.T @ self._check_U(U)

    def target(self, Y):
        """The factorization target :math:`\\tilde Y = W^\\top Y`, shape ``(r, m)``."""
        return self.W.T @ matrix(Y, "Y", ndim=2)

    def optimal_loss(self, Y) -> float:
        """The global minimum :math:`\\mathcal L^* = \\frac12\\|(I - WW^\\top)Y\\|_F^2`."""
        return 0.5 * float(np.sum((self.W_perp.T @ matrix(Y, "Y", ndim=2)) ** 2))

    def reduced_loss(self, U, V, Y):
        """:math:`\\frac12\\|\\tilde Y - \\Sigma_x^{1/2}U_1V^\\top\\|_F^2 + \\mathcal L^*` (batched)."""
        E = self.target(Y) - self.sqrt_sigma[:, None] * (self.U1(U) @ _T(matrix(V, "V")))
        return 0.5 * np.sum(E ** 2, axis=(-2, -1)) + self.optimal_loss(Y)


def split_data(X, rcond=1e-12) -> DataSplit:
    """The SVD split of the data matrix ``X`` (rows are samples).

    Singular values below ``rcond * s_max`` count as zero.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import split_data
    >>> sp = split_data(np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    >>> sp.r, sp.sigma.tolist(), sp.Phi2.shape
    (2, [4.0, 1.0], (3, 1))

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    X = matrix(X, "X", ndim=2)
    rcond = check_positive(rcond, "rcond")
    Wf, s, Vt = np.linalg.svd(X)
    r = int(np.sum(s > rcond * s[0])) if s.size and s[0] > 0 else 0
    if r == 0:
        raise ValueError("X must have rank >= 1")
    return DataSplit(X=X, r=r, W=Wf[:, :r], W_perp=Wf[:, r:], sqrt_sigma=s[:r], sigma=s[:r] ** 2,
                     Phi1=Vt[:r].T, Phi2=Vt[r:].T)


def make_problem(n, D, m, rng, whitened=False) -> Problem:
    """Gaussian data ``X`` (``n x D``), labels ``Y`` (``n x m``), bound with the paper's loss.

    ``whitened=True`` gives :math:`X = W[I_n\\ 0]\\Phi^\\top` with Haar-random
    orthogonal ``W``, ``Phi`` (all singular values 1, :math:`\\Sigma_x = I`).
    ``rng`` is a :class:`numpy.random.Generator` or a seed.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import make_problem
    >>> prob = make_problem(3, 5, 2, np.random.default_rng(np.random.SeedSequence(0)), whitened=True)
    >>> bool(np.allclose(prob.X @ prob.X.T, np.eye(3))), prob.loss
    (True, 'half_sum')

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    n, D, m = check_int(n, "n", minimum=1), check_int(D, "D", minimum=1), check_int(m, "m", minimum=1)
    if n > D:
        raise ValueError(f"n must be <= D (overparametrized regression), got n={n}, D={D}")
    rng = np.random.default_rng(rng)
    X = rng.standard_normal((n, D))
    if whitened:
        Wq = np.linalg.qr(rng.standard_normal((n, n)))[0]
        Phi = np.linalg.qr(rng.standard_normal((D, D)))[0]
        X = Wq @ np.eye(n, D) @ Phi.T
    return Problem(X, rng.standard_normal((n, m)), loss=LOSS)


def to_params(U, V):
    """``(U, V)`` as :class:`ibtheory.models.TwoLayerLinear` parameters ``(W1, W2) = (U, V^T)``."""
    return (matrix(U, "U").copy(), _T(matrix(V, "V")).copy())


def from_params(params):
    """Inverse of :func:`to_params`: ``(W1, W2) -> (U, V) = (W1, W2^T)``."""
    if not isinstance(params, (tuple, list)) or len(params) != 2:
        raise ValueError("params must be a pair (W1, W2)")
    return matrix(params[0], "params[0]").copy(), _T(matrix(params[1], "params[1]")).copy()


@dataclasses.dataclass(frozen=True)
class Compression:
    """``(U Q, V Q)`` with ``Q`` an orthonormal basis of the span of the rows of ``[U; V]``."""

    U: np.ndarray
    V: np.ndarray
    Q: np.ndarray


def compress_width(U, V) -> Compression:
    """Exact reduction of a wide network to width ``min(h, D + m)``.

    Gradient flow keeps the rows of ``U`` and ``V`` (vectors of :math:`\\mathbb R^h`)
    in the span of their initial rows: :math:`\\dot U = X^\\top E V` and
    :math:`\\dot V = E^\\top X U` are left-multiples of ``V`` and ``U``. With an
    orthonormal basis :math:`Q\\in\\mathbb R^{h\\times k}` of that span,
    :math:`(UQ, VQ)` follows the same flow, and :math:`UV^\\top`, the nonzero
    eigenvalues of the imbalance and the orthogonality measures are unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import compress_width
    >>> rng = np.random.default_rng(np.random.SeedSequence(0))
    >>> U, V = rng.standard_normal((3, 50)), rng.standard_normal((1, 50))
    >>> c = compress_width(U, V)
    >>> c.U.shape, bool(np.allclose(c.U @ c.V.T, U @ V.T))
    ((3, 4), True)

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    U, V = matrix(U, "U", ndim=2), matrix(V, "V", ndim=2)
    if U.shape[1] != V.shape[1]:
        raise ValueError(f"U (D, h) and V (m, h) must have the same width, got {U.shape}, {V.shape}")
    A = np.vstack([U, V])
    if A.shape[0] >= A.shape[1]:
        return Compression(U.copy(), V.copy(), np.eye(A.shape[1]))
    Q = np.linalg.qr(A.T)[0]
    return Compression(U @ Q, V @ Q, Q)
