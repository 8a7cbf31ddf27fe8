"""Adaptive flip-graph search (solvers/flip/adaptive.py): pools of schemes per rank,
tries of bounded path length, drawn by Thompson sampling from a ladder."""

import numpy as np
import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from decomp import solve
from decomp.core.formats import Format
from decomp.solvers.flip import cyclic as flip_cyclic
from decomp.solvers.gf2.bits import from_bits, to_bits
from decomp.solvers.flip.walk import walk_state
from decomp.solvers.flip.adaptive import RESTART_FLOOR, AdaptiveSearch, path_ladder


def _rng(seed):
    return np.array([np.uint64(seed)], dtype=np.uint64)


@pytest.mark.parametrize("fmt,rank,symmetry,seed", [("2x2x2", 7, "none", 1), ("3x3x3", 23, "none", 2),
                                                     ("2x4x5", 33, "none", 1), ("3x3x3", 23, "cyclic", 1)])
def test_adaptive_search_reaches_target(fmt, rank, symmetry, seed):
    res = solve(fmt, rank, method="flip", ring="gf2", seed=seed, symmetry=symmetry, search="adaptive",
                time_limit=120)
    assert res.success and res.scheme.rank == rank and res.scheme.verify().ok
    assert res.extra["search"] == "adaptive"
    if symmetry == "cyclic":
        flip_cyclic.orbits_of(to_bits(res.scheme, rank), rank)  # raises if not symmetric


def test_adaptive_search_lifts_to_z():
    res = solve("3x3x3", 23, method="flip", ring="z", seed=4, search="adaptive", time_limit=60)
    assert res.success and res.scheme.ring.value == "z" and res.scheme.verify().ok


def _check_pools(search, fmt):
    for snap in search.pool + search.next + [search.top[1]]:
        bits = search.state.bits_of(snap)
        assert bits.shape[1] == search.state.rank_of(snap)
        assert from_bits(bits, bits.shape[1], fmt, {}).verify().ok


@settings(max_examples=15, deadline=None)
@given(dims=st.sampled_from([(2, 2, 3), (3, 3, 3), (2, 3, 4)]), seed=st.integers(1, 10**9),
       pool=st.integers(1, 5), path=st.integers(1, 3000), plateau=st.sampled_from([0, 5, 200]))
def test_every_pooled_scheme_verifies(dims, seed, pool, path, plateau):
    """Whatever the pool size, path and plateau: every scheme in the pools and
    the best one verify, and the pool rank only goes down."""
    fmt = Format(*dims)
    search = walk_state(fmt, "naive", 0, adaptive=(pool, path, 4 * path))
    rng, counters, levels = _rng(seed), np.zeros(4, dtype=np.int64), [search.level]
    for _ in range(5):
        search.advance(0, 20_000, plateau, 2, rng, counters)
        _check_pools(search, fmt)
        levels.append(search.level)
        assert all(search.state.rank_of(s) <= search.level for s in search.pool)
        assert all(search.state.rank_of(s) < search.level for s in search.next)
    assert levels == sorted(levels, reverse=True) and search.best_rank <= levels[-1]


def test_symmetric_pools_stay_symmetric():
    n = 4
    fmt = Format(n, n, n)
    state = flip_cyclic.CyclicWalk(*flip_cyclic.diagonal_start(n, flip_cyclic.balanced_parts(n, 2)), 16)
    search = AdaptiveSearch(state, 3, 500, 4000)
    rng, counters = _rng(7), np.zeros(4, dtype=np.int64)
    for _ in range(5):
        search.advance(0, 20_000, 50, 2, rng, counters)
        _check_pools(search, fmt)
        for snap in search.pool + search.next:
            bits = state.bits_of(snap)
            flip_cyclic.orbits_of(bits, bits.shape[1])
    assert search.best_rank < state.start_rank


class _Scripted:
    """A walk state whose tries succeed only when given at least `needs`
    flips: enough to check the adaptive rule itself."""

    def __init__(self, needs, start_rank=10):
        self.needs, self.tries, self.start_rank = needs, [], start_rank
        self.fresh()

    def fresh(self):
        self.rank = self.best_rank = self.start_rank

    def snapshot(self):
        return self.rank

    best_snapshot = snapshot

    def load(self, snap):
        self.rank = self.best_rank = snap
        self.used = 0

    def advance(self, target, steps, plateau, plus_margin, rng, counters):
        self.tries.append(steps)
        take = min(steps, self.needs - self.used)
        self.used += take
        counters[0] += take
        if self.used >= self.needs:
            self.rank = self.best_rank = self.rank - 1
        return self.rank

    def bits_of(self, snap):
        return snap

    def rank_of(self, snap):
        return snap


def test_path_ladder_doubles_up_to_its_end():
    assert path_ladder(1000, 5000) == [1000, 2000, 4000, 5000]
    assert path_ladder(100, 100) == [100]


