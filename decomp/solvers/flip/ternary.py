"""Walk state for ternary walks over Z (ternary_kernel.py): schemes with
entries in {-1, 0, 1} as pairs of bit masks, and back; also for walks over
GF(3) on the same masks.

Outside the kernel a scheme travels as signed masks T[mode, t, 0/1] (the
+1 and -1 entries of each factor, the term's sign put into its mode-0
factor), the form `from_masks` reads; inside, factors are canonical and
the signs sit apart (ternary_kernel.py, "Layout").
"""

from __future__ import annotations

import numpy as np

from ...core.errors import DecompError
from ...core.formats import Format
from ...core.rings import Ring
from ...core.scheme import Scheme
from . import ternary_kernel

# Factors are single words of +1 bits and -1 bits.
MAX_BITS = 64
# Flips between two searches for a dependent triple (ternary_kernel.walk's default).
SCAN_EVERY = 256
_WEIGHTS = np.left_shift(np.uint64(1), np.arange(MAX_BITS, dtype=np.uint64))


def check_ternary(fmt: Format) -> None:
    if max(fmt.shape) > MAX_BITS:
        raise DecompError(f"ternary walks take factors of at most {MAX_BITS} entries; {fmt} has {max(fmt.shape)}")


def to_masks(s: Scheme, capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """Canonical factors F (3, capacity, 2) and term signs sg (capacity,)
    of a scheme over Z with entries in {-1, 0, 1}."""
    F = np.zeros((3, capacity, 2), dtype=np.uint64)
    sg = np.ones(capacity, dtype=np.int64)
    for mode, mat in enumerate(s.factors):
        mat = np.asarray(mat, dtype=np.int64)
        if mat.size and np.abs(mat).max() > 1:
            raise DecompError("a ternary walk starts from a scheme with entries in {-1, 0, 1}")
        rows = mat.shape[0]
        F[mode, : s.rank, 0] = ((mat == 1) * _WEIGHTS[:rows, None]).sum(axis=0, dtype=np.uint64)
        F[mode, : s.rank, 1] = ((mat == -1) * _WEIGHTS[:rows, None]).sum(axis=0, dtype=np.uint64)
        # canonical: the lowest non-zero entry is +1; the term's sign takes the rest
        for t in range(s.rank):
            p, n = int(F[mode, t, 0]), int(F[mode, t, 1])
            x = p | n
            if x and (x & -x) & n:
                F[mode, t, 0], F[mode, t, 1] = n, p
                sg[t] = -sg[t]
    return F, sg


def signed(F: np.ndarray, sg: np.ndarray, r: int) -> np.ndarray:
    """The first r terms as signed masks (the sign in the mode-0 factor)."""
    T = F[:, :r].copy()
    flip = sg[:r] < 0
    T[0, flip] = T[0, flip][:, ::-1]
    return T


def from_masks(T: np.ndarray, r: int, fmt: Format, provenance: dict) -> Scheme:
    """The Z scheme of signed masks (not verified here: the caller verifies
    what leaves its solver)."""
    shifts = np.arange(MAX_BITS, dtype=np.uint64)
    mats = []
    for mode, rows in enumerate(fmt.shape):
        pos = ((T[mode, :r, 0, None] >> shifts) & np.uint64(1)).astype(np.int64)
        neg = ((T[mode, :r, 1, None] >> shifts) & np.uint64(1)).astype(np.int64)
        mats.append((pos - neg)[:, :rows].T.copy())
    return Scheme(fmt, *mats, ring=Ring.ZT, provenance=provenance)


class TernaryWalk:
    """The walk-state interface of PlainWalk (plain_walk.py) for ternary walks;
    bits are signed masks (from_masks reads them). mod3=True walks over
    GF(3) (the same masks, -1 standing for 2): s0 is then a scheme mod 3
    (lift3.gf3_scheme), and so are the schemes the walk reaches."""

    def __init__(self, s0: Scheme, extra_terms: int, mod3: bool = False):
        check_ternary(s0.fmt)
        self.s0, self.cap, self.mod3 = s0, s0.rank + extra_terms, mod3
        self.F0, self.sg0 = to_masks(s0, self.cap)
        self.fresh()

    @property
    def start_rank(self) -> int:
        return self.s0.rank

    def fresh(self) -> None:
        self.F, self.sg = self.F0.copy(), self.sg0.copy()
        self.rank = self.s0.rank
        self.best_F, self.best_sg = self.F.copy(), self.sg.copy()
        self.best_r = np.array([self.s0.rank], dtype=np.int64)

    @property
    def best_rank(self) -> int:
        return int(self.best_r[0])

    def advance(self, target, steps, plateau, plus_margin, rng, counters) -> int:
        self.rank = ternary_kernel.walk(self.F, self.sg, self.rank, target, steps, plateau, plus_margin,
                                        self.best_F, self.best_sg, self.best_r, rng, counters,
                                        SCAN_EVERY, self.mod3)
        return self.rank

    def best_bits(self) -> np.ndarray:
        return signed(self.best_F, self.best_sg, self.best_rank)

    # Snapshots of schemes, for the adaptive search's pools (adaptive.py).
    def snapshot(self):
        return self.F.copy(), self.sg.copy(), self.rank

    def best_snapshot(self):
        return self.best_F.copy(), self.best_sg.copy(), self.best_rank

    def snapshot_of(self, s: Scheme):
        """The snapshot of another start of this rank (a pool of starts)."""
        F, sg = to_masks(s, self.cap)
        return F, sg, s.rank

    def load(self, snap) -> None:
        """Walk on from a snapshot, which is also the best of the new try."""
        F, sg, r = snap
        self.F[...], self.sg[...], self.rank = F, sg, r
        self.best_F[...], self.best_sg[...], self.best_r[0] = F, sg, r

    @staticmethod
    def bits_of(snap) -> np.ndarray:
        return signed(snap[0], snap[1], snap[2])

    @staticmethod
    def rank_of(snap) -> int:
        return snap[2]
