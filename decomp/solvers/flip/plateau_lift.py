"""Lifting along a plateau: a GF(2) scheme that does not lift to Z may have
neighbours of the same rank, some flips away, that do.

Why: whether a scheme lifts depends on its signs working out mod 4, a
property of the scheme, not of its rank; flips move along the schemes of
one rank and change it. A GF(2) walk that reached 3x5x5 rank 58 (the
record) gave a scheme that does not lift; 57 plateau points, 200000 flips
apart, later one did (README, "Lifting along a plateau"). Without this, a
walk over z that reaches its target over GF(2) and fails to lift starts
over and throws the rank away.

The walk here makes flips and reductions but no plus transitions (the rank
never rises); a reduction on the way is kept and lifted too.
"""

from __future__ import annotations

import time

import numpy as np

from ...core.lift import LiftResult, lift_gf2
from ...core.rings import Ring
from ...core.scheme import Scheme
from ..gf2.bits import from_bits
from .plain_walk import EXTRA_TERMS, PlainWalk

# flips between two lift attempts: 200000 flips take a few hundredths of a
# second, a failed lift at 3x5x5 about one second, so the points lie far apart
FLIPS_PER_POINT = 200_000


class PlateauWalk:
    """Flips and reductions from a GF(2) scheme, no plus transitions: the
    points it gives have the scheme's rank or less."""

    def __init__(self, s: Scheme, rng, counters=None):
        self.s, self.rng = s, rng
        self.walk = PlainWalk(s, EXTRA_TERMS)
        self.counters = np.zeros(4, dtype=np.int64) if counters is None else counters

    def next_point(self, flips: int) -> Scheme:
        """The scheme `flips` flips on (target 0: the kernel never stops
        early; plateau 0: no plus transitions), verified over GF(2)."""
        w = self.walk
        w.advance(0, flips, 0, 0, self.rng, self.counters)
        bits = w.F[:, :w.rank].copy()
        return from_bits(bits, w.rank, self.s.fmt, dict(self.s.provenance)).require_valid(Ring.GF2)


def lift_on_plateau(s: Scheme, rng, points: int, flips: int = FLIPS_PER_POINT, deadline: float | None = None,
                    stop=None, first: LiftResult | None = None, ring=Ring.Z) -> tuple[LiftResult, Scheme, int]:
    """Lift s, else walk its plateau and try to lift every `flips` flips, at
    most `points` times, until the deadline (monotonic) or stop.is_set().
    first: the result of lifting s when the caller tried already. ring: z,
    or zt for entries in {-1, 0, 1} (lift_gf2). Returns
    the lift result, the GF(2) scheme it came from (s when none lifted) and
    the flips made. rng: a kernel generator state."""
    res = first if first is not None else lift_gf2(s, ring=ring)
    if res.scheme is not None or points <= 0:
        return res, s, 0
    walk = PlateauWalk(s, rng)
    tried = 0
    while tried < points:
        if (deadline is not None and time.monotonic() >= deadline) or (stop is not None and stop.is_set()):
            break
        point = walk.next_point(flips)
        tried += 1
        lifted = lift_gf2(point, ring=ring)
        if lifted.scheme is not None:
            flipped = int(walk.counters[0])
            return LiftResult(lifted.scheme, f"{lifted.message} at plateau point {tried} ({flipped} flips on)"), \
                point, flipped
    return LiftResult(None, f"{res.message}; none at {tried} plateau points"), s, int(walk.counters[0])
