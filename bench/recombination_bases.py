"""Which base scheme recombines best? Walk the GF(2) flip graph of a base
format at a fixed rank, score every scheme met by its recombination rank on a
large target (the score depends only on which blocks each term touches),
lift the best to Z, materialise the target scheme and verify it.

AlphaTensor's example: a 3x3x3 rank-23 scheme applied to <10,4,9> gives
rank 255 where the 2022 table said 259; Laderman's scheme gives 259.

    python bench/recombination_bases.py [--base 3x3x3 --rank 23 --target 10x4x9 --seconds 300]
        [--store] [--out FILE]
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from decomp.core import combine as cb
from decomp.core.errors import DecompError
from decomp.core.formats import Format
from decomp.core.io import BUNDLED_ALPHATENSOR, read_alphatensor, write_json
from decomp.core.lift import lift_gf2
from decomp.core.recipes import build_table
from decomp.core.rings import Ring
from decomp.core.store import Catalogue
from decomp.flipgraph import _scheme, _terms, neighbours


def rank_array(table, size: int) -> np.ndarray:
    R = np.zeros((size + 1,) * 3, dtype=np.int64)
    for dims in np.ndindex(size, size, size):
        R[tuple(d + 1 for d in dims)] = table.rank(Format(*(d + 1 for d in dims)))
    return R


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="3x3x3")
    ap.add_argument("--rank", type=int, default=23)
    ap.add_argument("--target", default="10x4x9")
    ap.add_argument("--seconds", type=float, default=300.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--store", action="store_true", help="add the best lifted base to the catalogue")
    ap.add_argument("--out", help="write the materialised target scheme as native JSON")
    args = ap.parse_args()
    try:
        base, target = Format.parse(args.base), Format.parse(args.target)
    except DecompError as exc:
        raise SystemExit(f"error: {exc}") from None
    catalogue = Catalogue()
    # As in the comparison: only schemes with every dimension <= 5
    # feed the table (AlphaTensor's npz also holds <4,9,10> itself).
    known = [s for s in read_alphatensor(BUNDLED_ALPHATENSOR[1]) if max(s.fmt.dims) <= 5]
    stored = [s for _, s in catalogue.load().schemes if isinstance(s.fmt, Format) and max(s.fmt.dims) <= 5]
    table = build_table(known + stored, max_dim=max(target.dims), ring="q")
    R = rank_array(table, max(target.dims))
    print(f"table rank of {target} without this search: {table.rank(target)}")

    seeds = [s for s in known + stored if s.fmt == base and s.rank == args.rank and s.ring is not Ring.GF2]
    if not seeds:
        raise SystemExit(f"error: no stored {base} scheme of rank {args.rank} over z or q to start from")
    for s in seeds:
        score = cb.best_recombination(s, target.dims, R)
        print(f"seed {s.provenance.get('source') or s.provenance.get('method')}: {score[0]}")
    rng = random.Random(args.seed)
    best_score, best_terms = None, None
    lifted_best = None
    t0, steps = time.monotonic(), 0
    current = _terms(seeds[0].as_ring(Ring.GF2))
    while time.monotonic() - t0 < args.seconds:
        moves = [t for kind, t in neighbours(base, current) if len(t) == args.rank]
        if not moves:
            current = _terms(rng.choice(seeds).as_ring(Ring.GF2))
            continue
        current = rng.choice(moves)
        steps += 1
        s = _scheme(base, current)
        score = cb.best_recombination(s, target.dims, R)[0]
        if best_score is None or score < best_score:
            lift = lift_gf2(s)
            if lift.scheme is None:
                continue  # only Z schemes make a Z target scheme
            z_score = cb.best_recombination(lift.scheme, target.dims, R)
            if best_score is None or z_score[0] < best_score:
                best_score, best_terms, lifted_best = z_score[0], current, (lift.scheme, z_score[1])
                print(f"{time.monotonic() - t0:7.1f} s, step {steps}: {target} rank {best_score} "
                      f"(blocks {z_score[1]})", flush=True)
    print(f"{steps} flips in {time.monotonic() - t0:.0f} s; best {target} rank {best_score}")
    if lifted_best is None or best_score >= table.rank(target):
        print(f"no base beat the table's {table.rank(target)}; nothing stored")
        return
    s, parts = lifted_best
    big = cb.recombine(s, parts, lambda f: table.materialise(f))
    print(f"materialised {big.fmt} rank {big.rank} over {big.ring.value}: {big.verify()}")
    if args.store:
        print("catalogue:", catalogue.add(s).status)
    if args.out:
        write_json(big, args.out)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
