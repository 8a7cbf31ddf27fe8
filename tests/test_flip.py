import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from decomp import solve
from decomp.core.formats import Format
from decomp.core.lift import lift_gf2
from decomp.core.scheme import Scheme
from decomp.core.store import Catalogue
from decomp.solvers.flip import kernel as flip_kernel
from decomp.solvers.gf2.bits import from_bits, to_bits


def test_bits_round_trip(alphatensor_f2):
    s = next(x for x in alphatensor_f2 if x.fmt.dims == (3, 4, 5))
    F = to_bits(s, s.rank + 3)
    back = from_bits(F, s.rank, s.fmt, {})
    assert back.fingerprint() == s.fingerprint()


@pytest.mark.parametrize("fmt,rank,seed", [("2x2x2", 7, 1), ("3x3x3", 23, 1), ("3x3x3", 23, 7)])
def test_walk_reaches_target_from_standard_algorithm(fmt, rank, seed):
    res = solve(fmt, rank, method="flip", ring="gf2", seed=seed, time_limit=120)
    assert res.success and res.scheme.rank == rank
    assert res.scheme.verify().ok and res.scheme.ring.value == "gf2"
    assert res.history[0][1] == Format.parse(fmt).naive_rank and res.history[-1][1] == rank


def test_same_seed_same_result():
    a = solve("3x3x3", 23, method="flip", ring="gf2", seed=5, time_limit=120)
    b = solve("3x3x3", 23, method="flip", ring="gf2", seed=5, time_limit=120)
    assert a.scheme.fingerprint() == b.scheme.fingerprint() and a.extra["flips"] == b.extra["flips"]


def test_lifted_to_z():
    res = solve("3x3x3", 23, method="flip", ring="z", seed=3, time_limit=120)
    assert res.success and res.scheme.ring.value == "z" and res.scheme.verify().ok
    assert res.scheme.provenance.get("lifted_from") == "gf2"


def test_run_over_z_that_misses_its_target_returns_its_best_scheme_lifted():
    """Rank 6 is impossible for 2x2x2; the walk ends at 7, and every GF(2)
    rank-7 scheme of 2x2x2 is Strassen's up to symmetry, which lifts. Before,
    a Z run above its target returned no scheme at all."""
    res = solve("2x2x2", 6, method="flip", ring="z", seed=2, time_limit=3)
    assert not res.success and res.status == "time_limit" and res.best_rank == 7
    assert res.scheme.rank == 7 and res.scheme.ring.value == "z" and res.scheme.verify().ok
    assert res.extra["lift"].startswith("best rank 7 (above the target): lifted to Z")


def test_lift_refuses_mod2_only_scheme(alphatensor_f2):
    s = next(x for x in alphatensor_f2 if x.fmt.dims == (4, 4, 4))
    res = lift_gf2(s)
    assert res.scheme is None and "does not lift" in res.message
    # AlphaTensor's GF(2) 4x4x4 47 has no Z lift at all, and this is proved:
    # mod 4 with every entry free the lift is a linear system mod 2
    assert "no lift to Z exists: none mod 4 with every entry free" in res.message
    ok = lift_gf2(next(x for x in alphatensor_f2 if x.fmt.dims == (3, 4, 5)))
    assert ok.scheme is not None and ok.scheme.verify("z").ok


def test_lift_with_entries_off_the_gf2_support():
    """A 3x3x4 rank-29 scheme from a GF(2) flip walk (seed 1): no Z scheme has
    its support, since flips over GF(2) cancel 1 + 1 where Z keeps a 2. With
    every entry an unknown it lifts, to a Z scheme congruent to it mod 2
    with an even nonzero entry where GF(2) has a zero."""
    from pathlib import Path

    from decomp.core.io import read_json

    s = read_json(Path(__file__).parent / "data" / "walk_3x3x4_r29_gf2.json")
    same = lift_gf2(s, free=False)
    assert same.scheme is None and "with this support" in same.message
    res = lift_gf2(s)
    z = res.scheme
    assert z is not None and z.ring.value == "z" and z.verify().ok and z.rank == 29
    assert "off the GF(2) support" in res.message
    pairs = [(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)) for a, b in zip(z.factors, s.factors)]
    assert all(np.array_equal(a % 2, b) for a, b in pairs)
    assert any(np.any((a != 0) & (b == 0)) for a, b in pairs)


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 40), cols=st.integers(1, 40), seed=st.integers(0, 10**6))
def test_reduced_jacobian_solves_each_rhs_with_the_preferred_free_values(rows, cols, seed):
    """The free lift reduces J once and then solves J x = rhs for each step's
    rhs: x must solve it, take the preferred value on every free unknown,
    and an rhs outside J's column space must be refused."""
    from decomp.core.lift import _Reduced

    rng = np.random.default_rng(seed)
    J = (rng.random((rows, cols)) < 0.3).astype(np.uint8)
    reduced = _Reduced(J)
    prefer = rng.integers(0, 2, cols)
    rhs = (J.astype(np.int64) @ rng.integers(0, 2, cols)) % 2
    x = reduced.solve(rhs.astype(np.uint8), prefer)
    assert x is not None and np.array_equal((J.astype(np.int64) @ x) % 2, rhs)
    assert np.array_equal(x[reduced.free], prefer[reduced.free])
    bad = rng.integers(0, 2, rows).astype(np.uint8)
    y = reduced.solve(bad, prefer)
    if y is not None:
        assert np.array_equal((J.astype(np.int64) @ y) % 2, bad)
    elif cols <= 10:  # refused: no x at all solves it (checked by enumeration)
        assert not any(np.array_equal((J.astype(np.int64) @ np.array(v)) % 2, bad) for v in np.ndindex(*(2,) * cols))


