"""The API page documents every public module of every paper package and every experiment."""
import importlib
import pkgutil
from pathlib import Path

import pytest

from ibtheory.papers import PAPERS, Experiment

PAGE = (Path(__file__).resolve().parents[1] / "book" / "api.md").read_text()


@pytest.mark.parametrize("paper", PAPERS)
def test_api_page_covers_the_paper_package(paper):
    pkg = importlib.import_module(f"ibtheory.papers.{paper}")
    missing = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        name = f"{pkg.__name__}.{info.name}"
        if f".. automodule:: {name}\n" not in PAGE:
            missing.append(name)
        mod = importlib.import_module(name)
        for k, v in vars(mod).items():
            if isinstance(v, Experiment) and v.fn.__module__ == name \
                    and f".. autofunction:: {name}.{k}\n" not in PAGE:
                missing.append(f"{name}.{k}")
    assert not missing, f"book/api.md misses {missing}: run python tools/api_papers.py"
