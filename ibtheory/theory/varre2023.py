r"""Spectral bias of two-layer linear networks (Varre, Vladarean, Pillaud-Vivien, Flammarion 2023).

The theory layer of the chapter *Spectral bias of two-layer linear networks*
(``book/varre2023.md``): closed forms, the SymPy derivation object and the
experiment drivers, so that no logic lives only in a notebook cell.

Setting: data :math:`X\in\mathbb R^{n\times d}`, labels :math:`Y = XU_*`,
network :math:`f(x) = W_2^\top W_1^\top x`, loss
:math:`\frac12\|Y - XW_1W_2\|_F^2`, initialization (I)
:math:`W_1 = \sqrt{2\gamma}P` (:math:`PP^\top = I_d`), :math:`W_2 = 0`.
Along gradient flow, with :math:`A = W_1W_1^\top` and :math:`\beta = W_1W_2`,

.. math::

    A^2 - 2\gamma A = \beta\beta^\top, \qquad
    A^{-1}\beta \in \operatorname{range}(X^\top), \qquad
    \dot\beta = X^\top R\,\beta^\top A^{-1}\beta + A X^\top R,\quad R = Y - X\beta,

so the limit is :math:`\beta_\infty = X^+Y` and
:math:`\sigma_i(W_1^\infty)^2 = \gamma + \sqrt{\gamma^2 + \sigma_i(\beta_\infty)^2}`
(:math:`2\gamma` beyond the rank of :math:`\beta_\infty`).
"""
from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import OptimizeResult

from .._validation import as_real_array, check_positive

__all__ = [
    "VarreDerivation", "make_data", "closed_form_limit", "seed_singular_values", "objective",
    "run_flow", "compare_limit", "reduced_flow", "loss_bound", "range_leak",
    "numerical_rank", "effective_rank", "energy_fraction", "neuron_alignment",
    "lngd_alignment", "relu_teacher_data", "relu_feature_recovery",
]


# ----------------------------------------------------------------- validators
def _int(v, name, minimum=1):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v!r}")
    return int(v)


def _data(X, Y):
    X = as_real_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-d array (n, d), got shape {X.shape}")
    Y = as_real_array(Y, "Y")
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y must have shape ({X.shape[0]},) or ({X.shape[0]}, k), got {Y.shape}")
    return X, Y


