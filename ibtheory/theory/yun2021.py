r"""Theory layer of Yun, Krishnan & Mobahi (2021): linear tensor networks.

Everything the chapter *A unifying view through linear tensor networks*
(``book/yun2021.md``) computes lives here:

- data tensors :math:`M(x)` built entry by entry from the paper's definitions
  (:func:`data_tensor`), multilinear multiplication (:func:`multilinear`) and
  the concrete networks they must equal (:func:`concrete_output`);
- the SymPy derivation of the gradient-flow equations
  :math:`\dot v_l = M(-X^\top r)\circ(v_1,\dots,I_{k_l},\dots,v_L)`
  (:class:`TensorFlowSystem`) and of the two-layer single-point solution
  (:class:`TwoLayerPointSystem`);
- exponential-loss gradient flow in logarithmic time (:func:`logtime_flow`),
  with which directions can be followed up to :math:`t = e^{10^4}`;
- the diagnostics of Theorems 1-3 and Corollaries 1-3 (:func:`angle`,
  :func:`singular_vector_residual`, :func:`quasi_stationarity`,
  :func:`init_margin`, :func:`observed_rate`);
- regression limits (Theorem 5, Corollaries 5-6, Theorem 6):
  :func:`regression_limit`, :func:`thm6_limits`, :func:`g_inv`.
"""
from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import OptimizeResult

from .._validation import as_real_array, check_depth, check_positive

__all__ = [
    "KINDS", "data_tensor", "multilinear", "concrete_output", "TensorFlowSystem",
    "TwoLayerPointSystem", "logtime_flow", "angle", "observed_rate", "singular_vector_residual",
    "quasi_stationarity", "support_size", "init_margin", "regression_limit", "even_part",
    "g_function", "g_inv", "g_inv_reference", "fc_singular_vector_residuals", "thm6_limits", "thm6_seed_v2", "polish_stationary", "two_layer_point_path",
    "separable_instance", "direction_study", "conv_qnorm_limit",
]

#: Network kinds with a data tensor: diagonal, full-length circular convolutional, fully connected.
KINDS = ("diag", "conv", "fc")


# --------------------------------------------------------------------------- tensors
def _check_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return kind


def _widths(widths):
    if not isinstance(widths, (list, tuple)) or len(widths) < 2:
        raise ValueError("widths must be a sequence (d_1 = d, d_2, ..., d_L) of length L >= 2")
    out = []
    for w in widths:
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, numbers.Integral) or w < 1:
            raise ValueError(f"widths must be positive integers, got {widths!r}")
        out.append(int(w))
    return tuple(out)


def data_tensor(kind, x, L=None, widths=None):
    r"""The data tensor :math:`M(x)` of Yun et al. (2021), entry by entry.

    * ``"diag"``: :math:`[M(x)]_{j\cdots j} = x_j`, all other entries 0 (shape :math:`d^{L}`);
    * ``"conv"``: :math:`[M(x)]_{j_1\cdots j_L} = x_{(j_1+\cdots+j_L)\bmod d}` (0-based;
      the paper's 1-based :math:`(\sum_l j_l - L + 1)\bmod d`), full-length filters;
    * ``"fc"``: widths :math:`(d_1=d, d_2, \dots, d_L)`, parameters
      :math:`v_l = \mathrm{vec}(W_l)` (row-major, :math:`W_l\in\mathbb R^{d_l\times d_{l+1}}`),
      :math:`v_L = w_L`, and
      :math:`[M(x)]_{(a_1b_1),\dots,(a_{L-1}b_{L-1}),c} = x_{a_1}\delta_{b_1a_2}\cdots\delta_{b_{L-1}c}`,
      so that :math:`M(x)\circ(v_1,\dots,v_L) = x^\top W_1\cdots W_{L-1}w_L`.

    Parameters
    ----------
    kind : {"diag", "conv", "fc"}
    x : array_like, shape (d,)
    L : int
        Depth (``"diag"``, ``"conv"``); for ``"fc"`` it is ``len(widths)``.
    widths : sequence of int
        ``"fc"`` only.

    Returns
    -------
    ndarray of shape ``(k_1, ..., k_L)``

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import data_tensor
    >>> data_tensor("conv", np.array([1., 2., 3.]), L=2)
    array([[1., 2., 3.],
           [2., 3., 1.],
           [3., 1., 2.]])
    """
    _check_kind(kind)
    x = as_real_array(x, "x")
    if x.ndim != 1:
        raise ValueError(f"x must be a vector, got shape {x.shape}")
    d = x.size
    if kind == "fc":
        widths = _widths(widths)
        if widths[0] != d:
            raise ValueError(f"widths[0] must equal len(x) = {d}, got {widths[0]}")
        L = len(widths)
        shape = tuple(widths[l] * widths[l + 1] for l in range(L - 1)) + (widths[-1],)
        M = np.zeros(shape)
        # A nonzero entry is a path a_1 -> a_2 -> ... -> a_L through the layers.
        for path in np.ndindex(*widths):
            idx = tuple(path[l] * widths[l + 1] + path[l + 1] for l in range(L - 1)) + (path[-1],)
            M[idx] = x[path[0]]
        return M
    L = check_depth(L, "L")
    M = np.zeros((d,) * L)
    for idx in np.ndindex(*M.shape):
        if kind == "diag":
            if len(set(idx)) == 1:
                M[idx] = x[idx[0]]
        else:
            M[idx] = x[sum(idx) % d]
    return M


