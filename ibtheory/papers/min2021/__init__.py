"""Min, Tarmoun, Vidal & Mallada (2021): imbalance, convergence rate and min-norm bias.

Two-layer linear network :math:`f(x) = VU^\\top x` trained by gradient flow on
:math:`\\frac12\\|Y - XUV^\\top\\|_F^2`. Modules by stage:

- :mod:`.data`: the SVD split of the data, problems, parameters, width compression;
- :mod:`.closed_forms`: imbalance, its level, the rate bound, tail bounds;
- :mod:`.inits`: random, spectral and balanced initializations (the orthogonal one
  is :func:`ibtheory.models.orthogonal_init` with ``X=``);
- :mod:`.training`: gradient flow to a loss gap, measured rates;
- :mod:`.derivation`: the SymPy derivations;
- :mod:`.experiments`, :mod:`.wide`: the experiments of the chapter and the ledger.

See the book chapter *Initialization, imbalance and convergence* (``book/min2021.md``).
"""
from .closed_forms import (DISTANCE_EXPONENT, SLOPE_LEVEL, Orthogonality, distance_exponent, imbalance,
                           imbalance_failure_bound, imbalance_level, imbalance_lower_bound,
                           linearized_rate, orthogonality, printed_imbalance, rate_bound)
from .data import LOSS, Compression, DataSplit, compress_width, from_params, make_problem, split_data, to_params
from .experiments import (conservation, imbalance_probability, invariant_set, rate_bound_experiment,
                          reduction, width_sweep, width_sweep_scaled)
from .inits import Init, balanced_init, random_init, spectral_init
from .training import TrainResult, asymptotic_rate, train

__all__ = [
    "LOSS", "DataSplit", "split_data", "make_problem", "to_params", "from_params", "Compression",
    "compress_width", "imbalance", "printed_imbalance", "imbalance_level", "imbalance_lower_bound",
    "imbalance_failure_bound", "rate_bound", "Orthogonality", "orthogonality", "linearized_rate",
    "distance_exponent", "DISTANCE_EXPONENT", "SLOPE_LEVEL", "Init", "random_init", "spectral_init", "balanced_init",
    "TrainResult", "train", "asymptotic_rate", "ReducedFlowDerivation", "ReductionDerivation",
    "reduction", "conservation", "rate_bound_experiment", "invariant_set", "imbalance_probability",
    "width_sweep", "width_sweep_scaled",
]


def __getattr__(name):  # the SymPy derivations are imported on first access (SymPy is slow to import)
    if name in ("ReducedFlowDerivation", "ReductionDerivation"):
        from . import derivation

        return getattr(derivation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
