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

Tied variables (solvers/cyclic.py): over cyclic-symmetric schemes of <n,n,n> one
variable stands for the same factor vector in the three terms of an orbit,
and a flip changes all three (symmetry=cyclic, a streamlining option: 3x3x3
rank 23 in about a second, against none in 30 minutes unrestricted).

Local search never proves that no scheme exists; the CDCL solvers do that.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..cyclic import cyclic_ties, plain_ties
from ..gf2.bits import from_bits, to_bits
from ..gf2.rng import below, generator, rand


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
def _apply_var(E, U, V, W, pos, npos, v, q):
    """Flip bit q of variable v (every factor position tied to it, in turn);
    returns the change in the number of violated equations."""
    d = 0
    for i in range(npos[v]):
        r, mode = pos[v, i, 0], pos[v, i, 1]
        d += _delta(E, U, V, W, r, mode, q)
        _apply(E, U, V, W, r, mode, q)
    return d


@njit(cache=True)
def _var_weighted_delta(E, U, V, W, wt, pos, npos, v, q):
    """Change in the weighted count if bit q of variable v were flipped. A
    variable tied to several positions is flipped position by position (each
    delta taken on the state the previous flips left) and then flipped back
    in reverse order, which restores E exactly."""
    d = 0
    for i in range(npos[v]):
        r, mode = pos[v, i, 0], pos[v, i, 1]
        d += _weighted_delta(E, U, V, W, wt, r, mode, q)
        _apply(E, U, V, W, r, mode, q)
    for i in range(npos[v] - 1, -1, -1):
        _apply(E, U, V, W, pos[v, i, 0], pos[v, i, 1], q)
    return d


@njit(cache=True)
def search(T, U, V, W, wt, ties, frozen, steps, noise, tabu, rng, last, counters):
    """Up to `steps` flips from the factors U, V, W (updated in place).
    ties = (var_of, pos, npos): the search's variables are factor vectors;
    var_of[r, mode] is the variable that factor `mode` of term r belongs
    to, and variable v is the pos[v, :npos[v]] (term, mode) positions, which
    always hold the same bits (one each without symmetry; three for a
    cyclic-symmetric scheme, see solvers/cyclic.py);
    frozen[v]: bits of variable v that never flip (a fixed part of a known scheme);
    wt[a, b, c]: the equations' weights (updated in place; start at 1);
    last[v, q]: step of the last flip of that bit (tabu);
    counters: [steps so far, fewest violated equations seen].
    Returns the number of violated equations (0: a scheme)."""
    var_of, pos, npos = ties
    E = residual(T, U, V, W)
    nu, nv = E.shape[0], E.shape[1]
    R = U.shape[0]
    violated = 0
    for a in range(nu):
        for b in range(nv):
            violated += _popcount(E[a, b])
    cand_v = np.empty(3 * R, dtype=np.int64)
    cand_q = np.empty(3 * R, dtype=np.int64)
    step = counters[0]
    noise_bits = np.uint64(noise * 4294967296.0)
    for _ in range(steps):
        if violated == 0:
            break
        # a violated equation, uniformly: a cell by rejection, then one of its bits
        while True:
            a = below(rng, nu)
            b = below(rng, nv)
            if E[a, b] != 0:
                break
        k = below(rng, _popcount(E[a, b]))
        x = E[a, b]
        for _i in range(k):
            x &= x - np.uint64(1)
        c = _low_index(x)
        n = 0
        for r in range(R):
            ua, vb, wc = _bit(U[r], a), _bit(V[r], b), _bit(W[r], c)
            if vb and wc and not _bit(frozen[var_of[r, 0]], a):
                cand_v[n], cand_q[n] = var_of[r, 0], a
                n += 1
            if ua and wc and not _bit(frozen[var_of[r, 1]], b):
                cand_v[n], cand_q[n] = var_of[r, 1], b
                n += 1
            if ua and vb and not _bit(frozen[var_of[r, 2]], c):
                cand_v[n], cand_q[n] = var_of[r, 2], c
                n += 1
        if n == 0:
            free = False
            for _t in range(3 * R):  # a random bit of the equation's rows that may flip
                r = below(rng, R)
                mode = below(rng, 3)
                q = a if mode == 0 else (b if mode == 1 else c)
                v = var_of[r, mode]
                if not _bit(frozen[v], q):
                    free = True
                    break
            if not free:
                step += 1
                continue
        elif (rand(rng) >> np.uint64(32)) < noise_bits:
            i = below(rng, n)
            v, q = cand_v[i], cand_q[i]
        else:
            best, ties_seen = 1 << 40, 0
            v, q = cand_v[0], cand_q[0]
            for i in range(n):
                vi, qi = cand_v[i], cand_q[i]
                if step - last[vi, qi] <= tabu:
                    continue
                if npos[vi] == 1:  # one position (no symmetry) called directly: the helper call cost 1.6x on 2x3x3
                    d = _weighted_delta(E, U, V, W, wt, pos[vi, 0, 0], pos[vi, 0, 1], qi)
                else:
                    d = _var_weighted_delta(E, U, V, W, wt, pos, npos, vi, qi)
                if d < best:
                    best, ties_seen = d, 1
                    v, q = vi, qi
                elif d == best:
                    ties_seen += 1
                    if below(rng, ties_seen) == 0:
                        v, q = vi, qi
            if best >= 0:
                # no flip lowers the weighted cost: a local minimum; weigh the
                # equations violated here up so that the search leaves it
                for aa in range(nu):
                    for bb in range(nv):
                        x = E[aa, bb]
                        while x:
                            wt[aa, bb, _low_index(x)] += 1
                            x &= x - np.uint64(1)
        if npos[v] == 1:  # called directly, as for the delta above
            r, mode = pos[v, 0, 0], pos[v, 0, 1]
            violated += _delta(E, U, V, W, r, mode, q)
            _apply(E, U, V, W, r, mode, q)
        else:
            violated += _apply_var(E, U, V, W, pos, npos, v, q)
        last[v, q] = step
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


