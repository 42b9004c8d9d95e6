"""Regenerate the paper sections of book/api.md from the package (one block per submodule).

Each paper section keeps its heading and one-line description; its eval-rst block lists
every public submodule of the paper package (``automodule`` with ``:members:``), and
every experiment defined in it as an ``autofunction`` (experiments are objects, so
automodule skips them). ``tests/test_api_page.py`` checks that the page covers the
package; run this after adding a module::

    python tools/api_papers.py
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from ibtheory.papers import PAPERS, Experiment

PAGE = Path(__file__).resolve().parents[1] / "book" / "api.md"


def block(paper: str) -> str:
    pkg = importlib.import_module(f"ibtheory.papers.{paper}")
    out = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        name = f"{pkg.__name__}.{info.name}"
        mod = importlib.import_module(name)
        exps = sorted(k for k, v in vars(mod).items()
                      if isinstance(v, Experiment) and v.fn.__module__ == name)
        lines = [f".. automodule:: {name}", "   :members:"]
        if exps:
            lines.append("   :exclude-members: " + ", ".join(exps))
        lines.append("")
        lines += [f".. autofunction:: {name}.{e}" for e in exps]
        if exps:
            lines.append("")
        out.append("\n".join(lines))
    return "```{eval-rst}\n" + "\n".join(out) + "```\n"


def main() -> None:
    text = PAGE.read_text()
    for paper in PAPERS:
        pat = re.compile(rf"(### `ibtheory\.papers\.{paper}`\n\n[^\n]*\n\n)```\{{eval-rst\}}\n.*?```\n",
                         re.S)
        text, n = pat.subn(lambda m: m.group(1) + block(paper), text)
        if n != 1:
            raise SystemExit(f"section of {paper} not found in {PAGE}")
    PAGE.write_text(text)


if __name__ == "__main__":
    main()
