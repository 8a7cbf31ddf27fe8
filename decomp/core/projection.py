"""Projections between formats: a scheme for <n,m,p> gives one for every
smaller format by setting rows and columns of A and B to zero
(combine.project); the terms that then vanish are saved. This is the
downward edge of Kauers & Wood's and Perminov's meta flip graphs (the
upward one, extension by a slice of standard products, is meta.extend, a
direct sum with the standard algorithm; meta.py walks across both).

Which indices to drop decides how many terms vanish: a term vanishes when
one of the two factors that carry the dropped axis uses only the dropped
index. best_projection drops, one index at a time, the one that removes
most terms, in every orientation of the source scheme, and keeps the
lowest rank. Greedy: a cheap bound, enough for a walk's start.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import symmetry as sym
from .combine import project
from .formats import Format
from .scheme import Scheme


def _supports(s: Scheme, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """For the two factors that carry `axis`, which of its indices each
    term uses: two boolean (d, rank) arrays."""
    n, m, p = s.fmt.dims
    r = s.rank
    U = np.asarray(s.U != 0).reshape(n, m, r)
    V = np.asarray(s.V != 0).reshape(m, p, r)
    W = np.asarray(s.W != 0).reshape(p, n, r)  # W row k*n+i is C[i, k]
    if axis == 0:
        return U.any(axis=1), W.any(axis=0)
    if axis == 1:
        return U.any(axis=0), V.any(axis=1)
    return V.any(axis=0), W.any(axis=1)


def vanishing(s: Scheme, axis: int) -> np.ndarray:
    """Per index of `axis`, how many terms vanish when it is dropped."""
    kill = np.zeros((s.fmt.dims[axis], s.rank), dtype=bool)
    for used in _supports(s, axis):
        only = used.sum(axis=0) == 1
        kill |= used & only[None, :]
    return kill.sum(axis=1)


def greedy_projection(s: Scheme, dims) -> Scheme:
    """Project s (whose dimensions are each >= dims) to dims, dropping one
    index at a time: the one whose removal makes most terms vanish."""
    keep = [list(range(d)) for d in s.fmt.dims]
    cur = s
    while any(len(k) > d for k, d in zip(keep, dims)):
        choice = None
        for axis in range(3):
            if len(keep[axis]) > dims[axis]:
                counts = vanishing(cur, axis)
                x = int(np.argmax(counts))
                if choice is None or counts[x] > choice[0]:
                    choice = (counts[x], axis, x)
        _, axis, x = choice
        del keep[axis][x]
        cur = project(s, keep, f"projection of {s.fmt}")
    return cur


def best_projection(s: Scheme, fmt) -> Scheme | None:
    """The lowest-rank greedy projection of s to fmt over the orientations
    of s that contain fmt; None when none does (or fmt is s's own format)."""
    dims = Format.parse(fmt).dims
    best = None
    for oriented in sorted(set(itertools.permutations(s.fmt.dims))):
        if oriented == dims or any(a < b for a, b in zip(oriented, dims)):
            continue
        cand = greedy_projection(sym.permute(s, oriented), dims)
        if best is None or cand.rank < best.rank:
            best = cand
    return best


# Sources more than this many indices above the format project poorly (most
# of their terms survive) and cost time, so a start looks no further.
START_MAX_DROP = 3


def projected_start(schemes, fmt, ring) -> Scheme:
    """A walk's start from the catalogue: the lowest-rank projection to fmt
    of a stored scheme (valid over `ring`) of a format at most
    START_MAX_DROP indices larger; a one-line error when there is none."""
    from .errors import DecompError
    from .rings import Ring, implies

    fmt, ring = Format.parse(fmt), Ring.parse(ring)
    best = None
    for s in schemes:
        if not isinstance(s.fmt, Format) or not implies(s.ring, ring):
            continue
        if sum(s.fmt.dims) - sum(fmt.dims) > START_MAX_DROP:
            continue
        cand = best_projection(s, fmt)
        if cand is not None and (best is None or cand.rank < best.rank):
            best = cand
    if best is None:
        raise DecompError(f"--start projected: the catalogue holds no {ring.value} scheme of a format up to "
                          f"{START_MAX_DROP} indices above {fmt} to project from")
    return best.require_valid()
