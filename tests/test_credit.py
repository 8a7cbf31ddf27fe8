"""Which table column a stored scheme counts for (core/credit.py): a walk
that returns its start unimproved has found nothing."""

import json

from conftest import run_cli
from decomp.core.credit import credit_of, start_provenance
from decomp.core.io import write_json
from decomp.core.render import parse_algorithm
from known import STRASSEN


def test_credit_follows_an_unimproved_start_back():
    found = {"method": "flip", "start_rank": 63, "start_ring": "gf2", "start_credit": "combined"}
    assert credit_of(found, 61, "gf2") == "flip"  # below its start: a find
    assert credit_of(found, 63, "gf2") == "combined"  # the projection it started from, carried forward
    assert credit_of(found, 63, "z") == "flip"  # a GF(2) start does not count over Z: the lift is the find
    from_z = dict(found, start_ring="z")
    assert credit_of(from_z, 63, "z") == "combined" and credit_of(from_z, 63, "zt") == "flip"
    assert credit_of({"method": "meta"}, 63, "z") == "combined"  # meta's extensions are constructions
    assert credit_of({"method": "lift"}, 63, "z") == "flip"
    assert credit_of({"method": "flip"}, 63, "z") == "flip"  # no start recorded (older files, naive starts)
    assert credit_of({"method": "alphatensor?"}, 47, "z") == "import"
    assert credit_of({"method": "flip", "start_rank": 40, "start_credit": "bogus"}, 40, "z") == "import"
    assert credit_of({"method": "flip", "start_rank": 40, "start_ring": "zz"}, 40, "z") == "flip"


def test_a_start_that_was_a_lift_keeps_its_credit_per_ring():
    """A walk from our Z lift of an imported GF(2) scheme, returned as it
    was: over z it is the lift (flip's), over gf2 the import."""
    strassen = parse_algorithm("2x2x2", STRASSEN).as_ring("z")
    lift = strassen.with_factors(*strassen.factors, method="lift", start_rank=7, start_ring="gf2",
                                 start_credit="import")
    walked = dict(method="flip", **start_provenance(lift))
    assert walked["start_credit"] == {"zt": "flip", "z": "flip", "q": "flip", "gf2": "import"}
    assert credit_of(walked, 7, "z") == "flip" and credit_of(walked, 7, "gf2") == "import"


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
        assert d["scheme"]["provenance"]["start_credit"]["gf2"] == "import"
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
