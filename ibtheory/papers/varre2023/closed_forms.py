r"""Predictions of Varre et al. (2023), derived in ``derivation.py`` and the chapter.

Setting: data :math:`X\in\mathbb R^{n\times d}`, labels :math:`Y = XU_*`, network
:math:`f(x) = W_2^\top W_1^\top x`, loss :math:`\frac12\|Y - XW_1W_2\|_F^2`,
initialization (I) :math:`W_1 = \sqrt{2\gamma}P` (:math:`PP^\top = I_d`), :math:`W_2 = 0`.
Along gradient flow :math:`A^2 - 2\gamma A = \beta\beta^\top` with
:math:`A = W_1W_1^\top`, :math:`\beta = W_1W_2`, and the limit is
:math:`\beta_\infty = X^+Y`, :math:`\sigma_i(W_1^\infty)^2 = \gamma + \sqrt{\gamma^2 + \sigma_i(\beta_\infty)^2}`
(:math:`2\gamma` beyond the rank of :math:`\beta_\infty`).

:func:`printed_singular_values` is the corollary as the slides print it (the square
on :math:`\sigma_i(\beta)` lost); the chapter shows it wrong.

See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..._validation import as_real_array, check_int, check_positive

__all__ = [
    "PRINTED_GAP", "LAZY_ORTHOGONAL_SHARE", "LimitPrediction", "closed_form_limit", "printed_singular_values", "objective", "loss_bound",
    "share_along_beta", "outside_top_k_bound",
]


#: the printed corollary is shown wrong when it misses the flow's singular values by more than this
#: somewhere on the instances (the corrected one agrees to ~1e-8)
PRINTED_GAP = 0.01

#: at gamma = 1, d = 2 the predicted part of ||W1||^2 orthogonal to beta is 2/(a1 + 2) >= 0.1
#: whenever |beta| <= 16 (a1 = 1 + sqrt(1 + |beta|^2) <= 18): the lazy neurons fan out
LAZY_ORTHOGONAL_SHARE = 0.1


def _data(X, Y):
    X = as_real_array(X, "X")
    if X.ndim != 2 or 0 in X.shape:
        raise ValueError(f"X must be a non-empty 2-d array (n, d), got shape {X.shape}")
    Y = as_real_array(Y, "Y")
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y must have shape ({X.shape[0]},) or ({X.shape[0]}, k), got {Y.shape}")
    return X, Y


@dataclasses.dataclass(frozen=True)
class LimitPrediction:
    r"""The closed-form limit: ``beta`` (d, k), ``gram`` :math:`A_\infty` (d, d), ``singular_values`` of :math:`W_1^\infty` (d, descending), ``objective`` (the log-det objective)."""

    beta: np.ndarray
    gram: np.ndarray
    singular_values: np.ndarray
    objective: float


def closed_form_limit(X, Y, gamma):
    r"""The limit of gradient flow from (I), in closed form.

    .. math::

        \beta_\infty = X^+Y,\quad A_\infty = \gamma I + (\gamma^2 I + \beta_\infty\beta_\infty^\top)^{1/2},
        \quad \sigma_i(W_1^\infty) = \big(\gamma + \sqrt{\gamma^2 + \sigma_i(\beta_\infty)^2}\big)^{1/2},

    and the objective :math:`\operatorname{tr}A + \operatorname{tr}\beta^\top A^{-1}\beta - 2\gamma\log\det A`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.varre2023 import closed_form_limit
    >>> r = closed_form_limit(np.eye(2), np.array([[3.0], [0.0]]), gamma=2.0)
    >>> np.round(r.singular_values**2, 6)  # 2 + sqrt(4 + 9), 2 * 2
    array([5.605551, 4.      ])

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    X, Y = _data(X, Y)
    gamma = check_positive(gamma, "gamma")
    beta = np.linalg.pinv(X) @ Y
    ev, V = np.linalg.eigh(beta @ beta.T)
    a = gamma + np.sqrt(gamma**2 + np.maximum(ev, 0.0))
    A = (V * a) @ V.T
    fun = float(np.sum(a) + np.sum(beta * np.linalg.solve(A, beta)) - 2 * gamma * np.sum(np.log(a)))
    return LimitPrediction(beta=beta, gram=0.5 * (A + A.T), singular_values=np.sqrt(a[::-1]), objective=fun)


