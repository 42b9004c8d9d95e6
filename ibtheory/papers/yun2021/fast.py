r"""A tensor network with cheap contractions for small tensors (the flows of this paper call them ~10^5 times).

:class:`ibtheory.models.TensorNetwork` calls ``numpy.einsum(..., optimize=True)``, which
searches a contraction path on every call; on the small tensors of these experiments
the search costs several times the contraction itself. :class:`CachedTensorNetwork`
is the same model (same parameters, outputs and gradients: the tests compare them) that
contracts in one pass (``optimize=False``, cost the product of all index sizes) when that
product is at most :data:`DIRECT_LIMIT`, and otherwise with a path computed once per
expression and operand shapes.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import numpy as np

from ...models import TensorNetwork

__all__ = ["CachedTensorNetwork", "DIRECT_LIMIT"]

#: largest product of index sizes contracted in one pass (no path)
DIRECT_LIMIT = 200_000


class CachedTensorNetwork(TensorNetwork):
    r""":class:`ibtheory.models.TensorNetwork` with cached einsum contraction paths.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TensorNetwork
    >>> from ibtheory.papers.yun2021 import CachedTensorNetwork
    >>> T = np.random.default_rng(0).standard_normal((3, 2, 4, 2))
    >>> vs = (np.ones(2), np.arange(4.), np.array([1., -1.]))
    >>> bool(np.allclose(CachedTensorNetwork(T).beta(vs), TensorNetwork(T).beta(vs), rtol=1e-14))
    True

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """

    def __init__(self, M, d=None):
        super().__init__(M, d)
        self._paths = {}

    def __repr__(self):
        return f"CachedTensorNetwork(shape={self.T.shape})"

    def _contract(self, vecs, out, gb=None):
        ops, subs = [self.T], [self._tsub]
        if gb is not None:
            ops.append(gb)
            subs.append("Za")
        for i, v in vecs:
            ops.append(v)
            subs.append("Z" + self._idx[i])
        expr = ",".join(subs) + "->" + out
        if ops[0].size * (vecs[0][1].shape[0] if vecs else 1) <= DIRECT_LIMIT:
            return np.einsum(expr, *ops)
        key = (expr,) + tuple(o.shape for o in ops)
        path = self._paths.get(key)
        if path is None:
            path = self._paths[key] = np.einsum_path(expr, *ops, optimize="greedy")[0]
        return np.einsum(expr, *ops, optimize=path)
