"""The base class of every SymPy derivation in the package."""
from __future__ import annotations

import sympy as sp

__all__ = ["Derivation"]


def is_zero(expr) -> bool:
    """``simplify(expr) == 0`` for scalars, matrices and containers of them."""
    if isinstance(expr, (list, tuple)):
        return all(is_zero(e) for e in expr)
    if isinstance(expr, dict):
        return all(is_zero(e) for e in expr.values())
    if isinstance(expr, sp.MatrixBase):
        return all(is_zero(e) for e in expr)
    e = sp.simplify(sp.sympify(expr))
    if e == 0:
        return True
    # a second, stronger pass for expressions simplify leaves in a non-canonical form
    return sp.simplify(sp.expand(sp.together(e)).rewrite(sp.exp)) == 0


class Derivation:
    """A symbolic derivation: an object that holds equations and exposes derived results.

    Subclasses (named ``*Derivation``) derive in ``__init__`` or in cached
    properties, in the style of :mod:`sympy.physics.mechanics`, and implement
    :attr:`residuals`: a ``dict[str, sympy.Expr]`` of expressions that must
    simplify to 0 when the derivation is right (a conservation law's time
    derivative, a closed form minus the ODE's right-hand side, ...). Nothing
    in a residual is typed in by hand from the result it checks.

    Examples
    --------
    >>> import sympy as sp
    >>> from ibtheory.symbolic import Derivation
    >>> class Pythagoras(Derivation):
    ...     @property
    ...     def residuals(self):
    ...         t = sp.Symbol("t", real=True)
    ...         return {"cosh^2 - sinh^2 = 1": sp.cosh(t) ** 2 - sp.sinh(t) ** 2 - 1}
    >>> Pythagoras().verify()
    {'cosh^2 - sinh^2 = 1': True}
    >>> Pythagoras().holds
    True
    """

    @property
    def residuals(self) -> dict[str, sp.Expr]:  # pragma: no cover - abstract
        raise NotImplementedError

    def verify(self) -> dict[str, bool]:
        """Whether each residual simplifies to 0."""
        return {name: is_zero(expr) for name, expr in self.residuals.items()}

    @property
    def holds(self) -> bool:
        """True when every residual simplifies to 0."""
        return all(self.verify().values())
