import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from decomp import solve
from decomp.core.errors import DecompError
from decomp.core.formats import Format
from decomp.core.scheme import Scheme
from decomp.core.store import Catalogue
from decomp.solvers.flip import cyclic as flip_cyclic
from decomp.solvers.gf2.bits import from_bits, to_bits


def _scheme(F, n):
    return from_bits(F, F.shape[1], Format(n, n, n), {})


def _walk(state, steps, plateau=50, margin=2, seed=1, target=0):
    rng = np.array([np.uint64(seed)], dtype=np.uint64)
    counters = np.zeros(4, dtype=np.int64)
    state.advance(target, steps, plateau, margin, rng, counters)
    return counters


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_diagonal_starts_are_valid_and_symmetric(n):
    """Every partition size gives a valid start; reading its orbits back
    gives the same representatives and fixed terms."""
    for count in range(1, n + 1):
        reps, fixed = flip_cyclic.diagonal_start(n, flip_cyclic.balanced_parts(n, count))
        F = flip_cyclic.expand(reps, fixed)
        assert _scheme(F, n).verify().ok
        assert len(fixed) == count and F.shape[1] == 3 * len(reps) + count
        back = flip_cyclic.orbits_of(F, F.shape[1])
        assert sorted(back[0]) == sorted(reps) and sorted(back[1]) == sorted(fixed)


def test_fixed_terms_follow_the_target_rank_modulo_3():
    assert flip_cyclic.default_fixed(5, 93) == 3      # Moosbauer & Poole's 5x5 partition {0,1},{2,3},{4}
    assert flip_cyclic.default_fixed(3, 23) == 2
    assert flip_cyclic.default_fixed(4, 47) == 2
    assert flip_cyclic.default_fixed(2, 7) == 1
    assert flip_cyclic.balanced_parts(5, 3) == [[0, 1], [2, 3], [4]]
    assert flip_cyclic.parse_parts("0:1,2+3,4", 5) == [[0, 1], [2, 3], [4]]


@pytest.mark.parametrize("fmt,rank,seed", [("2x2x2", 7, 1), ("3x3x3", 23, 1), ("3x3x3", 23, 5)])
def test_symmetric_walk_reaches_target_and_stays_symmetric(fmt, rank, seed):
    res = solve(fmt, rank, method="flip", ring="gf2", seed=seed, symmetry="cyclic", time_limit=60)
    assert res.success and res.scheme.rank == rank and res.scheme.verify().ok
    assert res.scheme.provenance["symmetry"] == "cyclic"
    F = to_bits(res.scheme, rank)
    reps, fixed = flip_cyclic.orbits_of(F, rank)  # raises if not symmetric
    assert 3 * len(reps) + len(fixed) == rank


def test_symmetric_scheme_lifts_to_z():
    res = solve("3x3x3", 23, method="flip", ring="z", seed=2, symmetry="cyclic", time_limit=60)
    assert res.success and res.scheme.ring.value == "z" and res.scheme.verify().ok
    flip_cyclic.orbits_of(to_bits(res.scheme.as_ring("gf2"), 23), 23)


@settings(max_examples=25, deadline=None)
@given(n=st.sampled_from([2, 3, 4]), count=st.integers(1, 4), seed=st.integers(1, 10**9),
       steps=st.integers(1, 3000), plateau=st.sampled_from([0, 5, 50]))
def test_every_intermediate_symmetric_scheme_verifies(n, count, seed, steps, plateau):
    """Symmetric walks (flips, merges, fixed terms, plus transitions) never
    leave the valid symmetric schemes: check the live and the best state
    after each chunk."""
    count = min(count, n)
    state = flip_cyclic.CyclicWalk(*flip_cyclic.diagonal_start(n, flip_cyclic.balanced_parts(n, count)), 16)
    rng = np.array([np.uint64(seed)], dtype=np.uint64)
    counters = np.zeros(4, dtype=np.int64)
    for _ in range(4):
        state.advance(0, steps, plateau, 2, rng, counters)
        live = state.live_bits()
        assert _scheme(live, n).verify().ok and live.shape[1] == state.rank
        flip_cyclic.orbits_of(live, live.shape[1])
        best = state.best_bits()
        assert _scheme(best, n).verify().ok and best.shape[1] == state.best_rank
    assert np.all(state.G[0, 3 * state.nr:] == 0)


