"""Hopcroft & Kerr (1971): <p,2,n> in ceil((3pn + max(p, n)) / 2) products.

The construction, for p <= n (p > n is its transpose): the p rows a_l of A
(each a pair (a_l1, a_l2)) are spread to n "virtual" rows
abar_i = sum_l M[i,l] a_l by an integer n x p matrix M whose every cyclic
window of p consecutive rows is unimodular. Against the n columns x_j of B
the construction computes the cells y_ij = abar_i . x_j near the diagonal
of the n x n product, p cells per column j; the window's inverse then gives
the whole column, A x_j = M[window(j)]^-1 y[window(j), j], over Z.

The cells, for p = 2k+1: every diagonal cell with 2 products, in one of
three ways (the "methods" below; position i gets 1, 2, 1, 2, ..., and 3
for the last of an odd n), and every cyclic pair (i, i+d), d = 1..k, both
y_ij and y_ji with 3 more products: n (3k + 2) = n (3p + 1) / 2 in all.
A pair of different methods takes the third method's products on the
virtual row and column (abar_i + abar_j, x_i + x_j) and one mixed product
(HK's Lemma 2); a pair of equal methods goes through a position b between
them whose pairs (i, b) and (b, j) are done (a "bridge"). For p = 2k+2 every
column needs one cell more, at distance k+1: a matching of the circulant
i <-> i+k+1 gives two columns their cell with 3 products, and the column an
odd cycle leaves over takes its cell with 2 (so the formula is met when at
most one cycle is odd: all formats up to 8 but <4,2,6>, one above it; HK's
remedy for several odd cycles is not built).
For n > 2p - 1 no window fits: the columns are cut into blocks of p .. 2p-1
and the blocks' schemes summed.

Only which products to form is written down here; how each cell is read
from them is solved for (a linear system over Z), and the whole scheme is
checked by the exact verifier. The small identities (the mixed product of
Lemma 2 and the bridges) were found by an exhaustive search over products
with coefficients in {-1, 0, 1} (a scratch script, not kept); HK's paper
leaves the equal-method cases to "symmetry".
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from functools import lru_cache

import numpy as np

from .coefficients import coefficient_excess, ternary_of
from .combine import direct_sum
from .errors import DecompError
from .formats import Format
from .rings import Ring
from .scheme import Scheme
from .symmetry import inverse_matrix, transpose

# The two products of each way to compute a1 x1 + a2 x2 (a row (a1, a2)
# against a column (x1, x2)): as (row form, column form) coefficient pairs
# over (a1, a2) and (x1, x2).
#   1: a2 (x1 + x2) + (a1 - a2) x1     2: a1 (x1 + x2) - (a1 - a2) x2
#   3: a1 x1 + a2 x2
METHODS = {
    1: (((0, 1), (1, 1)), ((1, -1), (1, 0))),
    2: (((1, -1), (0, 1)), ((1, 0), (1, 1))),
    3: (((0, 1), (0, 1)), ((1, 0), (1, 0))),
}

# Lemma 2's mixed product for a pair (r, s) of methods (mr, ms), mr < ms:
# row form over (a_r1, a_r2, a_s1, a_s2), column form over (x_1r, x_2r, x_1s, x_2s).
PAIR_MIXED = {
    (1, 2): ((0, 1, 1, 0), (1, 0, 0, -1)),
    (1, 3): ((1, -1, 1, 0), (1, 1, 0, 1)),
    (2, 3): ((1, -1, 0, -1), (1, 1, 1, 0)),
}

# Bridges for an equal-method pair (i, j) through b: (method of i and j,
# method of b) -> the virtual method taken on (abar_i + abar_b + abar_j,
# x_i + x_b + x_j) and the mixed product's forms over (i, b, j)'s entries.
BRIDGES = {
    (1, 2): (2, (1, 0, 1, 0, 1, -1), (0, 1, 0, 1, 1, 1)),
    (2, 1): (1, (1, -1, 0, -1, 0, -1), (1, 1, 1, 0, 1, 0)),
}


# The cells are solved for as one dense system of 4n^2 equations (n <= 63
# in a band): about 50 MB at 32, hence the limit.
MAX_DIM = 32


def hopcroft_kerr_rank(p: int, n: int) -> int:
    """Hopcroft and Kerr's bound for <p,2,n>."""
    return -(-(3 * p * n + max(p, n)) // 2)


@lru_cache(maxsize=None)
def hopcroft_kerr(p: int, n: int) -> Scheme:
    """A verified Z scheme for <p,2,n> (A p x 2, B 2 x n) of rank
    hopcroft_kerr_rank(p, n), or one above it for every odd cycle past the
    first that an even p leaves (module docstring)."""
    if p < 1 or n < 1:
        raise DecompError(f"<{p},2,{n}> is not a format")
    if max(p, n) > MAX_DIM:
        raise DecompError(f"Hopcroft-Kerr schemes are built up to <{MAX_DIM},2,{MAX_DIM}>, not <{p},2,{n}>")
    if p > n:
        return transpose(hopcroft_kerr(n, p))
    if p == 1:
        fmt = Format(1, 2, n)
        return Scheme(fmt, *fmt.naive_factors(), ring=Ring.Z, provenance=_provenance()).require_valid()
    if n > 2 * p - 1:
        return _chained(p, n)
    return _banded(p, n)


def _provenance() -> dict:
    return {"method": "hopcroft-kerr", "source": "Hopcroft & Kerr 1971, <p,2,n> construction"}


def _cut(p: int, n: int) -> list[int]:
    """The widths of the blocks of p .. 2p-1 columns with the fewest products."""
    best: dict[int, tuple[int, list[int]]] = {0: (0, [])}
    for total in range(1, n + 1):
        options = [(best[total - s][0] + _banded(p, s).rank, best[total - s][1] + [s])
                   for s in range(p, 2 * p) if total - s in best]
        if options:
            best[total] = min(options)
    return best[n][1]


def _summed(blocks: list[Scheme], ring: Ring) -> Scheme:
    scheme = None
    for block in blocks:
        scheme = block if scheme is None else direct_sum(scheme, block, axis=2)
    return Scheme(scheme.fmt, *scheme.factors, ring=ring, provenance=_provenance()).require_valid()


def _chained(p: int, n: int) -> Scheme:
    """Blocks of p .. 2p-1 columns, the cut with the fewest products."""
    return _summed([_banded(p, s) for s in _cut(p, n)], Ring.Z)


class _Products:
    """Products over the virtual rows and the columns, in internal
    coordinates: a row form has entry 2i + c for abar_i's component c, a
    column form entry 2j + c for x_j's."""

    def __init__(self, size: int):
        self.size = size
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []

    def add(self, row, col) -> None:
        self.rows.append(np.asarray(row, dtype=np.int64))
        self.cols.append(np.asarray(col, dtype=np.int64))

    def local(self, positions, coeffs) -> np.ndarray:
        """A form over the components of `positions` ((c1, c2) per position)."""
        out = np.zeros(2 * self.size, dtype=np.int64)
        for t, i in enumerate(positions):
            out[2 * i] += coeffs[2 * t]
            out[2 * i + 1] += coeffs[2 * t + 1]
        return out

    def method(self, m: int, row_positions, col_positions) -> None:
        """Method m's two products on the virtual row sum(abar_i for i in
        row_positions) against the column sum(x_j for j in col_positions)."""
        for row, col in METHODS[m]:
            self.add(self.local(row_positions, row * len(row_positions)),
                     self.local(col_positions, col * len(col_positions)))


def _colouring(n: int) -> list[int]:
    """The method of each position: 1, 2, 1, 2, ..., so that neighbours on
    the cycle differ (Lemma 2), and 3 for the last of an odd n."""
    methods = [1 + i % 2 for i in range(n)]
    if n % 2:
        methods[-1] = 3
    return methods


def _pair(products: _Products, methods, i: int, j: int, done: set) -> None:
    """The 3 products that give y_ij and y_ji (module docstring)."""
    mi, mj = methods[i], methods[j]
    if mi != mj:
        r, s = (i, j) if mi < mj else (j, i)
        third = ({1, 2, 3} - {mi, mj}).pop()
        products.method(third, (r, s), (r, s))
        row, col = PAIR_MIXED[(methods[r], methods[s])]
        products.add(products.local((r, s), row), products.local((r, s), col))
        return
    n = products.size
    d = (j - i) % n
    for e in range(1, d):
        b = (i + e) % n
        key = (mi, methods[b])
        if key in BRIDGES and frozenset((i, b)) in done and frozenset((b, j)) in done:
            virtual, row, col = BRIDGES[key]
            products.method(virtual, (i, b, j), (i, b, j))
            products.add(products.local((i, b, j), row), products.local((i, b, j), col))
            return
    raise DecompError(f"internal: no bridge for the pair ({i}, {j}) of methods {mi}, {mj}")


def _windows(p: int, n: int, signs: tuple[int, ...] | None = None) -> np.ndarray:
    """M (n x p): the identity, then n - p rows R with every cyclic window
    of p consecutive rows of determinant +-1. Such a window is the identity
    with some rows of R in place of some of its rows, so its determinant is
    a minor of R: a leading one, one over m = n - p consecutive columns, or
    a trailing one. R is 1 where column c = row u (mod m) on the first
    p - (p mod m) columns (every m consecutive columns there are a
    permutation matrix), and the last p mod m columns are the same
    construction for (p mod m, m), transposed: the remainders' recursion of
    Euclid's algorithm (_integer_inverse checks every window used).
    `signs`: one per non-zero of R, row by row, in place of its 1s (the
    windows' determinants may change; _integer_inverse refuses those no
    longer unimodular): other schemes of the same rank, some of which reach
    {-1, 0, 1} where the 0/1 one does not (_sign_variants)."""
    M = np.zeros((n, p), dtype=np.int64)
    M[:p] = np.eye(p, dtype=np.int64)
    M[p:] = _comb(n - p, p)
    if signs is not None:
        rows, cols = np.nonzero(M[p:])
        M[p + rows, cols] = signs
    return M


def _comb(m: int, p: int) -> np.ndarray:
    R = np.zeros((m, p), dtype=np.int64)
    if m == 0:
        return R
    rest = p % m
    body = np.arange(p - rest)
    R[body % m, body] = 1
    if rest:
        R[:, p - rest:] = _comb(rest, m).T
    return R


def _integer_inverse(A: np.ndarray) -> np.ndarray:
    """The window's exact inverse (symmetry.inverse_matrix), integral when the
    window is unimodular as _windows promises."""
    inv = inverse_matrix(A, Ring.Z)
    if any(isinstance(v, Fraction) for v in inv.ravel()):
        raise DecompError("internal: a window of the Hopcroft-Kerr construction is not unimodular")
    return inv.astype(np.int64)


@lru_cache(maxsize=None)
def _banded(p: int, n: int, signs: tuple[int, ...] | None = None) -> Scheme:
    """p <= n <= 2p - 1: the band, every column's window inside it (signs:
    _windows')."""
    k = (p - 1) // 2
    methods = _colouring(n)
    products = _Products(n)
    for i in range(n):
        products.method(methods[i], (i,), (i,))
    cells = {(i, i) for i in range(n)}
    done: set = set()
    for d in range(1, k + 1):
        for i in range(n):
            j = (i + d) % n
            _pair(products, methods, i, j, done)
            done.add(frozenset((i, j)))
            cells |= {(i, j), (j, i)}
    window = {j: [(j + t) % n for t in range(-k, k + 1)] for j in range(n)}
    if p % 2 == 0:
        _extra_cells(products, methods, p, n, done, cells, window)
    return _assemble(p, n, products, cells, window, signs)


def _extra_cells(products, methods, p, n, done, cells, window) -> None:
    """Even p: each column's cell at distance k+1, by a matching of the
    circulant i <-> i+k+1 (3 products a pair), the rest 2 products each."""
    step = p // 2
    seen: set = set()
    for start in range(n):
        if start in seen:
            continue
        cycle, i = [], start
        while i not in seen:
            seen.add(i)
            cycle.append(i)
            i = (i + step) % n
        for t in range(0, len(cycle) - 1, 2):
            i, j = cycle[t], (cycle[t] + step) % n
            _pair(products, methods, i, j, done)
            done.add(frozenset((i, j)))
            cells |= {(i, j), (j, i)}
            window[j] = window[j] + [i]       # column j's cell from row i = j - (k+1)
            window[i] = [j] + window[i]       # column i's cell from row j = i + k+1
        if len(cycle) % 2:
            c = cycle[-1]
            r = (c + step) % n
            for comp in range(2):
                row = np.zeros(2 * n, dtype=np.int64)
                col = np.zeros(2 * n, dtype=np.int64)
                row[2 * r + comp] = 1
                col[2 * c + comp] = 1
                products.add(row, col)
            cells.add((r, c))
            window[c] = [r] + window[c]


def _assemble(p: int, n: int, products: _Products, cells: set, window: dict, signs=None) -> Scheme:
    """Read every needed cell off the products (a linear system solved
    over Z) and turn the windows' inverses into the scheme's factors."""
    R = len(products.rows)
    rows = np.array(products.rows)           # R x 2n
    cols = np.array(products.cols)           # R x 2n
    basis = np.einsum("ra,rb->abr", rows, cols).reshape(4 * n * n, R)
    needed = sorted(cells)
    targets = np.zeros((4 * n * n, len(needed)), dtype=np.int64)
    for t, (i, j) in enumerate(needed):
        for c in range(2):
            targets[(2 * i + c) * 2 * n + 2 * j + c, t] = 1
    basis = basis.astype(float)
    solution, *_ = np.linalg.lstsq(basis, targets.astype(float), rcond=None)
    coef = np.rint(solution)
    # small integers, exact in floating point (and the scheme is verified exactly below)
    if not np.array_equal(basis @ coef, targets):
        raise DecompError(f"internal: the Hopcroft-Kerr cells of <{p},2,{n}> are not integral combinations")
    coef = coef.astype(np.int64)
    cell_coef = {cell: coef[:, t] for t, cell in enumerate(needed)}
    M = _windows(p, n, signs)
    fmt = Format(p, 2, n)
    U = np.zeros((2 * p, R), dtype=np.int64)
    for c in range(2):
        # abar_i's component c is sum_l M[i,l] A[l,c]
        U[c::2] = M.T @ rows[:, c::2].T
    V = np.zeros((2 * n, R), dtype=np.int64)
    for c in range(2):
        V[c * n:(c + 1) * n] = cols[:, c::2].T
    W = np.zeros((p * n, R), dtype=np.int64)
    for j in range(n):
        rows_j = window[j]
        inverse = _integer_inverse(M[rows_j])
        cell_matrix = np.array([cell_coef[(i, j)] for i in rows_j])   # p x R
        W[j * p:(j + 1) * p] = inverse @ cell_matrix                  # C[l, j] for l = 0..p-1
    return Scheme(fmt, U, V, W, ring=Ring.Z, provenance=_provenance()).require_valid()


def all_hopcroft_kerr(max_dim: int, ternary: bool = False) -> list[Scheme]:
    """Every <p,2,n> construction with 3 <= p <= n <= max_dim (below 3, direct
    sums of Strassen's algorithm already give the bound). With `ternary`,
    those with every entry in {-1, 0, 1}, over zt: as built (p = n), brought
    there by signs or a short change of basis (most with n > p + 2), from
    another sign pattern of the window rows (<7,2,8>: _sign_variants), or
    summed from ternary blocks (n > 2p - 1); up to 16, 83 of the 105 (not
    <7,2,9>, <8,2,9>, <8,2,10>, <9,2,10>, <7,2,16> and 17 more with p >= 9)."""
    pairs = itertools.combinations_with_replacement(range(3, max_dim + 1), 2)
    if not ternary:
        return [hopcroft_kerr(p, n) for p, n in pairs]
    found = (_ternary(p, n) for p, n in pairs)
    return [s for s in found if s is not None]


# The sign search (_sign_variants) tries every pattern of at most this many
# non-zeros in R, the first fixed (2^6 = 64 schemes, about 2 s at <7,2,8>);
# past it the patterns are too many to build, and none of 128 to 256 took
# <7,2,9>, <8,2,9>, <8,2,10> or <9,2,10> to {-1, 0, 1} (30 to 40 s each,
# measured once), so the search stops there.
SIGN_SEARCH_MAX_NONZEROS = 7
# the schemes with the least coefficient excess are tried, with a longer
# change of basis than the first attempt (<7,2,8> needs 50,000 steps)
SIGN_SEARCH_TRIES = 4


@lru_cache(maxsize=None)
def _ternary(p: int, n: int) -> Scheme | None:
    if p > 1 and n > 2 * p - 1:
        blocks = [_ternary(p, s) for s in _cut(p, n)]
        if all(b is not None for b in blocks):  # a sum of ternary blocks is ternary
            return _summed(blocks, Ring.ZT)
    s, _ = ternary_of(hopcroft_kerr(p, n), iterations=2_000, tries=1)
    if s is None and p > 1 and n <= 2 * p - 1:
        s = _sign_variants(p, n)
    return None if s is None else s.with_factors(*s.factors, **_provenance())


def _sign_variants(p: int, n: int) -> Scheme | None:
    """The band built with every other sign pattern of R's non-zeros
    (_windows), those with the least coefficient excess brought to {-1, 0, 1}
    by ternary_of; None when R has too many non-zeros or none gets there.
    <7,2,8> (88, the Z record, R one row of seven 1s): its 0/1 scheme has
    entries up to 4 and 47 units of excess, the pattern (1, 1, -1, -1, -1,
    -1, -1) 22 units, which a change of basis takes to {-1, 0, 1}."""
    nonzeros = int(np.count_nonzero(_comb(n - p, p)))
    if not 0 < nonzeros <= SIGN_SEARCH_MAX_NONZEROS:
        return None
    built = []
    for rest in itertools.product((1, -1), repeat=nonzeros - 1):
        try:
            s = _banded(p, n, (1, *rest))
        except DecompError:  # a window no longer unimodular
            continue
        built.append((coefficient_excess(s), len(built), s))
    for _, _, s in sorted(built, key=lambda b: b[:2])[:SIGN_SEARCH_TRIES]:
        found, _ = ternary_of(s, iterations=50_000, tries=1)
        if found is not None:
            return found
    return None
