"""The theorem ledger.

Every claim of the five papers that ibtheory reproduces is registered here with
an id that starts with its paper's key (``varre2023``, ``min2021``, ``yun2021``,
``marion2024``, ``jin2023``), a one-sentence statement, its source and a check
that computes the same quantity by independent routes and returns the measured
discrepancy with its tolerance.

Claims live in the modules of :mod:`ibtheory.ledger.claims`, one module per
paper topic; :func:`run` imports them all. From the shell::

    ibtheory verify                 # every claim
    ibtheory verify "yun2021.*"     # a glob
    ibtheory verify lemma4 --json   # a substring, JSON output

The book's page *Theorem ledger* runs the whole ledger at build time.
"""
from ._registry import PAPER_KEYS, Check, Claim, all_claims, claim
from ._reseed import ReseedReport, ReseedRow, reseed, reseed_cached
from ._runner import ClaimResult, LedgerReport, run, run_cached, run_claim, select

__all__ = [
    "PAPER_KEYS", "Check", "Claim", "ClaimResult", "LedgerReport",
    "ReseedReport", "ReseedRow", "all_claims", "claim", "reseed", "reseed_cached", "run", "run_cached",
    "run_claim", "select",
]