def multilinear(A, factors):
    r"""Multilinear multiplication :math:`A\circ(B_1^\top,\dots,B_L^\top)`.

    Each factor is a vector (the mode is contracted), a matrix :math:`B_l^\top` of
    shape ``(k_l, p_l)`` (the mode becomes of size ``p_l``), or ``None`` for the
    identity :math:`I_{k_l}` (the mode is kept).

    .. math::

        [A\circ(B_1^\top,\dots,B_L^\top)]_{i_1\cdots i_L}
        = \sum_{j_1,\dots,j_L}[A]_{j_1\cdots j_L}[B_1]_{i_1j_1}\cdots[B_L]_{i_Lj_L}.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import multilinear
    >>> A = np.arange(6.).reshape(2, 3)
    >>> bool(np.allclose(multilinear(A, [np.ones(2), None]), A.sum(axis=0)))
    True
    """
    A = as_real_array(A, "A")
    if len(factors) != A.ndim:
        raise ValueError(f"factors must have one entry per mode ({A.ndim}), got {len(factors)}")
    out, axis = A, 0
    for l, B in enumerate(factors):
        if B is None:
            axis += 1
            continue
        B = as_real_array(B, f"factors[{l}]")
        if B.shape[0] != A.shape[l] or B.ndim not in (1, 2):
            raise ValueError(f"factors[{l}] must have shape ({A.shape[l]},) or ({A.shape[l]}, p)")
        out = np.moveaxis(np.tensordot(out, B, axes=([axis], [0])), -1, axis) if B.ndim == 2 \
            else np.tensordot(out, B, axes=([axis], [0]))
        axis += B.ndim - 1
    return out


def concrete_output(kind, x, params):
    r"""The network written as in the paper, without tensors (the second route).

    ``"diag"``: :math:`(x\odot w_1\odot\cdots\odot w_{L-1})^\top w_L`;
    ``"conv"``: :math:`((x\star w_1)\star\cdots\star w_{L-1})^\top w_L` with
    :math:`[a\star b]_i = \sum_j a_{(i+j)\bmod d}b_j`;
    ``"fc"``: :math:`x^\top W_1\cdots W_{L-1}w_L` with matrices ``params[:-1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import concrete_output
    >>> float(concrete_output("diag", np.array([1., 2.]), (np.array([3., 4.]), np.array([1., 1.]))))
    11.0
    """
    _check_kind(kind)
    h = as_real_array(x, "x")
    *hidden, last = params
    for W in hidden:
        W = as_real_array(W, "params")
        if kind == "diag":
            h = h * W
        elif kind == "conv":
            h = np.array([sum(h[(i + j) % h.size] * W[j] for j in range(W.size)) for i in range(h.size)])
        else:
            h = h @ W
    return float(h @ as_real_array(last, "params[-1]"))


# --------------------------------------------------------------------------- SymPy
class TensorFlowSystem:
    r"""Gradient flow of a linear tensor network, derived in SymPy for an arbitrary loss.

    Holds a symbolic data tensor :math:`T_j = M(e_j)` (shape ``(d, k_1, ..., k_L)``),
    parameters :math:`v_l`, data :math:`X, y` and an undefined loss
    :math:`\ell(\hat y, y)`, and exposes

    * ``flow``: :math:`-\nabla_{v_l}\sum_i\ell(f(x_i;\Theta), y_i)` by differentiation;
    * ``tensor_flow``: :math:`M(-X^\top r)\circ(v_1,\dots,I_{k_l},\dots,v_L)` with
      :math:`r_i = \ell'(f(x_i), y_i)`;
    * ``residuals``: their differences, simplified (all zero).

    Examples
    --------
    >>> from ibtheory.theory.yun2021 import TensorFlowSystem
    >>> S = TensorFlowSystem(d=2, ks=(2, 2), n=1)
    >>> all(r == 0 for r in S.residuals)
    True
    """

    def __init__(self, d=2, ks=(2, 2, 2), n=2):
        import sympy as sp

        self.d, self.ks, self.n = int(d), tuple(int(k) for k in ks), int(n)
        L = len(self.ks)
        self.T = sp.MutableDenseNDimArray(
            [sp.Symbol("T_" + "_".join(map(str, idx))) for idx in np.ndindex(self.d, *self.ks)],
            (self.d,) + self.ks)
        self.v = [sp.Matrix(sp.symbols(f"v{l + 1}_0:{k}")) for l, k in enumerate(self.ks)]
        self.X = sp.Matrix(self.n, self.d, lambda i, j: sp.Symbol(f"x_{i}_{j}"))
        self.y = sp.symbols(f"y0:{self.n}")
        self.ell = sp.Function("ell")
        idxs = list(np.ndindex(*self.ks))

        def M(u):  # the linear map u -> M(u)
            return {idx: sum(u[j] * self.T[(j,) + idx] for j in range(self.d)) for idx in idxs}

        def contract(Mu, skip=None):
            out = [0] * (self.ks[skip] if skip is not None else 1)
            for idx, val in Mu.items():
                term = val
                for l in range(L):
                    if l != skip:
                        term = term * self.v[l][idx[l]]
                out[idx[skip] if skip is not None else 0] += term
            return out

        self.f = [contract(M(self.X.row(i)))[0] for i in range(self.n)]
        loss = sum(self.ell(self.f[i], self.y[i]) for i in range(self.n))
        self.flow = [[-sp.diff(loss, c) for c in self.v[l]] for l in range(L)]
        yh = sp.Symbol("yhat")
        r = [sp.diff(self.ell(yh, self.y[i]), yh).subs(yh, self.f[i]) for i in range(self.n)]
        u = [-sum(self.X[i, j] * r[i] for i in range(self.n)) for j in range(self.d)]
        Mu = M(u)
        self.tensor_flow = [contract(Mu, skip=l) for l in range(L)]
        # Both sides are polynomials in T, v, X times the same derivative terms of ell,
        # so expansion (not simplify) decides equality exactly.
        self.residuals = [sp.expand(a - b) for l in range(L)
                          for a, b in zip(self.flow[l], self.tensor_flow[l])]


