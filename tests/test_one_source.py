"""One source per experiment: chapters and claims hold no seeds, grids or thresholds of their own.

The experiment functions of :mod:`ibtheory.papers` hold every setting in their presets;
the chapters and the ledger claims call them. This test greps the chapters' code cells
and the claim modules for the literals that would mean an experiment is written twice.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.md"))
CLAIMS = sorted((ROOT / "ibtheory" / "ledger" / "claims").glob("*.py"))

_CELL = re.compile(r"```\{code-cell\}[^\n]*\n(.*?)```", re.S)
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"
FORBIDDEN = {
    "seed literal": re.compile(rf"\bseeds?\s*=\s*[\(\[]?\s*{_NUM}"),
    "generator seeded by a literal": re.compile(rf"default_rng\(\s*{_NUM}|SeedSequence\(\s*{_NUM}"),
    "grid literal (3 or more numbers)": re.compile(rf"[\(\[]\s*{_NUM}\s*,\s*{_NUM}\s*,\s*{_NUM}"),
    "ledger.run in a chapter": re.compile(r"ledger\.run\("),
}


def _code(path: Path) -> str:
    text = path.read_text()
    if path.suffix == ".md":
        return "\n".join(_CELL.findall(text))
    return text


PAPERS = ("varre2023", "min2021", "yun2021", "marion2024", "jin2023")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_holds_no_settings(path):
    code = _code(path)
    rules = dict(FORBIDDEN)
    if not path.stem.startswith(PAPERS):
        # the foundation chapters (dynamics, Lemma 4, solvers) illustrate functions on
        # grids of their own that no claim repeats; seeds and ledger runs stay forbidden
        rules.pop("grid literal (3 or more numbers)")
    hits = [(name, m.group(0)) for name, rx in rules.items() for m in rx.finditer(code)]
    assert not hits, f"{path.name}: settings belong in the experiment presets: {hits}"


@pytest.mark.parametrize("path", CLAIMS, ids=lambda p: p.name)
def test_claim_module_holds_no_seeds(path):
    code = _code(path)
    rx = {k: v for k, v in FORBIDDEN.items() if k != "ledger.run in a chapter"}
    hits = [(name, m.group(0)) for name, r in rx.items() for m in r.finditer(code)]
    assert not hits, f"{path.name}: seeds and grids come from the experiments' presets: {hits}"
