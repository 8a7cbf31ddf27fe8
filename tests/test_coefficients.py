"""Change of basis to entries in {-1, 0, 1} (decomp/core/coefficients.py,
`decomp ternary`, and the flip solver over zt)."""

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from decomp import solve
from decomp.core import symmetry as sym
from decomp.core.coefficients import coefficient_excess, store_ternary, ternary_from_catalogue, ternary_member
from decomp.core.errors import SchemeError
from decomp.core.io import read_json, write_json
from decomp.core.lift import LiftResult
from decomp.core.store import Catalogue
from decomp.solvers.flip import walk as flip_walk

DATA = Path(__file__).parent / "data"


def _scheme(schemes, dims):
    return next(x for x in schemes if x.fmt.dims == dims)


def _blown_up(s):
    """An equivalent scheme with larger entries: unimodular X, Y, Z with 2s."""
    n, m, p = s.fmt.dims
    mats = []
    for k in (n, m, p):
        M = np.eye(k, dtype=np.int64)
        M[0, k - 1] = 2
        if k > 2:
            M[1, 2] = -1
        mats.append(M)
    return sym.sandwich(s, *mats)


def test_excess_counts_what_exceeds_one(alphatensor_r):
    s = _scheme(alphatensor_r, (3, 4, 5))  # AlphaTensor's 47 over Z has a few entries +-2
    assert coefficient_excess(s) == sum(int(np.maximum(np.abs(np.asarray(F, dtype=np.int64)) - 1, 0).sum())
                                        for F in s.factors) > 0
    assert coefficient_excess(_scheme(alphatensor_r, (2, 2, 2))) == 0


@pytest.mark.parametrize("dims", [(3, 4, 5), (3, 4, 4), (2, 4, 5), (3, 3, 4)])
def test_alphatensor_schemes_over_z_become_ternary(alphatensor_r, dims):
    """AlphaTensor's integral 3x4x5 (47), 3x4x4 (38), 2x4x5 (33) and 3x3x4
    (29) leave {-1, 0, 1}; an equivalent scheme of the same rank does not."""
    s = _scheme(alphatensor_r, dims)
    assert not s.verify("zt").ok
    t = ternary_member(s, seed=0)
    assert t is not None and t.rank == s.rank and t.fmt == s.fmt and t.ring.value == "zt"
    assert t.verify("zt").ok and t.verify("z").ok and coefficient_excess(t) == 0
    assert t.provenance["basis_change"] == "to {-1,0,1}" and t.provenance["source"] == s.provenance["source"]


def test_a_blown_up_strassen_comes_back(alphatensor_r):
    big = _blown_up(_scheme(alphatensor_r, (2, 2, 2)))
    assert big.verify("z").ok and coefficient_excess(big) > 0
    t = ternary_member(big, seed=3)
    assert t is not None and t.rank == 7 and t.verify("zt").ok


def test_no_member_found_within_the_moves_is_none(alphatensor_r):
    s = _scheme(alphatensor_r, (3, 4, 5))
    assert ternary_member(s, iterations=1, seed=0) is None
    with pytest.raises(SchemeError, match="needs a scheme over Z"):
        ternary_member(s.as_ring("gf2"))


def test_catalogue_gains_the_zt_rank(tmp_path, alphatensor_r):
    cat = Catalogue(tmp_path / "cat")
    cat.add(_scheme(alphatensor_r, (3, 4, 5)))
    row = ternary_from_catalogue(cat, _scheme(alphatensor_r, (3, 4, 5)).fmt)
    assert row["zt_before"] is None and row["zt_after"] == 47 and row["status"] == "added"
    assert row["tried"] == [{"ring": "z", "rank": 47, "excess": coefficient_excess(_scheme(alphatensor_r, (3, 4, 5))),
                             "how": "signs by SAT"}]
    best = cat.best("3x4x5", "zt")
    assert best.rank == 47 and best.ring.value == "zt" and best.verify("zt").ok
    again = ternary_from_catalogue(cat, best.fmt)
    assert again["status"] == "nothing lower" and again["tried"] == []