class TwoLayerPointSystem:
    r"""Two-layer tensor network, one data point: the flow in the SVD basis, solved in closed form.

    With :math:`M(x) = U_1\mathrm{diag}(s)U_2^\top`, :math:`a = U_1^\top v_1`,
    :math:`b = U_2^\top v_2` and :math:`\nu(t) = -\int_0^t r`, the flow is
    :math:`\dot a = \dot\nu\, s\odot b`, :math:`\dot b = \dot\nu\, s\odot a`, so

    .. math::

        a_j = a_j(0)\cosh(s_j\nu) + b_j(0)\sinh(s_j\nu),\qquad
        b_j = a_j(0)\sinh(s_j\nu) + b_j(0)\cosh(s_j\nu),

    and :math:`f = \sum_j s_ja_jb_j = g(\nu)` with
    :math:`g(\nu) = \sum_j s_j\big(\tfrac{a_j(0)^2+b_j(0)^2}2\sinh(2s_j\nu)
    + a_j(0)b_j(0)\cosh(2s_j\nu)\big)`. Attributes: ``ode_residuals`` (zero),
    ``output_residual`` (:math:`f - g`, zero), ``seed_residual`` (the seed's
    pairing for :math:`v_2` plugged into :math:`\dot b = \dot\nu s a`, not zero).

    Examples
    --------
    >>> from ibtheory.theory.yun2021 import TwoLayerPointSystem
    >>> S = TwoLayerPointSystem()
    >>> S.ode_residuals, S.output_residual, S.seed_residual == 0
    ((0, 0), 0, False)
    """

    def __init__(self):
        import sympy as sp

        self.nu, self.s, self.a0, self.b0 = sp.symbols("nu s a0 b0", real=True)
        nu, s, a0, b0 = self.nu, self.s, self.a0, self.b0
        self.a = a0 * sp.cosh(s * nu) + b0 * sp.sinh(s * nu)
        self.b = a0 * sp.sinh(s * nu) + b0 * sp.cosh(s * nu)
        self.g = s * ((a0**2 + b0**2) / 2 * sp.sinh(2 * s * nu) + a0 * b0 * sp.cosh(2 * s * nu))
        # d/dt = nu' d/dnu: the ODE a' = nu' s b becomes da/dnu = s b.
        self.ode_residuals = (sp.simplify(sp.diff(self.a, nu) - s * self.b),
                              sp.simplify(sp.diff(self.b, nu) - s * self.a))
        self.output_residual = sp.simplify((s * self.a * self.b - self.g).rewrite(sp.exp))
        seed_b = a0 * sp.cosh(s * nu) + b0 * sp.sinh(s * nu)
        self.seed_residual = sp.simplify(sp.diff(seed_b, nu) - s * self.a)


# --------------------------------------------------------------------------- flows
def logtime_flow(model, params, X, y, s_max, s_eval=None, *, rtol=1e-10):
    r"""Exponential-loss gradient flow followed in logarithmic time :math:`s = \log(1+t)`.

    .. math::

        \frac{d\theta}{ds} = -e^{s}\nabla\mathcal L(\theta)
        = J(\theta)^\top\big(y\odot e^{\,s - y\odot f(X;\theta)}\big),
        \qquad \mathcal L = \sum_i e^{-y_if(x_i;\theta)},

    the same trajectory as :math:`\dot\theta = -\nabla\mathcal L` reparametrised
    by :math:`t = e^s - 1`. The exponent :math:`s - y_if_i` stays of order one
    while margins grow like :math:`s`, so :math:`s = 10^4` (:math:`t = e^{10^4}`,
    loss :math:`\approx e^{-10^4}`, far below float64) is reachable: directions
    converge only like a power of :math:`1/\log t`. LSODA (automatic
    stiff/non-stiff switching) integrates it.

    Parameters
    ----------
    model : ibtheory.models.LinearModel
        Scalar-output linear network (diagonal, convolutional, deep linear, tensor).
    params : tuple of ndarray
        Initial parameters.
    X, y : array_like
        Data ``(n, d)`` and labels in {-1, +1}.
    s_max : float
        Final log-time.
    s_eval : array_like, optional
        Log-times at which to record (default: 40 points log-spaced in [1, s_max]).
    rtol : float
        Relative tolerance (absolute tolerance ``rtol * 1e-2``).

    Returns
    -------
    OptimizeResult
        ``s``, ``params`` (list of tuples), ``beta`` (``(len(s), d)``),
        ``x`` (final parameters), ``nfev``, ``success``, ``message``.

    Raises
    ------
    RuntimeError
        If the integrator fails (never returns a partial trajectory silently).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Diagonal
    >>> from ibtheory.theory.yun2021 import logtime_flow
    >>> X, y = np.array([[1., 0.5]]), np.array([1.])
    >>> res = logtime_flow(Diagonal(2, 2), (np.ones(2), np.zeros(2)), X, y, 100.0, [100.0])
    >>> res.success, bool(X @ res.beta[-1] > 50)
    (True, True)
    """
    from scipy.integrate import solve_ivp

    X = as_real_array(X, "X")
    y = as_real_array(y, "y")
    if not np.all(np.abs(y) == 1):
        raise ValueError("y must contain labels in {-1, +1}")
    s_max = check_positive(s_max, "s_max")
    model.check_data(X, y, "exponential")
    if s_eval is None:
        s_eval = np.logspace(0, np.log10(s_max), 40) if s_max > 1 else np.linspace(0, s_max, 41)[1:]
    s_eval = as_real_array(s_eval, "s_eval").ravel()
    if np.any(np.diff(s_eval) <= 0) or s_eval[0] < 0 or s_eval[-1] > s_max * (1 + 1e-12):
        raise ValueError("s_eval must be increasing within [0, s_max]")
    th0 = model.flatten(params)

    def rhs(s, th):
        P = model._unflatten_b(th[None])
        F = model._forward(P, X)[0, :, 0]
        G = (y * np.exp(s - y * F))[None, :, None]
        return model._flatten_b(model._vjp(P, X, G))[0]

    sol = solve_ivp(rhs, (0.0, s_max), th0, method="LSODA", rtol=rtol, atol=rtol * 1e-2,
                    t_eval=s_eval)
    if not sol.success:
        raise RuntimeError(f"logtime_flow: the integrator failed: {sol.message}")
    ps = [model.unflatten(sol.y[:, k]) for k in range(sol.y.shape[1])]
    return OptimizeResult(s=sol.t, params=ps, x=ps[-1], beta=np.array([model.beta(p) for p in ps]),
                          nfev=sol.nfev, success=True, status=0, message=sol.message)


