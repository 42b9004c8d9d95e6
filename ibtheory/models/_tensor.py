"""Linear tensor networks built from a data tensor (Yun et al. 2021, Theorems 1-3, 6).

A linear map :math:`x\\mapsto M(x)\\in\\mathbb R^{k_1\\times\\cdots\\times k_L}` and
parameters :math:`v_l\\in\\mathbb R^{k_l}` define

.. math::

    f(x;\\Theta) = M(x)\\circ(v_1,\\dots,v_L)
      = \\sum_{i_1,\\dots,i_L} [M(x)]_{i_1\\cdots i_L}\\,[v_1]_{i_1}\\cdots[v_L]_{i_L},

so :math:`\\beta_j = M(e_j)\\circ(v_1,\\dots,v_L)` and the gradient flow is
:math:`\\dot v_l = M(-X^\\top r)\\circ(v_1,\\dots,I_{k_l},\\dots,v_L)`.
:func:`tensor_form` writes the diagonal, convolutional and fully connected
families in this form (checked numerically in the tests).
"""
from __future__ import annotations

import string

import numpy as np

from .._validation import as_real_array
from ._base import MAX_PARAMS, LinearModel, check_size
from ._diagonal import Convolutional, Diagonal
from ._linear import DeepLinear, TwoLayerLinear

_LETTERS = [c for c in string.ascii_letters if c not in "Za"]

#: Largest product of index sizes (tensor size times batch) that a tensor network
#: contracts in one pass, without a contraction path.
DIRECT_CONTRACTION_LIMIT = 200_000


class TensorNetwork(LinearModel):
    """Linear tensor network :math:`f(x) = M(x)\\circ(v_1,\\dots,v_L)`.

    Parameters
    ----------
    M : array_like of shape ``(d, k_1, ..., k_L)`` or callable
        Either the stacked tensors :math:`T_j = M(e_j)` or the linear map
        ``M(x) -> array (k_1, ..., k_L)`` itself (then it is evaluated on the
        basis vectors, and its linearity is checked at a random point).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TensorNetwork
    >>> T = np.zeros((2, 2, 2)); T[0, 0, 0] = T[1, 1, 1] = 1.0   # 2-layer diagonal
    >>> net = TensorNetwork(T)
    >>> net.beta((np.array([1., 2.]), np.array([3., 4.])))
    array([3., 8.])

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """

    def __init__(self, M, d=None):
        if callable(M):
            if d is None:
                raise ValueError("d (the input dimension) is required when M is a callable")
            d = check_size(d, "d", maximum=MAX_PARAMS)
            T = np.stack([as_real_array(M(e), "M(e_j)") for e in np.eye(d)])
            x = np.random.default_rng(0).standard_normal(d)
            Mx = as_real_array(M(x), "M(x)")
            if Mx.shape != T.shape[1:] or not np.allclose(Mx, np.tensordot(x, T, 1), rtol=1e-10, atol=1e-12):
                raise ValueError("M must be a linear map x -> tensor of fixed shape")
        else:
            T = as_real_array(M, "M")
        if T.ndim < 3:
            raise ValueError(f"M must have shape (d, k_1, ..., k_L) with L >= 2, got {T.shape}")
        if T.ndim - 1 > len(_LETTERS):
            raise ValueError(f"M has too many modes ({T.ndim - 1}); at most {len(_LETTERS)}")
        if T.size == 0:
            raise ValueError(f"M must be non-empty, got shape {T.shape}")
        self.T = T
        self.d, self.k = T.shape[0], 1
        self.L = T.ndim - 1
        self.shapes = tuple((k,) for k in T.shape[1:])
        self.names = tuple(f"v{i + 1}" for i in range(self.L))
        self._idx = _LETTERS[: self.L]
        self._tsub = "a" + "".join(self._idx)

    def __repr__(self):
        return f"TensorNetwork(shape={self.T.shape})"

    def _contract(self, vecs, out, gb=None):
        # A flow calls this ~1e5 times on small tensors: einsum(optimize=True) would search
        # a contraction path on every call, which costs several times the contraction.
        # Small products of index sizes are contracted in one pass; larger ones follow a
        # path computed once per expression and operand shapes.
        ops, subs = [self.T], [self._tsub]
        if gb is not None:
            ops.append(gb)
            subs.append("Za")
        for i, v in vecs:
            ops.append(v)
            subs.append("Z" + self._idx[i])
        expr = ",".join(subs) + "->" + out
        if ops[0].size * (vecs[0][1].shape[0] if vecs else 1) <= DIRECT_CONTRACTION_LIMIT:
            return np.einsum(expr, *ops)
        key = (expr,) + tuple(o.shape for o in ops)
        paths = self.__dict__.setdefault("_paths", {})
        path = paths.get(key)
        if path is None:
            path = paths[key] = np.einsum_path(expr, *ops, optimize="greedy")[0]
        return np.einsum(expr, *ops, optimize=path)

    def _beta(self, P):
        return self._contract(list(enumerate(P)), "Za")[..., None]

    def _beta_vjp(self, P, Gb):
        g = Gb[..., 0]
        return tuple(
            self._contract([(i, v) for i, v in enumerate(P) if i != l], "Z" + self._idx[l], g)
            for l in range(self.L)
        )

    def _beta_jvp(self, P, V):
        out = 0.0
        for l in range(self.L):
            out = out + self._contract([(i, V[i] if i == l else v) for i, v in enumerate(P)], "Za")
        return out[..., None]

    def _beta_vjp_tangent(self, P, Gb, V):
        g = Gb[..., 0]
        res = []
        for l in range(self.L):
            acc = np.zeros_like(P[l])
            for m in range(self.L):
                if m == l:
                    continue
                vecs = [(i, V[i] if i == m else v) for i, v in enumerate(P) if i != l]
                acc = acc + self._contract(vecs, "Z" + self._idx[l], g)
            res.append(acc)
        return tuple(res)


