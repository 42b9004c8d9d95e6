"""One Gaussian noise stream per run, so a run's noise does not depend on its batch.

Label-noise GD and the label-noise SDE add fresh Gaussian noise at every step. If a
batch of runs shared one generator, run ``b``'s noise would depend on how many runs
were batched with it. Here run ``b`` draws only from its own generator:

- ``seed`` an int: run ``b`` uses ``SeedSequence(seed).spawn(B)[b]``, whose stream
  depends on ``(seed, b)`` only (spawned children are keyed by their index);
- ``seed`` a sequence of ``B`` ints: run ``b`` uses ``default_rng(seed[b])``, so a
  run batched with others is bit-identical to the same run alone.

Draws are made in blocks of steps per run (a generator's standard normals come out
in the same order whatever the block size), which keeps the Python overhead at one
call per run every ``block`` steps.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_int


def check_seeds(seed, B: int, name: str = "seed"):
    """``seed`` as a list of ``B`` SeedSequence-compatible entries (see the module)."""
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer >= 0 or a sequence of {B} of them, got {seed!r}")
    if seed is None:   # fresh OS entropy would make the run irreproducible
        raise TypeError(f"{name} must be an integer >= 0 or a sequence of {B} of them, got None")
    if isinstance(seed, (numbers.Integral, np.integer)):
        return np.random.SeedSequence(check_int(seed, name, minimum=0)).spawn(B)
    try:
        seeds = [check_int(s, name, minimum=0) for s in seed]
    except TypeError:
        raise TypeError(f"{name} must be an integer >= 0 or a sequence of {B} of them, "
                        f"got {seed!r}") from None
    if len(seeds) != B:
        raise ValueError(f"{name} has {len(seeds)} entries but there are {B} runs (one seed per run)")
    return seeds


class RunNoise:
    """Standard normal draws of shape ``(B,) + shape`` per step, one stream per run.

    Examples
    --------
    >>> import numpy as np
    >>> from ibtheory.dynamics._noise import RunNoise
    >>> both = RunNoise([3, 4], (2,), block=2)
    >>> alone = RunNoise([4], (2,), block=5)
    >>> a = [both.next()[1] for _ in range(3)]
    >>> b = [alone.next()[0] for _ in range(3)]
    >>> all(np.array_equal(x, y) for x, y in zip(a, b))   # run 1 = the same run alone
    True
    """

    def __init__(self, seed, shape: tuple, block: int = 256, B: int | None = None):
        if B is None:
            B = len(seed)
        self._rngs = [np.random.default_rng(s) for s in check_seeds(seed, B)]
        self._shape = tuple(shape)
        block = check_int(block, "block", minimum=1)
        # keep the buffer near 8 MB whatever the batch and data size
        self._block = max(1, min(block, 2**20 // max(1, B * int(np.prod(self._shape)))))
        self._buf = None
        self._i = self._block

    def next(self) -> np.ndarray:
        if self._i == self._block:
            self._buf = np.stack([r.standard_normal((self._block,) + self._shape) for r in self._rngs],
                                 axis=1)
            self._i = 0
        out = self._buf[self._i]
        self._i += 1
        return out
