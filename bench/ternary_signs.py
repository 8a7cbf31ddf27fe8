"""Reaching {-1, 0, 1} from a scheme over Z: signs on its support mod 2 by
SAT (decomp/core/sign_lift.py, stop 24) against the change-of-basis climb
(decomp/core/coefficients.first_member, the baseline since stop 19).

For every AlphaTensor Z scheme of the given formats with entries beyond
{-1, 0, 1} (and any scheme files given): whether each way reaches zt and
the seconds it took, measured in the same run. The signs give a different
scheme of the same rank (the image mod 2 drops the entries +-2); the climb
an equivalent one.

    python bench/ternary_signs.py [--max-dim 5] [--iterations 50000] [--tries 3] [FILE ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import decomp  # noqa: F401  first: it sets OpenBLAS's thread timeout before numpy loads
from decomp.core.coefficients import coefficient_excess, first_member
from decomp.core.errors import DecompError
from decomp.core.io import read_alphatensor, read_json
from decomp.core.rings import Ring
from decomp.core.sign_lift import lift_signs

DATA = Path(decomp.__file__).parent / "data" / "alphatensor" / "factorizations_r.npz"


def timed(call):
    t0 = time.perf_counter()
    out = call()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path, help="more schemes over z (JSON)")
    ap.add_argument("--max-dim", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=50_000)
    ap.add_argument("--tries", type=int, default=3)
    args = ap.parse_args()
    if args.max_dim < 2 or args.iterations < 1 or args.tries < 1:
        ap.error("--max-dim must be >= 2, --iterations and --tries positive")
    schemes = [(f"AlphaTensor {s.fmt}", s) for s in read_alphatensor(DATA)
               if max(s.fmt.dims) <= args.max_dim and coefficient_excess(s) > 0]
    for path in args.files:
        try:
            schemes.append((path.name, read_json(path).as_ring(Ring.Z).require_valid()))
        except DecompError as e:
            ap.error(f"{path}: {e}")
    print("| scheme | rank | excess | signs by SAT | s | change of basis | s | climb s / signs s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, s in schemes:
        (signed, _), t_signs = timed(lambda: lift_signs(s.as_ring(Ring.GF2)))
        member, t_climb = timed(lambda: first_member(s, args.iterations, args.tries))
        for found in (signed, member):
            assert found is None or found.verify(Ring.ZT).ok  # both checked exactly
        # a ratio of times only where both reached {-1, 0, 1}: a failure's time is its budget, not a speed
        ratio = f"{t_climb / max(t_signs, 1e-9):.1f}x" if signed is not None and member is not None else "-"
        print(f"| {name} | {s.rank} | {coefficient_excess(s)} | {'yes' if signed else 'no'} | {t_signs:.3f} | "
              f"{'yes' if member else 'no'} | {t_climb:.3f} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
