"""Fuzz walk of every public callable of ibtheory.dynamics and ibtheory.models with bad inputs.

Each callable has a valid baseline call; the walk replaces one argument at a time by
a bad value (None, strings, non-integers, NaN/inf, huge numbers, empty or misshapen
arrays, a batched ``y`` with unbatched parameters, ...). The contract
(``ibtheory._contracts``): an attempt either raises ``ValueError``/``TypeError``
whose message names the argument, or returns a result in which no NaN/inf
appears without ``success=False`` and a message. Hypothesis adds random arrays
(shapes and values) for the array arguments.

``python tests/test_fuzz_dynamics_models.py`` prints the counts of the walk.
"""
from __future__ import annotations

import math
import time

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import ibtheory.dynamics as D  # noqa: E402
import ibtheory.models as M  # noqa: E402

# ------------------------------------------------------------------ the baselines
_rng = np.random.default_rng(0)
X = _rng.standard_normal((4, 3))
Y = _rng.standard_normal(4)
NET = M.DeepLinear([3, 2, 1])
P = M.gaussian_init(NET, scale=0.5, seed=1)
PB = M.gaussian_init(NET, scale=0.5, seed=1, batch=2)
RELU = M.TwoLayerReLU(d=3, m=4)
PR = M.relu_init(RELU, seed=0)
DIAG = M.Diagonal(d=3, L=2)
PD = (np.ones(3), np.ones(3))


def _chain():
    return dict(layers=0.5 * np.ones((2, 1, 3, 3)) + 0.1 * np.eye(3), head=np.ones((2, 3)),
                Sigma=X.T @ X / 4, c=X.T @ Y / 4, lr=0.01, n_steps=5)


#: name -> (callable, baseline kwargs, owned by the engine). ``owned=False``: the file is
#: another helper's; its counts are reported, not asserted.
SPECS = {
    # models: constructors
    "TwoLayerLinear": (M.TwoLayerLinear, dict(d=3, l=2, k=1), True),
    "DeepLinear": (M.DeepLinear, dict(widths=[3, 2, 1]), True),
    "Diagonal": (M.Diagonal, dict(d=3, L=2), True),
    "Convolutional": (M.Convolutional, dict(d=3, L=2), True),
    "TensorNetwork": (M.TensorNetwork, dict(M=np.diag, d=3), True),
    "TensorNetwork(array)": (M.TensorNetwork, dict(M=np.ones((3, 2, 2))), True),
    "TwoLayerReLU": (M.TwoLayerReLU, dict(d=3, m=4, bias=True, train="all"), True),
    "tensor_form": (M.tensor_form, dict(model=DIAG), True),
    # models: methods
    "Model.forward": (NET.forward, dict(params=P, X=X), True),
    "Model.loss": (NET.loss, dict(params=P, X=X, y=Y, loss="mean"), True),
    "Model.value_and_grad": (NET.value_and_grad, dict(params=P, X=X, y=Y), True),
    "Model.hvp": (NET.hvp, dict(params=P, X=X, y=Y, v=P), True),
    "Model.conserved": (NET.conserved, dict(params=P), True),
    "Model.flatten": (NET.flatten, dict(params=P), True),
    "Model.unflatten": (NET.unflatten, dict(theta=np.ones(8)), True),
    "LinearModel.beta": (NET.beta, dict(params=P), True),
    "ReLU.value_and_grad": (RELU.value_and_grad, dict(params=PR, X=X, y=Y), True),
    # models: initializers (models/_init.py, the lead's)
    "gaussian_init": (M.gaussian_init, dict(model=NET, scale=0.5, seed=0, batch=None), False),
    "varre_init": (M.varre_init, dict(model=M.TwoLayerLinear(3, 4), gamma=0.1, seed=0), False),
    "orthogonal_init": (M.orthogonal_init, dict(model=NET, scale=1.0, seed=0), False),
    "residual_init": (M.residual_init, dict(model=M.DeepLinear([3, 3, 1]), s=1.0, seed=0), False),
    "yun_init": (M.yun_init, dict(model=DIAG, alpha=0.1, wbar=np.ones(3)), False),
    "relu_init": (M.relu_init, dict(model=RELU, dist="gaussian", seed=0), False),
    # dynamics
    "gradient_flow": (D.gradient_flow, dict(model=NET, params=P, X=X, y=Y, loss="mean", t_max=1.0,
                                            max_steps=200), True),
    "gradient_descent": (D.gradient_descent, dict(model=NET, params=PB, X=X, y=Y, lr=0.01, n_steps=5,
                                                  loss="mean"), True),
    "label_noise_sgd": (D.label_noise_sgd, dict(model=NET, params=PB, X=X, y=Y, lr=0.01, n_steps=5,
                                                delta=0.1, seed=0), True),
    "label_noise_sde": (D.label_noise_sde, dict(model=NET, params=P, X=X, y=Y, dt=0.01, n_steps=5,
                                                sigma=0.1, seed=0), True),
    "sharpness": (D.sharpness, dict(model=NET, params=P, X=X, y=Y, iters=50, tol=1e-6, seed=0), True),
    "hessian": (D.hessian, dict(model=NET, params=P, X=X, y=Y), True),
    "reparam_flow": (D.reparam_flow, dict(model=NET, params=P, X=X, y=Y, loss="mean", t_max=1.0,
                                          max_steps=200), True),
    "Problem": (D.Problem, dict(X=X, y=Y, loss="mean"), False),
    # dynamics of the paper helpers
    "logtime_flow": (D.logtime_flow, dict(model=NET, params=P, X=X, y=np.sign(Y), s_max=1.0), False),
    "chain_gd": (D.chain_gd, _chain(), False),
    "chain_sharpness": (D.chain_sharpness, dict(layers=_chain()["layers"], head=np.ones((2, 3)), X=X, y=Y,
                                                iters=20), False),
    "relu_jacobian": (D.relu_jacobian, dict(params=PR, X=X), False),
}