def regression_limit(model, params, X, y, *, stat_tol=1e-10):
    r"""Limit :math:`\beta(\infty)` of square-loss gradient flow (``half_sum``), certified.

    Runs :func:`ibtheory.dynamics.gradient_flow` (DOP853, ``rtol = stat_tol/1000``)
    until the function-space gradient :math:`\|X^\top(X\beta-y)\|` is below
    ``stat_tol`` times its value at 0, and raises if it is not reached.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Diagonal, yun_init
    >>> from ibtheory.theory.yun2021 import regression_limit
    >>> X, y = np.array([[1., 2.]]), np.array([1.])
    >>> b = regression_limit(Diagonal(2, 2), yun_init(Diagonal(2, 2), 1.0, np.ones(2)), X, y)
    >>> bool(abs(X @ b - 1) < 1e-9)
    True
    """
    from ..dynamics import gradient_flow

    # Rejected trial steps of the integrator can overflow; accepted ones are checked.
    with np.errstate(over="ignore", invalid="ignore"):
        res = gradient_flow(model, params, X, y, "half_sum", stat_tol=stat_tol, rtol=stat_tol / 1000)
    if not res.success:
        raise RuntimeError(f"regression_limit: the flow did not converge: {res.message}")
    return model.beta(res.x)


def conv_qnorm_limit(X, y, L, alpha, wbar):
    r"""Regression limit of an L-layer full-length convolutional network, even data and even :math:`\bar w` (Cor. 6).

    With the unitary DFT :math:`F`, :math:`F(w_1 * \cdots * w_L) = d^{(L-1)/2}\,Fw_1\odot\cdots\odot Fw_L`
    (the :math:`S = d^{(L-1)/2}F` of Assumption 1), so in the coordinates
    :math:`\hat w_l = Fw_l` the network is a diagonal network on the data
    :math:`d^{(L-1)/2}Fx_i`, and Corollary 5 gives

    .. math::

        \min_{z\ \mathrm{even}}\ \alpha^2\sum_j [F\bar w]_j^2\,
        H_L\!\Big(\frac{[Fz]_j}{d^{(L-1)/2}\,\alpha^L|[F\bar w]_j|^L}\Big)
        \quad\text{s.t.}\quad Xz = y .

    Corollary 6 as printed (no :math:`d^{(L-1)/2}`) is right for the
    *unnormalised* DFT :math:`\sqrt d F`, not for the unitary :math:`F` it
    defines. This calls :func:`ibtheory.solvers.fourier_qnorm_interpolator`, whose
    default ``scaling="network"`` includes the factor.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import conv_qnorm_limit
    >>> X = np.array([[1., 0.5, 0., 0.5]]); w = np.array([2., 0.3, 0.1, 0.3])
    >>> z = conv_qnorm_limit(X, [1.], 2, 1.0, w)
    >>> bool(abs(X @ z - 1) < 1e-9)
    True
    """
    from ..solvers import fourier_qnorm_interpolator

    L = check_depth(L, "L")
    wbar = as_real_array(wbar, "wbar")
    return fourier_qnorm_interpolator(X, y, L, alpha, wbar).x


# --------------------------------------------------------------------------- diagnostics
def _normalized_margins(X, y, z):
    """Margin matrix A = diag(y) X and z rescaled to minimum margin 1 (z must separate)."""
    X = as_real_array(X, "X")
    y = as_real_array(y, "y")
    z = as_real_array(z, "z")
    A = y[:, None] * X
    m = A @ z
    if np.min(m) <= 0:
        raise ValueError("z does not separate the data (some margin <= 0)")
    return A, z / np.min(m)


def angle(a, b):
    r"""Angle between two nonzero vectors, accurate also for tiny angles.

    :math:`2\arcsin(\|\hat a-\hat b\|/2)` (arccos of the cosine loses half the digits).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import angle
    >>> round(angle(np.array([1., 0.]), np.array([1., 1.])), 12)
    0.785398163397
    """
    a = as_real_array(a, "a").ravel()
    b = as_real_array(b, "b").ravel()
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ValueError("angle needs nonzero vectors")
    return float(2 * np.arcsin(min(1.0, np.linalg.norm(a / na - b / nb) / 2)))


def observed_rate(s, err):
    r"""Slope of :math:`\log(\mathrm{err})` against :math:`\log s` (least squares): err :math:`\propto s^{\text{slope}}`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import observed_rate
    >>> s = np.logspace(1, 3, 5)
    >>> round(observed_rate(s, 3 / s), 12)
    -1.0
    """
    s = as_real_array(s, "s")
    err = as_real_array(err, "err")
    if s.shape != err.shape or s.size < 2 or np.any(s <= 0) or np.any(err <= 0):
        raise ValueError("s and err must be positive arrays of the same length >= 2")
    return float(np.polyfit(np.log(s), np.log(err), 1)[0])


def singular_vector_residual(T, u, vs):
    r"""How far :math:`(v_1,\dots,v_L)` are from singular vectors of :math:`M(u)` (Theorem 1).

    With :math:`\hat v_l = v_l/\|v_l\|` and :math:`g_l = M(u)\circ(\hat v_1,\dots,I,\dots,\hat v_L)`,
    the residual is :math:`\max_l\|g_l - \sigma\hat v_l\|/|\sigma|` with the common
    singular value :math:`\sigma = M(u)\circ(\hat v_1,\dots,\hat v_L)`; it is 0
    exactly when :math:`\sigma\hat v_l = M(u)\circ(\dots,I_{k_l},\dots)` for every l.

    Parameters
    ----------
    T : array_like, shape ``(d, k_1, ..., k_L)``
        Stacked :math:`M(e_j)`.
    u : array_like, shape ``(d,)``
    vs : sequence of arrays

    Returns
    -------
    residual, sigma : float

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import singular_vector_residual
    >>> T = np.array([np.diag([3., 1.])])            # M(u) = u diag(3, 1)
    >>> res, sig = singular_vector_residual(T, [1.], [np.array([1., 0.]), np.array([2., 0.])])
    >>> res, sig
    (0.0, 3.0)
    """
    T = as_real_array(T, "T")
    Mu = np.tensordot(as_real_array(u, "u"), T, axes=1)
    hats = [as_real_array(v, "vs") / np.linalg.norm(v) for v in vs]
    sigma = float(multilinear(Mu, hats))
    worst = 0.0
    for l in range(len(hats)):
        g = multilinear(Mu, [None if m == l else h for m, h in enumerate(hats)])
        worst = max(worst, float(np.linalg.norm(g - sigma * hats[l]) / abs(sigma)))
    return worst, sigma