def printed_singular_values(X, Y, gamma):
    r"""The corollary as the slides print it: :math:`(\sqrt{\sigma_i(\beta) + \gamma^2} + \gamma)^{1/2}` (wrong).

    It agrees with :func:`closed_form_limit` only where :math:`\sigma_i(\beta)\in\{0, 1\}`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.varre2023 import printed_singular_values
    >>> np.round(printed_singular_values(np.eye(2), np.array([[3.0], [0.0]]), 2.0) ** 2, 6)
    array([4.645751, 4.      ])

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    X, Y = _data(X, Y)
    gamma = check_positive(gamma, "gamma")
    s = np.linalg.svd(np.linalg.pinv(X) @ Y, compute_uv=False)
    s = np.concatenate([s, np.zeros(X.shape[1] - s.size)])[: X.shape[1]]
    return np.sqrt(np.sqrt(s + gamma**2) + gamma)


def objective(W1, W2, gamma):
    r""":math:`\|W_1\|_F^2 + \|W_2\|_F^2 - 2\gamma\log\det(W_1W_1^\top)` (the d x d Gram, see the chapter).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.varre2023 import objective
    >>> float(objective(np.eye(2), np.zeros((2, 1)), 0.5))
    2.0

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    W1, W2 = as_real_array(W1, "W1"), as_real_array(W2, "W2")
    if W1.ndim != 2 or W2.ndim != 2 or W1.shape[1] != W2.shape[0]:
        raise ValueError(f"W1 (d, l) and W2 (l, k) must chain, got {W1.shape} and {W2.shape}")
    gamma = check_positive(gamma, "gamma")
    sign, ld = np.linalg.slogdet(W1 @ W1.T)
    if sign <= 0:
        raise ValueError("W1 must have full row rank (W1 W1^T positive definite)")
    return float(np.sum(W1**2) + np.sum(W2**2) - 2 * gamma * ld)


def loss_bound(X, Y, gamma, t):
    r"""The Polyak-Lojasiewicz bound :math:`\mathcal L(t) \le \mathcal L(0)e^{-4\gamma\mu t}`.

    :math:`\mu` is the smallest non-zero eigenvalue of :math:`XX^\top`; it holds
    because :math:`A \succeq 2\gamma I` and :math:`R \in \operatorname{range}(X)`.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.papers.varre2023 import loss_bound
    >>> float(loss_bound(np.eye(1), np.ones(1), 0.25, 1.0))  # 0.5 exp(-1)
    0.18393972058572117

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    X, Y = _data(X, Y)
    gamma = check_positive(gamma, "gamma")
    s = np.linalg.svd(X, compute_uv=False)
    mu = float(s[s > s[0] * max(X.shape) * np.finfo(float).eps][-1] ** 2)
    return 0.5 * float(np.sum(Y**2)) * np.exp(-4 * gamma * mu * as_real_array(t, "t"))


def share_along_beta(beta_norm, gamma, d):
    r"""Predicted share of :math:`\|W_1^\infty\|_F^2` along :math:`\beta_\infty` for ``k = 1``.

    :math:`a_1/(a_1 + 2\gamma(d-1))` with :math:`a_1 = \gamma + \sqrt{\gamma^2 + \|\beta_\infty\|^2}`
    (:math:`W_1^\infty = A_\infty^{1/2}O`, :math:`O` semi-orthogonal).

    Examples
    --------
    >>> from ibtheory.papers.varre2023 import share_along_beta
    >>> round(float(share_along_beta(0.0, 1.0, 2)), 6)  # beta = 0: isotropic, 1/d
    0.5

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    b = as_real_array(beta_norm, "beta_norm")
    gamma = check_positive(gamma, "gamma")
    d = check_int(d, "d", 1)
    a1 = gamma + np.sqrt(gamma**2 + b**2)
    return a1 / (a1 + 2 * gamma * (d - 1))


def outside_top_k_bound(beta_svals, gamma, d):
    r"""Upper bound on the share of :math:`\|W_1^\infty\|_F^2` outside the top ``k`` singular values.

    With :math:`a_i = \gamma + \sqrt{\gamma^2 + s_i^2} \ge s_i` for the ``k`` singular values
    :math:`s_i` of :math:`\beta_\infty` and :math:`2\gamma` for the other ``d - k``,
    the share is :math:`2\gamma(d-k)/(\sum_{i\le k}a_i + 2\gamma(d-k)) \le 2\gamma(d-k)/\sum_{i\le k}s_i`:
    linear in :math:`\gamma`, the rich regime.

    Examples
    --------
    >>> from ibtheory.papers.varre2023 import outside_top_k_bound
    >>> float(outside_top_k_bound([2.0, 2.0], 1e-3, 6))
    0.002

    See the book chapter *Spectral bias of two-layer linear networks* (``book/varre2023.md``).
    """
    s = as_real_array(beta_svals, "beta_svals")
    gamma = check_positive(gamma, "gamma")
    d = check_int(d, "d", 1)
    k = s.shape[-1]
    if k > d:
        raise ValueError(f"beta_svals must hold at most d = {d} values, got {k}")
    return 2 * gamma * (d - k) / np.sum(s, axis=-1)
