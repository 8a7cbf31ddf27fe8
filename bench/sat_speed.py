"""SAT benchmark: seconds to find (or refute) schemes over GF(2) from
scratch and with part of a known scheme fixed, per backend solver; all
measured in one run on this machine.

    python bench/sat_speed.py [--solvers cadical195,glucose4,local] [--time-limit 600]
        [--seeds N] [--cases 2x3x3:15,...] [--symmetry true|false|cyclic]

`local` is the local search on the Brent equations (sat_local.py).
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter

from decomp import solve
from decomp.core.io import BUNDLED_ALPHATENSOR, read_alphatensor

CASES = [("2x2x2", 7), ("2x2x2", 6), ("2x2x3", 11), ("2x3x3", 15), ("3x3x3", 23)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--solvers", default="cadical195,glucose4")
    ap.add_argument("--time-limit", type=float, default=600)
    ap.add_argument("--fix", type=float, default=1 / 3, help="fraction of a known scheme fixed")
    ap.add_argument("--seeds", type=int, default=1, help="seeds per case (1, 2, ...): found count and median")
    ap.add_argument("--cases", default=None, help="only these cases, e.g. 2x3x3:15,3x3x3:23")
    ap.add_argument("--symmetry", default="true",
                    help="the sat option: true (term order), false, or cyclic (cyclic-symmetric schemes only; "
                         "square formats, nothing fixed)")
    args = ap.parse_args()
    if args.seeds < 1:
        raise SystemExit("error: --seeds must be at least 1")
    cases = CASES
    if args.cases:
        try:
            cases = [(c.split(":")[0], int(c.split(":")[1])) for c in args.cases.split(",")]
        except (IndexError, ValueError):
            raise SystemExit(f"error: --cases takes FORMAT:RANK pairs, comma-separated, not {args.cases!r}") from None
    known = {s.fmt.dims: s for s in read_alphatensor(BUNDLED_ALPHATENSOR[0])}
    print(f"| format | rank | solver | from scratch | {args.fix:.2f} of a known scheme fixed |")
    print("|---|---|---|---|---|")
    for solver in args.solvers.split(","):
        for fmt, rank in cases:
            cells = []
            for fixed in (False, True):
                if fixed and (rank < known[tuple(int(x) for x in fmt.split("x"))].rank or args.symmetry == "cyclic"):
                    cells.append("n/a")
                    continue
                if args.symmetry == "cyclic" and len(set(fmt.split("x"))) > 1:
                    cells.append("n/a")  # cyclic symmetry needs <n,n,n>
                    continue
                if solver == "local" and (fmt, rank) == ("2x2x2", 6):
                    cells.append("n/a")  # local search proves nothing
                    continue
                opts = {"known": known[tuple(int(x) for x in fmt.split("x"))], "fix_fraction": args.fix} if fixed else {}
                runs = [solve(fmt, rank, method="sat", ring="gf2", seed=seed, time_limit=args.time_limit,
                              solver=solver, symmetry=args.symmetry, **opts) for seed in range(1, args.seeds + 1)]
                if args.seeds == 1:
                    cells.append(f"{runs[0].status} {runs[0].extra['solve_seconds']:.2f} s")
                    continue
                times = sorted(r.extra["solve_seconds"] for r in runs if r.success)
                spread = f", median {statistics.median(times):.2f} s ({', '.join(f'{t:.1f}' for t in times)})" \
                    if times else ""
                if not times:  # why none: a proof of impossibility reads differently from a timeout
                    spread = " (" + ", ".join(f"{status} {count}x" for status, count in
                                             Counter(r.status for r in runs).items()) + ")"
                cells.append(f"found {len(times)}/{args.seeds}{spread}")
            print(f"| {fmt} | {rank} | {solver} | {cells[0]} | {cells[1]} |", flush=True)


if __name__ == "__main__":
    main()