# ------------------------------------------------------------------- SymPy
class VarreDerivation:
    r"""SymPy derivation of the flow, the conservation law and the corollary.

    Attributes (derived on construction, ``sympy`` expressions)

    - ``system``: :class:`ibtheory.symbolic.TwoLayerSystem` at size
      ``(d, l, k, n)``; ``flow`` is :math:`-\partial\mathcal L/\partial W_i`
      element by element, ``flow_matrix`` the matrix form
      :math:`\dot W_1 = X^\top R W_2^\top`, :math:`\dot W_2 = W_1^\top X^\top R`.
    - ``scalar_objective``: the log-det problem in one singular direction,
      :math:`a + s^2/a - 2\gamma\log a` with :math:`a = \sigma_i(W_1)^2`,
      :math:`s = \sigma_i(\beta)` (minimizing :math:`\|W_2\|^2` at fixed
      :math:`\beta, A` gives :math:`\operatorname{tr}\beta^\top A^{-1}\beta`).
    - ``gram_eigenvalue``: its unique positive stationary point
      :math:`a^* = \gamma + \sqrt{\gamma^2 + s^2}`;
      ``second_derivative`` at :math:`a^*` (positive: a minimum).
    - ``singular_value`` :math:`= \sqrt{a^*}`; ``seed_singular_value`` the
      OCR'd slide's :math:`(\sqrt{s + \gamma^2} + \gamma)^{1/2}`;
      ``seed_difference`` their difference (not zero).
    - ``value_slope``: :math:`\frac{d}{ds}\min_a(\cdots) = 2s/a^*` (positive,
      so the minimum-norm interpolator minimizes every term).
    - ``pl_rate``: the decay rate :math:`4\gamma\mu` of the loss bound.

    Examples
    --------
    >>> from ibtheory.theory.varre2023 import VarreDerivation
    >>> D = VarreDerivation()
    >>> D.gram_eigenvalue
    g + sqrt(g**2 + s**2)
    >>> D.proves_conservation, D.matrix_form_ok, D.seed_difference == 0
    (True, True, False)
    """

    def __init__(self, d=2, l=2, k=1, n=1):
        import sympy as sp

        from ..symbolic import TwoLayerSystem

        self.system = TwoLayerSystem(d=d, l=l, k=k, n=n)
        self.flow = self.system.flow
        self.flow_matrix = self.system.flow_matrix
        self.matrix_form_ok = all(m.is_zero_matrix for m in self.system.matrix_form_residual())
        self.proves_conservation = self.system.proves_conservation(any_loss=True)
        a, s, g, mu = sp.symbols("a s g mu", positive=True)
        self.a, self.s, self.g = a, s, g
        self.scalar_objective = a + s**2 / a - 2 * g * sp.log(a)
        roots = sp.solve(sp.Eq(sp.diff(self.scalar_objective, a), 0), a)
        pos = [r for r in roots if r.is_positive is not False and sp.simplify(r.subs({s: 1, g: 1})) > 0]
        if len(pos) != 1:  # pragma: no cover - guards the derivation
            raise RuntimeError(f"expected one positive stationary point, got {roots}")
        self.gram_eigenvalue = pos[0]
        self.second_derivative = sp.simplify(
            sp.diff(self.scalar_objective, a, 2).subs(a, self.gram_eigenvalue))
        self.singular_value = sp.sqrt(self.gram_eigenvalue)
        self.seed_singular_value = sp.sqrt(sp.sqrt(s + g**2) + g)
        self.seed_difference = sp.simplify(self.singular_value - self.seed_singular_value)
        value = self.scalar_objective.subs(a, self.gram_eigenvalue)
        self.value_slope = sp.simplify(sp.diff(value, s))
        # dL/dt <= -||W1^T X^T R||^2 <= -2 g mu ||R||^2 = -4 g mu L  (A >= 2 g I).
        self.pl_rate = 4 * g * mu

    @property
    def quadratic_residual(self):
        """:math:`a^{*2} - 2\\gamma a^* - s^2` simplified (zero: the Gram identity in one direction)."""
        import sympy as sp

        a = self.gram_eigenvalue
        return sp.simplify(sp.expand(a**2 - 2 * self.g * a - self.s**2))


# ------------------------------------------------------------ closed forms
def make_data(n, d, k=1, seed=0):
    """Gaussian data ``X`` (n, d), teacher ``U`` (d, k) and labels ``Y = X U`` (n, k).

    Examples
    --------
    >>> from ibtheory.theory.varre2023 import make_data
    >>> X, Y, U = make_data(4, 6, 2, seed=0)
    >>> X.shape, Y.shape, U.shape
    ((4, 6), (4, 2), (6, 2))
    """
    n, d, k = _int(n, "n"), _int(d, "d"), _int(k, "k")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    U = rng.standard_normal((d, k))
    return X, X @ U, U


def closed_form_limit(X, Y, gamma):
    r"""The limit of gradient flow from (I), in closed form.

    .. math::

        \beta_\infty = X^+Y,\quad A_\infty = \gamma I + (\gamma^2 I + \beta_\infty\beta_\infty^\top)^{1/2},
        \quad \sigma_i(W_1^\infty) = \big(\gamma + \sqrt{\gamma^2 + \sigma_i(\beta_\infty)^2}\big)^{1/2}.

    Returns
    -------
    OptimizeResult
        ``beta`` (d, k), ``gram`` :math:`A_\infty` (d, d), ``singular_values``
        of :math:`W_1^\infty` (d, descending) and ``fun``, the log-det
        objective :math:`\operatorname{tr}A + \operatorname{tr}\beta^\top A^{-1}\beta - 2\gamma\log\det A`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.varre2023 import closed_form_limit
    >>> r = closed_form_limit(np.eye(2), np.array([[3.0], [0.0]]), gamma=2.0)
    >>> np.round(r.singular_values**2, 6)  # 2 + sqrt(4 + 9), 2 * 2
    array([5.605551, 4.      ])
    """
    X, Y = _data(X, Y)
    gamma = check_positive(gamma, "gamma")
    beta = np.linalg.pinv(X) @ Y
    ev, V = np.linalg.eigh(beta @ beta.T)
    a = gamma + np.sqrt(gamma**2 + np.maximum(ev, 0.0))
    A = (V * a) @ V.T
    fun = float(np.sum(a) + np.sum(beta * np.linalg.solve(A, beta)) - 2 * gamma * np.sum(np.log(a)))
    return OptimizeResult(beta=beta, gram=0.5 * (A + A.T), singular_values=np.sqrt(a[::-1]), fun=fun)


