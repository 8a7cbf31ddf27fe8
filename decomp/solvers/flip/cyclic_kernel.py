"""Numba kernel of the flip-graph walk over cyclic-symmetric schemes (GF(2)).

A scheme for a square format <n,n,n> is cyclic-symmetric when rotating the
three modes, (u, v, w) -> (v, w, u), maps its set of terms to itself
(Moosbauer & Poole, "Flip graphs with symmetry", 2025). In our convention
T = sum e_ij (x) e_jk (x) e_ki, so T itself is invariant and no bit
permutation is needed. Such a scheme is
  - orbits: a representative x = (x0, x1, x2) stands for x, (x1, x2, x0) and
    (x2, x0, x1): three terms;
  - fixed terms a (x) a (x) a, each once.
Rank = 3 * orbits + fixed terms. The walk only ever touches
representatives, and each move is applied to the three rotations at once,
so the scheme stays symmetric and the search space is a third of the size.

Layout: node p = 3t + m is position m of representative t, value G[0, p];
fixed term q is fixed[0, q]. Both are factor arrays of flip_words, so
factors longer than 64 bits work as in the plain kernel.
Every representative's positions go into one equal-factor table (the factor
spaces of the three modes coincide), through the same helpers as the plain
kernel with mode 0. Two nodes p, q with equal value a and different
representatives are a flip: rotating q's representative so a sits at p's
position gives a(x)b_p(x)c_p and a(x)b_q(x)c_q with b, c the next two
positions, and the plain flip c_p += c_q, b_q += b_p, applied to all three
rotations (disjoint pairs, since the orbits differ).

Reductions, kept as invariants after every move:
  - a zero factor: the orbit is zero (rank - 3);
  - two representatives equal at two aligned positions: merge (rank - 3);
  - a representative (a, a, a): its orbit is 3 a(x)a(x)a = a(x)a(x)a over
    GF(2), a fixed term (rank - 2); two equal fixed terms cancel (rank - 2);
  - a representative with two equal positions a whose a(x)a(x)a is a fixed
    term: with c the third position, orbit(a, a, c) + a(x)a(x)a =
    orbit(a, a, a + c) (rank - 1).
Fixed terms and orbits with two equal positions are what let the walk leave
the ranks nfixed + 3k of its start. A periodic scan does the general
reduction of linearly dependent groups, as the plain kernel does.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..gf2.rng import KERNEL, LOW32, U32, below, rand, scale
from .kernel import (
    CNT,
    EPOS,
    HEAD,
    KMAX,
    NELIG,
    NXT,
    SLOT,
    USED,
    first_dependent,
    group_insert,
    factor_add,
    group_remove,
)
from ..gf2.words import clear, copy_into, equal, factor_array, is_zero, xor_into

NFIX = 5  # st[NFIX]: number of fixed terms (st's first five fields are the plain kernel's)


_STEP = ((0, 1, 2), (1, 2, 0), (2, 0, 1))  # _STEP[k][m] = (m + k) % 3, without the hot-path modulo


@njit(inline="always", **KERNEL)
def _after(p, k):
    """The node k positions after node p in the same representative (cyclically)."""
    base = (p // 3) * 3
    return base + _STEP[k][p - base]


@njit(inline="always", **KERNEL)
def _repeats(p, G):
    """Does node p's value occur at another position of its representative?"""
    return equal(G, 0, p, G, 0, _after(p, 1)) or equal(G, 0, p, G, 0, _after(p, 2))


@njit(**KERNEL)
def _rebuild(G, nr, keys, tab, hist, elig, st, shift, mask):
    nfix = st[NFIX]
    keys[:] = 0
    tab[CNT] = 0
    tab[HEAD] = -1
    tab[EPOS] = -1
    hist[:] = 0
    st[:] = 0
    st[NFIX] = nfix
    for p in range(3 * nr):
        if not is_zero(G, 0, p):
            group_insert(0, p, G, keys, tab, hist, elig, st, shift, mask)


