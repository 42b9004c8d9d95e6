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


KINDS = ("agreement", "bound", "rate", "composite")


@dataclasses.dataclass(frozen=True)
class Check:
    """Outcome of one claim's check.

    Every kind passes when ``measured <= tolerance`` (both finite); the kind says
    what the two numbers are:

    - ``"agreement"``: ``measured`` is a discrepancy (>= 0) between independent
      routes, ``tolerance`` the largest one the statement allows
      (worst case over reseeds times a stated margin);
    - ``"bound"``: a one-sided inequality ``measured <= tolerance`` of the
      theorem itself (e.g. a loss below its proven envelope), built with
      :meth:`bound`;
    - ``"rate"``: ``measured`` is the end of a fitted exponent's confidence
      interval that could contradict the theorem's exponent ``tolerance``
      (one-sided for an O(n^-a) bound), built with :meth:`rate`;
    - ``"composite"``: named sub-checks (:meth:`combine`); ``measured`` is the
      worst ratio ``measured / tolerance`` of its parts, against 1.

    Parameters
    ----------
    measured, tolerance : float
    details : str
        What was compared, on which instances, and why the tolerance is what it is.
    routes : tuple of str
        The independent routes that were compared.
    kind : str
        One of ``"agreement"``, ``"bound"``, ``"rate"``, ``"composite"``.
    name : str
        Name of a sub-check inside a composite.
    parts : tuple of Check
        The sub-checks of a composite.

    Examples
    --------
    >>> from ibtheory.ledger import Check
    >>> chk = Check(measured=2e-11, tolerance=1e-10, details="toy comparison",
    ...             routes=("closed form", "ODE integration"))
    >>> chk.passed
    True
    >>> Check(measured=float("inf"), tolerance=1.0).passed  # a non-finite discrepancy fails
    False
    >>> Check.bound(0.7, 1.0, "loss below its envelope").passed
    True

    See the book chapter *Theorem ledger* (``book/ledger.md``).
    """

    measured: float
    tolerance: float
    details: str = ""
    routes: tuple[str, ...] = ()
    kind: str = "agreement"
    name: str = ""
    parts: tuple = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def passed(self) -> bool:
        m, t = float(self.measured), float(self.tolerance)
        if not (np.isfinite(m) and np.isfinite(t)):
            return False
        if self.kind == "agreement" and m < 0:
            return False  # a discrepancy is never negative: a sign error somewhere
        ok = m <= t
        if self.parts:
            ok = ok and all(p.passed for p in self.parts)
        return bool(ok)

    @property
    def ratio(self) -> float:
        """``measured / tolerance`` for agreements (how much of the budget is used)."""
        t = float(self.tolerance)
        return float(self.measured) / t if t > 0 else float("inf")

    @classmethod
    def bound(cls, value, limit, details="", routes=(), name=""):
        """A one-sided inequality ``value <= limit`` stated by the theorem."""
        return cls(measured=float(value), tolerance=float(limit), details=details,
                   routes=tuple(routes), kind="bound", name=name)

    @classmethod
    def rate(cls, fit, exponent, *, side="upper", details="", routes=(), name=""):
        """Test a fitted exponent (:class:`ibtheory.stats.RateFit`) against the theorem's.

        ``side="upper"``: the theorem gives an O(x^exponent) upper bound; it is
        contradicted only if the interval's lower end lies above ``exponent``.
        ``side="two-sided"``: the theorem gives the exact rate; ``measured`` is the
        distance from ``exponent`` to the interval (0 inside), against 0.
        """
        lo, hi = (float(v) for v in fit.ci)
        text = (f"fitted exponent {fit.slope:.3f} [{lo:.3f}, {hi:.3f}] "
                f"({fit.level:.0%}, n={fit.n}) vs theorem {exponent:g} ({side}). {details}").strip()
        if side == "upper":
            return cls(measured=lo, tolerance=float(exponent), details=text,
                       routes=tuple(routes), kind="rate", name=name)
        if side == "two-sided":
            dist = max(0.0, lo - exponent, exponent - hi)
            return cls(measured=dist, tolerance=0.0, details=text, routes=tuple(routes),
                       kind="rate", name=name)
        raise ValueError(f"side must be 'upper' or 'two-sided', got {side!r}")

    @classmethod
    def combine(cls, details="", routes=(), **parts):
        """A composite of named sub-checks; passes when every part passes.

        Examples
        --------
        >>> from ibtheory.ledger import Check
        >>> c = Check.combine(flow=Check(1e-12, 1e-10), rate=Check.bound(0.5, 1.0))
        >>> c.passed, [p.name for p in c.parts]
        (True, ['flow', 'rate'])
        """
        if not parts:
            raise ValueError("combine needs at least one named sub-check")
        named = tuple(dataclasses.replace(p, name=k) for k, p in parts.items())
        worst = max(_part_ratio(p) for p in named)
        text = "; ".join(f"{p.name}: {p.measured:.3g} vs {p.tolerance:.3g}" for p in named)
        return cls(measured=worst, tolerance=1.0, details=(details + " " + text).strip(),
                   routes=tuple(routes), kind="composite", parts=named)


