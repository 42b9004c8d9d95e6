"""Fuzz the public functions of the paper layers, the statistics and the references.

Every public callable of ``ibtheory.papers.<paper>`` (and its stage modules),
``ibtheory.stats`` and ``ibtheory.reference.<paper>`` is called with malformed
arguments. The only acceptable outcomes are a ``ValueError`` or ``TypeError``
whose message names one of the function's parameters (or says what is allowed),
or a ``SolverError``; never a raw NumPy error (IndexError, LinAlgError,
broadcasting errors, AttributeError, ...) and never a silently returned NaN.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import ibtheory.papers as papers_pkg
from ibtheory.papers import PAPERS

BAD_VALUES = {
    "None": None,
    "str": "abc",
    "bool": True,
    "nan": float("nan"),
    "inf": float("inf"),
    "negative": -3,
    "non-integer": 2.7,
    "complex": 1 + 2j,
    "empty": np.array([]),
    "3-d": np.ones((2, 2, 2)),
    "object": np.array([object(), object()], dtype=object),
}


def _public_callables():
    seen = {}
    modules = []
    for p in PAPERS:
        try:
            pkg = importlib.import_module(f"ibtheory.papers.{p}")
        except ModuleNotFoundError:
            continue
        modules.append(pkg)
        for info in pkgutil.iter_modules(getattr(pkg, "__path__", [])):
            if not info.name.startswith("_"):
                modules.append(importlib.import_module(f"{pkg.__name__}.{info.name}"))
        try:
            modules.append(importlib.import_module(f"ibtheory.reference.{p}"))
        except ModuleNotFoundError:
            pass
    modules.append(importlib.import_module("ibtheory.stats"))
    for mod in modules:
        names = getattr(mod, "__all__", None) or [n for n in vars(mod) if not n.startswith("_")]
        for name in names:
            obj = getattr(mod, name, None)
            if obj is None or inspect.isclass(obj) or inspect.ismodule(obj):
                continue
            if not callable(obj):
                continue
            owner = getattr(obj, "__module__", "") or ""
            if isinstance(obj, papers_pkg.Experiment):
                owner = obj.fn.__module__
            if not owner.startswith("ibtheory"):
                continue  # re-exported third-party names
            seen.setdefault(id(obj), (f"{mod.__name__}.{name}", obj))
    return sorted(seen.values(), key=lambda t: t[0])


CALLABLES = _public_callables()


def _required_params(fn):
    target = fn.fn if isinstance(fn, papers_pkg.Experiment) else fn
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    return [p for p in sig.parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _ok_error(exc: BaseException) -> bool:
    from ibtheory.solvers import SolverError

    return isinstance(exc, (ValueError, TypeError, SolverError))


@pytest.mark.parametrize("qualname,fn", CALLABLES, ids=[c[0] for c in CALLABLES])
def test_bad_inputs_raise_clear_errors(qualname, fn):
    if isinstance(fn, papers_pkg.Experiment):
        with pytest.raises(ValueError, match="preset"):
            fn("no-such-preset")
        with pytest.raises(TypeError, match="setting"):
            fn("smoke", no_such_setting=1)
        return
    params = _required_params(fn)
    if not params:
        return  # nothing to corrupt
    for label, bad in BAD_VALUES.items():
        kwargs = {}
        args = []
        for p in params:
            if p.kind == p.KEYWORD_ONLY:
                kwargs[p.name] = bad
            else:
                args.append(bad)
        try:
            out = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the type is what is tested
            assert _ok_error(exc), (
                f"{qualname}({label} inputs) raised {type(exc).__name__}: {exc}")
            continue
        # a call that accepts these inputs must not hand back a silent NaN
        vals = np.asarray(out, dtype=object).ravel() if not hasattr(out, "__dict__") else []
        for v in vals:
            if isinstance(v, float):
                assert np.isfinite(v), f"{qualname}({label} inputs) returned {v}"
