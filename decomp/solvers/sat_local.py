"""Local search on the Brent equations over GF(2) (the idea of Heule,
Kauers & Seidl, "Local search for fast matrix multiplication", SAT 2019,
who ran a local-search SAT solver on the CNF).

Here the search works on the equations themselves rather than on a CNF:
the state is the R terms' factors as bit masks, and E = T + sum of the
terms (mod 2), one 64-bit mask over the W rows for every (U row, V row).
The violated equations are the one bits of E; a solution is E = 0. Each
step picks a violated equation (a, b, c) at random and flips one factor
bit that changes it: u_r[a] where v_r[b] w_r[c] = 1, v_r[b] where
u_r[a] w_r[c] = 1, or w_r[c] where u_r[a] v_r[b] = 1. With probability
`noise` the flip is a random one of these (a random walk step, as in
WalkSAT), otherwise the one that lowers the weighted count of violated
equations most, ties broken at random; a bit flipped within the last
`tabu` steps is not flipped back by the greedy choice. When no term covers
two of the three positions, a random one of u_r[a], v_r[b], w_r[c] is
flipped.

Equation weights (the breakout method, Morris 1993; the clause weighting of
local-search SAT solvers): every equation starts at weight 1, and when no
candidate flip lowers the weighted count, every equation violated at that
point gains 1. Without them the search settled at 2 or 3 violated
equations on 2x3x3 rank 15 in every run tried; with them it finds schemes
there in 4 of 5 seeds within 60 s (README, bench/sat_speed.py).

Local search never proves that no scheme exists; the CDCL solvers do that.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .flip import from_bits, to_bits
from .flip_kernel import _below, _rand  # the flip walk's xorshift generator


@njit(inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(inline="always")
def _bit(x, i):
    return (x >> np.uint64(i)) & np.uint64(1)


@njit(cache=True)
def residual(T, U, V, W):
    """E[a, b] = T[a, b] + sum_r u_r[a] v_r[b] w_r (mod 2), W rows as bits."""
    E = T.copy()
    for r in range(U.shape[0]):
        for a in range(E.shape[0]):
            if _bit(U[r], a):
                for b in range(E.shape[1]):
                    if _bit(V[r], b):
                        E[a, b] ^= W[r]
    return E


@njit(cache=True)
def _delta(E, U, V, W, r, mode, q):
    """Change in the number of violated equations if bit q of factor
    `mode` of term r were flipped."""
    d = 0
    if mode == 0:
        for b in range(E.shape[1]):
            if _bit(V[r], b):
                d += _popcount(E[q, b] ^ W[r]) - _popcount(E[q, b])
    elif mode == 1:
        for a in range(E.shape[0]):
            if _bit(U[r], a):
                d += _popcount(E[a, q] ^ W[r]) - _popcount(E[a, q])
    else:
        for a in range(E.shape[0]):
            if _bit(U[r], a):
                for b in range(E.shape[1]):
                    if _bit(V[r], b):
                        d += 1 - 2 * np.int64(_bit(E[a, b], q))
    return d


@njit(inline="always")
def _low_index(x):
    """Index of the lowest one bit of x (x != 0)."""
    c = 0
    while not _bit(x, c):
        c += 1
    return c


@njit(cache=True)
def _weighted_delta(E, U, V, W, wt, r, mode, q):
    """Like _delta, each equation counted with its weight wt[a, b, c]."""
    d = 0
    if mode == 2:
        for a in range(E.shape[0]):
            if _bit(U[r], a):
                for b in range(E.shape[1]):
                    if _bit(V[r], b):
                        d += wt[a, b, q] * (1 - 2 * np.int64(_bit(E[a, b], q)))
        return d
    rows = V[r] if mode == 0 else U[r]
    for other in range(E.shape[1] if mode == 0 else E.shape[0]):
        if not _bit(rows, other):
            continue
        a, b = (q, other) if mode == 0 else (other, q)
        x = W[r]
        while x:
            c = _low_index(x)
            d += wt[a, b, c] * (1 - 2 * np.int64(_bit(E[a, b], c)))
            x &= x - np.uint64(1)
    return d


@njit(cache=True)
def _apply(E, U, V, W, r, mode, q):
    one = np.uint64(1) << np.uint64(q)
    if mode == 0:
        U[r] ^= one
        for b in range(E.shape[1]):
            if _bit(V[r], b):
                E[q, b] ^= W[r]
    elif mode == 1:
        V[r] ^= one
        for a in range(E.shape[0]):
            if _bit(U[r], a):
                E[a, q] ^= W[r]
    else:
        W[r] ^= one
        for a in range(E.shape[0]):
            if _bit(U[r], a):
                for b in range(E.shape[1]):
                    if _bit(V[r], b):
                        E[a, b] ^= one


@njit(cache=True)
def search(T, U, V, W, wt, frozen, steps, noise, tabu, rng, last, counters):
    """Up to `steps` flips from the factors U, V, W (updated in place).
    frozen[r, mode]: bits of that factor that never flip (a fixed part of a known scheme);
    wt[a, b, c]: the equations' weights (updated in place; start at 1);
    last[r, mode, q]: step of the last flip of that bit (tabu);
    counters: [steps so far, fewest violated equations seen].
    Returns the number of violated equations (0: a scheme)."""
    E = residual(T, U, V, W)
    nu, nv = E.shape[0], E.shape[1]
    R = U.shape[0]
    violated = 0
    for a in range(nu):
        for b in range(nv):
            violated += _popcount(E[a, b])
    cand_r = np.empty(3 * R, dtype=np.int64)
    cand_m = np.empty(3 * R, dtype=np.int64)
    cand_q = np.empty(3 * R, dtype=np.int64)
    step = counters[0]
    noise_bits = np.uint64(noise * 4294967296.0)
    for _ in range(steps):
        if violated == 0:
            break
        # a violated equation, uniformly: a cell by rejection, then one of its bits
        while True:
            a = _below(rng, nu)
            b = _below(rng, nv)
            if E[a, b] != 0:
                break
        k = _below(rng, _popcount(E[a, b]))
        x = E[a, b]
        for _i in range(k):
            x &= x - np.uint64(1)
        c = _low_index(x)
        n = 0
        for r in range(R):
            ua, vb, wc = _bit(U[r], a), _bit(V[r], b), _bit(W[r], c)
            if vb and wc and not _bit(frozen[r, 0], a):
                cand_r[n], cand_m[n], cand_q[n] = r, 0, a
                n += 1
            if ua and wc and not _bit(frozen[r, 1], b):
                cand_r[n], cand_m[n], cand_q[n] = r, 1, b
                n += 1
            if ua and vb and not _bit(frozen[r, 2], c):
                cand_r[n], cand_m[n], cand_q[n] = r, 2, c
                n += 1
        if n == 0:
            free = False
            for _t in range(3 * R):  # a random bit of the equation's rows that may flip
                r = _below(rng, R)
                mode = _below(rng, 3)
                q = a if mode == 0 else (b if mode == 1 else c)
                if not _bit(frozen[r, mode], q):
                    free = True
                    break
            if not free:
                step += 1
                continue
        elif (_rand(rng) >> np.uint64(32)) < noise_bits:
            i = _below(rng, n)
            r, mode, q = cand_r[i], cand_m[i], cand_q[i]
        else:
            best, ties = 1 << 40, 0
            r, mode, q = cand_r[0], cand_m[0], cand_q[0]
            for i in range(n):
                ri, mi, qi = cand_r[i], cand_m[i], cand_q[i]
                if step - last[ri, mi, qi] <= tabu:
                    continue
                d = _weighted_delta(E, U, V, W, wt, ri, mi, qi)
                if d < best:
                    best, ties = d, 1
                    r, mode, q = ri, mi, qi
                elif d == best:
                    ties += 1
                    if _below(rng, ties) == 0:
                        r, mode, q = ri, mi, qi
            if best >= 0:
                # no flip lowers the weighted cost: a local minimum; weigh the
                # equations violated here up so that the search leaves it
                for aa in range(nu):
                    for bb in range(nv):
                        x = E[aa, bb]
                        while x:
                            wt[aa, bb, _low_index(x)] += 1
                            x &= x - np.uint64(1)
        violated += _delta(E, U, V, W, r, mode, q)
        _apply(E, U, V, W, r, mode, q)
        last[r, mode, q] = step
        step += 1
        counters[1] = min(counters[1], violated)
    counters[0] = step
    return violated


def random_factors(rows: tuple[int, int, int], rank: int, density: float, seed: int):
    """Random 0/1 factors as bit masks (bit q: row q), each bit set with probability `density`."""
    gen = np.random.default_rng(seed)
    out = []
    for n in rows:
        out.append(_masks_of(gen.random((n, rank)) < density))
    return out


def tensor_bits(T: np.ndarray) -> np.ndarray:
    """T (nm x mp x pn, mod 2) as E's layout: T[a, b] a mask over the W rows."""
    T = np.asarray(T) % 2
    weights = np.uint64(1) << np.arange(T.shape[2], dtype=np.uint64)
    return (T.astype(np.uint64) * weights).sum(axis=2, dtype=np.uint64)