_INT_LIKE = {"d", "l", "k", "L", "m", "n_steps", "max_steps", "iters", "seed", "batch", "record_every",
             "stall_steps", "widths"}


def bad_values(name, value):
    """The bad values tried for one argument (its name and baseline value)."""
    vals = [None, "a", object(), True, 2.7, -1, 0, -1.5, math.nan, math.inf, -math.inf, 1e300,
            [], np.zeros(0), np.full((2, 3, 4, 5), 1.0), np.array([math.nan]), 1j]
    if name == "y":
        vals += [np.ones((2, 4)), np.ones(5), np.full(4, math.nan), np.full(4, 1e200)]
    if name == "X":
        vals += [np.ones((4, 5)), np.full((4, 3), math.inf), np.full((4, 3), 1e200), np.ones(3)]
    if name in ("params", "v"):
        vals += [tuple(np.full_like(a, 1e200) for a in value), tuple(a[..., :1] if a.ndim else a[None] for a in value),
                 value[:1], tuple(np.full_like(a, math.nan) for a in value)]
    if name == "widths":
        vals += [[3], [3, 2.5, 1], [3, 10 ** 12, 1], [3] * 20_000, "abc"]
    if name in ("d", "L", "l", "m"):
        vals += [10 ** 12, 2.0 + 1e-9]
    if name == "model":
        vals += [M.TwoLayerReLU(d=3, m=2), M.Diagonal(d=3, L=10_000)]
    return vals


def _has_nonfinite(obj, depth=0):
    if depth > 4:
        return False
    if isinstance(obj, (float, np.floating)):
        return not np.isfinite(obj)
    if isinstance(obj, np.ndarray) and obj.dtype.kind in "fc":
        return not np.all(np.isfinite(obj))
    if isinstance(obj, dict):
        return any(_has_nonfinite(v, depth + 1) for k, v in obj.items() if k not in ("records", "sharpness"))
    if isinstance(obj, (tuple, list)):
        return any(_has_nonfinite(v, depth + 1) for v in obj)
    return False