def support_size(z, rel=1e-3):
    """Number of entries with ``|z_j| > rel * max|z|`` (the sparsity of a limit direction).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import support_size
    >>> support_size(np.array([1., 1e-5, -0.5]))
    2
    """
    z = np.abs(as_real_array(z, "z"))
    return int(np.sum(z > rel * z.max()))


def quasi_stationarity(X, y, z, p, *, rel=1e-3, active=1e-3):
    r"""KKT residual of a direction for :math:`\min\|z\|_p^p` s.t. :math:`y_ix_i^\top z\ge 1` (:math:`p = 2/L`).

    ``z`` is first scaled to minimum margin 1. On its support :math:`S`
    (:func:`support_size` with ``rel``) and the nearly active margins
    :math:`T` (margin :math:`\le 1 +` ``active``), stationarity asks for
    :math:`\mu\ge0` with :math:`p|z_S|^{p-1}\odot\mathrm{sign}(z_S) = A_{T,S}^\top\mu`,
    :math:`A = \mathrm{diag}(y)X` (coordinates at 0 carry no condition, the
    slope of :math:`|t|^p` is infinite there). The residual is the relative
    non-negative least-squares misfit (scipy ``nnls``), an independent check
    of the limit of :func:`logtime_flow`.

    Returns
    -------
    residual : float
    mu : ndarray
        Multipliers on the active set.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import quasi_stationarity
    >>> X, y = np.array([[2., 1.]]), np.array([1.])
    >>> r, mu = quasi_stationarity(X, y, np.array([1., 0.]), 2 / 3)
    >>> bool(r < 1e-14)
    True
    """
    from scipy.optimize import nnls

    A, z = _normalized_margins(X, y, z)
    S = np.abs(z) > rel * np.abs(z).max()
    T = (A @ z) <= 1 + active
    grad = p * np.abs(z[S]) ** (p - 1) * np.sign(z[S])
    mu, res = nnls(A[np.ix_(T, S)].T, grad)
    return float(res / np.linalg.norm(grad)), mu


def init_margin(wbars, kind="diag"):
    r"""The :math:`\lambda` of the initialization conditions of Corollaries 2-3, Theorems 2, 3, 6.

    .. math::

        \lambda = \min_{l<L,\ j}\Big(|[U^\top\bar w_l]_j|^2 - |[U^\top\bar w_L]_j|^2\Big),

    with :math:`U = I` (``"diag"``) or the unitary DFT :math:`F` (``"conv"``).
    The conditions hold iff :math:`\lambda > 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import init_margin
    >>> init_margin([np.array([1., 2.]), np.array([0.5, -1.])])
    0.75
    """
    if kind not in ("diag", "conv"):
        raise ValueError(f"kind must be 'diag' or 'conv', got {kind!r}")
    ws = [as_real_array(w, "wbars") for w in wbars]
    if len(ws) < 2:
        raise ValueError("wbars must hold L >= 2 directions")
    mods = [np.abs(np.fft.fft(w, norm="ortho")) ** 2 if kind == "conv" else w**2 for w in ws]
    return float(min(np.min(m - mods[-1]) for m in mods[:-1]))


def even_part(v):
    r"""Even part :math:`(v + Rv)/2` of a signal, :math:`[Rv]_k = v_{-k\bmod d}` (Corollary 6 needs even data).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import even_part
    >>> even_part(np.array([1., 2., 4.]))
    array([1., 3., 3.])
    """
    v = as_real_array(v, "v")
    return 0.5 * (v + np.roll(v[..., ::-1], 1, axis=-1))


# --------------------------------------------------------------------------- Theorem 6
def _thm6_coords(Mx, vbar1, vbar2):
    Mx = as_real_array(Mx, "Mx")
    if Mx.ndim != 2:
        raise ValueError("Mx must be a matrix (a 2-layer data tensor M(x))")
    U1, s, U2t = np.linalg.svd(Mx, full_matrices=False)
    keep = s > s[0] * 1e-12 if s.size else s > 0
    U1, s, U2 = U1[:, keep], s[keep], U2t[keep].T
    v1 = as_real_array(vbar1, "vbar1")
    v2 = as_real_array(vbar2, "vbar2")
    if v1.shape != (Mx.shape[0],) or v2.shape != (Mx.shape[1],):
        raise ValueError(f"vbar1, vbar2 must have shapes ({Mx.shape[0]},), ({Mx.shape[1]},)")
    return U1, s, U2, v1, v2, U1.T @ v1, U2.T @ v2


def g_function(nu, s, a0, b0):
    r""":math:`g(\nu) = \sum_j s_j\big(\tfrac{a_j^2+b_j^2}{2}\sinh(2s_j\nu) + a_jb_j\cosh(2s_j\nu)\big)` (Theorem 6).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import g_function
    >>> g_function(0.0, np.array([2.]), np.array([1.]), np.array([0.5]))
    1.0
    """
    nu = np.asarray(nu, dtype=float)
    arg = 2 * s * nu[..., None]
    out = np.sum(s * (0.5 * (a0**2 + b0**2) * np.sinh(arg) + a0 * b0 * np.cosh(arg)), axis=-1)
    return float(out) if out.ndim == 0 else out


