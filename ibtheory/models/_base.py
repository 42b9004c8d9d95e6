"""The common interface of the network families: parameters, losses, gradients, HVPs.

Every model holds the *shapes* of its parameters and implements four batched
maps on parameters with a leading batch axis ``B`` (``P[i]`` has shape
``(B, *shapes[i])``):

- ``_forward(P, X)``: the outputs ``F`` of shape ``(B, n, k)``;
- ``_vjp(P, X, G)``: :math:`J(\\theta)^\\top G`, the gradient of
  :math:`\\langle G, F(\\theta)\\rangle` (backward pass);
- ``_jvp(P, X, V)``: :math:`J(\\theta) V`, the directional derivative of ``F``;
- ``_vjp_tangent(P, X, G, V)``: :math:`\\frac{d}{d\\varepsilon}
  J(\\theta+\\varepsilon V)^\\top G` at fixed ``G`` (forward-over-backward).

The loss conventions (:data:`LOSSES`) are handled here once, so that the
gradient is :math:`J^\\top \\ell'(F)` and the Hessian-vector product is

.. math::

    H V = J^\\top\\big(\\ell''(F)[J V]\\big)
          + \\frac{d}{d\\varepsilon} J(\\theta+\\varepsilon V)^\\top \\ell'(F),

both exact (no finite differences). Public methods accept one run
(``params[i].shape == shapes[i]``) or a batch (an extra leading axis).
See the book chapter *Gradient flow and its conservation laws*.
"""
from __future__ import annotations

import numpy as np

from .._validation import as_real_array, check_int

#: The loss conventions: ``half_sum`` is :math:`\frac12\sum_i\|f(x_i)-y_i\|^2`
#: (Varre et al., Min et al., Yun et al.), ``mean`` is
#: :math:`\frac1n\sum_i\|f(x_i)-y_i\|^2` without the 1/2 (Marion & Chizat,
#: Jin & Montufar), ``exponential`` is :math:`\sum_i e^{-y_i f(x_i)}`
#: (classification, scalar output).
#:
#: See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
LOSSES = ("half_sum", "mean", "exponential")


def check_loss(loss) -> str:
    """Return ``loss`` if it names a loss convention, else raise ``ValueError``."""
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    return loss


#: Size guards of the constructors: a depth or a parameter count beyond these is a
#: typo (``L=10**12``) that would otherwise run for minutes before failing.
MAX_DEPTH = 10_000
MAX_PARAMS = 10 ** 8


def check_size(n, name: str, maximum: int = MAX_PARAMS) -> int:
    """Return ``n`` (a width, a depth or a parameter count) as an int in ``[1, maximum]``.

    ``TypeError`` for non-integers (2.7, True, "3"), ``ValueError`` naming
    ``name`` for values below 1 or above ``maximum``.
    """
    return check_int(n, name, minimum=1, maximum=maximum)


def check_param_count(model) -> None:
    """Raise ``ValueError`` if the model has more than :data:`MAX_PARAMS` parameters."""
    n = sum(int(np.prod(s, dtype=object)) for s in model.shapes)
    if n > MAX_PARAMS:
        raise ValueError(f"{model!r} has {n} parameters per run, above the limit {MAX_PARAMS} "
                         f"of ibtheory.models (check the widths and the depth)")


def check_model(model, name: str = "model"):
    """Return ``model`` if it is an :class:`ibtheory.models.Model`, else raise ``TypeError`` naming ``name``.

    Examples
    --------
    >>> from ibtheory.models import Diagonal
    >>> from ibtheory.models._base import check_model
    >>> check_model(Diagonal(2, 2))
    Diagonal(d=2, L=2)
    >>> check_model(None)
    Traceback (most recent call last):
    ...
    TypeError: model must be an ibtheory.models.Model (e.g. DeepLinear, Diagonal), got None
    """
    if not isinstance(model, Model):
        raise TypeError(f"{name} must be an ibtheory.models.Model (e.g. DeepLinear, Diagonal), "
                        f"got {model!r:.80}")
    return model


def loss_value_and_dF(F, Y, loss):
    """Loss per run ``(B,)`` and its derivative ``G = dloss/dF`` (same shape as ``F``)."""
    n = F.shape[-2]
    if loss == "half_sum":
        R = F - Y
        return 0.5 * np.sum(R * R, axis=(-2, -1)), R
    if loss == "mean":
        R = F - Y
        return np.sum(R * R, axis=(-2, -1)) / n, (2.0 / n) * R
    E = np.exp(-Y * F)
    return np.sum(E, axis=(-2, -1)), -Y * E