def _fc_tensor(widths):
    """Yun's block-diagonal data tensor of a scalar-output fully connected net."""
    d = widths[0]
    L = len(widths) - 1
    size = d * widths[L - 1] * int(np.prod([widths[l] * widths[l + 1] for l in range(L - 1)], dtype=object))
    if size > MAX_PARAMS:
        raise ValueError(f"model: the data tensor of widths {tuple(widths)} has {size} entries, above the "
                         f"limit {MAX_PARAMS}; use smaller widths")
    letters = iter(_LETTERS)
    j = next(letters)
    subs, ops = [], []
    a = [next(letters) for _ in range(L)]       # row index i_{l-1} of layer l
    b = [next(letters) for _ in range(L - 1)]   # column index i_l of layer l < L
    subs.append(j + a[0])
    ops.append(np.eye(d))
    for l in range(L - 1):
        subs.append(b[l] + a[l + 1])
        ops.append(np.eye(widths[l + 1]))
    out = j + "".join(a[l] + b[l] for l in range(L - 1)) + a[L - 1]
    T = np.einsum(",".join(subs) + "->" + out, *ops)
    shape = (d,) + tuple(widths[l] * widths[l + 1] for l in range(L - 1)) + (widths[L - 1],)
    return T.reshape(shape)


def tensor_form(model):
    """The data tensor of a concrete linear family and its parameter map.

    Parameters
    ----------
    model : Diagonal, Convolutional, DeepLinear or TwoLayerLinear (scalar output)

    Returns
    -------
    net : TensorNetwork
        The same network in Yun et al.'s tensor form.
    to_v : callable
        Maps the model's parameters (one run) to :math:`(v_1,\\dots,v_L)`.
        For the fully connected nets :math:`v_l = \\mathrm{vec}(W_l^\\top)`
        (Yun's :math:`W_l` is the transpose of Marion's) and :math:`v_L = w_L`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Convolutional, tensor_form
    >>> conv = Convolutional(d=5, L=3)
    >>> net, to_v = tensor_form(conv)
    >>> w = tuple(np.random.default_rng(0).standard_normal((3, 5)))
    >>> bool(np.allclose(net.beta(to_v(w)), conv.beta(w)))
    True

    See the book chapters *Gradient flow and its conservation laws* (``book/dynamics.md``) and *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    if isinstance(model, (Diagonal, Convolutional)):
        if (model.L + 1) * np.log10(model.d) > np.log10(MAX_PARAMS):
            raise ValueError(f"model: the data tensor of {model!r} has d^(L+1) = {model.d}^{model.L + 1} "
                             f"entries, above the limit {MAX_PARAMS}; use a smaller d or L")
    if isinstance(model, Diagonal):
        d, L = model.d, model.L
        T = np.zeros((d,) * (L + 1))
        idx = np.arange(d)
        T[(idx,) * (L + 1)] = 1.0
        return TensorNetwork(T), lambda params: tuple(params)
    if isinstance(model, Convolutional):
        d, L = model.d, model.L
        grids = np.indices((d,) * L).sum(axis=0) % d   # (j_1 + ... + j_L) mod d
        T = (np.arange(d).reshape((d,) + (1,) * L) == grids[None]).astype(float)
        return TensorNetwork(T), lambda params: tuple(params)
    if isinstance(model, DeepLinear) and model.k == 1:
        T = _fc_tensor(model.widths)

        def to_v(params):
            *hidden, last = params
            return tuple(np.asarray(W).T.reshape(-1) for W in hidden) + (np.asarray(last)[0],)

        return TensorNetwork(T), to_v
    if isinstance(model, TwoLayerLinear) and model.k == 1:
        T = _fc_tensor((model.d, model.l, 1))
        return TensorNetwork(T), lambda params: (np.asarray(params[0]).reshape(-1), np.asarray(params[1])[:, 0])
    raise ValueError(
        "model must be a Diagonal, Convolutional, or scalar-output DeepLinear/TwoLayerLinear network"
    )
