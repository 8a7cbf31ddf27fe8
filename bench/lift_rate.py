"""How many GF(2) schemes from flip walks lift to Z: with their support only
(the baseline, decomp's lift before stop 17: Hensel), with signs on their
support decided by SAT after Hensel (sign_lift.py, stop 24: exact for
entries in {-1, 0, 1}), with GF(2) zeros free to
become even integers (lift_gf2), and, for those that still do not lift,
along their plateau (plateau_lift.py, stop 23: a lift tried at up to
--plateau-points points 200000 flips apart).

For each format and seed, one walker walks from the standard algorithm over
GF(2) for --seconds; every scheme at a new best rank is lifted both ways.
Prints per format the schemes tried, how many each way lifted, and the
median seconds per lift.

    python bench/lift_rate.py --formats 2x4x4,3x3x4,3x4x5,4x4x5 --seeds 3 --seconds 5 [--plateau-points 64]
"""

from __future__ import annotations

import argparse
import statistics
import time

import decomp  # noqa: F401  first: it sets OpenBLAS's thread timeout before numpy loads
from decomp import Format, solve
from decomp.core.errors import DecompError
from decomp.core.lift import lift_gf2
from decomp.solvers.flip.plateau_lift import lift_on_plateau
from decomp.solvers.gf2.rng import generator


def walk_schemes(fmt: Format, seconds: float, seed: int) -> list:
    found = []

    def note(state):
        if state.improved is not None:
            found.append(state.improved)
        return False

    solve(fmt, fmt.rank_lower_bound, method="flip", ring="gf2", seed=seed, time_limit=seconds, workers=1,
          callback=note)
    return found


def timed_lift(scheme, free: bool, signs: bool = True) -> tuple[bool, float]:
    t0 = time.perf_counter()
    ok = lift_gf2(scheme, free=free, signs=signs).scheme is not None
    return ok, time.perf_counter() - t0


def timed_plateau_lift(scheme, points: int, seed: int) -> tuple[bool, float]:
    t0 = time.perf_counter()
    res, _, _ = lift_on_plateau(scheme, generator(seed + 1), points)
    return res.scheme is not None, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--formats", default="2x4x4,3x3x4,3x4x5,4x4x5")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--plateau-points", type=int, default=64)
    args = ap.parse_args()
    if args.seeds < 1 or args.seconds <= 0:
        ap.error("--seeds must be >= 1 and --seconds positive")
    try:
        todo = [Format.parse(text) for text in args.formats.split(",")]
    except DecompError as e:
        ap.error(str(e))
    print(f"schemes at each new best rank of one GF(2) walk, {args.seconds:g} s per seed, seeds 1..{args.seeds}")
    print("| format | schemes | lift, same support | + signs by SAT | lift, free entries | ratio | "
          "median s, same support | median s, + signs | median s, free entries | "
          "of the rest, lift on the plateau | median s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for fmt in todo:
        schemes = [s for seed in range(1, args.seeds + 1) for s in walk_schemes(fmt, args.seconds, seed)]
        if not schemes:
            print(f"| {fmt} | 0 | | | | | | | | | |", flush=True)
            continue
        same = [timed_lift(s, free=False, signs=False) for s in schemes]
        signed = [timed_lift(s, free=False) for s in schemes]
        free = [timed_lift(s, free=True) for s in schemes]
        n_same, n_signed, n_free = (sum(ok for ok, _ in x) for x in (same, signed, free))
        ratio = f"{n_free / n_same:.1f}x" if n_same else ("-" if not n_free else "only free")
        rest = [s for s, (ok, _) in zip(schemes, free) if not ok]
        plateau = [timed_plateau_lift(s, args.plateau_points, i) for i, s in enumerate(rest)]
        median_plateau = f"{statistics.median(t for _, t in plateau):.2f}" if plateau else "-"
        print(f"| {fmt} | {len(schemes)} | {n_same} | {n_signed} | {n_free} | {ratio} | "
              f"{statistics.median(t for _, t in same):.3f} | {statistics.median(t for _, t in signed):.3f} | "
              f"{statistics.median(t for _, t in free):.3f} | "
              f"{sum(ok for ok, _ in plateau)} of {len(rest)} | {median_plateau} |", flush=True)


if __name__ == "__main__":
    main()
