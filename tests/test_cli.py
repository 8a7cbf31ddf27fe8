import json
from pathlib import Path

import pytest

from conftest import run_cli
from decomp.core.io import write_json
from decomp.core.render import parse_algorithm
from known import LADERMAN, STRASSEN

DATA = Path(__file__).resolve().parent.parent / "decomp" / "data" / "alphatensor"


def test_import_twice_then_list(tmp_path, capsys):
    res = tmp_path / "cat"
    code, out, _ = run_cli(["import", "alphatensor", DATA / "factorizations_f2.npz", "--results", res,
                            "--json"], capsys)
    assert code == 0 and json.loads(out)["added"] == 20
    code, out, _ = run_cli(["import", "alphatensor", DATA / "factorizations_f2.npz", "--results", res,
                            "--json"], capsys)
    assert json.loads(out)["added"] == 0 and json.loads(out)["duplicate"] == 20
    # the bundled files (both): the 20 already there are duplicates, the 93 of the _r file are new
    code, out, _ = run_cli(["import", "alphatensor", "--results", res, "--json"], capsys)
    assert json.loads(out)["schemes"] == 113 and json.loads(out)["added"] == 93
    assert json.loads(out)["duplicate"] == 20
    code, out, _ = run_cli(["list", "--results", res, "--json"], capsys)
    listing = json.loads(out)
    assert listing["schemes"] == 113
    best = {(f["format"], f["ring"]): f["best_rank"] for f in listing["formats"]}
    assert best[("4x4x4", "gf2")] == 47 and best[("4x4x4", "z")] == 49
    code, out, _ = run_cli(["list", "--results", res], capsys)
    assert code == 0 and "113 schemes" in out
    code, out, _ = run_cli(["show", "2x2x2", "--results", res], capsys)
    assert code == 0 and "M7 =" in out and "C22 =" in out


def test_list_counts_verified_schemes_and_names_a_corrupt_file(tmp_path, capsys):
    res = tmp_path / "cat"
    run_cli(["import", "alphatensor", DATA / "factorizations_f2.npz", "--results", res], capsys)
    corrupt = res / "2x2x2" / "gf2" / "r0006-0123456789abcdef.json"
    corrupt.write_text('{"format": "2x2x2"')
    code, out, err = run_cli(["list", "--results", res, "--json"], capsys)
    listing = json.loads(out)
    assert code == 0 and listing["schemes"] == 20
    assert {(f["format"], f["ring"]): f["best_rank"] for f in listing["formats"]}[("2x2x2", "gf2")] == 7
    assert listing["skipped"][0][0] == str(corrupt) and "not valid JSON" in listing["skipped"][0][1]
    code, out, err = run_cli(["list", "--results", res], capsys)
    assert code == 0 and "20 schemes" in out
    assert f"skipped {corrupt}: not valid JSON" in " ".join(err.split())
    assert corrupt.read_text() == '{"format": "2x2x2"'  # named, left as it is


def test_verify_table_and_json(tmp_path, capsys):
    path = tmp_path / "laderman.json"
    write_json(parse_algorithm("3x3x3", LADERMAN), path)
    code, out, _ = run_cli(["verify", path, "--json"], capsys)
    rows = json.loads(out)
    assert code == 0 and rows[0]["format"] == "3x3x3" and rows[0]["rank"] == 23 and rows[0]["valid"]
    code, out, _ = run_cli(["verify", DATA / "factorizations_f2.npz", "--json"], capsys)
    rows = json.loads(out)
    assert len(rows) == 20 and all(r["valid"] and r["ring"] == "gf2" for r in rows)
    assert all("z" not in r["valid_rings"] for r in rows)


@pytest.mark.parametrize("args,msg", [
    (["solve", "0x2x2", "--rank", "7", "--method", "naive"], ">= 1"),
    (["solve", "2x2", "--rank", "7", "--method", "naive"], "malformed format"),
    (["solve", "2x2x2", "--rank", "0", "--method", "naive"], "rank must be >= 1"),
    (["solve", "2x2x2", "--rank", "3", "--method", "naive"], "impossible"),
    (["solve", "2x2x2", "--rank", "8", "--method", "naive", "-o", "zz=1"], "unknown option"),
    (["verify", "/no/such/file.json"], "no such file"),
    (["show", "7x7x7"], "no stored scheme"),
    (["solve", "2x2x2", "--rank", "8", "--method", "naive", "--symmetry", "cyclic"],
     "--symmetry is an option of flip, sat and als"),
    (["solve", "2x2x3", "--rank", "11", "--symmetry", "cyclic"], "needs a square format"),
])
def test_bad_input_one_line_exit_2(args, msg, capsys):
    code, out, err = run_cli(args, capsys)
    assert code == 2
    assert msg in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bad_files_exit_2(tmp_path, capsys):
    good = tmp_path / "s.json"
    write_json(parse_algorithm("2x2x2", STRASSEN), good)
    text = good.read_text()
    (tmp_path / "trunc.json").write_text(text[:40])
    d = json.loads(text)
    d["W"][0][0] = 1 - d["W"][0][0]
    (tmp_path / "wrong.json").write_text(json.dumps(d))
    (tmp_path / "trunc.npz").write_bytes((DATA / "factorizations_f2.npz").read_bytes()[:300])
    for name, msg in (("trunc.json", "not valid JSON"), ("wrong.json", "does not verify"),
                      ("trunc.npz", "npz")):
        code, _, err = run_cli(["verify", tmp_path / name], capsys)
        assert code == 2 and msg in err and "Traceback" not in err


