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

Dropping a coordinate index is the special case of a projection after a
change of basis (basis_drop): for the axis i of <n,m,p>, A = E A' with E
an integral basis of the lattice orthogonal to a direction y, and
C' = L C with L E = I, L c = 0 for a direction c with y.c = +-1, so that
G = [E|c] is unimodular and the new scheme is integral. A term vanishes
when every column of its A-factor lies on y or every row of its C-factor
lies on c; directions taken from the terms themselves make more terms
vanish than unit vectors can when a walk left the scheme in a scrambled
basis (our walked 4x5x5 rank 76 over GF(2) gives 4x4x5 rank 63 this way,
65 by coordinates).
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from . import symmetry as sym
from .combine import project
from .errors import SchemeError
from .formats import Format
from .rings import Ring
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


# ------------------------------------------------- change-of-basis drops
def _line(vectors, mod2: bool):
    """The primitive direction (first nonzero entry positive) every nonzero
    vector lies on, as a tuple; None when they span more than a line or
    are all zero."""
    nz = [v for v in vectors if np.any(v != 0)]
    if not nz:
        return None
    d = nz[0] % 2 if mod2 else nz[0] // np.gcd.reduce(np.abs(nz[0]))
    if not mod2 and d[np.flatnonzero(d)[0]] < 0:
        d = -d
    for v in nz[1:]:
        if mod2 and np.any(v % 2 != d):
            return None
        if not mod2 and np.any(np.outer(v, d) != np.outer(d, v)):
            return None
    return tuple(int(x) for x in d)


def _axis0_views(s: Scheme):
    """The A-factor of each term as n vectors (its columns) and the
    C-factor as n vectors (its rows): arrays (r, m, n) and (r, p, n)."""
    n, m, p = s.fmt.dims
    U = np.asarray(s.U, dtype=np.int64).reshape(n, m, s.rank).transpose(2, 1, 0)
    W = np.asarray(s.W, dtype=np.int64).reshape(p, n, s.rank).transpose(2, 0, 1)
    return U, W


def best_basis_pair(s: Scheme):
    """(terms that vanish, y, c) for the best drop of axis 0 after a change
    of basis: y from the terms' A-directions or a unit vector, c from their
    C-directions or a unit vector, y.c = +-1 (odd over GF(2)), y with an
    entry +-1 (so y's orthogonal lattice has the simple basis basis_drop
    builds)."""
    n = s.fmt.dims[0]
    mod2 = s.ring is Ring.GF2
    U, W = _axis0_views(s)
    on_y: dict[tuple, int] = {}
    on_c: dict[tuple, int] = {}
    for t in range(s.rank):
        for lines, vecs in ((on_y, U[t]), (on_c, W[t])):
            d = _line(vecs, mod2)
            if d is not None:
                lines[d] = lines.get(d, 0) | (1 << t)
    for k in range(n):
        unit = tuple(int(i == k) for i in range(n))
        on_y.setdefault(unit, 0)
        on_c.setdefault(unit, 0)
    best = None
    ys = [y for y in on_y if any(abs(x) == 1 for x in y)]
    for y in ys:
        for c, cmask in on_c.items():
            dot = sum(a * b for a, b in zip(y, c))
            if (dot % 2 != 1) if mod2 else abs(dot) != 1:
                continue
            gone = bin(on_y[y] | cmask).count("1")
            # ties: the sparser pair keeps coefficients small
            key = (gone, -sum(map(abs, y)) - sum(map(abs, c)))
            if best is None or key > best[0]:
                best = (key, y, c)
    return best[0][0], best[1], best[2]


