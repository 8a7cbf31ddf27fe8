"""Local search on the Brent equations (sat -o solver=local, solvers/sat/local.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from known import STRASSEN

from decomp import solve
from decomp.core.errors import DecompError
from decomp.core.formats import Format
from decomp.core.render import parse_algorithm
from decomp.solvers.flip import cyclic as flip_cyclic
from decomp.solvers.gf2.bits import to_bits
from decomp.solvers.sat import local as L
from decomp.solvers.cyclic import cyclic_ties


def test_residual_is_zero_exactly_for_a_scheme():
    s = parse_algorithm("2x2x2", STRASSEN).as_ring("gf2")
    T = L.tensor_bits(s.fmt.tensor())
    U, V, W = to_bits(s, s.rank)
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
    equations here; with them seed 0 finds a scheme in about 4 s (seed 5 took
    about 1.6e7 flips, 30 s)."""
    res = solve("2x3x3", 15, method="sat", ring="gf2", solver="local", seed=0, time_limit=300)
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


# ------------------------------------------------ cyclic-symmetric schemes
def _symmetric_counts(scheme, rank):
    """(orbits, terms x(x)x) of a GF(2) scheme; flip_cyclic.orbits_of raises if it is not symmetric."""
    reps, fixed = flip_cyclic.orbits_of(to_bits(scheme.as_ring("gf2"), rank), rank)
    return len(reps), len(fixed)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 3), orbits=st.integers(0, 4), symmetric=st.integers(0, 3), seed=st.integers(0, 10**6),
       pick=st.integers(0, 10**6))
def test_tied_flips_keep_schemes_symmetric_and_deltas_exact(n, orbits, symmetric, seed, pick):
    """A variable of cyclic_ties is three factor positions; flipping it keeps
    the term set closed under rotation, its deltas equal recomputation, and
    the weighted delta leaves E as it was."""
    rank = symmetric + 3 * orbits
    if rank == 0:
        return
    fmt = Format(n, n, n)
    T = L.tensor_bits(fmt.tensor())
    ties = cyclic_ties(rank, symmetric)
    _, pos, npos = ties
    U, V, W = L.random_factors(fmt.shape, rank, 0.4, seed)
    L.tie_factors(U, V, W, ties)
    v, q = pick % len(pos), pick % (n * n)
    E = L.residual(T, U, V, W)
    wt = np.random.default_rng(pick).integers(1, 9, size=fmt.shape)

    def weighted():
        E2 = L.residual(T, U, V, W)
        return sum(int(wt[a, b, c]) for a in range(n * n) for b in range(n * n) for c in range(n * n)
                   if (int(E2[a, b]) >> c) & 1)

    before, before_w = int(sum(int(x).bit_count() for x in E.ravel())), weighted()
    dw = L._var_weighted_delta(E, U, V, W, wt, pos, npos, v, q)
    assert np.array_equal(E, L.residual(T, U, V, W))  # looked at, not changed
    d = L._apply_var(E, U, V, W, pos, npos, v, q)
    assert np.array_equal(E, L.residual(T, U, V, W))
    assert sum(int(x).bit_count() for x in E.ravel()) == before + d and weighted() == before_w + dw
    live = [(int(U[r]), int(V[r]), int(W[r])) for r in range(rank)]
    assert sorted(live) == sorted((y, z, x) for x, y, z in live)  # rotating the modes maps the terms to themselves


@pytest.mark.parametrize("solver,fmt,rank,ring", [("local", "3x3x3", 23, "gf2"), ("local", "3x3x3", 23, "z"),
                                                  ("cadical195", "2x2x2", 7, "gf2")])
def test_cyclic_symmetric_schemes_from_scratch(solver, fmt, rank, ring):
    """symmetry=cyclic (streamlining): only schemes whose terms rotate into
    each other, a third of the unknowns. The local search finds 3x3x3 rank 23
    in about a second this way (README); without it, not in 30 minutes."""
    res = solve(fmt, rank, method="sat", ring=ring, solver=solver, symmetry="cyclic", seed=1, time_limit=120)
    assert res.success and res.scheme.rank == rank and res.scheme.verify().ok
    assert res.extra["symmetric_terms"] == (2 if rank == 23 else 1)
    assert res.scheme.provenance["symmetry"] == "cyclic"
    if ring == "gf2":
        assert _symmetric_counts(res.scheme, rank) == ((rank - res.extra["symmetric_terms"]) // 3,
                                                       res.extra["symmetric_terms"])


def test_cyclic_cnf_holds_for_a_symmetric_scheme_and_not_a_changed_one():
    """The tied CNF (one equation per rotation orbit) against a symmetric
    scheme from the local search, laid out as cyclic_ties says."""
    from pysat.solvers import Solver

    from decomp.solvers.sat import solver as sat

    fmt = Format(3, 3, 3)
    factors, _ = L.find(fmt, 23, 1, 0.02, 0, 10**7, lambda state: state["steps"] > 10**8, symmetric=2)
    assert all(np.asarray(m).shape[1] == 23 for m in factors)  # no zero term dropped: the layout is intact
    clauses, (u, v, w), _ = sat.build(fmt, 23, symmetry=False, symmetric=2)

    def holds(mats):
        lits = [int(x) if m[q, r] else -int(x) for var, m in zip((u, v, w), mats)
                for (q, r), x in np.ndenumerate(var)]
        with Solver(name="cadical195", bootstrap_with=clauses) as s:
            return s.solve(assumptions=lits)

    mats = [np.asarray(m) % 2 for m in factors]
    assert holds(mats)
    mats[0][4, 7] ^= 1  # one entry of a tied factor: no longer a scheme
    for var in (v, w):  # keep the tied copies equal so only the equations can refuse it
        for (q, r), x in np.ndenumerate(var):
            if x == u[4, 7]:
                mats[1 if var is v else 2][q, r] = mats[0][4, 7]
    assert not holds(mats)


def test_cyclic_unsat_is_reported_for_the_symmetric_class_only():
    res = solve("2x2x2", 6, method="sat", ring="gf2", symmetry="cyclic", time_limit=60)
    assert res.status == "not_found"
    assert "no cyclic-symmetric scheme of rank 6 with fixed_terms=1" in res.message


@pytest.mark.parametrize("fmt,rank,options,text", [
    ("2x2x3", 11, {"symmetry": "cyclic"}, "needs a square format"),
    ("3x3x3", 23, {"symmetry": "cyclic", "fixed_terms": 3}, "minus fixed_terms=3 must be a multiple of 3"),
    ("3x3x3", 23, {"symmetry": "cyclic", "fixed_terms": 26}, "must be a multiple of 3 and not negative"),
    ("3x3x3", 23, {"fixed_terms": 2}, "fixed_terms needs symmetry=cyclic"),
    ("3x3x3", 23, {"symmetry": "mirror"}, "symmetry must be true, false or cyclic"),
    ("complex", 3, {"symmetry": "cyclic"}, "not a target"),
])
def test_bad_cyclic_options_refused(fmt, rank, options, text):
    with pytest.raises(DecompError, match=text):
        solve(fmt, rank, method="sat", ring="gf2", solver="local", **options)


def test_known_scheme_with_cyclic_symmetry_refused(alphatensor_f2):
    known = next(x for x in alphatensor_f2 if x.fmt.dims == (3, 3, 3))
    with pytest.raises(DecompError, match="cannot be combined with symmetry=cyclic"):
        solve("3x3x3", 23, method="sat", ring="gf2", symmetry="cyclic", known=known)
