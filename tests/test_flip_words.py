"""Factors longer than 64 bits: the flip kernels on multi-word factors."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from decomp import solve
from decomp.core.errors import DecompError
from decomp.core.formats import Format
from decomp.core.scheme import Scheme
from decomp.solvers.flip import cyclic as flip_cyclic
from decomp.solvers.flip import kernel as flip_kernel
from decomp.solvers.gf2.bits import from_bits, to_bits
from decomp.solvers.gf2.words import empty_factors, get_int, put_int


def _naive(dims):
    fmt = Format(*dims)
    return Scheme(fmt, *fmt.naive_factors(), ring="gf2")


def test_int_round_trip_across_words():
    A = empty_factors(3, 4, 3)
    value = (1 << 150) | (1 << 64) | (1 << 63) | 5
    put_int(A, 2, 1, value)
    assert get_int(A, 2, 1) == value and A.shape == (3, 4, 3)
    assert A[2, 1, 0] == (1 << 63) | 5 and A[2, 1, 1] == 1 and A[2, 1, 2] == 1 << 22


@pytest.mark.parametrize("dims,words", [((2, 33, 2), 2), ((3, 3, 23), 2), ((3, 4, 5), 3)])
def test_bits_round_trip_multiword(dims, words, alphatensor_f2):
    s = next(x for x in alphatensor_f2 if x.fmt.dims == dims) if dims == (3, 4, 5) else _naive(dims)
    F = to_bits(s, s.rank + 2, words if dims == (3, 4, 5) else None)
    assert F.ndim == 3 and F.shape[2] == words
    assert from_bits(F, s.rank, s.fmt, {}).fingerprint() == s.fingerprint()


def _stepwise(words, steps=1500):
    """Fingerprints of a 3x3x3 walk after every single move, factors stored in `words` words."""
    s = _naive((3, 3, 3))
    F = to_bits(s, s.rank + 16, words)
    best, best_r = F.copy(), np.array([s.rank])
    rng, counters = np.array([np.uint64(5)], dtype=np.uint64), np.zeros(4, dtype=np.int64)
    r, seen = s.rank, []
    for _ in range(steps):
        r = flip_kernel.walk(F, r, 0, 1, 20, 2, best, best_r, rng, counters)
        seen.append(from_bits(F, r, s.fmt, {}).fingerprint())
    return seen, counters


def test_multiword_walk_makes_the_same_moves_as_single_word():
    """The same walk with factors in one word and padded to two words: the
    same scheme after every move (flips, reductions, plus transitions), so
    the multi-word operations do what the scalar ones do."""
    one, counters = _stepwise(1)
    two, _ = _stepwise(2)
    assert counters[1] > 0 and counters[2] > 0  # reductions and plus transitions happened
    assert one == two


@settings(max_examples=10, deadline=None)
@given(dims=st.sampled_from([(2, 33, 2), (3, 3, 23), (5, 13, 2)]), seed=st.integers(1, 10**9),
       steps=st.integers(1, 20000), plateau=st.sampled_from([0, 5, 200]))
def test_every_intermediate_multiword_scheme_verifies(dims, seed, steps, plateau):
    s = _naive(dims)
    F = to_bits(s, s.rank + 16)
    assert F.ndim == 3
    best, best_r = F.copy(), np.array([s.rank])
    rng, counters = np.array([np.uint64(seed)], dtype=np.uint64), np.zeros(4, dtype=np.int64)
    r = s.rank
    for _ in range(3):
        r = flip_kernel.walk(F, r, 0, steps, plateau, 2, best, best_r, rng, counters)
        assert from_bits(F, r, s.fmt, {}).verify().ok
        assert from_bits(best, int(best_r[0]), s.fmt, {}).verify().ok
    assert np.all(F[:, r:] == 0)


def test_solve_multiword_format_from_a_stored_scheme():
    """<9,9,9> (81-bit factors): a plain walk from Moosbauer & Poole's
    diagonal start (rank 766, a full scheme) makes flips and reductions
    down to 734. (From the standard algorithm a plain walk in formats this
    large finds no reduction at all.)"""
    fmt = Format(9, 9, 9)
    start = flip_cyclic.cyclic_walk(fmt, None, None, None, None, 0)
    s0 = from_bits(start.best_bits(), start.start_rank, fmt, {})
    assert s0.rank == 766 and s0.verify().ok
    res = solve("9x9x9", 734, method="flip", ring="gf2", seed=1, time_limit=120, start=s0)
    assert res.success and res.scheme.rank <= 734
    assert res.scheme.verify().ok and res.extra["flips"] > 0


def test_too_large_format_is_refused():
    with pytest.raises(DecompError, match="too large for the flip solver"):
        solve("30x30x30", 20000, method="flip", ring="gf2", time_limit=1)


def test_cyclic_walk_on_81_bit_factors_stays_valid_and_symmetric():
    """<9,9,9>: factors of 81 bits, two words; the symmetric walk reduces
    the diagonal start and every state it leaves is valid and symmetric."""
    n = 9
    state = flip_cyclic.cyclic_walk(Format(n, n, n), None, None, None, None, 16)
    assert state.G.ndim == 3
    start = state.start_rank
    rng, counters = np.array([np.uint64(3)], dtype=np.uint64), np.zeros(4, dtype=np.int64)
    for _ in range(3):
        state.advance(0, 200_000, 2000, 2, rng, counters)
        for bits in (state.live_bits(), state.best_bits()):
            s = from_bits(bits, bits.shape[1], Format(n, n, n), {})
            assert s.verify().ok
            flip_cyclic.orbits_of(bits, bits.shape[1])  # raises if not symmetric
    assert state.best_rank < start and counters[1] > 0


def test_cyclic_multiword_makes_the_same_moves_as_single_word():
    def run(words):
        reps, fixed = flip_cyclic.diagonal_start(4, flip_cyclic.balanced_parts(4, 2))
        state = flip_cyclic.CyclicWalk(reps, fixed, 16, words)
        rng, counters = np.array([np.uint64(7)], dtype=np.uint64), np.zeros(4, dtype=np.int64)
        seen = []
        for _ in range(800):
            state.advance(0, 1, 10, 2, rng, counters)
            seen.append(from_bits(state.live_bits(), state.rank, Format(4, 4, 4), {}).fingerprint())
        return seen, counters

    one, counters = run(1)
    two, _ = run(2)
    assert counters[1] > 0 and counters[2] > 0 and one == two
