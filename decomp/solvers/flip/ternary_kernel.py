"""Numba kernel of the flip-graph random walk over Z with every entry of
every factor in {-1, 0, 1} (ternary walks, after Perminov 2025).

Why: a walk over GF(2) cancels 1 + 1 where Z keeps a 2, so most schemes a
long GF(2) walk reaches do not lift to Z (core/lift.py). A walk over Z
itself never leaves Z; keeping the entries in {-1, 0, 1} keeps the flip
graph finite and the schemes short, as Perminov's walks do.

Layout: F[mode, t, 0] and F[mode, t, 1] are the bit masks of the +1 and -1
entries of factor `mode` of term t. Factors are stored up to sign, in the
canonical form whose lowest non-zero entry is +1, and the term's sign is
sg[t]: term t = sg[t] * F[0, t] (x) F[1, t] (x) F[2, t]. So factors equal up
to sign are equal words, and the equal-factor groups, hash tables and
eligible list of the GF(2) kernel (kernel.py) serve unchanged: they see a
two-word factor.

Flip of ordered pair (i, j) sharing mode m's factor a (m1, m2 the other two
modes, B and C the signed factors there):
  a(x)B_i(x)C_i + a(x)B_j(x)C_j = a(x)B_i(x)(C_i + l C_j) + a(x)(B_j - l B_i)(x)C_j
for l = +1 or -1, drawn at random; the other sign is taken when the first
leaves {-1, 0, 1}, and the flip is skipped when both do. Merges, the
dependent-triple reduction and plus transitions are the GF(2) kernel's, with
signs, and each is made only when its results stay ternary.

mod3=True walks over GF(3) instead, on the same masks (-1 = 2): every sum
is taken mod 3 (1 + 1 = -1), so no move is ever refused. Why: GF(2) and
{-1, 0, 1} walks never reach a scheme that needs 1/2, as the rational
records of 2025 do (4x4x4 rank 48), while 1/2 = -1 mod 3: such a scheme is
a GF(3) scheme, and a 3-adic lift (core/lift3.py) can bring one back to Q.
The units of GF(3) are +-1, so the canonical form and the term signs serve
unchanged; the periodic search for dependent factors in a group finds any
linear dependency there (_reduce_dependent3), not only triples.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...core.gf3 import add3
from ..gf2.rng import KERNEL, rand
from ..gf2.words import clear, copy_into, equal, is_zero
from .kernel import (
    HEAD, NELIG, NEXT_MODE, NXT, SLOT, USED, delete_term, draw_flip, draw_plus_pair, group_at,
    group_insert, group_remove, may_merge, rebuild, tables,
)

POS, NEG = 0, 1


@njit(inline="always", **KERNEL)
def _sum(a, b, p, n, mod3):
    """The +1 and -1 masks of (a, b) + (p, n), entrywise: over Z, where the
    caller has checked that nothing adds up to +-2 (entries of opposite sign
    cancel), or mod 3, where 1 + 1 = -1 and -1 + -1 = 1."""
    if mod3:
        return add3(a, b, p, n)
    return (a & ~n) | (p & ~b), (b & ~p) | (n & ~a)


@njit(inline="always", **KERNEL)
def _fits(F, md, d, ms, s, neg, mod3):
    """Whether F[md, d] + (-1 if neg else 1) * F[ms, s] (signed factors as
    stored) stays in {-1, 0, 1}; mod 3 every sum does."""
    if mod3:
        return True
    p, n = F[ms, s, POS], F[ms, s, NEG]
    if neg:
        p, n = n, p
    return ((F[md, d, POS] & p) | (F[md, d, NEG] & n)) == 0


@njit(inline="always", **KERNEL)
def _add_canonical(F, md, d, ms, s, neg, mod3):
    """F[md, d] += (-1 if neg else 1) * F[ms, s], which must fit (_fits),
    then made canonical; returns -1 when that negated it, else 1."""
    p, n = F[ms, s, POS], F[ms, s, NEG]
    if neg:
        p, n = n, p
    P, N = _sum(F[md, d, POS], F[md, d, NEG], p, n, mod3)
    x = P | N
    low = x & (~x + np.uint64(1))
    if low & N:
        F[md, d, POS], F[md, d, NEG] = N, P
        return -1
    F[md, d, POS], F[md, d, NEG] = P, N
    return 1


@njit(inline="always", **KERNEL)
def factor_add(mode, t, ms, s, neg, F, sg, keys, tab, hist, elig, st, shift, mask, mod3):
    """Term t's factor in `mode` += (-1 if neg else 1) * factor (ms, s),
    which must fit; the term's sign absorbs the canonical form's. Returns the
    size of its new group (0 for a zero factor, which stays out of the tables)."""
    group_remove(mode, t, tab, hist, elig, st)
    sg[t] *= _add_canonical(F, mode, t, ms, s, neg, mod3)
    if is_zero(F, mode, t):
        return 0
    return group_insert(mode, t, F, keys, tab, hist, elig, st, shift, mask)


@njit(**KERNEL)
def _delete_signed(t, r, F, sg, keys, tab, hist, elig, st, shift, mask):
    """kernel.delete_term (the last term moves into slot t), moving its sign too."""
    r = delete_term(t, r, F, keys, tab, hist, elig, st, shift, mask)
    sg[t] = sg[r]
    return r


@njit(**KERNEL)
def _merge_at(t, mode, r, F, sg, keys, tab, hist, elig, st, shift, mask, mod3):
    """If a term u shares t's factor in `mode` and one more factor (up to
    sign), merge: s_t a(x)b(x)c_t + s_u a(x)b(x)c_u = s_u a(x)b(x)(c_u + s_t s_u c_t),
    when that sum stays ternary. At most one merge; returns the new rank."""
    a = NEXT_MODE[mode]
    b = NEXT_MODE[a]
    u = tab[HEAD, mode, tab[SLOT, mode, t]]
    while u >= 0:
        if u != t:
            other = -1
            if equal(F, a, u, F, a, t):
                other = b
            elif equal(F, b, u, F, b, t):
                other = a
            neg = sg[t] != sg[u]
            if other >= 0 and _fits(F, other, u, other, t, neg, mod3):
                zero = factor_add(other, u, other, t, neg, F, sg, keys, tab, hist, elig, st, shift, mask, mod3) == 0
                last = r - 1
                r = _delete_signed(t, r, F, sg, keys, tab, hist, elig, st, shift, mask)
                if u == last:
                    u = t  # the last term moved into t's place
                if zero:
                    r = _delete_signed(u, r, F, sg, keys, tab, hist, elig, st, shift, mask)
                return r
        u = tab[NXT, mode, u]
    return r


@njit(**KERNEL)
def _merge_all(r, F, sg, keys, tab, hist, elig, st, shift, mask, mod3=False):
    """Merge until no two terms share two factors with a ternary sum, and
    no factor is zero."""
    t = 0
    while t < r:
        if is_zero(F, 0, t) or is_zero(F, 1, t) or is_zero(F, 2, t):
            r = _delete_signed(t, r, F, sg, keys, tab, hist, elig, st, shift, mask)
            t = 0
            continue
        merged = False
        for mode in range(3):
            r2 = _merge_at(t, mode, r, F, sg, keys, tab, hist, elig, st, shift, mask, mod3)
            if r2 < r:
                r = r2
                merged = True
                break
        t = 0 if merged else t + 1
    return r


@njit(inline="always", **KERNEL)
def _sum_equals(F, mx, x, y, z, neg, mod3):
    """Whether F[mx, y] + (-1 if neg else 1) F[mx, z] fits and equals
    F[mx, x] up to sign; returns 0 (no), 1 (equal) or -1 (its negative)."""
    if not _fits(F, mx, y, mx, z, neg, mod3):
        return 0
    p, n = F[mx, z, POS], F[mx, z, NEG]
    if neg:
        p, n = n, p
    P, N = _sum(F[mx, y, POS], F[mx, y, NEG], p, n, mod3)
    if P == F[mx, x, POS] and N == F[mx, x, NEG]:
        return 1
    if N == F[mx, x, POS] and P == F[mx, x, NEG]:
        return -1
    return 0


@njit(**KERNEL)
def _reduce_triple(r, F, sg, keys, tab, hist, elig, st, shift, mask, members, mod3=False):
    """One reduction if, in a group of terms sharing a factor a, one member's
    factor in another mode is a signed sum of two others':
    b_x = d (b_y + e b_z) gives
      s_x a(x)b_x(x)c_x + s_y a(x)b_y(x)c_y + s_z a(x)b_z(x)c_z
        = s_y a(x)b_y(x)(c_y + s_y s_x d c_x) + s_z a(x)b_z(x)(c_z + s_z s_x d e c_x),
    one term fewer, when both sums stay ternary (over GF(2) the kernel finds
    any linear dependency; with signs, triples are what is cheap to test).
    Returns the new rank (r when nothing was found)."""
    for q0 in range(st[NELIG]):
        mode, k = group_at(q0, elig, tab, members)
        if k == 0:
            continue
        for side in range(2):
            mx = (mode + 1 + side) % 3
            my = (mode + 2 - side) % 3
            for qx in range(k):
                x = members[qx]
                for qy in range(k):
                    y = members[qy]
                    if y == x:
                        continue
                    for qz in range(qy + 1, k):
                        z = members[qz]
                        if z == x:
                            continue
                        for e in range(2):
                            d = _sum_equals(F, mx, x, y, z, e == 1, mod3)
                            if d == 0:
                                continue
                            ny = sg[y] * sg[x] * d < 0
                            nz = (sg[z] * sg[x] * d < 0) != (e == 1)
                            if _fits(F, my, y, my, x, ny, mod3) and _fits(F, my, z, my, x, nz, mod3):
                                factor_add(my, y, my, x, ny, F, sg, keys, tab, hist, elig, st, shift, mask, mod3)
                                factor_add(my, z, my, x, nz, F, sg, keys, tab, hist, elig, st, shift, mask, mod3)
                                r = _delete_signed(x, r, F, sg, keys, tab, hist, elig, st, shift, mask)
                                return _merge_all(r, F, sg, keys, tab, hist, elig, st, shift, mask, mod3)
    return r


@njit(**KERNEL)
def _reduce_dependent3(r, F, sg, keys, tab, hist, elig, st, shift, mask, members, work):
    """Over GF(3): one reduction if, in a group of terms sharing a factor a,
    the members' factors in another mode are linearly dependent (any number
    of them, as the GF(2) kernel's _reduce_dependent finds; the triples of
    _reduce_triple are the special case). With sum_p l_p x_p = 0, l_q = 1:
      s_q a(x)x_q(x)y_q = sum_{p != q} a(x)x_p(x)(-l_p s_q y_q),
    so each other member p takes y_p - l_p s_q s_p y_q and term q goes.
    Elimination is on the masks: work[0], work[1] hold the reduced vectors'
    +1 and -1 bits, work[2], work[3] their combinations of members (bit p:
    coefficient of member p). Returns the new rank (r when nothing was found)."""
    vp, vn, cp, cn = work[0], work[1], work[2], work[3]
    for q0 in range(st[NELIG]):
        mode, k = group_at(q0, elig, tab, members)
        if k == 0:
            continue
        for side in range(2):
            mx = (mode + 1 + side) % 3
            my = (mode + 2 - side) % 3
            nb = 0  # basis vectors so far, in work[:, :nb], each with lowest entry +1
            for q in range(k):
                P, N = F[mx, members[q], POS], F[mx, members[q], NEG]
                CP, CN = np.uint64(1) << np.uint64(q), np.uint64(0)
                for b in range(nb):
                    low = (vp[b] | vn[b]) & (~(vp[b] | vn[b]) + np.uint64(1))
                    if P & low:  # entry +1 at the pivot: subtract the basis vector
                        P, N = _sum(P, N, vn[b], vp[b], True)
                        CP, CN = _sum(CP, CN, cn[b], cp[b], True)
                    elif N & low:
                        P, N = _sum(P, N, vp[b], vn[b], True)
                        CP, CN = _sum(CP, CN, cp[b], cn[b], True)
                if P | N:
                    x = P | N
                    if (x & (~x + np.uint64(1))) & N:  # pivot -1: store the negative
                        P, N, CP, CN = N, P, CN, CP
                    vp[nb], vn[nb], cp[nb], cn[nb] = P, N, CP, CN
                    nb += 1
                    continue
                # sum_p l_p x_p = 0 with l_q = 1 (the basis combines earlier members only)
                tq = members[q]
                for p in range(q):
                    bit = np.uint64(1) << np.uint64(p)
                    if (CP | CN) & bit == 0:
                        continue
                    lp = 1 if CP & bit else -1
                    tp = members[p]
                    # y_p += (-l_p s_q s_p) y_q
                    factor_add(my, tp, my, tq, lp * sg[tq] * sg[tp] > 0, F, sg, keys, tab, hist, elig, st,
                               shift, mask, True)
                r = _delete_signed(tq, r, F, sg, keys, tab, hist, elig, st, shift, mask)
                return _merge_all(r, F, sg, keys, tab, hist, elig, st, shift, mask, True)
    return r


@njit(**KERNEL)
def _plus(r, F, sg, keys, tab, hist, elig, st, shift, mask, rng, mod3):
    """Plus transition with signs: for terms i, j and A = s_i a, A' = s_j a',
      A(x)b(x)c + A'(x)b'(x)c' = (A+A')(x)b(x)c + A'(x)(b'-b)(x)c' + A'(x)b(x)(c'-c),
    the roles of the modes rotated at random, when all three stay ternary.
    Returns (rank, done) as kernel._plus does."""
    for _ in range(64):
        i, j, ma, mb, mc, apart = draw_plus_pair(rng, r, F)
        if not apart:
            continue
        neg_a = sg[i] != sg[j]
        if not (_fits(F, ma, i, ma, j, neg_a, mod3) and _fits(F, mb, j, mb, i, True, mod3)
                and _fits(F, mc, j, mc, i, True, mod3)):
            continue
        k = r
        copy_into(F, ma, k, F, ma, j)
        copy_into(F, mb, k, F, mb, i)
        copy_into(F, mc, k, F, mc, j)
        sg[k] = sg[j] * _add_canonical(F, mc, k, mc, i, True, mod3)
        for mode in range(3):
            group_insert(mode, k, F, keys, tab, hist, elig, st, shift, mask)
        factor_add(ma, i, ma, j, neg_a, F, sg, keys, tab, hist, elig, st, shift, mask, mod3)
        factor_add(mb, j, mb, i, True, F, sg, keys, tab, hist, elig, st, shift, mask, mod3)
        return _merge_all(r + 1, F, sg, keys, tab, hist, elig, st, shift, mask, mod3), True
    return r, False


@njit(**KERNEL)
def _copy_best(F, sg, r, best_F, best_sg):
    for mode in range(3):
        for t in range(best_F.shape[1]):
            if t < r:
                copy_into(best_F, mode, t, F, mode, t)
            else:
                clear(best_F, mode, t)
    for t in range(r):
        best_sg[t] = sg[t]


@njit(cache=True)
def walk(F, sg, r, target, max_steps, plateau, plus_margin, best_F, best_sg, best_r, rng, counters,
         scan_every=256, mod3=False):
    """kernel.walk over Z: run up to max_steps moves from the scheme
    (F, sg)[:r] (canonical factors, term signs); the same parameters, with
    best_sg the signs of the best scheme. counters[0] counts flips made;
    a drawn flip that leaves {-1, 0, 1} both ways is skipped uncounted, so
    a walk with no ternary flip left ends like one with no flip at all."""
    cap = F.shape[1]
    shift, mask, half, keys, tab, hist, elig, st = tables(cap)
    # groups of up to 64 members for the GF(3) elimination (one bit each in a
    # combination); the triple search over Z is cubic in the group, so 16
    members = np.empty(64 if mod3 else 16, dtype=np.int64)
    work = np.zeros((4, 64), dtype=np.uint64)
    return _run(F, sg, r, target, max_steps, plateau, plus_margin, best_F, best_sg, best_r, rng, counters,
                scan_every, cap, shift, mask, half, keys, tab, hist, elig, st, members, work, mod3)


@njit(**KERNEL)
def _run(F, sg, r, target, max_steps, plateau, plus_margin, best_F, best_sg, best_r, rng, counters, scan_every,
         cap, shift, mask, half, keys, tab, hist, elig, st, members, work, mod3):
    rebuild(F, r, keys, tab, hist, elig, st, shift, mask)
    r = _merge_all(r, F, sg, keys, tab, hist, elig, st, shift, mask, mod3)
    flips = counters[0]
    reductions = counters[1]
    pluses = counters[2]
    since = counters[3]
    skipped = 0  # drawn flips in a row that left {-1, 0, 1} both ways
    for _ in range(max_steps):
        if r < best_r[0]:
            best_r[0] = r
            _copy_best(F, sg, r, best_F, best_sg)
        if r <= target:
            break
        if st[USED] > half or st[USED + 1] > half or st[USED + 2] > half:
            rebuild(F, r, keys, tab, hist, elig, st, shift, mask)
        can_plus = plateau > 0 and r < best_r[0] + plus_margin and r + 1 < cap
        # a scheme whose flips all leave {-1, 0, 1} counts as one with none
        stuck = st[NELIG] == 0 or skipped > 64 * st[NELIG]
        if (can_plus and since >= plateau) or stuck:
            if not can_plus:
                break  # no flip exists and no plus transition allowed
            before = r
            r, done = _plus(r, F, sg, keys, tab, hist, elig, st, shift, mask, rng, mod3)
            if done:
                pluses += 1
                since = 0
                skipped = 0
                if r <= before:
                    reductions += 1
            elif stuck:
                break  # no flip, and no pair of terms a plus transition can split
            continue
        i, j, mode = draw_flip(rng, elig, tab, st)
        m1 = NEXT_MODE[mode]
        m2 = NEXT_MODE[m1]
        # i: C_i += l C_j;  j: B_j -= l B_i, i.e. b_j += -l s_i s_j b_i
        neg_i = (rand(rng) >> np.uint64(63)) != 0  # l = -1
        neg_j = (sg[i] == sg[j]) != neg_i
        if not (_fits(F, m2, i, m2, j, neg_i, mod3) and _fits(F, m1, j, m1, i, neg_j, mod3)):
            neg_i, neg_j = not neg_i, not neg_j
            if not (_fits(F, m2, i, m2, j, neg_i, mod3) and _fits(F, m1, j, m1, i, neg_j, mod3)):
                skipped += 1
                continue
        skipped = 0
        ki = factor_add(m2, i, m2, j, neg_i, F, sg, keys, tab, hist, elig, st, shift, mask, mod3)
        kj = factor_add(m1, j, m1, i, neg_j, F, sg, keys, tab, hist, elig, st, shift, mask, mod3)
        flips += 1
        since += 1
        before = r
        if ki == 0 or kj == 0:
            r = _merge_all(r, F, sg, keys, tab, hist, elig, st, shift, mask, mod3)
        else:
            if ki > 1 and may_merge(i, m2, F, tab):
                r = _merge_at(i, m2, r, F, sg, keys, tab, hist, elig, st, shift, mask, mod3)
            if r == before and kj > 1 and may_merge(j, m1, F, tab):
                r = _merge_at(j, m1, r, F, sg, keys, tab, hist, elig, st, shift, mask, mod3)
            if r < before:
                r = _merge_all(r, F, sg, keys, tab, hist, elig, st, shift, mask, mod3)
            elif scan_every > 0 and flips % scan_every == 0:
                if mod3:
                    r = _reduce_dependent3(r, F, sg, keys, tab, hist, elig, st, shift, mask, members, work)
                else:
                    r = _reduce_triple(r, F, sg, keys, tab, hist, elig, st, shift, mask, members, mod3)
        if r < before:
            reductions += 1
            since = 0
    if r < best_r[0]:
        best_r[0] = r
        _copy_best(F, sg, r, best_F, best_sg)
    counters[0] = flips
    counters[1] = reductions
    counters[2] = pluses
    counters[3] = since
    return r
