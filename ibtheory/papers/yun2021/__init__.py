r"""Yun, Krishnan & Mobahi (2021): a unifying view on implicit bias via linear tensor networks.

Modules by stage: :mod:`.tensors` (data tensors and diagnostics), :mod:`.derivation`
(SymPy), :mod:`.closed_forms` (predictions; ``printed_*`` as the slides print them),
:mod:`.data` (random instances), :mod:`.experiments` (classification; registers
:mod:`.experiments_tensor` and :mod:`.experiments_regression`), :mod:`.odn`, :mod:`.tied`,
:mod:`.conv_short` (filters shorter than the signal), :mod:`.conv_point` (Corollary 4, derived),
:mod:`.derivation_conv` (SymPy for both), :mod:`.fast` (a tensor network with cheap contractions), :mod:`.experiments_deep` (Corollaries 3 and 6 at
:math:`L\ge3`).

See the book chapter *A unifying view through linear tensor networks* (``book/yun2021.md``).
"""
from .closed_forms import (Thm6Limit, conv_qnorm_limit, direction_rate, g_function, g_inv,
                           printed_thm6_v2, thm6_limits, two_layer_point_path)
from .data import (PointInstance, even_regression_instance, regression_instance, rng_for,
                   separable_instance, two_layer_point_instance)
from .derivation import TensorFlowDerivation, TwoLayerPointDerivation
from .experiments import (decay_fit, conv_directions, diagonal_directions, exponential_flows, log_grid,
                          single_point)
from .experiments_regression import (alpha_path, conv_regression, diagonal_regression,
                                     regression_limit, two_layer_point_regression)
from .experiments_tensor import tensor_identities
from .odn import odn_flows, odn_regression_limit, odn_rho, odn_tensor, random_odn
from .tied import tied_instance, tied_limit, tied_single_point
from .conv_short import ShortConvolutional, conv_stationarity_residual, short_conv_flows, short_conv_tensor
from .conv_point import Cor4Limit, conv_point_instance, conv_single_point, cor4_limit
from .derivation_conv import ConvPointDerivation, ShortConvDerivation
from .experiments_deep import deep_conv_directions, deep_conv_regression, fourier_margin_kkt_residual
from .tensors import (KINDS, angle, concrete_output, data_tensor, even_part, init_margin,
                      multilinear, singular_vector_residual, support_size)

__all__ = [
    "KINDS", "data_tensor", "multilinear", "concrete_output", "angle", "singular_vector_residual",
    "support_size", "init_margin", "even_part", "TensorFlowDerivation", "TwoLayerPointDerivation",
    "g_function", "g_inv", "two_layer_point_path", "Thm6Limit", "thm6_limits", "printed_thm6_v2",
    "conv_qnorm_limit", "direction_rate", "rng_for", "separable_instance", "PointInstance",
    "two_layer_point_instance", "regression_instance", "even_regression_instance", "log_grid",
    "decay_fit", "regression_limit",
    "tensor_identities", "exponential_flows", "diagonal_directions", "conv_directions",
    "single_point", "diagonal_regression", "alpha_path", "conv_regression",
    "two_layer_point_regression", "odn_tensor", "odn_rho", "odn_regression_limit", "random_odn",
    "odn_flows", "tied_limit", "tied_instance", "tied_single_point", "ShortConvolutional",
    "short_conv_tensor", "conv_stationarity_residual", "short_conv_flows", "Cor4Limit", "cor4_limit",
    "conv_point_instance", "conv_single_point", "ShortConvDerivation", "ConvPointDerivation",
    "fourier_margin_kkt_residual", "deep_conv_directions", "deep_conv_regression",
]
