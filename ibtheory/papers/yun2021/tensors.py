r"""Linear tensor networks: data tensors, multilinear products and the diagnostics of directions.

- :func:`data_tensor` builds :math:`M(x)` entry by entry from the paper's definitions,
  :func:`multilinear` contracts it, :func:`concrete_output` is the network as the
  paper writes it (loops, no tensor);
- :func:`singular_vector_residual` (Theorem 1), :func:`angle`, :func:`support_size`,
  :func:`init_margin` (the :math:`\lambda` of the initialization conditions),
  :func:`even_part` (Corollary 6).

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import numbers

import numpy as np

from ..._validation import as_real_array, check_depth

__all__ = ["KINDS", "data_tensor", "multilinear", "concrete_output", "angle",
           "singular_vector_residual", "support_size", "init_margin", "even_part"]

#: Network kinds with a data tensor: diagonal, full-length circular convolutional, fully connected.
KINDS = ("diag", "conv", "fc")


def _check_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return kind


def _widths(widths):
    if not isinstance(widths, (list, tuple)) or len(widths) < 2:
        raise ValueError("widths must be a sequence (d_1 = d, d_2, ..., d_L) of length L >= 2")
    out = []
    for w in widths:
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, numbers.Integral) or w < 1:
            raise ValueError(f"widths must be positive integers, got {widths!r}")
        out.append(int(w))
    return tuple(out)


def data_tensor(kind, x, L=None, widths=None):
    r"""The data tensor :math:`M(x)` of Yun et al. (2021), entry by entry.

    * ``"diag"``: :math:`[M(x)]_{j\cdots j} = x_j`, all other entries 0 (shape :math:`d^{L}`);
    * ``"conv"``: :math:`[M(x)]_{j_1\cdots j_L} = x_{(j_1+\cdots+j_L)\bmod d}` (0-based;
      the paper's 1-based :math:`(\sum_l j_l - L + 1)\bmod d`), full-length filters;
    * ``"fc"``: widths :math:`(d_1=d, d_2, \dots, d_L)`, parameters
      :math:`v_l = \mathrm{vec}(W_l)` (row-major, :math:`W_l\in\mathbb R^{d_l\times d_{l+1}}`),
      :math:`v_L = w_L`, and
      :math:`[M(x)]_{(a_1b_1),\dots,(a_{L-1}b_{L-1}),c} = x_{a_1}\delta_{b_1a_2}\cdots\delta_{b_{L-1}c}`,
      so that :math:`M(x)\circ(v_1,\dots,v_L) = x^\top W_1\cdots W_{L-1}w_L`.

    Parameters
    ----------
    kind : {"diag", "conv", "fc"}
    x : array_like, shape (d,)
    L : int
        Depth (``"diag"``, ``"conv"``); for ``"fc"`` it is ``len(widths)``.
    widths : sequence of int
        ``"fc"`` only.

    Returns
    -------
    ndarray of shape ``(k_1, ..., k_L)``

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import data_tensor
    >>> data_tensor("conv", np.array([1., 2., 3.]), L=2)
    array([[1., 2., 3.],
           [2., 3., 1.],
           [3., 1., 2.]])

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    _check_kind(kind)
    x = as_real_array(x, "x")
    if x.ndim != 1:
        raise ValueError(f"x must be a vector, got shape {x.shape}")
    d = x.size
    if kind == "fc":
        widths = _widths(widths)
        if widths[0] != d:
            raise ValueError(f"widths[0] must equal len(x) = {d}, got {widths[0]}")
        L = len(widths)
        shape = tuple(widths[l] * widths[l + 1] for l in range(L - 1)) + (widths[-1],)
        M = np.zeros(shape)
        # A nonzero entry is a path a_1 -> a_2 -> ... -> a_L through the layers.
        for path in np.ndindex(*widths):
            idx = tuple(path[l] * widths[l + 1] + path[l + 1] for l in range(L - 1)) + (path[-1],)
            M[idx] = x[path[0]]
        return M
    L = check_depth(L, "L")
    M = np.zeros((d,) * L)
    for idx in np.ndindex(*M.shape):
        if kind == "diag":
            if len(set(idx)) == 1:
                M[idx] = x[idx[0]]
        else:
            M[idx] = x[sum(idx) % d]
    return M


def multilinear(A, factors):
    r"""Multilinear multiplication :math:`A\circ(B_1^\top,\dots,B_L^\top)`.

    Each factor is a vector (the mode is contracted), a matrix :math:`B_l^\top` of
    shape ``(k_l, p_l)`` (the mode becomes of size ``p_l``), or ``None`` for the
    identity :math:`I_{k_l}` (the mode is kept).

    .. math::

        [A\circ(B_1^\top,\dots,B_L^\top)]_{i_1\cdots i_L}
        = \sum_{j_1,\dots,j_L}[A]_{j_1\cdots j_L}[B_1]_{i_1j_1}\cdots[B_L]_{i_Lj_L}.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import multilinear
    >>> A = np.arange(6.).reshape(2, 3)
    >>> bool(np.allclose(multilinear(A, [np.ones(2), None]), A.sum(axis=0)))
    True

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    A = as_real_array(A, "A")
    if len(factors) != A.ndim:
        raise ValueError(f"factors must have one entry per mode ({A.ndim}), got {len(factors)}")
    out, axis = A, 0
    for l, B in enumerate(factors):
        if B is None:
            axis += 1
            continue
        B = as_real_array(B, f"factors[{l}]")
        if B.shape[0] != A.shape[l] or B.ndim not in (1, 2):
            raise ValueError(f"factors[{l}] must have shape ({A.shape[l]},) or ({A.shape[l]}, p)")
        out = np.moveaxis(np.tensordot(out, B, axes=([axis], [0])), -1, axis) if B.ndim == 2 \
            else np.tensordot(out, B, axes=([axis], [0]))
        axis += B.ndim - 1
    return out


def concrete_output(kind, x, params):
    r"""The network written as in the paper, without tensors (the second route).

    ``"diag"``: :math:`(x\odot w_1\odot\cdots\odot w_{L-1})^\top w_L`;
    ``"conv"``: :math:`((x\star w_1)\star\cdots\star w_{L-1})^\top w_L` with
    :math:`[a\star b]_i = \sum_j a_{(i+j)\bmod d}b_j`;
    ``"fc"``: :math:`x^\top W_1\cdots W_{L-1}w_L` with matrices ``params[:-1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import concrete_output
    >>> float(concrete_output("diag", np.array([1., 2.]), (np.array([3., 4.]), np.array([1., 1.]))))
    11.0

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    _check_kind(kind)
    h = as_real_array(x, "x")
    *hidden, last = params
    for W in hidden:
        W = as_real_array(W, "params")
        if kind == "diag":
            h = h * W
        elif kind == "conv":
            h = np.array([sum(h[(i + j) % h.size] * W[j] for j in range(W.size)) for i in range(h.size)])
        else:
            h = h @ W
    return float(h @ as_real_array(last, "params[-1]"))


def angle(a, b):
    r"""Angle between two nonzero vectors, accurate also for tiny angles.

    :math:`2\arcsin(\|\hat a-\hat b\|/2)` (arccos of the cosine loses half the digits).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import angle
    >>> round(angle(np.array([1., 0.]), np.array([1., 1.])), 12)
    0.785398163397

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    a = as_real_array(a, "a").ravel()
    b = as_real_array(b, "b").ravel()
    ma, mb = np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0)
    if ma == 0 or mb == 0:
        raise ValueError("angle needs nonzero vectors")
    # scale by the largest entry first: the norm of entries ~1e160 would overflow
    a, b = a / ma, b / mb
    return float(2 * np.arcsin(min(1.0, np.linalg.norm(a / np.linalg.norm(a) - b / np.linalg.norm(b)) / 2)))


def singular_vector_residual(T, u, vs):
    r"""How far :math:`(v_1,\dots,v_L)` are from singular vectors of :math:`M(u)` (Theorem 1).

    With :math:`\hat v_l = v_l/\|v_l\|` and :math:`g_l = M(u)\circ(\hat v_1,\dots,I,\dots,\hat v_L)`,
    the residual is :math:`\max_l\|g_l - \sigma\hat v_l\|/|\sigma|` with the common
    singular value :math:`\sigma = M(u)\circ(\hat v_1,\dots,\hat v_L)`; it is 0
    exactly when :math:`\sigma\hat v_l = M(u)\circ(\dots,I_{k_l},\dots)` for every l.

    Parameters
    ----------
    T : array_like, shape ``(d, k_1, ..., k_L)``
        Stacked :math:`M(e_j)`.
    u : array_like, shape ``(d,)``
    vs : sequence of arrays

    Returns
    -------
    residual, sigma : float

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import singular_vector_residual
    >>> T = np.array([np.diag([3., 1.])])            # M(u) = u diag(3, 1)
    >>> res, sig = singular_vector_residual(T, [1.], [np.array([1., 0.]), np.array([2., 0.])])
    >>> res, sig
    (0.0, 3.0)

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    T = as_real_array(T, "T")
    if T.ndim < 3:
        raise ValueError(f"T must be the stacked data tensor (d, k_1, ..., k_L), L >= 2, got shape {T.shape}")
    u = as_real_array(u, "u")
    if u.shape != (T.shape[0],):
        raise ValueError(f"u must be a vector of length {T.shape[0]}, got shape {u.shape}")
    if not isinstance(vs, (list, tuple)) or len(vs) != T.ndim - 1:
        raise ValueError(f"vs must be a sequence of {T.ndim - 1} vectors")
    hats = []
    for l, v in enumerate(vs):
        v = as_real_array(v, f"vs[{l}]")
        if v.shape != (T.shape[l + 1],) or not np.any(v):
            raise ValueError(f"vs[{l}] must be a nonzero vector of length {T.shape[l + 1]}")
        hats.append(v / np.linalg.norm(v))
    Mu = np.tensordot(u, T, axes=1)
    sigma = float(multilinear(Mu, hats))
    worst = 0.0
    for l in range(len(hats)):
        g = multilinear(Mu, [None if m == l else h for m, h in enumerate(hats)])
        worst = max(worst, float(np.linalg.norm(g - sigma * hats[l]) / abs(sigma)))
    return worst, sigma


def support_size(z, rel=1e-3):
    """Number of entries with ``|z_j| > rel * max|z|`` (the sparsity of a limit direction).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import support_size
    >>> support_size(np.array([1., 1e-5, -0.5]))
    2

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    z = np.abs(as_real_array(z, "z"))
    return int(np.sum(z > rel * z.max()))


def init_margin(wbars, kind="diag"):
    r"""The :math:`\lambda` of the initialization conditions of Corollaries 2-3, Theorems 2, 3, 6.

    .. math::

        \lambda = \min_{l<L,\ j}\Big(|[U^\top\bar w_l]_j|^2 - |[U^\top\bar w_L]_j|^2\Big),

    with :math:`U = I` (``"diag"``) or the unitary DFT :math:`F` (``"conv"``).
    The conditions hold iff :math:`\lambda > 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import init_margin
    >>> init_margin([np.array([1., 2.]), np.array([0.5, -1.])])
    0.75

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    if kind not in ("diag", "conv"):
        raise ValueError(f"kind must be 'diag' or 'conv', got {kind!r}")
    ws = [as_real_array(w, "wbars") for w in wbars]
    if len(ws) < 2:
        raise ValueError("wbars must hold L >= 2 directions")
    mods = [np.abs(np.fft.fft(w, norm="ortho")) ** 2 if kind == "conv" else w**2 for w in ws]
    return float(min(np.min(m - mods[-1]) for m in mods[:-1]))


def even_part(v):
    r"""Even part :math:`(v + Rv)/2` of a signal, :math:`[Rv]_k = v_{-k\bmod d}` (Corollary 6 needs even data).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.yun2021 import even_part
    >>> even_part(np.array([1., 2., 4.]))
    array([1., 3., 3.])

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    v = as_real_array(v, "v")
    if v.ndim == 0 or v.shape[-1] == 0:
        raise ValueError(f"v must be a signal (last axis of length >= 1), got shape {v.shape}")
    return 0.5 * (v + np.roll(v[..., ::-1], 1, axis=-1))

