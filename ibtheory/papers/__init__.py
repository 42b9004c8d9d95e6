"""One package per paper, each split by stage.

- ``derivation``: the paper's SymPy derivations (``*Derivation`` objects whose
  ``residuals`` simplify to 0);
- ``closed_forms``: the predictions (closed forms, formulas as printed on the
  slides under ``printed_*`` names, beside the corrected ones);
- ``experiments``: each experiment the book shows or the ledger checks, as one
  function taking its grid, seeds and a size preset and returning a frozen
  :class:`ibtheory.Report`.

The packages are imported on first access: ``from ibtheory.papers import yun2021``.
"""
import importlib

PAPERS = ("varre2023", "min2021", "yun2021", "marion2024", "jin2023")

from ._experiment import PRESETS, Experiment, experiment, registry, set_cache  # noqa: E402

__all__ = list(PAPERS) + ["Experiment", "experiment", "registry", "set_cache", "PRESETS"]


def __getattr__(name):
    if name in PAPERS:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
