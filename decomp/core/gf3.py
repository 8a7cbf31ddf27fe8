"""Linear systems mod 3, for the 3-adic lift (lift3.py).

Rows are bit-sliced: a row of values in {0, 1, 2} is two bit masks, the
entries equal to 1 and those equal to 2 (= -1), 64 entries per word, so a
row operation is a dozen word operations per 64 entries instead of 64
multiplications. The lift of a 4x4x5 scheme at rank 61 reduces a 6400 x
9816 system once (its Jacobian beside the identity); dense bytes would take
64 times as many steps.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_ONE = np.uint64(1)


@njit(inline="always")
def add3(a, b, p, n):
    """The masks of (a, b) + (p, n) mod 3, entrywise, for masks of the
    entries equal to 1 (a, p) and to 2 = -1 (b, n): 1 + 1 = -1 and
    -1 + -1 = 1, opposite signs cancel. (The GF(3) walk's sums too:
    solvers/flip/ternary_kernel.py.)"""
    P = (a & ~p & ~n) | (p & ~a & ~b) | (b & n)
    N = (b & ~p & ~n) | (n & ~a & ~b) | (a & p)
    return P, N


def pack3(M: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The masks (P, N) of the values 1 and 2 of M mod 3, rows padded to
    `width` bits (a multiple of 64)."""
    M = np.asarray(M) % 3  # in M's own integer type: a Jacobian stays int8
    rows, cols = M.shape
    planes = []
    for value in (1, 2):
        bits = np.zeros((rows, width), dtype=np.uint8)
        bits[:, :cols] = M == value
        planes.append(np.packbits(bits, axis=1, bitorder="little").view(np.uint64).copy())
    return planes[0], planes[1]


def unpack3(P: np.ndarray, N: np.ndarray, cols: int) -> np.ndarray:
    """Values in {-1, 0, 1} (int8) of the first `cols` columns of masks P, N."""
    p = np.unpackbits(P.view(np.uint8), axis=1, bitorder="little")[:, :cols]
    n = np.unpackbits(N.view(np.uint8), axis=1, bitorder="little")[:, :cols]
    return p.astype(np.int8) - n.astype(np.int8)


@njit(cache=True)
def _eliminate(P, N, ncols):
    """Reduced row echelon form mod 3, in place, on the first ncols
    columns (later columns ride along); pivots scaled to 1. Returns the
    pivot columns (pivot i in row i)."""
    nrows, nwords = P.shape
    pivots = np.empty(min(nrows, ncols), dtype=np.int64)
    row = 0
    for col in range(ncols):
        if row == nrows:
            break
        w = col >> 6
        b = _ONE << np.uint64(col & 63)
        p = row
        while p < nrows and ((P[p, w] | N[p, w]) & b) == 0:
            p += 1
        if p == nrows:
            continue
        if p != row:
            for k in range(nwords):
                P[p, k], P[row, k] = P[row, k], P[p, k]
                N[p, k], N[row, k] = N[row, k], N[p, k]
        if N[row, w] & b:  # pivot -1: negate the row
            for k in range(nwords):
                P[row, k], N[row, k] = N[row, k], P[row, k]
        # The pivot row is zero left of col (earlier columns are pivots
        # cleared from it, or have no entry at or below row), so words
        # before w are left alone.
        for i in range(nrows):
            if i == row or ((P[i, w] | N[i, w]) & b) == 0:
                continue
            minus = (P[i, w] & b) != 0  # entry 1: subtract the pivot row, i.e. add its negative
            for k in range(w, nwords):
                if minus:
                    q, n = N[row, k], P[row, k]
                else:
                    q, n = P[row, k], N[row, k]
                P[i, k], N[i, k] = add3(P[i, k], N[i, k], q, n)
        pivots[row] = col
        row += 1
    return pivots[:row]


@njit(inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@njit(cache=True)
def _matvec(P, N, vp, vn):
    """(M v) mod 3 for M and v given by their masks, as values in {0, 1, 2}."""
    nrows, nwords = P.shape
    out = np.empty(nrows, dtype=np.int64)
    for i in range(nrows):
        plus = np.uint64(0)
        minus = np.uint64(0)
        for k in range(nwords):
            plus += _popcount(P[i, k] & vp[k]) + _popcount(N[i, k] & vn[k])
            minus += _popcount(P[i, k] & vn[k]) + _popcount(N[i, k] & vp[k])
        out[i] = (np.int64(plus) - np.int64(minus)) % 3
    return out


class Solver3:
    """J reduced mod 3 once, with the row operations kept, so that J x = rhs
    (mod 3) is solved for each new right-hand side without eliminating again,
    the free unknowns set as the caller prefers (lift3.py takes the same J
    at every Hensel step)."""

    def __init__(self, J: np.ndarray):
        nrows, ncols = J.shape
        width = -(-ncols // 64) * 64  # the row operations start on a word
        total = width + (-(-nrows // 64) * 64)
        P, N = pack3(J, total)
        eye = np.arange(nrows)
        P[eye, (width + eye) >> 6] |= _ONE << (eye & 63).astype(np.uint64)
        pivots = _eliminate(P, N, ncols)
        self.rank = len(pivots)
        self.pivots = pivots
        self.free = np.setdiff1d(np.arange(ncols), pivots)
        reduced = unpack3(P[: self.rank, : width // 64], N[: self.rank, : width // 64], ncols)
        self.R = reduced[:, self.free]  # pivot rows on the free columns
        self.TP, self.TN = P[:, width // 64:].copy(), N[:, width // 64:].copy()  # the row operations
        self.ncols = ncols

    def solve(self, rhs: np.ndarray, prefer: np.ndarray | None = None) -> np.ndarray | None:
        """One solution in {-1, 0, 1} of J x = rhs mod 3, its free unknowns
        taken from `prefer` (zero when None); None when there is none."""
        vp, vn = pack3(np.asarray(rhs)[None, :], self.TP.shape[1] * 64)
        b = _matvec(self.TP, self.TN, vp[0], vn[0])
        if np.any(b[self.rank:]):
            return None  # inconsistent
        x = np.zeros(self.ncols, dtype=np.int64) if prefer is None else np.asarray(prefer, dtype=np.int64) % 3
        x[self.pivots] = (b[: self.rank] - self.R @ x[self.free]) % 3
        return np.where(x == 2, -1, x)
