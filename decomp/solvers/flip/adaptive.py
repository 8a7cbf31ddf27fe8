"""Adaptive flip-graph search (after Arai, Ichikawa & Hukushima, ISSAC 2024).

A plain walk from the standard algorithm wanders ever further from the
schemes that gave it its reductions: on 4x5x5 it is at rank 92 after 13 s
and then finds nothing for minutes, and from the standard 2x5x5 it makes no
reduction at all in 5e7 flips. The adaptive search constrains the range
instead: it goes down rank by rank, and at each rank r it keeps a pool of
schemes of rank r. A try starts from a random member of the pool and walks
at most L flips (plus transitions included, as configured); a try that
reaches rank < r puts its scheme into the next pool, one that does not is
dropped. When the next pool is full (`pool` schemes) it becomes the pool of
the next rank.

The path limit L: short tries stay near the pool, long ones reach further,
and which pays best changes with the format and the rank. Measured from the
standard 2x5x5 (flips per reduction): 1.4e6 with L = 300, 6e5 with 1000,
1.1e6 with 4000, 5e6 with 16000, 2e7 with 256000. An earlier rule doubled L
after a fixed number of failed tries in a row; where one try in 600
succeeds, that drove L to millions of flips and the search stalled. Here L
is chosen per try from a ladder path, 2 path, 4 path, ... path_max by
Thompson sampling: each rung's rate of reductions per flip has a Gamma
posterior (wins + 1/2, flips spent + L; an unused rung looks like half a
try that won at its end, so every rung gets tried while the rates are
unknown), a rate is drawn from each and the rung with the highest draw is
walked. The counts run over all ranks: rates fall as the rank does, but
the flips spent, and so the counts, are dominated by the rank at hand.

A level that stops yielding: with some schemes of the next rank found, the
search goes on with them when three times the mean flips per success so far
have passed without one (it would expect about three). With none found, the
pool may sit in a region with no reduction near it (4x4x4 pools at rank 52
did for minutes, where a fresh descent passes 52 in about a second): after
twice the flips the whole descent took to reach this rank (and at least
RESTART_FLOOR), the search starts afresh from the start point. The walker
keeps the best scheme over all attempts.

A search may start from a pool of schemes (all stored schemes of the best
rank, `--start stored`) rather than one: each descent's first pool then
holds them all, so its tries spread over the regions they came from.

The search drives one walk state (PlainWalk or CyclicWalk), which gives it
snapshots of schemes and starts a try from one (`load`), so it runs with or
without cyclic symmetry and over any number of words per factor.
"""

from __future__ import annotations

import numpy as np

from ..gf2.rng import rand

# Prior pseudo-wins of a rung (with its own length as pseudo-flips).
PRIOR = 0.5
# A partial pool is taken on after this many times the mean flips per success without one.
STALL = 3.0
# A level with no success restarts the descent after this many times the flips it took to reach it ...
RESTART = 2.0
# ... and at least this many flips (about a second).
RESTART_FLOOR = 10_000_000


def path_ladder(path: int, path_max: int) -> list[int]:
    """path, 2 path, 4 path, ... up to path_max (which ends it)."""
    ladder = [path]
    while ladder[-1] < path_max:
        ladder.append(min(2 * ladder[-1], path_max))
    return ladder