def tie_factors(U, V, W, ties) -> None:
    """Make tied positions equal (in place): each factor takes the value of
    its variable's first position, so any start becomes a tied one."""
    var_of, pos, _ = ties
    first = pos[var_of, 0]  # (rank, 3, 2): the position each factor copies
    F = np.stack([U, V, W], axis=1)
    U[:], V[:], W[:] = F[first[..., 0], first[..., 1]].T


def find(fmt, rank: int, seed: int, noise: float, tabu: int, restart_steps: int, should_stop, fixed=None,
         symmetric=None):
    """Tries from random starts until a scheme is found or should_stop(state)
    says stop; returns (U, V, W) as 0/1 matrices with zero terms dropped, or
    None, and the counters (steps, tries, fewest violated equations).
    fixed: (values, frozen) from fixed_terms, kept in every try.
    symmetric: None for any scheme; s for cyclic-symmetric schemes of <n,n,n>
    with s terms x(x)x (rank - s a multiple of 3; see solvers/cyclic.py)."""
    T = tensor_bits(fmt.tensor())
    rng = generator(seed)
    values, frozen = fixed if fixed is not None else (np.zeros((rank, 3), np.uint64), np.zeros((rank, 3), np.uint64))
    ties = plain_ties(rank) if symmetric is None else cyclic_ties(rank, symmetric)
    var_of, pos, _ = ties
    frozen_vars = np.zeros(len(pos), dtype=np.uint64)
    np.bitwise_or.at(frozen_vars, var_of.ravel(), frozen.ravel())
    stats = {"steps": 0, "tries": 0, "fewest_violated": None}
    while True:
        U, V, W = random_factors(fmt.shape, rank, _DENSITY, int(seed) * 1_000_003 + stats["tries"])
        for mode, M in enumerate((U, V, W)):
            M[:] = (M & ~frozen[:, mode]) | values[:, mode]
        if symmetric is not None:
            tie_factors(U, V, W, ties)
        stats["tries"] += 1
        wt = np.ones(fmt.shape, dtype=np.int64)
        last = np.full((len(pos), 64), -(1 << 40), dtype=np.int64)
        counters = np.array([0, 1 << 40], dtype=np.int64)
        while counters[0] < restart_steps:
            before = int(counters[0])
            left = search(T, U, V, W, wt, ties, frozen_vars, min(_SLICE_STEPS, restart_steps - before), noise, tabu,
                          rng, last, counters)
            stats["steps"] += int(counters[0]) - before
            fewest = stats["fewest_violated"]
            stats["fewest_violated"] = int(counters[1]) if fewest is None else min(fewest, int(counters[1]))
            if left == 0:
                live = (U != 0) & (V != 0) & (W != 0)  # a zero factor makes a zero term
                found = from_bits(np.stack([U[live], V[live], W[live]]), int(live.sum()), fmt, {})
                return found.factors, stats
            if should_stop(dict(stats, violated=int(left))):
                return None, stats
