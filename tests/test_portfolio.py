import json
import os
import signal
import subprocess
import sys
import time

import pytest

from decomp.core.errors import DecompError
from decomp.core.store import Catalogue
from decomp.portfolio import SearchState, search


@pytest.mark.parametrize("backend", [None, "local"])
def test_portfolio_finds_and_stores_3x3x3_rank23(tmp_path, backend):
    if backend:
        pytest.importorskip("ray")
    cat = Catalogue(tmp_path / "cat")
    res = search("3x3x3", 23, ring="gf2", methods=["flip", "sat"], workers=2, time_limit=120,
                 catalogue=cat, checkpoint=tmp_path / "ck", ray=backend, slice_seconds=5)
    assert res.success and res.scheme.rank == 23 and res.scheme.verify().ok
    assert res.backend == ("ray" if backend else "local")
    assert cat.best_rank("3x3x3", "gf2") == 23
    state = SearchState.load(tmp_path / "ck")
    assert state.found and state.best["rank"] == 23


def test_improvements_feed_other_methods_and_lift(tmp_path):
    cat = Catalogue(tmp_path / "cat")
    res = search("2x2x2", 7, ring="z", methods=["flip", "sat", "als"], workers=2, time_limit=120,
                 catalogue=cat, slice_seconds=5)
    assert res.success and res.scheme.ring.value == "z" and res.scheme.verify().ok
    # what was stored over z is stored over zt too, in {-1, 0, 1}
    zt = cat.best("2x2x2", "zt")
    assert cat.best_rank("2x2x2", "z") == 7 and zt is not None and zt.rank == 7 and zt.verify("zt").ok


def test_bad_requests(tmp_path):
    with pytest.raises(DecompError, match="unknown method"):
        search("2x2x2", 7, methods=["magic"])
    with pytest.raises(DecompError, match="impossible"):
        search("2x2x2", 3, methods=["flip"])
    with pytest.raises(DecompError, match="no checkpoint"):
        search("2x2x2", 7, methods=["flip"], checkpoint=tmp_path / "none", resume=True)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "search.json").write_text("{not json")
    with pytest.raises(DecompError, match="corrupt checkpoint"):
        search("2x2x2", 7, methods=["flip"], checkpoint=tmp_path / "bad", resume=True)


def test_sigkill_and_resume_loses_nothing(tmp_path):
    env = dict(os.environ, DECOMP_RESULTS=str(tmp_path / "cat"))
    ck = tmp_path / "ck"
    args = [sys.executable, "-m", "decomp.cli", "search", "4x4x4", "--rank", "50", "--methods", "flip",
            "--workers", "2", "--slice", "0.5", "--time-limit", "240", "--checkpoint", str(ck)]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if (ck / "search.json").exists() and json.loads((ck / "search.json").read_text())["tasks_done"] >= 2:
            break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = Catalogue(tmp_path / "cat").load()
    assert not before.errors
    kept = {p.name for p, _ in before.schemes}
    state = SearchState.load(ck)
    if state.found:
        pytest.skip("the first run reached the target before it was killed")
    resumed = subprocess.run(args[:-2] + ["--resume", str(ck), "--json"], env=env, capture_output=True,
                             text=True, timeout=300)
    out = json.loads(resumed.stdout)
    assert resumed.returncode == 0 and out["success"] and out["best_rank"] <= 50
    after = Catalogue(tmp_path / "cat").load()
    assert not after.errors and kept <= {p.name for p, _ in after.schemes}
    assert SearchState.load(ck).tasks_done > state.tasks_done


def test_method_options_reach_every_slice_and_the_checkpoint(tmp_path):
    """flip.symmetry=cyclic: the portfolio's flip slices walk symmetric
    schemes (4x4x4 rank 49 in well under a second that way)."""
    from decomp.solvers.flip import cyclic as flip_cyclic
    from decomp.solvers.gf2.bits import to_bits

    res = search("4x4x4", 49, ring="gf2", methods=["flip"], workers=1, time_limit=120,
                 checkpoint=tmp_path / "ck", slice_seconds=30, options={"flip": {"symmetry": "cyclic"}})
    assert res.success and res.scheme.verify().ok and res.scheme.provenance.get("symmetry") == "cyclic"
    flip_cyclic.orbits_of(to_bits(res.scheme, res.scheme.rank), res.scheme.rank)
    assert SearchState.load(tmp_path / "ck").options == {"flip": {"symmetry": "cyclic"}}


def test_a_start_the_options_refuse_falls_back_to_the_method_s_own(tmp_path):
    """A cyclic walk cannot start from an asymmetric best scheme: the slice
    starts from the diagonal start instead of failing (it used to drop flip)."""
    from decomp.core.classical import LADERMAN
    from decomp.core.io import scheme_to_dict
    from decomp.core.render import parse_algorithm
    from decomp.portfolio import run_task
    from decomp.solvers.flip import cyclic as flip_cyclic
    from decomp.solvers.gf2.bits import to_bits

    laderman = parse_algorithm("3x3x3", LADERMAN).as_ring("gf2")
    with pytest.raises(DecompError):
        flip_cyclic.orbits_of(to_bits(laderman, 23), 23)  # asymmetric as written
    out = run_task({"fmt": [3, 3, 3], "rank": 23, "ring": "gf2", "method": "flip", "seed": 1, "slice": 30,
                    "start": scheme_to_dict(laderman), "options": {"symmetry": "cyclic"}})
    assert "error" not in out and out["success"] and out["best_rank"] == 23


@pytest.mark.parametrize("options,text", [({"sat": {"solver": "local"}}, "not among the methods of this run"),
                                          ({"flip": {"bogus": 1}}, "unknown option(s) bogus for flip"),
                                          ({"flip": {"start": "x.json"}}, "unknown option(s) start for flip")])
def test_bad_method_options_refused(options, text):
    with pytest.raises(DecompError, match=text.replace("(", r"\(").replace(")", r"\)")):
        search("2x2x2", 7, methods=["flip"], workers=1, time_limit=5, options=options)


def test_search_cli_option_must_name_its_method(capsys, tmp_path):
    from conftest import run_cli

    code, _, err = run_cli(["search", "2x2x2", "--rank", "7", "--methods", "flip", "-o", "plateau=5",
                            "--results", str(tmp_path)], capsys)
    assert code == 2 and "must name its method" in err and len(err.strip().splitlines()) == 1
