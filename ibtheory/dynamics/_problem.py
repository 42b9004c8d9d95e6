"""A training problem: data and the loss convention, bound once.

The papers differ in their loss conventions (Varre, Min and Yun's regression: ``half_sum``
:math:`\\tfrac12\\sum_i`; Marion & Chizat, Jin & Montufar: ``mean``
:math:`\\tfrac1n\\sum_i` (no 1/2); Yun's classification: ``exponential``). Forgetting
the convention changes learning rates and sharpness by a factor :math:`2/n`
without an error, so the papers' layers build one :class:`Problem` and call
the dynamics through it instead of repeating ``loss=`` at each call.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .._validation import as_real_array
from ..models._base import check_loss

__all__ = ["Problem"]


@dataclasses.dataclass(frozen=True)
class Problem:
    r"""Data ``(X, y)`` and the loss convention of one problem.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs (rows are samples); float64.
    y : array_like, shape (n,) or (n, k)
        Targets (labels in {-1, +1} for ``"exponential"``).
    loss : {"half_sum", "mean", "exponential"}
        :math:`\tfrac12\sum_i r_i^2`, :math:`\tfrac1n\sum_i r_i^2`, or
        :math:`\sum_i e^{-y_i f(x_i)}`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.dynamics import Problem
    >>> from ibtheory.models import TwoLayerLinear, gaussian_init
    >>> rng = np.random.default_rng(0)
    >>> prob = Problem(rng.standard_normal((4, 3)), rng.standard_normal(4), loss="mean")
    >>> net = TwoLayerLinear(3, 5)
    >>> res = prob.gradient_descent(net, gaussian_init(net, 0.1, seed=1), lr=0.1, n_steps=50)
    >>> bool(res.fun < prob.loss_value(net, gaussian_init(net, 0.1, seed=1))), prob.n, prob.d
    (True, 4, 3)

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """

    X: np.ndarray
    y: np.ndarray
    loss: str = "half_sum"

    def __post_init__(self):
        X = as_real_array(self.X, "X")
        y = as_real_array(self.y, "y")
        if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(f"X must be a non-empty 2-D array (n, d), got shape {X.shape}")
        if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have shape (n,) or (n, k) with n = {X.shape[0]}, got {y.shape}")
        check_loss(self.loss)
        X.setflags(write=False)
        y.setflags(write=False)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    def loss_value(self, model, params):
        """The loss of ``params`` under this problem's convention."""
        return model.loss(params, self.X, self.y, self.loss)

    def gradient_flow(self, model, params, **kwargs):
        """:func:`ibtheory.dynamics.gradient_flow` on this problem."""
        from ._flow import gradient_flow

        return gradient_flow(model, params, self.X, self.y, self.loss, **kwargs)

    def reparam_flow(self, model, params, **kwargs):
        """:func:`ibtheory.dynamics.reparam_flow` on this problem."""
        from ._reparam import reparam_flow

        return reparam_flow(model, params, self.X, self.y, self.loss, **kwargs)

    def gradient_descent(self, model, params, lr, n_steps, **kwargs):
        """:func:`ibtheory.dynamics.gradient_descent` on this problem."""
        from ._gd import gradient_descent

        return gradient_descent(model, params, self.X, self.y, lr, n_steps, self.loss, **kwargs)

    def label_noise_sgd(self, model, params, lr, n_steps, delta, **kwargs):
        """:func:`ibtheory.dynamics.label_noise_sgd` on this problem."""
        from ._gd import label_noise_sgd

        return label_noise_sgd(model, params, self.X, self.y, lr, n_steps, delta, self.loss, **kwargs)

    def label_noise_sde(self, model, params, dt, n_steps, sigma, **kwargs):
        """:func:`ibtheory.dynamics.label_noise_sde` on this problem."""
        from ._label_noise import label_noise_sde

        return label_noise_sde(model, params, self.X, self.y, dt, n_steps, sigma, self.loss, **kwargs)

    def sharpness(self, model, params, **kwargs):
        """:func:`ibtheory.dynamics.sharpness` on this problem."""
        from ._sharpness import sharpness

        return sharpness(model, params, self.X, self.y, self.loss, **kwargs)

    def hessian(self, model, params):
        """:func:`ibtheory.dynamics.hessian` on this problem."""
        from ._sharpness import hessian

        return hessian(model, params, self.X, self.y, self.loss)
