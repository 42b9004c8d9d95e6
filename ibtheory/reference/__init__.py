"""Independent second routes: code that checks other code and shares none of it.

Everything here is written to be *independent of the function it checks*: it
uses other algorithms (mpmath root finders and ODE integrators, quadrature,
explicit matrices instead of fast transforms, plain loops instead of batched
kernels) and imports nothing from the module it checks. Tests, ledger claims
and chapters import their second route from here, so the same reference is
written once. Each module has its own tests (``tests/test_reference_*.py``).

Modules (imported on first access): one per paper (``reference.yun2021`` ...)
and generic ones.
"""
import importlib

_MODULES = ("varre2023", "min2021", "yun2021", "marion2024", "jin2023")

__all__ = list(_MODULES)


def __getattr__(name):
    if name in _MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
