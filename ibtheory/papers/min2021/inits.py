"""Initializations of Min et al. (2021) with a prescribed imbalance.

Each takes a :class:`numpy.random.Generator` (or a seed) and returns ``(U, V)``:
``U`` of shape ``(D, h)``, ``V`` of shape ``(m, h)``. The initialization in the
invariant set :math:`VU_2^\\top = 0`, :math:`U_1U_2^\\top = 0` is
:func:`ibtheory.models.orthogonal_init` with ``X=`` (the package's one orthogonal init).

See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._validation import check_int, check_positive
from .data import DataSplit

__all__ = ["Init", "random_init", "spectral_init", "balanced_init"]


@dataclasses.dataclass(frozen=True)
class Init:
    """One initialization ``(U, V)``: ``U`` is ``(D, h)``, ``V`` is ``(m, h)``."""

    U: np.ndarray
    V: np.ndarray

    @property
    def h(self) -> int:
        return int(self.U.shape[-1])


def _check(split, m, h):
    if not isinstance(split, DataSplit):
        raise TypeError(f"split must be a DataSplit (see split_data), got {type(split).__name__}")
    return check_int(m, "m", minimum=1), check_int(h, "h", minimum=1)


def random_init(split: DataSplit, m, h, rng, std=None) -> Init:
    """Min et al.'s random initialization :math:`[U]_{ij}, [V]_{ij}\\sim\\mathcal N(0, s^2)`, default :math:`s^2 = 1/h`.

    ``std`` overrides ``s`` (a float, or a pair ``(s_U, s_V)``).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import split_data, random_init
    >>> ini = random_init(split_data(np.eye(2, 3)), m=1, h=5, rng=np.random.default_rng(np.random.SeedSequence(0)))
    >>> ini.U.shape, ini.V.shape
    ((3, 5), (1, 5))

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    m, h = _check(split, m, h)
    if std is None:
        su = sv = h ** -0.5
    elif isinstance(std, (tuple, list)):
        if len(std) != 2:
            raise ValueError(f"std must be a float or a pair (s_U, s_V), got {std!r}")
        su, sv = (check_positive(s, "std") for s in std)
    else:
        su = sv = check_positive(std, "std")
    rng = np.random.default_rng(rng)
    return Init(su * rng.standard_normal((split.D, h)), sv * rng.standard_normal((m, h)))


def spectral_init(split: DataSplit, m, h, a, b, rng, u2_std=0.0) -> Init:
    """Rows of :math:`U_1` and :math:`V` on orthogonal directions: :math:`\\Lambda = Q\\,\\mathrm{diag}(aI_r, -bI_m, 0)Q^\\top`.

    :math:`U_1 = \\sqrt a\\,[I_r\\ 0\\ 0]Q^\\top`, :math:`V = \\sqrt b\\,[0\\ I_m\\ 0]Q^\\top`
    with a Haar-random orthogonal :math:`Q` (needs ``h >= r + m``): the level of
    imbalance is exactly ``c = a + b``. ``U2`` is Gaussian with std ``u2_std``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import split_data, spectral_init, imbalance_level
    >>> sp = split_data(np.eye(2, 3))
    >>> ini = spectral_init(sp, m=1, h=4, a=0.5, b=0.25, rng=np.random.default_rng(np.random.SeedSequence(0)))
    >>> round(float(imbalance_level(sp.U1(ini.U), ini.V)), 12)
    0.75

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    m, h = _check(split, m, h)
    a, b = check_positive(a, "a"), check_positive(b, "b")
    if not (isinstance(u2_std, (int, float)) and not isinstance(u2_std, bool) and u2_std >= 0):
        raise ValueError(f"u2_std must be a real >= 0, got {u2_std!r}")
    r = split.r
    if h < r + m:
        raise ValueError(f"h must be >= r + m = {r + m} for spectral_init, got {h}")
    rng = np.random.default_rng(rng)
    Q = np.linalg.qr(rng.standard_normal((h, h)))[0]
    U1 = np.sqrt(a) * Q[:, :r].T
    V = np.sqrt(b) * Q[:, r:r + m].T
    U2 = float(u2_std) * rng.standard_normal((split.D - r, h))
    return Init(split.Phi1 @ U1 + split.Phi2 @ U2, V)


def balanced_init(split: DataSplit, m, h, rng, scale=1.0) -> Init:
    """Balanced initialization :math:`\\Lambda = 0` (so ``c = 0``).

    :math:`U_1 = A S Q^\\top`, :math:`V = B S Q^\\top` with orthonormal columns
    :math:`A\\in\\mathbb R^{r\\times k}`, :math:`B\\in\\mathbb R^{m\\times k}`,
    :math:`Q\\in\\mathbb R^{h\\times k}`, ``k = min(r, m)`` and a random positive diagonal
    ``S`` of size ``scale``; then :math:`U_1^\\top U_1 = QS^2Q^\\top = V^\\top V`. ``U2 = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.min2021 import split_data, balanced_init, imbalance
    >>> sp = split_data(np.eye(3, 4))
    >>> ini = balanced_init(sp, m=2, h=5, rng=np.random.default_rng(np.random.SeedSequence(0)))
    >>> bool(np.allclose(imbalance(sp.U1(ini.U), ini.V), 0))
    True

    See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    m, h = _check(split, m, h)
    scale = check_positive(scale, "scale")
    r = split.r
    k = min(r, m)
    if h < k:
        raise ValueError(f"h must be >= min(r, m) = {k}, got {h}")
    rng = np.random.default_rng(rng)
    A = np.linalg.qr(rng.standard_normal((r, k)))[0]
    B = np.linalg.qr(rng.standard_normal((m, k)))[0]
    Q = np.linalg.qr(rng.standard_normal((h, k)))[0]
    S = scale * rng.uniform(0.5, 1.5, size=k)
    return Init(split.Phi1 @ ((A * S) @ Q.T), (B * S) @ Q.T)