def _tensor(F, n):
    """The GF(2) tensor sum_t u_t (x) v_t (x) w_t of bit-mask factors (one word or several)."""
    U, V, W = _scheme(F, n).factors
    return np.einsum("at,bt,ct->abc", U, V, W) % 2


def _reduce_only(reps, fixed, words, n=2):
    """Run the kernel's reductions (a zero-step walk) on factors stored in
    `words` words and return the tensor before, the tensor after and the rank after."""
    state = flip_cyclic.CyclicWalk(reps, fixed, 4, words)
    before = _tensor(flip_cyclic.expand(state.reps0, state.fixed0, words), n)
    _walk(state, 0)
    return before, _tensor(state.live_bits(), n), state.rank


A, C = 0b0110, 0b1011
# each special reduction in the one-word and in the multi-word layout
one_and_two_words = pytest.mark.parametrize("words", [1, 2])


@one_and_two_words
def test_orbit_of_equal_factors_becomes_a_fixed_term(words):
    """orbit(a,a,a) = 3 a(x)a(x)a = a(x)a(x)a over GF(2): rank 3 -> 1."""
    before, after, rank = _reduce_only([(A, A, A)], [], words)
    assert rank == 1 and np.array_equal(before, after) and before.any()


@one_and_two_words
def test_equal_fixed_terms_cancel(words):
    before, after, rank = _reduce_only([(A, A, A), (C, A, C)], [A], words)
    assert rank == 3 and np.array_equal(before, after)


@one_and_two_words
def test_orbit_with_two_equal_factors_absorbs_a_fixed_term(words):
    """orbit(a,a,c) + a(x)a(x)a = orbit(a,a,a+c): rank 4 -> 3, same tensor."""
    before, after, rank = _reduce_only([(A, C, A)], [A], words)
    assert rank == 3 and np.array_equal(before, after)


@one_and_two_words
def test_aligned_orbits_merge(words):
    """orbit(a,b,c) + orbit of (b,c,c') (a rotation of (a,b,c') up to the
    third factor) merge into one orbit: rank 6 -> 3."""
    B = 0b1100
    before, after, rank = _reduce_only([(A, B, C), (B, 0b0001, A)], [], words)
    assert rank == 3 and np.array_equal(before, after)


def test_symmetric_start_from_a_stored_scheme(tmp_path):
    res = solve("3x3x3", 23, method="flip", ring="gf2", seed=1, symmetry="cyclic", time_limit=60)
    path = Catalogue(tmp_path).add(res.scheme).path
    again = solve("3x3x3", 23, method="flip", ring="gf2", seed=3, symmetry="cyclic", start=str(path))
    assert again.success and again.scheme.rank == 23


@pytest.mark.parametrize("fmt,options,text", [
    ("2x2x3", {}, "square format"),
    ("3x3x3", {"parts": "0:1"}, "must split the diagonal indices 0..2"),
    ("3x3x3", {"parts": "a,b"}, "parts must look like"),
    ("3x3x3", {"fixed_terms": 4}, "between 1 and 3"),
    ("3x3x3", {"fixed_terms": "x"}, "fixed_terms must be a whole number"),
    ("3x3x3", {"symmetry": "mirror"}, "symmetry must be none or cyclic"),
])
def test_bad_symmetric_options_get_one_line_errors(fmt, options, text):
    options = {"symmetry": "cyclic", **options}
    with pytest.raises(DecompError, match=text):
        solve(fmt, 20, method="flip", ring="gf2", seed=1, **options)


def test_asymmetric_start_is_refused(tmp_path):
    fmt = Format(3, 3, 3)
    naive = Scheme(fmt, *fmt.naive_factors(), ring="gf2")
    res = solve("3x3x3", 23, method="flip", ring="gf2", seed=1, time_limit=60)
    path = Catalogue(tmp_path).add(res.scheme).path
    with pytest.raises(DecompError, match="not cyclic-symmetric"):
        solve("3x3x3", 23, method="flip", ring="gf2", seed=1, symmetry="cyclic", start=str(path))
    # the standard algorithm itself is symmetric, with n fixed terms e_ii(x)e_ii(x)e_ii
    reps, fixed = flip_cyclic.orbits_of(to_bits(naive, 27), 27)
    assert len(fixed) == 3 and len(reps) == 8
