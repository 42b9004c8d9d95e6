"""SymPy derivations: ODE systems, gradient-flow equations and conservation laws.

Importing this subpackage imports SymPy. Each model is an object that holds the
equations and exposes derived results as attributes (the style of
:mod:`sympy.physics.mechanics`); the tests assert ``simplify(lhs - rhs) == 0``.
"""
from ._base import Derivation
from ._lemma4 import Lemma4System
from ._networks import (
    ConvolutionalSystem,
    DeepLinearSystem,
    DiagonalSystem,
    MinImbalanceSystem,
    TwoLayerSystem,
)

__all__ = [
    "Derivation",
    "Lemma4System",
    "TwoLayerSystem",
    "DeepLinearSystem",
    "DiagonalSystem",
    "ConvolutionalSystem",
    "MinImbalanceSystem",
]
