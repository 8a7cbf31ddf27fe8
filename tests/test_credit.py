"""Which table column a stored scheme counts for (core/credit.py): a walk
that returns its start unimproved has found nothing."""

import json

from conftest import run_cli
from decomp.core.credit import credit_of
from decomp.core.io import write_json


def test_credit_follows_an_unimproved_start_back():
    found = {"method": "flip", "start_rank": 63, "start_ring": "gf2", "start_credit": "combined"}
    assert credit_of(found, 61) == "flip"  # below its start: a find
    assert credit_of(found, 63) == "combined"  # the projection it started from, carried forward
    assert credit_of(found, 63, start_counts=False) == "flip"  # e.g. a Z lift of a GF(2) start
    assert credit_of({"method": "meta"}, 63) == "combined"  # meta's extensions are constructions
    assert credit_of({"method": "flip"}, 63) == "flip"  # no start recorded (older files, naive starts)
    assert credit_of({"method": "alphatensor?"}, 47) == "import"
    assert credit_of({"method": "flip", "start_rank": 40, "start_credit": "bogus"}, 40) == "import"


def test_a_walk_returning_an_imported_start_is_not_a_find(tmp_path, capsys, alphatensor_f2):
    """AlphaTensor's GF(2) 2x2x3 (rank 11) walked with target 11: the walk
    returns it as it is; decomp table counts it as imported, not as found by
    flip. Over Z the same run lifts it, and the lift is flip's."""
    start = next(s for s in alphatensor_f2 if s.fmt.dims == (2, 2, 3))
    assert start.rank == 11
    path = tmp_path / "at_2x2x3.json"
    write_json(start, path)
    res = tmp_path / "cat"
    for ring in ("gf2", "z"):
        code, out, _ = run_cli(["solve", "2x2x3", "--rank", "11", "--ring", ring, "--start", path, "--seed", "1",
                                "--time-limit", "20", "--results", res, "--json"], capsys)
        d = json.loads(out)
        assert code == 0 and d["stored"] == "added"
        assert d["scheme"]["provenance"]["start_rank"] == 11
        assert d["scheme"]["provenance"]["start_credit"] == "import"
    code, out, _ = run_cli(["table", "--ring", "all", "--max", "3", "--results", res, "--json"], capsys)
    rows = {(r["format"], r["ring"]): r for r in json.loads(out)}
    assert code == 0
    assert rows[("2x2x3", "gf2")]["ours"].get("flip") is None and rows[("2x2x3", "gf2")]["ours"]["import"] == 11
    assert rows[("2x2x3", "gf2")]["found"] is None
    assert rows[("2x2x3", "z")]["ours"]["flip"] == 11 and rows[("2x2x3", "z")]["found"] == 11


def test_a_lift_counts_where_its_source_did_not(tmp_path, capsys, alphatensor_f2):
    """decomp lift of AlphaTensor's GF(2) 2x2x2 (rank 7): the Z scheme is a
    find over Z (flip's column: lifting is what flip does to its schemes),
    while over GF(2) it is the imported scheme again."""
    source = next(s for s in alphatensor_f2 if s.fmt.dims == (2, 2, 2))
    path = tmp_path / "at_2x2x2.json"
    write_json(source, path)
    res = tmp_path / "cat"
    code, out, _ = run_cli(["lift", path, "--results", res, "--json"], capsys)
    assert code == 0 and json.loads(out)["stored"] == "added"
    stored = json.loads(next((res / "2x2x2" / "z").iterdir()).read_text())["provenance"]
    assert stored["method"] == "lift" and (stored["start_rank"], stored["start_ring"]) == (7, "gf2")
    code, out, _ = run_cli(["table", "--ring", "all", "--max", "2", "--results", res, "--json"], capsys)
    rows = {(r["format"], r["ring"]): r for r in json.loads(out)}
    assert rows[("2x2x2", "z")]["ours"] == {"flip": 7, "combined": 7}
    assert rows[("2x2x2", "gf2")]["ours"]["import"] == 7 and rows[("2x2x2", "gf2")]["found"] is None
