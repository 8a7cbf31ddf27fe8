"""ALS from a start scheme (solvers/als/shed.py): rank reduction by
continuation, each result snapped and verified exactly."""

import json

import numpy as np
import pytest
from conftest import run_cli

from decomp import solve
from decomp.core.credit import credit_of
from decomp.core.errors import DecompError
from decomp.core.io import write_json
from decomp.core.render import parse_algorithm
from decomp.core.scheme import Scheme
from decomp.solvers.als.shed import shed_term
from decomp.solvers.als.snap import refit, residual
from known import STRASSEN


def _split_strassen() -> Scheme:
    """Strassen's scheme with its first term split in two along W
    (u(x)v(x)w = u(x)v(x)(w - e) + u(x)v(x)e): an exact rank-8 scheme that
    sheds a term along a path of exact schemes."""
    s = parse_algorithm("2x2x2", STRASSEN).as_ring("z")
    U, V, W = (np.asarray(m, dtype=np.int64) for m in s.factors)
    e = np.zeros(W.shape[0], dtype=np.int64)
    e[int(np.flatnonzero(W[:, 0])[0])] = 1
    U, V = np.column_stack([U, U[:, 0]]), np.column_stack([V, V[:, 0]])
    W = np.column_stack([W, e])
    W[:, 0] -= e
    return Scheme(s.fmt, U, V, W, ring="z", provenance={"method": "import"}).require_valid()


def _floats(s):
    return [np.asarray(m, dtype=float) for m in s.factors]


def test_the_penalty_shrinks_its_term_while_the_fit_holds():
    s = _split_strassen()
    T = s.fmt.tensor().astype(float)
    factors = _floats(s)
    shrink = [np.zeros(f.shape, dtype=bool) for f in factors]
    for m in shrink:
        m[:, 7] = True
    fixed = [np.zeros(f.shape, dtype=bool) for f in factors]
    before = np.prod([np.linalg.norm(f[:, 7]) for f in factors])
    out, res = refit(T, factors, fixed, iters=60, shrink=shrink, weight=1.0)
    after = np.prod([np.linalg.norm(f[:, 7]) for f in out])
    assert after < 0.2 * before and res < 0.05
    # without the penalty the exact start does not move
    same, res0 = refit(T, factors, fixed, iters=5)
    assert res0 < 1e-12 and all(np.allclose(a, b) for a, b in zip(same, factors))


def test_shedding_a_split_term_leaves_an_exact_rank_7_fit():
    s = _split_strassen()
    T = s.fmt.tensor().astype(float)
    out, res = shed_term(T, _floats(s), 7, fit_tol=1e-8)
    assert out[0].shape[1] == 7 and res < 1e-8 and residual(T, out) < 1e-8


def test_als_from_a_start_file_finds_an_exact_rank_7(tmp_path):
    path = tmp_path / "split.json"
    write_json(_split_strassen(), path)
    res = solve("2x2x2", 7, method="als", ring="z", seed=1, restarts=10, start=str(path))
    assert res.success and res.scheme.rank == 7 and res.scheme.verify().ok
    prov = res.scheme.provenance
    assert prov["start"] == "import rank 8" and prov["start_rank"] == 8
    assert credit_of(prov, 7, "z") == "als"  # below its start: a find, not the start carried forward
    assert res.extra["descents_reached"] >= 1


def test_als_from_the_standard_algorithm_over_q():
    res = solve("2x2x3", 11, method="als", ring="q", seed=2, restarts=5, start="naive")
    assert res.success and res.scheme.rank == 11 and res.scheme.verify().ok
    assert res.scheme.provenance["start_rank"] == 12


def test_bad_starts_refused(tmp_path):
    split = _split_strassen()
    strassen = parse_algorithm("2x2x2", STRASSEN).as_ring("z")
    cases = [(split.as_ring("gf2"), {}, "not gf2 \\(lift it first"),
             (strassen, {}, "the start has rank 7, not above the target 7: nothing to reduce"),
             (split, {"symmetry": "cyclic"}, "als --start reduces a scheme without symmetry"),
             (split, {"noise": -1}, "noise must be a number"),
             (strassen, {"rank": 8}, "the start has rank 7, not above the target 8")]
    for start, extra, text in cases:
        rank = extra.pop("rank", 7)
        with pytest.raises(DecompError, match=text):
            solve("2x2x2", rank, method="als", ring="z", seed=1, restarts=1, start=start, **extra)
    with pytest.raises(DecompError, match="start scheme is for 2x2x2, not 2x2x3"):
        solve("2x2x3", 10, method="als", ring="z", seed=1, restarts=1, start=split)


def test_cli_als_start_stores_an_exact_scheme_and_refuses_a_gf2_file(tmp_path, capsys):
    cat = tmp_path / "cat"
    code, out, _ = run_cli(["solve", "2x2x2", "--rank", "7", "--method", "als", "--ring", "z", "--start", "naive",
                            "--seed", "1", "--restarts", "10", "--results", cat, "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["success"] and d["stored"] == "added"
    assert len(list((cat / "2x2x2" / "z").glob("r0007-*.json"))) == 1
    gf2 = tmp_path / "gf2.json"
    write_json(_split_strassen().as_ring("gf2"), gf2)
    code, _, err = run_cli(["solve", "2x2x2", "--rank", "7", "--method", "als", "--ring", "z", "--start", gf2,
                            "--results", cat], capsys)
    assert code == 2 and "als starts from an exact scheme over z, zt or q, not gf2" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_descent_below_the_rank_of_the_tensor_stops_at_an_exact_fit():
    """<2,2,2> has rank 7: from the standard algorithm the descents reach 7
    and no further, and nothing is reported as found."""
    res = solve("2x2x2", 6, method="als", ring="z", seed=1, restarts=2, start="naive")
    assert not res.success and res.scheme is None
    assert res.extra["lowest_reached"] == 7 and res.extra["descents_reached"] == 0
    assert res.extra["best_residual"] > 0.5  # one unit of T left over, not a near miss


def test_a_descent_honours_the_time_limit():
    res = solve("3x3x3", 23, method="als", ring="z", seed=1, restarts=1000, start="naive", time_limit=2)
    assert res.status == "time_limit" and res.extra["restarts"] < 1000
