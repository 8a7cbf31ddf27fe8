"""Exact decomposition of a low-rank integer residual (Jennrich's algorithm).

A residual S = sum_{i<r} u_i (x) v_i (x) w_i whose u's are linearly
independent and whose v's are too (so two of its flattenings have rank r)
has that decomposition as its only one of rank r (Kruskal), and simultaneous
diagonalisation finds it: contract the third mode with two random vectors x
and y, then M_x M_y^-1 = A diag(<w_i, x> / <w_i, y>) A^-1 has the u's as its
eigenvectors (Harshman 1970, "Jennrich's algorithm").

The eigenvectors are floats. Each is scaled to a primitive integer vector
(small denominators: the game's factors are small), the v's likewise; with
the u's and v's exact, the w's solve a linear system, and the result is
accepted only if the terms sum to S exactly. So a residual with r <
rank_bound(S) completes in r terms instead of its slice terms: in a game
over the integers this ends play up to r moves sooner, e.g. after 3 or 4
correct moves of a Strassen-like scheme instead of 6.

Over GF(2) there are no eigenvalues to separate terms, so this is for the
integers only; span_split.py is the GF(2) counterpart.
"""

from __future__ import annotations

from functools import lru_cache, wraps
from math import lcm

import numpy as np

# Largest denominator met when scaling an eigenvector to integers. The game's
# factors have entries of at most 2, so ratios between them have small
# denominators; a larger one means a term outside any small coefficient set.
MAX_DENOMINATOR = 6
TOLERANCE = 1e-6
GRID = lcm(*range(1, MAX_DENOMINATOR + 1))
# Shared by the exact split and its batched pre-test, which must never rule
# out a residual the split would accept: |det M_y| below SINGULAR means no
# inverse to diagonalise with, an imaginary part above COMPLEX a complex pair.
SINGULAR = 1e-9
COMPLEX = 1e-7


def flattening_ranks(residual: np.ndarray) -> list[int]:
    """Ranks of the three flattenings: lower bounds on the tensor rank."""
    return [int(r) for r in batched_flattening_ranks(np.asarray(residual)[None])[0]]


def batched_flattening_ranks(residuals: np.ndarray) -> np.ndarray:
    """(N, 3) flattening ranks of (N, a, b, c) residuals, in three batched calls."""
    S = np.asarray(residuals, dtype=np.float64)
    n = len(S)
    return np.stack([np.linalg.matrix_rank(np.moveaxis(S, m + 1, 1).reshape(n, S.shape[m + 1], -1))
                     for m in range(3)], axis=1)


def core_in_spans(S: np.ndarray, r: int):
    """For (N, a, b, c) tensors whose first two flattenings have rank r:
    orthonormal bases Ua (N, a, r), Ub (N, b, r) of the mode-0 and mode-1
    spans, and the core (N, r, r, c) of each tensor in them, whose
    contractions over mode 2 are the pencils both splits diagonalise."""
    n, a, b, _ = S.shape
    Ua = np.linalg.svd(S.reshape(n, a, -1), full_matrices=False)[0][:, :, :r]
    Ub = np.linalg.svd(np.moveaxis(S, 2, 1).reshape(n, b, -1), full_matrices=False)[0][:, :, :r]
    return Ua, Ub, np.einsum("nijk,nip,njq->npqk", S, Ua, Ub)


def _pencils(S: np.ndarray, r: int, x: np.ndarray, y: np.ndarray):
    """Ua (see core_in_spans) and the r x r contractions M_x, M_y of each
    tensor's core with x and y over mode 2."""
    Ua, _, core = core_in_spans(S, r)
    return Ua, core @ x, core @ y


def near_integral_columns(A: np.ndarray) -> np.ndarray:
    """(N, d, r) float factors -> (N, r) bool: whether each column, scaled
    to a largest entry of 1, is a multiple of 1/GRID, as a small integer
    factor (up to scale) must be. The batched pre-tests' integrality test."""
    A = A / np.take_along_axis(A, np.abs(A).argmax(axis=1)[:, None, :], axis=1)
    grid = A * GRID
    return (np.abs(grid - np.rint(grid)) < 1e-4).all(axis=1)


