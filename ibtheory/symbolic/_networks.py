"""SymPy derivations of the gradient flows of the linear families and their conservation laws.

In the style of :mod:`sympy.physics.mechanics`, each class holds a model at a
small symbolic size and exposes derived results as attributes:

- ``loss``: the training loss as an expression in parameter and data symbols;
- ``flow``: the gradient-flow right-hand sides :math:`-\\partial\\mathcal L/\\partial\\theta`,
  derived element by element with :func:`sympy.diff`;
- ``flow_matrix``: the same in matrix form (the formulas used by
  :mod:`ibtheory.models`), with :meth:`matrix_form_residual` returning the
  difference (the tests assert it expands to zero);
- ``conserved``: the conserved quantities, and :meth:`conserved_rates`
  their time derivatives along the flow, which expand to zero both for the
  square loss and for an arbitrary loss of the outputs (``any_loss=True``:
  the flow is :math:`-J^\\top G` with a free symbolic :math:`G`);
- ``residuals`` (the :class:`ibtheory.symbolic.Derivation` interface): the
  matrix-form residuals and the conservation laws' time derivatives, each of
  which simplifies to 0.

The sizes are guarded (at most :data:`MAX_SYMBOLS` parameter symbols): the
expansions grow quickly with the size, and a derivation at ``[6, 6, 6, 6]``
would run for many minutes.

:meth:`_NetworkDerivation.numeric_gradient` and :meth:`_NetworkDerivation.numeric_hessian`
lambdify the derivations, which gives the tests a route to gradients and
Hessians that shares no code with :mod:`ibtheory.models`.
See the book chapter *Gradient flow and its conservation laws*.
"""
from __future__ import annotations

import sympy as sp

from .._validation import check_depth, check_int
from ._base import Derivation

__all__ = ["DeepLinearDerivation", "TwoLayerDerivation", "DiagonalDerivation",
           "ConvolutionalDerivation", "MinImbalanceDerivation", "MAX_SYMBOLS"]

#: Largest number of parameter symbols of a derivation (``[4, 4, 4, 1]`` has 36 and
#: verifies in about half a minute; the cost grows much faster than the count).
MAX_SYMBOLS = 40


def _mat(name, r, c):
    return sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{name}_{i}{j}", real=True))


def _vec(name, r):
    return sp.Matrix(r, 1, lambda i, j: sp.Symbol(f"{name}_{i}", real=True))


def _size(v, name, maximum=MAX_SYMBOLS):
    return check_int(v, name, minimum=1, maximum=maximum)


def _guard(n_symbols, what):
    if n_symbols > MAX_SYMBOLS:
        raise ValueError(f"{what} has {n_symbols} parameter symbols, above MAX_SYMBOLS = {MAX_SYMBOLS}: "
                         f"symbolic derivations are for small sizes (their expansions grow quickly); "
                         f"check larger sizes numerically with ibtheory.models")


