r"""Independent second routes for Marion & Chizat (2024).

Everything here is *independent of the function it checks*: it imports nothing from
:mod:`ibtheory.papers.marion2024`, :mod:`ibtheory.solvers` or :mod:`ibtheory.dynamics`,
and uses other algorithms (finite differences of an explicitly multiplied network,
plain Python loops, a dense grid with golden-section refinement):

- :func:`minimizer_sharpness_fd`: the sharpness of a minimizer as
  :math:`2\lambda_{\max}(J^\top\Sigma J)`, :math:`J` by central differences of :math:`\beta`;
- :func:`infimum_grid`: :math:`\min_x` of the rank-one profile on a log grid, refined;
- :func:`gd_loop`: one run of gradient descent on a chain with explicit gradients.

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``).
"""
from __future__ import annotations

import numpy as np

from .._validation import as_real_array

__all__ = ["end_to_end", "minimizer_sharpness_fd", "infimum_grid", "gd_loop"]


def end_to_end(layers):
    """:math:`\\beta = (W_L\\cdots W_1)^\\top` by explicit products (layers ``W_1..W_L``, ``W_L`` one row).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.marion2024 import end_to_end
    >>> end_to_end([np.eye(2) * 2, np.array([[1.0, 3.0]])]).tolist()
    [2.0, 6.0]
    """
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__len__") or not hasattr(layers, "__getitem__"):
        raise TypeError(f"layers must be a sequence of 2-D arrays W_1..W_L, got {type(layers).__name__}")
    if len(layers) == 0:
        raise ValueError("layers must hold at least one layer")
    Ws = [as_real_array(W, f"layers[{k}]") for k, W in enumerate(layers)]
    for k, W in enumerate(Ws):
        if W.ndim != 2 or W.size == 0:
            raise ValueError(f"layers[{k}] must be a non-empty 2-D array, got shape {W.shape}")
        if k and W.shape[1] != Ws[k - 1].shape[0]:
            raise ValueError(f"layers[{k}] must have {Ws[k - 1].shape[0]} columns (the rows of layers[{k - 1}]), "
                             f"got shape {W.shape}")
    P = Ws[0]
    for W in Ws[1:]:
        P = W @ P
    if P.shape[0] != 1:
        raise ValueError("the last layer must have one row")
    return P[0]


def minimizer_sharpness_fd(layers, Sigma, h=1e-6):
    """:math:`2\\lambda_{\\max}(J^\\top\\Sigma J)` with :math:`J = \\partial\\beta/\\partial\\theta` by central differences.

    At a minimizer this is the sharpness of :math:`R = \\frac1n\\|y-X\\beta\\|^2` (the residual
    term of the Hessian vanishes). Accuracy :math:`O(h^2)` (exact for the multilinear
    :math:`\\beta` up to rounding: the third difference term is :math:`O(h^2)`).

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.marion2024 import minimizer_sharpness_fd
    >>> round(minimizer_sharpness_fd([np.array([[1.0]]), np.array([[1.0]])], np.eye(1)), 8)   # 2 L s pi^(2-2/L)
    4.0
    """
    layers = [np.array(W, dtype=float) for W in layers]
    cols = []
    for k, W in enumerate(layers):
        for idx in np.ndindex(W.shape):
            plus = [V.copy() for V in layers]
            minus = [V.copy() for V in layers]
            plus[k][idx] += h
            minus[k][idx] -= h
            cols.append((end_to_end(plus) - end_to_end(minus)) / (2 * h))
    J = np.array(cols).T                    # (d, n_params)
    G = J.T @ np.asarray(Sigma, float) @ J
    return float(2 * np.linalg.eigvalsh(0.5 * (G + G.T))[-1])


def infimum_grid(L, Sigma, pi_star, n_grid=2001, span=8.0, refine=200):
    """:math:`2P^2\\min_x\\lambda_{\\max}(x\\Sigma + (L-1)(P^2x)^{-1/(L-1)}ss^\\top)` by a log grid and golden section.

    The grid covers :math:`x\\in P^{-2/L}[e^{-\\text{span}}, e^{\\text{span}}]`; the best
    cell is refined by ``refine`` golden-section steps.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.marion2024 import infimum_grid
    >>> round(infimum_grid(2, np.eye(2), np.array([1.0, 0.0])), 10)   # isotropic: 2 L a |pi|^(2-2/L) = 4
    4.0
    """
    Sigma = np.asarray(Sigma, float)
    pi = np.asarray(pi_star, float)
    P = float(np.linalg.norm(pi))
    w, U = np.linalg.eigh(Sigma)
    s = U @ (np.sqrt(w) * (U.T @ (pi / P)))
    S2 = np.outer(s, s)

    def f(t):
        x = np.exp(t)
        return np.linalg.eigvalsh(x * Sigma + (L - 1) * (P * P * x) ** (-1.0 / (L - 1)) * S2)[-1]

    t0 = -2.0 / L * np.log(P)
    ts = np.linspace(t0 - span, t0 + span, n_grid)
    vals = [f(t) for t in ts]
    i = int(np.argmin(vals))
    a, b = ts[max(i - 1, 0)], ts[min(i + 1, n_grid - 1)]
    gr = (np.sqrt(5) - 1) / 2
    c, d = b - gr * (b - a), a + gr * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(refine):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - gr * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + gr * (b - a)
            fd = f(d)
    return float(2 * P * P * min(fc, fd, min(vals)))


def gd_loop(layers, head, X, y, lr, n_steps, train_head=True):
    """One gradient-descent run on :math:`\\frac1n\\|y - XQ_1^\\top\\cdots Q_m^\\top u\\|^2`, plain loops.

    The gradient is formed by the explicit product rule
    :math:`\\partial R/\\partial Q_k = (Q_{k+1}^\\top\\cdots Q_m^\\top u)\\,(Q_{k-1}\\cdots Q_1 g)^\\top`,
    :math:`g = -\\frac2nX^\\top r`. Returns ``(layers, head, losses)`` with the loss of every iterate.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.reference.marion2024 import gd_loop
    >>> _, _, losses = gd_loop([np.eye(1)], np.ones(1), np.ones((1, 1)), np.array([2.0]), 0.1, 50)
    >>> bool(losses[-1] < 1e-6)
    True
    """
    Q = [np.array(W, dtype=float) for W in layers]
    u = np.array(head, dtype=float)
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    n = X.shape[0]
    losses = []
    for t in range(n_steps + 1):
        beta = u.copy()
        for W in reversed(Q):
            beta = W.T @ beta
        r = y - X @ beta
        losses.append(float(r @ r) / n)
        if t == n_steps:
            break
        g = -2.0 / n * (X.T @ r)
        grads = []
        for k in range(len(Q)):
            left = u.copy()
            for W in reversed(Q[k + 1:]):
                left = W.T @ left
            right = g.copy()
            for W in Q[:k]:
                right = W @ right
            grads.append(np.outer(left, right))
        gu = g.copy()
        for W in Q:
            gu = W @ gu
        for k in range(len(Q)):
            Q[k] = Q[k] - lr * grads[k]
        if train_head:
            u = u - lr * gu
    return Q, u, np.array(losses)
