"""A pool of starts for the flip solver (walk.start_pool, AdaptiveSearch's
`others`, `--start stored`): every stored scheme of a format's lowest rank
at once, instead of one file."""

import json

import numpy as np
import pytest
from conftest import run_cli

from decomp import solve
from decomp.core import symmetry as sym
from decomp.core.credit import credit_of, start_provenance
from decomp.core.errors import DecompError
from decomp.core.formats import Format
from decomp.core.render import parse_algorithm
from decomp.core.scheme import Scheme
from decomp.core.store import Catalogue
from decomp.meta import extended_start, stored_starts
from decomp.solvers.flip.ternary import from_masks
from decomp.solvers.flip.walk import walk_state
from decomp.solvers.starts import start_pool
from decomp.solvers.gf2.bits import from_bits, to_bits
from known import STRASSEN

FMT = Format(2, 2, 3)
# unimodular changes of basis: each gives a scheme equal to none of the others
_BASES = [(np.eye(2, dtype=int), np.eye(2, dtype=int), np.eye(3, dtype=int)),
          ([[1, 1], [0, 1]], [[1, 0], [1, 1]], [[1, 0, 1], [0, 1, 0], [0, 0, 1]]),
          ([[0, 1], [1, 0]], [[1, 1], [0, 1]], [[1, 1, 0], [0, 1, 0], [0, 1, 1]])]


def _variants(s: Scheme, **provenance) -> list[Scheme]:
    changed = [sym.sandwich(s, *b) for b in _BASES]
    return [c.with_factors(*c.factors, **provenance) for c in changed]


def _naive(ring="z") -> Scheme:
    return Scheme(FMT, *FMT.naive_factors(), ring=ring, provenance={"method": "naive"})


def _strassen_extended() -> Scheme:
    from decomp.meta import extend

    return extend(parse_algorithm("2x2x2", STRASSEN).as_ring("z"), FMT)  # rank 7 + 4 = 11


def test_start_pool_keeps_the_lowest_rank_and_refuses_an_empty_pool():
    twelves = _variants(_naive())
    assert [s.rank for s in start_pool(FMT, twelves)] == [12, 12, 12]
    low = start_pool(FMT, [*twelves, _strassen_extended()])
    assert [s.rank for s in low] == [11]
    with pytest.raises(DecompError, match="at least one scheme"):
        start_pool(FMT, [])
    with pytest.raises(DecompError, match="start scheme is for 2x2x2, not 2x2x3"):
        start_pool(FMT, [parse_algorithm("2x2x2", STRASSEN)])


def test_an_adaptive_search_s_first_pool_holds_every_start():
    """Each descent's first pool is the whole pool of starts (as GF(2) bits),
    walker `index` walking from member index mod its size."""
    starts = _variants(_naive())
    search = walk_state(FMT, starts, 0, adaptive=(2, 100, 400), index=4)
    want = sorted(to_bits(s.as_ring("gf2"), 12).tobytes() for s in starts)
    assert sorted(search.state.bits_of(snap).tobytes() for snap in search.pool) == want
    assert np.array_equal(search.state.bits_of(search.pool[0]), to_bits(starts[1].as_ring("gf2"), 12))
    rng, counters = np.array([np.uint64(3)], dtype=np.uint64), np.zeros(4, dtype=np.int64)
    search.advance(0, 50_000, 20, 2, rng, counters)
    search.fresh()  # a new descent begins from all of them again
    assert sorted(search.state.bits_of(snap).tobytes() for snap in search.pool) == want
    walk = walk_state(FMT, starts, 0, index=2)  # a plain walk: one member per walker
    assert np.array_equal(walk.best_bits(), to_bits(starts[2].as_ring("gf2"), 12))
    assert all(from_bits(search.state.bits_of(p), 12, FMT, {}).verify().ok for p in search.pool)


def test_a_ternary_pool_keeps_its_signs():
    starts = _variants(_naive("zt"))
    search = walk_state(FMT, starts, 0, adaptive=(2, 100, 400), walk_ring="zt")
    schemes = [from_masks(search.state.bits_of(p), 12, FMT, {}) for p in search.pool]
    assert len(schemes) == 3 and all(s.verify("zt").ok for s in schemes)
    assert sorted(_terms(s) for s in schemes) == sorted(_terms(s) for s in starts)  # signs may move between factors