class _NetworkDerivation(Derivation):
    """Common machinery: ``params`` (list of Matrices, flattened row-major like the
    numeric models), data symbols ``X`` ``(n x d)``, ``Y`` ``(n x k)``, outputs ``F``."""

    def _setup(self, n, d, k, loss):
        if loss not in ("half_sum", "mean"):
            raise ValueError(f"loss must be 'half_sum' or 'mean', got {loss!r}")
        _guard(sum(len(M) for M in self.params), repr(self))
        if n * (d + k) > 4 * MAX_SYMBOLS:
            raise ValueError(f"n={n} data points of dimension {d} give {n * (d + k)} data symbols, above "
                             f"{4 * MAX_SYMBOLS}: symbolic derivations are for small sizes")
        self.n, self.d, self.k, self.loss_name = n, d, k, loss
        self.X = _mat("x", n, d)
        self.Y = _mat("y", n, k)
        self.G = _mat("g", n, k)   # an arbitrary loss derivative dloss/dF
        F = self.outputs()
        R = F - self.Y
        sq = sum(r ** 2 for r in R)
        self.F = F
        self.loss = sq / 2 if loss == "half_sum" else sq / n

    @property
    def flat(self):
        """All parameter symbols in the order of ``model.flatten``."""
        return [s for M in self.params for s in M]

    def _flow_of(self, expr):
        return [M.applyfunc(lambda s: -sp.diff(expr, s)) for M in self.params]

    @property
    def flow(self):
        """Gradient-flow right-hand sides, element by element from the loss."""
        if not hasattr(self, "_flow"):
            self._flow = self._flow_of(self.loss)
        return self._flow

    @property
    def flow_any_loss(self):
        """Flow :math:`-J^\\top G` for an arbitrary loss derivative ``G`` (free symbols ``g_ij``)."""
        if not hasattr(self, "_flow_any"):
            pairing = sum(g * f for g, f in zip(self.G, self.F))
            self._flow_any = self._flow_of(pairing)
        return self._flow_any

    def conserved_rates(self, any_loss=False):
        """``{name: dC/dt}`` along the flow, expanded (zero matrices when the law holds)."""
        flow = self.flow_any_loss if any_loss else self.flow
        rates = {}
        pairs = [(s, f) for M, Fm in zip(self.params, flow) for s, f in zip(M, Fm)]
        for name, C in self.conserved.items():
            rates[name] = C.applyfunc(
                lambda c: sp.expand(sum(sp.diff(c, s) * f for s, f in pairs)))
        return rates

    def proves_conservation(self, any_loss=False) -> bool:
        """True if every conserved quantity's time derivative expands to exactly zero."""
        return all(R.is_zero_matrix for R in self.conserved_rates(any_loss).values())

    def matrix_form_residual(self):
        """Element-wise flow minus matrix-form flow, expanded (zero if they agree)."""
        return [sp.expand(A - B) for A, B in zip(self.flow, self.flow_matrix)]

    @property
    def residuals(self):
        """``{name: Matrix}``: the matrix form of each layer's flow minus the element-wise
        derivative of the loss, and each conservation law's time derivative along the
        flow (square loss and any loss of the outputs); every entry simplifies to 0."""
        out = {}
        for i, R in enumerate(self.matrix_form_residual()):
            out[f"flow of {self.param_names[i]}: matrix form - element-wise"] = R
        for tag, any_loss in (("square loss", False), ("any loss", True)):
            for name, R in self.conserved_rates(any_loss=any_loss).items():
                out[f"d/dt ({name}), {tag}"] = R
        return out

    def __repr__(self):
        return f"{type(self).__name__}({self._args})"

    # ------------------------------------------------------------ numerics
    def _lambdify(self, exprs):
        args = [self.flat, list(self.X), list(self.Y)]
        return sp.lambdify(args, exprs, modules="numpy")

    def numeric_gradient(self):
        """``f(theta, X, y) -> gradient`` (flat, numpy) from the SymPy loss."""
        import numpy as np

        fn = self._lambdify([-e for M in self.flow for e in M])

        def grad(theta, X, y):
            X = np.asarray(X, float)
            y = np.asarray(y, float).reshape(self.n, self.k)
            return np.array(fn(list(theta), list(X.ravel()), list(y.ravel())), dtype=float)
        return grad

    def numeric_hessian(self):
        """``f(theta, X, y) -> Hessian`` (dense, numpy) from the SymPy loss."""
        import numpy as np

        H = sp.hessian(self.loss, self.flat)
        fn = self._lambdify(H)

        def hess(theta, X, y):
            X = np.asarray(X, float)
            y = np.asarray(y, float).reshape(self.n, self.k)
            return np.array(fn(list(theta), list(X.ravel()), list(y.ravel())), dtype=float)
        return hess


