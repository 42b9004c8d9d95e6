"""Initializers for every scheme the five papers use (seeded, float64).

Every initializer takes ``seed`` (passed to :func:`numpy.random.default_rng`)
and ``batch``: ``None`` gives one run, an integer ``B`` gives parameters with
a leading batch axis of ``B`` independent draws (the input of
:func:`ibtheory.dynamics.gradient_descent`).
"""
from __future__ import annotations

import numbers

import numpy as np

import functools

from .._validation import as_real_array, check_int, check_positive
from ._diagonal import Convolutional, Diagonal
from ._linear import DeepLinear, TwoLayerLinear
from ._relu import TwoLayerReLU
from ._tensor import TensorNetwork


def _rng(seed):
    """A generator from ``seed`` (int >= 0, SeedSequence or Generator); TypeError naming ``seed`` otherwise."""
    if isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return np.random.default_rng(seed)
    return np.random.default_rng(check_int(seed, "seed", minimum=0))


def _checks_model(fn):
    """Reject a ``model`` that is not an :class:`ibtheory.models.Model` with a TypeError naming it."""
    from ._base import check_model

    @functools.wraps(fn)
    def wrapper(model, *args, **kwargs):
        return fn(check_model(model), *args, **kwargs)

    return wrapper


def _batch(batch):
    if batch is None:
        return None
    if isinstance(batch, (bool, np.bool_)) or not isinstance(batch, numbers.Integral) or batch < 1:
        raise ValueError(f"batch must be None or a positive integer, got {batch!r}")
    return int(batch)


def _lead(batch):
    return () if batch is None else (batch,)


def _nonneg(x, name):
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real) or not np.isfinite(x) or x < 0:
        raise ValueError(f"{name} must be a finite real >= 0, got {x!r}")
    return float(x)


def _semi_orthogonal(rng, lead, rows, cols):
    """Haar-distributed matrices with orthonormal rows (rows <= cols) or columns."""
    A = rng.standard_normal(lead + (max(rows, cols), min(rows, cols)))
    Q, R = np.linalg.qr(A)
    # Sign fix makes the distribution Haar (QR alone is biased by the signs of diag R).
    Q = Q * np.sign(np.diagonal(R, axis1=-2, axis2=-1))[..., None, :]
    return Q if rows >= cols else np.swapaxes(Q, -1, -2)


