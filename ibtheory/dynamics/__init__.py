"""Training dynamics: gradient flow, batched gradient descent, label noise, sharpness.

- :func:`gradient_flow`: the exact flow to a tolerance (DOP853/Radau), with
  the drift of the conservation laws as accuracy certificate;
- :func:`gradient_descent`: fixed step, vectorized over a leading batch of
  runs, per-run divergence detection, optional sharpness tracking;
- :func:`label_noise_sgd` and :func:`label_noise_sde` (Varre et al.'s LNGD,
  Euler-Maruyama);
- :class:`Problem`: data and loss convention bound once, with the calls above as methods;
- :func:`sharpness` (power iteration on exact HVPs) and :func:`hessian`.

See the book chapter *Gradient flow and its conservation laws*.
"""
from ._flow import FlowResult, gradient_flow
from ._flow_batch import FlowBatchResults, gradient_flow_batch
from ._gd import GDResult, gradient_descent, label_noise_sgd
from ._label_noise import label_noise_sde
from ._problem import Problem
from ._sharpness import hessian, sharpness

__all__ = [
    "FlowResult", "GDResult", "gradient_flow", "gradient_flow_batch", "FlowBatchResults", "gradient_descent", "label_noise_sgd",
    "label_noise_sde", "hessian", "sharpness", "Problem",
]

# Generic homes of code moved out of the paper layers (issue 13); each module sets __all__.
from ._logtime import *  # noqa: F401,F403
from . import _logtime as _m_logtime
from ._chain import *  # noqa: F401,F403
from . import _chain as _m_chain
from ._asi import *  # noqa: F401,F403
from . import _asi as _m_asi
from ._reparam import *  # noqa: F401,F403
from . import _reparam as _m_reparam
__all__ = list(__all__) + list(_m_logtime.__all__) + list(_m_chain.__all__) + list(_m_asi.__all__) + list(_m_reparam.__all__)