@njit(**KERNEL)
def _delete(t, nr, G, keys, tab, hist, elig, st, shift, mask):
    """Remove representative t; the last one moves into its place. Returns
    the new number of representatives."""
    for m in range(3):
        if not is_zero(G, 0, 3 * t + m):
            group_remove(0, 3 * t + m, tab, hist, elig, st)
    last = nr - 1
    if t != last:
        for m in range(3):
            live = not is_zero(G, 0, 3 * last + m)
            if live:
                group_remove(0, 3 * last + m, tab, hist, elig, st)
            copy_into(G, 0, 3 * t + m, G, 0, 3 * last + m)
            if live:
                group_insert(0, 3 * t + m, G, keys, tab, hist, elig, st, shift, mask)
    for m in range(3):
        clear(G, 0, 3 * last + m)
    return nr - 1


@njit(inline="always", **KERNEL)
def _fixed_index(p, G, fixed, st):
    """Where node p's value a is a fixed term a(x)a(x)a, or -1."""
    for q in range(st[NFIX]):
        if equal(fixed, 0, q, G, 0, p):
            return q
    return -1


@njit(**KERNEL)
def _drop_fixed(q, fixed, st):
    """Remove fixed term q (the last one moves into its place). A plain call:
    inlined at IR level (inline="always", numba 0.68) it made long walks hang."""
    n = st[NFIX] - 1
    copy_into(fixed, 0, q, fixed, 0, n)
    clear(fixed, 0, n)
    st[NFIX] = n


@njit(**KERNEL)
def _toggle_fixed(p, G, fixed, st):
    """Add a(x)a(x)a for node p's value a to the fixed terms, or cancel it
    if it is there already."""
    q = _fixed_index(p, G, fixed, st)
    if q >= 0:
        _drop_fixed(q, fixed, st)
        return
    copy_into(fixed, 0, st[NFIX], G, 0, p)
    st[NFIX] += 1


@njit(**KERNEL)
def _own_reduction(t, nr, G, fixed, keys, tab, hist, elig, st, shift, mask):
    """Reductions of representative t on its own (zero factor, (a,a,a), or
    two equal positions absorbing a fixed term). Returns (nr, changed)."""
    p0 = 3 * t
    if is_zero(G, 0, p0) or is_zero(G, 0, p0 + 1) or is_zero(G, 0, p0 + 2):
        return _delete(t, nr, G, keys, tab, hist, elig, st, shift, mask), True
    if equal(G, 0, p0, G, 0, p0 + 1) and equal(G, 0, p0 + 1, G, 0, p0 + 2):
        _toggle_fixed(p0, G, fixed, st)
        return _delete(t, nr, G, keys, tab, hist, elig, st, shift, mask), True
    for m in range(3):
        a = p0 + m  # the node whose value a repeats at the next position
        q = _fixed_index(a, G, fixed, st) if equal(G, 0, a, G, 0, _after(a, 1)) else -1
        if q >= 0:
            _drop_fixed(q, fixed, st)
            c = _after(a, 2)
            if factor_add(0, c, G, 0, a, G, keys, tab, hist, elig, st, shift, mask) == 0:
                nr = _delete(t, nr, G, keys, tab, hist, elig, st, shift, mask)
            return nr, True
    return nr, False


@njit(inline="always", **KERNEL)
def _may_merge(p, G, tab):
    """Read-only test for _merge_at: another representative's node with p's
    value and one more aligned position equal."""
    t = p // 3
    b = _after(p, 1)
    c = _after(p, 2)
    q = tab[HEAD, 0, tab[SLOT, 0, p]]
    while q >= 0:
        if q // 3 != t:
            if equal(G, 0, _after(q, 1), G, 0, b) or equal(G, 0, _after(q, 2), G, 0, c):
                return True
        q = tab[NXT, 0, q]
    return False


