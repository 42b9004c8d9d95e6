r"""Random instances of the experiments, each drawn from a :class:`numpy.random.Generator`.

Every experiment derives one generator per seed,
``numpy.random.default_rng(numpy.random.SeedSequence(seed))``, and draws its
instance from it with these functions, so a run depends on its seed alone.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._validation import check_int, check_positive
from .tensors import even_part

__all__ = ["separable_instance", "PointInstance", "two_layer_point_instance",
           "regression_instance", "even_regression_instance", "flow_instance", "rng_for",
           "SOLVER_SEEDS", "QNORM_FLOW_DEPTHS", "QNORM_FLOW_ALPHAS", "CLOSED_FORM_DEPTHS"]

#: Default seeds of the solver cross-checks of the ledger (``yun2021.thm5.qnorm_vs_flow``,
#: ``yun2021.cor1``/``cor2``/``cor3``/``cor5``/``cor6`` solver claims): one random instance per seed.
SOLVER_SEEDS = (0, 1, 2)
#: Depths and initialization scales at which the Theorem 5 solver is compared with a simulated flow
#: of all L layers (ledger claim ``yun2021.thm5.qnorm_vs_flow`` and the solvers chapter).
QNORM_FLOW_DEPTHS = (2, 3, 4)
QNORM_FLOW_ALPHAS = (0.5, 1.0)
#: Lemma 4: the depths for which SymPy inverts t(q) in closed form
#: (:attr:`ibtheory.symbolic.Lemma4Derivation.closed_form`); used by the Lemma 4 claims and chapter.
CLOSED_FORM_DEPTHS = (2, 3, 4)


def rng_for(seed):
    """The generator of run ``seed``: ``default_rng(SeedSequence(seed))``.

    Examples
    --------
    >>> from ibtheory.papers.yun2021 import rng_for
    >>> float(rng_for(0).standard_normal()) == float(rng_for(0).standard_normal())
    True

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    return np.random.default_rng(np.random.SeedSequence(check_int(seed, "seed", minimum=0)))


def _rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def separable_instance(rng, n=4, d=6):
    """Gaussian inputs ``X`` (n, d) and random labels in {-1, +1}; separable when n < d.

    Examples
    --------
    >>> from ibtheory.papers.yun2021 import rng_for, separable_instance
    >>> X, y = separable_instance(rng_for(3))
    >>> X.shape, sorted(set(y.tolist())) <= [-1.0, 1.0]
    ((4, 6), True)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    rng = _rng(rng)
    n, d = check_int(n, "n", minimum=1), check_int(d, "d", minimum=1)
    if n >= d:
        raise ValueError(f"n must be smaller than d for separability, got n={n}, d={d}")
    X = rng.standard_normal((n, d))
    y = np.where(rng.standard_normal(n) > 0, 1.0, -1.0)
    return X, y


@dataclasses.dataclass(frozen=True)
class PointInstance:
    """A two-layer tensor network on one data point, with the SVD of :math:`M(x)` and initial directions."""

    T: np.ndarray       #: stacked data tensor, shape (d, k1, k2)
    x: np.ndarray       #: the data point
    Mx: np.ndarray      #: M(x) = U1 diag(s) U2'
    U1: np.ndarray
    s: np.ndarray
    U2: np.ndarray
    vbar1: np.ndarray
    vbar2: np.ndarray

    @property
    def a(self):
        """:math:`U_1^\\top\\bar v_1`."""
        return self.U1.T @ self.vbar1

    @property
    def b(self):
        """:math:`U_2^\\top\\bar v_2`."""
        return self.U2.T @ self.vbar2

    @property
    def init_margin(self):
        """:math:`\\lambda = \\min_j a_j^2 - b_j^2` (the condition of Theorems 3 and 6 is :math:`\\lambda > 0`)."""
        return float(np.min(self.a**2 - self.b**2))


def two_layer_point_instance(rng, d=3, k1=4, k2=3):
    r"""Random tensor ``T`` (d, k1, k2), point ``x``, and directions with :math:`a_j^2 - b_j^2\ge0.48`.

    :math:`a = U_1^\top\bar v_1` has entries of modulus in [0.8, 1.2] and random
    signs, :math:`b = a\odot u` with :math:`u\sim U(-0.5, 0.5)`, and
    :math:`\bar v_1` has a component of norm 0.3 outside the range of :math:`U_1`.

    Examples
    --------
    >>> from ibtheory.papers.yun2021 import rng_for, two_layer_point_instance
    >>> inst = two_layer_point_instance(rng_for(0))
    >>> inst.Mx.shape, inst.init_margin >= 0.48
    ((4, 3), True)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    rng = _rng(rng)
    d, k1, k2 = (check_int(v, name, minimum=1) for v, name in ((d, "d"), (k1, "k1"), (k2, "k2")))
    T = rng.standard_normal((d, k1, k2))
    x = rng.standard_normal(d)
    Mx = np.tensordot(x, T, 1)
    U1, s, U2t = np.linalg.svd(Mx, full_matrices=False)
    a = rng.uniform(0.8, 1.2, s.size) * rng.choice([-1.0, 1.0], s.size)
    b = a * rng.uniform(-0.5, 0.5, s.size)
    out = rng.standard_normal(k1)
    out -= U1 @ (U1.T @ out)
    nrm = np.linalg.norm(out)
    vbar1 = U1 @ a + (0.3 * out / nrm if nrm > 1e-12 else 0.0)
    vbar2 = U2t.T @ b
    return PointInstance(T=T, x=x, Mx=Mx, U1=U1, s=s, U2=U2t.T, vbar1=vbar1, vbar2=vbar2)


