"""Equivalence of schemes: invariants that separate classes cheaply, an exact
canonical form over GF(2) for small formats, and a search for the member of
a class with the fewest additions.

Two schemes are equivalent when a change of basis (A -> X A Y^-1, B -> Y B
Z^-1, C' -> Z C' X^-1), a cyclic rotation (n = m = p), a transposition
(n = p) and a permutation of the terms map one onto the other.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from functools import lru_cache

import numpy as np

from . import symmetry as sym
from .errors import DecompError
from .formats import Format
from .rings import Ring, matrix_rank
from .scheme import Scheme

# Exact canonical forms enumerate the group; beyond this many elements they
# are refused and the invariants (a lower bound on the number of classes) are used.
MAX_GROUP = 10_000


# --------------------------------------------------------------- invariants
def _term_mats(s: Scheme):
    n, m, p = s.fmt.dims
    shapes = ((n, m), (m, p), (p, n))
    return [[np.asarray(F[:, r], dtype=np.int64).reshape(shape) for F, shape in zip(s.factors, shapes)]
            for r in range(s.rank)]


def _orient(key: tuple, fmt: Format) -> tuple:
    """Make a per-term triple independent of rotation/transposition where
    the format allows them."""
    n, m, p = fmt.dims
    options = [key]
    if n == m == p:
        options += [key[1:] + key[:1], key[2:] + key[:2]]
    if n == p:
        options += [tuple(reversed(o)) for o in list(options)]
    return min(options)


def invariants(s: Scheme) -> tuple:
    """Class invariant: the multiset of per-term factor ranks and of the
    factor ranks of all pairwise sums of terms (ranks of the factor
    matrices are kept by every change of basis)."""
    mod2 = s.ring is Ring.GF2
    mats = _term_mats(s)
    singles = Counter(_orient(tuple(matrix_rank(M, mod2) for M in t), s.fmt) for t in mats)
    pairs = Counter()
    for i, j in itertools.combinations(range(len(mats)), 2):
        summed = tuple(matrix_rank((a + b) % 2 if mod2 else a + b, mod2) for a, b in zip(mats[i], mats[j]))
        pairs[_orient(summed, s.fmt)] += 1
    return (s.rank, tuple(sorted(singles.items())), tuple(sorted(pairs.items())))


def invariant_hash(s: Scheme) -> str:
    return hashlib.sha256(repr(invariants(s)).encode()).hexdigest()[:16]


# ------------------------------------------------------ exact canonical form
@lru_cache(maxsize=None)
def _gl2(k: int) -> tuple:
    """All invertible k x k matrices over GF(2)."""
    out = []
    for bits in itertools.product((0, 1), repeat=k * k):
        M = np.array(bits, dtype=np.int64).reshape(k, k)
        if matrix_rank(M, True) == k:
            out.append(M)
    return tuple(out)


def group_size(fmt: Format) -> int:
    size = 1
    for k in fmt.dims:
        size *= len(_gl2(k)) if k <= 3 else 10**9
    return size


def term_masks(U, V, W) -> list[tuple[int, int, int]]:
    """Each term as three bit-masks (Python ints, any length), read mod 2:
    bit q of a mask is row q of U, V or W."""
    weights = [1 << np.arange(F.shape[0], dtype=object) for F in (U, V, W)]
    return [tuple(int((np.asarray(F[:, r], dtype=object) % 2 * w).sum()) for F, w in zip((U, V, W), weights))
            for r in range(U.shape[1])]


def _as_ints(U, V, W) -> tuple:
    """Terms as sorted tuples of three bit-masks."""
    return tuple(sorted(term_masks(U, V, W)))


def canonical_form(s: Scheme) -> tuple:
    """The smallest term list over the whole symmetry group (GF(2) only)."""
    g = s.as_ring(Ring.GF2) if s.ring is not Ring.GF2 else s
    if group_size(g.fmt) > MAX_GROUP:
        raise DecompError(f"exact canonical form of {g.fmt} would enumerate {group_size(g.fmt)} group "
                          f"elements (limit {MAX_GROUP}); compare invariants instead")
    starts = [g]
    n, m, p = g.fmt.dims
    if n == m == p:
        starts += [sym.rotate(g), sym.rotate(sym.rotate(g))]
    if n == p:
        starts += [sym.transpose(x) for x in list(starts)]
    best = None
    for base in starts:
        for X in _gl2(n):
            for Y in _gl2(m):
                for Z in _gl2(p):
                    t = _sandwich_mod2(base, X, Y, Z)
                    if best is None or t < best:
                        best = t
    return best


def _sandwich_mod2(s: Scheme, X, Y, Z) -> tuple:
    n, m, p = s.fmt.dims
    Xi, Yi, Zi = (_inv2(M) for M in (X, Y, Z))
    out = []
    for F, (P, Q, rows, cols) in zip(s.factors, ((X, Yi, n, m), (Y, Zi, m, p), (Z, Xi, p, n))):
        mats = np.asarray(F, dtype=np.int64).T.reshape(-1, rows, cols)
        new = np.einsum("ij,rjk,kl->ril", P.T, mats, Q.T) % 2
        out.append(new.reshape(-1, rows * cols).T)
    return _as_ints(*out)


@lru_cache(maxsize=None)
def _inv2_cached(key: bytes, k: int):
    M = np.frombuffer(key, dtype=np.int64).reshape(k, k)
    return sym.inverse_matrix(M, Ring.GF2).astype(np.int64)


def _inv2(M):
    return _inv2_cached(np.ascontiguousarray(M, dtype=np.int64).tobytes(), M.shape[0])


def equivalent(a: Scheme, b: Scheme) -> tuple[bool, str]:
    """(answer, how it was decided). Exact for small formats over GF(2);
    otherwise 'different' is certain and 'same invariants' is not a proof."""
    if tuple(sorted(a.fmt.dims)) != tuple(sorted(b.fmt.dims)) or a.rank != b.rank:
        return False, "different formats or ranks"
    if a.fmt != b.fmt:
        b = sym.permute(b, a.fmt.dims)
    if invariants(a) != invariants(b):
        return False, "invariants differ (certain)"
    if group_size(a.fmt) <= MAX_GROUP:
        same = canonical_form(a) == canonical_form(b)
        return same, "exact canonical form over GF(2)"
    return True, "invariants agree (not a proof: the exact test is too large for this format)"


# ---------------------------------------------------------- cheapest member
def _elementary(k: int, rng) -> np.ndarray:
    M = np.eye(k, dtype=np.int64)
    i, j = rng.choice(k, size=2, replace=False)
    M[i, j] = rng.choice([-1, 1])
    return M


def cheapest_member(s: Scheme, iterations: int = 2000, seed: int = 0, key=None) -> Scheme:
    """Hill-climb over elementary changes of basis (and term sign
    normalisation) for the member with the fewest additions (then nnz)."""
    key = key or (lambda x: (x.additions, x.nnz))
    rng = np.random.default_rng(seed)
    best, best_key = s, key(s)
    n, m, p = s.fmt.dims
    for _ in range(iterations):
        which = rng.integers(3)
        mats = [np.eye(k, dtype=np.int64) for k in (n, m, p)]
        if s.fmt.dims[which] < 2:
            continue
        mats[which] = _elementary(s.fmt.dims[which], rng)
        cand = sym.sandwich(best, *mats)
        ck = key(cand)
        if ck <= best_key:  # sideways moves let the walk cross plateaus
            best, best_key = cand, ck
    return best.require_valid()
