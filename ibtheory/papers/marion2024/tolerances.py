"""Tolerances shared by the ledger claims and the chapter (each with its reason).

See the book chapter *Deep linear networks are implicitly regularized towards flat
minima* (``book/marion2024.md``).
"""
import numbers

import numpy as np

#: closed-form minimizer sharpness vs the dense engine Hessian (relative): float64 eigenvalues of
#: O(1e2) matrices; worst measured over 5 reseeds 1.2e-15, margin ~1e3
HESSIAN = 1e-12
#: brute-force minimum over all minimizers vs the certified infimum (relative): worst measured over 5
#: reseeds 2.4e-15; the optimizers' stopping rule (Nelder-Mead fatol 1e-13 on values O(10)) can stop
#: ~1e-12 short on the objective, nonsmooth where eigenvalues cross, so 1e-11 (about 4e3 x the worst)
INFIMUM = 1e-11
#: rounding slack on one-sided inequalities between certified float64 values (relative)
ROUNDING = 1e-12
#: the PL identity mu in 4[lmin, lmax](Sigma^1/2 M Sigma^1/2) at the end of a flow (relative): the final
#: gradient (~1e-8 of its initial size) is formed from O(1) residuals, ~1e-8 relative error
PL_IDENTITY = 1e-6
#: S >= inf S for a flow limit (relative): power iteration to 1e-10 at an excess risk ~1e-16
FLOW_SHARPNESS = 1e-8
#: change of the conservation laws over a whole small-init flow, relative to eps0 = max_k |W_k(0)|_F^2 (the
#: scale of the rank-one property): worst over 5 reseeds 4.8e-8 at rtol 1e-11 (book preset), tolerance ~20 x that
CONSERVATION = 1e-6
#: default seeds of the engine check "power iteration = top eigenvalue of the SymPy Hessian"
#: (one random data set and batch of three GD runs per seed; rerun on fresh sets by --reseed)
POWER_ITERATION_SEEDS = (0, 1)


def sharpness_slack(max_excess):
    """Slack on inf S <= S <= 2/lr for GD limits: ``10 sqrt(max relative excess) + 1e-8``.

    The residual part of the Hessian is O(sqrt(excess)); 1e-8 covers the power iteration (tol 1e-9).

    Examples
    --------
    >>> from ibtheory.papers.marion2024.tolerances import sharpness_slack
    >>> round(sharpness_slack(1e-10), 12)
    1.01e-04
    """
    if isinstance(max_excess, (bool, np.bool_)) or not isinstance(max_excess, numbers.Real):
        raise TypeError(f"max_excess must be a real number >= 0, got {max_excess!r}")
    if not (np.isfinite(max_excess) and max_excess >= 0):
        raise ValueError(f"max_excess must be a finite real number >= 0, got {max_excess!r}")
    return 10.0 * float(max_excess) ** 0.5 + 1e-8