@njit(**KERNEL)
def _merge_at(p, nr, G, keys, tab, hist, elig, st, shift, mask):
    """Merge p's representative with another one equal at two aligned
    positions, if any: orbit(a,b,c) + orbit(a,b,c') = orbit(a,b,c+c').
    Returns the new number of representatives."""
    t = p // 3
    q = tab[HEAD, 0, tab[SLOT, 0, p]]
    while q >= 0:
        u = q // 3
        if u != t:
            other = -1
            if equal(G, 0, _after(q, 1), G, 0, _after(p, 1)):
                other = 2
            elif equal(G, 0, _after(q, 2), G, 0, _after(p, 2)):
                other = 1
            if other > 0:
                ou = _after(q, other)
                zero = factor_add(0, ou, G, 0, _after(p, other), G, keys, tab, hist, elig, st, shift, mask) == 0
                last = nr - 1
                nr = _delete(t, nr, G, keys, tab, hist, elig, st, shift, mask)
                if u == last:
                    u = t  # the last representative moved into t's place
                if zero:
                    nr = _delete(u, nr, G, keys, tab, hist, elig, st, shift, mask)
                return nr
        q = tab[NXT, 0, q]
    return nr


@njit(**KERNEL)
def _merge_all(nr, G, fixed, keys, tab, hist, elig, st, shift, mask):
    """Apply every reduction until none is left (after a reduction moved
    representatives around, or from an arbitrary start)."""
    t = 0
    while t < nr:
        nr, changed = _own_reduction(t, nr, G, fixed, keys, tab, hist, elig, st, shift, mask)
        if not changed:
            for m in range(3):
                nr2 = _merge_at(3 * t + m, nr, G, keys, tab, hist, elig, st, shift, mask)
                if nr2 < nr:
                    nr = nr2
                    changed = True
                    break
        t = 0 if changed else t + 1
    return nr


@njit(**KERNEL)
def _reduce_dependent(nr, G, fixed, keys, tab, hist, elig, st, shift, mask, members, vecs, combo):
    """The plain kernel's general reduction, on aligned representatives: in
    a group of nodes with value a (distinct representatives), if the next
    positions x are linearly dependent, x_0 = sum of some x_p, then
    a(x)x_0(x)y_0 moves into those terms' y and one orbit goes (rank - 3).
    Returns the new number of representatives (nr when nothing was found)."""
    for q0 in range(st[NELIG]):
        p0 = elig[q0] >> 2
        s = tab[SLOT, 0, p0]
        if tab[HEAD, 0, s] != p0 or tab[CNT, 0, s] < 3:
            continue  # visit each group once, from its head
        k = 0
        q = p0
        while q >= 0 and k < 64:
            members[k] = q
            k += 1
            q = tab[NXT, 0, q]
        repeated = False
        for a in range(k):
            for b in range(a):
                if members[a] // 3 == members[b] // 3:
                    repeated = True
        if repeated:
            continue  # one orbit twice in the group: its rotations overlap
        for side in range(2):
            for q in range(k):
                copy_into(vecs, 0, q, G, 0, _after(members[q], 1 + side))
            q = first_dependent(vecs, combo, k)
            if q >= 0:
                c = combo[q]
                t0 = members[q] // 3
                y0 = _after(members[q], 2 - side)
                for p in range(q):
                    if (c >> np.uint64(p)) & np.uint64(1):
                        factor_add(0, _after(members[p], 2 - side), G, 0, y0, G, keys, tab, hist, elig, st, shift, mask)
                nr = _delete(t0, nr, G, keys, tab, hist, elig, st, shift, mask)
                return _merge_all(nr, G, fixed, keys, tab, hist, elig, st, shift, mask)
    return nr