class AdaptiveSearch:
    """The walk-state interface the walker in walk.py drives (start_rank,
    best_rank, fresh, advance, best_bits), over pools of schemes."""

    def __init__(self, state, pool: int, path: int, path_max: int, others=()):
        self.state, self.pool_size = state, pool
        # snapshots of further starts of the start's rank: every descent's first pool holds them all
        self.others = list(others)
        self.ladder = np.array(path_ladder(path, max(path, path_max)), dtype=np.float64)
        self.chooser = None  # numpy generator for the draws, seeded from the walk's stream
        self.restarts = 0  # new descents after a pool with no reduction near it
        # wins and flips per rung, over all levels and restarts
        self.wins = np.zeros(len(self.ladder))
        self.spent = np.zeros(len(self.ladder))
        self.fresh()

    @property
    def start_rank(self) -> int:
        return self.state.start_rank

    @property
    def best_rank(self) -> int:
        return self.top[0]

    @property
    def path(self) -> int:
        """The path limit of the running (or last) try."""
        return int(self.ladder[self.rung])

    def fresh(self) -> None:
        self.state.fresh()
        start = self.state.snapshot()
        self.level = self.state.start_rank  # rank of the pool's schemes (at most)
        self.pool, self.next = [start, *self.others], []
        self.top = (self.level, start)  # best rank and scheme of this attempt
        self.try_moves = None  # moves of the running try (None: none running)
        self.levels, self.flips = 0, 0
        self.rung = 0
        self._new_level()

    def best_bits(self) -> np.ndarray:
        return self.state.bits_of(self.top[1])

    def advance(self, target, steps, plateau, plus_margin, rng, counters) -> int:
        """Tries until `steps` moves are spent, the target is reached or no
        move is left. Moves are flips and plus transitions: a scheme with no
        flip (no two terms share a factor; 4x4x4 has such schemes at rank 49)
        still costs its plus transitions, so every call ends."""
        if self.chooser is None:
            self.chooser = np.random.default_rng(int(rand(rng)))
        spent = 0
        while self.top[0] > target and spent < steps:
            if self.try_moves is None:
                self.state.load(self.pool[int(rand(rng) % np.uint64(len(self.pool)))])
                self.rung = self.choose_rung()
                self.try_moves = 0  # moves of this try so far
                counters[3] = 0  # flips since a reduction, for the plateau
            budget = min(self.path - self.try_moves, steps - spent)
            before = int(counters[0] + counters[2])
            self.state.advance(max(target, self.level - 1), budget, plateau, plus_margin, rng, counters)
            made = int(counters[0] + counters[2]) - before
            dead = made == 0  # no flip and no plus transition: a dead end
            made = budget if dead else made
            spent += made
            self.try_moves += made
            if self.state.best_rank < self.level:
                self._found(self.state.best_snapshot(), self.state.best_rank, target)
            elif self.try_moves >= self.path or dead:
                self._missed()
        return self.state.rank

    def discard_best(self) -> None:
        """Drop the scheme that reached the target (the walker could not lift
        it to Z) and go on from the pool; the best is again the pool's rank.
        Schemes at the target never enter the pools, so this is all of them."""
        self.top = (self.level, self.pool[0])

    def choose_rung(self) -> int:
        """Thompson sampling over the ladder: a reduction rate per flip drawn
        from each rung's Gamma posterior; the highest draw wins."""
        draws = self.chooser.gamma(self.wins + PRIOR, 1.0 / (self.spent + self.ladder))
        return int(np.argmax(draws))

    def _new_level(self) -> None:
        self.level_flips, self.level_wins, self.last_win_at = 0, 0, 0
        self.reached_after = self.flips  # flips of this descent before this level

    def _end_try(self) -> None:
        """Charge the try's moves to its rung, this level and this descent."""
        self.spent[self.rung] += self.try_moves
        self.level_flips += self.try_moves
        self.flips += self.try_moves
        self.try_moves = None

    def _found(self, snap, rank: int, target: int) -> None:
        self._end_try()
        self.wins[self.rung] += 1
        self.level_wins += 1
        self.last_win_at = self.level_flips
        if rank < self.top[0]:
            self.top = (rank, snap)
        if rank <= target:
            return  # a result for the walker, not a pool member (see discard_best)
        self.next.append(snap)
        if len(self.next) >= self.pool_size:
            self._descend()

    def _missed(self) -> None:
        self._end_try()
        if self.next and self.level_flips - self.last_win_at > STALL * self.last_win_at / self.level_wins:
            self._descend()  # this level stopped yielding: go on with what was found
        elif not self.next and self.level_flips > max(RESTART * self.reached_after,
                                                      RESTART_FLOOR * 2.0 ** self.restarts):
            self.restarts += 1
            self.fresh()  # no reduction near this pool: a new descent

    def _descend(self) -> None:
        self.level = max(self.state.rank_of(s) for s in self.next)
        self.pool, self.next = self.next, []
        self.levels += 1
        self._new_level()
