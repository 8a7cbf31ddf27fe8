import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from decomp.core import symmetry as sym
from decomp.core.errors import SchemeError
from decomp.core.formats import Format
from decomp.core.render import parse_algorithm
from decomp.core.scheme import Scheme
from decomp.core.store import Catalogue
from known import STRASSEN

DATA = Path(__file__).resolve().parent.parent / "decomp" / "data" / "alphatensor"


def test_add_keeps_best_and_alternatives(tmp_path):
    cat = Catalogue(tmp_path)
    f = Format(2, 2, 2)
    naive = Scheme(f, *f.naive_factors())
    strassen = parse_algorithm(f, STRASSEN)
    assert cat.add(naive).status == "added"
    assert cat.add(strassen).status == "added"
    assert cat.add(naive).status == "duplicate"  # identical file already there
    other = sym.sandwich(strassen, [[1, 1], [0, 1]], np.eye(2, dtype=int), np.eye(2, dtype=int))
    assert cat.add(other).status == "added"  # distinct alternative at the best rank
    worse = Scheme(f, *(np.hstack([m, m[:, :1] * 0]) for m in naive.factors))
    assert cat.add(worse).status == "worse"
    assert cat.best_rank(f, "z") == 7
    assert cat.best(f, "z").rank == 7
    assert cat.best(f, "gf2").ring.value == "gf2"  # a z scheme serves gf2
    assert len(cat.entries(f)) == 3
    # the same scheme with its terms reordered is the same file
    shuffled = sym.permute_terms(strassen, [6, 5, 4, 3, 2, 1, 0])
    assert cat.add(shuffled).status == "duplicate"


def test_add_refuses_invalid(tmp_path):
    cat = Catalogue(tmp_path)
    s = parse_algorithm("2x2x2", STRASSEN)
    bad = s.with_factors(s.U[:, 1:], s.V[:, 1:], s.W[:, 1:])
    with pytest.raises(SchemeError, match="wrong tensor entries"):
        cat.add(bad)
    assert cat.entries() == []


def test_load_reports_corrupt_files(tmp_path):
    cat = Catalogue(tmp_path)
    s = parse_algorithm("2x2x2", STRASSEN)
    path = cat.add(s).path
    path.write_text(path.read_text()[:50])
    report = cat.load()
    assert report.schemes == [] and len(report.errors) == 1
    assert "not valid JSON" in report.errors[0][1]
    # a corrupt best does not block re-adding: the file is repaired
    assert cat.add(s).status == "added"
    assert len(cat.load().schemes) == 1


def test_fake_better_name_does_not_block(tmp_path):
    cat = Catalogue(tmp_path)
    fake = tmp_path / "2x2x2" / "z" / "r0005-0123456789abcdef.json"
    fake.parent.mkdir(parents=True)
    fake.write_text("{}")
    assert cat.best_rank("2x2x2", "z") is None  # the name claims 5; nothing verified is stored
    assert cat.add(parse_algorithm("2x2x2", STRASSEN)).status == "added"
    assert cat.best_rank("2x2x2", "z") == 7
    rows, errors = cat.summary()
    assert [(str(r["format"]), r["ring"].value, r["count"], r["best_rank"]) for r in rows] == [("2x2x2", "z", 1, 7)]
    assert [p for p, _ in errors] == [fake]


def _writer(root, seed, out):
    cat = Catalogue(root)
    s = parse_algorithm("2x2x2", STRASSEN)
    rng = np.random.default_rng(seed)
    statuses = []
    for _ in range(15):
        X = np.eye(2, dtype=int)
        X[0, 1] = rng.integers(-20, 20)
        Y = np.eye(2, dtype=int)
        Y[1, 0] = rng.integers(-20, 20)
        statuses.append((cat.add(sym.sandwich(s, X, Y, np.eye(2, dtype=int))).status,
                         int(X[0, 1]), int(Y[1, 0])))
    out.put(statuses)


def test_concurrent_writers_lose_nothing(tmp_path):
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(tmp_path, seed, q)) for seed in range(4)]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
    distinct = {(a, b) for res in results for _, a, b in res}
    added = sum(status == "added" for res in results for status, _, _ in res)
    report = Catalogue(tmp_path).load()
    assert not report.errors
    # every distinct scheme written exactly once, none lost
    assert len(report.schemes) == added == len({s.fingerprint() for _, s in report.schemes})
    assert len(report.schemes) <= len(distinct)
    assert len(report.schemes) >= 1


def test_import_killed_midway_leaves_no_corrupt_file(tmp_path):
    env = dict(os.environ, DECOMP_RESULTS=str(tmp_path / "cat"))
    for delay in (1.5, 3.0):
        proc = subprocess.Popen([sys.executable, "-m", "decomp.cli", "import", "alphatensor",
                                 str(DATA / "factorizations_r.npz")], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        report = Catalogue(tmp_path / "cat").load()
        assert not report.errors, report.errors
    # finishing the import afterwards gives the full set
    subprocess.run([sys.executable, "-m", "decomp.cli", "import", "alphatensor",
                    str(DATA / "factorizations_r.npz")], env=env, check=True, capture_output=True)
    assert len(Catalogue(tmp_path / "cat").entries()) == 93


def test_storing_callback_skips_schemes_no_better_than_the_standard_algorithm(tmp_path):
    """A walk from a start above the standard algorithm (the cyclic diagonal
    starts) reports improvements that are still worse than it: the callback
    keeps none of those, and keeps the first one below."""
    from decomp.solvers.api import SolveState

    cat = Catalogue(tmp_path / "results")
    keep = cat.storing()
    fmt = Format(2, 2, 2)
    naive = Scheme(fmt, *fmt.naive_factors(), ring="z")
    U, V, W = (np.asarray(m, dtype=np.int64) for m in naive.factors)
    padded = Scheme(fmt, np.column_stack([U, U[:, 0]]), np.column_stack([V, V[:, 0]]),
                    np.column_stack([W, np.zeros(W.shape[0], dtype=np.int64)]), ring="z")  # 9 terms, one zero
    strassen = parse_algorithm("2x2x2", STRASSEN).as_ring("z")
    for s in (padded, naive, strassen):
        assert keep(SolveState("flip", 0.0, s.rank, s.rank, 0, s, {})) is False
    assert [p.name[:5] for p in (tmp_path / "results" / "2x2x2" / "z").iterdir()] == ["r0007"]
    assert keep.added == {cat.path_for(strassen)}