def test_cli_ternary(tmp_path, capsys, alphatensor_r):
    cat = Catalogue(tmp_path / "cat")
    cat.add(_scheme(alphatensor_r, (3, 4, 5)))
    cat.add(_scheme(alphatensor_r, (2, 2, 2)).as_ring("zt"))
    code, out, _ = run_cli(["ternary", "--results", tmp_path / "cat"], capsys)
    assert code == 0
    assert "3x4x5: zt none -> 47 (from z 47, signs by SAT), added" in out
    assert "2x2x2: zt 7; no stored scheme over z, q or gf2 below it" in out
    code, out, _ = run_cli(["ternary", "3x4x5", "--results", tmp_path / "cat", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["formats"] == [{"format": "3x4x5", "zt_before": 47, "zt_after": 47, "tried": [],
                                              "status": "nothing lower", "skipped": []}]


def test_cli_ternary_names_a_corrupt_file_and_goes_on(tmp_path, capsys, alphatensor_r):
    cat = Catalogue(tmp_path / "cat")
    cat.add(_scheme(alphatensor_r, (3, 4, 5)))
    bad = tmp_path / "cat" / "3x4x5" / "z" / "r0046-0000000000000000.json"
    bad.write_text('{"garbage": 1')
    code, out, err = run_cli(["ternary", "3x4x5", "--results", tmp_path / "cat"], capsys)
    assert code == 0 and "3x4x5: zt none -> 47" in out
    assert f"skipped {bad}" in err.replace("\n", "") and "Traceback" not in err
    assert bad.read_text() == '{"garbage": 1'  # a bad file is reported, never touched


def test_cli_ternary_reports_a_miss(tmp_path, capsys):
    # a free lift of a GF(2) plateau point: entries +-2, its image mod 2 has no signs
    s = read_json(DATA / "z_2x2x3_r11_no_signs.json")
    cat = Catalogue(tmp_path / "cat")
    cat.add(s)
    code, out, _ = run_cli(["ternary", "2x2x3", "--iterations", "1", "--tries", "1",
                            "--results", tmp_path / "cat"], capsys)
    assert code == 0 and "2x2x3: zt none; nothing reached {-1, 0, 1}: z 11 (no signs in {-1, 0, 1} on this " \
        "support (SAT); no change of basis found)" in " ".join(out.split())
    assert cat.best_rank("2x2x3", "zt") is None
    code, out, _ = run_cli(["ternary", "2x2x3", "--results", tmp_path / "cat"], capsys)
    assert code == 0 and f"2x2x3: zt none -> 11 (from z 11, excess {coefficient_excess(s)} -> 0), added" in out
    assert cat.best("2x2x3", "zt").verify("zt").ok


def test_cli_ternary_points_lift_the_image_where_signs_and_basis_fail(tmp_path, capsys):
    """The miss above with --points: the image mod 2 lifted again (or a
    point of its plateau) reaches {-1, 0, 1}; stored as a lift of the Z
    scheme, which counts over z but not over zt (core/credit.py)."""
    s = read_json(DATA / "z_2x2x3_r11_no_signs.json")
    cat = Catalogue(tmp_path / "cat")
    cat.add(s)
    code, out, _ = run_cli(["ternary", "2x2x3", "--iterations", "1", "--tries", "1", "--points", "20",
                            "--seed", "3", "--results", tmp_path / "cat", "--json"], capsys)
    d = json.loads(out)
    row = d["formats"][0]
    assert code == 0 and d["seed"] == 3 and row["status"] == "added" and row["zt_after"] == 11
    assert "no change of basis found" in row["tried"][0]["how"]
    assert "mod 2 and along its plateau: lifted" in row["tried"][-1]["how"]
    found = cat.best("2x2x3", "zt")
    assert found.verify("zt").ok and found.provenance["method"] == "lift"
    assert (found.provenance["start_rank"], found.provenance["start_ring"]) == (11, "z")


def test_the_further_way_comes_after_the_quick_ones_z_before_gf2(tmp_path):
    """ternary_from_catalogue's `also` (the CLI's plateau walk) runs only
    when signs and the change of basis failed on every candidate, and at one
    rank on a Z scheme before a GF(2) one (a Z scheme's image lifts to Z)."""
    s = read_json(DATA / "z_2x2x3_r11_no_signs.json")
    cat = Catalogue(tmp_path / "cat")
    cat.add(s)
    cat.add(s.as_ring("gf2"))
    calls = []

    def also(x):
        calls.append(x.ring.value)
        return None, "tried"

    row = ternary_from_catalogue(cat, s.fmt, 1, 1, also)
    assert calls == ["z", "gf2"] and row["status"] == "not reached"
    assert [t["how"] for t in row["tried"]][2:] == ["tried", "tried"] and len(row["tried"]) == 4


@pytest.mark.parametrize("args, message", [
    (["3x4"], "malformed format '3x4'"),
    (["3x4x5", "--iterations", "0"], "--iterations and --tries must be positive"),
    (["3x4x5", "--points", "-1"], "--points must be at least 0 and --time-limit positive"),
    (["3x4x5", "--points", "5", "--time-limit", "0"], "--points must be at least 0 and --time-limit positive"),
    (["--results", "/nonexistent/cat"], "no stored matrix formats in /nonexistent/cat"),
])
def test_cli_ternary_bad_input_in_one_line(capsys, args, message):
    code, _, err = run_cli(["ternary", *args], capsys)
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_flip_over_zt_changes_basis_of_a_lifted_scheme(monkeypatch, alphatensor_r):
    """A GF(2) walk lifted to Z with entries +-2 is not lost over zt: the
    solver returns an equivalent scheme in {-1, 0, 1}."""
    real = flip_walk.lift_gf2

    def lift_with_big_entries(s, **options):  # a Z lift (whatever ring asked), blown up
        res = real(s)
        return LiftResult(_blown_up(res.scheme), res.message) if res.scheme is not None else res

    monkeypatch.setattr(flip_walk, "lift_gf2", lift_with_big_entries)
    start = _scheme(alphatensor_r, (2, 2, 3))
    res = solve("2x2x3", 11, method="flip", ring="zt", start=start, walk_ring="gf2", seed=1, time_limit=20)
    assert res.success and "a change of basis took it to {-1,0,1}" in res.message
    assert res.scheme.ring.value == "zt" and res.scheme.verify("zt").ok and res.scheme.rank == 11


def test_a_stored_z_scheme_brings_its_ternary_member(tmp_path, alphatensor_r):
    """What a search stores over z is also stored over zt when a change of
    basis reaches {-1, 0, 1} and zt holds nothing as low; never otherwise."""
    s = _scheme(alphatensor_r, (3, 4, 5))
    cat = Catalogue(tmp_path / "cat")
    outcome = store_ternary(cat, s)
    assert outcome.status == "added" and outcome.path.parent.name == "zt"
    best = cat.best("3x4x5", "zt")
    assert best.rank == 47 and best.verify("zt").ok and coefficient_excess(best) == 0
    assert store_ternary(cat, s) is None  # zt already holds a 47
    assert store_ternary(cat, s.as_ring("gf2")) is None  # nothing to change over GF(2)
    assert store_ternary(cat, s, iterations=1, tries=1) is None
    assert [e.rank for e in cat.entries("3x4x5")] == [47]


def test_cli_solve_over_z_stores_the_zt_member(tmp_path, capsys, monkeypatch, alphatensor_r):
    """decomp solve --ring z: a lifted scheme with entries +-2 is stored over
    z as found, and its member in {-1, 0, 1} over zt."""
    real = flip_walk.lift_gf2

    def lift_with_big_entries(s, **options):  # a Z lift (whatever ring asked), blown up
        res = real(s)
        return LiftResult(_blown_up(res.scheme), res.message) if res.scheme is not None else res

    monkeypatch.setattr(flip_walk, "lift_gf2", lift_with_big_entries)
    start = tmp_path / "start.json"
    write_json(_scheme(alphatensor_r, (2, 2, 3)), start)
    code, out, _ = run_cli(["solve", "2x2x3", "--rank", "11", "--ring", "z", "--start", start, "--seed", "1",
                            "--time-limit", "20", "--results", tmp_path / "cat"], capsys)
    cat = Catalogue(tmp_path / "cat")
    assert code == 0 and "catalogue over zt (a change of basis to {-1, 0, 1}): added" in out.replace("\n", "")
    z, zt = cat.best("2x2x3", "z"), cat.best("2x2x3", "zt")
    assert z.rank == zt.rank == 11 and coefficient_excess(z) > 0 and zt.verify("zt").ok


def test_ternary_of_keeps_a_scheme_already_in_range(alphatensor_r):
    """A Z scheme with entries in {-1, 0, 1} is itself the answer (not a
    signed variant of its image mod 2)."""
    from decomp.core.coefficients import ternary_of

    s = _scheme(alphatensor_r, (2, 2, 2))
    found, how = ternary_of(s)
    assert how == "already in {-1, 0, 1}" and found.ring.value == "zt"
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(found.factors, s.factors))


def test_cli_ternary_interrupted_says_so_and_keeps_the_catalogue(tmp_path, capsys, monkeypatch):
    """Ctrl-C (or SIGTERM) during the plateau walks: one line, exit 130,
    stored schemes untouched (whichever way typer reports the interrupt)."""
    import decomp.core.coefficients as coefficients

    s = read_json(DATA / "z_2x2x3_r11_no_signs.json")
    cat = Catalogue(tmp_path / "cat")
    cat.add(s)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(coefficients, "ternary_from_catalogue", interrupted)
    code, out, err = run_cli(["ternary", "2x2x3", "--points", "5", "--results", tmp_path / "cat"], capsys)
    assert code == 130 and err.strip() == "interrupted" and "Traceback" not in err
    assert cat.best_rank("2x2x3", "z") == 11 and cat.best_rank("2x2x3", "zt") is None