def test_solve_writes_out_and_stores(tmp_path, capsys):
    out_file = tmp_path / "n.json"
    code, out, _ = run_cli(["solve", "2x2x3", "--rank", "12", "--method", "naive", "--ring", "z",
                            "--out", out_file, "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["success"] and d["scheme"]["rank"] == 12 and d["stored"] == "added"
    assert out_file.exists()
    code, out, _ = run_cli(["solve", "2x2x3", "--rank", "11", "--method", "naive", "--json"], capsys)
    assert code == 1 and json.loads(out)["success"] is False


def test_solve_cyclic_symmetry_stores_a_symmetric_scheme(tmp_path, capsys):
    from decomp.solvers.flip import cyclic as flip_cyclic
    from decomp.solvers.gf2.bits import to_bits

    code, out, _ = run_cli(["solve", "3x3x3", "--rank", "23", "--symmetry", "cyclic", "--seed", "1",
                            "--results", tmp_path, "--json"], capsys)
    d = json.loads(out)
    # the walk stores improvements as it finds them, so the final add may find it there already
    assert code == 0 and d["success"] and d["stored"] in ("added", "duplicate")
    assert d["scheme"]["provenance"]["symmetry"] == "cyclic"
    from decomp.core.store import Catalogue

    stored = Catalogue(tmp_path).best("3x3x3", "gf2")
    assert stored.rank == 23 and stored.verify().ok
    flip_cyclic.orbits_of(to_bits(stored, 23), 23)


def test_z_run_that_misses_stores_its_lifted_best_and_table_skips_targets(tmp_path, capsys):
    """A flip run over Z that ends above its target keeps its best scheme
    lifted (rank 6 is impossible for 2x2x2; 7 is Strassen's, which lifts),
    and decomp table over a catalogue that also holds a structured target
    (poly:2) builds its combination DP from the formats alone."""
    res = tmp_path / "cat"
    code, out, _ = run_cli(["solve", "2x2x2", "--rank", "6", "--ring", "z", "--time-limit", "2", "--seed", "2",
                            "--results", res, "--json"], capsys)
    d = json.loads(out)
    assert code == 1 and d["status"] == "time_limit" and d["stored"] == "added"
    assert [p.name[:5] for p in (res / "2x2x2" / "z").iterdir()] == ["r0007"]
    code, out, _ = run_cli(["solve", "--target", "poly:2", "--rank", "3", "--method", "flip", "--seed", "1",
                            "--time-limit", "20", "--results", res, "--json"], capsys)
    assert code == 0 and json.loads(out)["stored"] == "added"
    code, out, err = run_cli(["table", "--ring", "all", "--max", "3", "--results", res, "--json"], capsys)
    rows = {(r["format"], r["ring"]): r for r in json.loads(out)}
    assert code == 0 and rows[("2x2x2", "z")]["found"] == 7 and rows[("2x2x2", "z")]["ours"]["combined"] == 7


def test_progress_log_prints_each_lower_rank_and_otherwise_now_and_then():
    import io

    from decomp.cli.solve import ProgressLog
    from decomp.solvers.api import SolveState

    stream = io.StringIO()
    log = ProgressLog("flip 4x4x5 -> 60", every=3600.0, stream=stream)
    for rank, best in ((63, 63), (63, 63), (62, 61), (62, 61), (61, 61)):
        assert log(SolveState("flip", 1.0, rank, best, counters={"flips": 10 ** 6})) is False
    lines = stream.getvalue().splitlines()
    # the first report, then the fall to 61; equal bests wait for the hour
    assert len(lines) == 2 and all("flip 4x4x5 -> 60: rank now" in line for line in lines)
    assert "best 63" in lines[0] and "rank now 62, best 61" in lines[1]
    log.every = 0.0
    log(SolveState("flip", 2.0, 61, 61, counters={"flips": 10 ** 6}))
    assert len(stream.getvalue().splitlines()) == 3


def test_solve_without_a_terminal_logs_progress_on_stderr(tmp_path, capsys):
    code, out, err = run_cli(["solve", "3x3x3", "--rank", "23", "--seed", "3", "--time-limit", "60",
                              "--results", tmp_path], capsys)
    assert code == 0 and "found: reached rank 23" in out
    assert "flip 3x3x3 -> 23: rank now 23, best 23" in err and "Traceback" not in err
    code, out, err = run_cli(["solve", "3x3x3", "--rank", "23", "--seed", "3", "--time-limit", "60",
                              "--results", tmp_path, "--json"], capsys)
    assert code == 0 and json.loads(out)["success"] and "rank now" not in err  # --json prints one object
