"""Numba kernel of the flip-graph random walk over GF(2).

State: F[mode, t] is the factor of term t in mode 0, 1, 2 (U, V, W) as a bit
mask (bit q = row q); terms 0..r-1 are live and removing a term moves the
last one into its place.

Equal-factor groups: per mode an open-addressing hash table from factor
value to a group (keys[mode, slot]); the group's members are chained through
NXT/PRV. All integer tables live in one array `tab[field, mode, index]` so
the helpers take few arguments:
  CNT[mode, slot]  group size        HEAD[mode, slot]  first member
  NXT/PRV[mode, t] chain links       SLOT[mode, t]     group of term t
  EPOS[mode, t]    position of (t, mode) in the eligible list, or -1
The eligible list `elig` holds 4t+mode for every (term, mode) whose group
has two or more members, i.e. every term that can flip in that mode.
hist[k] counts (mode, group) pairs of size k, so the largest group size kmax
is known in O(1) amortised. st = [kmax, eligible count, used slots per mode].

Uniform flips: draw an eligible (t, mode) uniformly, accept it with
probability (k-1)/(kmax-1) for its group size k, then take a partner
uniformly among the k-1 others: every ordered pair sharing a factor is
equally likely, with about (kmax-1)/mean(k-1) draws (1 to 2 in practice),
and nothing is rescanned per flip.

Flip of ordered pair (i, j) sharing mode m (m1, m2 the other two modes):
  a(x)b_i(x)c_i + a(x)b_j(x)c_j = a(x)b_i(x)(c_i+c_j) + a(x)(b_i+b_j)(x)c_j,
i.e. F[m2, i] ^= F[m2, j] and F[m1, j] ^= F[m1, i].

Speed: the helpers are compiled without numba's reference counting
(_nrt=False). With it, every inlined helper call incremented and decremented
the count of each array it took, atomically, and those calls were 70% of a
flip's time (perf: NRT_incref/NRT_decref). The arrays are allocated in
walk(), which keeps reference counting, and the loop runs in _run(), which
allocates nothing.

Invariant kept after every move: no two terms share two factors (such a
pair merges at once, rank - 1), so after a flip only the groups of the two
changed factors need to be looked at.

Factors longer than 64 bits: F is then 3-d, F[mode, t, word], and every
factor operation goes through flip_words, which numba resolves by F's
dimension (the 2-d code is the plain scalar code). The hash tables key
groups by a 64-bit digest of the factor; for one word the digest is the
value, for several a collision is told apart by comparing with the group's
first member.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# KERNEL: no reference counting in the helpers and the loop (see "Speed" above).
from ..gf2.rng import KERNEL, LOW32, U32, below, rand, scale
from ..gf2.words import (
    clear,
    copy_into,
    digest,
    digest_is_exact,
    equal,
    factor_array,
    has_bit,
    is_zero,
    lowest_bit,
    xor_into,
)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)

CNT, HEAD, NXT, PRV, SLOT, EPOS = 0, 1, 2, 3, 4, 5
KMAX, NELIG, USED = 0, 1, 2
NEXT_MODE = (1, 2, 0)  # the mode after each mode, cyclically


@njit(inline="always", **KERNEL)
def _find(mode, t, F, keys, tab, st, shift, mask):
    """Slot of the group of factor F[mode, t] in mode's table, claimed if
    the value is absent. A slot whose group emptied keeps its key (linear
    probing needs it); a new value takes the first such slot on its probe
    path, so the table fills slowly. Keys are digests (see above)."""
    h = digest(F, mode, t)
    s = np.int64((h * _GOLDEN) >> np.uint64(shift))
    free = -1
    while True:
        k = keys[mode, s]
        if k == h and (digest_is_exact(F)
                       or (tab[CNT, mode, s] > 0 and equal(F, mode, tab[HEAD, mode, s], F, mode, t))):
            return s
        if k == 0:
            break
        if free < 0 and tab[CNT, mode, s] == 0:
            free = s
        s = (s + 1) & mask
    if free >= 0:
        keys[mode, free] = h
        return free
    keys[mode, s] = h
    st[USED + mode] += 1
    return s


@njit(inline="always", **KERNEL)
def _elig_add(mode, t, tab, elig, st):
    n = st[NELIG]
    tab[EPOS, mode, t] = n
    elig[n] = (t << 2) | mode
    st[NELIG] = n + 1


@njit(inline="always", **KERNEL)
def _elig_drop(mode, t, tab, elig, st):
    n = st[NELIG] - 1
    p = tab[EPOS, mode, t]
    e = elig[n]
    elig[p] = e
    tab[EPOS, e & 3, e >> 2] = p
    tab[EPOS, mode, t] = -1
    st[NELIG] = n


@njit(inline="always", **KERNEL)
def group_insert(mode, t, F, keys, tab, hist, elig, st, shift, mask):
    s = _find(mode, t, F, keys, tab, st, shift, mask)
    c = tab[CNT, mode, s]
    if c > 0:
        hist[c] -= 1
    c += 1
    tab[CNT, mode, s] = c
    hist[c] += 1
    if c > st[KMAX]:
        st[KMAX] = c
    h = tab[HEAD, mode, s]
    tab[NXT, mode, t] = h
    tab[PRV, mode, t] = -1
    if h >= 0:
        tab[PRV, mode, h] = t
    tab[HEAD, mode, s] = t
    tab[SLOT, mode, t] = s
    if c == 2:
        _elig_add(mode, h, tab, elig, st)
    if c >= 2:
        _elig_add(mode, t, tab, elig, st)
    return c


@njit(inline="always", **KERNEL)
def group_remove(mode, t, tab, hist, elig, st):
    s = tab[SLOT, mode, t]
    p = tab[PRV, mode, t]
    n = tab[NXT, mode, t]
    if p >= 0:
        tab[NXT, mode, p] = n
    else:
        tab[HEAD, mode, s] = n
    if n >= 0:
        tab[PRV, mode, n] = p
    c = tab[CNT, mode, s]
    hist[c] -= 1
    c -= 1
    tab[CNT, mode, s] = c
    if c > 0:
        hist[c] += 1
    k = st[KMAX]
    while k > 0 and hist[k] == 0:
        k -= 1
    st[KMAX] = k
    if c >= 1:
        _elig_drop(mode, t, tab, elig, st)
    if c == 1:
        _elig_drop(mode, tab[HEAD, mode, s], tab, elig, st)


@njit(inline="always", **KERNEL)
def factor_add(mode, t, S, ms, s, F, keys, tab, hist, elig, st, shift, mask):
    """F[mode, t] += S[ms, s] (another factor, of F or not); returns the
    size of its new group (0 for a zero factor, which stays out of the tables)."""
    group_remove(mode, t, tab, hist, elig, st)
    xor_into(F, mode, t, S, ms, s)
    if is_zero(F, mode, t):
        return 0
    return group_insert(mode, t, F, keys, tab, hist, elig, st, shift, mask)


@njit(**KERNEL)
def rebuild(F, r, keys, tab, hist, elig, st, shift, mask):
    keys[:] = 0
    tab[CNT] = 0
    tab[HEAD] = -1
    tab[EPOS] = -1
    hist[:] = 0
    st[:] = 0
    for mode in range(3):
        for t in range(r):
            if not is_zero(F, mode, t):
                group_insert(mode, t, F, keys, tab, hist, elig, st, shift, mask)


@njit(**KERNEL)
def delete_term(t, r, F, keys, tab, hist, elig, st, shift, mask):
    """Remove term t (a zero factor of it is already out of the tables); the
    last term moves into slot t. Returns the new rank."""
    for mode in range(3):
        if not is_zero(F, mode, t):
            group_remove(mode, t, tab, hist, elig, st)
    last = r - 1
    if t != last:
        for mode in range(3):
            live = not is_zero(F, mode, last)
            if live:
                group_remove(mode, last, tab, hist, elig, st)
            copy_into(F, mode, t, F, mode, last)
            if live:
                group_insert(mode, t, F, keys, tab, hist, elig, st, shift, mask)
    for mode in range(3):
        clear(F, mode, last)
    return r - 1


@njit(inline="always", **KERNEL)
def may_merge(t, mode, F, tab):
    """Read-only test for _merge_at, inlined: most groups have one member,
    and a call with the tables as arguments costs more than the test."""
    a = NEXT_MODE[mode]
    b = NEXT_MODE[a]
    u = tab[HEAD, mode, tab[SLOT, mode, t]]
    while u >= 0:
        if u != t and (equal(F, a, u, F, a, t) or equal(F, b, u, F, b, t)):
            return True
        u = tab[NXT, mode, u]
    return False


@njit(**KERNEL)
def _merge_at(t, mode, r, F, keys, tab, hist, elig, st, shift, mask):
    """If a term u shares t's factor in `mode` and one more factor, merge:
    a(x)b(x)c + a(x)b(x)c' = a(x)b(x)(c+c'). At most one merge; returns the
    new rank (r when there was none)."""
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
            if other >= 0:
                zero = factor_add(other, u, F, other, t, F, keys, tab, hist, elig, st, shift, mask) == 0
                last = r - 1
                r = delete_term(t, r, F, keys, tab, hist, elig, st, shift, mask)
                if u == last:
                    u = t  # the last term moved into t's place
                if zero:
                    r = delete_term(u, r, F, keys, tab, hist, elig, st, shift, mask)
                return r
        u = tab[NXT, mode, u]
    return r


@njit(**KERNEL)
def _merge_all(r, F, keys, tab, hist, elig, st, shift, mask):
    """Merge until no two terms share two factors and no factor is zero
    (after a reduction moved terms around, or from an arbitrary start)."""
    t = 0
    while t < r:
        if is_zero(F, 0, t) or is_zero(F, 1, t) or is_zero(F, 2, t):
            r = delete_term(t, r, F, keys, tab, hist, elig, st, shift, mask)
            t = 0
            continue
        merged = False
        for mode in range(3):
            r2 = _merge_at(t, mode, r, F, keys, tab, hist, elig, st, shift, mask)
            if r2 < r:
                r = r2
                merged = True
                break
        t = 0 if merged else t + 1
    return r


@njit(inline="always", **KERNEL)
def first_dependent(vecs, combo, k):
    """Gaussian elimination over GF(2) on the factors vecs[0, :k] (pivot:
    lowest set bit), recording in combo which originals were combined.
    Returns the first q whose vector is a sum of earlier ones, with combo[q]
    the set (bit p: vector p) of those vectors and q itself, which sums to
    zero; -1 if the vectors are independent. vecs is overwritten."""
    for q in range(k):
        c = np.uint64(1) << np.uint64(q)
        for p in range(q):  # earlier vectors are reduced and non-zero
            word, low = lowest_bit(vecs, 0, p)
            if has_bit(vecs, 0, q, word, low):
                xor_into(vecs, 0, q, vecs, 0, p)
                c ^= combo[p]
        combo[q] = c
        if is_zero(vecs, 0, q):
            return q
    return -1


@njit(inline="always", **KERNEL)
def group_at(q0, elig, tab, members):
    """The group (terms sharing a factor in one mode) of eligible entry q0,
    read into members, when q0 is its head and it has 3 or more members:
    returns (mode, size), size 0 otherwise. Visiting every eligible entry
    this way sees each group of 3 or more once (the eligible list holds
    every member of a group of 2 or more). At most members.shape[0] are read."""
    t = elig[q0] >> 2
    mode = elig[q0] & 3
    s = tab[SLOT, mode, t]
    if tab[HEAD, mode, s] != t or tab[CNT, mode, s] < 3:
        return mode, 0
    k = 0
    u = t
    while u >= 0 and k < members.shape[0]:
        members[k] = u
        k += 1
        u = tab[NXT, mode, u]
    return mode, k


@njit(**KERNEL)
def _reduce_dependent(r, F, keys, tab, hist, elig, st, shift, mask, members, vecs, combo):
    """One general reduction if any group (terms sharing a factor a in some
    mode) has linearly dependent vectors in another mode: with
    x_0 = x_1 + ... + x_s over the group members involved,
      sum_t a(x)x_t(x)y_t = sum_{t>0} a(x)x_t(x)(y_t + y_0),
    one term fewer. (Pairs, s = 1, are merged as they appear.)
    Returns the new rank (r when nothing was found)."""
    for q0 in range(st[NELIG]):
        mode, k = group_at(q0, elig, tab, members)
        if k == 0:
            continue
        for side in range(2):
            mx = (mode + 1 + side) % 3
            my = (mode + 2 - side) % 3
            # Gaussian elimination with a record of which members were combined
            for q in range(k):
                copy_into(vecs, 0, q, F, mx, members[q])
            q = first_dependent(vecs, combo, k)
            if q >= 0:
                # members in combo[q] sum to zero in mode mx; drop member q,
                # adding its factor y0 = F[my, t0] to the others'
                c = combo[q]
                t0 = members[q]
                for p in range(q):
                    if (c >> np.uint64(p)) & np.uint64(1):
                        factor_add(my, members[p], F, my, t0, F, keys, tab, hist, elig, st, shift, mask)
                r = delete_term(t0, r, F, keys, tab, hist, elig, st, shift, mask)
                return _merge_all(r, F, keys, tab, hist, elig, st, shift, mask)
    return r


@njit(inline="always", **KERNEL)
def draw_plus_pair(rng, r, F):
    """Two distinct terms i, j and a random rotation (ma, mb, mc) of the
    modes for a plus transition; apart is False when the terms share a factor."""
    i = below(rng, r)
    j = below(rng, r - 1)
    if j >= i:
        j += 1
    rot = below(rng, 3)
    ma = rot
    mb = (rot + 1) % 3
    mc = (rot + 2) % 3
    apart = not (equal(F, ma, i, F, ma, j) or equal(F, mb, i, F, mb, j) or equal(F, mc, i, F, mc, j))
    return i, j, ma, mb, mc, apart


@njit(**KERNEL)
def _plus(r, F, keys, tab, hist, elig, st, shift, mask, rng):
    """Plus transition (Arai, Ichikawa & Hukushima): for terms i, j,
    a(x)b(x)c + a'(x)b'(x)c' = (a+a')(x)b(x)c + a'(x)(b+b')(x)c + a'(x)b'(x)(c+c'),
    with the roles of the modes rotated at random. Returns (rank, done): rank
    + 1, or less if a new term merges with another one at once; done is False
    when 64 random pairs had a factor in common (nothing changed)."""
    for _ in range(64):
        i, j, ma, mb, mc, apart = draw_plus_pair(rng, r, F)
        if not apart:
            continue
        k = r
        for mode in range(3):
            copy_into(F, mode, k, F, mode, j)
        xor_into(F, mc, k, F, mc, i)
        for mode in range(3):
            group_insert(mode, k, F, keys, tab, hist, elig, st, shift, mask)
        factor_add(ma, i, F, ma, j, F, keys, tab, hist, elig, st, shift, mask)
        factor_add(mb, j, F, mb, i, F, keys, tab, hist, elig, st, shift, mask)
        factor_add(mc, j, F, mc, k, F, keys, tab, hist, elig, st, shift, mask)  # c_j + (c_j + c_i) = c_i
        return _merge_all(r + 1, F, keys, tab, hist, elig, st, shift, mask), True
    return r, False


@njit(**KERNEL)
def _copy_best(F, r, best_F):
    for mode in range(3):
        for t in range(best_F.shape[1]):
            if t < r:
                copy_into(best_F, mode, t, F, mode, t)
            else:
                clear(best_F, mode, t)


@njit(inline="always", **KERNEL)
def draw_flip(rng, elig, tab, st):
    """A uniform flip (see "Uniform flips" above): an eligible (term, mode)
    by rejection, then a partner among the others of its group. Returns
    (i, j, mode); there must be an eligible term."""
    kmax = st[KMAX]
    n = st[NELIG]
    while True:
        x = rand(rng)
        e = elig[scale(x >> U32, n)]
        i = e >> 2
        mode = e & 3
        k = tab[CNT, mode, tab[SLOT, mode, i]]
        if k == kmax or scale(x & LOW32, kmax - 1) < k - 1:
            break
    j = tab[HEAD, mode, tab[SLOT, mode, i]]
    if k == 2:
        if j == i:
            j = tab[NXT, mode, i]
    else:
        pick = below(rng, k - 1)
        while True:
            if j != i:
                if pick == 0:
                    break
                pick -= 1
            j = tab[NXT, mode, j]
    return i, j, mode


@njit(cache=True)  # allocates: with reference counting, unlike the helpers above
def tables(cap):
    """The group tables of a walk over at most cap terms (see the top of
    this file): (shift, mask, half, keys, tab, hist, elig, st); the hash
    tables are rebuilt when more than half their slots were ever used."""
    size = 1
    while size < 8 * cap:
        size *= 2
    shift = 64 - int(np.log2(size))
    keys = np.zeros((3, size), dtype=np.uint64)
    tab = np.full((6, 3, size), -1, dtype=np.int64)
    hist = np.zeros(cap + 2, dtype=np.int64)
    elig = np.zeros(3 * cap, dtype=np.int64)
    st = np.zeros(5, dtype=np.int64)
    return shift, size - 1, size // 2, keys, tab, hist, elig, st


@njit(cache=True)
def walk(F, r, target, max_steps, plateau, plus_margin, best_F, best_r, rng, counters, scan_every=256):
    """Run up to max_steps moves from the scheme in F[:, :r].

    plateau: flips without a reduction before a plus transition (0: never);
    plus_margin: a plus transition may raise the rank to at most best + margin.
    best_F/best_r: the best scheme seen (updated in place; best_r is a 1-array).
    counters: [flips, reductions, plus transitions, flips since reduction].
    Returns the current rank. Stops early when r <= target or when no flip
    and no plus transition is possible.
    """
    cap = F.shape[1]
    shift, mask, half, keys, tab, hist, elig, st = tables(cap)
    members = np.empty(64, dtype=np.int64)
    vecs = factor_array(F, 1, 64)
    combo = np.empty(64, dtype=np.uint64)
    return _run(F, r, target, max_steps, plateau, plus_margin, best_F, best_r, rng, counters, scan_every,
                cap, shift, mask, half, keys, tab, hist, elig, st, members, vecs, combo)


@njit(**KERNEL)
def _run(F, r, target, max_steps, plateau, plus_margin, best_F, best_r, rng, counters, scan_every,
         cap, shift, mask, half, keys, tab, hist, elig, st, members, vecs, combo):
    rebuild(F, r, keys, tab, hist, elig, st, shift, mask)
    r = _merge_all(r, F, keys, tab, hist, elig, st, shift, mask)
    flips = counters[0]
    reductions = counters[1]
    pluses = counters[2]
    since = counters[3]
    for _ in range(max_steps):
        if r < best_r[0]:
            best_r[0] = r
            _copy_best(F, r, best_F)
        if r <= target:
            break
        if st[USED] > half or st[USED + 1] > half or st[USED + 2] > half:
            rebuild(F, r, keys, tab, hist, elig, st, shift, mask)
        can_plus = plateau > 0 and r < best_r[0] + plus_margin and r + 1 < cap
        if (can_plus and since >= plateau) or st[NELIG] == 0:
            if not can_plus:
                break  # no flip exists and no plus transition allowed
            before = r
            r, done = _plus(r, F, keys, tab, hist, elig, st, shift, mask, rng)
            if done:
                pluses += 1
                since = 0
                if r <= before:
                    reductions += 1  # a new term merged with another one at once
            elif st[NELIG] == 0:
                break  # no flip, and no pair of terms a plus transition can split
            continue
        i, j, mode = draw_flip(rng, elig, tab, st)
        m1 = NEXT_MODE[mode]
        m2 = NEXT_MODE[m1]
        ki = factor_add(m2, i, F, m2, j, F, keys, tab, hist, elig, st, shift, mask)
        kj = factor_add(m1, j, F, m1, i, F, keys, tab, hist, elig, st, shift, mask)
        flips += 1
        since += 1
        # ---- reductions: only the two changed factors can have made a
        # term share two factors with another (or be zero, from a start
        # scheme that broke the invariant); a factor alone in its new group
        # (the common case) shares nothing
        before = r
        if ki == 0 or kj == 0:
            r = _merge_all(r, F, keys, tab, hist, elig, st, shift, mask)
        else:
            if ki > 1 and may_merge(i, m2, F, tab):
                r = _merge_at(i, m2, r, F, keys, tab, hist, elig, st, shift, mask)
            elif kj > 1 and may_merge(j, m1, F, tab):
                r = _merge_at(j, m1, r, F, keys, tab, hist, elig, st, shift, mask)
            if r < before:
                r = _merge_all(r, F, keys, tab, hist, elig, st, shift, mask)
            elif scan_every > 0 and flips % scan_every == 0:
                r = _reduce_dependent(r, F, keys, tab, hist, elig, st, shift, mask, members, vecs, combo)
        if r < before:
            reductions += 1
            since = 0
    if r < best_r[0]:
        best_r[0] = r
        _copy_best(F, r, best_F)
    counters[0] = flips
    counters[1] = reductions
    counters[2] = pluses
    counters[3] = since
    return r
