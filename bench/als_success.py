"""ALS benchmark: success rates (numeric fit, exact scheme) and median time
per restart of our ALS pipeline next to plain tensorly parafac with default
settings (random init, rounding at the end), measured in the same run.

    python bench/als_success.py [--restarts 20] [--cases 2x2x2:7,2x2x3:11,2x3x3:15,3x3x3:23]
        [--rows als,cyclic,descent,parafac] [--ring z|q]

Rows: `als` is decomp's pipeline with the plain fit, `cyclic` the same with
symmetry=cyclic (square formats only), `descent` the same from the standard
algorithm by rank reduction (start=naive, als/shed.py) instead of a random
start, `parafac` the baseline.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from decomp import solve
from decomp.core.formats import Format
from decomp.core.scheme import Scheme


def plain_parafac(fmt: Format, rank: int, restarts: int, seed: int):
    import tensorly as tl
    from tensorly.decomposition import parafac

    T = fmt.tensor().astype(float)
    fits = exact = 0
    times = []
    for k in range(restarts):
        t0 = time.monotonic()
        weights, mats = parafac(tl.tensor(T), rank, init="random", random_state=seed * 1000 + k)
        mats = [tl.to_numpy(m) for m in mats]
        mats[0] = mats[0] * tl.to_numpy(weights)[None, :]
        res = np.linalg.norm(np.einsum("ar,br,cr->abc", *mats) - T)
        if res < 1e-6:
            fits += 1
            if Scheme(fmt, *(np.rint(m).astype(np.int64) for m in mats), ring="z").verify().ok:
                exact += 1
        times.append(time.monotonic() - t0)
    return fits, exact, statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--restarts", type=int, default=20)
    ap.add_argument("--cases", default="2x2x2:7,2x2x3:11,2x3x3:15,3x3x3:23")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rows", default="als,parafac",
                    help="als, cyclic (symmetry=cyclic), descent (start=naive), parafac")
    ap.add_argument("--ring", default="z", choices=["z", "q"])
    args = ap.parse_args()
    rows = args.rows.split(",")
    if not set(rows) <= {"als", "cyclic", "descent", "parafac"}:
        raise SystemExit(f"error: --rows takes als, cyclic, descent and parafac, not {args.rows!r}")
    print("| format | rank | method | restarts | numeric fits | exact schemes | median s/restart |")
    print("|---|---|---|---|---|---|---|")
    for case in args.cases.split(","):
        text, rank = case.split(":")
        fmt, rank = Format.parse(text), int(rank)
        for row in rows:
            if row == "parafac":
                fits, exact, med = plain_parafac(fmt, rank, args.restarts, args.seed)
                print(f"| {fmt} | {rank} | plain parafac | {args.restarts} | {fits} | {exact} | {med:.2f} |",
                      flush=True)
                continue
            if row == "cyclic" and len(set(fmt.dims)) > 1:
                continue  # cyclic symmetry needs <n,n,n>
            options = {"cyclic": {"symmetry": "cyclic"}, "descent": {"start": "naive"}}.get(row, {})
            res = solve(fmt, rank, method="als", ring=args.ring, seed=args.seed, restarts=args.restarts,
                        keep_going=True, **options)
            e = res.extra
            name = {"cyclic": "decomp als, cyclic fit", "descent": f"decomp als, descent from {fmt.naive_rank}"
                    }.get(row, "decomp als")
            print(f"| {fmt} | {rank} | {name} | {e['restarts']} | {e['numeric_fits']} | {e['exact']} | "
                  f"{e['median_seconds_per_restart']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
