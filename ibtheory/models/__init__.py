"""Network families with one interface: parameters, outputs, end-to-end map, gradients, HVPs.

Every model holds the shapes of its parameters (a tuple of arrays, optionally
with a leading batch axis of independent runs) and provides

- ``forward(params, X)`` and, for linear families, ``beta(params)``;
- ``loss``, ``value_and_grad``, ``grad`` under an explicit loss convention
  (:data:`LOSSES`: ``"half_sum"``, ``"mean"``, ``"exponential"``);
- ``hvp``: exact Hessian-vector products (forward-over-backward);
- ``conserved``: the quantities gradient flow conserves.

Families: :class:`TwoLayerLinear` (Varre et al., Min et al.),
:class:`DeepLinear` (Marion & Chizat), :class:`Diagonal`,
:class:`Convolutional` and :class:`TensorNetwork` (Yun et al.),
:class:`TwoLayerReLU` (Jin & Montufar). Initializers: :func:`varre_init`,
:func:`gaussian_init`, :func:`orthogonal_init`, :func:`residual_init`,
:func:`yun_init`, :func:`relu_init`. See the book chapter
*Gradient flow and its conservation laws*.
"""
from ._base import LOSSES, LinearModel, Model
from ._diagonal import Convolutional, Diagonal
from ._init import (
    gaussian_init,
    orthogonal_init,
    relu_init,
    residual_init,
    varre_init,
    yun_init,
)
from ._linear import DeepLinear, TwoLayerLinear
from ._relu import TwoLayerReLU
from ._tensor import TensorNetwork, tensor_form

__all__ = [
    "LOSSES", "Model", "LinearModel",
    "TwoLayerLinear", "DeepLinear", "Diagonal", "Convolutional", "TensorNetwork", "TwoLayerReLU",
    "tensor_form",
    "varre_init", "gaussian_init", "orthogonal_init", "residual_init", "yun_init", "relu_init",
]