def basis_drop(s: Scheme, y, c) -> Scheme:
    """The scheme for <n-1,m,p> from s for <n,m,p> after the change of basis
    G = [E|c] of axis 0, E a basis of the lattice orthogonal to y (module
    doc); terms that vanish are dropped."""
    n, m, p = s.fmt.dims
    mod2 = s.ring is Ring.GF2
    y, c = np.array(y, dtype=np.int64), np.array(c, dtype=np.int64)
    jj = int(np.flatnonzero(np.abs(y) == 1)[0])
    E = np.zeros((n, n - 1), dtype=np.int64)
    for col, k in enumerate(k for k in range(n) if k != jj):
        E[k, col] = 1
        E[jj, col] = -y[jj] * y[k]
    G = np.column_stack([E, c])
    ginv = sym.inverse_matrix(G, Ring.GF2 if mod2 else Ring.Q)
    if not mod2 and any(Fraction(v).denominator != 1 for v in ginv.ravel()):
        raise SchemeError("basis change is not unimodular")  # y.c = +-1 rules this out
    L = np.array([[int(v) for v in row] for row in ginv[: n - 1]], dtype=np.int64)
    U, W = _axis0_views(s)
    U2 = np.einsum("tji,ia->tja", U, E)  # (r, m, n-1): A'-columns E^T u
    W2 = np.einsum("tki,ai->tka", W, L)  # (r, p, n-1): C'-rows L w
    if mod2:
        U2, W2 = U2 % 2, W2 % 2
    live = [t for t in range(s.rank) if U2[t].any() and W2[t].any()]
    U2 = U2[live].transpose(2, 1, 0).reshape((n - 1) * m, len(live))
    W2 = W2[live].transpose(1, 2, 0).reshape(p * (n - 1), len(live))
    prov = {"method": "combined", "source": f"projection of {s.fmt}"}
    return Scheme(Format(n - 1, m, p), U2, s.V[:, live], W2, ring=s.ring, provenance=prov)


def _rotated(s: Scheme, k: int) -> Scheme:
    for _ in range(k % 3):
        s = sym.rotate(s)
    return s


def basis_projection(s: Scheme, dims) -> Scheme | None:
    """Project s to dims one index at a time, each drop the change-of-basis
    drop (of any axis still too long) that makes most terms vanish; None
    over Q (fractions) or when a {-1,0,1} scheme would leave the ternary
    coefficients."""
    if s.ring is Ring.Q:
        return None
    # ternary schemes are projected over Z and kept only if they stay ternary
    cur = s.as_ring(Ring.Z) if s.ring is Ring.ZT else s
    while any(d > t for d, t in zip(cur.fmt.dims, dims)):
        choice = None
        for axis in range(3):
            if cur.fmt.dims[axis] > dims[axis]:
                gone, y, c = best_basis_pair(_rotated(cur, axis))
                if choice is None or gone > choice[0]:
                    choice = (gone, axis, y, c)
        _, axis, y, c = choice
        cur = _rotated(basis_drop(_rotated(cur, axis), y, c), 3 - axis)
    # named after the scheme projected, not the last intermediate format
    cur = cur.with_factors(*cur.factors, source=f"projection of {s.fmt}")
    if s.ring is Ring.ZT:
        return cur.as_ring(Ring.ZT) if cur.ternary else None
    return cur


def best_projection(s: Scheme, fmt, ternary: bool = False) -> Scheme | None:
    """The lowest-rank greedy projection of s to fmt (by coordinates or
    after changes of basis) over the orientations of s that contain fmt;
    with `ternary`, among those with entries in {-1, 0, 1} only (a ternary
    walk's start). None when there is none (or fmt is s's own format)."""
    dims = Format.parse(fmt).dims
    best = None
    for oriented in sorted(set(itertools.permutations(s.fmt.dims))):
        if oriented == dims or any(a < b for a, b in zip(oriented, dims)):
            continue
        turned = sym.permute(s, oriented)
        for cand in (greedy_projection(turned, dims), basis_projection(turned, dims)):
            if cand is None or (ternary and not cand.ternary):
                continue
            if best is None or cand.rank < best.rank:
                best = cand
    return best


# Sources more than this many indices above the format project poorly (most
# of their terms survive) and cost time, so a start looks no further.
START_MAX_DROP = 3


def projected_start(schemes, fmt, ring, ternary: bool = False) -> Scheme:
    """A walk's start from the catalogue: the lowest-rank projection to fmt
    of a stored scheme (valid over `ring`) of a format at most
    START_MAX_DROP indices larger, with entries in {-1, 0, 1} when
    `ternary` (a ternary walk's start); a one-line error when there is
    none."""
    from .credit import with_parent
    from .errors import DecompError
    from .rings import Ring

    fmt, ring = Format.parse(fmt), Ring.parse(ring)
    best = None
    for s in schemes:
        if not isinstance(s.fmt, Format) or not s.serves(ring):
            continue
        if sum(s.fmt.dims) - sum(fmt.dims) > START_MAX_DROP:
            continue
        cand = best_projection(s, fmt, ternary)
        if cand is not None and (best is None or cand.rank < best.rank):
            best = with_parent(cand, s)
    if best is None:
        what = " with a projection in {-1, 0, 1}" if ternary else ""
        raise DecompError(f"--start projected: the catalogue holds no {ring.value} scheme of a format up to "
                          f"{START_MAX_DROP} indices above {fmt}{what} to project from")
    return best.require_valid()