def test_tries_settle_on_the_path_lengths_that_pay():
    """Tries shorter than 350 flips never succeed here: Thompson sampling
    tries them at first and then walks the long enough ones (each success
    costs 350 flips on any of those)."""
    state = _Scripted(needs=350, start_rank=300)
    search = AdaptiveSearch(state, pool=1, path=100, path_max=1600)
    counters = np.zeros(4, dtype=np.int64)
    search.advance(100, 10**9, 0, 0, _rng(1), counters)
    assert search.best_rank == 100 and search.levels == 199
    assert {100, 200} <= set(state.tries[:40])  # the short ones were tried
    late = state.tries[-100:]
    assert sum(t >= 400 for t in late) >= 90
    assert search.wins[:2].sum() == 0 and search.wins[2:].sum() > 0


def test_a_level_without_reductions_starts_a_new_descent():
    """Rank 10 -> 9 -> 8 is easy, 8 never gives way: after twice the flips
    of the descent, and at least RESTART_FLOOR (doubling with each restart),
    the search starts afresh."""
    class Floor(_Scripted):
        def advance(self, target, steps, plateau, plus_margin, rng, counters):
            if self.rank <= 8:
                self.tries.append(steps)
                counters[0] += steps
                return self.rank
            return super().advance(target, steps, plateau, plus_margin, rng, counters)

    state = Floor(needs=10)
    search = AdaptiveSearch(state, pool=1, path=10_000, path_max=10_000)
    counters = np.zeros(4, dtype=np.int64)
    search.advance(0, 4 * RESTART_FLOOR, 0, 0, _rng(1), counters)
    # restarts after 1 and 1 + 2 floors; the next one would need 1 + 2 + 4
    assert search.restarts == 2 and search.level == 8


def test_a_result_at_the_target_stays_out_of_the_pools():
    """The walker lifts a scheme at the target to Z; one that does not lift is
    discarded and the search goes on from the pool it came from."""
    state = _Scripted(needs=5)
    search = AdaptiveSearch(state, pool=1, path=100, path_max=100)
    counters = np.zeros(4, dtype=np.int64)
    search.advance(8, 10**6, 0, 0, _rng(1), counters)
    assert search.best_rank == 8 and search.level == 9 and search.next == []
    search.discard_best()
    assert search.best_rank == 9
    search.advance(8, 10**6, 0, 0, _rng(1), counters)
    assert search.best_rank == 8 and search.level == 9


def test_pool_fills_before_the_search_descends():
    state = _Scripted(needs=50)
    search = AdaptiveSearch(state, pool=3, path=100, path_max=100)
    counters = np.zeros(4, dtype=np.int64)
    search.advance(7, 10**6, 0, 0, _rng(1), counters)
    assert search.best_rank == 7 and search.levels == 2 and search.level == 8
    assert len(state.tries) == 3 + 3 + 1  # three schemes of rank 9, three of 8, the first of 7


def test_stalled_level_goes_on_with_a_partial_pool():
    """After one quick success the tries keep failing; with one scheme of the
    next rank found, the search descends with it instead of waiting for a
    full pool (after STALL times the flips per success so far)."""
    class OnlyOnce(_Scripted):
        def advance(self, target, steps, plateau, plus_margin, rng, counters):
            if len(self.tries) == 0:
                self.tries.append(steps)
                counters[0] += 1
                self.rank = self.best_rank = self.rank - 1
                return self.rank
            self.tries.append(steps)
            counters[0] += steps
            return self.rank

    state = OnlyOnce(needs=0)
    search = AdaptiveSearch(state, pool=4, path=100, path_max=200)
    search.advance(0, 2_000, 0, 0, _rng(1), np.zeros(4, dtype=np.int64))
    assert search.levels == 1 and search.level == 9


@pytest.mark.parametrize("options,text", [(["search=deep"], "search must be walk or adaptive"),
                                          (["search=adaptive", "pool=0"], "pool must be a whole number >= 1"),
                                          (["search=adaptive", "path=-5"], "path must be a whole number >= 1"),
                                          (["search=adaptive", "path_max=x"], "path_max must be a whole number")])
def test_bad_adaptive_options_get_one_line_errors(capsys, options, text):
    args = ["solve", "3x3x3", "--rank", "23", "--method", "flip"]
    for o in options:
        args += ["-o", o]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and text in err and len(err.strip().splitlines()) == 1


def test_moves_without_flips_still_end_the_call():
    """A pooled scheme may have no flip at all (4x4x4 has such schemes at rank
    49): its tries make plus transitions only. advance() counts them as moves
    and returns; it used to loop for ever on a one-move budget."""
    class PlusOnly(_Scripted):
        def advance(self, target, steps, plateau, plus_margin, rng, counters):
            self.tries.append(steps)
            counters[2] += 1  # one plus transition, no flip
            return self.rank

    state = PlusOnly(needs=0)
    search = AdaptiveSearch(state, pool=1, path=100, path_max=100)
    counters = np.zeros(4, dtype=np.int64)
    search.advance(0, 1_000, 0, 0, _rng(1), counters)
    assert counters[2] == 1_000 and counters[0] == 0 and search.best_rank == 10