def loss_second_dF(F, Y, loss, dF):
    """The second derivative of the loss in ``F`` applied to ``dF`` (losses are separable)."""
    n = F.shape[-2]
    if loss == "half_sum":
        return dF
    if loss == "mean":
        return (2.0 / n) * dF
    return (Y * Y) * np.exp(-Y * F) * dF


class Model:
    """Base class of the network families (see the module docstring).

    Attributes
    ----------
    shapes : tuple of tuple of int
        Shape of each parameter array of one run.
    names : tuple of str
        Name of each parameter array (used in error messages).
    d : int
        Input dimension.
    k : int
        Output dimension; outputs and labels are ``(n,)`` when ``k == 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import Diagonal, Model
    >>> net = Diagonal(d=3, L=2)
    >>> isinstance(net, Model), net.n_params
    (True, 6)
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((4, 3)), rng.standard_normal(4)
    >>> params, v = tuple(rng.standard_normal((2, 3))), tuple(rng.standard_normal((2, 3)))
    >>> _, g = net.value_and_grad(params, X, y)
    >>> def loss_along_v(e):
    ...     return net.loss(tuple(p + e * w for p, w in zip(params, v)), X, y)
    >>> fd = (loss_along_v(1e-5) - loss_along_v(-1e-5)) / 2e-5  # central difference
    >>> bool(abs(fd - sum(np.sum(a * b) for a, b in zip(g, v))) < 1e-8)
    True
    >>> bool(np.array_equal(net.flatten(net.unflatten(np.arange(6.0))), np.arange(6.0)))
    True

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """

    shapes: tuple = ()
    names: tuple = ()
    d: int = 0
    k: int = 1
    #: Whether the model is linear in its input (then ``beta`` exists).
    linear: bool = False
    #: Whether the outputs are smooth in the parameters (False for ReLU networks,
    #: whose gradient flow is a differential inclusion at the kinks).
    smooth: bool = True

    # ------------------------------------------------------------------ sizes
    @property
    def n_params(self) -> int:
        """Total number of scalar parameters of one run."""
        return int(sum(int(np.prod(s)) for s in self.shapes))

    # ------------------------------------------------------------ validation
    def _check_params(self, params, name: str = "params"):
        """Return ``(P, batched)`` with every array batched ``(B, *shape)``."""
        if not isinstance(params, (tuple, list)) or len(params) != len(self.shapes):
            raise ValueError(
                f"{name} must be a tuple of {len(self.shapes)} arrays "
                f"{self.names} with shapes {self.shapes}"
            )
        out, batch = [], None
        for i, (p, shape, nm) in enumerate(zip(params, self.shapes, self.names)):
            a = as_real_array(p, f"{name}[{i}] ({nm})")
            if a.shape == shape:
                b = None
            elif a.ndim == len(shape) + 1 and a.shape[1:] == shape:
                b = a.shape[0]
            else:
                raise ValueError(
                    f"{name}[{i}] ({nm}) must have shape {shape} or (B, *{shape}), got {a.shape}"
                )
            if i == 0:
                batch = b
            elif b != batch:
                raise ValueError(
                    f"{name}: every array must have the same leading batch axis "
                    f"(or none); {name}[0] has batch {batch}, {name}[{i}] ({nm}) has {b}"
                )
            out.append(a)
        batched = batch is not None
        if not batched:
            out = [a[None] for a in out]
        return tuple(out), batched

    def check_data(self, X, y=None, loss: str = "half_sum", require_y: bool = False):
        """Validate data; return ``X`` ``(n, d)`` and ``Y`` ``(1 or B, n, k)``.

        ``y`` may carry a leading batch axis (one label vector per run).
        """
        for name, arr in (("X", X), ("y", y)):
            if arr is not None and np.asarray(arr).dtype == bool:
                raise TypeError(f"{name} must hold real numbers, got a boolean array")
        X = as_real_array(X, "X")
        if X.ndim != 2 or X.shape[1] != self.d:
            raise ValueError(f"X must have shape (n, {self.d}), got {X.shape}")
        if X.shape[0] == 0:
            raise ValueError(f"X must hold at least one sample, got shape {X.shape}")
        if y is None:
            if require_y:
                raise TypeError("y must be an array of labels (n,) or (n, k), got None")
            return X, None
        n = X.shape[0]
        y = as_real_array(y, "y")
        if self.k == 1:
            if y.shape == (n,) or y.shape == (n, 1):
                Y = y.reshape(1, n, 1)
            elif y.ndim == 2 and y.shape[1] == n:
                Y = y.reshape(y.shape[0], n, 1)
            else:
                raise ValueError(f"y must have shape ({n},) or (B, {n}) to match X, got {y.shape}")
        else:
            if y.shape == (n, self.k):
                Y = y[None]
            elif y.ndim == 3 and y.shape[1:] == (n, self.k):
                Y = y
            else:
                raise ValueError(
                    f"y must have shape ({n}, {self.k}) or (B, {n}, {self.k}) to match X, got {y.shape}"
                )
        if check_loss(loss) == "exponential" and self.k != 1:
            raise ValueError("loss='exponential' needs a scalar-output model (k == 1)")
        return X, Y

    # ------------------------------------------------------- (un)flattening
    def flatten(self, params) -> np.ndarray:
        """Concatenate the parameter arrays into one vector (``(B, n_params)`` if batched)."""
        P, batched = self._check_params(params)
        flat = np.concatenate([p.reshape(p.shape[0], -1) for p in P], axis=1)
        return flat if batched else flat[0]

    def unflatten(self, theta):
        """Inverse of :meth:`flatten`."""
        theta = as_real_array(theta, "theta")
        batched = theta.ndim == 2
        if theta.ndim not in (1, 2) or theta.shape[-1] != self.n_params:
            raise ValueError(f"theta must have shape ({self.n_params},) or (B, {self.n_params})")
        t = theta if batched else theta[None]
        out, i = [], 0
        for s in self.shapes:
            m = int(np.prod(s))
            out.append(t[:, i:i + m].reshape((t.shape[0],) + s))
            i += m
        return tuple(out) if batched else tuple(a[0] for a in out)

    def _unflatten_b(self, t):
        key = self.shapes
        cache = self.__dict__.get("_slices")
        if cache is None or cache[0] != key:
            offs, i = [], 0
            for s in self.shapes:
                m = int(np.prod(s))
                offs.append((i, i + m, s))
                i += m
            cache = (key, offs)
            self.__dict__["_slices"] = cache
        B = t.shape[0]
        return tuple(t[:, a:b].reshape((B,) + s) for a, b, s in cache[1])

    @staticmethod
    def _flatten_b(P):
        return np.concatenate([p.reshape(p.shape[0], -1) for p in P], axis=1)

    # ------------------------------------------------------ batched kernels
    def _forward(self, P, X):  # pragma: no cover - abstract
        raise NotImplementedError

    def _vjp(self, P, X, G):  # pragma: no cover - abstract
        raise NotImplementedError

    def _jvp(self, P, X, V):  # pragma: no cover - abstract
        raise NotImplementedError

    def _vjp_tangent(self, P, X, G, V):  # pragma: no cover - abstract
        raise NotImplementedError

    def _conserved(self, P) -> dict:
        return {}

    def _value_and_grad(self, P, X, Y, loss):
        F = self._forward(P, X)
        val, G = loss_value_and_dF(F, Y, loss)
        return val, self._vjp(P, X, G)

    def _hvp(self, P, X, Y, V, loss):
        F = self._forward(P, X)
        _, G = loss_value_and_dF(F, Y, loss)
        dG = loss_second_dF(F, Y, loss, self._jvp(P, X, V))
        a = self._vjp(P, X, dG)
        b = self._vjp_tangent(P, X, G, V)
        return tuple(u + v for u, v in zip(a, b))

    # --------------------------------------------------------- public API
    @staticmethod
    def _finite(value, what):
        """Raise if a public output left the float64 range (no silent inf/NaN)."""
        arrs = value if isinstance(value, (tuple, list)) else (value,)
        for a in arrs:
            if not np.all(np.isfinite(a)):
                raise ValueError(f"params, X or y: the {what} is not finite in float64 (the values "
                                 f"are too large for this network)")
        return value

    def _out(self, F, batched):
        F = F[..., 0] if self.k == 1 else F
        return F if batched else F[0]

    def forward(self, params, X):
        """Network outputs on the rows of ``X``: ``(n,)`` if ``k == 1`` else ``(n, k)``."""
        P, batched = self._check_params(params)
        X, _ = self.check_data(X)
        with np.errstate(over="ignore", invalid="ignore"):
            F = self._forward(P, X)
        return self._out(self._finite(F, "output"), batched)

    def loss(self, params, X, y, loss: str = "half_sum"):
        """The training loss under the convention ``loss`` (see :data:`LOSSES`)."""
        P, batched = self._check_params(params)
        X, Y = self.check_data(X, y, loss, require_y=True)
        with np.errstate(over="ignore", invalid="ignore"):
            val, _ = loss_value_and_dF(self._forward(P, X), Y, loss)
        self._finite(val, "loss")
        return val if batched else float(val[0])

    def value_and_grad(self, params, X, y, loss: str = "half_sum"):
        """The loss and its gradient (a tuple shaped like ``params``)."""
        P, batched = self._check_params(params)
        X, Y = self.check_data(X, y, loss, require_y=True)
        with np.errstate(over="ignore", invalid="ignore"):
            val, g = self._value_and_grad(P, X, Y, loss)
        self._finite(val, "loss")
        self._finite(g, "gradient")
        if batched:
            return val, g
        return float(val[0]), tuple(a[0] for a in g)

    def grad(self, params, X, y, loss: str = "half_sum"):
        """Gradient of the loss with respect to each parameter array."""
        return self.value_and_grad(params, X, y, loss)[1]

    def hvp(self, params, X, y, v, loss: str = "half_sum"):
        """Exact Hessian-vector product :math:`\\nabla^2 \\mathcal L(\\theta)\\, v`."""
        P, batched = self._check_params(params)
        V, vb = self._check_params(v, "v")
        if vb != batched or V[0].shape[0] != P[0].shape[0]:
            raise ValueError("v must have the same shapes (and batch axis) as params")
        X, Y = self.check_data(X, y, loss, require_y=True)
        with np.errstate(over="ignore", invalid="ignore"):
            out = self._finite(self._hvp(P, X, Y, V, loss), "Hessian-vector product")
        return out if batched else tuple(a[0] for a in out)

    def conserved(self, params) -> dict:
        """The quantities conserved by gradient flow on any loss of the outputs.

        Returns a dict ``name -> array``; empty when the family has no such law.
        """
        P, batched = self._check_params(params)
        with np.errstate(over="ignore", invalid="ignore"):
            out = self._conserved(P)
        self._finite(list(out.values()), "conserved quantity")
        return out if batched else {k: v[0] for k, v in out.items()}


