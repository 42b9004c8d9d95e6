"""Marion & Chizat (2024): deep linear networks for regression are implicitly regularized
towards flat minima.

Stages: :mod:`.data` (instances, the authors' initializations), :mod:`.derivation`
(SymPy), :mod:`.closed_forms` (the predictions; ``printed_*`` for the slides' forms),
:mod:`.experiments` (+ ``experiments_gd``, ``experiments_flow``: every experiment of the
chapter and the ledger, with presets), :mod:`.paper_scale` (experiment A read in the authors'
metric). The certified infimum of the sharpness is
:func:`ibtheory.solvers.sharpness_infimum`; the batched GD kernel is
:func:`ibtheory.dynamics.chain_gd`.

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``).
"""
from .closed_forms import *  # noqa: F401,F403
from .data import *  # noqa: F401,F403
from .derivation import *  # noqa: F401,F403
from .experiments import *  # noqa: F401,F403
from .paper_scale import *  # noqa: F401,F403
from . import closed_forms as _cf, data as _data, derivation as _der, experiments as _exp, paper_scale as _ps
from . import tolerances  # noqa: F401

__all__ = (list(_cf.__all__) + list(_data.__all__) + list(_der.__all__) + list(_exp.__all__) + list(_ps.__all__)
           + ["tolerances"])
