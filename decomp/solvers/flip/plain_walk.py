"""The walk state of the plain GF(2) flip kernel: the scheme as bit masks
and the best scheme of the current attempt (CyclicWalk in cyclic.py and
TernaryWalk in ternary.py are its twins)."""

from __future__ import annotations

import numpy as np

from ...core.scheme import Scheme
from ..gf2.bits import to_bits
from . import kernel

# Room for plus transitions above the start rank.
EXTRA_TERMS = 16


class PlainWalk:
    """Walk state for the plain kernel: the scheme, and the best scheme of
    the current attempt (CyclicWalk in cyclic.py is the symmetric twin)."""

    def __init__(self, s0: Scheme, extra_terms: int):
        self.s0, self.cap = s0, s0.rank + extra_terms
        self.fresh()

    @property
    def start_rank(self) -> int:
        return self.s0.rank

    def fresh(self) -> None:
        self.F = to_bits(self.s0, self.cap)
        self.rank = self.s0.rank
        self.best_F, self.best_r = self.F.copy(), np.array([self.s0.rank], dtype=np.int64)

    @property
    def best_rank(self) -> int:
        return int(self.best_r[0])

    def advance(self, target, steps, plateau, plus_margin, rng, counters) -> int:
        self.rank = kernel.walk(self.F, self.rank, target, steps, plateau, plus_margin, self.best_F,
                                     self.best_r, rng, counters)
        return self.rank

    def best_bits(self) -> np.ndarray:
        return self.best_F[:, : self.best_rank].copy()

    # Snapshots of schemes, for the adaptive search's pools (adaptive.py).
    def snapshot(self):
        return self.F.copy(), self.rank

    def best_snapshot(self):
        return self.best_F.copy(), self.best_rank

    def snapshot_of(self, s: Scheme):
        """The snapshot of another start of this rank (a pool of starts)."""
        return to_bits(s, self.cap), s.rank

    def load(self, snap) -> None:
        """Walk on from a snapshot, which is also the best of the new try."""
        F, r = snap
        self.F[...], self.rank = F, r
        self.best_F[...], self.best_r[0] = F, r

    @staticmethod
    def bits_of(snap) -> np.ndarray:
        return snap[0][:, : snap[1]].copy()

    @staticmethod
    def rank_of(snap) -> int:
        return snap[1]
