"""Generated Strassen (numpy) against numpy.matmul, both timed in one run,
with where the time goes: the r block products alone, and so what is left
for the block additions.

    python bench/codegen_speed.py [--size 8192] [--levels 1] [--repeats 5] [--scheme FILE]
"""

from __future__ import annotations

import argparse
import os

import decomp  # noqa: F401  first: it sets OpenBLAS's thread timeout before numpy loads (decomp/__init__.py)
import numpy as np

from decomp.core.classical import STRASSEN
from decomp.core.errors import DecompError
from decomp.core.io import read_json
from decomp.core.render import parse_algorithm
from decomp.speed import alternating_medians, benchmark


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=8192)
    ap.add_argument("--levels", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--scheme", help="a native JSON scheme (default: Strassen's)")
    args = ap.parse_args()
    try:
        s = read_json(args.scheme) if args.scheme else parse_algorithm("2x2x2", STRASSEN)
    except DecompError as exc:
        raise SystemExit(f"error: {exc}") from None
    (t,) = benchmark(s, [args.size], [args.levels], "float32", None, args.repeats)
    print(f"OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT')}")
    print(f"{s.fmt} rank {s.rank}, {args.levels} level(s), {args.size} float32: ours {t.ours:.3f} s, "
          f"numpy.matmul {t.baseline:.3f} s, speed-up {t.speedup:.3f}x, max rel. error {t.error:.1e}")
    if args.levels == 1:
        n, m, p = s.fmt.dims
        rng = np.random.default_rng(0)
        a = rng.standard_normal((args.size // n, args.size // m)).astype(np.float32)
        b = rng.standard_normal((args.size // m, args.size // p)).astype(np.float32)
        out = np.empty((a.shape[0], b.shape[1]), np.float32)
        np.matmul(a, b, out=out)  # warm-up
        (one,) = alternating_medians([lambda: np.matmul(a, b, out=out)], lambda: None, args.repeats)
        products = s.rank * one
        print(f"the {s.rank} block products alone: {products:.3f} s ({t.baseline / products:.3f}x of numpy.matmul); "
              f"left for additions and overhead in ours: {t.ours - products:.3f} s; "
              f"1.05x would allow {t.baseline / 1.05 - products:.3f} s")


if __name__ == "__main__":
    main()