class DeepLinearDerivation(_NetworkDerivation):
    """Deep linear network :math:`F = X W_1^\\top\\cdots W_L^\\top` (Marion & Chizat notation).

    With :math:`G_\\beta = X^\\top \\ell'(F)` the flow in matrix form is

    .. math::

        \\dot W_k = -(W_L\\cdots W_{k+1})^\\top G_\\beta^\\top (W_{k-1}\\cdots W_1)^\\top,

    and :math:`D_k = W_{k+1}^\\top W_{k+1} - W_k W_k^\\top` is conserved because
    :math:`W_{k+1}^\\top\\dot W_{k+1} = -A^\\top G_\\beta^\\top B^\\top = \\dot W_k W_k^\\top` with
    :math:`A = W_L\\cdots W_{k+1}`, :math:`B = W_{k}\\cdots W_1`.

    Examples
    --------
    >>> from ibtheory.symbolic import DeepLinearDerivation
    >>> s = DeepLinearDerivation([2, 2, 1], n=1)
    >>> s.proves_conservation(), all(m.is_zero_matrix for m in s.matrix_form_residual())
    (True, True)

    See the book chapters *Gradient flow and its conservation laws* (``book/dynamics.md``) and *Deep linear networks are implicitly regularized towards flat minima* (``book/marion2024.md``).
    """

    def __init__(self, widths, n=2, loss="half_sum"):
        if isinstance(widths, (str, bytes)) or not hasattr(widths, "__len__"):
            raise TypeError(f"widths must be a sequence of positive integers, got {widths!r}")
        if not 2 <= len(widths) <= MAX_SYMBOLS:
            raise ValueError(f"widths must have between 2 and {MAX_SYMBOLS} entries (d_0, ..., d_L), "
                             f"got {len(widths)}")
        widths = [_size(w, f"widths[{i}]") for i, w in enumerate(widths)]
        self.widths, self.L = widths, len(widths) - 1
        _guard(sum(widths[k] * widths[k + 1] for k in range(self.L)), f"DeepLinearDerivation({widths})")
        self._args = f"{widths}, n={n}, loss={loss!r}"
        self.param_names = [f"W{k + 1}" for k in range(self.L)]
        self.params = [_mat(f"W{k + 1}", widths[k + 1], widths[k]) for k in range(self.L)]
        self._setup(_size(n, "n"), widths[0], widths[-1], loss)
        self.conserved = {
            f"W{k + 2}^T W{k + 2} - W{k + 1} W{k + 1}^T":
                self.params[k + 1].T * self.params[k + 1] - self.params[k] * self.params[k].T
            for k in range(self.L - 1)
        }

    def end_to_end(self):
        M = sp.eye(self.d)
        for W in self.params:
            M = W * M
        return M

    @property
    def beta(self):
        """:math:`\\beta = (W_L\\cdots W_1)^\\top` (``d x k``)."""
        return self.end_to_end().T

    def outputs(self):
        return self.X * self.end_to_end().T

    @property
    def flow_matrix(self):
        R = self.F - self.Y
        Gf = R if self.loss_name == "half_sum" else 2 * R / self.n
        Gb = self.X.T * Gf
        out = []
        for k in range(self.L):
            A = sp.eye(self.widths[k + 1])
            for W in self.params[k + 1:]:
                A = W * A
            B = sp.eye(self.d)
            for W in self.params[:k]:
                B = W * B
            out.append(-(A.T * Gb.T * B.T))
        return out


class TwoLayerDerivation(_NetworkDerivation):
    """Two-layer linear network :math:`F = X W_1 W_2` (Varre et al.; Min et al.'s :math:`U = W_1`, :math:`V = W_2^\\top`).

    Matrix form: :math:`\\dot W_1 = X^\\top R\\,W_2^\\top`, :math:`\\dot W_2 = W_1^\\top X^\\top R`
    with :math:`R = Y - XW_1W_2` (``half_sum``), which conserves
    :math:`W_1^\\top W_1 - W_2W_2^\\top` (Min et al.'s :math:`U^\\top U - V^\\top V`).

    Examples
    --------
    >>> from ibtheory.symbolic import TwoLayerDerivation
    >>> TwoLayerDerivation(d=2, l=2, k=1, n=1).proves_conservation(any_loss=True)
    True

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """

    def __init__(self, d, l, k=1, n=2, loss="half_sum"):
        d, l, k = _size(d, "d"), _size(l, "l"), _size(k, "k")
        _guard(d * l + l * k, f"TwoLayerDerivation(d={d}, l={l}, k={k})")
        self.l = l
        self._args = f"d={d}, l={l}, k={k}, n={n}, loss={loss!r}"
        self.param_names = ["W1", "W2"]
        self.params = [_mat("W1", d, l), _mat("W2", l, k)]
        self._setup(_size(n, "n"), d, k, loss)
        W1, W2 = self.params
        self.conserved = {"W1^T W1 - W2 W2^T": W1.T * W1 - W2 * W2.T}

    def outputs(self):
        return self.X * self.params[0] * self.params[1]

    @property
    def flow_matrix(self):
        W1, W2 = self.params
        R = self.Y - self.F
        if self.loss_name == "mean":
            R = 2 * R / self.n
        return [self.X.T * R * W2.T, W1.T * self.X.T * R]


