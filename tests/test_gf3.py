"""Walks over GF(3) and the 3-adic lift to Q and Z (ternary_kernel mod3,
core/gf3.py, core/lift3.py)."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from conftest import kernel_tables, run_cli
from decomp import solve
from decomp.core.errors import DecompError
from decomp.core.formats import Format
from decomp.core.gf3 import Solver3
from decomp.core.io import write_json
from decomp.core.lift3 import gf3_scheme, lift_gf3, reconstruct, valid_mod3
from decomp.core.scheme import Scheme
from decomp.core.targets import parse_format_or_target
from decomp.solvers.flip import ternary_kernel
from decomp.solvers.flip.ternary import from_masks, signed, to_masks

HALF = Fraction(1, 2)


def _karatsuba_with_halves() -> Scheme:
    """Degree-1 polynomial product from the values at 1, -1 and infinity:
    c1 = (c(1) - c(-1)) / 2 needs 1/2 in W (a scheme over Q)."""
    U = [[1, 1, 0], [1, -1, 1]]
    W = [[HALF, HALF, -1], [HALF, -HALF, 0], [0, 0, 1]]
    return Scheme(parse_format_or_target("poly:2"), U, U, W, ring="q")


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 70), cols=st.integers(1, 70), seed=st.integers(0, 10**6))
def test_solver3_solves_consistent_systems_and_refuses_the_others(rows, cols, seed):
    """A solution of J x = J x0 (mod 3) is found with the free unknowns the
    caller prefers; a right-hand side it refuses has no solution (checked
    against the rank mod 3: appending it raises the rank)."""
    rng = np.random.default_rng(seed)
    J = rng.integers(0, 3, (rows, cols)) * (rng.random((rows, cols)) < 0.4)
    if cols > 2:
        J[:, 2] = (J[:, 0] - J[:, 1]) % 3  # a dependency only mod 3
    solver = Solver3(J)
    rhs = (J @ rng.integers(0, 3, cols)) % 3
    prefer = rng.integers(-1, 2, cols)
    x = solver.solve(rhs, prefer)
    assert x is not None and np.all((J @ x - rhs) % 3 == 0) and set(np.unique(x)) <= {-1, 0, 1}
    assert np.all(x[solver.free] == prefer[solver.free])
    other = rng.integers(0, 3, rows)
    if solver.solve(other) is None:
        assert Solver3(np.concatenate([J, other[:, None]], axis=1)).rank == solver.rank + 1


def test_reconstruct_reads_small_fractions_back_and_refuses_large_ones():
    m = 3 ** 10
    assert reconstruct(pow(2, -1, m), m) == HALF
    assert reconstruct(-3 * pow(4, -1, m) % m, m) == Fraction(-3, 4)
    assert reconstruct(17, m) == 17
    bound = 171  # sqrt(3^10 / 2)
    found = [reconstruct(x, m) for x in range(m // 3, m // 3 + 200)]
    for x, f in zip(range(m // 3, m // 3 + 200), found):
        if f is not None:  # what comes back is x, and small
            assert (f.numerator - x * f.denominator) % m == 0 and abs(f.numerator) <= bound >= f.denominator
    # about 4 residues in 10 are no fraction of that size
    assert 20 < sum(f is None for f in found) < 180


def test_a_rational_scheme_reduced_mod_3_lifts_back_to_q():
    s3 = gf3_scheme(_karatsuba_with_halves())
    assert s3.ternary and valid_mod3(s3) and not s3.verify("z").ok
    res = lift_gf3(s3, ring="q")
    assert res.scheme is not None and res.scheme.verify("q").ok
    assert res.scheme.ring.value == "q" and any(isinstance(v, Fraction) for v in res.scheme.coefficients)
    # its entries are the start's mod 3 (1/2 = -1)
    assert valid_mod3(gf3_scheme(res.scheme)) and "3-adic" in res.message


def test_lift_over_z_refuses_a_lift_that_needs_fractions():
    res = lift_gf3(gf3_scheme(_karatsuba_with_halves()), ring="z")
    assert res.scheme is None and "with fractions" in res.message


def test_lift_gf3_refuses_schemes_wrong_mod_3_and_entries_with_a_third():
    fmt = Format(2, 2, 2)
    U, V, W = (np.array(m) for m in fmt.naive_factors())
    W = W.copy()
    W[0, 0] = 4  # 4 = 1 mod 3: still the standard algorithm mod 3
    assert lift_gf3(Scheme(fmt, U, V, W, ring="z"), ring="z").scheme is not None
    W[0, 0] = 2
    assert lift_gf3(Scheme(fmt, U, V, W, ring="z")).message == "not a valid scheme mod 3"
    third = Scheme(fmt, U * Fraction(1, 3), V, W * 3, ring="q")
    with pytest.raises(DecompError, match="denominator divisible by 3"):
        gf3_scheme(third)


@settings(max_examples=12, deadline=None)
@given(dims=st.sampled_from([(2, 2, 2), (2, 2, 3), (2, 3, 3), (3, 3, 3)]), seed=st.integers(1, 10**9),
       steps=st.integers(1, 3000), scan=st.sampled_from([0, 1, 16]))
def test_every_intermediate_scheme_of_a_gf3_walk_is_valid_mod_3(dims, seed, steps, scan):
    fmt = Format(*dims)
    s = Scheme(fmt, *fmt.naive_factors(), ring="z")
    F, sg = to_masks(s, s.rank + 16)
    best_F, best_sg, best_r = F.copy(), sg.copy(), np.array([s.rank])
    rng = np.array([np.uint64(seed)], dtype=np.uint64)
    counters = np.zeros(4, dtype=np.int64)
    r = s.rank
    for _ in range(3):
        r = ternary_kernel.walk(F, sg, r, 0, steps, 5, 2, best_F, best_sg, best_r, rng, counters, scan, True)
        assert valid_mod3(from_masks(signed(F, sg, r), r, fmt, {}))
        assert valid_mod3(from_masks(signed(best_F, best_sg, int(best_r[0])), int(best_r[0]), fmt, {}))


def test_gf3_walk_sums_wrap_mod_3():
    """Two terms sharing two factors merge even where the sum of the third
    leaves {-1, 0, 1} over Z: c + c = -c mod 3 (a ternary walk over Z
    refuses that merge)."""
    fmt = Format(1, 1, 1)
    s = Scheme(fmt, [[1, 1]], [[1, 1]], [[-1, -1]], ring="z")  # -2 = 1 mod 3: <1,1,1> mod 3
    assert valid_mod3(s) and not s.verify("z").ok
    for mod3, rank in ((False, 2), (True, 1)):
        F, sg = to_masks(s, 4)
        best_F, best_sg, best_r = F.copy(), sg.copy(), np.array([2])
        r = ternary_kernel.walk(F, sg, 2, 0, 10, 0, 0, best_F, best_sg, best_r,
                                np.array([np.uint64(7)], dtype=np.uint64), np.zeros(4, dtype=np.int64), 256, mod3)
        assert r == rank


@pytest.mark.parametrize("fmt,rank,ring,seed", [("2x2x2", 7, "q", 1), ("3x3x3", 23, "q", 1), ("2x2x3", 11, "z", 4)])
def test_gf3_walk_reaches_the_target_and_lifts(fmt, rank, ring, seed):
    res = solve(fmt, rank, method="flip", ring=ring, seed=seed, time_limit=120, walk_ring="gf3")
    assert res.success and res.scheme.rank == rank and res.scheme.ring.value == ring
    assert res.scheme.verify(ring).ok and res.scheme.provenance["lifted_from"] == "gf3"


def test_gf3_walk_starts_from_a_rational_scheme_read_mod_3(tmp_path):
    """A start over Q (entries 1/2) is read mod 3; the walk (adaptive
    search) goes on from it and its result is checked over Q."""
    fmt = Format(2, 2, 2)
    U, V, W = (np.array(m, dtype=object) for m in fmt.naive_factors())
    U = U * HALF
    W = W * 2
    start = Scheme(fmt, U, V, W, ring="q")
    path = tmp_path / "start.json"
    write_json(start, path)
    res = solve(fmt, 7, method="flip", ring="q", seed=3, time_limit=120, walk_ring="gf3", start=str(path),
                search="adaptive")
    assert res.success and res.scheme.verify("q").ok and res.scheme.provenance["start"] == str(path)


@pytest.mark.parametrize("args,text", [
    (["--ring", "gf2", "-o", "walk_ring=gf3"], "not over gf2"),
    (["--ring", "q", "-o", "walk_ring=gf3", "--no-lift"], "needs the lift"),
    (["--ring", "q", "-o", "walk_ring=gf3", "--symmetry", "cyclic"], "no symmetric version"),
    (["--ring", "q", "-o", "walk_ring=gf5"], "walk_ring must be"),
])
def test_bad_gf3_options_get_one_line_errors(tmp_path, capsys, args, text):
    code, _, err = run_cli(["solve", "2x2x2", "--rank", "7", "--results", tmp_path] + args, capsys)
    assert code == 2 and err.startswith("error:") and text in err and len(err.strip().splitlines()) == 1


def test_gf3_walk_reads_a_gf2_start_through_its_lift_to_z(alphatensor_f2):
    """A GF(2) start means nothing mod 3: it is lifted to Z first (AlphaTensor's
    3x3x3 rank 23 mod 2 lifts), then read mod 3, and the walk's lift checked over Q."""
    s = next(x for x in alphatensor_f2 if x.fmt.dims == (3, 3, 3) and x.rank == 23)
    res = solve("3x3x3", 23, method="flip", ring="q", seed=5, time_limit=120, walk_ring="gf3", start=s)
    assert res.success and res.scheme.rank == 23 and res.scheme.verify("q").ok


