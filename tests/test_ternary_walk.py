"""Ternary flip walks over Z (decomp/solvers/flip/ternary*.py)."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import kernel_tables
from decomp import solve
from decomp.core.errors import DecompError
from decomp.core.formats import Format
from decomp.core.io import write_json
from decomp.core.scheme import Scheme
from decomp.solvers.flip import ternary_kernel
from decomp.solvers.flip.ternary import from_masks, signed, to_masks


def test_masks_round_trip_keeps_signs_and_canonical_factors(alphatensor_r):
    """AlphaTensor's 4x4x4 rank 49 over Z has entries in {-1, 0, 1}; after
    the round trip every term is the same rank-one tensor, its factors equal
    up to signs whose product is 1, and every stored factor has +1 as its
    lowest entry (the term signs took the rest)."""
    s = next(x for x in alphatensor_r if x.fmt.dims == (4, 4, 4))
    assert s.verify("zt").ok
    F, sg = to_masks(s, s.rank + 4)
    assert set(np.unique(sg)) <= {-1, 1} and (sg[: s.rank] == -1).any()
    low = F[..., 0] | F[..., 1]
    low &= ~low + np.uint64(1)
    assert np.all((low & F[..., 1]) == 0)
    back = from_masks(signed(F, sg, s.rank), s.rank, s.fmt, {})
    signs = np.ones(s.rank, dtype=np.int64)
    for a, b in zip(back.factors, s.factors):
        same, negated = np.all(a == b, axis=0), np.all(a == -b, axis=0)
        assert np.all(same | negated)
        signs *= np.where(same, 1, -1)
    assert np.all(signs == 1) and back.verify("zt").ok


@settings(max_examples=20, deadline=None)
@given(dims=st.sampled_from([(2, 2, 2), (2, 2, 3), (2, 3, 3), (3, 3, 3), (3, 3, 4)]), seed=st.integers(1, 10**9),
       steps=st.integers(1, 3000), plateau=st.sampled_from([0, 5, 50]), scan=st.sampled_from([0, 1, 16]))
def test_every_intermediate_scheme_verifies_over_z(dims, seed, steps, plateau, scan):
    """Flips with either sign, merges, triple reductions (scan 1: after
    every flip) and plus transitions keep a valid scheme over Z with entries
    in {-1, 0, 1}: the live state is checked after each chunk."""
    fmt = Format(*dims)
    s = Scheme(fmt, *fmt.naive_factors(), ring="z")
    cap = s.rank + 16
    F, sg = to_masks(s, cap)
    best_F, best_sg, best_r = F.copy(), sg.copy(), np.array([s.rank])
    rng = np.array([np.uint64(seed)], dtype=np.uint64)
    counters = np.zeros(4, dtype=np.int64)
    r = s.rank
    for _ in range(4):
        r = ternary_kernel.walk(F, sg, r, 0, steps, plateau, 2, best_F, best_sg, best_r, rng, counters, scan)
        assert from_masks(signed(F, sg, r), r, fmt, {}).verify("zt").ok
        assert from_masks(signed(best_F, best_sg, int(best_r[0])), int(best_r[0]), fmt, {}).verify("zt").ok
    assert np.all(F[:, r:] == 0)


def test_long_walk_uses_every_move_and_stays_valid():
    """4x4x4 for 3e6 steps: flips, reductions and plus transitions all
    happen, and the rank goes below 64 (61 with this seed; a GF(2) walk
    reaches 54 in as many flips: ternary flips are fewer)."""
    fmt = Format(4, 4, 4)
    s = Scheme(fmt, *fmt.naive_factors(), ring="z")
    F, sg = to_masks(s, s.rank + 16)
    best_F, best_sg, best_r = F.copy(), sg.copy(), np.array([s.rank])
    rng = np.array([np.uint64(12345)], dtype=np.uint64)
    counters = np.zeros(4, dtype=np.int64)
    r = ternary_kernel.walk(F, sg, s.rank, 0, 3_000_000, 20_000, 2, best_F, best_sg, best_r, rng, counters, 16)
    assert counters[0] > 2_000_000 and counters[1] > counters[2] > 0
    assert int(best_r[0]) <= 62
    assert from_masks(signed(F, sg, r), r, fmt, {}).verify("zt").ok


@pytest.mark.parametrize("fmt,rank,seed,search", [("2x2x2", 7, 1, "walk"), ("3x3x3", 23, 2, "walk"),
                                                  ("3x3x3", 23, 3, "adaptive")])
def test_ternary_walk_reaches_target_over_z(fmt, rank, seed, search):
    res = solve(fmt, rank, method="flip", ring="zt", seed=seed, time_limit=120, walk_ring="zt", search=search)
    assert res.success and res.scheme.rank == rank and res.scheme.ring.value == "zt"
    assert res.scheme.verify("zt").ok and res.scheme.provenance["walk_ring"] == "zt"
    assert "lifted_from" not in res.scheme.provenance
    assert "over zt" in res.message


def test_ternary_walk_answers_a_gf2_question_with_a_scheme_valid_mod_2():
    res = solve("2x2x3", 11, method="flip", ring="gf2", seed=4, time_limit=60, walk_ring="zt")
    assert res.success and res.scheme.ring.value == "gf2" and res.scheme.verify().ok


def test_ternary_walk_starts_from_a_stored_scheme(tmp_path, alphatensor_r, alphatensor_f2):
    s = next(x for x in alphatensor_r if x.fmt.dims == (2, 5, 5))
    write_json(s, tmp_path / "start.json")
    res = solve("2x5x5", 40, method="flip", ring="z", seed=1, time_limit=30, walk_ring="zt",
                start=str(tmp_path / "start.json"))
    assert res.success and res.scheme.rank == 40 and res.scheme.verify("z").ok
    mod2_only = next(x for x in alphatensor_f2 if x.fmt.dims == (4, 4, 4))
    with pytest.raises(DecompError, match="GF\\(2\\) start scheme does not lift"):
        solve("4x4x4", 47, method="flip", ring="z", seed=1, time_limit=5, walk_ring="zt", start=mod2_only)


def test_ternary_walk_refuses_a_start_with_larger_entries():
    fmt = Format(2, 2, 2)
    U, V, W = fmt.naive_factors()
    # term 0 doubled and taken back by a copy of it with -1: valid over Z, but a 2 in U
    U2, V2, W2 = np.hstack([U, -U[:, :1]]), np.hstack([V, V[:, :1]]), np.hstack([W, W[:, :1]])
    U2[:, 0] *= 2
    start = Scheme(fmt, U2, V2, W2, ring="z")
    assert start.verify("z").ok
    with pytest.raises(DecompError, match="entries in \\{-1, 0, 1\\}"):
        solve("2x2x2", 7, method="flip", ring="z", seed=1, time_limit=5, walk_ring="zt", start=start)


@pytest.mark.parametrize("option,text", [({"walk_ring": "q"}, "walk_ring must be gf2, zt or gf3, not 'q'"),
                                         ({"walk_ring": "zt", "symmetry": "cyclic"},
                                          "ternary walks \\(walk_ring=zt\\) have no symmetric version")])
def test_bad_ternary_options_get_one_line_errors(option, text):
    with pytest.raises(DecompError, match=text):
        solve("2x2x2", 7, method="flip", ring="z", seed=1, time_limit=5, **option)


def _tensor(F, sg, r):
    """Sum of the signed terms of a 4-entry-factor state, as a dense array."""
    mats = from_masks(signed(F, sg, r), r, Format(2, 2, 2), {}).factors
    return np.einsum("ir,jr,kr->ijk", *mats)


def test_triple_reduction_removes_a_term_whose_factor_is_a_signed_sum_of_two_others():
    """a(x)b1(x)c1 + a(x)b2(x)c2 + a(x)(b1 - b2)(x)c3 has no pair to merge
    and is rank 2: one triple reduction finds it."""
    a, b1, b2 = np.array([1, 0, -1, 0]), np.array([1, 1, 0, 0]), np.array([0, 1, 0, 1])
    c1, c2, c3 = np.array([1, 0, 0, 0]), np.array([0, 0, 1, 0]), np.array([0, 1, 0, -1])
    U, V, W = (np.stack(cols, axis=1) for cols in ([a, a, a], [b1, b2, b1 - b2], [c1, c2, c3]))
    s = Scheme(Format(2, 2, 2), U, V, W, ring="z")
    F, sg = to_masks(s, 8)
    before = _tensor(F, sg, 3)
    keys, tab, hist, elig, st, shift, mask = kernel_tables()
    ternary_kernel.rebuild(F, 3, keys, tab, hist, elig, st, shift, mask)
    assert ternary_kernel._merge_all(3, F, sg, keys, tab, hist, elig, st, shift, mask) == 3
    members = np.empty(16, dtype=np.int64)
    r = ternary_kernel._reduce_triple(3, F, sg, keys, tab, hist, elig, st, shift, mask, members)
    assert r == 2 and np.array_equal(_tensor(F, sg, 2), before)


def test_provenance_names_a_given_start(alphatensor_r):
    s = next(x for x in alphatensor_r if x.fmt.dims == (2, 5, 5))
    res = solve("2x5x5", 40, method="flip", ring="z", seed=1, time_limit=30, walk_ring="zt", start=s)
    assert res.scheme.provenance["start"].startswith(f"{s.provenance.get('method') or 'scheme'} rank 40")


def test_zt_default_walks_over_gf2_where_factors_pass_64_entries():
    """9x9x2: A has 81 entries, past one word; --ring zt then walks over
    GF(2) and lifts, as before ternary walks, instead of refusing."""
    res = solve("9x9x2", 162, method="flip", ring="zt", seed=1, time_limit=20)
    assert res.success and res.scheme.verify("zt").ok and "over gf2" in res.message
    with pytest.raises(DecompError, match="at most 64 entries"):
        solve("9x9x2", 162, method="flip", ring="zt", seed=1, time_limit=5, walk_ring="zt")