class MinImbalanceDerivation(Derivation):
    """Min et al.'s reduced problem: gradient flow on :math:`\\frac12\\|\\tilde Y - U_1V^\\top\\|_F^2`.

    With :math:`X = W[\\Sigma_x^{1/2}\\ 0]\\Phi^\\top`, :math:`\\Sigma_x = I`,
    :math:`U_1 = \\Phi_1^\\top U` and :math:`\\tilde Y = W^\\top Y` the two-layer loss
    is this matrix factorization up to a constant, and :math:`U_2 = \\Phi_2^\\top U`
    does not move (:math:`\\Phi_2^\\top X^\\top = 0`). The imbalance
    :math:`\\Lambda = U_1^\\top U_1 - V^\\top V` (the seed's OCR dropped the minus
    sign) is conserved; ``imbalance_rate()`` is its derivative along the flow.

    Examples
    --------
    >>> from ibtheory.symbolic import MinImbalanceDerivation
    >>> MinImbalanceDerivation(r=2, h=2, m=2).imbalance_rate().is_zero_matrix
    True

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """

    def __init__(self, r, h, m):
        r, h, m = _size(r, "r"), _size(h, "h"), _size(m, "m")
        _guard(r * h + m * h, f"MinImbalanceDerivation(r={r}, h={h}, m={m})")
        self.U1, self.V, self.Yt = _mat("u", r, h), _mat("v", m, h), _mat("yt", r, m)
        E = self.Yt - self.U1 * self.V.T
        self.loss = sum(e ** 2 for e in E) / 2
        self.flow = [self.U1.applyfunc(lambda s: -sp.diff(self.loss, s)),
                     self.V.applyfunc(lambda s: -sp.diff(self.loss, s))]
        self.flow_matrix = [E * self.V, E.T * self.U1]
        self.imbalance = self.U1.T * self.U1 - self.V.T * self.V

    def matrix_form_residual(self):
        return [sp.expand(a - b) for a, b in zip(self.flow, self.flow_matrix)]

    def imbalance_rate(self):
        pairs = [(s, f) for M, Fm in zip((self.U1, self.V), self.flow) for s, f in zip(M, Fm)]
        return self.imbalance.applyfunc(lambda c: sp.expand(sum(sp.diff(c, s) * f for s, f in pairs)))

    @property
    def residuals(self):
        """The matrix form of the flow of ``U1`` and ``V`` minus the element-wise derivative,
        and the imbalance's time derivative (each simplifies to 0)."""
        rU, rV = self.matrix_form_residual()
        return {"flow of U1: matrix form - element-wise": rU, "flow of V: matrix form - element-wise": rV,
                "d/dt (U1^T U1 - V^T V)": self.imbalance_rate()}