def _part_ratio(p: "Check") -> float:
    """A sub-check's share of its budget: 1 at its limit, < 1 inside, > 1 when it fails.

    Agreements: ``measured / tolerance``. Bounds and rates: ``measured / tolerance``
    when both are positive; otherwise ``1 - (tolerance - measured) / scale`` with the
    larger magnitude as scale (0 far inside, 1 at the limit); a count bounded by 0
    that is 0 uses nothing of its budget.
    """
    m, t = float(p.measured), float(p.tolerance)
    if not (np.isfinite(m) and np.isfinite(t)):
        return float("inf")
    if p.kind in ("agreement", "composite"):
        if t > 0:
            return m / t
        return 0.0 if m <= 0 and p.passed else 1.0 + abs(m)
    if m == t:
        return 0.0 if t == 0 else 1.0
    if t > 0 and m >= 0:
        return m / t
    scale = max(abs(m), abs(t))
    return 1.0 - (t - m) / scale


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
        Function returning a :class:`Check`: with no argument for a
        deterministic claim, or called as ``check(seeds)`` for a stochastic one.
    seeds : tuple of int or None
        The default seed set of a stochastic claim (``None``: deterministic).
        ``ibtheory verify --reseed K`` reruns it on K fresh disjoint sets of the
        same size.

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
    check: Callable[..., Check]
    seeds: tuple[int, ...] | None = None

    @property
    def paper(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def stochastic(self) -> bool:
        return self.seeds is not None

    def run(self, seeds=None) -> Check:
        """Run the check, on ``seeds`` (default: the claim's own set) if stochastic."""
        if self.seeds is None:
            if seeds is not None:
                raise ValueError(f"claim {self.id} is deterministic; it takes no seeds")
            return self.check()
        return self.check(tuple(self.seeds if seeds is None else seeds))

    def reseeded(self, k: int, base: int = 10_000) -> tuple[int, ...]:
        """The ``k``-th fresh seed set (k >= 1), disjoint from every other and from the default."""
        if self.seeds is None:
            raise ValueError(f"claim {self.id} is deterministic")
        n = len(self.seeds)
        return tuple(base + (k - 1) * n + i for i in range(n))


_REGISTRY: dict[str, Claim] = {}
#: claim modules that failed to import, with their tracebacks
IMPORT_ERRORS: dict[str, str] = {}


def claim(id: str, statement: str, source: str, *, seeds=None):
    """Register the decorated function as the check of a claim.

    A deterministic claim's check takes no argument; a stochastic claim (random
    data or initialization) passes ``seeds=(...)``, its default seed set, and
    its check takes the seed set as its one argument, so that
    ``ibtheory verify --reseed K`` can rerun it on fresh seeds.

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

    if seeds is not None:
        seeds = tuple(int(s) for s in seeds)
        if not seeds:
            raise ValueError("seeds must be a non-empty tuple of ints, or None")

    def decorate(fn):
        if id in _REGISTRY and _REGISTRY[id].check.__module__ != fn.__module__:
            raise ValueError(f"claim id {id!r} is registered twice")
        _REGISTRY[id] = Claim(id=id, statement=statement, source=source, check=fn, seeds=seeds)
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
