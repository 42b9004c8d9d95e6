r"""Varre, Vladarean, Pillaud-Vivien, Flammarion (2023): spectral bias of two-layer linear networks.

Stages:

- :mod:`.derivation`: :class:`VarreDerivation` (SymPy; flow, conservation law, corollary),
  imported on first access;
- :mod:`.closed_forms`: the limit of the flow from (I) in closed form, the corollary as
  printed on the slides (:func:`printed_singular_values`, wrong), the loss bound, the
  predicted neuron share and the rich-regime bound;
- :mod:`.measures`: effective and numerical rank, energy share, neuron alignment, range leak;
- :mod:`.data`: the linear and two-ReLU teachers;
- :mod:`.label_noise`: batched label-noise Euler-Maruyama with per-run noise streams;
- :mod:`.experiments` (and :mod:`.experiments_noise`): the registered experiments
  ``trajectories``, ``limit``, ``neuron_directions``, ``rank_vs_gamma``, ``label_noise``,
  ``relu_features``; :mod:`.figures` draws them.

Second routes live in :mod:`ibtheory.reference.varre2023`.

Examples
--------
>>> from ibtheory.papers import varre2023 as vr
>>> vr.limit.id, sorted(vr.limit.presets)
('varre2023.limit', ['book', 'paper', 'smoke'])

See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
"""
from .closed_forms import (LAZY_ORTHOGONAL_SHARE, PRINTED_GAP, LimitPrediction, closed_form_limit, loss_bound, objective,
                           outside_top_k_bound, printed_singular_values, share_along_beta)
from .data import LinearTeacher, ReLUTeacher, linear_teacher, relu_teacher
from .experiments import (LabelNoiseReport, LimitReport, NeuronReport, RankReport, ReLUReport,
                          TrajectoryReport, label_noise, limit, neuron_directions, rank_vs_gamma,
                          relu_features, trajectories, ReferenceFlowReport, reference_flow)
from .experiments_noise import LNGD_GD_BIAS, LNGD_MAX_RANK, LNGD_NOISE, RELU_LARGE, RELU_SMALL
from .label_noise import LabelNoisePaths, label_noise_paths
from .measures import effective_rank, energy_fraction, neuron_alignment, numerical_rank, range_leak

__all__ = [
    "VarreDerivation",
    "PRINTED_GAP", "LAZY_ORTHOGONAL_SHARE", "LimitPrediction", "closed_form_limit", "printed_singular_values", "objective", "loss_bound",
    "share_along_beta", "outside_top_k_bound",
    "LinearTeacher", "linear_teacher", "ReLUTeacher", "relu_teacher",
    "effective_rank", "energy_fraction", "neuron_alignment", "numerical_rank", "range_leak",
    "LabelNoisePaths", "label_noise_paths",
    "LNGD_NOISE", "LNGD_MAX_RANK", "LNGD_GD_BIAS", "RELU_SMALL", "RELU_LARGE",
    "trajectories", "limit", "reference_flow", "ReferenceFlowReport", "neuron_directions", "rank_vs_gamma", "label_noise", "relu_features",
    "TrajectoryReport", "LimitReport", "NeuronReport", "RankReport", "LabelNoiseReport", "ReLUReport",
]


def __getattr__(name):
    if name == "VarreDerivation":  # SymPy is imported only when the derivation is asked for
        from .derivation import VarreDerivation

        globals()[name] = VarreDerivation
        return VarreDerivation
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