def regression_instance(rng, n=3, d=6):
    r"""Gaussian ``X`` (n, d), ``y`` (n,), and a signed :math:`\bar w` with :math:`|\bar w_j|\in[0.5, 1.5]`.

    Examples
    --------
    >>> from ibtheory.papers.yun2021 import regression_instance, rng_for
    >>> X, y, wbar = regression_instance(rng_for(0))
    >>> X.shape, bool(abs(wbar).min() >= 0.5)
    ((3, 6), True)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    rng = _rng(rng)
    n, d = check_int(n, "n", minimum=1), check_int(d, "d", minimum=1)
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    wbar = rng.uniform(0.5, 1.5, d) * rng.choice([-1.0, 1.0], d)
    return X, y, wbar


def flow_instance(rng, n=3, d=6):
    r"""``X`` (n, d) with orthonormal rows, ``y`` ~ N(0, 1/4) (n,), signed :math:`\bar w` with :math:`|\bar w_j|\in[0.5, 1.5]`.

    The instance of the Theorem 5 check against a simulated flow: orthonormal rows keep
    the flow's time scale the same on every draw.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021.data import flow_instance, rng_for
    >>> X, y, wbar = flow_instance(rng_for(0))
    >>> X.shape, bool(np.allclose(X @ X.T, np.eye(3))), bool(abs(wbar).min() >= 0.5)
    ((3, 6), True, True)

    See the book chapter *The limiting optimization problems* (``book/solvers.md``).
    """
    rng = _rng(rng)
    n, d = check_int(n, "n", minimum=1), check_int(d, "d", minimum=1)
    if n > d:
        raise ValueError(f"n must be at most d for orthonormal rows, got n={n}, d={d}")
    Q, _ = np.linalg.qr(rng.standard_normal((d, n)))
    wbar = rng.uniform(0.5, 1.5, d) * rng.choice([-1.0, 1.0], d)
    return Q.T, 0.5 * rng.standard_normal(n), wbar


def even_regression_instance(rng, n=2, d=4, shift=2.0):
    r"""Even data (:math:`x_k = x_{-k\bmod d}`), ``y``, and an even :math:`\bar w = \mathrm{even}(g) + \text{shift}\,e_0`.

    The shift keeps every DFT coefficient of :math:`\bar w` away from 0 with high probability;
    the caller checks :math:`\min_j|[F\bar w]_j|`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import even_regression_instance, rng_for
    >>> X, y, wbar = even_regression_instance(rng_for(0))
    >>> bool(np.allclose(np.fft.fft(X).imag, 0)), bool(np.allclose(np.fft.fft(wbar).imag, 0))
    (True, True)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    rng = _rng(rng)
    n, d = check_int(n, "n", minimum=1), check_int(d, "d", minimum=2)
    shift = check_positive(shift, "shift")
    X = even_part(rng.standard_normal((n, d)))
    y = rng.standard_normal(n)
    wbar = even_part(rng.standard_normal(d)) + shift * np.eye(d)[0]
    return X, y, wbar
