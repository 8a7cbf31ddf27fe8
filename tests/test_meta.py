"""Meta flip-graph search (decomp/meta.py, `decomp meta`): extensions,
projections as walk starts, pools, what is stored, and bad input."""

import json

import pytest

from conftest import run_cli
from decomp.core.errors import DecompError
from decomp.core.formats import Format
from decomp.core.rings import Ring
from decomp.core.scheme import Scheme
from decomp.core.store import Catalogue
from decomp.meta import MetaSearch, catalogue_start, extend, extended_start, extended_starts, parse_family

# The runs below have seconds to reach their ranks: not spent compiling.
pytestmark = pytest.mark.usefixtures("flip_kernels_compiled")


@pytest.fixture
def without_dp(monkeypatch):
    """Pools from the catalogue alone, for tests of how walks start and end
    from the standard algorithm: the combination DP (recombination of
    Hopcroft-Kerr's <3,2,3> 15) would start 2x2x3 at its optimum 11 even
    over an empty catalogue."""
    monkeypatch.setattr(MetaSearch, "_offer_combined", lambda self, stored, keys: None)


def _scheme(schemes, dims):
    return next(x for x in schemes if x.fmt.dims == dims)


@pytest.mark.parametrize("target", [(2, 2, 3), (3, 2, 2), (2, 3, 2)])
def test_extending_strassen_adds_the_standard_slice(alphatensor_r, target):
    """Strassen (7) plus the 4 standard products of a new slice: rank 11,
    exact over Z, along whichever axis grows."""
    s = extend(_scheme(alphatensor_r, (2, 2, 2)), target)
    assert s.fmt.dims == target and s.rank == 11 and s.verify("z").ok
    assert "extension of 2x2x2" in s.provenance["source"]


def test_extension_orients_the_source(alphatensor_r):
    """A 2x3x4 scheme (20) extends to 3x4x3 after permuting the source,
    by a slice of 12 standard products, and to 2x4x4 by one of 8."""
    s = _scheme(alphatensor_r, (2, 3, 4))
    big = extend(s, "3x4x3")
    assert big.fmt.dims == (3, 4, 3) and big.rank == 20 + 12 and big.verify("z").ok
    wide = extend(s, "2x4x4")
    assert wide.fmt.dims == (2, 4, 4) and wide.rank == 20 + 8 and wide.verify("z").ok


def test_extension_refuses_formats_not_one_index_apart(alphatensor_r):
    with pytest.raises(DecompError, match="not one index larger than 2x2x2"):
        extend(_scheme(alphatensor_r, (2, 2, 2)), "2x3x3")


def test_parse_family_in_one_line():
    assert parse_family("2x2x3, 2x3x3,2x2x3") == [Format(2, 2, 3), Format(2, 3, 3)]
    with pytest.raises(DecompError, match="at least one format"):
        parse_family(" , ")
    with pytest.raises(DecompError, match="malformed format"):
        parse_family("2x2x3,2x3")


def test_starts_cross_the_meta_edges(tmp_path, alphatensor_r):
    """From Strassen and a stored 2x3x3 rank 15, 2x2x3 gets an extension
    (11) and a projection (at most 11) as starts, both exact."""
    cat = Catalogue(tmp_path / "cat")
    cat.add(_scheme(alphatensor_r, (2, 2, 2)))
    cat.add(_scheme(alphatensor_r, (2, 3, 3)))
    search = MetaSearch([Format(2, 2, 3)], "z", cat, seed=1)
    starts = search.starts(Format(2, 2, 3))
    # Strassen grows along n, m or p: three different starts
    assert [r.rank for _, r in starts["extended"]] == [11, 11, 11]
    assert [src for src, _ in starts["extended"]] == [f"extension of 2x2x2 rank 7 along {a}" for a in "nmp"]
    assert starts["projected"] and all(r.rank <= 11 and r.fmt.dims == (2, 2, 3) for _, r in starts["projected"])
    assert all(r.verify("z").ok for kind in starts.values() for _, r in kind)
    # no stored 2x2x3: its own pool is the combination DP's (Strassen plus a slice), not the standard 12
    assert [(src, r.rank) for src, r in starts["own"]] == [("combination DP", 11)]
    assert search.best_rank(Format(2, 2, 3)) == 11
    # an empty catalogue too: the DP's recombination cuts Hopcroft-Kerr's <3,2,3> 15 down to 2x2x3 11
    empty = MetaSearch([Format(2, 2, 3)], "z", Catalogue(tmp_path / "empty"), seed=1)
    assert [(src, r.rank) for src, r in empty.starts(Format(2, 2, 3))["own"]] == [("combination DP", 11)]