def seed_singular_values(X, Y, gamma):
    r"""The seed slide's formula as OCR'd, :math:`(\sqrt{\sigma_i(\beta) + \gamma^2} + \gamma)^{1/2}` (wrong).

    Shown in the chapter next to the corrected :func:`closed_form_limit`.
    """
    X, Y = _data(X, Y)
    gamma = check_positive(gamma, "gamma")
    s = np.linalg.svd(np.linalg.pinv(X) @ Y, compute_uv=False)
    d = X.shape[1]
    s = np.concatenate([s, np.zeros(d - s.size)])
    return np.sqrt(np.sqrt(s + gamma**2) + gamma)


def objective(W1, W2, gamma):
    r""":math:`\|W_1\|_F^2 + \|W_2\|_F^2 - 2\gamma\log\det(W_1W_1^\top)` (the d x d Gram, see the chapter).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.varre2023 import objective
    >>> float(objective(np.eye(2), np.zeros((2, 1)), 0.5))
    2.0
    """
    W1, W2 = as_real_array(W1, "W1"), as_real_array(W2, "W2")
    gamma = check_positive(gamma, "gamma")
    sign, ld = np.linalg.slogdet(W1 @ W1.T)
    if sign <= 0:
        raise ValueError("W1 must have full row rank (W1 W1^T positive definite)")
    return float(np.sum(W1**2) + np.sum(W2**2) - 2 * gamma * ld)


# ------------------------------------------------------------ flow drivers
def run_flow(X, Y, gamma, l=None, seed=0, stat_tol=1e-10, rtol=1e-12, record=("loss",), t_eval=None):
    """Gradient flow from initialization (I) (``ibtheory.dynamics.gradient_flow``); raises if it fails.

    Returns the :class:`ibtheory.dynamics.FlowResult`, with the model as ``.model``.
    With ``t_eval`` the flow is integrated to ``t_eval[-1]`` (no tolerance).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.varre2023 import make_data, run_flow
    >>> X, Y, _ = make_data(3, 4, 1, seed=0)
    >>> res = run_flow(X, Y, gamma=0.1)
    >>> bool(np.allclose(res.model.beta(res.x), np.linalg.pinv(X) @ Y[:, 0], atol=1e-8))
    True
    """
    from ..dynamics import gradient_flow
    from ..models import TwoLayerLinear, varre_init

    X, Y = _data(X, Y)
    d, k = X.shape[1], Y.shape[1]
    l = d if l is None else _int(l, "l")
    net = TwoLayerLinear(d=d, l=l, k=k)
    y = Y[:, 0] if k == 1 else Y
    kw = dict(t_eval=t_eval, t_max=float(t_eval[-1])) if t_eval is not None else dict(stat_tol=stat_tol)
    res = gradient_flow(net, varre_init(net, gamma=gamma, seed=seed), X, y, rtol=rtol, record=record, **kw)
    if not res.success:
        raise RuntimeError(f"gradient flow from (I) did not converge (gamma={gamma}): {res.message}")
    res.model = net
    return res