@njit(**KERNEL)
def _plus(nr, G, fixed, keys, tab, hist, elig, st, shift, mask, rng):
    """Plus transition on two orbits, aligned at random rotations:
    a(x)b(x)c + a'(x)b'(x)c' = (a+a')(x)b(x)c + a'(x)(b+b')(x)c + a'(x)b'(x)(c+c'),
    one orbit more (rank + 3, or less if something merges at once).
    Returns (nr, done); done is False when 64 random pairs had an aligned
    factor in common (nothing changed)."""
    if nr < 2:
        return nr, False
    for _ in range(64):
        i = below(rng, nr)
        j = below(rng, nr - 1)
        if j >= i:
            j += 1
        ri = below(rng, 3)
        rj = below(rng, 3)
        ai, bi, ci = 3 * i + ri, 3 * i + (ri + 1) % 3, 3 * i + (ri + 2) % 3
        aj, bj, cj = 3 * j + rj, 3 * j + (rj + 1) % 3, 3 * j + (rj + 2) % 3
        if equal(G, 0, ai, G, 0, aj) or equal(G, 0, bi, G, 0, bj) or equal(G, 0, ci, G, 0, cj):
            continue
        k = nr
        copy_into(G, 0, 3 * k, G, 0, aj)
        copy_into(G, 0, 3 * k + 1, G, 0, bj)
        copy_into(G, 0, 3 * k + 2, G, 0, cj)
        xor_into(G, 0, 3 * k + 2, G, 0, ci)
        for m in range(3):
            group_insert(0, 3 * k + m, G, keys, tab, hist, elig, st, shift, mask)
        factor_add(0, ai, G, 0, aj, G, keys, tab, hist, elig, st, shift, mask)
        factor_add(0, bj, G, 0, bi, G, keys, tab, hist, elig, st, shift, mask)
        factor_add(0, cj, G, 0, 3 * k + 2, G, keys, tab, hist, elig, st, shift, mask)  # c_j + (c_j + c_i) = c_i
        return _merge_all(nr + 1, G, fixed, keys, tab, hist, elig, st, shift, mask), True
    return nr, False


@njit(**KERNEL)
def _save_best(G, nr, fixed, nfix, best_G, best_fixed, best):
    for p in range(best_G.shape[1]):
        if p < 3 * nr:
            copy_into(best_G, 0, p, G, 0, p)
        else:
            clear(best_G, 0, p)
    for q in range(best_fixed.shape[1]):
        if q < nfix:
            copy_into(best_fixed, 0, q, fixed, 0, q)
        else:
            clear(best_fixed, 0, q)
    best[0] = 3 * nr + nfix
    best[1] = nr
    best[2] = nfix


@njit(cache=True)
def walk(G, nr, fixed, nfix, target, max_steps, plateau, plus_margin, best_G, best_fixed, best, rng, counters,
         scan_every=256):
    """Run up to max_steps moves from the symmetric scheme with
    representatives G[0, :3*nr] and fixed terms fixed[0, :nfix[0]].

    Rank = 3 * orbits + fixed terms. best = [rank, orbits, fixed terms] of
    the best scheme seen, stored in best_G/best_fixed (updated in place);
    nfix[0] is updated too. Other arguments as in flip_kernel.walk.
    Returns the number of representatives.
    """
    cap = G.shape[1] // 3
    size = 1
    while size < 8 * 3 * cap:
        size *= 2
    shift = 64 - int(np.log2(size))
    mask = size - 1
    half = size // 2
    keys = np.zeros((1, size), dtype=np.uint64)
    tab = np.full((6, 1, size), -1, dtype=np.int64)
    hist = np.zeros(3 * cap + 2, dtype=np.int64)
    elig = np.zeros(3 * cap, dtype=np.int64)
    st = np.zeros(6, dtype=np.int64)
    st[NFIX] = nfix[0]
    members = np.empty(64, dtype=np.int64)
    vecs = factor_array(G, 1, 64)
    combo = np.empty(64, dtype=np.uint64)
    nr = _run(G, nr, fixed, target, max_steps, plateau, plus_margin, best_G, best_fixed, best, rng, counters,
              scan_every, cap, shift, mask, half, keys, tab, hist, elig, st, members, vecs, combo)
    nfix[0] = st[NFIX]
    return nr


