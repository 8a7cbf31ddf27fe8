"""Cyclic-symmetric schemes for the flip walk (Moosbauer & Poole 2025).

A symmetric scheme is kept as orbit representatives (each standing for its
three rotations) plus fixed terms a(x)a(x)a; see cyclic_kernel.py. This
module builds the start points, reads a stored symmetric scheme back into
orbits, and expands representatives into the full scheme.

Start points follow Moosbauer & Poole's diagonal partitions: split the
diagonal indices 0..n-1 into parts P and take the fixed terms
D_P(x)D_P(x)D_P with D_P = sum over i in P of e_ii. What is left of T is
symmetric with no fixed term: the standard terms e_ij(x)e_jk(x)e_ki with
(i,j,k) not all equal, plus (over GF(2)) e_ii(x)e_jj(x)e_kk for i,j,k in one
part, not all equal. The number of parts fixes the rank modulo 3 at the
start, so it is chosen to match the target (5x5x5 rank 93: three parts).
"""

from __future__ import annotations

from collections import Counter
from itertools import product

import numpy as np

from ...core.errors import DecompError
from ...core.formats import Format
from ...core.scheme import Scheme
from ..cyclic import balanced_parts, check_square, default_fixed, parse_parts
from ..gf2.bits import to_bits
from ..gf2.words import empty_factors, get_int, put_int, words_for
from . import cyclic_kernel


def _unit(q: int) -> int:
    return 1 << q


def _orbit_triples(indices):
    """One (i, j, k) from indices^3 per orbit under rotation (i,j,k) -> (j,k,i), leaving out i = j = k."""
    for i, j, k in product(indices, repeat=3):
        if (i, j, k) == min((i, j, k), (j, k, i), (k, i, j)) and not i == j == k:
            yield i, j, k


def diagonal_start(n: int, parts: list[list[int]]) -> tuple[list[tuple[int, int, int]], list[int]]:
    """Representatives and fixed terms (as bit masks) of the start point."""
    reps = [(_unit(i * n + j), _unit(j * n + k), _unit(k * n + i)) for i, j, k in _orbit_triples(range(n))]
    fixed = []
    for part in parts:
        fixed.append(sum(_unit(i * n + i) for i in part))
        reps += [(_unit(i * n + i), _unit(j * n + j), _unit(k * n + k)) for i, j, k in _orbit_triples(part)]
    return reps, fixed


def expand(reps, fixed, words: int = 1) -> np.ndarray:
    """The full scheme's factors as bit masks (flip_words, `words` per
    factor), 3*len(reps) + len(fixed) terms."""
    cols = []
    for u, v, w in reps:
        cols += [(u, v, w), (v, w, u), (w, u, v)]
    cols += [(a, a, a) for a in fixed]
    F = empty_factors(3, len(cols), words)
    for t, col in enumerate(cols):
        for mode, value in enumerate(col):
            put_int(F, mode, t, value)
    return F


def orbits_of(F: np.ndarray, r: int) -> tuple[list[tuple[int, int, int]], list[int]]:
    """A full scheme (bit masks, GF(2)) as representatives and fixed terms,
    or an error if rotating the modes does not map its terms to themselves."""
    terms = Counter(tuple(get_int(F, mode, t) for mode in range(3)) for t in range(r))
    reps, fixed = [], []
    for term in sorted(terms):
        while terms[term] > 0:
            terms[term] -= 1
            u, v, w = term
            if u == v == w:
                fixed.append(u)
                continue
            for rot in ((v, w, u), (w, u, v)):
                if terms[rot] <= 0:
                    raise DecompError("the start scheme is not cyclic-symmetric: rotating the modes does not "
                                      "map its terms to themselves")
                terms[rot] -= 1
            reps.append(term)
    return reps, fixed


