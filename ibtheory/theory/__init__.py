"""Paper-specific theory layers: closed forms, derivations and experiment drivers, one module per paper.

Submodules are imported on first access: ``from ibtheory.theory import varre2023``.
"""
import importlib

_PAPERS = ("varre2023", "min2021", "yun2021", "marion2024", "jin2023")


def __getattr__(name):
    if name in _PAPERS or name.split("_")[0] in _PAPERS:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