@njit(**KERNEL)
def _run(G, nr, fixed, target, max_steps, plateau, plus_margin, best_G, best_fixed, best, rng, counters,
         scan_every, cap, shift, mask, half, keys, tab, hist, elig, st, members, vecs, combo):
    _rebuild(G, nr, keys, tab, hist, elig, st, shift, mask)
    nr = _merge_all(nr, G, fixed, keys, tab, hist, elig, st, shift, mask)
    flips = counters[0]
    reductions = counters[1]
    pluses = counters[2]
    since = counters[3]
    for _ in range(max_steps):
        r = 3 * nr + st[NFIX]
        if r < best[0]:
            _save_best(G, nr, fixed, st[NFIX], best_G, best_fixed, best)
        if r <= target:
            break
        if st[USED] > half:
            _rebuild(G, nr, keys, tab, hist, elig, st, shift, mask)
        # plus_margin counts plus transitions (3 each) above the best rank.
        # Fixed terms never outnumber the rank, so keeping the rank below
        # fixed's length keeps every fixed term in bounds (no bounds checks here).
        can_plus = plateau > 0 and r < best[0] + 3 * plus_margin and nr + 1 < cap and r + 3 < fixed.shape[1]
        if (can_plus and since >= plateau) or st[NELIG] == 0:
            if not can_plus:
                break
            nr, done = _plus(nr, G, fixed, keys, tab, hist, elig, st, shift, mask, rng)
            if done:
                pluses += 1
                since = 0
                if 3 * nr + st[NFIX] <= r:
                    reductions += 1
            elif st[NELIG] == 0:
                break
            continue
        # ---- a uniform flip over ordered node pairs with equal values and
        # different representatives (rejection, as in the plain kernel)
        kmax = st[KMAX]
        n = st[NELIG]
        found = False
        for _try in range(1000):
            while True:
                x = rand(rng)
                p = elig[scale(x >> U32, n)] >> 2
                k = tab[CNT, 0, tab[SLOT, 0, p]]
                if k == kmax or scale(x & LOW32, kmax - 1) < k - 1:
                    break
            q = tab[HEAD, 0, tab[SLOT, 0, p]]
            pick = below(rng, k - 1)
            while True:
                if q != p:
                    if pick == 0:
                        break
                    pick -= 1
                q = tab[NXT, 0, q]
            if q // 3 != p // 3:
                found = True
                break
        if not found:
            # only nodes of the same representative share values: no flip
            if not can_plus:
                break
            since = plateau
            continue
        cp = _after(p, 2)
        bq = _after(q, 1)
        kc = factor_add(0, cp, G, 0, _after(q, 2), G, keys, tab, hist, elig, st, shift, mask)
        kb = factor_add(0, bq, G, 0, _after(p, 1), G, keys, tab, hist, elig, st, shift, mask)
        flips += 1
        since += 1
        before = 3 * nr + st[NFIX]
        if kc == 0 or kb == 0 or _repeats(cp, G) or _repeats(bq, G):
            # a zero factor or two equal positions: the rare reductions
            nr = _merge_all(nr, G, fixed, keys, tab, hist, elig, st, shift, mask)
        else:
            if kc > 1 and _may_merge(cp, G, tab):
                nr = _merge_at(cp, nr, G, keys, tab, hist, elig, st, shift, mask)
            elif kb > 1 and _may_merge(bq, G, tab):
                nr = _merge_at(bq, nr, G, keys, tab, hist, elig, st, shift, mask)
            if 3 * nr + st[NFIX] < before:
                nr = _merge_all(nr, G, fixed, keys, tab, hist, elig, st, shift, mask)
            elif scan_every > 0 and flips % scan_every == 0:
                nr = _reduce_dependent(nr, G, fixed, keys, tab, hist, elig, st, shift, mask, members, vecs,
                                       combo)
        if 3 * nr + st[NFIX] < before:
            reductions += 1
            since = 0
    r = 3 * nr + st[NFIX]
    if r < best[0]:
        _save_best(G, nr, fixed, st[NFIX], best_G, best_fixed, best)
    counters[0] = flips
    counters[1] = reductions
    counters[2] = pluses
    counters[3] = since
    return nr
