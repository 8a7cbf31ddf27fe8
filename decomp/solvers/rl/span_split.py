"""Exact low-rank split of a residual over GF(2), the counterpart of
Jennrich's algorithm (jennrich.py), which needs eigenvalues GF(2) lacks.

Write S as its slices S_1..S_a along one mode (b x c matrices) and let r be
the dimension of their span, the rank of that mode's flattening. If
S = sum_{j<r} u_j (x) B_j with rank-one matrices B_j = v_j w_j^T, the B_j
span the same space (the u's are then independent), so: S has a
decomposition with r terms and independent u's exactly when the slice span
is spanned by its own rank-one elements, and any basis of such elements
gives one (S_i = sum_j u_j[i] B_j). Over GF(2) the span has only 2^r - 1
nonzero elements to look at (15 for a 2x2x2 residual, at most 511 for
3x3x3), so the test is exhaustive: no independent-u split is missed in
the modes tried. r is a lower bound on the tensor rank, so a split found
this way is a shortest one.

Unlike Jennrich's algorithm, only the u's of one mode need be independent;
the v's and w's may repeat. All three modes are tried; the split is
accepted only if its terms sum to S exactly (mod 2).
"""

from __future__ import annotations

import numpy as np

from ...core.rings import matrix_rank
from .jennrich import reordered_terms, residual_cache, terms_tensor

# The longest mode whose span is enumerated: 2^9 - 1 = 511 elements.
MAX_SPAN_DIM = 9


def _bits(matrix: np.ndarray) -> int:
    """A 0/1 matrix as one integer, row-major, first entry the highest bit."""
    return int("".join("1" if x else "0" for x in matrix.ravel()), 2)


