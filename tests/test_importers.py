"""Readers of the public catalogues (decomp import perminov|kauers|alphaevolve):
real published files verify, our own schemes survive the round trip, and
hostile or broken input is refused in one line without anything stored."""

import json
from fractions import Fraction
from pathlib import Path

import pytest

from conftest import run_cli
from decomp.core import importers
from decomp.core.classical import STRASSEN
from decomp.core.render import parse_algorithm
from decomp.core.errors import FileFormatError
from decomp.core.rings import Ring
from decomp.core.store import Catalogue

DATA = Path(__file__).resolve().parent / "data" / "catalogues"


def test_real_published_files_verify_in_their_rings():
    q = importers.read_kauers_exp(DATA / "kauers_257_kbdd11abae579683.exp")[0]
    assert (q.fmt.dims, q.rank, q.ring) == ((2, 5, 7), 55, Ring.Q) and q.verify().ok
    assert any(isinstance(x, Fraction) and x.denominator == 3 for f in q.factors for x in f.ravel())
    gf2 = importers.read_kauers_exp(DATA / "moosbauer_flips_222_rank8_00bc2f83230b.exp")[0]
    assert (gf2.fmt.dims, gf2.rank, gf2.ring) == ((2, 2, 2), 8, Ring.GF2) and not gf2.verify(Ring.Z).ok
    z = importers.read_perminov(DATA / "perminov_2x2x2_m7_ZT.json")[0]
    assert (z.fmt.dims, z.rank, z.ring) == ((2, 2, 2), 7, Ring.Z) and z.verify(Ring.ZT).ok
    assert z.provenance == {"method": "import", "source": "perminov:perminov_2x2x2_m7_ZT.json"}


def test_symmetric_flips_file_with_factors_side_by_side_verifies():
    """Moosbauer & Poole's 6x6x6 rank 153 as published: (a..)(b..)c55 with
    no '*', and (-a55(b56-b66)(-c65-c66)) read as the product it means."""
    s = importers.read_kauers_exp(DATA / "jakobmoosbauer_symmetric_flips_666m153_lifted.exp")[0]
    assert (s.fmt.dims, s.rank, s.ring) == ((6, 6, 6), 153, Ring.Z) and s.verify().ok
    assert max(abs(int(x)) for f in s.factors for x in f.ravel()) == 2


def _m_text(scheme) -> str:
    """A scheme as a .m list {{A, B, C}, ...} (C is p x n, transposed)."""
    n, m, p = scheme.fmt.dims
    U, V, W = scheme.factors

    def mat(col, rows, cols):
        return "{" + ", ".join("{" + ", ".join(str(col[r * cols + c]) for c in range(cols)) + "}"
                               for r in range(rows)) + "}"
    terms = [f"{{{mat(U[:, t], n, m)}, {mat(V[:, t], m, p)}, {mat(W[:, t], p, n)}}}" for t in range(scheme.rank)]
    return "{" + ",\n ".join(terms) + "}"


def test_m_lists_read_the_same_scheme_as_the_exp_text(tmp_path):
    exp = importers.read_kauers_exp(DATA / "kauers_257_kbdd11abae579683.exp")[0]
    path = tmp_path / "257.m"
    path.write_text(_m_text(exp))
    m = importers.read_kauers_m(path)[0]
    assert m.fmt == exp.fmt and m.ring is Ring.Q and m.fingerprint() == exp.fingerprint()


def _notebook(tmp_path, cells) -> Path:
    path = tmp_path / "mathematical_results.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": c} for c in cells]}))
    return path


def _np_literal(M) -> str:
    return "np.array(" + json.dumps([[float(x) for x in row] for row in M.tolist()]) + ", dtype=np.float32)"


def test_alphaevolve_cells_real_ones_imported_complex_and_code_refused(tmp_path):
    U, V, W = parse_algorithm("2x2x2", STRASSEN).factors
    real = f"decomposition_222 = ({_np_literal(U)}, {_np_literal(V)}, {_np_literal(W)})"
    # the same scheme with C written untransposed: the reader tries both orientations
    Wt = W.reshape(2, 2, -1).transpose(1, 0, 2).reshape(4, -1)
    other = f"x = 1\ndecomposition_222b = ({_np_literal(U)}, {_np_literal(V)}, {_np_literal(Wt)})"
    complex_cell = "decomposition_444 = (np.array([[0.5+0.5j]]), np.array([[1]]), np.array([[1]]))"
    hostile = "decomposition_333 = (__import__('os').system('echo hi'), [], [])"
    path = _notebook(tmp_path, [real, other, complex_cell, hostile, "print('no decomposition here')"])
    schemes, skipped = importers.read_alphaevolve(path)
    assert [s.rank for s in schemes] == [7, 7] and all(s.verify().ok and s.ring is Ring.Z for s in schemes)
    assert [s.provenance["orientation"] for s in schemes] == ["c_ki", "c_ik"]
    assert any("decomposition_444" in line and "complex" in line for line in skipped)
    assert any("decomposition_333" in line and "not plain number literals" in line for line in skipped)


