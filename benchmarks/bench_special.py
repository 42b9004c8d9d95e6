"""Timings of the Lemma 4 special functions (printed, never asserted).

Target: float64 h_inv on 10^6 points in <= 0.5 s for every L = 2..8.
Run: python benchmarks/bench_special.py
"""
import time
import tracemalloc

import numpy as np

from ibtheory.special import H, Q, blowup_time, h, h_inv


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    n = 10**6
    y = np.exp(rng.uniform(-30, 30, n)) * rng.choice([-1.0, 1.0], n)
    print(f"{'L':>2} {'h_inv 1e6 [s]':>14} {'H 1e6 [s]':>10} {'h 1e6 [s]':>10} {'peak MB (h_inv)':>16}")
    for L in range(2, 9):
        c = blowup_time(L)
        t = rng.uniform(-1, 1, n) * (3.0 if np.isinf(c) else c * (1 - 1e-9))
        h_inv(L, y[:10])  # warm-up (lazy imports, cached c_L)
        a = best_of(lambda: h_inv(L, y))
        b = best_of(lambda: H(L, y))
        d = best_of(lambda: h(L, t), repeat=1)
        tracemalloc.start()
        h_inv(L, y)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        flag = "" if a <= 0.5 else "  (above the 0.5 s target)"
        print(f"{L:>2} {a:>14.3f} {b:>10.3f} {d:>10.3f} {peak:>16.1f}{flag}")
    pts = np.linspace(0.01, 0.99, 100)
    for dps in (30, 50):
        s = best_of(lambda: h(5, pts * blowup_time(5), dps=dps), repeat=1)
        s2 = best_of(lambda: h_inv(5, pts * 10, dps=dps), repeat=1)
        print(f"mpmath dps={dps}: h on 100 points {s:.3f} s, h_inv on 100 points {s2:.3f} s")
    # Q on 10^3 x 10^3 points: the direct path, and the log-space path (issue 15) that
    # alpha^L |w|^L outside the float64 range forces.
    z = rng.standard_normal((1000, 1000))
    for alpha, log in ((0.5, False), (1e60, False), (1e-100, True)):
        s = best_of(lambda: Q(3, alpha, z, log=log), repeat=1)
        print(f"Q(L=3, alpha={alpha:g}, log={log}) on 10^6 entries: {s:.3f} s")


if __name__ == "__main__":
    main()
