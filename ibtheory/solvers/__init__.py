"""Solvers for the limiting optimization problems of the implicit-bias papers.

Every function returns a :class:`SolverResult` (a ``scipy.optimize.OptimizeResult``
with ``x``, ``fun``, ``success``, ``status``, ``message``) carrying ``kkt``:
optimality residuals recomputed by ibtheory from ``x`` and the dual variables.
A solver that cannot certify its answer raises :class:`SolverError`; bad input
raises ``ValueError``. See the chapter *The limiting optimization problems*.
"""
from ._fourier import fourier_max_margin, fourier_qnorm_interpolator
from ._interpolators import min_distance_interpolator, min_l1_interpolator, min_l2_interpolator
from ._logdet import logdet_factorization
from ._margin import max_margin
from ._qnorm import qnorm_interpolator
from ._result import KKT, SolverError, SolverResult
from ._spline import WeightedSplineResult, weighted_spline
from ._zeta import Zeta, zeta

__all__ = [
    "KKT", "SolverError", "SolverResult",
    "fourier_max_margin", "fourier_qnorm_interpolator", "logdet_factorization",
    "max_margin", "min_distance_interpolator", "min_l1_interpolator", "min_l2_interpolator",
    "qnorm_interpolator",
    "WeightedSplineResult", "weighted_spline", "Zeta", "zeta",
]

# Generic homes of code moved out of the paper layers (issue 13); each module sets __all__.
from ._stationary import *  # noqa: F401,F403
from . import _stationary as _m_stationary
from ._kernels import *  # noqa: F401,F403
from . import _kernels as _m_kernels
from ._sharpness_min import *  # noqa: F401,F403
from . import _sharpness_min as _m_sharpness_min
__all__ = list(__all__) + list(_m_stationary.__all__) + list(_m_kernels.__all__) + list(_m_sharpness_min.__all__)
from ._qnorm_reach import *  # noqa: F401,F403
from . import _qnorm_reach as _m_qnorm_reach
__all__ = list(__all__) + list(_m_qnorm_reach.__all__)