class CyclicWalk:
    """Walk state for the walker in flip.py: representatives, fixed terms and
    the best symmetric scheme of the current attempt."""

    def __init__(self, reps, fixed, extra_orbits: int, words: int = 1):
        self.words = words
        # two equal fixed terms cancel over GF(2)
        self.reps0 = list(reps)
        self.fixed0 = sorted(a for a, times in Counter(fixed).items() if times % 2)
        self.cap = len(reps) + extra_orbits
        # room for as many fixed terms as the rank can reach (the kernel keeps the rank below this)
        self.fcap = 3 * self.cap + len(self.fixed0)
        self.fresh()

    @property
    def start_rank(self) -> int:
        return 3 * len(self.reps0) + len(self.fixed0)

    def fresh(self) -> None:
        self.G = empty_factors(1, 3 * self.cap, self.words)
        for t, rep in enumerate(self.reps0):
            for m, value in enumerate(rep):
                put_int(self.G, 0, 3 * t + m, value)
        self.nr = len(self.reps0)
        self.fixed = empty_factors(1, self.fcap, self.words)
        for q, value in enumerate(self.fixed0):
            put_int(self.fixed, 0, q, value)
        self.nfix = np.array([len(self.fixed0)], dtype=np.int64)
        self.best_G, self.best_fixed = self.G.copy(), self.fixed.copy()
        self.best = np.array([self.start_rank, self.nr, len(self.fixed0)], dtype=np.int64)

    @property
    def best_rank(self) -> int:
        return int(self.best[0])

    @property
    def rank(self) -> int:
        return 3 * self.nr + int(self.nfix[0])

    def advance(self, target, steps, plateau, plus_margin, rng, counters) -> int:
        self.nr = cyclic_kernel.walk(self.G, self.nr, self.fixed, self.nfix, target, steps, plateau,
                                          plus_margin, self.best_G, self.best_fixed, self.best, rng, counters)
        return self.rank

    def best_bits(self) -> np.ndarray:
        return self._expanded(self.best_G, self.best_fixed, int(self.best[1]), int(self.best[2]))

    def live_bits(self) -> np.ndarray:
        """The walk's current (not best) scheme, expanded."""
        return self._expanded(self.G, self.fixed, self.nr, int(self.nfix[0]))

    # Snapshots of schemes, for the adaptive search's pools (adaptive.py).
    def snapshot(self):
        return self.G.copy(), self.nr, self.fixed.copy(), int(self.nfix[0])

    def best_snapshot(self):
        return self.best_G.copy(), int(self.best[1]), self.best_fixed.copy(), int(self.best[2])

    def load(self, snap) -> None:
        """Walk on from a snapshot, which is also the best of the new try."""
        G, nr, fixed, nfix = snap
        self.G[...], self.nr, self.fixed[...], self.nfix[0] = G, nr, fixed, nfix
        self.best_G[...], self.best_fixed[...] = G, fixed
        self.best[:] = (3 * nr + nfix, nr, nfix)

    def bits_of(self, snap) -> np.ndarray:
        G, nr, fixed, nfix = snap
        return self._expanded(G, fixed, nr, nfix)

    @staticmethod
    def rank_of(snap) -> int:
        return 3 * snap[1] + snap[3]

    def _expanded(self, G, fixed, nr, nfix) -> np.ndarray:
        reps = [tuple(get_int(G, 0, 3 * t + m) for m in range(3)) for t in range(nr)]
        return expand(reps, [get_int(fixed, 0, q) for q in range(nfix)], self.words)


def cyclic_walk(fmt: Format, start: Scheme | None, target: int | None, parts, fixed_terms,
                extra_orbits: int) -> CyclicWalk:
    """The walk state from a start point: a symmetric scheme, or the diagonal
    start with the given parts (or number of fixed terms, or the default)."""
    n = check_square(fmt)
    if start is not None:
        reps, fixed = orbits_of(to_bits(start, start.rank), start.rank)
    else:
        if parts is None:
            parts = balanced_parts(n, fixed_terms if fixed_terms is not None else default_fixed(n, target))
        elif isinstance(parts, str):
            parts = parse_parts(parts, n)
        reps, fixed = diagonal_start(n, parts)
    return CyclicWalk(reps, fixed, extra_orbits, words_for(n * n))