@settings(max_examples=25, deadline=None)
@given(dims=st.sampled_from([(2, 2, 2), (2, 2, 3), (2, 3, 3), (3, 3, 3)]), seed=st.integers(1, 10**9),
       steps=st.integers(1, 3000), plateau=st.sampled_from([0, 5, 50]))
def test_every_intermediate_scheme_verifies(dims, seed, steps, plateau):
    """Random walks with flips, reductions and plus transitions never leave
    the set of valid schemes: check the live state after each chunk."""
    fmt = Format(*dims)
    s = Scheme(fmt, *fmt.naive_factors(), ring="gf2")
    cap = s.rank + 16
    F = to_bits(s, cap)
    best = F.copy()
    best_r = np.array([s.rank])
    rng = np.array([np.uint64(seed)], dtype=np.uint64)
    counters = np.zeros(4, dtype=np.int64)
    r = s.rank
    for _ in range(4):
        r = flip_kernel.walk(F, r, 0, steps, plateau, 2, best, best_r, rng, counters)
        assert from_bits(F, r, fmt, {}).verify().ok
        assert from_bits(best, int(best_r[0]), fmt, {}).verify().ok
    assert np.all(F[:, r:] == 0)


def test_time_limit_keeps_best_and_hands_on_improvements(tmp_path):
    """The solver writes nothing; every new best reaches the callback as a
    verified scheme, and the caller's catalogue keeps it."""
    cat = Catalogue(tmp_path / "results")
    res = solve("4x4x4", 40, method="flip", ring="gf2", seed=1, time_limit=2, callback=cat.storing())
    assert not res.success and res.status == "time_limit"
    assert res.scheme is not None and res.scheme.verify().ok and res.best_rank < 64
    stored = cat.best_rank("4x4x4", "gf2")
    assert stored == res.best_rank
    assert not (tmp_path / "elsewhere").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_callback_stops_walk():
    calls = []

    def cb(state):
        calls.append(state)
        return len(calls) >= 2

    res = solve("4x4x4", 40, method="flip", ring="gf2", seed=1, callback=cb, chunk=1000)
    assert res.status == "interrupted" and len(calls) == 2 and res.scheme.verify().ok


def test_two_workers_through_the_pool():
    res = solve("3x3x3", 23, method="flip", ring="gf2", seed=2, workers=2, time_limit=120)
    assert res.success and res.scheme.verify().ok and res.extra["walkers"] == 2


def test_start_from_stored_scheme(tmp_path, alphatensor_r):
    from decomp.core.io import write_json
    s = next(x for x in alphatensor_r if x.fmt.dims == (2, 2, 3))
    path = tmp_path / "start.json"
    write_json(s, path)
    res = solve("2x2x3", 11, method="flip", ring="gf2", seed=1, start=str(path), time_limit=30)
    assert res.success and res.scheme.rank == 11


def _one_flip(F0, r, seed):
    """The (mode shared, i, j) of the single flip a one-step walk makes."""
    F, best, best_r = F0.copy(), F0.copy(), np.array([r])
    rng = np.array([np.uint64(seed)], dtype=np.uint64)
    flip_kernel.walk(F, r, 0, 1, 0, 1, best, best_r, rng, np.zeros(4, dtype=np.int64))
    changed = [(m, t) for m in range(3) for t in range(r) if F[m, t] != F0[m, t]]
    (ma, ta), (mb, tb) = changed
    # i changes in the mode two after the shared one, j in the mode one after
    shared = 3 - ma - mb
    i, j = (ta, tb) if ma == (shared + 2) % 3 else (tb, ta)
    assert F0[shared, i] == F0[shared, j]
    return shared, i, j


