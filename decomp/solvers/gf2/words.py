"""Factor storage for the flip kernels: one uint64 per factor, or several.

A factor of <n,m,p> is a GF(2) vector of n*m (or m*p, p*n) bits. Up to 64
bits it is one uint64 and a factor array is 2-d, A[mode, t]; beyond that it
is W words and the array is 3-d, A[mode, t, word] (bit q in word q // 64).
The kernels touch factors only through the operations below, which numba
resolves by the array's dimension when it compiles a kernel: the 2-d
versions are the plain scalar expressions, so single-word walks compile to
the same code as before multi-word support, and one kernel source serves
both.

Numba-side operations (call them from jitted code only):
  is_zero(A, m, t)                 A[m, t] == 0
  equal(A, ma, a, B, mb, b)        A[ma, a] == B[mb, b]
  xor_into(D, md, d, S, ms, s)     D[md, d] ^= S[ms, s]
  copy_into(D, md, d, S, ms, s)    D[md, d] = S[ms, s]
  clear(A, m, t)                   A[m, t] = 0
  digest(A, m, t)                  a non-zero uint64 key for a non-zero factor
  digest_is_exact(A)               True when equal digests mean equal factors
  lowest_bit(A, m, t)              (word, mask) of the lowest set bit
  has_bit(A, m, t, word, mask)     is that bit set in A[m, t]
  factor_array(A, rows, n)         zeros shaped like A with (rows, n) leading
Python side: words_for(bits), empty_factors, put_int, get_int.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import overload

WORD_BITS = 64
_MULT = np.uint64(0xBF58476D1CE4E5B9)
# IR-level inlining, as for the kernels' own small helpers; the inlined code
# compiles with the calling kernel's options (no reference counting there).
_INLINE = dict(inline="always")


# ---------------------------------------------------------------- Python side

def words_for(bits: int) -> int:
    return max(1, -(-bits // WORD_BITS))


def empty_factors(rows: int, n: int, words: int) -> np.ndarray:
    """Zero factor array: (rows, n) for one word, (rows, n, words) beyond."""
    return np.zeros((rows, n) if words == 1 else (rows, n, words), dtype=np.uint64)


def put_int(A: np.ndarray, m: int, t: int, value: int) -> None:
    """Store the Python int `value` (bit q = row q) as factor A[m, t]."""
    if A.ndim == 2:
        A[m, t] = value
        return
    for w in range(A.shape[2]):
        A[m, t, w] = (value >> (WORD_BITS * w)) & ((1 << WORD_BITS) - 1)


def get_int(A: np.ndarray, m: int, t: int) -> int:
    if A.ndim == 2:
        return int(A[m, t])
    return sum(int(A[m, t, w]) << (WORD_BITS * w) for w in range(A.shape[2]))


# ----------------------------------------------------------------- numba side
# The stubs are what jitted code calls; @overload supplies the code per array
# dimension. Called from Python they only say where they belong.

def _jitted_only():
    raise TypeError("flip_words operations run inside numba kernels only")


def is_zero(A, m, t): _jitted_only()
def equal(A, ma, a, B, mb, b): _jitted_only()
def xor_into(D, md, d, S, ms, s): _jitted_only()
def copy_into(D, md, d, S, ms, s): _jitted_only()
def clear(A, m, t): _jitted_only()
def digest(A, m, t): _jitted_only()
def digest_is_exact(A): _jitted_only()
def lowest_bit(A, m, t): _jitted_only()
def has_bit(A, m, t, word, bit): _jitted_only()
def factor_array(A, rows, n): _jitted_only()


@overload(is_zero, **_INLINE)
def _is_zero(A, m, t):
    if A.ndim == 2:
        return lambda A, m, t: A[m, t] == 0

    def impl(A, m, t):
        for w in range(A.shape[2]):
            if A[m, t, w] != 0:
                return False
        return True
    return impl


@overload(equal, **_INLINE)
def _equal(A, ma, a, B, mb, b):
    if A.ndim == 2:
        return lambda A, ma, a, B, mb, b: A[ma, a] == B[mb, b]

    def impl(A, ma, a, B, mb, b):
        for w in range(A.shape[2]):
            if A[ma, a, w] != B[mb, b, w]:
                return False
        return True
    return impl


@overload(xor_into, **_INLINE)
def _xor_into(D, md, d, S, ms, s):
    if D.ndim == 2:
        def one(D, md, d, S, ms, s):
            D[md, d] ^= S[ms, s]
        return one

    def impl(D, md, d, S, ms, s):
        for w in range(D.shape[2]):
            D[md, d, w] ^= S[ms, s, w]
    return impl


@overload(copy_into, **_INLINE)
def _copy_into(D, md, d, S, ms, s):
    if D.ndim == 2:
        def one(D, md, d, S, ms, s):
            D[md, d] = S[ms, s]
        return one

    def impl(D, md, d, S, ms, s):
        for w in range(D.shape[2]):
            D[md, d, w] = S[ms, s, w]
    return impl


@overload(clear, **_INLINE)
def _clear(A, m, t):
    if A.ndim == 2:
        def one(A, m, t):
            A[m, t] = 0
        return one

    def impl(A, m, t):
        for w in range(A.shape[2]):
            A[m, t, w] = 0
    return impl


@njit(_nrt=False)
def _digest_words(A, m, t):
    # a plain call, not inlined into the caller's IR: numba's IR inliner
    # mishandles the loop-carried h (NumbaIRAssumptionWarning)
    h = np.uint64(0)
    for w in range(A.shape[2]):
        h = (h ^ A[m, t, w]) * _MULT
        h ^= h >> np.uint64(31)
    return h | np.uint64(1)  # 0 marks a never-used slot in the kernels' tables


@overload(digest, **_INLINE)
def _digest(A, m, t):
    if A.ndim == 2:
        return lambda A, m, t: A[m, t]  # the value itself: exact, and non-zero when the factor is
    return lambda A, m, t: _digest_words(A, m, t)


@overload(digest_is_exact, **_INLINE)
def _digest_is_exact(A):
    exact = A.ndim == 2
    return lambda A: exact


@overload(lowest_bit, **_INLINE)
def _lowest_bit(A, m, t):
    if A.ndim == 2:
        def one(A, m, t):
            x = A[m, t]
            return 0, x & (~x + np.uint64(1))
        return one

    def impl(A, m, t):
        for w in range(A.shape[2]):
            x = A[m, t, w]
            if x != 0:
                return w, x & (~x + np.uint64(1))
        return 0, np.uint64(0)
    return impl


@overload(has_bit, **_INLINE)
def _has_bit(A, m, t, word, bit):
    if A.ndim == 2:
        return lambda A, m, t, word, bit: (A[m, t] & bit) != 0
    return lambda A, m, t, word, bit: (A[m, t, word] & bit) != 0


@overload(factor_array)
def _factor_array(A, rows, n):
    if A.ndim == 2:
        return lambda A, rows, n: np.zeros((rows, n), dtype=np.uint64)
    return lambda A, rows, n: np.zeros((rows, n, A.shape[2]), dtype=np.uint64)
