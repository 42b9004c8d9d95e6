r"""Jin & Montufar (2023): wide one-input ReLU networks trained by gradient descent learn weighted splines.

Stages: :mod:`.derivation` (SymPy), :mod:`.closed_forms` (predictions), :mod:`.linearized`
(the linearized model), :mod:`.experiments` (the chapter's and the ledger's experiments) and
:mod:`.extension_2d` (two inputs, beyond the paper); beyond the anti-symmetric case,
:mod:`.general` and :mod:`.general_derivation` (the general theorem, :math:`f(\cdot,\theta_0)\neq0`),
:mod:`.random_features` (problem (17) to (18) on its own) and :mod:`.network_gap` (real networks
against their linearization and against output-only training), drawn by :mod:`.figures_general`.

See the book chapters *Wide ReLU networks learn weighted splines* (``book/jin2023.md``) and
*Extension: wide ReLU networks on 2-D inputs* (``book/jin2023_2d.md``).
"""
from .closed_forms import (DATA_X, DATA_Y, INITS, MC_Z_MAX, RATE_LINEARIZED, RATE_WIDTH, TOL_GAUSSIAN_GRID,
                           TOL_INFINITE_WIDTH, TOL_KERNEL, TOL_MIN_DISTANCE, TOL_NATURAL_CUBIC, init_kernel, init_zeta,
                           linear_adjustment, predicted_limit, printed_gaussian_zeta)
from .derivation import CircleKernelDerivation, ZetaDerivation

__all__ = ["DATA_X", "DATA_Y", "INITS", "RATE_LINEARIZED", "RATE_WIDTH", "TOL_INFINITE_WIDTH", "TOL_MIN_DISTANCE",
           "MC_Z_MAX", "TOL_KERNEL", "TOL_NATURAL_CUBIC", "TOL_GAUSSIAN_GRID", "init_kernel", "init_zeta",
           "linear_adjustment", "predicted_limit", "printed_gaussian_zeta", "ZetaDerivation",
           "CircleKernelDerivation"]
from .experiments import (LIMIT_INITS, OutputLayerReport, infinite_width,  # noqa: E402
                          linearized_gap_rate, min_distance, output_layer, width_rate,
                          zeta_breakpoints)
from .linearized import linearized_gap, linearized_gd  # noqa: E402

__all__ += ["LIMIT_INITS", "OutputLayerReport", "output_layer",
            "infinite_width", "linearized_gap_rate", "min_distance", "width_rate", "zeta_breakpoints",
            "linearized_gap", "linearized_gd"]
from . import extension_2d  # noqa: E402
from .extension_2d import ext2d_width_rate  # noqa: E402

__all__ += ["extension_2d", "ext2d_width_rate"]
from . import figures  # noqa: E402

__all__ += ["figures"]
from .adjustment import adjustment_effect  # noqa: E402

__all__ += ["adjustment_effect"]
from .general import (GENERAL_INITS, SCALED_INIT, TOL_LIMIT_IDENTITY, general_limit, general_width_rate,  # noqa: E402
                      network_output)
from .general_derivation import GeneralLimitDerivation  # noqa: E402
from .random_features import TOL_RF_RESIDUAL, min_norm_random_features, random_features_rate  # noqa: E402

__all__ += ["TOL_LIMIT_IDENTITY", "TOL_RF_RESIDUAL", "GENERAL_INITS", "SCALED_INIT", "general_limit",
            "general_width_rate", "network_output", "GeneralLimitDerivation", "min_norm_random_features", "random_features_rate"]
from .network_gap import RATE_LEE, kernel_path, network_gap_rate  # noqa: E402

__all__ += ["RATE_LEE", "kernel_path", "network_gap_rate"]
from . import figures_checks, figures_general  # noqa: E402

__all__ += ["figures_checks", "figures_general"]
from .spline_checks import gaussian_grid, natural_cubic  # noqa: E402  (registers their experiments)

__all__ += ["gaussian_grid", "natural_cubic"]