def _tensor_mod3(F, sg, r):
    mats = from_masks(signed(F, sg, r), r, Format(2, 2, 2), {}).factors
    return np.einsum("ir,jr,kr->ijk", *mats) % 3


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0), (1, 3, 0, 2)])
def test_gf3_dependency_reduction_removes_a_term_of_a_four_term_relation(order):
    """Four terms share a; their second factors b1, b2, b3 and
    b4 = -(b1 + b2 + b3) (mod 3) are dependent with no triple among them (and
    no pair to merge; the third factors are independent): the GF(3)
    elimination finds the relation and leaves three terms with the same
    tensor mod 3, whatever the order of the terms."""
    a = np.array([1, 0, -1, 0])
    b = [np.array([1, 0, 0, 0]), np.array([0, 1, 0, 0]), np.array([0, 0, 1, 1])]
    b.append(-(b[0] + b[1] + b[2]))
    c = list(np.eye(4, dtype=np.int64) * np.array([1, -1, 1, -1]))
    b, c = [b[q] for q in order], [c[q] for q in order]
    U, V, W = np.stack([a] * 4, axis=1), np.stack(b, axis=1), np.stack(c, axis=1)
    s = Scheme(Format(2, 2, 2), U, V, W, ring="z")
    F, sg = to_masks(s, 8)
    before = _tensor_mod3(F, sg, 4)
    keys, tab, hist, elig, st, shift, mask = kernel_tables()
    ternary_kernel.rebuild(F, 4, keys, tab, hist, elig, st, shift, mask)
    assert ternary_kernel._merge_all(4, F, sg, keys, tab, hist, elig, st, shift, mask, True) == 4
    members, work = np.empty(64, dtype=np.int64), np.zeros((4, 64), dtype=np.uint64)
    assert ternary_kernel._reduce_triple(4, F, sg, keys, tab, hist, elig, st, shift, mask,
                                         members[:16], True) == 4  # no triple
    r = ternary_kernel._reduce_dependent3(4, F, sg, keys, tab, hist, elig, st, shift, mask, members, work)
    assert r <= 3 and np.array_equal(_tensor_mod3(F, sg, r), before)
