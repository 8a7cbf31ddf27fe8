"""Adaptive flip-graph search (after Arai, Ichikawa & Hukushima, ISSAC 2024).

A plain walk from the standard algorithm wanders ever further from the
schemes that gave it its reductions: on 4x5x5 it is at rank 92 after 13 s
and then finds nothing for minutes. The adaptive search constrains the
range instead: it goes down rank by rank, and at each rank r it keeps a
pool of schemes of rank r. A try starts from a random member of the pool
and walks at most `path` flips (plus transitions included, as configured);
a try that reaches rank < r puts its scheme into the next pool, one that
does not is dropped. The path limit adapts to the rank: after `pool`
consecutive failed tries it doubles (lower ranks need longer paths), up to
`path_max`; when it is at its maximum and still failing, the search goes on
with whatever the next pool holds. When the next pool is full (`pool`
schemes), it becomes the pool of the next rank.

The search drives one walk state (PlainWalk or CyclicWalk), which gives it
snapshots of schemes and starts a try from one (`load`), so it runs with or
without cyclic symmetry and over any number of words per factor.
"""

from __future__ import annotations

import numpy as np

from ..gf2.rng import rand


class AdaptiveSearch:
    """The walk-state interface the walker in walk.py drives (start_rank,
    best_rank, fresh, advance, best_bits), over pools of schemes."""

    def __init__(self, state, pool: int, path: int, path_max: int, patience: int | None = None):
        self.state, self.pool_size, self.path0, self.path_max = state, pool, path, max(path, path_max)
        self.patience = patience or pool  # failed tries in a row before the path doubles
        self.fresh()

    @property
    def start_rank(self) -> int:
        return self.state.start_rank

    @property
    def best_rank(self) -> int:
        return self.top[0]

    def fresh(self) -> None:
        self.state.fresh()
        start = self.state.snapshot()
        self.level = self.state.start_rank  # rank of the pool's schemes (at most)
        self.pool, self.next = [start], []
        self.path, self.misses = self.path0, 0
        self.top = (self.level, start)  # best rank and scheme of this attempt
        self.try_from = None  # flip count at the start of the running try
        self.levels = 0

    def best_bits(self) -> np.ndarray:
        return self.state.bits_of(self.top[1])

    def advance(self, target, steps, plateau, plus_margin, rng, counters) -> int:
        """Tries until `steps` flips are spent, the target is reached or no
        move is left."""
        spent_from = int(counters[0])
        while self.top[0] > target and counters[0] - spent_from < steps:
            if self.try_from is None:
                self.state.load(self.pool[int(rand(rng) % np.uint64(len(self.pool)))])
                self.try_from = int(counters[0])
                counters[3] = 0  # flips since a reduction, for the plateau
            done = int(counters[0]) - self.try_from
            budget = min(self.path - done, steps - (int(counters[0]) - spent_from))
            before = int(counters[0])
            self.state.advance(max(target, self.level - 1), budget, plateau, plus_margin, rng, counters)
            if self.state.best_rank < self.level:
                self._found(self.state.best_snapshot(), self.state.best_rank)
            elif counters[0] - self.try_from >= self.path or counters[0] == before:
                self._missed()  # path used up, or a dead end (no flip, no plus transition)
        return self.state.rank

    def _found(self, snap, rank: int) -> None:
        self.try_from, self.misses = None, 0
        self.next.append(snap)
        if rank < self.top[0]:
            self.top = (rank, snap)
        if len(self.next) >= self.pool_size:
            self._descend()

    def _missed(self) -> None:
        self.try_from = None
        self.misses += 1
        if self.misses < self.patience:
            return
        self.misses = 0
        if self.path < self.path_max:
            self.path = min(2 * self.path, self.path_max)
        elif self.next:
            self._descend()  # the longest paths keep failing: go on with what was found

    def _descend(self) -> None:
        self.level = max(self.state.rank_of(s) for s in self.next)
        self.pool, self.next = self.next, []
        self.levels += 1
