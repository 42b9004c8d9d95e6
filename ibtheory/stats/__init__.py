"""Statistics that follow the theorems: rate fits with confidence intervals,
one-sided tests of O(n^-a) bounds, and intervals for counts of events.

One log-log fitter for the whole package (:func:`loglog_fit`); experiments fit
their rates over an ensemble of seeds with it and the ledger tests the interval
in the direction the theorem speaks (:meth:`RateFit.consistent_with_bound`).

See the book chapter *Theorem ledger* (``book/ledger.md``).
"""
from ._fit import RateFit, binomial_interval, loglog_fit, loglog_fit_or_none

__all__ = ["RateFit", "loglog_fit", "loglog_fit_or_none", "binomial_interval"]
