"""Our best rank after a fixed time per format, next to the 2026 record.

For every format n <= m <= p with dimensions 2..--max-dim (or --formats),
runs the flip method from the standard algorithm (no stored scheme, no
combination) over --ring for --minutes on --workers walkers, and prints the
rank reached, the second it was reached, the record (records.csv, 2026)
and the gap. --symmetry cyclic (or both) adds, for square formats, a row
for the walk over cyclic-symmetric schemes from Moosbauer & Poole's
diagonal start, which is the standard algorithm's terms regrouped.
--start combined starts instead from the combination DP's scheme over a
catalogue (--results), which is what decomp can do with imported and
stored schemes; the row then says so. --start projected starts from the
best projection of a stored scheme of a larger format, --start extended
from the best extension of a stored scheme one index smaller (the two
edges of the meta flip graph), --start stored from a pool: every stored
scheme of the format at its lowest rank. Several kinds, comma-separated, give a row
each, so one run compares them. Over z each new best is lifted as
it comes, and a row shows the best rank that lifted. --walk-ring zt (or
both) walks over Z with entries in {-1, 0, 1} instead (nothing to lift);
--ring zt compares with the zt records and walks so by default.
--store DIR adds each row's best scheme to the catalogue in DIR (verified
there, and never in place of a better one).

Peers: no other flip-graph searcher installs from PyPI here, so no side-by-side
row can be run; --peer "CMD {format} {ring} {seconds}" runs one that is on
this machine and reads the last integer it prints as its rank.

    python bench/frontier.py --minutes 1 --max-dim 5 --ring gf2
    python bench/frontier.py --formats 5x5x5,4x4x5,4x5x5 --minutes 10 --ring gf2
    python bench/frontier.py --formats 3x3x3,4x4x4,5x5x5 --symmetry both --minutes 2
    python bench/frontier.py --formats 4x4x5,3x5x5 --start naive,extended --results results --minutes 5
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess

import decomp  # noqa: F401  first: it sets OpenBLAS's thread timeout before numpy loads
from decomp import Format, solve
from decomp.core.errors import DecompError
from decomp.core.lift import lift_gf2
from decomp.core.records import best_known


def formats(max_dim: int) -> list[Format]:
    dims = [(n, m, p) for n in range(2, max_dim + 1) for m in range(n, max_dim + 1) for p in range(m, max_dim + 1)]
    return [Format(*d) for d in sorted(dims, key=lambda d: (d[0] * d[1] * d[2], d))]


STARTS = ("naive", "combined", "projected", "extended", "stored")


def catalogue_start(kind: str, fmt: Format, ring: str, results: str | None, ternary: bool = False):
    """--start combined, projected, extended or stored over the catalogue
    at --results (decomp.meta.catalogue_start; in {-1, 0, 1} for a ternary
    walk; stored gives a list, a pool of starts of one rank, and so does
    extended where several orientations give the lowest rank)."""
    from decomp.core.store import Catalogue
    from decomp.meta import catalogue_start as build

    return build(kind, [s for _, s in Catalogue(results).load().schemes], fmt, ring, ternary)


def ours(fmt: Format, ring: str, seconds: float, workers: int, seed: int, start,
         symmetry: str | None, walk_ring: str = "gf2"):
    """Best rank over `ring`, the second it was first reached and the
    scheme. Over z the walk runs over GF(2) and lifts at the target only, so
    each new best is lifted here as it comes: the row shows the best rank
    that lifted (None if none did), not the GF(2) rank."""
    record = best_known(fmt, ring)
    goal = record.rank if record else fmt.rank_lower_bound
    reached = {}  # rank -> (seconds, scheme valid over ring)

    def note(state):
        better = state.improved is not None and state.improved.rank < min(reached, default=fmt.naive_rank + 1)
        if better:
            valid = state.improved if ring == "gf2" or walk_ring == "zt" else lifted(state.improved, ring)
            if valid is not None:
                reached[state.improved.rank] = (state.seconds, valid)
        return False

    res = solve(fmt, max(goal, fmt.rank_lower_bound), method="flip", ring=ring, seed=seed, time_limit=seconds,
                workers=workers, start=start, symmetry=symmetry or "none", walk_ring=walk_ring, callback=note)
    if res.scheme is not None:
        reached.setdefault(res.scheme.rank, (res.wall_time, res.scheme))
    if not reached:
        return None, res.wall_time, None
    best = min(reached)
    return best, *reached[best]


def lifted(s, ring: str):
    """A GF(2) walk's scheme lifted to Z (over zt: only with entries in {-1, 0, 1}), or None."""
    up = lift_gf2(s).scheme
    return up if up is not None and (ring != "zt" or up.verify("zt").ok) else None


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
    ap.add_argument("--ring", choices=("gf2", "z", "zt"), default="gf2")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", default="naive",
                    help=f"one or more of {', '.join(STARTS)}, comma-separated: a row each")
    ap.add_argument("--symmetry", choices=("none", "cyclic", "both"), default="none",
                    help="cyclic: walk over cyclic-symmetric schemes (square formats only); both: a row each")
    ap.add_argument("--walk-ring", choices=("gf2", "zt", "both"), default=None,
                    help="zt: walk over Z with entries in {-1,0,1} (no symmetry); both: a row each "
                         "(default: zt for --ring zt, else gf2)")
    ap.add_argument("--results", default=None, help="catalogue for --start combined, projected, extended or stored")
    ap.add_argument("--store", default=None, help="catalogue folder that keeps each row's best scheme")
    ap.add_argument("--peer", default=None, help='command template, e.g. "mysearch {format} {ring} {seconds}"')
    args = ap.parse_args()
    if args.minutes <= 0 or not 2 <= args.max_dim <= 16 or args.workers < 1:
        ap.error("--minutes must be positive, --max-dim within 2..16, --workers >= 1")
    try:
        todo = [Format.parse(f) for f in args.formats.split(",")] if args.formats else formats(args.max_dim)
    except DecompError as e:
        ap.error(str(e))
    store = None
    if args.store:
        from decomp.core.store import Catalogue

        store = Catalogue(args.store)
    kinds = [k.strip() for k in args.start.split(",") if k.strip()]
    if not kinds or any(k not in STARTS for k in kinds):
        ap.error(f"--start takes {', '.join(STARTS)} (comma-separated), not {args.start!r}")
    seconds = args.minutes * 60
    print(f"flip from the {', '.join(kinds)} start(s), {args.workers} walker(s), {args.minutes:g} min per format, "
          f"ring {args.ring}, seed {args.seed}")
    header = ["format", "from", "symmetry", "walk ring", "naive", "start", "ours", "at s", "record", "gap"]
    header += ["peer"] if args.peer else []
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    reached = rows = 0
    symmetries = {"none": [None], "cyclic": ["cyclic"], "both": [None, "cyclic"]}[args.symmetry]
    walk_ring = args.walk_ring or ("zt" if args.ring == "zt" else "gf2")
    walk_rings = {"gf2": ["gf2"], "zt": ["zt"], "both": ["gf2", "zt"]}[walk_ring]
    for fmt, kind in ((f, k) for f in todo for k in kinds):
        record = best_known(fmt, args.ring)
        # Cyclic symmetry needs n = m = p, and walks over GF(2) only.
        variants = [(s, w) for s in symmetries for w in (walk_rings if s is None else ["gf2"])
                    if s is None or fmt.n == fmt.m == fmt.p]
        for symmetry, walk_ring in variants:
            try:  # a ternary walk starts from a scheme in {-1, 0, 1}
                start = "naive" if kind == "naive" else \
                    catalogue_start(kind, fmt, args.ring, args.results, walk_ring == "zt")
            except DecompError as e:  # nothing in the catalogue to start from
                print(f"| {fmt} | {kind} | {e} |", flush=True)
                continue
            start_rank = fmt.naive_rank if kind == "naive" else start[0].rank if isinstance(start, list) \
                else start.rank
            rank, at, scheme = ours(fmt, args.ring, seconds, args.workers, args.seed, start, symmetry, walk_ring)
            if store is not None and scheme is not None:
                store.add(scheme)  # verified there; never replaces a better one
            gap = None if record is None or rank is None else rank - record.rank
            reached += gap is not None and gap <= 0
            rows += 1
            row = [str(fmt), kind, symmetry or "none", walk_ring, str(fmt.naive_rank), str(start_rank),
                   "none lifted" if rank is None else str(rank), f"{at:.1f}",
                   str(record.rank) if record else "?", "" if gap is None else f"{gap:+d}"]
            if args.peer:
                theirs = peer(args.peer, fmt, args.ring, seconds)
                row.append("-" if theirs is None else str(theirs))
            print("| " + " | ".join(row) + " |", flush=True)
    print(f"\nrecords reached: {reached} of {rows} rows")


if __name__ == "__main__":
    main()