def classify(fn, kwargs, arg):
    """'ok', 'clear' (ValueError/TypeError naming the argument), 'unclear' (naming it not),
    'other' (another exception), 'silent' (NaN/inf without success=False and a message)
    or 'truncated' (a non-integer accepted where an integer is required)."""
    import warnings

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = fn(**kwargs)
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        # a model that does not match the params is reported on params (the pair is wrong)
        names = (arg, arg.rstrip("s")) + (("params",) if arg == "model" else ())
        return "clear" if any(nm in msg for nm in names) else "unclear"
    except Exception:  # noqa: BLE001 - the walk classifies every exception
        return "other"
    v = kwargs[arg]
    if arg in _INT_LIKE and isinstance(v, float) and not float(v).is_integer():
        return "truncated"
    if _has_nonfinite(out):
        ok_flag = isinstance(out, dict) and out.get("success") is False and bool(out.get("message"))
        if not ok_flag:
            return "silent"
    return "ok"


class _Timeout(Exception):
    pass


def _alarm(*_):
    raise _Timeout()


def walk(names=None, timeout=5):
    """Run the walk; return ``{name: {outcome: count}}`` and the failing attempts.

    An attempt that runs longer than ``timeout`` seconds (a budget of 1e300 steps
    accepted) is counted as ``"timeout"`` (POSIX only)."""
    import signal

    counts, failures = {}, []
    use_alarm = hasattr(signal, "SIGALRM")
    if use_alarm:
        old = signal.signal(signal.SIGALRM, _alarm)
    for name, (fn, base, _owned) in SPECS.items():
        if names is not None and name not in names:
            continue
        c = counts.setdefault(name, {})
        for arg, value in base.items():
            for bad in bad_values(arg, value):
                kw = dict(base)
                kw[arg] = bad
                try:
                    if use_alarm:
                        signal.alarm(timeout)
                    res = classify(fn, kw, arg)
                except _Timeout:
                    res = "timeout"
                finally:
                    if use_alarm:
                        signal.alarm(0)
                c[res] = c.get(res, 0) + 1
                if res in ("unclear", "other", "silent", "truncated", "timeout"):
                    failures.append((name, arg, repr(bad)[:40], res))
    if use_alarm:
        signal.signal(signal.SIGALRM, old)
    return counts, failures


OWNED = [n for n, (_, _, owned) in SPECS.items() if owned]


@pytest.mark.parametrize("name", OWNED)
def test_walk_gives_clear_errors_or_certified_results(name):
    counts, failures = walk([name])
    assert sum(counts[name].values()) > 0
    assert not failures, failures


def test_baselines_are_valid():
    for name, (fn, base, _) in SPECS.items():
        fn(**base)


_arrays = st.integers(0, 3).flatmap(
    lambda nd: st.lists(st.integers(0, 5), min_size=nd, max_size=nd)).flatmap(
    lambda shape: st.builds(lambda vals: np.array(vals, dtype=float).reshape(shape),
                            st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                               st.sampled_from([0.0, 1.0, -1.0, 1e300])),
                                     min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))))


@settings(deadline=None, max_examples=60, derandomize=True)
@given(name=st.sampled_from(["gradient_flow", "gradient_descent", "label_noise_sde", "sharpness", "hessian",
                             "reparam_flow", "Model.loss", "Model.hvp"]),
       arg=st.sampled_from(["X", "y"]), arr=_arrays)
def test_random_arrays(name, arg, arr):
    fn, base, _ = SPECS[name]
    kw = dict(base)
    kw[arg] = arr
    assert classify(fn, kw, arg) in ("ok", "clear"), (name, arg, arr)


if __name__ == "__main__":  # pragma: no cover - the report of the walk
    t0 = time.perf_counter()
    counts, failures = walk()
    tot = {}
    for name, c in counts.items():
        for k, v in c.items():
            tot[k] = tot.get(k, 0) + v
    own = {}
    for name, c in counts.items():
        if SPECS[name][2]:
            for k, v in c.items():
                own[k] = own.get(k, 0) + v
    print(f"attempts {sum(tot.values())}: {tot}  ({time.perf_counter() - t0:.1f} s)")
    print(f"owned by the engine, attempts {sum(own.values())}: {own}")
    for f in failures:
        print("  ", "owned" if SPECS[f[0]][2] else "other", *f)
