"""Which column of `decomp table` a stored scheme counts for.

A scheme counts for the method that made it, with one exception: a walk
that starts from a given scheme and returns it at the same rank (or
higher) has found nothing; what it returns is its start carried forward
(a projection of an imported scheme stays a projection). Solvers that
take a start keep its rank, ring and credit in the result's provenance
(start_provenance), and credit_of follows them back.
"""

from __future__ import annotations

# Schemes our solvers found, one column each; "import" holds schemes from
# elsewhere (AlphaTensor, Perminov, Kauers, AlphaEvolve), kept apart so the
# table says what decomp reached by itself; "combined" holds constructions
# from stored schemes (products, direct sums, projections, extensions).
FOUND_COLUMNS = ("als", "sat", "flip", "rl")
METHOD_COLUMNS = (*FOUND_COLUMNS, "combined", "import")
# meta builds its starts (extensions, projections) from stored schemes;
# decomp lift does what the flip solver does to the GF(2) schemes it
# returns over Z: Hensel lifting, and a walk along the plateau
_CONSTRUCTIONS = {"meta": "combined", "lift": "flip"}


def credit_of(provenance: dict, rank: int, start_counts: bool = True) -> str:
    """The column a scheme of this rank and provenance counts for.
    start_counts=False where its start does not count over the ring asked
    about (a GF(2) start of a Z scheme: the lift is the find)."""
    method = str(provenance.get("method") or "import")
    method = _CONSTRUCTIONS.get(method, method)
    if method not in METHOD_COLUMNS:
        return "import"
    start_rank = provenance.get("start_rank")
    if method in FOUND_COLUMNS and start_counts and isinstance(start_rank, int) and rank >= start_rank:
        start_credit = provenance.get("start_credit")
        return start_credit if start_credit in METHOD_COLUMNS else "import"
    return method


def start_provenance(start) -> dict:
    """What a result keeps of the scheme its search started from, so that
    credit_of can tell a find from the start carried forward."""
    return {"start_rank": int(start.rank), "start_ring": start.ring.value,
            "start_credit": credit_of(start.provenance, start.rank)}
