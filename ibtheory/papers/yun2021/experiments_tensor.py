r"""Experiments of Yun et al. (2021): the tensor formulation and its gradient flow, on random instances.

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._contracts import Report
from .._experiment import experiment
from .data import rng_for
from .figures_checks import tensor_identities_figure
from .tensors import concrete_output, data_tensor, multilinear

__all__ = ["TensorIdentities", "tensor_identities"]


@dataclasses.dataclass(frozen=True)
class TensorIdentities(Report):
    """Report of :func:`tensor_identities`: one row per (seed, network)."""

    seed: np.ndarray
    network: np.ndarray
    shape: np.ndarray            #: shape of M(x), as text
    outcome: np.ndarray          #: "computed" (no dynamics here)
    max_rel_difference: np.ndarray  #: data tensor vs loops vs ibtheory.models vs tensor_form (vs circulant)
    flow_difference: np.ndarray  #: TensorNetwork.grad vs the multilinear form of the flow (square loss), relative


def _yun_params(kind, params):
    """ibtheory.models parameters -> the paper's (W_1, ..., w_L); fc: Yun's W_l = DeepLinear's W_l^T."""
    if kind == "fc":
        return [W.T for W in params[:-1]] + [params[-1][0]]
    return list(params)


@experiment("yun2021.tensor_identities", figure=tensor_identities_figure, presets={
    "smoke": {"seeds": (0,), "n_points": 2},
    "book": {"seeds": (0, 1, 2, 3, 4), "n_points": 5},
    "paper": {"seeds": tuple(range(20)), "n_points": 5}})
def tensor_identities(*, seeds, n_points):
    r"""The data tensors of the three families equal their networks; the flow is the tensor form.

    Per seed and family (diagonal d=4 L=3, convolutional d=5 L=3, fully connected
    widths (3, 2, 4, 1)): random parameters and ``n_points`` random inputs;
    :math:`M(x)\circ(v_1,\dots,v_L)` (:func:`data_tensor` + :func:`multilinear`)
    against the loop implementation :func:`concrete_output`, the networks of
    :mod:`ibtheory.models`, :func:`ibtheory.models.tensor_form`, and, for the
    convolutional family, the explicit circulant products of
    :func:`ibtheory.reference.yun2021.conv_output_circulant`. Per seed also a random
    3-layer tensor network: :meth:`TensorNetwork.grad` (square loss) against
    :math:`M(-X^\top r)\circ(v_1,\dots,I,\dots,v_L)`.

    See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
    """
    from ...models import Convolutional, DeepLinear, Diagonal, TensorNetwork, tensor_form
    from ...reference.yun2021 import conv_output_circulant

    rows = []
    for seed in seeds:
        rng = rng_for(seed)
        cases = [("diag", Diagonal(4, 3), None), ("conv", Convolutional(5, 3), None),
                 ("fc", DeepLinear([3, 2, 4, 1]), (3, 2, 4))]
        T = rng.standard_normal((3, 2, 3, 2))
        net3 = TensorNetwork(T)
        X, y = rng.standard_normal((4, 3)), rng.standard_normal(4)
        vs = tuple(rng.standard_normal(k) for k in (2, 3, 2))
        r = X @ net3.beta(vs) - y
        Mu = np.tensordot(-X.T @ r, T, axes=1)
        grads = net3.grad(vs, X, y, "half_sum")
        scale = max(1.0, max(float(np.max(np.abs(g))) for g in grads))
        flow_err = max(float(np.max(np.abs(-g - multilinear(Mu, [None if m == l else v
                                                                   for m, v in enumerate(vs)]))))
                       for l, g in enumerate(grads)) / scale
        for kind, model, widths in cases:
            params = tuple(rng.standard_normal(s) for s in model.shapes)
            yp = _yun_params(kind, params)
            v = [W.reshape(-1) for W in yp[:-1]] + [yp[-1]] if kind == "fc" else yp
            net, to_v = tensor_form(model)
            err, shape = 0.0, ""
            for x in rng.standard_normal((n_points, model.d)):
                M = data_tensor(kind, x, L=getattr(model, "L", None), widths=widths)
                shape = str(M.shape)
                ours = float(multilinear(M, v))
                others = [concrete_output(kind, x, yp), float(model.forward(params, x[None])[0]),
                          float(net.forward(to_v(params), x[None])[0])]
                if kind == "conv":
                    others.append(conv_output_circulant(x, yp))
                err = max(err, max(abs(ours - o) for o in others) / max(1.0, abs(ours)))
            rows.append((seed, kind, shape, "computed", err, flow_err))
    c = list(zip(*rows))
    return TensorIdentities(seed=np.array(c[0]), network=np.array(c[1]), shape=np.array(c[2]),
                            outcome=np.array(c[3]), max_rel_difference=np.array(c[4], float),
                            flow_difference=np.array(c[5], float))
