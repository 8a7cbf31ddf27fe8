import os
import sys
from pathlib import Path

# The suite runs on two xdist workers over 2 cores: one BLAS / OpenMP thread each, so that they do not
# oversubscribe the cores (and least-squares fits do not vary with the thread count under load).
# Set before numpy is first imported in the worker, which reads them once.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))

from decomp.core.io import read_alphatensor  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "decomp" / "data" / "alphatensor"


@pytest.fixture(scope="session")
def alphatensor_r():
    return read_alphatensor(DATA / "factorizations_r.npz")


@pytest.fixture(scope="session")
def alphatensor_f2():
    return read_alphatensor(DATA / "factorizations_f2.npz")


@pytest.fixture(scope="session")
def flip_kernels_compiled():
    """Tests that give a search a few seconds use this so numba's cold
    compilation of the flip kernels (tens of seconds in a fresh clone) is not
    charged to their budget: what they assert is what the walks reach."""
    from decomp import solve

    for ring, search in (("gf2", "walk"), ("gf2", "adaptive"), ("zt", "walk"), ("zt", "adaptive")):
        res = solve("2x2x3", 11, method="flip", ring=ring, seed=0, time_limit=120, search=search)
        assert res.scheme is not None and res.scheme.verify(ring).ok


@pytest.fixture(autouse=True)
def _isolated_catalogue(tmp_path, monkeypatch):
    """Tests never touch the repository's results/."""
    monkeypatch.setenv("DECOMP_RESULTS", str(tmp_path / "results"))
    yield


def run_cli(args, capsys):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    from decomp.cli import main

    old = sys.argv
    sys.argv = ["decomp", *map(str, args)]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old
    out = capsys.readouterr()
    return code, out.out, out.err


def kernel_tables(size=64):
    """Empty hash tables of the flip kernels (kernel.tables' layout) for a
    state of up to 8 terms: keys, tab, hist, elig, st, shift, mask."""
    keys, tab = np.zeros((3, size), dtype=np.uint64), np.full((6, 3, size), -1, dtype=np.int64)
    hist, elig, st = np.zeros(10, dtype=np.int64), np.zeros(24, dtype=np.int64), np.zeros(5, dtype=np.int64)
    return keys, tab, hist, elig, st, 64 - 6, size - 1