def _terms(s: Scheme) -> list:
    """The scheme's terms as rank-one tensors, in order."""
    U, V, W = (np.asarray(m, dtype=np.int64) for m in s.factors)
    return sorted(np.einsum("i,j,k->ijk", U[:, r], V[:, r], W[:, r]).tobytes() for r in range(s.rank))


def test_a_pool_walks_without_symmetry():
    with pytest.raises(DecompError, match="a pool of starts walks without symmetry"):
        walk_state(Format(3, 3, 3), [Scheme(Format(3, 3, 3), *Format(3, 3, 3).naive_factors(), ring="z")], 0,
                   symmetry="cyclic")


@pytest.mark.parametrize("search", ["adaptive", "walk"])
def test_solve_from_a_pool_of_starts(search, flip_kernels_compiled):
    """Three bases of the standard 2x2x3 (12): the search reaches 11 from
    the pool, verified exactly, and says where it began."""
    res = solve(FMT, 11, method="flip", ring="gf2", seed=5, start=_variants(_naive()), search=search,
                walkers=2, time_limit=60)
    assert res.success and res.scheme.rank == 11 and res.scheme.verify().ok
    prov = res.scheme.provenance
    assert prov["start"] == "pool of 3 schemes of rank 12 (naive 3)" and prov["start_rank"] == 12


def test_a_pool_s_credit_is_its_most_cautious_member_s():
    """A result at the pool's rank may be any member carried forward: it
    counts for the member we can least claim, per ring where members count."""
    imported = parse_algorithm("2x2x2", STRASSEN).as_ring("z")
    imported = imported.with_factors(*imported.factors, method="alphatensor")
    found = parse_algorithm("2x2x2", STRASSEN).as_ring("gf2")
    found = found.with_factors(*found.factors, method="sat")
    prov = dict(method="flip", **start_provenance([found, imported]))
    assert prov["start_ring"] == "z" and prov["start_rank"] == 7
    assert prov["start_credit"]["gf2"] == "import" and prov["start_credit"]["z"] == "import"
    assert credit_of(prov, 7, "gf2") == "import" and credit_of(prov, 6, "gf2") == "flip"
    both_found = dict(method="flip", **start_provenance([found, found.with_factors(*found.factors, method="flip")]))
    assert both_found["start_credit"]["gf2"] == "sat"  # found columns: the first in table order
    assert credit_of(both_found, 7, "z") == "flip"  # no member counts over z: the lift is the find


def test_stored_starts_take_the_lowest_rank_over_the_ring():
    ext = _strassen_extended()
    gf2 = ext.as_ring("gf2")
    gf2 = sym.sandwich(gf2, *_BASES[1])
    schemes = [*_variants(_naive()), ext, gf2, parse_algorithm("2x2x2", STRASSEN)]
    assert [(s.rank, s.ring.value) for s in stored_starts(schemes, "2x2x3", "z")] == [(11, "z")]
    assert sorted(s.ring.value for s in stored_starts(schemes, "2x2x3", "gf2")) == ["gf2", "z"]
    with pytest.raises(DecompError, match="--start stored: the catalogue holds no zt scheme with entries in "):
        stored_starts([gf2], "2x2x3", "zt", ternary=True)


def test_zt_starts_take_a_z_scheme_with_entries_in_minus_one_to_one():
    """Catalogue.add files a Z scheme under z only; a zt search's starts
    (stored, projected, extended) take it all the same when its entries are
    in {-1, 0, 1}, and not when one is 2."""
    ext = _strassen_extended()
    assert ext.ring.value == "z" and ext.ternary and ext.serves("zt") and not ext.as_ring("gf2").serves("zt")
    assert [s.rank for s in stored_starts([ext], "2x2x3", "zt", ternary=True)] == [11]
    assert extended_start([parse_algorithm("2x2x2", STRASSEN)], "2x2x3", "zt", ternary=True).rank == 11
    U, V, W = (np.array(m) for m in ext.factors)
    u, v, w = U[:, :1], V[:, :1], W[:, :1]
    # two more terms that cancel: 2u(x)v(x)w + u(x)v(x)(-2w)
    wide = Scheme(ext.fmt, np.hstack([U, 2 * u, u]), np.hstack([V, v, v]), np.hstack([W, w, -2 * w]), ring="z")
    assert wide.verify("z").ok and not wide.ternary and not wide.serves("zt") and wide.serves("q")
    with pytest.raises(DecompError, match="holds no zt scheme"):
        stored_starts([wide], "2x2x3", "zt")


