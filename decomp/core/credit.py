"""Which column of `decomp table` a stored scheme counts for, per ring.

A scheme counts for the method that made it, with one exception: a walk
that starts from a given scheme and returns it at the same rank (or
higher) has found nothing; what it returns is its start carried forward
(a projection of an imported scheme stays a projection). Solvers that
take a start keep its rank, ring and credit in the result's provenance
(start_provenance), and credit_of follows them back. Over a ring where the
start does not count (a GF(2) start of a Z scheme), the result is a find
at any rank: lifting it was the work.
"""

from __future__ import annotations

from .errors import DecompError
from .rings import Ring, implies

# Schemes our solvers found, one column each; "import" holds schemes from
# elsewhere (AlphaTensor, Perminov, Kauers, AlphaEvolve), kept apart so the
# table says what decomp reached by itself; "combined" holds constructions
# from stored schemes (products, direct sums, projections, extensions).
FOUND_COLUMNS = ("als", "sat", "flip", "rl")
METHOD_COLUMNS = (*FOUND_COLUMNS, "combined", "import")
RINGS = ("zt", "z", "q", "gf2")
# meta builds its starts (extensions, projections) from stored schemes;
# decomp lift does what the flip solver does to the GF(2) schemes it
# returns over Z: Hensel lifting, and a walk along the plateau; Hopcroft and
# Kerr's <p,2,n> schemes are a construction (core/hopcroft_kerr.py) that the
# combination DP starts from
_CONSTRUCTIONS = {"meta": "combined", "lift": "flip", "hopcroft-kerr": "combined"}


def start_counts(provenance: dict, ring) -> bool:
    """Whether a scheme's start (when it had one) counts over `ring`: a
    GF(2) start does not count over Z, and a Z start not over zt (its
    entries are not recorded)."""
    try:
        start = Ring.parse(provenance.get("start_ring") or ring)
        return start is Ring.parse(ring) or implies(start, Ring.parse(ring))
    except (DecompError, ValueError):  # a ring name we do not know: not a start to count
        return False


def credit_of(provenance: dict, rank: int, ring) -> str:
    """The column a scheme of this rank and provenance counts for over `ring`."""
    method = str(provenance.get("method") or "import")
    method = _CONSTRUCTIONS.get(method, method)
    if method not in METHOD_COLUMNS:
        return "import"
    start_rank = provenance.get("start_rank")
    if method in FOUND_COLUMNS and isinstance(start_rank, int) and rank >= start_rank \
            and start_counts(provenance, ring):
        start_credit = provenance.get("start_credit")
        if isinstance(start_credit, dict):
            start_credit = start_credit.get(Ring.parse(ring).value)
        return start_credit if start_credit in METHOD_COLUMNS else "import"
    return method


def with_parent(start, parent):
    """start (a projection or extension built from the scheme `parent`) with
    `parent`'s origin kept in its provenance when the parent was imported
    (AlphaEvolve's, Perminov's ...): what a walk from it finds then says,
    besides 'projection of 3x4x8', whose 3x4x8 that was."""
    if credit_of(parent.provenance, parent.rank, parent.ring) != "import":
        return start
    origin = parent.provenance.get("source") or "unnamed"
    return start.with_factors(*start.factors, parent=f"imported {origin} rank {parent.rank}")


# The most cautious credit first: a result that may be any member of a pool
# of starts carried forward counts for the member that we can least claim.
_CAUTION = ("import", "combined", *FOUND_COLUMNS)


def start_provenance(start) -> dict:
    """What a result keeps of the scheme its search started from, so that
    credit_of can tell a find from the start carried forward: its rank,
    ring, and its own credit over each ring (a start that was itself a lift
    counts differently over z and gf2). For a pool of starts (a list, all
    of one rank), the ring of the member valid over most rings, and per
    ring the most cautious credit of the members that count over it: the
    result may be any of them carried forward."""
    starts = list(start) if isinstance(start, (list, tuple)) else [start]
    widest = max(starts, key=lambda s: sum(implies(s.ring, Ring.parse(r)) for r in RINGS))
    credit = {}
    for r in RINGS:
        counting = [credit_of(s.provenance, s.rank, r) for s in starts
                    if start_counts({"start_ring": s.ring.value}, r)]
        credit[r] = min(counting, key=_CAUTION.index) if counting else credit_of(widest.provenance, widest.rank, r)
    return {"start_rank": int(min(s.rank for s in starts)), "start_ring": widest.ring.value,
            "start_credit": credit}
