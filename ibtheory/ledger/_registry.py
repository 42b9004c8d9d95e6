"""Claims, checks and the registry that holds them."""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from typing import Callable

import numpy as np

#: The paper keys a claim id may start with, one per seed paper.
#: See the book chapter *Theorem ledger* (``book/ledger.md``).
PAPER_KEYS = {
    "varre2023": "Varre, Vladarean, Pillaud-Vivien, Flammarion (2023): spectral bias of two-layer linear networks",
    "min2021": "Min, Tarmoun, Vidal, Mallada (2021): initialization, imbalance and convergence of linear networks",
    "yun2021": "Yun, Krishnan, Mobahi (2021): a unifying view on implicit bias via linear tensor networks",
    "marion2024": "Marion, Chizat (2024): deep linear networks regularized towards flat minima",
    "jin2023": "Jin, Montufar (2023): implicit bias of gradient descent for wide ReLU networks (weighted splines)",
}

_ID_RE = re.compile(r"^[a-z0-9]+(\.[a-z0-9_]+)+$")


@dataclasses.dataclass(frozen=True)
class Check:
    """Outcome of one claim's check.

    Parameters
    ----------
    measured : float
        The discrepancy between the independent routes (>= 0); the claim passes
        when it is finite and ``measured <= tolerance``.
    tolerance : float
        The largest discrepancy the statement allows; ``details`` says why.
    details : str
        What was compared, on which instances, and why the tolerance is what it is.
    routes : tuple of str
        The independent routes that were compared.

    Examples
    --------
    >>> from ibtheory.ledger import Check
    >>> chk = Check(measured=2e-11, tolerance=1e-10, details="toy comparison",
    ...             routes=("closed form", "ODE integration"))
    >>> chk.passed
    True
    >>> Check(measured=float("inf"), tolerance=1.0).passed  # a non-finite discrepancy fails
    False

    See the book chapter *Theorem ledger* (``book/ledger.md``).
    """

    measured: float
    tolerance: float
    details: str = ""
    routes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        m = float(self.measured)
        return bool(np.isfinite(m) and m <= float(self.tolerance))


@dataclasses.dataclass(frozen=True)
class Claim:
    """A statement of a paper together with a check that measures it.

    Attributes
    ----------
    id : str
        Dotted id starting with the paper key, e.g. ``yun2021.lemma4.first_integral``.
    statement : str
        The claim in one sentence.
    source : str
        Paper and numbered result.
    check : callable
        Zero-argument function returning a :class:`Check`.

    Examples
    --------
    >>> import math
    >>> from ibtheory.ledger import Check, Claim
    >>> c = Claim(id="yun2021.toy.pythagoras", statement="cosh^2 - sinh^2 = 1.",
    ...           source="identity", check=lambda: Check(
    ...               measured=abs(math.cosh(0.3) ** 2 - math.sinh(0.3) ** 2 - 1), tolerance=1e-15))
    >>> c.paper, c.check().passed
    ('yun2021', True)

    See the book chapter *Theorem ledger* (``book/ledger.md``).
    """

    id: str
    statement: str
    source: str
    check: Callable[[], Check]

    @property
    def paper(self) -> str:
        return self.id.split(".", 1)[0]


_REGISTRY: dict[str, Claim] = {}
#: claim modules that failed to import, with their tracebacks
IMPORT_ERRORS: dict[str, str] = {}


def claim(id: str, statement: str, source: str):
    """Register the decorated zero-argument function as the check of a claim.

    A claim module does::

        from ibtheory.ledger import Check, claim

        @claim("yun2021.lemma4.first_integral",
               "p^2 - q^2 = 1 along the flow.", "Yun et al. 2021, Lemma 4")
        def _():
            drift = ...  # computed by two independent routes
            return Check(measured=drift, tolerance=1e-10,
                         details="why this tolerance", routes=("SymPy", "DOP853"))

    Examples
    --------
    >>> from ibtheory.ledger import Check
    >>> Check(measured=3e-13, tolerance=1e-12).passed
    True
    >>> Check(measured=float("nan"), tolerance=1.0).passed
    False

    See the book chapter *Theorem ledger* (``book/ledger.md``).
    """
    if not isinstance(id, str) or not _ID_RE.match(id):
        raise ValueError(f"id must be a dotted lower-case identifier, got {id!r}")
    key = id.split(".", 1)[0]
    if key not in PAPER_KEYS:
        raise ValueError(f"id must start with one of {sorted(PAPER_KEYS)}, got {id!r}")
    if not statement or not source:
        raise ValueError("statement and source must be non-empty strings")

    def decorate(fn):
        if id in _REGISTRY and _REGISTRY[id].check.__module__ != fn.__module__:
            raise ValueError(f"claim id {id!r} is registered twice")
        _REGISTRY[id] = Claim(id=id, statement=statement, source=source, check=fn)
        return fn

    return decorate


def load_all() -> None:
    """Import every module of :mod:`ibtheory.ledger.claims` (each registers its claims)."""
    import traceback

    from . import claims as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        name = f"{pkg.__name__}.{info.name}"
        try:
            importlib.import_module(name)
            IMPORT_ERRORS.pop(name, None)
        except Exception:
            # A broken claim module must show as a failure, not hide the others.
            IMPORT_ERRORS[name] = traceback.format_exc()


def all_claims() -> list[Claim]:
    """Every registered claim, sorted by id.

    Examples
    --------
    >>> from ibtheory.ledger import PAPER_KEYS, all_claims
    >>> ids = [c.id for c in all_claims()]
    >>> "yun2021.lemma4.first_integral" in ids, ids == sorted(ids)
    (True, True)
    >>> all(i.split(".")[0] in PAPER_KEYS for i in ids)
    True

    See the book chapter *Theorem ledger* (``book/ledger.md``).
    """
    load_all()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