def primitive_vector(vec: np.ndarray) -> np.ndarray | None:
    """The primitive integer vector along a float vector (its largest entry
    positive), if its entries' ratios have denominators of at most
    MAX_DENOMINATOR: scaled to a largest entry of 1, such a vector is a
    multiple of 1 / GRID."""
    vec = np.asarray(vec, dtype=np.float64)
    top = vec[np.argmax(np.abs(vec))]
    if abs(top) < TOLERANCE:
        return None
    grid = vec / top * GRID
    ints = np.rint(grid)
    if np.abs(grid - ints).max() > 1e-5 * GRID:
        return None
    ints = ints.astype(np.int64)
    return ints // np.gcd.reduce(np.abs(ints))


def _eigen_factors(S: np.ndarray, r: int, rng: np.random.Generator) -> np.ndarray | None:
    """The r mode-0 factors of S (as columns), from simultaneous
    diagonalisation over mode 2; None when the eigenvalues are complex or
    repeated (no such decomposition, or a degenerate one)."""
    c = S.shape[2]
    x, y = rng.standard_normal(c), rng.standard_normal(c)
    Ua, Mx, My = (m[0] for m in _pencils(S[None], r, x, y))
    if abs(np.linalg.det(My)) < SINGULAR:
        return None
    vals, vecs = np.linalg.eig(Mx @ np.linalg.inv(My))
    if np.abs(vals.imag).max() > COMPLEX:
        return None
    vals = vals.real
    gaps = np.abs(vals[:, None] - vals[None, :]) + np.eye(r)
    if gaps.min() < 1e-6:
        return None
    return Ua @ vecs.real


def _integral_terms(S: np.ndarray, U: np.ndarray) -> np.ndarray | None:
    """Given the mode-0 factors (floats), the exact integral terms or None."""
    a, b, c = S.shape
    r = U.shape[1]
    us = [primitive_vector(U[:, i]) for i in range(r)]
    if any(u is None for u in us):
        return None
    Uint = np.array(us, dtype=np.float64).T
    # S_(0) = U (V (.) W)^T: each row of pinv(U) S_(0) is one term's v (x) w.
    pieces = np.linalg.lstsq(Uint, S.reshape(a, -1), rcond=None)[0].reshape(r, b, c)
    vs = []
    for piece in pieces:
        left, sing, _ = np.linalg.svd(piece)
        if len(sing) > 1 and sing[1] > 1e-6 * max(1.0, sing[0]):
            return None                                    # not rank one: no such term
        vs.append(primitive_vector(left[:, 0]))
    if any(v is None for v in vs):
        return None
    # With u and v primitive, an integral term u (x) v (x) w needs w integral.
    ws = []
    for piece, v in zip(pieces, vs):
        w = v.astype(np.float64) @ piece / float(v @ v)
        wi = np.rint(w).astype(np.int64)
        if np.abs(w - wi).max() > 1e-6 or not wi.any():
            return None
        ws.append(wi)
    return np.array([np.concatenate(t) for t in zip(us, vs, ws)], dtype=np.int64)


def residual_cache(split):
    """Memoise a split(S, below) of integer residuals on S's bytes. Search
    asks about the same residuals again and again (every simulation that
    reaches a node, every prefix of a finished game); callers get a copy,
    so none can change what the next one is told."""
    @lru_cache(maxsize=1 << 14)
    def keyed(data: bytes, shape: tuple, below: int | None):
        return split(np.frombuffer(data, dtype=np.int64).reshape(shape), below)

    @wraps(split)
    def cached(residual: np.ndarray, below: int | None = None) -> np.ndarray | None:
        S = np.ascontiguousarray(residual, dtype=np.int64)
        found = keyed(S.tobytes(), S.shape, below)
        return None if found is None else found.copy()
    return cached


