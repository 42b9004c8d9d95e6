"""One source per experiment: chapters and claims hold no seeds or grids of their own.

The experiment functions of :mod:`ibtheory.papers` hold every setting in their presets;
the chapters and the ledger claims call them. This test greps the chapters' code cells
and the claim modules for the literals that would mean an experiment is written twice:

- paper chapters: no seed literal, no generator seeded by a literal, no numeric grid
  (a tuple or list of three or more numbers), no ``ledger.run``;
- foundation chapters (dynamics, Lemma 4, solvers): no ``ledger.run`` (they illustrate
  library functions on instances of their own, which no claim repeats: checked below);
- claim modules: no seed literal and no generator seeded by a literal (a claim on random
  instances takes its seeds as an argument, from its experiment's preset);
- no numeric grid appears both in a chapter and in a claim module.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.md"))
CLAIMS = sorted((ROOT / "ibtheory" / "ledger" / "claims").glob("*.py"))
PAPERS = ("varre2023", "min2021", "yun2021", "marion2024", "jin2023")

_CELL = re.compile(r"```\{code-cell\}[^\n]*\n(.*?)```", re.S)
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"
SEED = re.compile(rf"\bseeds?\s*=\s*[\(\[]?\s*{_NUM}")
SEEDED_RNG = re.compile(rf"default_rng\(\s*{_NUM}|SeedSequence\(\s*{_NUM}")
GRID = re.compile(rf"[\(\[]\s*{_NUM}\s*(?:,\s*{_NUM}\s*){{2,}}[,\s]*[\)\]]")
LEDGER_RUN = re.compile(r"ledger\.run\(")


def _code(path: Path) -> str:
    text = path.read_text()
    if path.suffix == ".md":
        return "\n".join(_CELL.findall(text))
    return text


def _grids(code: str) -> set[tuple[float, ...]]:
    out = set()
    for m in GRID.finditer(code):
        nums = tuple(float(x) for x in re.findall(_NUM, m.group(0)))
        if len(set(nums)) >= 3:  # shapes such as (2, 2, 2) are not grids
            out.add(nums)
    return out


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_holds_no_settings(path):
    code = _code(path)
    rules = {"ledger.run in a chapter": LEDGER_RUN}
    if path.stem.startswith(PAPERS):
        rules.update({"seed literal": SEED, "generator seeded by a literal": SEEDED_RNG})
    hits = [(name, m.group(0)) for name, rx in rules.items() for m in rx.finditer(code)]
    if path.stem.startswith(PAPERS):
        hits += [("grid literal", g) for g in sorted(_grids(code))]
    assert not hits, f"{path.name}: settings belong in the experiment presets: {hits}"


@pytest.mark.parametrize("path", CLAIMS, ids=lambda p: p.name)
def test_claim_module_holds_no_seeds(path):
    code = _code(path)
    rules = {"seed literal": SEED, "generator seeded by a literal": SEEDED_RNG}
    hits = [(name, m.group(0)) for name, rx in rules.items() for m in rx.finditer(code)]
    assert not hits, f"{path.name}: seeds come from the experiments' presets: {hits}"


def test_no_grid_written_twice():
    chapter_grids = {g: p.name for p in CHAPTERS for g in _grids(_code(p))}
    twice = [(g, chapter_grids[g], p.name) for p in CLAIMS for g in _grids(_code(p))
             if g in chapter_grids]
    assert not twice, f"grids written both in a chapter and in a claim: {twice}"