def g_inv(target, s, a0, b0, *, dps=None):
    r"""Solve :math:`g(\nu) = ` ``target`` by a safeguarded Newton method.

    :math:`g' = \sum_j 2s_j^2\big(\tfrac{a_j^2+b_j^2}2\cosh(2s_j\nu)+a_jb_j\sinh(2s_j\nu)\big)
    \ge \sum_j s_j^2(|a_j|-|b_j|)^2\cosh(2s_j\nu) > 0` when :math:`a_j^2-b_j^2\ge\lambda>0`,
    so :math:`g` is strictly increasing and convex on the side the root lies;
    the root is bracketed by doubling from 0 and Newton steps leaving the
    bracket are replaced by bisection. With ``dps`` the iteration runs in
    mpmath at that many digits and returns an ``mpf``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import g_inv, g_function
    >>> s, a, b = np.array([2., 1.]), np.array([1., 1.]), np.array([0.5, 0.])
    >>> nu = g_inv(3.0, s, a, b)
    >>> round(float(g_function(nu, s, a, b)), 12)
    3.0
    """
    s = as_real_array(s, "s")
    a0 = as_real_array(a0, "a0")
    b0 = as_real_array(b0, "b0")
    if not np.all(a0**2 > b0**2):
        raise ValueError("g_inv needs a0_j^2 > b0_j^2 for every j (the initialization condition)")
    if dps is None:
        one, cosh, sinh, absf = 1.0, np.cosh, np.sinh, abs
        target = float(np.asarray(as_real_array(target, "target")))
        eps = np.finfo(float).eps
    else:
        import mpmath as mp

        ctx = mp.workdps(int(dps))
        ctx.__enter__()
        one, cosh, sinh, absf = mp.mpf(1), mp.cosh, mp.sinh, abs
        s, a0, b0 = ([mp.mpf(float(t)) for t in arr] for arr in (s, a0, b0))
        target = mp.mpf(target)
        eps = mp.mpf(10) ** (-int(dps))

    try:
        return _safeguarded_newton(target, s, a0, b0, one, cosh, sinh, absf, eps)
    finally:
        if dps is not None:
            ctx.__exit__(None, None, None)


def _safeguarded_newton(target, s, a0, b0, one, cosh, sinh, absf, eps):
    def g(nu):
        return sum(sj * ((aj * aj + bj * bj) / 2 * sinh(2 * sj * nu) + aj * bj * cosh(2 * sj * nu))
                   for sj, aj, bj in zip(s, a0, b0))

    def dg(nu):
        return sum(2 * sj * sj * ((aj * aj + bj * bj) / 2 * cosh(2 * sj * nu)
                                  + aj * bj * sinh(2 * sj * nu))
                   for sj, aj, bj in zip(s, a0, b0))

    lo, hi = 0 * one, 0 * one
    step = one / max(float(np.max(np.abs(np.asarray([float(t) for t in s])))), 1e-300)
    if g(0 * one) < target:
        hi = step
        while g(hi) < target:
            lo, hi = hi, 2 * hi
    else:
        lo = -step
        while g(lo) > target:
            lo, hi = 2 * lo, lo
    nu = (lo + hi) / 2
    for _ in range(400):
        r = g(nu) - target
        if r > 0:
            hi = nu
        else:
            lo = nu
        new = nu - r / dg(nu)
        if not lo < new < hi:
            new = (lo + hi) / 2
        if absf(new - nu) <= 4 * eps * max(absf(new), one * 1e-300) or hi - lo <= 4 * eps * absf(nu):
            return new
        nu = new
    raise RuntimeError("g_inv: the safeguarded Newton iteration did not converge")


def g_inv_reference(target, s, a0, b0, *, dps=40):
    r"""Second route to :math:`g^{-1}`: mpmath's Anderson-Bjorck bracketing solver at ``dps`` digits.

    Shares no code with :func:`g_inv` (whose ``dps`` mode runs the same
    safeguarded Newton iteration in mpmath): :math:`g` is evaluated by its own
    mpmath expression, the bracket :math:`[-B, B]` is widened by doubling until
    it contains the root, and :func:`mpmath.findroot` (``solver="anderson"``)
    refines it. Returns an ``mpf``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import g_inv, g_inv_reference
    >>> s, a, b = np.array([2., 1.]), np.array([1., 1.]), np.array([0.5, 0.])
    >>> bool(abs(float(g_inv_reference(3.0, s, a, b)) - g_inv(3.0, s, a, b)) < 1e-14)
    True
    """
    import mpmath as mp

    s = as_real_array(s, "s")
    a0 = as_real_array(a0, "a0")
    b0 = as_real_array(b0, "b0")
    if not np.all(a0**2 > b0**2):
        raise ValueError("g_inv_reference needs a0_j^2 > b0_j^2 for every j (the initialization condition)")
    with mp.workdps(int(dps)):
        S, A, Bv = ([mp.mpf(float(t)) for t in arr] for arr in (s, a0, b0))
        tgt = mp.mpf(float(np.asarray(as_real_array(target, "target"))))

        def g(nu):
            return mp.fsum(sj * ((aj**2 + bj**2) / 2 * mp.sinh(2 * sj * nu) + aj * bj * mp.cosh(2 * sj * nu))
                           for sj, aj, bj in zip(S, A, Bv))

        half = mp.mpf(1)
        while not (g(-half) <= tgt <= g(half)):
            half *= 2
        nu = mp.findroot(lambda t: g(t) - tgt, (-half, half), solver="anderson",
                         tol=mp.mpf(10) ** (-2 * int(dps) + 4), maxsteps=2000)
        return +nu


