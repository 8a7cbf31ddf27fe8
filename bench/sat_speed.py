"""SAT benchmark: seconds to find (or refute) schemes over GF(2) from
scratch and with part of a known scheme fixed, per backend solver; all
measured in one run on this machine.

    python bench/sat_speed.py [--solvers cadical195,glucose4,local] [--time-limit 600]

`local` is the local search on the Brent equations (sat_local.py).
"""

from __future__ import annotations

import argparse

from decomp import solve
from decomp.core.io import read_alphatensor, BUNDLED_ALPHATENSOR

CASES = [("2x2x2", 7), ("2x2x2", 6), ("2x2x3", 11), ("2x3x3", 15), ("3x3x3", 23)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--solvers", default="cadical195,glucose4")
    ap.add_argument("--time-limit", type=float, default=600)
    ap.add_argument("--fix", type=float, default=1 / 3, help="fraction of a known scheme fixed")
    args = ap.parse_args()
    known = {s.fmt.dims: s for s in read_alphatensor(BUNDLED_ALPHATENSOR[0])}
    print(f"| format | rank | solver | from scratch | {args.fix:.2f} of a known scheme fixed |")
    print("|---|---|---|---|---|")
    for solver in args.solvers.split(","):
        for fmt, rank in CASES:
            cells = []
            for fixed in (False, True):
                if fixed and rank < known[tuple(int(x) for x in fmt.split("x"))].rank:
                    cells.append("n/a")
                    continue
                if solver == "local" and (fixed or (fmt, rank) == ("2x2x2", 6)):
                    cells.append("n/a")  # local search fixes nothing and proves nothing
                    continue
                opts = {"known": known[tuple(int(x) for x in fmt.split("x"))], "fix_fraction": args.fix} if fixed else {}
                res = solve(fmt, rank, method="sat", ring="gf2", seed=1, time_limit=args.time_limit,
                            solver=solver, **opts)
                took = res.extra["solve_seconds"]
                cells.append(f"{res.status} {took:.2f} s")
            print(f"| {fmt} | {rank} | {solver} | {cells[0]} | {cells[1]} |", flush=True)


if __name__ == "__main__":
    main()
