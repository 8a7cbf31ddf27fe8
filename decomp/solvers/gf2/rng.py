"""The xorshift64* generator of every GF(2) numba kernel (flip walks, the
local search on the Brent equations).

A state is a one-element uint64 array, so a kernel can advance it in place.
Seeds reach it as whole numbers from the front door's one seed rule
(solvers/api.py): a SeedSequence's output, never 0 (xorshift stays at 0).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Helpers are inlined into kernels compiled without reference counting
# (flip/kernel.py, "Speed"); they allocate nothing, so that is safe here.
KERNEL = dict(cache=True, _nrt=False)

MULT = np.uint64(2685821657736338717)
LOW32 = np.uint64(0xFFFFFFFF)
U32 = np.uint64(32)
_WARM_DRAWS = 4


@njit(inline="always", **KERNEL)
def rand(rng):
    """The next 64-bit value; advances rng[0]."""
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    return x * MULT


@njit(inline="always", **KERNEL)
def scale(bits32, n):
    """bits32 (a uniform 32-bit value) mapped to [0, n) (Lemire, n < 2^32)."""
    return np.int64((bits32 * np.uint64(n)) >> U32)


@njit(inline="always", **KERNEL)
def below(rng, n):
    """A uniform integer in [0, n)."""
    return scale(rand(rng) >> U32, n)


@njit(cache=True)
def _warm(rng, draws):
    for _ in range(draws):
        rand(rng)


def generator(seed: int) -> np.ndarray:
    """A generator state from a whole-number seed: the seed's 64 low bits
    mixed with the golden ratio (0 maps to 1), then a few draws so that
    nearby seeds part at once."""
    rng = np.array([np.uint64((int(seed) * 0x9E3779B97F4A7C15) % (1 << 64) or 1)], dtype=np.uint64)
    _warm(rng, _WARM_DRAWS)
    return rng