def compare_limit(X, Y, gamma, l=None, seed=0, stat_tol=1e-10):
    r"""Flow limit vs ``logdet_factorization`` vs :func:`closed_form_limit` (three routes).

    Returns a dict of relative discrepancies: ``beta_flow_pinv``,
    ``gram_flow_closed``, ``gram_flow_solver``, ``gram_solver_closed``,
    ``sv_flow_closed`` (max abs error of all d singular values of
    :math:`W_1^\infty`), ``objective_flow_solver`` (relative gap of the
    log-det objective) and the final ``loss``, ``drift`` and ``t_final``.
    """
    from ..solvers import logdet_factorization

    X, Y = _data(X, Y)
    res = run_flow(X, Y, gamma, l=l, seed=seed, stat_tol=stat_tol)
    W1, W2 = res.x
    beta = W1 @ W2
    A = W1 @ W1.T
    cf = closed_form_limit(X, Y, gamma)
    sol = logdet_factorization(X, Y, gamma)
    rel = lambda a, b: float(np.linalg.norm(a - b) / np.linalg.norm(b))  # noqa: E731
    f_flow = objective(W1, W2, gamma)
    return dict(
        beta_flow_pinv=rel(beta, cf.beta),
        gram_flow_closed=rel(A, cf.gram),
        gram_flow_solver=rel(A, sol.gram),
        gram_solver_closed=rel(sol.gram, cf.gram),
        sv_flow_closed=float(np.max(np.abs(np.linalg.svd(W1, compute_uv=False) - cf.singular_values))),
        objective_flow_solver=abs(f_flow - sol.fun) / abs(sol.fun),
        loss=float(res.fun), drift=float(res.drift), t_final=float(res.t_final),
        singular_values=np.linalg.svd(W1, compute_uv=False),
    )


def reduced_flow(X, Y, gamma, t_eval, rtol=1e-13):
    r"""Integrate the reduced dynamics of :math:`\beta` alone (independent of width and of :math:`P`).

    .. math::

        \dot\beta = X^\top R\,\beta^\top A^{-1}\beta + A X^\top R, \quad
        A = \gamma I + (\gamma^2 I + \beta\beta^\top)^{1/2}, \quad R = Y - X\beta,

    from :math:`\beta(0) = 0` with DOP853 (SciPy, not the engine). Returns
    ``beta`` (T, d, k) and the singular values ``svals`` (T, d) of
    :math:`W_1(t) = A(t)^{1/2}` at the times ``t_eval``.
    """
    from scipy.integrate import solve_ivp

    X, Y = _data(X, Y)
    gamma = check_positive(gamma, "gamma")
    t_eval = as_real_array(t_eval, "t_eval").ravel()
    d, k = X.shape[1], Y.shape[1]

    def gram(b):
        ev, V = np.linalg.eigh(b @ b.T)
        a = gamma + np.sqrt(gamma**2 + np.maximum(ev, 0.0))
        return (V * a) @ V.T, a

    def rhs(t, v):
        b = v.reshape(d, k)
        A, _ = gram(b)
        G = X.T @ (Y - X @ b)
        return (G @ (b.T @ np.linalg.solve(A, b)) + A @ G).ravel()

    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), np.zeros(d * k), method="DOP853", t_eval=t_eval,
                    rtol=rtol, atol=1e-14)
    if not sol.success:
        raise RuntimeError(f"reduced flow failed: {sol.message}")
    betas = sol.y.T.reshape(-1, d, k)
    svals = np.array([np.sqrt(np.sort(gram(b)[1])[::-1]) for b in betas])
    return OptimizeResult(t=sol.t, beta=betas, svals=svals)


def loss_bound(X, Y, gamma, t):
    r"""The Polyak-Lojasiewicz bound :math:`\mathcal L(t) \le \mathcal L(0)e^{-4\gamma\mu t}`.

    :math:`\mu` is the smallest non-zero eigenvalue of :math:`XX^\top`; it holds
    because :math:`A \succeq 2\gamma I` and :math:`R \in \operatorname{range}(X)`.
    """
    X, Y = _data(X, Y)
    gamma = check_positive(gamma, "gamma")
    s = np.linalg.svd(X, compute_uv=False)
    mu = float(s[s > s[0] * max(X.shape) * np.finfo(float).eps][-1] ** 2)
    return 0.5 * float(np.sum(Y**2)) * np.exp(-4 * gamma * mu * as_real_array(t, "t"))


def range_leak(X, betas):
    """Relative norm of the component of each ``beta(t)`` outside range(X^T) (0 for all t by the theory)."""
    X = as_real_array(X, "X")
    B = as_real_array(betas, "betas")
    B = B.reshape(B.shape[0], X.shape[1], -1)
    _, s, Vt = np.linalg.svd(X, full_matrices=False)
    V = Vt[s > s[0] * max(X.shape) * np.finfo(float).eps].T
    out = B - V @ (V.T @ B)
    nb = np.linalg.norm(B, axis=(1, 2))
    return np.linalg.norm(out, axis=(1, 2)) / np.where(nb > 0, nb, 1.0)