def fc_singular_vector_residuals(flow, X, y, widths):
    r"""Theorem 1 residuals along an exponential-loss :func:`logtime_flow` of a fully connected network.

    At each recorded log-time :math:`s`, :math:`u = -e^sX^\top r = X^\top(y\odot e^{s-y\odot X\beta})`
    (normalised), the parameters of :class:`ibtheory.models.DeepLinear` are mapped to
    Yun's :math:`v_l = \mathrm{vec}(W_l^\top)`, :math:`v_L = w_L`, and
    :func:`singular_vector_residual` is evaluated on the stacked data tensor
    :math:`M(e_j)` built by :func:`data_tensor` with ``widths``.

    Returns
    -------
    ndarray
        One residual per recorded time.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import DeepLinear, gaussian_init
    >>> from ibtheory.theory.yun2021 import fc_singular_vector_residuals, logtime_flow, separable_instance
    >>> X, y = separable_instance()
    >>> net = DeepLinear([6, 3, 1])
    >>> fl = logtime_flow(net, gaussian_init(net, 0.1, seed=0), X, y, 100.0, [10., 100.])
    >>> r = fc_singular_vector_residuals(fl, X, y, (6, 3))
    >>> bool(r[-1] < r[0])
    True
    """
    X = as_real_array(X, "X")
    y = as_real_array(y, "y")
    T = np.stack([data_tensor("fc", e, widths=tuple(widths)) for e in np.eye(X.shape[1])])
    out = []
    for s, P, b in zip(flow.s, flow.params, flow.beta):
        u = X.T @ (y * np.exp(s - y * (X @ b)))
        vs = [W.T.reshape(-1) for W in P[:-1]] + [np.asarray(P[-1]).reshape(-1)]
        out.append(singular_vector_residual(T, u / np.linalg.norm(u), vs)[0])
    return np.array(out)


def thm6_limits(Mx, y, alpha, vbar1, vbar2, *, dps=None):
    r"""Closed-form limits of a two-layer tensor network on one data point (Theorem 6, derived).

    .. math::

        v_1^\infty &= \alpha U_1\big(a\odot\cosh(\nu^\infty s) + b\odot\sinh(\nu^\infty s)\big)
                       + \alpha(I - U_1U_1^\top)\bar v_1,\\
        v_2^\infty &= \alpha U_2\big(a\odot\sinh(\nu^\infty s) + b\odot\cosh(\nu^\infty s)\big)
                       + \alpha(I - U_2U_2^\top)\bar v_2,

    :math:`a = U_1^\top\bar v_1`, :math:`b = U_2^\top\bar v_2`,
    :math:`\nu^\infty = g^{-1}(y/\alpha^2)` (:func:`g_inv`), from
    :math:`M(x) = U_1\mathrm{diag}(s)U_2^\top` and the flow of
    :class:`TwoLayerPointSystem` run from :math:`v_l(0) = \alpha\bar v_l`
    until :math:`f = y`. The seed's :math:`v_2^\infty` pairs :math:`a` with
    :math:`\cosh` (see :func:`thm6_seed_v2`); that is OCR/typesetting damage.

    Returns
    -------
    v1, v2 : ndarray
    nu : float (or mpf with ``dps``)

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import thm6_limits
    >>> Mx = np.diag([2., 1.])
    >>> v1, v2, nu = thm6_limits(Mx, 1.0, 1.0, np.array([1., 1.]), np.array([0., 0.]))
    >>> round(float(v1 @ Mx @ v2), 12)
    1.0
    """
    U1, s, U2, v1, v2, a, b = _thm6_coords(Mx, vbar1, vbar2)
    alpha = check_positive(alpha, "alpha")
    y = float(np.asarray(as_real_array(y, "y")))
    nu = g_inv(y / alpha**2, s, a, b, dps=dps)
    out1, out2 = two_layer_point_path(Mx, vbar1, vbar2, float(nu))
    return alpha * out1, alpha * out2, nu


def two_layer_point_path(Mx, vbar1, vbar2, nu):
    r"""The exact trajectory :math:`(v_1, v_2)(\nu)` of a two-layer tensor network on one point, from :math:`(\bar v_1, \bar v_2)`.

    :math:`v_1 = U_1(a\odot\cosh(\nu s)+b\odot\sinh(\nu s)) + (I-U_1U_1^\top)\bar v_1`,
    :math:`v_2 = U_2(a\odot\sinh(\nu s)+b\odot\cosh(\nu s)) + (I-U_2U_2^\top)\bar v_2`
    (:class:`TwoLayerPointSystem`), for any loss; :math:`\nu = -\int_0^t r`.
    Theorem 3 is its limit :math:`\nu\to\mathrm{sign}(y)\infty`, Theorem 6 its value at
    :math:`\nu = g^{-1}(y/\alpha^2)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import two_layer_point_path
    >>> v1, v2 = two_layer_point_path(np.diag([2., 1.]), np.array([1., 0.]), np.zeros(2), 0.0)
    >>> v1, v2
    (array([1., 0.]), array([0., 0.]))
    """
    U1, s, U2, v1, v2, a, b = _thm6_coords(Mx, vbar1, vbar2)
    nu = float(nu)
    ch, sh = np.cosh(nu * s), np.sinh(nu * s)
    return U1 @ (a * ch + b * sh) + (v1 - U1 @ a), U2 @ (a * sh + b * ch) + (v2 - U2 @ b)


def thm6_seed_v2(Mx, y, alpha, vbar1, vbar2):
    r"""The seed's printed :math:`v_2^\infty = \alpha U_2(a\odot\cosh + b\odot\sinh) + \dots` (wrong pairing).

    Kept only to measure, in the chapter, how far it is from the flow.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import thm6_seed_v2
    >>> thm6_seed_v2(np.diag([2., 1.]), 1.0, 1.0, np.array([1., 1.]), np.zeros(2)).shape
    (2,)
    """
    U1, s, U2, v1, v2, a, b = _thm6_coords(Mx, vbar1, vbar2)
    alpha = check_positive(alpha, "alpha")
    nu = g_inv(float(y) / alpha**2, s, a, b)
    return alpha * U2 @ (a * np.cosh(nu * s) + b * np.sinh(nu * s)) + alpha * (v2 - U2 @ b)


