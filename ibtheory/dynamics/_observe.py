"""Observables recorded along trajectories, and the conservation-law drift certificate."""
from __future__ import annotations

import numpy as np

#: Built-in observables (names accepted by ``record``).
BUILTIN = ("loss", "grad_norm", "beta", "params", "conserved", "svals", "directions")


def check_record(model, record, observables):
    """Validate ``record`` (names) and ``observables`` (name -> callable(params))."""
    if isinstance(record, str):
        record = (record,)
    record = tuple(record)
    for r in record:
        if r not in BUILTIN:
            raise ValueError(f"record entries must be among {BUILTIN}, got {r!r}")
    if "beta" in record and not model.linear:
        raise ValueError(f"record='beta' needs a linear model, got {model!r}")
    if observables is None:
        observables = {}
    if not isinstance(observables, dict) or not all(callable(f) for f in observables.values()):
        raise ValueError("observables must be a dict mapping names to callables f(params)")
    clash = set(observables) & set(record)
    if clash:
        raise ValueError(f"observables names clash with built-in records: {sorted(clash)}")
    return record, observables


def _svals(P):
    return [np.linalg.svd(p, compute_uv=False) for p in P if p.ndim == 3]


def _directions(P):
    W = P[0]
    if W.ndim != 3:
        return W / np.maximum(np.abs(W), 1e-300)
    nrm = np.linalg.norm(W, axis=-1, keepdims=True)
    return W / np.where(nrm > 0, nrm, 1.0)


def observe(model, P, names, observables, loss_val=None, grad_norm=None):
    """Evaluate the requested observables on batched parameters ``P`` (batch axis kept)."""
    out = {}
    for r in names:
        if r == "loss":
            out[r] = loss_val
        elif r == "grad_norm":
            out[r] = grad_norm
        elif r == "beta":
            b = model._beta(P)
            out[r] = b[..., 0] if model.k == 1 else b
        elif r == "params":
            out[r] = tuple(p.copy() for p in P)
        elif r == "conserved":
            out[r] = model._conserved(P)
        elif r == "svals":
            out[r] = _svals(P)
        elif r == "directions":
            out[r] = _directions(P)
    for name, f in observables.items():
        out[name] = [np.asarray(f(tuple(p[b] for p in P))) for b in range(P[0].shape[0])]
        out[name] = np.stack(out[name])
    return out


def stack_records(rows):
    """Stack a list of per-time dicts into arrays with time as axis 1 (after the batch axis)."""
    if not rows:
        return {}
    out = {}
    for key in rows[0]:
        vals = [r[key] for r in rows]
        v0 = vals[0]
        if isinstance(v0, dict):
            out[key] = {k: np.stack([v[k] for v in vals], axis=1) for k in v0}
        elif isinstance(v0, (list, tuple)):
            out[key] = tuple(np.stack([v[i] for v in vals], axis=1) for i in range(len(v0)))
        else:
            out[key] = np.stack([np.asarray(v) for v in vals], axis=1)
    return out


def unbatch(rec):
    """Drop the batch axis (of size 1) from stacked records."""
    out = {}
    for k, v in rec.items():
        if isinstance(v, dict):
            out[k] = {kk: vv[0] for kk, vv in v.items()}
        elif isinstance(v, tuple):
            out[k] = tuple(a[0] for a in v)
        else:
            out[k] = v[0]
    return out


class DriftMonitor:
    """Largest relative drift of every conservation law along a trajectory.

    The drift of a law :math:`C(\\theta)` (a difference of quadratic forms) is
    :math:`\\max_t \\|C(\\theta(t)) - C(\\theta(0))\\|_F` divided by the
    largest :math:`\\|\\theta(t)\\|_2^2` seen (which bounds
    :math:`\\|C(\\theta)\\|_F`), so it is a relative accuracy of the trajectory.
    """

    def __init__(self, model, P):
        self.model = model
        self.C0 = model._conserved(P)
        self.abs = {k: np.zeros(P[0].shape[0]) for k in self.C0}
        self.scale = self._sq(P)

    @staticmethod
    def _sq(P):
        return sum(np.sum(p.reshape(p.shape[0], -1) ** 2, axis=1) for p in P)

    def update(self, P, mask=None):
        if not self.C0:
            return
        self.scale = np.maximum(self.scale, self._sq(P))
        for k, c in self.model._conserved(P).items():
            dev = np.sqrt(np.sum((c - self.C0[k]).reshape(c.shape[0], -1) ** 2, axis=1))
            if mask is not None:
                dev = np.where(mask, dev, 0.0)
            self.abs[k] = np.maximum(self.abs[k], dev)

    def by_law(self):
        s = np.where(self.scale > 0, self.scale, 1.0)
        return {k: v / s for k, v in self.abs.items()}

    def total(self):
        laws = self.by_law()
        if not laws:
            return None
        return np.max(np.stack(list(laws.values())), axis=0)


def quiet_overflow(fn):
    """Silence NumPy's overflow/invalid warnings inside a dynamics entry point.

    The entry points detect overflow and divergence themselves and report them in
    their result (``Status.OVERFLOW``, ``Status.DIVERGED``, with a message), so
    NumPy's RuntimeWarnings would only repeat that on stderr.
    """
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore"):
            return fn(*args, **kwargs)

    return wrapper