# -------------------------------------------------------------- measures
def numerical_rank(svals, tau=0.1):
    r"""Number of singular values :math:`\ge \tau\,\sigma_1` (last axis)."""
    s = as_real_array(svals, "svals")
    tau = check_positive(tau, "tau")
    return np.sum(s >= tau * np.max(s, axis=-1, keepdims=True), axis=-1)


def effective_rank(W):
    r"""Participation ratio :math:`(\sum_i\sigma_i)^2/\sum_i\sigma_i^2` of the singular values (batched).

    It is ``min(W.shape)`` for equal singular values and 1 for a rank-one matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.theory.varre2023 import effective_rank
    >>> float(effective_rank(np.eye(3))), float(effective_rank(np.outer([1, 2], [3, 4, 5])))
    (3.0, 1.0)
    """
    s = np.linalg.svd(as_real_array(W, "W"), compute_uv=False)
    return np.sum(s, axis=-1) ** 2 / np.sum(s**2, axis=-1)


def energy_fraction(svals, k):
    r"""Share :math:`\sum_{i\le k}\sigma_i^2/\sum_i\sigma_i^2` of :math:`\|W\|_F^2` in the top ``k`` values."""
    s = np.sort(as_real_array(svals, "svals"), axis=-1)[..., ::-1]
    k = _int(k, "k")
    return np.sum(s[..., :k] ** 2, axis=-1) / np.sum(s**2, axis=-1)


def neuron_alignment(W1, direction):
    r"""Share of :math:`\|W_1\|_F^2` along ``direction`` and mean :math:`|\cos|` of the neurons with it.

    The neurons are the ``l`` columns of :math:`W_1\in\mathbb R^{d\times l}`.
    """
    W1 = as_real_array(W1, "W1")
    u = as_real_array(direction, "direction").ravel()
    u = u / np.linalg.norm(u)
    proj = u @ W1
    nrm = np.linalg.norm(W1, axis=0)
    return float(np.sum(proj**2) / np.sum(W1**2)), float(np.mean(np.abs(proj) / nrm))


# ------------------------------------------------------------------ LNGD
def lngd_alignment(X, Y, gamma, sigmas, l, n_seeds=8, dt=0.02, n_chunks=20, chunk=1000, seed=0):
    r"""Label-noise SDE (Euler-Maruyama) from (I): effective rank of :math:`W_1` over time.

    All ``len(sigmas) * n_seeds`` runs advance in one batched
    :func:`ibtheory.dynamics.label_noise_sde` call per chunk of ``chunk``
    steps (independent noises; initialization seeds ``seed + i``).

    Returns
    -------
    OptimizeResult
        ``t`` (n_chunks + 1,), ``effective_rank`` and ``loss`` of shape
        (len(sigmas), n_seeds, n_chunks + 1), ``beta_error`` (relative distance of
        the final :math:`\beta` to :math:`X^+Y`, same leading shape), ``success``.
    """
    from ..dynamics import label_noise_sde
    from ..models import TwoLayerLinear, varre_init

    X, Y = _data(X, Y)
    sig = as_real_array(sigmas, "sigmas").ravel()
    if np.any(sig < 0):
        raise ValueError("sigmas must be >= 0")
    n_seeds, n_chunks, chunk = _int(n_seeds, "n_seeds"), _int(n_chunks, "n_chunks"), _int(chunk, "chunk")
    d, k = X.shape[1], Y.shape[1]
    net = TwoLayerLinear(d=d, l=_int(l, "l"), k=k)
    y = Y[:, 0] if k == 1 else Y
    inits = [varre_init(net, gamma=gamma, seed=seed + i) for i in range(n_seeds)]
    params = [tuple(np.stack([p[j] for p in inits]) for j in range(2)) for _ in sig]
    S, T = sig.size, n_chunks + 1
    er, lo = np.empty((S, n_seeds, T)), np.empty((S, n_seeds, T))
    ok = True
    for i, s in enumerate(sig):
        P = params[i]
        er[i, :, 0] = effective_rank(P[0])
        lo[i, :, 0] = net.loss(P, X, y)
        for c in range(n_chunks):
            r = label_noise_sde(net, P, X, y, dt=dt, n_steps=chunk, sigma=float(s),
                                seed=seed + 1000 * (i + 1) + c, record_every=chunk)
            ok = ok and bool(r.success)
            P = r.x
            er[i, :, c + 1] = effective_rank(P[0])
            lo[i, :, c + 1] = r.loss[:, -1]
        params[i] = P
    b_mn = np.linalg.pinv(X) @ Y
    berr = np.array([[np.linalg.norm(P[0][j] @ P[1][j] - b_mn) / np.linalg.norm(b_mn)
                      for j in range(n_seeds)] for P in params])
    return OptimizeResult(t=dt * chunk * np.arange(T), effective_rank=er, loss=lo, beta_error=berr,
                          sigmas=sig, success=ok)