def test_cli_start_stored(tmp_path, capsys, flip_kernels_compiled):
    cat = tmp_path / "cat"
    for s in _variants(_strassen_extended(), method="meta"):
        assert Catalogue(cat).add(s).status == "added"
    code, out, _ = run_cli(["solve", "2x2x3", "--rank", "11", "--start", "stored", "--seed", "2",
                            "--time-limit", "30", "--results", cat, "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["success"] and d["scheme"]["rank"] == 11
    prov = d["scheme"]["provenance"]
    assert prov["start"] == "pool of 3 schemes of rank 11 (meta 3: extension of 2x2x2 rank 7 along n)"
    assert credit_of(prov, 11, "gf2") == "combined"  # the pool's rank: a start carried forward, not a find
    code, _, err = run_cli(["solve", "2x2x4", "--rank", "14", "--start", "stored", "--results", cat], capsys)
    assert code == 2 and "--start stored: the catalogue holds no gf2 scheme of 2x2x4" in err
    assert "Traceback" not in err


def test_cli_start_from_a_folder_of_scheme_files(tmp_path, capsys, flip_kernels_compiled):
    """--start FOLDER: the pool over the scheme files in it (subfolders too),
    results stored in --results; a corrupt file or a scheme that does not
    verify is a warning line and left out of the pool."""
    from decomp.core.io import write_json

    starts = tmp_path / "starts"
    for i, s in enumerate(_variants(_strassen_extended(), method="meta")[:2]):
        write_json(s, starts / "sub" / f"s{i}.json")
    write_json(_naive(), starts / "naive.json")  # rank 12: above the pool's rank
    write_json(parse_algorithm("2x2x2", STRASSEN), starts / "strassen.json")  # another format: left out
    cat = tmp_path / "cat"
    code, out, _ = run_cli(["solve", "2x2x3", "--rank", "11", "--start", str(starts), "--seed", "3",
                            "--time-limit", "30", "--results", cat, "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["success"] and d["stored"] == "added"
    pooled = "pool of 2 schemes of rank 11 (meta 2: extension of 2x2x2 rank 7 along n)"
    assert d["scheme"]["provenance"]["start"] == pooled
    code, _, err = run_cli(["solve", "3x3x3", "--rank", "23", "--start", str(starts), "--results", cat], capsys)
    assert code == 2 and f"--start {starts} holds no gf2 scheme of 3x3x3" in err
    # a corrupt file and a scheme that does not verify (rank 10, below the pool's 11, so it would have
    # been the start): each skipped with a warning line, the run goes on from the valid pool
    from decomp.core.io import scheme_to_dict

    (starts / "broken.json").write_text("{not json")
    s = _variants(_strassen_extended(), method="meta")[0]
    wrong = Scheme(s.fmt, s.U[:, 1:], s.V[:, 1:], s.W[:, 1:], ring=s.ring)
    (starts / "wrong.json").write_text(json.dumps(scheme_to_dict(wrong)))
    code, out, err = run_cli(["solve", "2x2x3", "--rank", "11", "--start", str(starts), "--seed", "3",
                              "--time-limit", "30", "--results", cat, "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["success"] and d["scheme"]["provenance"]["start"] == pooled
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in err
    assert "skipped" in lines[0] and "broken.json: not valid JSON" in lines[0]
    assert "skipped" in lines[1] and "wrong.json" in lines[1]


def test_combined_start_of_a_ternary_walk_has_entries_in_minus_one_to_one():
    """--start combined for a ternary walk over z builds the DP over zt: a
    stored Strassen whose change of basis has a 2 serves a GF(2) walk (rank
    7 + 4) but not a ternary one, which gets the DP's ternary 11 instead (a
    recombination of Hopcroft-Kerr's <3,2,3> 15 cut to 2x2x3), not an error
    at the walk's start."""
    from decomp.meta import catalogue_start

    strassen = parse_algorithm("2x2x2", STRASSEN).as_ring("z")
    wide = sym.sandwich(strassen, [[2, 1], [1, 1]], [[1, 1], [0, 1]], [[1, 0], [1, 1]])  # unimodular
    assert wide.verify("z").ok and not wide.ternary
    naive2 = Scheme("2x2x2", *Format(2, 2, 2).naive_factors(), ring="z")
    schemes = [wide, naive2]
    assert catalogue_start("combined", schemes, FMT, "z").rank == 11
    start = catalogue_start("combined", schemes, FMT, "z", ternary=True)
    assert start.ternary and start.verify("z").ok and start.rank == 11