def test_kinds_limit_the_edges_a_step_draws(tmp_path, alphatensor_r):
    """--kinds own keeps every slice on the format's own pool; --kinds
    extended starts from an extension even when the pool is lower."""
    cat = Catalogue(tmp_path / "cat")
    cat.add(_scheme(alphatensor_r, (2, 2, 2)))
    cat.add(_scheme(alphatensor_r, (2, 3, 3)))
    fmt = Format(2, 2, 3)
    own = MetaSearch([fmt], "z", cat, seed=1, kinds="own")
    assert own.kinds == ("own",) and {own.choose(fmt)[0] for _ in range(20)} == {"own"}
    cat.add(_scheme(alphatensor_r, (2, 2, 3)))  # the pool at 11, the extension at 11 too
    ext = MetaSearch([fmt], "z", cat, seed=1, kinds=["extended"])
    kind, source, start = ext.choose(fmt)
    assert kind == "extended" and source == "extension of 2x2x2 rank 7 along p" and start.rank == 11
    both = MetaSearch([fmt], "z", cat, seed=1)
    assert both.kinds == ("own", "extended", "projected")
    assert {both.choose(fmt)[0] for _ in range(40)} == {"own", "extended", "projected"}


def test_pools_keep_equal_ranks_and_reset_on_a_lower_one(tmp_path, alphatensor_r, without_dp):
    cat = Catalogue(tmp_path / "cat")
    search = MetaSearch([Format(2, 2, 3)], "gf2", cat, seed=1)
    fmt = Format(2, 2, 3)
    standard = Scheme(fmt, *fmt.naive_factors(), ring=Ring.Z)
    published = _scheme(alphatensor_r, (2, 2, 3))
    extended = extend(_scheme(alphatensor_r, (2, 2, 2)), fmt)
    assert search._offer(standard)  # a first scheme sets the pool's rank
    assert search._offer(published) and search.pools[(2, 2, 3)] == [published]  # lower: a new pool
    assert not search._offer(extended) and len(search.pools[(2, 2, 3)]) == 2  # equal: joins
    assert not search._offer(extended) and len(search.pools[(2, 2, 3)]) == 2  # the same again: once
    assert not search._offer(standard) and search.best_rank(fmt) == 11  # worse: not taken


def test_meta_run_reaches_and_stores_small_records(tmp_path, alphatensor_r):
    """From Strassen alone: 2x2x3 reaches 11 (the extension is 11, and the
    standard walk gets there) and 2x3x3 goes below its standard 18; every
    stored scheme verifies, and nothing worse than a kept one is added."""
    cat = Catalogue(tmp_path / "cat")
    cat.add(_scheme(alphatensor_r, (2, 2, 2)))
    search = MetaSearch(parse_family("2x2x3,2x3x3"), "gf2", cat, seed=7, slice_seconds=2.0)
    steps = search.run(8.0)
    assert steps and {s.kind for s in steps} <= {"own", "extended", "projected"}
    assert search.best_rank(Format(2, 2, 3)) == 11 and search.best_rank(Format(2, 3, 3)) < 18
    stored = {f: cat.best(f, "gf2") for f in ("2x2x3", "2x3x3")}
    assert stored["2x2x3"].rank == 11 and stored["2x2x3"].verify("gf2").ok
    assert stored["2x3x3"].rank == search.best_rank(Format(2, 3, 3)) and stored["2x3x3"].verify("gf2").ok
    ranks = sorted(e.rank for e in cat.entries("2x3x3"))
    assert ranks[0] == stored["2x3x3"].rank


