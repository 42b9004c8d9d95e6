r"""The linearized model of a wide network at its anti-symmetric initialization (Jin & Montufar, eqs. (12)-(13)).

* :func:`linearized_gap`: sup over time and inputs of the gap between training only the output
  layer and training all parameters of the linearized network (closed form in the tangent
  kernels' eigenbases);
* :func:`linearized_gd`: explicit gradient descent on a linear model, to compare its end point
  with the minimum-distance interpolator.

See the book chapter *Wide ReLU networks learn weighted splines* (``book/jin2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._validation import as_real_array, check_int, check_positive

__all__ = ["LinearizedGap", "linearized_gap", "LinearGDResult", "linearized_gd"]


@dataclasses.dataclass(frozen=True)
class LinearizedGap:
    """Result of :func:`linearized_gap`.

    Attributes
    ----------
    gap : float
        :math:`\\sup_{t,x}|f^{\\rm lin}_{\\rm out}-f^{\\rm lin}_{\\rm all}|`.
    f_all, f_out : ndarray
        The limits (:math:`t\\to\\infty`) of both runs on the evaluation points.
    steps : ndarray
        The steps at which the gap was evaluated.
    """

    gap: float
    f_all: np.ndarray
    f_out: np.ndarray
    steps: np.ndarray


def linearized_gap(params, x, y, t_eval, lr_factor=1.0, n_times=200, output_lr_scale=0.5):
    r"""Sup over time and inputs of :math:`|f^{\rm lin}(x,\tilde\omega_t)-f^{\rm lin}(x,\omega_t)|` (one input).

    Gradient descent on the mean squared error of the network linearized at an anti-symmetric
    initialization (:math:`f^{\rm lin}(\cdot,\theta_0)\equiv0`), all parameters (:math:`\omega_t`) or only
    the output layer (:math:`\tilde\omega_t`), same step :math:`\eta`. With tangent kernel
    :math:`\Theta=JDJ^\top`, :math:`f^{\rm lin}_t(x)=\Theta(x,X)\Theta^{-1}(I-(I-\tfrac{2\eta}M\Theta)^t)y`,
    evaluated in :math:`\Theta`'s eigenbasis at ``n_times`` log-spaced steps up to the contraction
    of the slowest mode by :math:`10^{-12}`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import TwoLayerReLU, relu_init
    >>> from ibtheory.papers.jin2023.linearized import linearized_gap
    >>> P = relu_init(TwoLayerReLU(1, 200), "uniform", 1.0, 2.0, seed=0)
    >>> res = linearized_gap(P, [-1.0, 0.0, 1.0], [1.0, 0.0, 1.0], np.linspace(-1, 1, 5))
    >>> bool(res.gap < 0.05)
    True
    """
    from ibtheory.dynamics import relu_jacobian

    x, y, t_eval = as_real_array(x, "x"), as_real_array(y, "y"), as_real_array(t_eval, "t_eval")
    if x.ndim != 1 or y.shape != x.shape or t_eval.ndim != 1:
        raise ValueError(f"x, y must be 1-D of one length and t_eval 1-D, got {x.shape}, {y.shape}, {t_eval.shape}")
    lr_factor = check_positive(lr_factor, "lr_factor")
    if lr_factor >= 2:
        raise ValueError(f"lr_factor must be < 2, got {lr_factor}")
    n_times = check_int(n_times, "n_times", minimum=2)
    M = x.size
    Ja = relu_jacobian(params, x[:, None], output_lr_scale)
    Ga = relu_jacobian(params, t_eval[:, None], output_lr_scale)
    Jo = relu_jacobian(params, x[:, None], output_lr_scale, train="output")
    Go = relu_jacobian(params, t_eval[:, None], output_lr_scale, train="output")
    Ka, Ko = Ja @ Ja.T, Jo @ Jo.T
    eta = lr_factor * M / (2 * np.linalg.eigvalsh(Ka)[-1])
    lam_min = min(np.linalg.eigvalsh(Ka)[0], np.linalg.eigvalsh(Ko)[0]) * 2 * eta / M
    if not lam_min > 0:
        raise ValueError("the tangent kernel at params is singular on x: the linearized model cannot interpolate")
    T = np.log(1e-12) / np.log1p(-lam_min)
    steps = np.unique(np.round(np.concatenate([[0], np.geomspace(1, T, n_times)])))

    def path(K, Kx):
        lam, U = np.linalg.eigh(K)
        cy = U.T @ y
        decay = (1 - 2 * eta / M * lam)[None, :] ** steps[:, None]
        return ((Kx @ U) / lam) @ ((1 - decay) * cy).T, ((Kx @ U) / lam) @ cy

    Pa, fa = path(Ka, Ga @ Ja.T)
    Po, fo = path(Ko, Go @ Jo.T)
    return LinearizedGap(gap=float(np.max(np.abs(Pa - Po))), f_all=fa, f_out=fo, steps=steps)


@dataclasses.dataclass(frozen=True)
class LinearGDResult:
    """Result of :func:`linearized_gd`: end point ``x``, steps ``nit``, final mean squared error ``loss``,
    condition number ``cond`` of :math:`JJ^\\top`."""

    x: np.ndarray
    nit: int
    loss: float
    cond: float


def linearized_gd(J, y, theta0, lr_factor=1.0, contraction=1e-15):
    r"""Gradient descent on the mean squared error of the linear model :math:`f(\omega)=J(\omega-\theta_0)`.

    :math:`\omega_{t+1}=\omega_t-\eta\tfrac2MJ^\top(J(\omega_t-\theta_0)-y)`,
    :math:`\eta=\texttt{lr\_factor}\cdot M/(2\lambda_{\max}(JJ^\top))`, from :math:`\theta_0`, until the
    slowest mode has contracted by ``contraction``; no pseudo-inverse is formed.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.jin2023.linearized import linearized_gd
    >>> np.round(linearized_gd(np.array([[1.0, 1.0]]), np.array([2.0]), np.zeros(2)).x, 12)
    array([1., 1.])
    """
    J = as_real_array(J, "J")
    y = as_real_array(y, "y").ravel()
    theta0 = as_real_array(theta0, "theta0").ravel()
    if J.ndim != 2 or J.shape != (y.size, theta0.size):
        raise ValueError(f"J must have shape (len(y), len(theta0)) = ({y.size}, {theta0.size}), got {J.shape}")
    lr_factor = check_positive(lr_factor, "lr_factor")
    if lr_factor >= 2:
        raise ValueError(f"lr_factor must be < 2 (stability), got {lr_factor}")
    contraction = check_positive(contraction, "contraction")
    M = y.size
    lam = np.linalg.eigvalsh(J @ J.T)
    if lam[0] <= lam[-1] * 1e-14:
        raise ValueError("J must have full row rank (the linear model must be able to interpolate)")
    eta = lr_factor * M / (2 * lam[-1])
    rho = max(abs(1 - 2 * eta / M * lam[0]), abs(1 - lr_factor))
    n_steps = 1 if rho == 0 else max(1, int(np.ceil(np.log(contraction) / np.log(rho))))
    w = theta0.copy()
    for _ in range(n_steps):
        w -= eta * (2 / M) * J.T @ (J @ (w - theta0) - y)
    r = J @ (w - theta0) - y
    return LinearGDResult(x=w, nit=n_steps, loss=float(np.mean(r * r)), cond=float(lam[-1] / lam[0]))