# ------------------------------------------------------------------ ReLU
def relu_teacher_data(n=100, d=5, seed=0):
    r"""Inputs :math:`x_i\sim\mathcal N(0, I_d)`, labels :math:`[u^\top x]_+ + [v^\top x]_+`.

    ``u, v`` are orthonormal (a random pair from ``seed``). Returns ``X, y, u, v``.
    """
    n, d = _int(n, "n"), _int(d, "d", 2)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Q = np.linalg.qr(rng.standard_normal((d, 2)))[0]
    u, v = Q[:, 0], Q[:, 1]
    return X, np.maximum(X @ u, 0) + np.maximum(X @ v, 0), u, v


def relu_feature_recovery(scales, n_seeds=4, m=20, n=100, d=5, lr=0.05, n_steps=3000, record_every=100,
                          data_seed=0):
    r"""Gradient descent on a bias-free two-layer ReLU student from Gaussian init of std ``scale``.

    Every (scale, seed) run advances in one batched
    :func:`ibtheory.dynamics.gradient_descent` call (mean-squared loss).
    Measures per run: ``top2`` (share of :math:`\|W_1\|_F^2` in the top two
    singular values), ``alignment`` (norm-weighted mean over neurons of the
    largest :math:`|\cos|` with ``u`` or ``v``), final ``loss``, held-out
    ``test_loss`` (2000 fresh inputs), and the singular values of the first
    layer over time ``svals`` (runs, times, d) at steps ``steps``.
    """
    from ..dynamics import gradient_descent
    from ..models import TwoLayerReLU, gaussian_init

    sc = as_real_array(scales, "scales").ravel()
    if np.any(sc <= 0):
        raise ValueError("scales must be > 0")
    n_seeds = _int(n_seeds, "n_seeds")
    X, y, u, v = relu_teacher_data(n, d, data_seed)
    net = TwoLayerReLU(d=d, m=_int(m, "m"), bias=False)
    runs = [gaussian_init(net, scale=float(s), seed=j)
            for s in sc for j in range(n_seeds)]
    P = tuple(np.stack([p[q] for p in runs]) for q in range(2))
    r = gradient_descent(net, P, X, y, lr=lr, n_steps=_int(n_steps, "n_steps"), loss="mean",
                         record=("loss", "svals"), record_every=_int(record_every, "record_every"))
    W = r.x[0]
    s = np.linalg.svd(W, compute_uv=False)
    nrm = np.linalg.norm(W, axis=2)
    D = W / np.where(nrm > 0, nrm, 1.0)[..., None]
    cos = np.maximum(np.abs(D @ u), np.abs(D @ v))
    align = np.sum(cos * nrm**2, axis=1) / np.sum(nrm**2, axis=1)
    Xt = np.random.default_rng(data_seed + 1).standard_normal((2000, d))
    yt = np.maximum(Xt @ u, 0) + np.maximum(Xt @ v, 0)
    test = np.mean((net.forward(r.x, Xt) - yt) ** 2, axis=1)
    shape = (sc.size, n_seeds)
    return OptimizeResult(
        scales=sc, top2=energy_fraction(s, 2).reshape(shape), alignment=align.reshape(shape),
        loss=np.asarray(r.fun).reshape(shape), test_loss=test.reshape(shape),
        svals=r.records["svals"][0], steps=r.steps, final_svals=s.reshape(shape + (d,)),
        success=bool(r.success), u=u, v=v, W1=W.reshape(shape + W.shape[1:]),
    )
