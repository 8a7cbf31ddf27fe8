"""Start points given to a solver: a scheme, a scheme file, or a pool of
them. The flip walks and the ALS rank reduction (als/shed.py) take the same
--start values, so they read them the same way."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..core.errors import DecompError
from ..core.formats import Format
from ..core.io import read_json
from ..core.scheme import Scheme


def given_start(fmt: Format, start) -> Scheme:
    """A start given as a Scheme or a path to a scheme file, for fmt."""
    s = start if isinstance(start, Scheme) else read_json(Path(start))
    if s.fmt != fmt:
        raise DecompError(f"start scheme is for {s.fmt}, not {fmt}")
    return s


def start_pool(fmt: Format, starts) -> list[Scheme]:
    """A pool of starts (Schemes or paths, each for fmt): those of the lowest
    rank, so that a pool holds schemes of one rank, as the adaptive search's
    pools do (a lower member would count as a reduction of the others)."""
    starts = [given_start(fmt, s) for s in starts]
    if not starts:
        raise DecompError("a pool of starts needs at least one scheme")
    low = min(s.rank for s in starts)
    return [s for s in starts if s.rank == low]


def start_label(start: Scheme) -> str:
    """What a given start was, for provenance: its method and rank, how it
    was built when it says so (an extension, a projection, a DP recipe) and
    from which imported scheme (credit.with_parent)."""
    label = f"{start.provenance.get('method') or 'scheme'} rank {start.rank}"
    origin = _origin(start)
    return f"{label} ({origin})" if origin else label


def _origin(start: Scheme) -> str:
    """How a start was built and from which import ("extension of 2x2x2
    rank 7 along n, from imported ..."); empty when its provenance says
    neither."""
    return ", from ".join(n for n in (start.provenance.get("source"), start.provenance.get("parent")) if n)


def pool_label(starts: list[Scheme]) -> str:
    """What a pool of starts was, for provenance: its size and rank, and
    where its members came from (method counts)."""
    methods = Counter(s.provenance.get("method") or "scheme" for s in starts)
    made = ", ".join(f"{k} {v}" for k, v in sorted(methods.items()))
    # how the members were built (the extensions of one scheme along two axes), and from which
    # import, as start_label says it for one start; a few, in the pool's order
    notes = [n for n in dict.fromkeys(_origin(s) for s in starts) if n]
    if notes:
        more = f"; {len(notes) - 3} more" if len(notes) > 3 else ""
        made += ": " + "; ".join(notes[:3]) + more
    return f"pool of {len(starts)} schemes of rank {starts[0].rank} ({made})"