def reordered_terms(terms: np.ndarray, order, shape) -> np.ndarray:
    """Terms of a tensor of this shape transposed by `order`, put back in
    its own mode order."""
    split = np.split(terms, np.cumsum([shape[order[0]], shape[order[1]]]), axis=1)
    parts = [None, None, None]
    for m, part in zip(order, split):
        parts[m] = part
    return np.concatenate(parts, axis=1)


def terms_tensor(terms: np.ndarray, shape) -> np.ndarray:
    """The sum of (k, a+b+c) factor triples, an (a, b, c) integer tensor."""
    return np.einsum("ni,nj,nk->ijk", *np.split(terms, np.cumsum(shape[:2]), axis=1))


def in_mode_order(terms: np.ndarray, order, S: np.ndarray) -> np.ndarray | None:
    """Terms of np.transpose(S, order) put back in S's mode order, if they
    sum to S exactly (else None): every split is checked before it is used."""
    out = reordered_terms(terms, order, S.shape)
    return out if np.array_equal(terms_tensor(out, S.shape), S) else None


@residual_cache
def jennrich_terms(S: np.ndarray, below: int | None = None) -> np.ndarray | None:
    """(r, a+b+c) integer factor triples summing exactly to the residual S,
    r = its largest flattening rank, or None when the residual has no such
    decomposition that simultaneous diagonalisation can find (or r is not
    below `below`, when given: no shorter decomposition to look for)."""
    if not S.any():
        return np.zeros((0, sum(S.shape)), dtype=np.int64)
    ranks = flattening_ranks(S)
    r = max(ranks)
    if below is not None and r >= below:
        return None
    rng = np.random.default_rng(0)
    # Two modes of full flattening rank r carry the eigenvectors; the third
    # is contracted. Try each such pair (a degenerate pair may fail).
    for order in ((0, 1, 2), (1, 2, 0), (2, 0, 1), (0, 2, 1), (1, 0, 2), (2, 1, 0)):
        if ranks[order[0]] < r or ranks[order[1]] < r:
            continue
        T = np.transpose(S, order).astype(np.float64)
        U = _eigen_factors(T, r, rng)
        if U is None:
            continue
        terms = _integral_terms(T, U)
        out = None if terms is None else in_mode_order(terms, order, S)
        if out is not None:
            return out
    return None


def may_split(residuals: np.ndarray, ranks: np.ndarray | None = None) -> np.ndarray:
    """(N,) bool: False where jennrich_terms must fail, True where it may
    succeed. One batched eigenvalue problem per rank instead of N calls, so
    that search can ask about every drawn move's child: complex eigenvalues
    of M_x M_y^-1 rule out a real decomposition of rank r with independent
    factors in the first two modes, which is the only kind there could be
    when those two flattenings have rank r."""
    S = np.asarray(residuals, dtype=np.float64)
    n, c = len(S), S.shape[3]
    ranks = batched_flattening_ranks(S) if ranks is None else ranks
    r = ranks.max(axis=1)
    out = np.ones(n, dtype=bool)                # undecided: the exact test decides
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(c), rng.standard_normal(c)
    decidable = (ranks[:, 0] == r) & (ranks[:, 1] == r) & (r >= 2)
    for rr in np.unique(r[decidable]):
        idx = np.flatnonzero(decidable & (r == rr))
        Ua, Mx, My = _pencils(S[idx], rr, x, y)
        fine = np.flatnonzero(np.abs(np.linalg.det(My)) > SINGULAR)
        vals, vecs = np.linalg.eig(Mx[fine] @ np.linalg.inv(My[fine]))
        real = np.abs(vals.imag).max(axis=1) <= COMPLEX
        # The u's must be small integer vectors up to scale.
        integral = near_integral_columns(np.einsum("nip,npq->niq", Ua[fine], vecs.real)).all(axis=1)
        out[idx[fine]] = real & integral
    return out
