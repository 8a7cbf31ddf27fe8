import json

import numpy as np
import pytest

from conftest import run_cli
from decomp.core.codegen import compile_matmul, eliminate, generate
from decomp.core.errors import DecompError
from decomp.core.execute import measured_error, recursive, stability
from decomp.core.render import parse_algorithm
from decomp.core.store import Catalogue
from known import LADERMAN, STRASSEN

S = parse_algorithm("2x2x2", STRASSEN)
L = parse_algorithm("3x3x3", LADERMAN)


@pytest.mark.parametrize("lang", ["numpy", "torch"])
def test_generated_code_is_exact_on_integers(lang, alphatensor_r):
    rng = np.random.default_rng(3)
    at345 = next(x for x in alphatensor_r if x.fmt.dims == (3, 4, 5))
    for s in (S, L, at345):
        f = compile_matmul(s, lang)
        n, m, p = s.fmt.dims
        A = rng.integers(-50, 50, (n * 3, m * 2))
        B = rng.integers(-50, 50, (m * 2, p * 4))
        if lang == "torch":
            torch = pytest.importorskip("torch")
            got = f(torch.tensor(A), torch.tensor(B)).numpy()
        else:
            got = f(A, B)
        assert got.dtype.kind == "i" and (got == A @ B).all()


def test_generated_code_for_every_catalogue_scheme(tmp_path, alphatensor_r):
    """Every z/q scheme of a catalogue gives exact code (rationals on object ints)."""
    cat = Catalogue(tmp_path)
    for s in alphatensor_r:
        if max(s.fmt.dims) <= 4:
            cat.add(s)
    rng = np.random.default_rng(0)
    checked = 0
    for _, s in cat.load().schemes:
        f = compile_matmul(s)
        n, m, p = s.fmt.dims
        A = rng.integers(-9, 9, (n, m)).astype(object)
        B = rng.integers(-9, 9, (m, p)).astype(object)
        assert (f(A, B) == A.dot(B)).all(), s
        checked += 1
    assert checked >= 10


def test_cse_reduces_additions_and_stays_correct():
    g = generate(L)
    assert g.additions_before == 98 and g.additions_after < g.additions_before
    combos, temps = eliminate([{"a": 1, "b": 1, "c": 1}, {"a": 1, "b": 1, "d": -1}], "T")
    assert len(temps) == 1 and all(len(c) == 2 for c in combos)


def test_recursive_execution_on_awkward_sizes():
    rng = np.random.default_rng(1)
    for s, levels in ((S, 3), (L, 2)):
        f = recursive(s, levels=levels, cutoff=2)
        A = rng.integers(-20, 20, (37, 29))
        B = rng.integers(-20, 20, (29, 41))
        assert (f(A, B) == A @ B).all()
    f = recursive(S, levels=2, cutoff=8)
    A = rng.standard_normal((100, 70)).astype(np.float32)
    B = rng.standard_normal((70, 90)).astype(np.float32)
    ref = A.astype(np.float64) @ B.astype(np.float64)
    assert np.abs(f(A, B) - ref).max() / np.abs(ref).max() < 1e-5


def test_stability_numbers_of_strassen_match_literature():
    st = stability(S)
    assert st["e_max"] == 12 and st["q_max"] == 8 and abs(st["growth"] - 14.83) < 0.01
    err = measured_error(S, size=128, levels=(1, 2))
    assert err[1] < 1e-5 and err[2] < 1e-5


def test_gf2_refused():
    with pytest.raises(DecompError, match="only valid mod 2"):
        generate(S.as_ring("gf2"))


def test_codegen_and_bench_cli(tmp_path, capsys):
    res = tmp_path / "cat"
    Catalogue(res).add(S)
    out = tmp_path / "strassen.py"
    code, stdout, _ = run_cli(["codegen", "2x2x2", "--lang", "numpy", "-o", out, "--results", res, "--json"], capsys)
    d = json.loads(stdout)
    assert code == 0 and d["additions_before"] == 18 and d["e_max"] == 12
    namespace = {}
    exec(out.read_text(), namespace)
    A = np.arange(16).reshape(4, 4)
    assert (namespace["matmul"](A, A) == A @ A).all()
    code, stdout, _ = run_cli(["bench", "2x2x2", "--sizes", "128", "--levels", "1,2", "--repeats", "1",
                               "--results", res, "--json"], capsys)
    rows = json.loads(stdout)["rows"]
    assert code == 0 and len(rows) == 2 and all(r["max_rel_error"] < 1e-4 for r in rows)
    code, _, err = run_cli(["bench", "2x2x2", "--sizes", "x", "--results", res], capsys)
    assert code == 2 and "comma-separated" in err
    code, _, err = run_cli(["bench", "2x2x2", "--sizes", "64", "--repeats", "0", "--results", res], capsys)
    assert code == 2 and "repeats must be at least 1" in err  # was statistics' "no median for empty data"
    code, _, err = run_cli(["codegen", "5x5x5", "--results", res], capsys)
    assert code == 2 and "no stored scheme" in err


def test_numpy_code_writes_products_straight_into_c_blocks():
    """Strassen: M1, M2 and M3 start C blocks with coefficient 1, so the
    library writes them there (no copy pass); the result stays exact."""
    src = generate(S).source
    assert [line.split("(")[1].split(",")[0] for line in src.splitlines() if "= into(" in line] == \
        ["C0_0", "C1_0", "C0_1"]
    rng = np.random.default_rng(3)
    A, B = rng.integers(-9, 9, (6, 8)), rng.integers(-9, 9, (8, 4))
    assert np.array_equal(compile_matmul(S)(A, B), A @ B)


def test_numpy_code_reuses_its_buffers_across_calls():
    """With the library multiplying (inner=None) a second call allocates
    only C: the operands and products go into buffers kept from the first
    call, and the products are written by matmul itself (out=). A fresh
    array per product (the bug this guards against: `inner` was replaced by
    the library's matmul, so the out= path never ran) keeps two blocks alive
    on top of C; what is left is numpy's transient iteration buffers."""
    import tracemalloc

    f = compile_matmul(S)
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((512, 512)), rng.standard_normal((512, 512))
    f(A, B)
    tracemalloc.start()
    C = f(A, B)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    block = C.nbytes // 4
    assert np.allclose(C, A @ B) and C.nbytes <= peak < C.nbytes + block