class DiagonalDerivation(_NetworkDerivation):
    """L-layer diagonal network :math:`\\beta = w_1\\odot\\cdots\\odot w_L` (Yun et al.).

    Flow: :math:`\\dot w_l = -(X^\\top\\ell'(F))\\odot\\prod_{m\\ne l} w_m`, which conserves
    :math:`w_l^{\\odot 2} - w_L^{\\odot 2}`: both sides move by
    :math:`-2(X^\\top\\ell'(F))\\odot\\beta`.

    Examples
    --------
    >>> from ibtheory.symbolic import DiagonalDerivation
    >>> DiagonalDerivation(d=2, L=3, n=1).proves_conservation()
    True

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """

    def __init__(self, d, L, n=2, loss="half_sum"):
        d, self.L = _size(d, "d"), check_depth(L, "L", maximum=MAX_SYMBOLS)
        _guard(d * self.L, f"DiagonalDerivation(d={d}, L={self.L})")
        self._args = f"d={d}, L={self.L}, n={n}, loss={loss!r}"
        self.param_names = [f"w{l + 1}" for l in range(self.L)]
        self.params = [_vec(f"w{l + 1}", d) for l in range(self.L)]
        self._setup(_size(n, "n"), d, 1, loss)
        last = self.params[-1].applyfunc(lambda s: s ** 2)
        self.conserved = {f"w{l + 1}^2 - w{self.L}^2": self.params[l].applyfunc(lambda s: s ** 2) - last
                          for l in range(self.L - 1)}

    @property
    def beta(self):
        b = self.params[0]
        for w in self.params[1:]:
            b = b.multiply_elementwise(w)
        return b

    def outputs(self):
        return self.X * self.beta

    @property
    def flow_matrix(self):
        R = self.F - self.Y
        Gf = R if self.loss_name == "half_sum" else 2 * R / self.n
        g = self.X.T * Gf
        out = []
        for l in range(self.L):
            p = sp.ones(self.d, 1)
            for m, w in enumerate(self.params):
                if m != l:
                    p = p.multiply_elementwise(w)
            out.append(-g.multiply_elementwise(p))
        return out


class ConvolutionalDerivation(_NetworkDerivation):
    """L-layer full-length circular convolutional network (Yun et al., Cor. 3/6).

    :math:`\\beta = w_1 * \\cdots * w_L` (circular convolution), and with the
    unitary DFT matrix :math:`F` the conserved quantities are
    :math:`|Fw_l|^{\\odot 2} - |Fw_L|^{\\odot 2}`, written as
    :math:`(Fw)\\odot(\\bar F w)` (``w`` real) so that SymPy can expand them.

    Examples
    --------
    >>> from ibtheory.symbolic import ConvolutionalDerivation
    >>> ConvolutionalDerivation(d=4, L=2, n=1).proves_conservation()
    True

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """

    def __init__(self, d, L, n=2, loss="half_sum"):
        d, self.L = _size(d, "d"), check_depth(L, "L", maximum=MAX_SYMBOLS)
        _guard(d * self.L, f"ConvolutionalDerivation(d={d}, L={self.L})")
        self._args = f"d={d}, L={self.L}, n={n}, loss={loss!r}"
        self.param_names = [f"w{l + 1}" for l in range(self.L)]
        self.params = [_vec(f"w{l + 1}", d) for l in range(self.L)]
        self._setup(_size(n, "n"), d, 1, loss)
        om = sp.exp(-2 * sp.pi * sp.I / d)
        self.Fmat = sp.Matrix(d, d, lambda j, m: sp.expand_complex(om ** (j * m)) / sp.sqrt(d))
        Fc = self.Fmat.conjugate()

        def power(w):
            return (self.Fmat * w).multiply_elementwise(Fc * w).applyfunc(sp.expand)
        last = power(self.params[-1])
        self.conserved = {f"|F w{l + 1}|^2 - |F w{self.L}|^2": power(self.params[l]) - last
                          for l in range(self.L - 1)}

    @property
    def beta(self):
        d = self.d
        b = self.params[0]
        for w in self.params[1:]:
            b = sp.Matrix(d, 1, lambda i, _: sum(b[j] * w[(i - j) % d] for j in range(d)))
        return b

    def outputs(self):
        return self.X * self.beta

    @property
    def flow_matrix(self):
        # d<g, w_l * c_l>/dw_l = circular cross-correlation of g with c_l (the other filters).
        R = self.F - self.Y
        Gf = R if self.loss_name == "half_sum" else 2 * R / self.n
        g = self.X.T * Gf
        d = self.d
        out = []
        for l in range(self.L):
            others = [w for m, w in enumerate(self.params) if m != l]
            c = others[0]
            for w in others[1:]:
                c = sp.Matrix(d, 1, lambda i, _: sum(c[j] * w[(i - j) % d] for j in range(d)))
            out.append(-sp.Matrix(d, 1, lambda j, _: sum(g[i] * c[(i - j) % d] for i in range(d))))
        return out
