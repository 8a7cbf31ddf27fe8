"""Local reduction by SAT (decomp reduce): the k terms' residual solved in
the small coordinates of its flattenings (solvers/sat/reduce.py) against the
same question asked of the whole format's CNF with the other terms fixed
(the sat solver's `known` neighbourhood encoding). Same subsets, same
solver and conflict budget, measured in one run:

    python bench/reduce_coordinates.py [--cases 3x3x3:naive:8,FILE:5] [--subsets 10] [--conflicts 20000]

A case is SOURCE:K, SOURCE a format (its standard algorithm) or a scheme
file. Subsets are drawn as decomp reduce draws them (greedy, passing the
flattening bound).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from pysat.solvers import Solver

from decomp.core.errors import DecompError
from decomp.core.formats import Format
from decomp.core.io import read_json
from decomp.core.rings import Ring
from decomp.core.scheme import Scheme
from decomp.solvers.sat.reduce import decompositions, flattening_ranks, greedy_subset, residual
from decomp.solvers.sat.solver import build

CASES = "2x2x3:naive:7,3x3x3:naive:8"


def _source(text: str) -> Scheme:
    if text.endswith(".json"):
        return read_json(text).as_ring(Ring.GF2)
    fmt = Format.parse(text)
    return Scheme(fmt, *fmt.naive_factors(), ring=Ring.GF2)


def full_format(s: Scheme, terms, conflicts: int):
    """The whole format's CNF at rank-1 with every other term fixed: True
    (found), False (refuted) or None (out of conflicts)."""
    others = [r for r in range(s.rank) if r not in terms]
    clauses, _, _ = build(s.fmt, s.rank - 1, symmetry=True, known=s, fix_terms=others)
    with Solver(name="cadical195", bootstrap_with=clauses) as sat:
        sat.conf_budget(conflicts)
        return sat.solve_limited()


def span_coordinates(s: Scheme, terms, conflicts: int):
    return decompositions(residual(s, terms), len(terms) - 1, conflicts)[1]


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def subsets(s: Scheme, k: int, n: int, seed: int) -> list:
    rng, out, seen = np.random.default_rng(seed), [], set()
    for _ in range(200 * n):
        t = greedy_subset(s, k, rng)
        if frozenset(t) in seen:
            continue
        seen.add(frozenset(t))
        R = residual(s, t)
        if R.any() and max(flattening_ranks(R)) <= k - 1:
            out.append(t)
        if len(out) == n:
            break
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default=CASES, help="SOURCE:K,... (SOURCE: a format's standard algorithm "
                                                  "written FORMAT:naive, or a scheme file)")
    ap.add_argument("--subsets", type=int, default=10)
    ap.add_argument("--conflicts", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print("| source | k | subsets | span coordinates (median) | whole format, other terms fixed (median) | "
          "same answer | time ratio |")
    print("|---|---|---|---|---|---|---|")
    for case in args.cases.split(","):
        parts = case.split(":")
        try:
            source, k = parts[0], int(parts[-1])
            s = _source(source)
        except (ValueError, DecompError) as e:
            ap.error(f"case {case!r}: {e}")
        picked = subsets(s, k, args.subsets, args.seed)
        if not picked:
            print(f"| {source} | {k} | 0 | | | | |", flush=True)
            continue
        small = [timed(span_coordinates, s, t, args.conflicts) for t in picked]
        whole = [timed(full_format, s, t, args.conflicts) for t in picked]
        same = sum(a == b for (a, _), (b, _) in zip(small, whole))
        ms, mw = statistics.median(x for _, x in small), statistics.median(x for _, x in whole)
        print(f"| {source} | {k} | {len(picked)} | {_answers(small)}, {ms:.3f} s | {_answers(whole)}, {mw:.3f} s | "
              f"{same}/{len(picked)} | {mw / ms:.1f}x |", flush=True)


def _answers(runs) -> str:
    got = [a for a, _ in runs]
    return f"{got.count(True)} found / {got.count(False)} refuted / {got.count(None)} open"


if __name__ == "__main__":
    main()
