"""Local search on the Brent equations (sat -o solver=local, sat_local.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from known import STRASSEN

from decomp import solve
from decomp.core.errors import DecompError
from decomp.core.formats import Format
from decomp.core.render import parse_algorithm
from decomp.solvers import flip
from decomp.solvers import sat_local as L


def test_residual_is_zero_exactly_for_a_scheme():
    s = parse_algorithm("2x2x2", STRASSEN).as_ring("gf2")
    T = L.tensor_bits(s.fmt.tensor())
    U, V, W = flip.to_bits(s, s.rank)
    assert not L.residual(T, U, V, W).any()
    U[3] ^= np.uint64(1)  # one more product u[0]v w in the equations of row 0: |v_3| * |w_3| of them flip
    E = L.residual(T, U, V, W)
    flipped = sum(int(x).bit_count() for x in E.ravel())
    assert flipped == int(V[3]).bit_count() * int(W[3]).bit_count() > 0


@settings(max_examples=30, deadline=None)
@given(dims=st.sampled_from([(2, 2, 2), (2, 3, 4), (3, 3, 3)]), rank=st.integers(1, 12),
       seed=st.integers(0, 10**6), mode=st.integers(0, 2), pick=st.integers(0, 10**6))
def test_deltas_are_the_change_in_violated_equations(dims, rank, seed, mode, pick):
    fmt = Format(*dims)
    T = L.tensor_bits(fmt.tensor())
    U, V, W = L.random_factors(fmt.shape, rank, 0.4, seed)
    r, q = pick % rank, pick % fmt.shape[mode]

    def violated():
        return sum(int(x).bit_count() for x in L.residual(T, U, V, W).ravel())

    def weighted(wt):
        E = L.residual(T, U, V, W)
        return sum(int(wt[a, b, c]) for a in range(E.shape[0]) for b in range(E.shape[1])
                   for c in range(wt.shape[2]) if (int(E[a, b]) >> c) & 1)

    wt = np.random.default_rng(pick).integers(1, 9, size=fmt.shape)
    before, before_w = violated(), weighted(wt)
    E = L.residual(T, U, V, W)
    d = L._delta(E, U, V, W, r, mode, q)
    dw = L._weighted_delta(E, U, V, W, wt, r, mode, q)
    assert L._weighted_delta(E, U, V, W, np.ones_like(wt), r, mode, q) == d
    L._apply(E, U, V, W, r, mode, q)
    assert violated() == before + d and weighted(wt) == before_w + dw
    assert np.array_equal(E, L.residual(T, U, V, W))  # the incremental residual stays exact


@pytest.mark.parametrize("fmt,rank,ring", [("2x2x2", 7, "gf2"), ("2x2x3", 11, "gf2"), ("2x2x2", 7, "z")])
def test_local_search_finds_schemes(fmt, rank, ring):
    res = solve(fmt, rank, method="sat", ring=ring, solver="local", seed=1, time_limit=120)
    assert res.success and res.scheme.rank <= rank and res.scheme.verify().ok
    assert res.scheme.ring.value == ring and res.extra["solver"] == "local"


def test_local_search_honours_the_time_limit():
    res = solve("2x3x3", 14, method="sat", ring="gf2", solver="local", seed=1, time_limit=1)
    assert res.status == "time_limit" and res.extra["steps"] > 0 and res.wall_time < 30


@pytest.mark.parametrize("options,text", [({"noise": 2}, "noise must be a number within"),
                                          ({"tabu": -1}, "tabu must be a whole number >= 0"),
                                          ({"restart_steps": 0}, "restart_steps must be a whole number >= 1"),
                                          ({"conflicts": 10}, "conflicts need a CDCL solver"),
                                          ({"max_factor_nnz": 3}, "max_factor_nnz need a CDCL solver")])
def test_bad_local_options_refused(options, text):
    with pytest.raises(DecompError, match=text):
        solve("2x2x2", 7, method="sat", ring="gf2", solver="local", **options)


def test_equation_weights_find_2x3x3_rank_15():
    """Without the breakout weights the search stalls at 2 or 3 violated
    equations here; with them seed 5 finds a scheme after about 1.6e7 flips."""
    res = solve("2x3x3", 15, method="sat", ring="gf2", solver="local", seed=5, time_limit=300)
    assert res.success and res.scheme.rank <= 15 and res.scheme.verify().ok


def test_local_search_completes_a_third_of_a_known_scheme(alphatensor_f2):
    """The neighbourhood search with the local solver: 8 of AlphaTensor's 23
    terms fixed (in the first columns), the other 15 found."""
    known = next(x for x in alphatensor_f2 if x.fmt.dims == (3, 3, 3)).as_ring("gf2")
    res = solve("3x3x3", 23, method="sat", ring="gf2", solver="local", seed=3, known=known, time_limit=120)
    assert res.success and res.scheme.verify().ok and res.extra["fixed_terms"] == 8
    terms = sorted(np.random.default_rng(3).choice(23, size=8, replace=False).tolist())
    for mine, theirs in zip(res.scheme.factors, known.factors):
        assert np.array_equal(np.asarray(mine)[:, :8] % 2, np.asarray(theirs)[:, terms] % 2)
