"""Our best rank after a fixed time per format, next to the 2026 record.

For every format n <= m <= p with dimensions 2..--max-dim (or --formats),
runs the flip method from the standard algorithm (no stored scheme, no
combination) over --ring for --minutes on --workers walkers, and prints the
rank reached, the second it was reached, the record (records.csv, 2026)
and the gap. --start combined starts instead from the combination DP's
scheme over a catalogue (--results), which is what decomp can do with
imported and stored schemes; the row then says so.

Peers: no other flip-graph searcher installs from PyPI here, so no side-by-side
row can be run; --peer "CMD {format} {ring} {seconds}" runs one that is on
this machine and reads the last integer it prints as its rank.

    python bench/frontier.py --minutes 1 --max-dim 5 --ring gf2
    python bench/frontier.py --formats 5x5x5,4x4x5,4x5x5 --minutes 10 --ring gf2
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess

import decomp  # noqa: F401  first: it sets OpenBLAS's thread timeout before numpy loads
from decomp import Format, solve
from decomp.core.records import best_known


def formats(max_dim: int) -> list[Format]:
    dims = [(n, m, p) for n in range(2, max_dim + 1) for m in range(n, max_dim + 1) for p in range(m, max_dim + 1)]
    return [Format(*d) for d in sorted(dims, key=lambda d: (d[0] * d[1] * d[2], d))]


def combined_start(fmt: Format, ring: str, results: str | None):
    from decomp.core.recipes import combined_scheme
    from decomp.core.store import Catalogue

    return combined_scheme([s for _, s in Catalogue(results).load().schemes], fmt, ring)


def ours(fmt: Format, ring: str, seconds: float, workers: int, seed: int, start) -> tuple[int, float]:
    """Best rank and the second it was first reached."""
    record = best_known(fmt, ring)
    goal = record.rank if record else fmt.rank_lower_bound
    reached = {}

    def note(state):
        if state.best_rank is not None:
            reached.setdefault(state.best_rank, state.seconds)
        return False

    res = solve(fmt, max(goal, fmt.rank_lower_bound), method="flip", ring=ring, seed=seed, time_limit=seconds,
                workers=workers, start=start, callback=note)
    best = res.best_rank
    return best, reached.get(best, res.wall_time)


def peer(cmd: str, fmt: Format, ring: str, seconds: float) -> int | None:
    line = cmd.format(format=fmt, ring=ring, seconds=int(seconds))
    try:
        out = subprocess.run(shlex.split(line), capture_output=True, text=True, timeout=seconds + 60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.findall(r"\d+", out)
    return int(found[-1]) if found else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--max-dim", type=int, default=6)
    ap.add_argument("--formats", default=None, help="comma-separated, e.g. 4x4x5,5x5x5 (default: all up to --max-dim)")
    ap.add_argument("--ring", choices=("gf2", "z"), default="gf2")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", choices=("naive", "combined"), default="naive")
    ap.add_argument("--results", default=None, help="catalogue for --start combined")
    ap.add_argument("--peer", default=None, help='command template, e.g. "mysearch {format} {ring} {seconds}"')
    args = ap.parse_args()
    if args.minutes <= 0 or not 2 <= args.max_dim <= 16 or args.workers < 1:
        ap.error("--minutes must be positive, --max-dim within 2..16, --workers >= 1")
    todo = [Format.parse(f) for f in args.formats.split(",")] if args.formats else formats(args.max_dim)
    seconds = args.minutes * 60
    print(f"flip from the {args.start} start, {args.workers} walker(s), {args.minutes:g} min per format, "
          f"ring {args.ring}, seed {args.seed}")
    header = ["format", "naive", "start", "ours", "at s", "record", "gap"] + (["peer"] if args.peer else [])
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    reached = 0
    for fmt in todo:
        start = combined_start(fmt, args.ring, args.results) if args.start == "combined" else "naive"
        start_rank = fmt.naive_rank if args.start == "naive" else start.rank
        rank, at = ours(fmt, args.ring, seconds, args.workers, args.seed, start)
        record = best_known(fmt, args.ring)
        gap = None if record is None else rank - record.rank
        reached += gap is not None and gap <= 0
        row = [str(fmt), str(fmt.naive_rank), str(start_rank), str(rank), f"{at:.1f}",
               str(record.rank) if record else "?", "" if gap is None else f"{gap:+d}"]
        if args.peer:
            theirs = peer(args.peer, fmt, args.ring, seconds)
            row.append("-" if theirs is None else str(theirs))
        print("| " + " | ".join(row) + " |", flush=True)
    print(f"\nrecords reached: {reached} of {len(todo)}")


if __name__ == "__main__":
    main()