def test_flips_are_uniform_over_ordered_pairs():
    """From the standard 2x3x4 algorithm the equal-factor groups have sizes
    4 (U), 2 (V) and 3 (W): 72 + 24 + 48 = 144 ordered pairs. A sampler that
    picks a term first and then a partner would favour the small groups;
    the kernel must hit every pair equally often (chi-square test)."""
    from scipy.stats import chi2

    fmt = Format(2, 3, 4)
    s = Scheme(fmt, *fmt.naive_factors(), ring="gf2")
    F0 = to_bits(s, s.rank + 4)
    pairs = {}
    for m in range(3):
        for i in range(s.rank):
            for j in range(s.rank):
                if i != j and F0[m, i] == F0[m, j]:
                    pairs[(m, i, j)] = 0
    assert len(pairs) == 144
    n = 100 * len(pairs)
    for seed in range(1, n + 1):
        pairs[_one_flip(F0, s.rank, seed * 7919)] += 1
    counts = np.array(list(pairs.values()))
    expected = n / len(pairs)
    stat = ((counts - expected) ** 2 / expected).sum()
    assert stat < chi2.ppf(1 - 1e-6, len(pairs) - 1), stat
    per_mode = [sum(c for (m, _, _), c in pairs.items() if m == mode) for mode in range(3)]
    assert abs(per_mode[1] / n - 24 / 144) < 0.02  # the 2-member groups are not favoured


def test_start_with_terms_sharing_two_factors_is_merged():
    """A start scheme where two terms share two factors (one term split in
    two) is merged back before the first flip, and the result verifies."""
    fmt = Format(2, 2, 2)
    s = Scheme(fmt, *fmt.naive_factors(), ring="gf2")
    F = to_bits(s, s.rank + 4)
    c1 = np.uint64(1)  # a(x)b(x)c = a(x)b(x)c1 + a(x)b(x)(c + c1)
    F[:, s.rank] = F[:, 0]
    F[2, s.rank] = c1 if F[2, 0] != c1 else np.uint64(2)
    F[2, 0] ^= F[2, s.rank]
    assert from_bits(F, s.rank + 1, fmt, {}).verify().ok
    best, best_r = F.copy(), np.array([s.rank + 1])
    rng = np.array([np.uint64(3)], dtype=np.uint64)
    r = flip_kernel.walk(F, s.rank + 1, 0, 0, 0, 1, best, best_r, rng, np.zeros(4, dtype=np.int64))
    assert r == s.rank and from_bits(F, r, fmt, {}).verify().ok and np.all(F[:, r:] == 0)


def test_restarts_keep_the_best_over_all_attempts():
    """With a tiny restart budget the walker starts afresh many times; what
    it returns is the best rank any attempt reached, not the last attempt's."""
    res = solve("3x3x3", 19, method="flip", ring="gf2", seed=4, max_flips=3_000_000, chunk=2_000,
                restart_flips=20_000)
    assert not res.success and res.extra["restarts"] > 10
    assert res.best_rank == min(rank for _, rank in res.history) <= 23
    assert res.scheme.rank == res.best_rank and res.scheme.verify().ok


@pytest.mark.parametrize("option,text", [({"restart_flips": "abc"}, "restart_flips must be a whole number >= 0"),
                                         ({"plateau": -1}, "plateau must be a whole number >= 0"),
                                         ({"chunk": 0}, "chunk must be a whole number >= 1")])
def test_bad_walk_options_get_one_line_errors(option, text):
    from decomp.core.errors import DecompError

    with pytest.raises(DecompError, match=text):
        solve("2x2x2", 7, method="flip", ring="gf2", seed=1, **option)


def test_several_walkers_report_typed_states_and_a_callback_stops_them():
    """Walkers in worker processes report through the parent: every state
    is a SolveState naming its walker, and True from the callback stops all."""
    from decomp.solvers.api import SolveState

    states = []

    def cb(state):
        states.append(state)
        return len(states) >= 6

    res = solve("4x4x4", 40, method="flip", ring="gf2", seed=4, workers=2, callback=cb, chunk=20_000)
    assert res.status == "interrupted" and res.scheme.verify().ok and res.extra["walkers"] == 2
    assert len(states) >= 6 and all(isinstance(s, SolveState) and s.walker in (0, 1) for s in states)
    improved = [s.improved for s in states if s.improved is not None]
    assert improved and all(s.verify().ok and s.provenance["seed"] == 4 for s in improved)