def test_cli_meta_over_zt_stores_ternary_schemes(tmp_path, capsys, without_dp):
    """From the standard algorithm (an empty catalogue, the combination DP
    left out) a ternary walk reaches 11 and stores it."""
    code, out, _ = run_cli(["meta", "2x2x3", "--ring", "zt", "--time-limit", "4", "--slice", "2", "--seed", "3",
                            "--results", tmp_path / "cat", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["formats"] == [{"format": "2x2x3", "before": 12, "after": 11, "record": 11}]
    best = Catalogue(tmp_path / "cat").best("2x2x3", "zt")
    assert best.rank == 11 and best.ring.value == "zt" and best.verify("zt").ok


def test_cli_meta_starts_an_empty_format_from_the_combination_dp(tmp_path, capsys, alphatensor_r):
    """With Strassen stored and no 2x2x3, the format's pool is the DP's 11
    (Strassen plus a slice), not the standard 12: the run starts at the
    record, improves nothing (exit 1), and what its walks reach at 11 is
    stored, credited to the DP's construction, not as a find."""
    from decomp.core.credit import credit_of

    cat = Catalogue(tmp_path / "cat")
    cat.add(_scheme(alphatensor_r, (2, 2, 2)).as_ring("zt"))
    code, out, _ = run_cli(["meta", "2x2x3", "--ring", "zt", "--time-limit", "4", "--slice", "2", "--seed", "3",
                            "--results", tmp_path / "cat", "--json"], capsys)
    data = json.loads(out)
    assert code == 1 and data["formats"] == [{"format": "2x2x3", "before": 11, "after": 11, "record": 11}]
    assert data["steps"][0]["kind"] == "own" and data["steps"][0]["source"] == "combination DP"
    best = cat.best("2x2x3", "zt")
    assert best.rank == 11 and best.verify("zt").ok and credit_of(best.provenance, 11, "zt") == "combined"


def test_cli_meta_names_an_unreadable_catalogue_file_and_leaves_it(tmp_path, capsys, alphatensor_r):
    """A corrupt file in the catalogue is one `skipped` line on stderr; the
    run goes on from the rest and the file stays as it was."""
    cat = Catalogue(tmp_path / "cat")
    cat.add(_scheme(alphatensor_r, (2, 2, 2)))
    bad = tmp_path / "cat" / "2x2x3" / "z" / "r0011-0123456789abcdef.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("{not json")
    code, out, err = run_cli(["meta", "2x2x3", "--ring", "z", "--time-limit", "2", "--slice", "1", "--seed", "3",
                              "--results", tmp_path / "cat", "--json"], capsys)
    assert code in (0, 1) and json.loads(out)["formats"][0]["format"] == "2x2x3"
    assert "skipped" in err and "r0011-0123456789abcdef.json" in err
    assert bad.read_text() == "{not json"


def test_cli_meta_sources_build_starts_but_neither_bar_nor_catalogue(tmp_path, capsys, alphatensor_r, without_dp):
    """meta --sources: an imported Strassen extends to a 2x2x3 start; the
    format's best before the run is the empty catalogue's (the standard
    algorithm), the catalogue gets the 2x2x3 it reached and none of the
    imports, and what it stored names the import it came from."""
    imports = tmp_path / "imports"
    Catalogue(imports).add(_scheme(alphatensor_r, (2, 2, 2)))
    (imports / "broken.json").write_text("{")
    code, out, err = run_cli(["meta", "2x2x3", "--ring", "z", "--kinds", "extended", "--sources", imports,
                              "--time-limit", "4", "--slice", "2", "--seed", "3", "--results", tmp_path / "cat",
                              "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["formats"] == [{"format": "2x2x3", "before": 12, "after": 11, "record": 11}]
    assert data["steps"] and all(s["source"] in [f"extension of 2x2x2 rank 7 along {a} imported" for a in "nmp"]
                              for s in data["steps"])
    assert err.startswith("skipped ") and "broken.json" in err and len(err.strip().splitlines()) == 1
    stored = [s for _, s in Catalogue(tmp_path / "cat").load().schemes]
    assert stored and all(s.fmt.dims == (2, 2, 3) and s.verify("z").ok for s in stored)
    assert any("imported alphatensor:" in json.dumps(s.provenance) for s in stored)


@pytest.mark.parametrize("args, message", [
    (["2x2x3,2x3"], "malformed format '2x3'"),
    (["2x2x3", "--sources", "no-such-folder"], "no-such-folder: not a folder of scheme files"),
    (["2x2x3", "--slice", "0"], "--time-limit and --slice must be positive"),
    (["2x2x3", "-o", "start=naive"], "meta sets the flip option 'start' itself"),
    (["2x2x3", "-o", "walk_ring=q", "--time-limit", "2"], "walk_ring must be gf2, zt or gf3"),
    (["2x2x3", "--kinds", "own,sideways"], "meta edge kinds must be among own, extended, projected, not sideways"),
    (["2x2x3", "--kinds", ","], "meta edge kinds must be among own, extended, projected, not none"),
])
def test_cli_meta_bad_input_in_one_line(capsys, args, message):
    code, _, err = run_cli(["meta", *args], capsys)
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_extended_start_takes_the_cheapest_extension(alphatensor_r):
    """For 4x4x5 over z, AlphaTensor's 4x4x4 (49) + 16 = 65 beats its
    3x4x5 (47) + 20 = 67; formats two indices below do not count."""
    s = extended_start(alphatensor_r, "4x4x5", "z")
    assert s.fmt.dims == (4, 4, 5) and s.rank == 49 + 16 and s.verify("z").ok
    with pytest.raises(DecompError, match="no z scheme of a format one index below 5x5x5"):
        extended_start([x for x in alphatensor_r if max(x.fmt.dims) <= 3], "5x5x5", "z")


def test_extended_starts_take_every_cheapest_orientation(alphatensor_r):
    """2x2x3 grows to 2x3x3 along n or along m, 6 products each: two
    different starts of rank 17, both kept (catalogue_start gives them as a
    pool); extended_start is the first."""
    s = _scheme(alphatensor_r, (2, 2, 3))
    pool = extended_starts([s], "2x3x3", "z")
    assert [p.rank for p in pool] == [17, 17] and all(p.verify("z").ok for p in pool)
    assert [p.provenance["source"] for p in pool] == ["extension of 2x2x3 rank 11 along n",
                                                      "extension of 2x2x3 rank 11 along m"]
    assert pool[0].fingerprint() != pool[1].fingerprint()
    started = catalogue_start("extended", [s], Format(2, 3, 3), "z")
    assert [p.fingerprint() for p in started] == [p.fingerprint() for p in pool]
    assert extended_start([s], "2x3x3", "z").fingerprint() == pool[0].fingerprint()
    # left out: Strassen's 2x2x2 (two indices below) and a GF(2) copy (not a z scheme)
    strassen = _scheme(alphatensor_r, (2, 2, 2))
    assert len(extended_starts([s, strassen, s.as_ring("gf2")], "2x3x3", "z")) == 2


def test_solve_from_a_pool_of_extensions(tmp_path, capsys, alphatensor_r):
    """--start extended with two cheapest extensions: the walk starts from
    both, and the result's provenance names each and the import."""
    res = tmp_path / "cat"
    Catalogue(res).add(_scheme(alphatensor_r, (2, 2, 3)))
    code, out, _ = run_cli(["solve", "2x3x3", "--rank", "15", "--method", "flip", "--ring", "z", "--start",
                            "extended", "-o", "search=adaptive", "--seed", "1", "--time-limit", "60",
                            "--results", res, "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["success"] and d["scheme"]["rank"] == 15
    start = d["scheme"]["provenance"]["start"]
    assert start.startswith("pool of 2 schemes of rank 17 (meta 2: extension of 2x2x3 rank 11 along n, from "
                            "imported alphatensor:")
    assert "; extension of 2x2x3 rank 11 along m, from imported alphatensor:" in start


def test_solve_from_an_extended_start(tmp_path, capsys, alphatensor_r):
    """AlphaTensor's 2x2x3 11 grows to 2x2x4 only along p: one start, rank
    15, which the walk returns (the target)."""
    res = tmp_path / "cat"
    Catalogue(res).add(_scheme(alphatensor_r, (2, 2, 3)))
    code, out, _ = run_cli(["solve", "2x2x4", "--rank", "15", "--method", "flip", "--ring", "z", "--start",
                            "extended", "--seed", "1", "--time-limit", "30", "--results", res, "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["success"] and d["scheme"]["rank"] == 15
    # the start names the imported scheme it extends (credit.with_parent)
    assert d["scheme"]["provenance"]["start"] == ("meta rank 15 (extension of 2x2x3 rank 11 along p, from imported "
                                                  "alphatensor:factorizations_r.npz:2,2,3 rank 11)")
    code, _, err = run_cli(["solve", "3x3x3", "--rank", "23", "--method", "flip", "--start", "extended",
                            "--results", res], capsys)
    assert code == 2 and "no gf2 scheme of a format one index below 3x3x3" in err and "Traceback" not in err


def test_sources_feed_catalogue_starts_and_stay_out_of_the_catalogue(tmp_path, capsys, alphatensor_r):
    """--sources FOLDER: the extension and the projection are built from an
    imported scheme kept in another folder; the catalogue gets only what the
    walk returns, and the start says whose scheme it came from."""
    imports, res = tmp_path / "imports", tmp_path / "cat"
    Catalogue(imports).add(_scheme(alphatensor_r, (3, 3, 3)))
    code, out, _ = run_cli(["solve", "3x3x4", "--rank", "32", "--ring", "z", "--start", "extended",
                            "--sources", imports, "--seed", "1", "--time-limit", "30", "--results", res, "--json"],
                           capsys)
    d = json.loads(out)
    assert code == 0 and d["success"] and d["scheme"]["rank"] <= 32 and d["stored"] == "added"
    # 3x3x3 grows along n, m or p: a pool of three, each named with the import
    assert d["scheme"]["provenance"]["start"].startswith("pool of 3 schemes of rank 32 (meta 3: extension of 3x3x3 "
                                                         "rank 23 along n, from imported alphatensor:")
    stored = [s for _, s in Catalogue(res).load().schemes]
    # the walk's scheme (and its {-1, 0, 1} copy), none of the imports
    assert stored and all(s.fmt.dims == (3, 3, 4) and s.verify("z").ok for s in stored)
    # a fresh catalogue, so that the projection comes from the import, not from the 3x3x4 just stored;
    # a file among the imports that is not a scheme is a warning line, the rest still serve
    (imports / "broken.json").write_text("[1, 2]")
    code, out, err = run_cli(["solve", "2x3x3", "--rank", "17", "--ring", "z", "--start", "projected",
                            "--sources", imports, "--seed", "1", "--time-limit", "30", "--results", tmp_path / "c2",
                            "--json"],
                           capsys)
    d = json.loads(out)
    assert code == 0 and d["success"] and "projection of 3x3x3, from imported alphatensor:" in \
        d["scheme"]["provenance"]["start"]
    assert err.startswith("skipped ") and "broken.json" in err and len(err.strip().splitlines()) == 1
    for args, message in ((["--start", "naive", "--sources", imports], "--sources feeds --start combined"),
                          (["--start", "projected", "--sources", tmp_path / "none"], "not a folder of scheme files")):
        code, _, err = run_cli(["solve", "2x2x3", "--rank", "11", "--ring", "z", *args, "--results", res], capsys)
        assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_interrupted_slice_ends_the_run_and_keeps_its_scheme(tmp_path, monkeypatch, alphatensor_r, without_dp):
    """Ctrl-C reaches the walkers as an 'interrupted' result: its scheme is
    still stored, and no further slice starts."""
    import decomp.meta as meta
    from decomp.solvers.api import SolveResult

    found = _scheme(alphatensor_r, (2, 2, 3))
    calls = []

    def interrupted(fmt, rank, **kw):
        calls.append((str(fmt), rank))
        return SolveResult(False, "interrupted", "stopped", found, found.rank)

    monkeypatch.setattr(meta, "solve", interrupted)
    cat = Catalogue(tmp_path / "cat")
    search = MetaSearch(parse_family("2x2x3,2x3x3"), "z", cat, seed=2, slice_seconds=5.0)
    steps = search.run(60.0)
    assert len(steps) == 1 and calls == [("2x2x3", 11)] and search.interrupted
    assert cat.best("2x2x3", "z").rank == 11 and steps[0].stored == "added"


def test_a_lifted_walk_goes_on_below_what_it_reached(tmp_path, monkeypatch, alphatensor_r, without_dp):
    """Over z the walk lifts only at its target, so a slice aims one below
    the best and, once there, walks on from the lifted scheme."""
    import decomp.meta as meta
    from decomp.solvers.api import SolveResult

    found = _scheme(alphatensor_r, (2, 2, 3))
    calls = []

    def fake(fmt, rank, **kw):
        calls.append((rank, kw["start"].rank))
        if len(calls) == 1:
            return SolveResult(True, "found", "", found, found.rank)
        return SolveResult(False, "time_limit", "", None, 11)

    monkeypatch.setattr(meta, "solve", fake)
    search = MetaSearch([Format(2, 2, 3)], "z", Catalogue(tmp_path / "cat"), seed=3, slice_seconds=30.0)
    step = search.step(Format(2, 2, 3), 30.0)
    assert calls == [(11, 12), (10, 11)] and step.reached == 11 and step.stored == "added"


def test_a_lifted_slice_stores_only_its_lowest_scheme(tmp_path, monkeypatch, alphatensor_r, without_dp):
    """A lifted slice that goes 18 -> 17 -> 15 stores the 15 alone, as the
    slice ends; the walk from 17 says where the slice began."""
    import decomp.meta as meta
    from decomp.solvers.api import SolveResult

    fmt = Format(2, 3, 3)
    reached = [extend(_scheme(alphatensor_r, (2, 2, 3)), fmt), _scheme(alphatensor_r, (2, 3, 3))]
    assert [s.rank for s in reached] == [17, 15]
    starts = []

    def fake(fmt, rank, **kw):
        starts.append(kw["start"])
        if reached:
            s = reached.pop(0)
            return SolveResult(True, "found", "", s, s.rank)
        return SolveResult(False, "time_limit", "", None, 15)

    monkeypatch.setattr(meta, "solve", fake)
    # the chain from the standard 18 (without_dp: not from Hopcroft-Kerr's 15, the DP's start here)
    cat = Catalogue(tmp_path / "cat")
    step = MetaSearch([fmt], "z", cat, seed=4, slice_seconds=30.0).step(fmt, 30.0)
    assert [s.rank for s in starts] == [18, 17, 15] and step.reached == 15 and step.stored == "added"
    assert [e.rank for e in cat.entries("2x3x3", "z")] == [15]
    # its member over {-1, 0, 1} is stored over zt as well (the 15 is one already)
    assert step.ternary == "added" and [e.rank for e in cat.entries("2x3x3", "zt")] == [15]
    assert starts[1].provenance["source"] == f"a walk from {meta.start_label(starts[0])}"


def test_an_equal_rank_new_to_the_pool_is_stored_once(tmp_path, monkeypatch, alphatensor_r):
    """A slice that ends at the best rank with a scheme the pool lacks stores
    it, so the next run's pool starts from it too; the same scheme again is
    not stored twice."""
    import decomp.meta as meta
    from decomp.solvers.api import SolveResult

    fmt = Format(2, 2, 3)
    other = extend(_scheme(alphatensor_r, (2, 2, 2)), fmt)
    monkeypatch.setattr(meta, "solve", lambda fmt, rank, **kw: SolveResult(False, "time_limit", "", other, 11))
    cat = Catalogue(tmp_path / "cat")
    cat.add(_scheme(alphatensor_r, (2, 2, 3)))
    search = MetaSearch([fmt], "gf2", cat, seed=5, slice_seconds=2.0)
    first, again = search.step(fmt, 2.0), search.step(fmt, 2.0)
    assert (first.reached, first.stored) == (11, "added") and (again.reached, again.stored) == (11, "")
    assert [e.rank for e in cat.entries("2x2x3")] == [11, 11]


def test_sigterm_ends_a_meta_run_and_keeps_the_slice(tmp_path, capsys, monkeypatch, alphatensor_r, without_dp):
    """SIGTERM between two walks of a lifted slice ends the run like Ctrl-C:
    what the slice reached is stored, and the command still reports."""
    import os
    import signal

    import decomp.meta as meta
    from decomp.solvers.api import SolveResult

    found = _scheme(alphatensor_r, (2, 2, 3))

    def fake(fmt, rank, **kw):
        if kw["start"].rank == 12:
            return SolveResult(True, "found", "", found, found.rank)
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM did not interrupt")

    monkeypatch.setattr(meta, "solve", fake)
    before = signal.getsignal(signal.SIGTERM)
    code, out, _ = run_cli(["meta", "2x2x3,2x3x3", "--ring", "z", "--time-limit", "60", "--slice", "20",
                            "--results", tmp_path / "cat", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["interrupted"] and len(data["steps"]) == 1 and data["steps"][0]["stored"] == "added"
    assert Catalogue(tmp_path / "cat").best("2x2x3", "z").rank == 11
    assert signal.getsignal(signal.SIGTERM) == before


def _signals_in_worker(**_):
    import signal
    return signal.getsignal(signal.SIGTERM) == signal.SIG_DFL and signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_workers_die_on_sigterm_while_the_parent_turns_it_into_an_interrupt():
    """A forked walker must not inherit the parent's SIGTERM handler (the
    pool's terminate sends SIGTERM), and ignores SIGINT."""
    from decomp.cli.common import term_interrupts
    from decomp.parallel import run_jobs

    with term_interrupts():
        assert list(run_jobs(_signals_in_worker, [{}, {}], workers=2, stop_on=lambda r: False)) == [True, True]


def test_a_lifted_slice_keeps_a_gf2_scheme_that_did_not_lift(tmp_path, monkeypatch, alphatensor_r):
    """Over z a walk reports each new best over GF(2) before it tries the
    lift; one that goes below the gf2 best and fails to lift is stored over
    gf2 all the same (3x5x5 58 over GF(2) is a record of its own)."""
    import decomp.meta as meta
    from decomp.solvers.api import SolveResult, SolveState

    fmt = Format(2, 2, 3)
    gf2 = _scheme(alphatensor_r, (2, 2, 3)).as_ring("gf2")

    def fake(fmt, rank, callback=None, **kw):
        callback(SolveState("flip", 1.0, 11, 11, improved=gf2))
        return SolveResult(False, "time_limit", "best rank 11 (above the target): does not lift", None, 11)

    monkeypatch.setattr(meta, "solve", fake)
    cat = Catalogue(tmp_path / "cat")
    cat.add(extend(_scheme(alphatensor_r, (2, 2, 2)), fmt))  # z 11, the pool
    cat.add(Scheme(fmt, *fmt.naive_factors(), ring="gf2"))  # gf2 12
    search = MetaSearch([fmt], "z", cat, seed=6, slice_seconds=2.0)
    step = search.step(fmt, 2.0)
    assert step.reached is None and (step.reached_gf2, step.stored_gf2) == (11, "added")
    assert cat.best_rank("2x2x3", "gf2") == 11 and cat.best_rank("2x2x3", "z") == 11
    again = search.step(fmt, 2.0)  # the same rank again: nothing more to store
    assert (again.reached_gf2, again.stored_gf2) == (11, "")
    assert [e.rank for e in cat.entries("2x2x3", "gf2")] == [11, 12]


def test_a_slice_killed_midway_keeps_what_its_walk_reported(tmp_path, monkeypatch, alphatensor_r):
    """A walk reports 2x3x3 rank 15 over GF(2) below the stored best (the
    standard algorithm's 18 extended), then the process dies mid-slice
    (the fake solve raises what no handler catches): the 15 is already in
    the catalogue, verified."""
    import decomp.meta as meta
    from decomp.solvers.api import SolveState

    fmt = Format(2, 3, 3)
    found = _scheme(alphatensor_r, (2, 3, 3)).as_ring("gf2")

    def dying(fmt, rank, callback=None, **kw):
        callback(SolveState("flip", 1.0, rank=15, best_rank=15, improved=found))
        raise SystemExit("killed")

    monkeypatch.setattr(meta, "solve", dying)
    cat = Catalogue(tmp_path / "cat")
    with pytest.raises(SystemExit):
        MetaSearch([fmt], "gf2", cat, seed=5, slice_seconds=300.0).step(fmt, 300.0)
    kept = cat.best("2x3x3", "gf2")
    assert kept is not None and kept.rank == 15 and kept.verify("gf2").ok


def test_a_ternary_walk_starts_only_from_ternary_schemes(tmp_path, alphatensor_r):
    """Strassen in a basis with entries 2 and 3 (X = [[2, 1], [1, 1]], det 1)
    is the lower Z scheme, but a ternary walk cannot start from it: the
    extended start falls back to the standard 2x2x2 plus a slice (12), and
    a meta search over z with -o walk_ring=zt draws no start from it."""
    from decomp.core import symmetry as sym

    strassen = _scheme(alphatensor_r, (2, 2, 2))
    wide = sym.sandwich(strassen, [[2, 1], [1, 1]], [[1, 0], [0, 1]], [[1, 0], [0, 1]])
    assert wide.verify("z").ok and not wide.ternary
    naive = Scheme(Format(2, 2, 2), *Format(2, 2, 2).naive_factors(), ring="z")
    assert extended_start([wide, naive], "2x2x3", "z").rank == 11
    tight = extended_start([wide, naive], "2x2x3", "z", ternary=True)
    assert tight.rank == 12 and tight.ternary and tight.verify("z").ok
    with pytest.raises(DecompError, match=r"no z scheme with entries in \{-1, 0, 1\} of a format one index below"):
        extended_start([wide], "2x2x3", "z", ternary=True)
    cat = Catalogue(tmp_path / "cat")
    cat.add(wide)
    plain = MetaSearch([Format(2, 2, 2), Format(2, 2, 3)], "z", cat, seed=1).starts(Format(2, 2, 3))
    assert [s.rank for _, s in plain["extended"]] == [11, 11, 11]  # along n, m and p
    walks = MetaSearch([Format(2, 2, 2), Format(2, 2, 3)], "z", cat, seed=1, options={"walk_ring": "zt"})
    assert walks.starts(Format(2, 2, 3))["extended"] == []
    assert [src for src, _ in walks.starts(Format(2, 2, 2))["own"]] == ["standard algorithm"]