@pytest.mark.parametrize("name,text,message", [
    ("eval.exp", "__import__('os')*(b11)*(c11)\n", "unexpected text"),
    ("sum.exp", "(a11 + b11)*(b11)*(c11)\n", "expected a product of linear forms"),
    ("two.exp", "(a11)*(a12)*(c11)\n", "two factors"),
    ("short.exp", "(a11)*(b11)\n", "one linear form in each of a, b, c"),
    ("wrong.exp", "(a11)*(b12)*(c21)\n", "does not verify"),
    ("div.exp", "(a11)*(b11)*(c11)/0\n", "division"),
    ("side.exp", "(a11)(a12)(c11)\n", "two factors"),
    ("open.exp", "(a11)(b11(c11)\n", r"missing '\)'"),
    ("deep.m", "{" * 20 + "}" * 20, "nested too deep"),
    ("ragged.m", "{{{{1}}, {{1, 2}}, {{1}}}}", "not A, B, C of one format"),
    ("bad.json", "{\"n\": [2, 2]}", "keys n, m, u, v, w"),
    ("shape.json", json.dumps({"n": [2, 2, 2], "m": 1, "u": [[1, 0]], "v": [[1, 0, 0, 0]], "w": [[1, 0, 0, 0]]}),
     "rows of 4 coefficients"),
    ("float.json", json.dumps({"n": [1, 1, 1], "m": 1, "u": [[0.1]], "v": [[1]], "w": [[1]]}),
     "not an exact rational"),
    ("rank.json", json.dumps({"n": [1, 1, 1], "m": 2, "u": [[1]], "v": [[1]], "w": [[1]]}), "disagree on the rank"),
])
def test_broken_and_hostile_files_are_refused_in_one_line(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    source = "perminov" if name.endswith(".json") else "kauers"
    with pytest.raises(FileFormatError, match=message):
        importers.import_paths(source, [path])


def test_oversized_file_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(importers, "MAX_TEXT_BYTES", 100)
    path = tmp_path / "big.exp"
    path.write_text("(a11)*(b11)*(c11)\n" * 20)
    with pytest.raises(FileFormatError, match="file too large"):
        importers.read_kauers_exp(path)


def test_cli_imports_folders_stores_verified_schemes_and_reports_bad_files(tmp_path, capsys):
    folder = tmp_path / "kauers"
    folder.mkdir()
    for f in ("kauers_257_kbdd11abae579683.exp", "moosbauer_flips_222_rank8_00bc2f83230b.exp"):
        (folder / f).write_text((DATA / f).read_text())
    (folder / "broken.exp").write_text("(a11)*(b11)\n")
    res = tmp_path / "results"
    code, out, err = run_cli(["import", "kauers", folder, "--results", res, "--json"], capsys)
    d = json.loads(out)
    assert code == 1 and d["schemes"] == 2 and d["added"] == 2 and len(d["skipped"]) == 1
    assert "broken.exp" in d["skipped"][0]
    assert Catalogue(res).best_rank("2x5x7", "q") == 55
    code, out, _ = run_cli(["import", "perminov", DATA / "perminov_2x2x2_m7_ZT.json", "--results", res, "--json"],
                           capsys)
    assert code == 0 and json.loads(out)["added"] == 1
    code, _, err = run_cli(["import", "perminov", tmp_path / "missing.json", "--results", res], capsys)
    assert code == 2 and err.startswith("error:") and "no such file" in err and "Traceback" not in err
    # table: imports apart from what our solvers found, against the 2026 records, every ring
    code, out, _ = run_cli(["table", "--ring", "all", "--max", "7", "--no-combined", "--results", res, "--json"],
                           capsys)
    rows = json.loads(out)
    r = next(r for r in rows if r["format"] == "2x5x7" and r["ring"] == "q")
    assert code == 0 and r["imported"] == 55 and r["found"] is None and r["best_known"] <= 55
    zt = next(r for r in rows if r["format"] == "2x2x2" and r["ring"] == "zt")
    assert zt["imported"] == 7 and zt["best_known"] == 7 and zt["gap"] == 0
