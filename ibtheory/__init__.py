"""ibtheory: a symbolic-numeric companion to the implicit bias of gradient methods.

The subpackages are imported lazily so that ``import ibtheory`` stays cheap
(SymPy, CVXPY and Matplotlib are only loaded when a subpackage that needs them
is first touched):

- :mod:`ibtheory.special` -- the special functions of Lemma 4 of Yun et al. (2021);
- :mod:`ibtheory.symbolic` -- SymPy derivations (ODE systems, conservation laws);
- :mod:`ibtheory.ledger` -- the theorem ledger that checks every claim by independent routes.

Later subpackages (models, dynamics, solvers, theory) follow the same pattern.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBPACKAGES = (
    "special",
    "symbolic",
    "ledger",
    "models",
    "dynamics",
    "solvers",
    "theory",
    "plotting",
)

__all__ = list(_SUBPACKAGES) + ["__version__"]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        module = importlib.import_module(f"ibtheory.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'ibtheory' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