# Each try starts from random factors with this share of ones: the setting
# README's figures were measured with (before the equation weights, 0.15 and
# 0.5 did no better on 2x3x3 rank 15).
_DENSITY = 0.3
_SLICE_STEPS = 200_000


def fixed_terms(known, rank: int, terms) -> tuple[np.ndarray, np.ndarray]:
    """The given terms of a known scheme fixed in columns 0, 1, ... (as the
    CNF's fix_clauses place them): (values, frozen) bit masks of shape
    (rank, 3); the other columns are free."""
    values = np.zeros((rank, 3), dtype=np.uint64)
    frozen = np.zeros((rank, 3), dtype=np.uint64)
    values[: len(terms)] = to_bits(known, known.rank, words=1)[:, terms].T
    frozen[: len(terms)] = [(1 << rows) - 1 for rows in known.fmt.shape]
    return values, frozen


def _masks_of(mat: np.ndarray) -> np.ndarray:
    """0/1 matrix (rows x terms) as one bit mask per term (random starts)."""
    weights = np.uint64(1) << np.arange(mat.shape[0], dtype=np.uint64)
    return (mat.astype(np.uint64) * weights[:, None]).sum(axis=0, dtype=np.uint64)


def find(fmt, rank: int, seed: int, noise: float, tabu: int, restart_steps: int, should_stop, fixed=None):
    """Tries from random starts until a scheme is found or should_stop(state)
    says stop; returns (U, V, W) as 0/1 matrices with zero terms dropped, or
    None, and the counters (steps, tries, fewest violated equations).
    fixed: (values, frozen) from fixed_terms, kept in every try."""
    T = tensor_bits(fmt.tensor())
    rng = np.array([np.uint64((int(seed) * 0x9E3779B97F4A7C15 + 1) % (1 << 64) or 1)], dtype=np.uint64)
    values, frozen = fixed if fixed is not None else (np.zeros((rank, 3), np.uint64), np.zeros((rank, 3), np.uint64))
    stats = {"steps": 0, "tries": 0, "fewest_violated": None}
    while True:
        U, V, W = random_factors(fmt.shape, rank, _DENSITY, int(seed) * 1_000_003 + stats["tries"])
        for mode, M in enumerate((U, V, W)):
            M[:] = (M & ~frozen[:, mode]) | values[:, mode]
        stats["tries"] += 1
        wt = np.ones(fmt.shape, dtype=np.int64)
        last = np.full((rank, 3, 64), -(1 << 40), dtype=np.int64)
        counters = np.array([0, 1 << 40], dtype=np.int64)
        while counters[0] < restart_steps:
            before = int(counters[0])
            left = search(T, U, V, W, wt, frozen, min(_SLICE_STEPS, restart_steps - before), noise, tabu, rng,
                          last, counters)
            stats["steps"] += int(counters[0]) - before
            fewest = stats["fewest_violated"]
            stats["fewest_violated"] = int(counters[1]) if fewest is None else min(fewest, int(counters[1]))
            if left == 0:
                live = (U != 0) & (V != 0) & (W != 0)  # a zero factor makes a zero term
                found = from_bits(np.stack([U[live], V[live], W[live]]), int(live.sum()), fmt, {})
                return found.factors, stats
            if should_stop(dict(stats, violated=int(left))):
                return None, stats
