"""Best known ranks from the literature and public catalogues (records.csv).

Facts to compare against: they prove nothing until a scheme is shown. Rank
is invariant under permuting (n, m, p), so look-ups use sorted dimensions.
A record over a smaller ring also bounds the larger ones: zt rows count for
z, q and gf2; z rows for q and gf2.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .formats import Format

RECORDS_CSV = Path(__file__).resolve().parent.parent / "data" / "records.csv"
# Which record rings bound a wanted ring.
_BOUNDS = {"zt": ("zt",), "z": ("z", "zt"), "q": ("q", "z", "zt"), "gf2": ("gf2", "z", "zt"),
           "c": ("c", "q", "z", "zt")}
# AlphaTensor's 2022 table (their recombination/sota.py): the supplementary
# table plus the Hopcroft-Kerr formula rows for 2 x m x n.
SOTA_2022 = ("best known before AlphaTensor recombination", "Hopcroft-Kerr 1971 formula")


@dataclass(frozen=True)
class Record:
    dims: tuple[int, int, int]  # sorted
    ring: str
    rank: int
    source: str


@lru_cache(maxsize=None)
def load_records(path: str = str(RECORDS_CSV)) -> tuple[Record, ...]:
    out = []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            dims = tuple(sorted((int(row["n"]), int(row["m"]), int(row["p"]))))
            out.append(Record(dims, row["ring"].strip(), int(row["rank"]), row["source"].strip()))
    return tuple(out)


def best_known(fmt, ring: str = "q", source_prefix: "str | tuple | None" = None) -> Record | None:
    """The lowest recorded rank bounding `fmt` over `ring` (None if unknown)."""
    dims = tuple(sorted(Format.parse(fmt).dims))
    rings = _BOUNDS.get(ring, (ring,))
    best = None
    for rec in load_records():
        if rec.dims != dims or rec.ring not in rings:
            continue
        if source_prefix and not rec.source.startswith(source_prefix):
            continue
        if best is None or rec.rank < best.rank:
            best = rec
    return best