def _rank_one_factors(mask: int, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(v, w) with mask = v w^T over GF(2), or None if the matrix it codes
    is not rank one: a nonzero 0/1 matrix is rank one iff its nonzero rows
    are all equal (a multiple of one row, and over GF(2) the multiples are 0, 1)."""
    full = (1 << cols) - 1
    row_masks = [(mask >> (cols * (rows - 1 - i))) & full for i in range(rows)]
    live = {m for m in row_masks if m}
    if len(live) != 1:
        return None
    (row,) = live
    v = np.array([int(m != 0) for m in row_masks], dtype=np.int64)
    w = np.array([(row >> (cols - 1 - k)) & 1 for k in range(cols)], dtype=np.int64)
    return v, w


class _XorBasis:
    """A basis of a GF(2) vector space, vectors as integers, kept in echelon
    form (distinct leading bits, largest first) so that reducing by it in
    order is exact; each element carries a tag, the XOR of the tags of the
    inserted vectors it is made of (their coordinates)."""

    def __init__(self):
        self.rows: list[tuple[int, int]] = []

    def reduce(self, x: int, tag: int = 0) -> tuple[int, int]:
        for e, t in self.rows:
            if x ^ e < x:                  # x has e's leading bit set
                x, tag = x ^ e, tag ^ t
        return x, tag

    def insert(self, x: int, tag: int = 0) -> bool:
        """Add x unless it is in the span already; True if it was added."""
        x, tag = self.reduce(x, tag)
        if not x:
            return False
        self.rows.append((x, tag))
        self.rows.sort(key=lambda row: -row[0])
        return True

    def __len__(self) -> int:
        return len(self.rows)


def _split_mode(S: np.ndarray) -> np.ndarray | None:
    """Terms (r, a+b+c) of S along its first mode, r the dimension of the
    slice span, when rank-one elements span it; else None."""
    a, b, c = S.shape
    slices = [_bits(S[i]) for i in range(a)]
    span = _XorBasis()
    for s in slices:
        span.insert(s)
    basis = [e for e, _ in span.rows]
    r = len(basis)
    if r == 0 or r > MAX_SPAN_DIM:
        return None
    # Rank-one elements of the span, greedily made into a basis of it (a
    # matroid: greedy reaches full dimension whenever any choice does). The
    # tag of a chosen element is its index bit, so reducing a slice by this
    # basis gives the slice's coordinates, the u's.
    chosen, factors = _XorBasis(), []
    for code in range(1, 1 << r):
        element = 0
        for j in range(r):
            if code >> j & 1:
                element ^= basis[j]
        pair = _rank_one_factors(element, b, c)
        if pair is not None and chosen.insert(element, 1 << len(factors)):
            factors.append(pair)
            if len(factors) == r:
                break
    if len(factors) < r:
        return None
    U = np.zeros((a, r), dtype=np.int64)
    for i, s in enumerate(slices):
        rest, tag = chosen.reduce(s)
        if rest:                     # cannot happen: the chosen elements span every slice
            return None
        U[i] = [(tag >> j) & 1 for j in range(r)]
    return np.array([np.concatenate([U[:, j], v, w]) for j, (v, w) in enumerate(factors)], dtype=np.int64)


def _mode_first(mode: int) -> tuple[int, int, int]:
    """The axis order of np.moveaxis(S, mode, 0)."""
    return (mode,) + tuple(m for m in range(3) if m != mode)


@residual_cache
def span_terms(S: np.ndarray, below: int | None = None) -> np.ndarray | None:
    """(r, a+b+c) 0/1 factor triples summing to S mod 2, r the smallest
    flattening rank among the modes where rank-one slice elements span the
    slice space, when r < below; else None."""
    S = np.asarray(S, dtype=np.int64) % 2
    if not S.any():
        return None
    best = None
    for mode in range(3):
        terms = _split_mode(np.ascontiguousarray(np.moveaxis(S, mode, 0)))
        if terms is None or (best is not None and len(terms) >= len(best)):
            continue
        terms = reordered_terms(terms, _mode_first(mode), S.shape)
        if np.array_equal(terms_tensor(terms, S.shape) % 2, S):
            best = terms
    if best is None or (below is not None and len(best) >= below):
        return None
    return best


# ------------------------------------------------------------- one term more
# A residual of rank r + 1 whose slice span has dimension r has no split of
# the kind above. Guess one term t; if S - t splits, S is t plus that split.
# All (2^a - 1)(2^b - 1)(2^c - 1) guesses are tested at once for modes of
# length <= PEEL_MODE (3375 for a 2x2x2 residual). Index the elements of
# the span of S - t by their codes, the coefficient vectors over the a
# slices: the span is spanned by rank-one elements iff the codes of its
# rank-one and zero elements span GF(2)^a, and its dimension is a minus that
# of the zero codes' span (the kernel). Both are table lookups.
PEEL_MODE = 4
# and at most this many guesses (2x2x2: 15^3 = 3375), so that the search
# can afford the test at every node it values.
MAX_GUESSES = 4096


def _vectors(n: int) -> np.ndarray:
    """All nonzero 0/1 vectors of length n, (2^n - 1, n)."""
    codes = np.arange(1, 1 << n)
    return (codes[:, None] >> np.arange(n)[None, :]) & 1


def _span_dimensions(a: int) -> np.ndarray:
    """(2^(2^a - 1),) int: the dimension of the span of a set of nonzero
    codes of length a (bit k - 1 of the index stands for code k)."""
    out = np.zeros(1 << ((1 << a) - 1), dtype=np.int8)
    for index in range(1, len(out)):
        basis = _XorBasis()
        for code in range(1, 1 << a):
            if index >> (code - 1) & 1 and basis.insert(code) and len(basis) == a:
                break
        out[index] = len(basis)
    return out


_SPAN_DIMENSIONS: dict = {}


def _peel_guesses(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(guesses, sizes): the terms u (x) v (x) w, as (k, a+b+c) factor
    triples, for which S - u(x)v(x)w (S with its first mode of length <=
    PEEL_MODE) splits along that mode, and the number of terms each split has."""
    a, b, c = S.shape
    if a not in _SPAN_DIMENSIONS:
        _SPAN_DIMENSIONS[a] = _span_dimensions(a)
    dims = _SPAN_DIMENSIONS[a]
    us, vs, ws = _vectors(a), _vectors(b), _vectors(c)
    weights = np.int64(1) << np.arange(b * c - 1, -1, -1, dtype=np.int64)
    rank_one = (vs[:, None, :, None] * ws[None, :, None, :]).reshape(-1, b * c) @ weights   # (|v||w|,) masks
    slices = S.reshape(a, b * c) @ weights                                                  # (a,) masks
    guessed = slices[None, None, :] ^ (us[:, None, :] * rank_one[None, :, None])            # (|u|, |vw|, a)
    guessed = guessed.reshape(-1, a)
    combos = np.zeros((len(guessed), 1 << a), dtype=np.int64)
    for code in range(1, 1 << a):
        low = code & -code
        combos[:, code] = combos[:, code ^ low] ^ guessed[:, low.bit_length() - 1]
    combos = combos[:, 1:]
    bits = np.int64(1) << np.arange(combos.shape[1], dtype=np.int64)
    zero = combos == 0
    usable = (_rank_one_or_zero(combos, b, c)).astype(np.int64) @ bits
    good = np.flatnonzero(dims[usable] == a)
    u, vw = np.divmod(good, len(vs) * len(ws))
    v, w = np.divmod(vw, len(ws))
    guesses = np.concatenate([us[u], vs[v], ws[w]], axis=1)
    return guesses, a - dims[zero[good].astype(np.int64) @ bits].astype(np.int64)


def _rank_one_or_zero(masks: np.ndarray, b: int, c: int) -> np.ndarray:
    """Whether each b x c 0/1 matrix (as a mask) is zero or rank one: its
    nonzero rows are all equal. A lookup table when matrices are small."""
    if b * c <= 16:
        if (b, c) not in _RANK_ONE_TABLES:
            _RANK_ONE_TABLES[(b, c)] = _rank_one_or_zero_by_rows(np.arange(1 << (b * c), dtype=np.int64), b, c)
        return _RANK_ONE_TABLES[(b, c)][masks]
    return _rank_one_or_zero_by_rows(masks, b, c)


def _rank_one_or_zero_by_rows(masks: np.ndarray, b: int, c: int) -> np.ndarray:
    full = (1 << c) - 1
    rows = np.stack([(masks >> (c * (b - 1 - k))) & full for k in range(b)], axis=-1)
    top = rows.max(axis=-1)
    return ((rows == 0) | (rows == top[..., None])).all(axis=-1)


_RANK_ONE_TABLES: dict = {}


@residual_cache
def peeled_span_terms(S: np.ndarray, below: int | None = None) -> np.ndarray | None:
    """(k, a+b+c) 0/1 factor triples summing to S mod 2: one guessed term
    and a span split of the rest, the fewest over guesses and modes, when
    k < below; else None."""
    S = np.asarray(S, dtype=np.int64) % 2
    if not S.any():
        return None
    best = None
    for mode in range(3):
        moved = np.ascontiguousarray(np.moveaxis(S, mode, 0))
        a, b, c = moved.shape
        if a > PEEL_MODE or ((1 << a) - 1) * ((1 << b) - 1) * ((1 << c) - 1) > MAX_GUESSES:
            continue
        guesses, sizes = _peel_guesses(moved)
        if not len(guesses) or (best is not None and 1 + sizes.min() >= len(best)):
            continue
        guess = guesses[np.argmin(sizes)][None]
        rest = _split_mode((moved - terms_tensor(guess, moved.shape)) % 2)
        if rest is None:                     # cannot happen: the test above is exact
            continue
        terms = reordered_terms(np.concatenate([guess, rest]), _mode_first(mode), S.shape)
        if np.array_equal(terms_tensor(terms, S.shape) % 2, S):
            best = terms
    if best is None or (below is not None and len(best) >= below):
        return None
    return best


def gf2_terms(S: np.ndarray, below: int | None = None) -> np.ndarray | None:
    """The span split, or failing that the peeled one: exact terms of S
    over GF(2) when either finds fewer than `below`, else None."""
    terms = span_terms(S, below=below)
    if terms is not None:
        return terms
    # With no span split, S has rank above every flattening rank (in the mode
    # of the largest, r terms would have independent u's): a peel gives at
    # least that rank + 1 terms, and is not worth trying unless that is below.
    if below is not None and max(flattening_ranks(S)) + 1 >= below:
        return None
    return peeled_span_terms(S, below=below)


def flattening_ranks(S: np.ndarray) -> list[int]:
    """The GF(2) ranks of the three flattenings of S (slice span dimensions)."""
    S = np.asarray(S, dtype=np.int64) % 2
    return [matrix_rank(np.moveaxis(S, m, 0).reshape(S.shape[m], -1), mod2=True) for m in range(3)]