def polish_stationary(X, y, z, p, *, rel=1e-2, active=5e-2):
    r"""The stationary point of :math:`\min\|z\|_p^p` s.t. margins :math:`\ge1` that a direction is heading to.

    Takes the support :math:`S` and the nearly active margins :math:`T` of ``z``
    (scaled to minimum margin 1) and solves the Lagrange system on them,

    .. math::

        p|z_S|^{p-1}\odot\mathrm{sign}(z_S) = A_{T,S}^\top\mu,\qquad A_{T,S}z_S = \mathbf 1,

    by Newton's method (scipy ``root``) from ``z``. Used to name the limit of a
    flow observed at a finite time, whose margins are still off by the slow
    :math:`1/\log t`-type error; the answer is checked (:math:`\mu\ge0`, every other
    margin :math:`>1`, residual of the system) by the caller.

    Returns
    -------
    OptimizeResult
        ``x`` (z*, zero off S), ``mu``, ``fun`` (max residual of the system),
        ``min_mu``, ``min_inactive_margin``, ``success``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.yun2021 import polish_stationary
    >>> X, y = np.array([[2., 1.]]), np.array([1.])
    >>> r = polish_stationary(X, y, np.array([1., 1e-4]), 2 / 3)
    >>> r.x, r.success
    (array([0.5, 0. ]), True)
    """
    from scipy.optimize import root

    A, z = _normalized_margins(X, y, z)
    S = np.flatnonzero(np.abs(z) > rel * np.abs(z).max())
    T = np.flatnonzero(A @ z <= 1 + active)
    As = A[np.ix_(T, S)]
    sg = np.sign(z[S])

    def F(u):
        zs, mu = u[:S.size], u[S.size:]
        return np.concatenate([p * np.abs(zs) ** (p - 1) * sg - As.T @ mu, As @ zs - 1])

    from scipy.optimize import nnls

    mu0, _ = nnls(As.T, p * np.abs(z[S]) ** (p - 1) * sg)
    sol = root(F, np.concatenate([z[S], mu0]), method="lm", tol=1e-15)
    zs, mu = sol.x[:S.size], sol.x[S.size:]
    out = np.zeros_like(z)
    out[S] = zs
    marg = A @ out
    inactive = np.setdiff1d(np.arange(A.shape[0]), T)
    res = float(np.max(np.abs(F(sol.x))))
    min_mu = float(np.min(mu)) if mu.size else 0.0
    min_in = float(np.min(marg[inactive])) if inactive.size else np.inf
    ok = bool(res < 1e-10 and min_mu >= 0 and min_in > 1 and np.all(np.sign(zs) == sg))
    return OptimizeResult(x=out, mu=mu, fun=res, min_mu=min_mu, min_inactive_margin=min_in,
                          success=ok, support=S, active=T)


# --------------------------------------------------------------------------- drivers
def separable_instance(seed=3, n=4, d=6):
    """A seeded Gaussian binary classification instance ``(X, y)`` (labels +-1, separable as n < d).

    Examples
    --------
    >>> from ibtheory.theory.yun2021 import separable_instance
    >>> X, y = separable_instance()
    >>> X.shape, sorted(set(y.tolist())) <= [-1.0, 1.0]
    ((4, 6), True)
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.where(rng.standard_normal(n) > 0, 1.0, -1.0)
    return X, y


def direction_study(model, params, X, y, reference, s_eval=None):
    r"""Follow :math:`\beta(t)/\|\beta(t)\|` of an exponential-loss flow and compare it with a predicted direction.

    Parameters
    ----------
    model, params, X, y
        As in :func:`logtime_flow`.
    reference : {"l2", "l1", "fourier-l1", "stationary"} or ndarray
        The predicted limit: :func:`ibtheory.solvers.max_margin` with p = 2
        (Cor. 1) or p = 1 (Cor. 2, L = 2), :func:`ibtheory.solvers.fourier_max_margin`
        with L = 2 (Cor. 3), or the stationary point of the :math:`\ell_{2/L}`
        problem that the flow selects (Cor. 2, L >= 3; :func:`polish_stationary`,
        which must certify it), or a given vector.
    s_eval : array_like, optional
        Log-times (default ``logspace(1, 4, 10)``).

    Returns
    -------
    OptimizeResult
        ``s``, ``beta``, ``angle`` (radians, per s), ``z`` (the reference),
        ``rate`` (slope of log angle vs log s over the last decade),
        ``flow`` (the :func:`logtime_flow` result).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import DeepLinear, gaussian_init
    >>> from ibtheory.theory.yun2021 import direction_study, separable_instance
    >>> X, y = separable_instance()
    >>> net = DeepLinear([6, 4, 3, 1])
    >>> r = direction_study(net, gaussian_init(net, 0.5, seed=3), X, y, "l2", [10., 100., 1000.])
    >>> bool(r.angle[-1] < r.angle[0]), bool(r.angle[-1] < 0.05)
    (True, True)
    """
    if s_eval is None:
        s_eval = np.logspace(1, 4, 10)
    s_eval = as_real_array(s_eval, "s_eval")
    flow = logtime_flow(model, params, X, y, float(s_eval[-1]), s_eval)
    L = getattr(model, "L", None)
    if isinstance(reference, str):
        from ..solvers import fourier_max_margin, max_margin

        if reference == "l2":
            z = max_margin(X, y, p=2).x
        elif reference == "l1":
            z = max_margin(X, y, p=1).x
        elif reference == "fourier-l1":
            z = fourier_max_margin(X, y, 2).x
        elif reference == "stationary":
            pol = polish_stationary(X, y, flow.beta[-1], 2.0 / L)
            if not pol.success:
                raise RuntimeError("polish_stationary could not certify a stationary point")
            z = pol.x
        else:
            raise ValueError("reference must be 'l2', 'l1', 'fourier-l1', 'stationary' or a vector")
    else:
        z = as_real_array(reference, "reference")
    ang = np.array([angle(b, z) for b in flow.beta])
    last = flow.s >= flow.s[-1] / 10
    rate = observed_rate(flow.s[last], np.maximum(ang[last], 1e-300)) if last.sum() >= 2 else np.nan
    return OptimizeResult(s=flow.s, beta=flow.beta, angle=ang, z=z, rate=rate, flow=flow)
