"""ibtheory: a symbolic-numeric companion to the implicit bias of gradient methods.

The subpackages are imported lazily so that ``import ibtheory`` stays cheap
(SymPy, CVXPY and Matplotlib are only loaded when a subpackage that needs them
is first touched). The path a result takes is the order of this list:

- :mod:`ibtheory.symbolic` -- derive: SymPy derivations (flows, conservation laws, Lemma 4);
- :mod:`ibtheory.special` -- predict: the special functions of Lemma 4 (h, H, Q);
- :mod:`ibtheory.solvers` -- predict: the limiting optimization problems, with KKT certificates;
- :mod:`ibtheory.models` -- simulate: the network families;
- :mod:`ibtheory.dynamics` -- simulate: gradient flow, gradient descent, label noise, sharpness;
- :mod:`ibtheory.stats` -- rate fits with confidence intervals, intervals for counts;
- :mod:`ibtheory.reference` -- independent second routes used by tests, claims and chapters;
- :mod:`ibtheory.papers` -- one package per paper, split into derivation, closed forms, experiments;
- :mod:`ibtheory.ledger` -- the theorem ledger that checks every claim by independent routes;
- :mod:`ibtheory.reproduce` -- run an experiment at a preset on one machine or a Dask cluster.

:class:`Status` and :class:`Report` are the shared contract vocabulary
(``ibtheory._contracts`` documents the failure policy).
"""
from __future__ import annotations

import importlib

__version__ = "0.2.0"

_SUBPACKAGES = (
    "symbolic",
    "special",
    "solvers",
    "models",
    "dynamics",
    "stats",
    "reference",
    "papers",
    "ledger",
    "reproduce",
)
_CONTRACTS = ("Status", "Report")

__all__ = list(_SUBPACKAGES) + list(_CONTRACTS) + ["__version__"]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        module = importlib.import_module(f"ibtheory.{name}")
        globals()[name] = module
        return module
    if name in _CONTRACTS:
        from . import _contracts

        value = getattr(_contracts, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ibtheory' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