class LinearModel(Model):
    """A network linear in its input, :math:`f(x;\\theta) = \\beta(\\theta)^\\top x`.

    Subclasses implement the maps on the end-to-end matrix ``beta`` of shape
    ``(B, d, k)``: ``_beta(P)``, ``_beta_vjp(P, Gb)``, ``_beta_jvp(P, V)`` and
    ``_beta_vjp_tangent(P, Gb, V)``. The data enter only through
    :math:`F = X\\beta` and :math:`G_\\beta = X^\\top G`, so a step costs
    :math:`O(nd\\,k)` plus the parameter algebra, independent of ``n`` otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.models import LinearModel, TwoLayerLinear, gaussian_init
    >>> net = TwoLayerLinear(d=3, l=4)
    >>> W1, W2 = params = gaussian_init(net, seed=0)
    >>> isinstance(net, LinearModel), bool(np.allclose(net.beta(params), (W1 @ W2)[:, 0]))
    (True, True)
    >>> X = np.random.default_rng(1).standard_normal((5, 3))
    >>> bool(np.allclose(net.forward(params, X), X @ net.beta(params)))
    True

    See the book chapter *Gradient flow and its conservation laws* (``book/dynamics.md``).
    """

    linear = True

    def _forward(self, P, X):
        return np.matmul(X, self._beta(P))

    def _vjp(self, P, X, G):
        return self._beta_vjp(P, np.matmul(X.T, G))

    def _jvp(self, P, X, V):
        return np.matmul(X, self._beta_jvp(P, V))

    def _vjp_tangent(self, P, X, G, V):
        return self._beta_vjp_tangent(P, np.matmul(X.T, G), V)

    def beta(self, params):
        """End-to-end linear predictor: ``(d,)`` if ``k == 1`` else ``(d, k)``."""
        P, batched = self._check_params(params)
        with np.errstate(over="ignore", invalid="ignore"):
            b = self._finite(self._beta(P), "end-to-end matrix beta")
        b = b[..., 0] if self.k == 1 else b
        return b if batched else b[0]