@_checks_model
def varre_init(model, gamma, seed=0, batch=None):
    """Varre et al.'s initialization (I): :math:`W_1 = \\sqrt{2\\gamma}\\,P`, :math:`W_2 = 0`.

    :math:`P\\in\\mathbb R^{d\\times l}` has orthonormal rows, :math:`PP^\\top = I_d`
    (Haar-random), so the hidden width must satisfy ``l >= d``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TwoLayerLinear, varre_init
    >>> W1, W2 = varre_init(TwoLayerLinear(d=2, l=3), gamma=0.5, seed=1)
    >>> bool(np.allclose(W1 @ W1.T, np.eye(2))), bool(np.all(W2 == 0))
    (True, True)

    See the book chapters *Gradient flow and its conservation laws* (``book/dynamics.md``) and *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    if not isinstance(model, TwoLayerLinear):
        raise ValueError(f"varre_init needs a TwoLayerLinear model, got {model!r}")
    if model.l < model.d:
        raise ValueError(f"varre_init needs hidden width l >= d (P P^T = I_d), got l={model.l} < d={model.d}")
    gamma = check_positive(gamma, "gamma")
    batch = _batch(batch)
    rng = _rng(seed)
    P = _semi_orthogonal(rng, _lead(batch), model.d, model.l)
    return np.sqrt(2.0 * gamma) * P, np.zeros(_lead(batch) + (model.l, model.k))


@_checks_model
def gaussian_init(model, scale=1.0, seed=0, batch=None, fan_in=False):
    """I.i.d. Gaussian entries :math:`\\mathcal N(0, s^2)` for every parameter array.

    Parameters
    ----------
    scale : float or sequence of float
        Standard deviation ``s`` (one per parameter array if a sequence).
        Small-scale initializations are ``scale << 1``; Min et al.'s random
        init is ``scale = h**-0.5``.
    fan_in : bool
        Divide each matrix's standard deviation by the square root of its
        number of input units (last axis for :class:`DeepLinear`, first for
        :class:`TwoLayerLinear`'s ``W1``).

    Examples
    --------
    >>> from ibtheory.models import DeepLinear, gaussian_init
    >>> [p.shape for p in gaussian_init(DeepLinear([3, 4, 1]), scale=0.1, batch=5)]
    [(5, 4, 3), (5, 1, 4)]

    See the book chapters *Gradient flow and its conservation laws* (``book/dynamics.md``), *A unifying view through linear tensor networks* (``book/yun2021.md``) and *Deep linear networks are implicitly regularized towards flat minima* (``book/marion2024.md``).
    """
    batch = _batch(batch)
    scales = list(scale) if isinstance(scale, (list, tuple)) else [scale] * len(model.shapes)
    if len(scales) != len(model.shapes):
        raise ValueError(f"scale must be a float or a sequence of {len(model.shapes)} floats")
    scales = [_nonneg(s, "scale") for s in scales]
    rng = _rng(seed)
    out = []
    for s, shape in zip(scales, model.shapes):
        if fan_in and len(shape) == 2:
            fan = shape[0] if isinstance(model, TwoLayerLinear) else shape[1]
            s = s / np.sqrt(fan)
        out.append(s * rng.standard_normal(_lead(batch) + shape))
    return tuple(out)


@_checks_model
def orthogonal_init(model, scale=1.0, seed=0, batch=None, X=None):
    """Every layer a Haar-random semi-orthogonal matrix times ``scale`` (Saxe et al. 2014).

    Parameters
    ----------
    model : DeepLinear or TwoLayerLinear
    scale : float or sequence of float
        Factor of every layer, or one factor per layer.
    seed : int or numpy.random.Generator
        Passed to :func:`numpy.random.default_rng`.
    batch : int, optional
        Leading axis of independent draws.
    X : array_like, shape (n, d), optional
        Data (``TwoLayerLinear`` only). Then the initialization lies in Min et
        al.'s invariant set. With :math:`U = W_1`, :math:`V = W_2^\\top` and
        :math:`\\Phi_1, \\Phi_2` orthonormal bases of the row space of ``X`` and
        of its null space, :math:`U_1 = \\Phi_1^\\top U`, :math:`U_2 = \\Phi_2^\\top U`:

        .. math:: VU_2^\\top = 0,\\qquad U_1U_2^\\top = 0 .

        :math:`W_1` has orthonormal rows (needs ``l >= d``), so
        :math:`U_1U_2^\\top = s^2\\Phi_1^\\top\\Phi_2 = 0`; the columns of :math:`W_2`
        are Haar-random orthonormal vectors of the complement of the rows of
        :math:`U_2` (needs ``l >= d - rank(X) + k``). Gradient flow from such a
        point keeps both products zero and, if it converges, converges to the
        minimum-norm solution :math:`X^+Y`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import DeepLinear, TwoLayerLinear, orthogonal_init
    >>> W1, W2 = orthogonal_init(DeepLinear([3, 3, 1]), scale=2.0)
    >>> bool(np.allclose(W1 @ W1.T, 4 * np.eye(3)))
    True
    >>> X = np.eye(2, 4)                          # null space: the last two coordinates
    >>> U, W2 = orthogonal_init(TwoLayerLinear(d=4, l=6, k=1), seed=1, X=X)
    >>> U2 = U[2:]                                # Phi_2^T U
    >>> bool(np.allclose(W2.T @ U2.T, 0) and np.allclose(U[:2] @ U2.T, 0))
    True

    See the book chapters *Gradient flow and its conservation laws* (``book/dynamics.md``)
    and *Initialization, imbalance and convergence* (``book/min2021.md``).
    """
    if not isinstance(model, (DeepLinear, TwoLayerLinear)):
        raise ValueError(f"orthogonal_init needs a DeepLinear or TwoLayerLinear model, got {model!r}")
    scales = list(scale) if isinstance(scale, (list, tuple)) else [scale] * len(model.shapes)
    if len(scales) != len(model.shapes):
        raise ValueError(f"scale must be a float or a sequence of {len(model.shapes)} floats")
    scales = [_nonneg(s, "scale") for s in scales]
    batch = _batch(batch)
    rng = _rng(seed)
    lead = _lead(batch)
    if X is None:
        return tuple(s * _semi_orthogonal(rng, lead, *shape) for s, shape in zip(scales, model.shapes))
    if not isinstance(model, TwoLayerLinear):
        raise ValueError(f"orthogonal_init with X needs a TwoLayerLinear model, got {model!r}")
    X = as_real_array(X, "X")
    if X.ndim != 2 or X.shape[1] != model.d or X.shape[0] == 0:
        raise ValueError(f"X must be a 2-D array (n, d) with d = {model.d}, got shape {X.shape}")
    _, sv, Vt = np.linalg.svd(X)
    r = int(np.sum(sv > 1e-12 * sv[0])) if sv[0] > 0 else 0
    k2 = model.d - r
    if model.l < model.d or model.l < k2 + model.k:
        raise ValueError(f"orthogonal_init with X needs l >= d = {model.d} and l >= (d - rank X) + k "
                         f"= {k2 + model.k}, got l={model.l}")
    P = _semi_orthogonal(rng, lead, model.d, model.l)                  # (..., d, l), P P^T = I
    R2 = Vt[r:] @ P                                                     # rows of U2 / s1, orthonormal
    G = rng.standard_normal(lead + (model.l, model.k))
    G = G - np.swapaxes(R2, -1, -2) @ (R2 @ G)                          # into the complement
    Q, Rf = np.linalg.qr(G)
    Q = Q * np.sign(np.diagonal(Rf, axis1=-2, axis2=-1))[..., None, :]  # Haar sign fix
    return scales[0] * P, scales[1] * Q


@_checks_model
def residual_init(model, s=1.0, seed=0, batch=None, last_std=None):
    """Residual initialization of Marion & Chizat: :math:`W_k = I + \\frac{s}{\\sqrt{Ld}}\\,\\mathcal N(0,1)`.

    Square layers get the identity plus the scaled Gaussian; a non-square layer
    (the ``1 x d`` output layer of a scalar network) is drawn
    :math:`\\mathcal N(0, \\texttt{last\\_std}^2)` with default
    ``last_std = 1/sqrt(d_{k-1})`` (our choice; the seed slides do not fix it).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import DeepLinear, residual_init
    >>> W = residual_init(DeepLinear([4, 4, 4, 1]), s=0.0)
    >>> bool(np.allclose(W[0], np.eye(4))), W[2].shape
    (True, (1, 4))

    See the book chapter *Deep linear networks are implicitly regularized towards flat minima* (``book/marion2024.md``).
    """
    if not isinstance(model, DeepLinear):
        raise ValueError(f"residual_init needs a DeepLinear model, got {model!r}")
    s = _nonneg(s, "s")
    batch = _batch(batch)
    rng = _rng(seed)
    L, d = model.L, model.d
    out = []
    for shape in model.shapes:
        N = rng.standard_normal(_lead(batch) + shape)
        if shape[0] == shape[1]:
            out.append(np.eye(shape[0]) + s / np.sqrt(L * d) * N)
        else:
            std = 1.0 / np.sqrt(shape[1]) if last_std is None else _nonneg(last_std, "last_std")
            out.append(std * N)
    return tuple(out)


@_checks_model
def yun_init(model, alpha, wbar, batch=None):
    """Yun et al.'s regression init: :math:`v_l(0) = \\alpha\\bar v_l` for :math:`l<L`, :math:`v_L(0) = 0`.

    Parameters
    ----------
    alpha : float
        Initialization scale :math:`\\alpha > 0`.
    wbar : array_like or sequence of array_like
        The direction :math:`\\bar w` shared by the first ``L - 1`` layers
        (Corollaries 5 and 6) or one direction per layer.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Diagonal, yun_init
    >>> yun_init(Diagonal(d=2, L=3), alpha=0.1, wbar=np.array([1., 2.]))
    (array([0.1, 0.2]), array([0.1, 0.2]), array([0., 0.]))

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    if not isinstance(model, (Diagonal, Convolutional, TensorNetwork)):
        raise ValueError(f"yun_init needs a Diagonal, Convolutional or TensorNetwork model, got {model!r}")
    alpha = check_positive(alpha, "alpha")
    batch = _batch(batch)
    if isinstance(wbar, (list, tuple)):
        if len(wbar) != model.L - 1:
            raise ValueError(f"wbar must be one vector or a sequence of L - 1 = {model.L - 1} vectors")
        dirs = [as_real_array(w, f"wbar[{i}]") for i, w in enumerate(wbar)]
    else:
        dirs = [as_real_array(wbar, "wbar")] * (model.L - 1)
    for i, (w, shape) in enumerate(zip(dirs, model.shapes)):
        if w.shape != shape:
            raise ValueError(f"wbar for layer {i + 1} must have shape {shape}, got {w.shape}")
    out = [np.broadcast_to(alpha * w, _lead(batch) + w.shape).copy() for w in dirs]
    out.append(np.zeros(_lead(batch) + model.shapes[-1]))
    return tuple(out)


_RELU_DISTS = ("gaussian", "uniform", "binary_uniform")


@_checks_model
def relu_init(model, dist="gaussian", w_scale=1.0, b_scale=1.0, asi=True, seed=0, batch=None):
    """Jin & Montufar's initialization of a two-layer ReLU net, optionally anti-symmetric.

    With :math:`n` base neurons, :math:`w_j \\sim\\mathcal W`, :math:`b_j\\sim\\mathcal B`,
    :math:`a_j\\sim\\mathcal W/\\sqrt n`, :math:`c\\sim\\mathcal B/\\sqrt n`, where

    - ``"gaussian"``: :math:`\\mathcal W = \\mathcal N(0, \\texttt{w\\_scale}^2)`,
      :math:`\\mathcal B = \\mathcal N(0, \\texttt{b\\_scale}^2)`;
    - ``"uniform"``: :math:`\\mathcal W = U(-\\texttt{w\\_scale}, \\texttt{w\\_scale})`,
      :math:`\\mathcal B = U(-\\texttt{b\\_scale}, \\texttt{b\\_scale})`;
    - ``"binary_uniform"``: :math:`\\mathcal W` uniform on :math:`\\{\\pm\\texttt{w\\_scale}\\}`,
      :math:`\\mathcal B = U(-\\texttt{b\\_scale}, \\texttt{b\\_scale})`.

    With ``asi=True`` (anti-symmetric initialization) the model's ``m`` must be
    even; :math:`n = m/2` neurons are drawn and duplicated with output weights
    :math:`\\pm\\frac{\\sqrt2}{2}a_j` and output bias 0, the parameter vector
    of Jin & Montufar's ASI, so that :math:`f(\\cdot;\\theta_0)\\equiv 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TwoLayerReLU, relu_init
    >>> net = TwoLayerReLU(d=1, m=8)
    >>> params = relu_init(net, dist="uniform", w_scale=1.0, b_scale=2.0, seed=3)
    >>> bool(np.max(np.abs(net.forward(params, np.linspace(-3, 3, 7)[:, None]))) < 1e-14)
    True

    See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
    """
    if not isinstance(model, TwoLayerReLU):
        raise ValueError(f"relu_init needs a TwoLayerReLU model, got {model!r}")
    if dist not in _RELU_DISTS:
        raise ValueError(f"dist must be one of {_RELU_DISTS}, got {dist!r}")
    w_scale, b_scale = _nonneg(w_scale, "w_scale"), _nonneg(b_scale, "b_scale")
    if asi is not True and asi is not False:
        raise ValueError(f"asi must be True or False, got {asi!r}")
    if asi and model.m % 2:
        raise ValueError(f"asi=True needs an even number of neurons m, got m={model.m}")
    batch = _batch(batch)
    rng = _rng(seed)
    n = model.m // 2 if asi else model.m
    lead = _lead(batch)

    def draw_w(shape):
        if dist == "gaussian":
            return w_scale * rng.standard_normal(shape)
        if dist == "uniform":
            return rng.uniform(-w_scale, w_scale, shape)
        return w_scale * rng.choice([-1.0, 1.0], size=shape)

    def draw_b(shape):
        if dist == "gaussian":
            return b_scale * rng.standard_normal(shape)
        return rng.uniform(-b_scale, b_scale, shape)

    W = draw_w(lead + (n, model.d))
    b = draw_b(lead + (n,))
    a = draw_w(lead + (n,)) / np.sqrt(n)
    c = draw_b(lead) / np.sqrt(n)
    if asi:
        W = np.concatenate([W, W], axis=-2)
        b = np.concatenate([b, b], axis=-1)
        a = np.concatenate([a, -a], axis=-1) * (np.sqrt(2.0) / 2.0)
        c = np.zeros(lead)
    c = np.asarray(c, dtype=float)
    return (W, b, a, c) if model.bias else (W, a)
