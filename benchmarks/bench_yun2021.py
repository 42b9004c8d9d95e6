"""Yun, Krishnan & Mobahi (2021) experiments at the ``paper`` presets, timed.

Runs every experiment of :mod:`ibtheory.papers.yun2021` (exponential-loss flows in
log-time up to t = e^(10^5) over 10-20 seeds; regression flows against the solvers)
and prints the time, the outcome counts and the peak memory; then times one log-time flow
of :class:`ibtheory.models.TensorNetwork` (direct/cached-path contractions) against a
subclass that searches the path on every call (``einsum(optimize=True)``, the former
behaviour), and one regression flow of
:class:`ibtheory.models.Convolutional` against the matrix-DFT
:class:`ibtheory.papers.yun2021.ShortConvolutional`, in the same run (ratio printed).
Usage: ``python benchmarks/bench_yun2021.py [--quick | --models]`` (``--quick``: the ``book`` presets;
``--models``: only the model timings).
"""
import resource
import sys
import time

import numpy as np

from ibtheory.papers import yun2021 as yk


def _models():
    from ibtheory.dynamics import logtime_flow
    from ibtheory.models import Convolutional, TensorNetwork, yun_init

    rng = yk.rng_for(0)
    X, y = yk.separable_instance(rng, 4, 6)
    T = rng.standard_normal((6, 3, 3, 3))
    p0 = tuple(0.1 * rng.standard_normal(3) for _ in range(3))
    class SearchingTensorNetwork(TensorNetwork):   # the former contraction: path searched per call
        def _contract(self, vecs, out, gb=None):
            ops, subs = [self.T], [self._tsub]
            if gb is not None:
                ops.append(gb)
                subs.append("Za")
            for i, v in vecs:
                ops.append(v)
                subs.append("Z" + self._idx[i])
            return np.einsum(",".join(subs) + "->" + out, *ops, optimize=True)

    times = {}
    for cls in (SearchingTensorNetwork, TensorNetwork):
        t = time.perf_counter()
        fl = logtime_flow(cls(T), p0, X, y, 1e3)
        times[cls.__name__] = (time.perf_counter() - t, fl.beta[-1])
    (t0, b0), (t1, b1) = times.values()
    print(f"log-time flow, 3-layer tensor (6,3,3,3): path searched per call {t0:.2f} s, TensorNetwork {t1:.2f} s "
          f"(x{t0 / t1:.1f}); same trajectory to {np.max(np.abs(b0 - b1)) / np.max(np.abs(b0)):.1e}")
    Xr, yr, wbar = yk.even_regression_instance(rng, 3, 8)
    out = []
    for net in (Convolutional(8, 4), yk.ShortConvolutional(8, (8,) * 4)):
        t = time.perf_counter()
        res = yk.regression_limit(net, yun_init(Convolutional(8, 4), 1.0, wbar), Xr, yr, rtol=1e-12)
        out.append((time.perf_counter() - t, net.beta(res.x)))
    (t0, b0), (t1, b1) = out
    print(f"regression flow, convolutional d=8 L=4: Convolutional {t0:.2f} s, ShortConvolutional {t1:.2f} s "
          f"(x{t0 / t1:.1f}); same limit to {np.max(np.abs(b0 - b1)) / np.max(np.abs(b0)):.1e}")


def main(quick=False):
    preset = "book" if quick else "paper"
    t_all = time.perf_counter()
    for exp in (yk.tensor_identities, yk.exponential_flows, yk.diagonal_directions, yk.conv_directions,
                yk.single_point, yk.diagonal_regression, yk.alpha_path, yk.conv_regression,
                yk.two_layer_point_regression, yk.short_conv_flows, yk.conv_single_point,
                yk.deep_conv_directions, yk.deep_conv_regression):
        t = time.perf_counter()
        tab = exp(preset).table()
        print(f"{exp.id:40s} {len(tab):5d} runs in {time.perf_counter() - t:7.1f} s; outcomes "
              f"{tab.outcome.value_counts().to_dict()}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {time.perf_counter() - t_all:.1f} s; peak RSS {peak:.0f} MB")
    _models()


if __name__ == "__main__":
    if "--models" in sys.argv:
        _models()
    else:
        main(quick="--quick" in sys.argv)
