"""SymPy derivations: ODE systems, gradient-flow equations and conservation laws.

Importing this subpackage imports SymPy. Each derivation is an object on the
base class :class:`Derivation` that holds the equations and exposes derived
results as attributes (the style of :mod:`sympy.physics.mechanics`), and its
``residuals``: expressions that simplify to 0 when the derivation is right
(the tests assert ``simplify(residual) == 0`` for each).

The old names (``Lemma4System``, ``TwoLayerSystem``, ``DeepLinearSystem``,
``DiagonalSystem``, ``ConvolutionalSystem``, ``MinImbalanceSystem``) are aliases
of the ``*Derivation`` classes, kept while the chapters move to the new names.
"""
from ._base import Derivation
from ._lemma4 import Lemma4Derivation
from ._networks import (
    MAX_SYMBOLS,
    ConvolutionalDerivation,
    DeepLinearDerivation,
    DiagonalDerivation,
    MinImbalanceDerivation,
    TwoLayerDerivation,
)

# Deprecated aliases (issue 13): the chapters owned by other helpers still import them.
Lemma4System = Lemma4Derivation
TwoLayerSystem = TwoLayerDerivation
DeepLinearSystem = DeepLinearDerivation
DiagonalSystem = DiagonalDerivation
ConvolutionalSystem = ConvolutionalDerivation
MinImbalanceSystem = MinImbalanceDerivation

__all__ = [
    "Derivation",
    "Lemma4Derivation",
    "TwoLayerDerivation",
    "DeepLinearDerivation",
    "DiagonalDerivation",
    "ConvolutionalDerivation",
    "MinImbalanceDerivation",
    "MAX_SYMBOLS",
]  # the deprecated *System aliases stay importable but are not part of the documented API
