"""Flip-graph benchmark: flips per second per core of the numba kernel next
to a plain-Python reference walk (same moves, dict-of-sets groups) measured
in the same run, and time-to-target from the standard algorithm over seeds,
for the plain walker and the adaptive search (decomp/solvers/flip/adaptive.py).

    python bench/flip_speed.py            # full (several minutes)
    python bench/flip_speed.py --quick    # a smaller budget
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import numpy as np

from decomp import solve
from decomp.core.formats import Format
from decomp.core.scheme import Scheme
from decomp.solvers.flip import cyclic as flip_cyclic
from decomp.solvers.flip import kernel as flip_kernel
from decomp.solvers.gf2.bits import to_bits
from decomp.solvers.gf2.words import get_int


def reference_walk(fmt: Format, flips: int, seed: int) -> float:
    """Plain-Python flips (no reductions): terms as int bit masks, one dict
    of value -> set of terms per mode; returns flips per second."""
    s = Scheme(fmt, *fmt.naive_factors(), ring="gf2")
    F = to_bits(s, s.rank)
    terms = [[get_int(F, m, t) for m in range(3)] for t in range(s.rank)]
    groups = [dict() for _ in range(3)]
    for t, term in enumerate(terms):
        for m in range(3):
            groups[m].setdefault(term[m], set()).add(t)
    rnd = random.Random(seed)
    t0 = time.perf_counter()
    done = 0
    while done < flips:
        m = rnd.randrange(3)
        i = rnd.randrange(len(terms))
        partners = groups[m][terms[i][m]]
        if len(partners) < 2:
            continue
        j = rnd.choice([x for x in partners if x != i])
        m1, m2 = (m + 1) % 3, (m + 2) % 3
        for t, mode, new in ((i, m2, terms[i][m2] ^ terms[j][m2]), (j, m1, terms[j][m1] ^ terms[i][m1])):
            groups[mode][terms[t][mode]].discard(t)
            terms[t][mode] = new
            groups[mode].setdefault(new, set()).add(t)
        if terms[i][m2] == 0 or terms[j][m1] == 0:
            break  # a reduction: the reference stops here, flips so far are counted
        done += 1
    return done / (time.perf_counter() - t0)


def kernel_rate(fmt: Format, flips: int, seed: int, words: int | None = None) -> float:
    """Flips per second from the standard algorithm; `words` pads each factor
    to that many 64-bit words (the multi-word kernel on a small format)."""
    s = Scheme(fmt, *fmt.naive_factors(), ring="gf2")
    cap = s.rank + 16
    F = to_bits(s, cap, words)
    best, best_r = F.copy(), np.array([s.rank])
    rng = np.array([np.uint64(seed)], dtype=np.uint64)
    counters = np.zeros(4, dtype=np.int64)
    flip_kernel.walk(F.copy(), s.rank, 0, 100, 0, 1, best.copy(), best_r.copy(), rng, counters.copy())  # compile
    t0 = time.perf_counter()
    flip_kernel.walk(F, s.rank, 0, flips, 0, 1, best, best_r, rng, counters)
    return counters[0] / (time.perf_counter() - t0)


def cyclic_rate(n: int, flips: int, seed: int) -> float:
    """Orbit flips per second of the symmetric kernel (each one changes three
    terms of the full scheme), from the diagonal start, no plus transitions."""
    def state():
        return flip_cyclic.cyclic_walk(Format(n, n, n), None, None, None, None, 16)

    rng = np.array([np.uint64(seed)], dtype=np.uint64)
    state().advance(0, 100, 0, 1, rng, np.zeros(4, dtype=np.int64))  # compile
    counters = np.zeros(4, dtype=np.int64)
    walk = state()
    t0 = time.perf_counter()
    walk.advance(0, flips, 0, 1, rng, counters)
    return counters[0] / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--speed-only", action="store_true", help="only the flips-per-second table")
    ap.add_argument("--formats", default=None, help="time to target only for these formats (e.g. 5x5x5)")
    ap.add_argument("--search", default="walk,adaptive",
                    help="time to target with these searches: walk (plain walker), "
                         "adaptive (pools, decomp/solvers/flip/adaptive.py)")
    args = ap.parse_args()
    searches = args.search.split(",")
    if not searches or set(searches) - {"walk", "adaptive"}:
        raise SystemExit(f"error: --search takes walk and/or adaptive, comma-separated, not {args.search!r}")
    seeds = args.seeds or (2 if args.quick else 5)
    limit = args.time_limit or (60 if args.quick else 300)
    print("## flips per second per core (one walker, GF(2), no plus transitions)\n")
    print("| format | numba kernel | plain Python | ratio |")
    print("|---|---|---|---|")
    flips = 2_000_000 if args.quick else 10_000_000
    for dims in ((3, 3, 3), (4, 4, 4), (5, 5, 5), (9, 9, 9)):
        fmt = Format(*dims)
        ours = kernel_rate(fmt, flips, 1)
        ref = reference_walk(fmt, 20_000 if args.quick else 100_000, 1)
        words = "" if max(fmt.shape) <= 64 else f" ({max(fmt.shape)}-bit factors, 2 words)"
        print(f"| {fmt}{words} | {ours / 1e6:.2f} M/s | {ref / 1e6:.3f} M/s | {ours / ref:.0f}x |", flush=True)
    one, two = kernel_rate(Format(4, 4, 4), flips, 1), kernel_rate(Format(4, 4, 4), flips, 1, words=2)
    print(f"| 4x4x4 padded to 2 words | {two / 1e6:.2f} M/s | | {two / one:.2f}x of 1 word ({one / 1e6:.2f} M/s) |",
          flush=True)
    for n in (4, 5):
        rate = cyclic_rate(n, 2_000_000 if args.quick else 10_000_000, 1)
        print(f"| {n}x{n}x{n} cyclic (orbit flips) | {rate / 1e6:.2f} M/s | | |", flush=True)
    if args.speed_only:
        return
    print(f"\n## time to target from the standard algorithm ({seeds} seeds, limit {limit:.0f} s each, 1 walker)\n")
    print("| format | target (gf2) | symmetry | search | reached | median s | min s | max s | best rank per seed |")
    print("|---|---|---|---|---|---|---|---|---|")
    targets = [("3x3x3", 23, "none"), ("2x3x4", 20, "none"), ("3x4x4", 38, "none"), ("4x4x4", 49, "none"),
               ("4x4x5", 61, "none"), ("5x5x5", 95, "none"),
               ("3x3x3", 23, "cyclic"), ("4x4x4", 49, "cyclic"), ("5x5x5", 95, "cyclic"), ("5x5x5", 93, "cyclic")]
    if args.quick:
        targets = [t for t in targets if t[0] != "5x5x5" and t[0] != "4x4x5"]
    if args.formats:
        targets = [t for t in targets if t[0] in args.formats.split(",")]
    for (text, rank, symmetry), search in ((t, s) for t in targets for s in searches):
        times, reached, ranks = [], 0, []
        for seed in range(1, seeds + 1):
            res = solve(text, rank, method="flip", ring="gf2", seed=seed, time_limit=limit, symmetry=symmetry,
                        search=search)
            ranks.append(str(res.best_rank))
            if res.success:
                reached += 1
                times.append(res.wall_time)
        spread = (f"{statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f}" if times
                  else "- | - | -")
        print(f"| {text} | {rank} | {symmetry} | {search} | {reached}/{seeds} | {spread} | {', '.join(ranks)} |",
              flush=True)


if __name__ == "__main__":
    main()
