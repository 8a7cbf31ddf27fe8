"""Scaling benchmark: flips per second summed over workers for 1 and 2 local
workers and 2 Ray workers on this machine, measured in one run.

    python bench/scale.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def flip_task(spec: dict) -> int:
    """Pure flips on <4,4,4> for a fixed time; returns the number of flips."""
    from decomp.core.formats import Format
    from decomp.core.scheme import Scheme
    from decomp.solvers.flip import kernel as flip_kernel
    from decomp.solvers.gf2.bits import to_bits

    fmt = Format(4, 4, 4)
    s = Scheme(fmt, *fmt.naive_factors(), ring="gf2")
    F = to_bits(s, s.rank + 16)
    best, best_r = F.copy(), np.array([s.rank])
    rng = np.array([np.uint64(spec["seed"] + 1)], dtype=np.uint64)
    counters = np.zeros(4, dtype=np.int64)
    r = s.rank
    end = time.monotonic() + spec["seconds"]
    while time.monotonic() < end:
        r = flip_kernel.walk(F, r, 0, 200_000, 0, 1, best, best_r, rng, counters)
    return int(counters[0])


def measure(workers: int, ray: str | None, seconds: float) -> float:
    from decomp.parallel import make_executor

    ex = make_executor(flip_task, workers, ray)
    try:
        ex.result(ex.submit({"seed": 99, "seconds": 0.5}))  # warm-up: compile / start workers
        t0 = time.monotonic()
        handles = [ex.submit({"seed": w, "seconds": seconds}) for w in range(workers)]
        total = sum(ex.result(h) for h in handles)
        return total / (time.monotonic() - t0)
    finally:
        ex.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    one = measure(1, None, args.seconds)
    two = measure(2, None, args.seconds)
    print("| backend | workers | flips/s (sum) | vs 1 local worker |")
    print("|---|---|---|---|")
    print(f"| local | 1 | {one / 1e6:.2f} M | 1.00x |")
    print(f"| local | 2 | {two / 1e6:.2f} M | {two / one:.2f}x |", flush=True)
    try:
        ray2 = measure(2, "local", args.seconds)
        print(f"| ray (local) | 2 | {ray2 / 1e6:.2f} M | {ray2 / one:.2f}x |")
    except ImportError as exc:
        print(f"| ray | 2 | not installed ({exc}) | |")


if __name__ == "__main__":
    main()
