"""Local rank reduction by SAT (solvers/sat/reduce.py, decomp reduce)."""

import json

import numpy as np
import pytest
from conftest import run_cli

from decomp.core.formats import Format
from decomp.core.io import read_json, write_json
from decomp.core.rings import Ring
from decomp.core.scheme import Scheme
from decomp.core.store import Catalogue
from decomp.solvers.sat.reduce import (factor_columns, flattening_ranks, greedy_subset, reduce_scheme, replace_terms,
                                       residual, span_coordinates)


def naive(fmt, ring="z"):
    f = Format.parse(fmt)
    return Scheme(f, *f.naive_factors(), ring=ring)


def test_span_coordinates_rebuild_the_residual():
    s = naive("2x2x3")
    R = residual(s, [0, 1, 4, 7, 9])
    small, bases = span_coordinates(R)
    assert small.shape == tuple(B.shape[1] for B in bases) == flattening_ranks(R)
    back = np.einsum("abc,ia,jb,kc->ijk", small, *bases) % 2
    assert (back == R).all()


def test_the_standard_2x2x2_loses_a_product_when_all_eight_terms_are_replaced():
    G, stats = reduce_scheme(naive("2x2x2"), ks=(8,), seconds=60, seed=0)
    assert G.rank == 7 and G.verify(Ring.GF2).ok and stats.reductions == [(8, 7)]


def test_two_equal_terms_cancel_mod_2():
    s = naive("2x2x2")
    doubled = s.with_factors(*(np.concatenate([F, F[:, :1], F[:, :1]], axis=1) for F in s.factors))
    assert doubled.verify(Ring.GF2).ok and not doubled.verify(Ring.Z).ok  # the extra pair sums to 0 mod 2
    G = replace_terms(doubled.as_ring(Ring.GF2), [8, 9])
    assert G.rank == 8 and G.verify(Ring.GF2).ok
    G, stats = reduce_scheme(doubled, ks=(2,), seconds=60, seed=3)
    assert G.rank == 8 and stats.reductions[-1] == (2, 8)


def test_the_flattening_bound_keeps_impossible_subsets_from_sat():
    s = naive("2x2x2", ring="gf2")
    # three terms with three different A, B and C factors: every flattening has rank 3
    terms = [0, 3, 5]
    assert max(flattening_ranks(residual(s, terms))) == 3
    from decomp.solvers.sat.reduce import ReduceStats

    stats = ReduceStats()
    assert replace_terms(s, terms, stats=stats) is None and stats.bounded == 0


def test_a_plateau_walk_between_draws_moves_the_scheme_and_keeps_its_reductions():
    s = naive("2x2x3", ring="gf2")
    from decomp.solvers.flip.plateau_lift import PlateauWalk
    from decomp.solvers.gf2.rng import generator

    rng = generator(5)
    G, stats = reduce_scheme(s, ks=(3,), seconds=3, seed=5, move=lambda g: PlateauWalk(g, rng).next_point(2000),
                             per_point=2)
    assert stats.points >= 1 and G.rank < 12 and G.verify(Ring.GF2).ok
    assert stats.reductions and stats.reductions[-1][1] == G.rank


def test_greedy_subsets_are_distinct_terms():
    s = naive("3x3x3", ring="gf2")
    t = greedy_subset(s, 6, np.random.default_rng(1))
    assert len(set(t)) == 6 and all(0 <= x < 27 for x in t)
    # the columns kept by the caller give the same draw as computed afresh
    assert greedy_subset(s, 6, np.random.default_rng(1), factor_columns(s)) == t


def test_cli_reduce_lifts_back_to_z_and_stores(tmp_path, capsys):
    src = tmp_path / "n222.json"
    write_json(naive("2x2x2"), src)
    res, out = tmp_path / "res", tmp_path / "out.json"
    code, stdout, _ = run_cli(["reduce", src, "--k", "8", "--seed", "0", "--results", res, "--out", out, "--json"],
                              capsys)
    d = json.loads(stdout)
    assert code == 0 and d["rank_before"] == 8 and d["rank_after"] == 7 and d["ring"] == "z"
    s = read_json(out)
    assert s.rank == 7 and s.ring is Ring.Z and s.verify().ok
    assert Catalogue(res).best_rank(Format.parse("2x2x2"), Ring.Z) == 7


def test_cli_reduce_reports_no_reduction_with_exit_1(tmp_path, capsys):
    from decomp.core.io import read_alphatensor
    from conftest import DATA

    strassen = next(s for s in read_alphatensor(DATA / "factorizations_f2.npz") if s.fmt.dims == (2, 2, 2))
    src = tmp_path / "s.json"
    write_json(strassen, src)
    code, out, _ = run_cli(["reduce", src, "--k", "2,3,4", "--time-limit", "20", "--no-store"], capsys)
    assert code == 1 and "rank 7: no reduction over gf2" in out


def test_over_z_only_reductions_that_lift_count(tmp_path, capsys):
    from decomp.core.targets import parse_format_or_target

    complex_mult = parse_format_or_target("complex")  # 4 real products; Gauss: 3
    src = tmp_path / "complex.json"
    write_json(Scheme(complex_mult, *complex_mult.naive_factors(), ring="z"), src)
    code, stdout, _ = run_cli(["reduce", src, "--k", "4", "--json", "--results", tmp_path / "res"], capsys)
    d = json.loads(stdout)
    assert code == 0 and d["ring"] == "z" and d["rank_after"] == 3
    best = Catalogue(tmp_path / "res").best(complex_mult, "z")
    assert best.rank == 3 and best.ring is Ring.Z and best.verify().ok


def test_decompositions_are_distinct_and_exact():
    from decomp.solvers.sat.reduce import decompositions

    R = residual(naive("2x2x2", ring="gf2"), range(8))
    found, status = decompositions(R, 7, limit=3)
    assert status is True and len(found) == 3
    for U, V, W in found:
        assert (np.einsum("ar,br,cr->abc", U, V, W) % 2 == R).all()
    assert len({tuple(np.concatenate(f).ravel()) for f in found}) == 3


@pytest.mark.parametrize("args, msg", [
    (["--k", "1"], "--k sizes must be at least 2"),
    (["--k", "x"], "--k must be a comma-separated list of integers"),
    (["--time-limit", "0"], "--time-limit and --conflicts must be positive, --walk at least 0"),
    (["--walk", "-1"], "--walk at least 0"),
    (["--ring", "z", "--walk", "100"], "a plateau walk between draws runs over gf2"),
    (["--ring", "zt"], "reduce works over gf2 or z (lifting), not zt"),
])
def test_cli_reduce_bad_options(tmp_path, capsys, args, msg):
    src = tmp_path / "n.json"
    write_json(naive("2x2x2"), src)
    code, _, err = run_cli(["reduce", src, *args], capsys)
    assert code == 2 and msg in err and "Traceback" not in err


def test_cli_reduce_a_gf2_scheme_over_z_is_refused(tmp_path, capsys):
    src = tmp_path / "n.json"
    write_json(naive("2x2x2", ring="gf2"), src)
    code, _, err = run_cli(["reduce", src, "--ring", "z"], capsys)
    assert code == 2 and "is a GF(2) scheme" in err


def test_cli_reduce_refuses_a_corrupt_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": [2, 2, 2], "ring": "z", "U": [[1]]')
    code, _, err = run_cli(["reduce", bad], capsys)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
