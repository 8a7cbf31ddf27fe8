"""Numba kernel of the flip-graph random walk over GF(2).

State (flat arrays, one row per mode 0,1,2 = U,V,W):
  F[mode, t]    factor of term t as a bit mask (bit q = row q of U/V/W); terms
                0..r-1 are live, removal moves the last term into the hole.
Equal-factor groups per mode live in an open-addressing hash table
(keys/cnt/head) with members chained through nxt/prv; slot_of[mode, t] is
the group of term t. hist[k] counts groups of size k over all modes, so kmax
(the largest group) is known in O(1) amortised.

Uniform flips by rejection: draw (mode, term) uniformly, accept with
probability (k-1)/(kmax-1) where k is the term's group size, then draw the
partner uniformly among the k-1 others. Every ordered pair (i, j) sharing a
factor is then equally likely, and nothing is rescanned per flip.

Flip of ordered pair (i, j) sharing mode m (m1, m2 the other two modes):
  a(x)b_i(x)c_i + a(x)b_j(x)c_j = a(x)b_i(x)(c_i+c_j) + a(x)(b_i+b_j)(x)c_j,
i.e. F[m2, i] ^= F[m2, j] and F[m1, j] ^= F[m1, i].
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MULT = np.uint64(2685821657736338717)


@njit(cache=True, inline="always")
def _rand(rng):
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    return x * _MULT


@njit(cache=True, inline="always")
def _below(rng, n):
    """Uniform integer in [0, n) (Lemire's multiply-shift, n < 2^32)."""
    return np.int64(((_rand(rng) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(cache=True, inline="always")
def _hash(v, shift):
    return np.int64((v * _GOLDEN) >> np.uint64(shift))


@njit(cache=True, inline="always")
def _insert(mode, t, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask):
    v = F[mode, t]
    s = _hash(v, shift)
    while True:
        k = keys[mode, s]
        if k == v:
            break
        if k == 0:
            keys[mode, s] = v
            used[mode] += 1
            break
        s = (s + 1) & mask
    c = cnt[mode, s]
    hist[c] -= 1 if c > 0 else 0
    c += 1
    cnt[mode, s] = c
    hist[c] += 1
    if c > kmax[0]:
        kmax[0] = c
    h = head[mode, s]
    nxt[mode, t] = h
    prv[mode, t] = -1
    if h >= 0:
        prv[mode, h] = t
    head[mode, s] = t
    slot_of[mode, t] = s


@njit(cache=True, inline="always")
def _remove(mode, t, keys, cnt, head, nxt, prv, slot_of, hist, kmax):
    s = slot_of[mode, t]
    p = prv[mode, t]
    n = nxt[mode, t]
    if p >= 0:
        nxt[mode, p] = n
    else:
        head[mode, s] = n
    if n >= 0:
        prv[mode, n] = p
    c = cnt[mode, s]
    hist[c] -= 1
    c -= 1
    cnt[mode, s] = c
    if c > 0:
        hist[c] += 1
    while kmax[0] > 0 and hist[kmax[0]] == 0:
        kmax[0] -= 1


@njit(cache=True)
def _rebuild(F, r, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask):
    keys[:] = 0
    cnt[:] = 0
    head[:] = -1
    hist[:] = 0
    kmax[0] = 0
    used[:] = 0
    for mode in range(3):
        for t in range(r):
            _insert(mode, t, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)


@njit(cache=True, inline="always")
def _set(mode, t, v, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask):
    _remove(mode, t, keys, cnt, head, nxt, prv, slot_of, hist, kmax)
    F[mode, t] = v
    if v != 0:
        _insert(mode, t, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)


@njit(cache=True)
def _delete(t, r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask):
    """Remove term t (its factors may already be out of the tables if zero);
    the last term moves into slot t. Returns the new rank."""
    for mode in range(3):
        if F[mode, t] != 0:
            _remove(mode, t, keys, cnt, head, nxt, prv, slot_of, hist, kmax)
    last = r - 1
    if t != last:
        for mode in range(3):
            _remove(mode, last, keys, cnt, head, nxt, prv, slot_of, hist, kmax)
            F[mode, t] = F[mode, last]
            _insert(mode, t, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
    for mode in range(3):
        F[mode, last] = 0
    return r - 1


@njit(cache=True, inline="always")
def _has_merge(t, F, head, nxt, slot_of):
    """Cheap read-only test: does term t share two factors with another term?
    Lets the walk skip the (rarely useful) call to _try_merge."""
    for mode in range(3):
        m1 = (mode + 1) % 3
        m2 = (mode + 2) % 3
        u = head[mode, slot_of[mode, t]]
        while u >= 0:
            if u != t and (F[m1, u] == F[m1, t] or F[m2, u] == F[m2, t]):
                return True
            u = nxt[mode, u]
    return False


@njit(cache=True)
def _try_merge(t, r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask):
    """If term t equals another term in two modes, merge them:
    a(x)b(x)c + a(x)b(x)c' = a(x)b(x)(c+c'). Returns (new rank, index that
    term `t`'s partner ended at or -1). Drops zero terms it creates."""
    for mode in range(3):
        m1 = (mode + 1) % 3
        m2 = (mode + 2) % 3
        u = head[mode, slot_of[mode, t]]
        while u >= 0:
            if u != t:
                if F[m1, u] == F[m1, t]:
                    # equal in mode and m1: sum the m2 factors into u
                    _set(m2, u, F[m2, u] ^ F[m2, t], F, keys, cnt, head, nxt, prv, slot_of, hist, kmax,
                         used, shift, mask)
                    return _merge_tail(t, u, r, m2, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax,
                                       used, shift, mask)
                if F[m2, u] == F[m2, t]:
                    _set(m1, u, F[m1, u] ^ F[m1, t], F, keys, cnt, head, nxt, prv, slot_of, hist, kmax,
                         used, shift, mask)
                    return _merge_tail(t, u, r, m1, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax,
                                       used, shift, mask)
            u = nxt[mode, u]
    return r


@njit(cache=True)
def _merge_tail(t, u, r, changed, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask):
    last = r - 1
    r = _delete(t, r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
    if u == last:
        u = t  # the last term moved into t's place
    if F[changed, u] == 0:
        r = _delete(u, r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
    return r


@njit(cache=True)
def _reduce_dependent(r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask):
    """One general reduction if any group (terms sharing a factor a in some
    mode) has linearly dependent vectors in another mode: with
    x_0 = x_1 + ... + x_s over the group members involved,
      sum_t a(x)x_t(x)y_t = sum_{t>0} a(x)x_t(x)(y_t + y_0),
    one term fewer. Pairs (equal vectors) are the case s = 1.
    Returns the new rank (r when nothing was found)."""
    members = np.empty(64, dtype=np.int64)
    vecs = np.empty(64, dtype=np.uint64)
    combo = np.empty(64, dtype=np.uint64)
    for mode in range(3):
        for t in range(r):
            s = slot_of[mode, t]
            if head[mode, s] != t or cnt[mode, s] < 3:
                continue  # visit each group once, from its head
            k = 0
            u = t
            while u >= 0 and k < 64:
                members[k] = u
                k += 1
                u = nxt[mode, u]
            for side in range(2):
                mx = (mode + 1 + side) % 3
                my = (mode + 2 - side) % 3
                # Gaussian elimination with a record of which members were combined
                for q in range(k):
                    vecs[q] = F[mx, members[q]]
                    combo[q] = np.uint64(1) << np.uint64(q)
                for q in range(k):
                    v = vecs[q]
                    c = combo[q]
                    for p in range(q):
                        if vecs[p] != 0:
                            low = vecs[p] & (~vecs[p] + np.uint64(1))
                            if v & low:
                                v ^= vecs[p]
                                c ^= combo[p]
                    if v == 0:
                        # members in c sum to zero in mode mx; drop member q
                        t0 = members[q]
                        y0 = F[my, t0]
                        for p in range(q):
                            if (c >> np.uint64(p)) & np.uint64(1):
                                tp = members[p]
                                _set(my, tp, F[my, tp] ^ y0, F, keys, cnt, head, nxt, prv, slot_of, hist,
                                     kmax, used, shift, mask)
                        r = _delete(t0, r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift,
                                    mask)
                        # a summed y may have become zero
                        p = 0
                        while p < r:
                            if F[0, p] == 0 or F[1, p] == 0 or F[2, p] == 0:
                                r = _delete(p, r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used,
                                            shift, mask)
                            else:
                                p += 1
                        return r
                    vecs[q] = v
                    combo[q] = c
    return r


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
    size = 1
    while size < 8 * cap:
        size *= 2
    shift = 64 - int(np.log2(size))
    mask = size - 1
    keys = np.zeros((3, size), dtype=np.uint64)
    cnt = np.zeros((3, size), dtype=np.int32)
    head = np.full((3, size), -1, dtype=np.int64)
    nxt = np.full((3, cap), -1, dtype=np.int64)
    prv = np.full((3, cap), -1, dtype=np.int64)
    slot_of = np.zeros((3, cap), dtype=np.int64)
    hist = np.zeros(cap + 2, dtype=np.int64)
    kmax = np.zeros(1, dtype=np.int64)
    used = np.zeros(3, dtype=np.int64)
    _rebuild(F, r, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
    for _ in range(max_steps):
        if r <= target:
            break
        if used[0] > size // 2 or used[1] > size // 2 or used[2] > size // 2:
            _rebuild(F, r, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
        before = r
        plus = plateau > 0 and counters[3] >= plateau and r < best_r[0] + plus_margin and r + 1 < cap
        if not plus and kmax[0] < 2:
            if plateau > 0 and r < best_r[0] + plus_margin and r + 1 < cap:
                plus = True
            else:
                break  # no flip exists and no plus transition allowed
        if plus:
            r = _plus(r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask, rng)
            counters[2] += 1
            counters[3] = 0
            continue
        # ---- draw a uniform flip by rejection
        km1 = kmax[0] - 1
        while True:
            mode = _below(rng, 3)
            i = _below(rng, r)
            k = cnt[mode, slot_of[mode, i]]
            if k >= 2 and _below(rng, km1) < k - 1:
                break
        pick = _below(rng, k - 1)
        j = head[mode, slot_of[mode, i]]
        while True:
            if j != i:
                if pick == 0:
                    break
                pick -= 1
            j = nxt[mode, j]
        m1 = (mode + 1) % 3
        m2 = (mode + 2) % 3
        _set(m2, i, F[m2, i] ^ F[m2, j], F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
        _set(m1, j, F[m1, j] ^ F[m1, i], F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
        counters[0] += 1
        counters[3] += 1
        # ---- reductions: zero factors, then merges with the changed terms
        hi = i if i > j else j
        lo = j if i > j else i
        if F[0, hi] == 0 or F[1, hi] == 0 or F[2, hi] == 0:
            r = _delete(hi, r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
            hi = -1
        if F[0, lo] == 0 or F[1, lo] == 0 or F[2, lo] == 0:
            r = _delete(lo, r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
            lo = -1
        if hi >= 0 and hi < r and _has_merge(hi, F, head, nxt, slot_of):
            r = _try_merge(hi, r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
        if lo >= 0 and lo < r and r == before and _has_merge(lo, F, head, nxt, slot_of):
            r = _try_merge(lo, r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
        if r == before and scan_every > 0 and counters[0] % scan_every == 0:
            r = _reduce_dependent(r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
        if r < before:
            counters[1] += 1
            counters[3] = 0
            if r < best_r[0]:
                best_r[0] = r
                best_F[:, :] = 0
                best_F[:, :r] = F[:, :r]
    return r


@njit(cache=True)
def _plus(r, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask, rng):
    """Plus transition (Arai, Ichikawa & Hukushima): for terms i, j,
    a(x)b(x)c + a'(x)b'(x)c' = (a+a')(x)b(x)c + a'(x)(b+b')(x)c + a'(x)b'(x)(c+c'),
    with the roles of the modes rotated at random. Rank + 1."""
    for _ in range(64):
        i = _below(rng, r)
        j = _below(rng, r - 1)
        if j >= i:
            j += 1
        rot = _below(rng, 3)
        ma = rot
        mb = (rot + 1) % 3
        mc = (rot + 2) % 3
        if F[ma, i] == F[ma, j] or F[mb, i] == F[mb, j] or F[mc, i] == F[mc, j]:
            continue
        k = r
        F[ma, k] = F[ma, j]
        F[mb, k] = F[mb, j]
        F[mc, k] = F[mc, j] ^ F[mc, i]
        for mode in range(3):
            _insert(mode, k, F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
        _set(ma, i, F[ma, i] ^ F[ma, j], F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
        _set(mb, j, F[mb, j] ^ F[mb, i], F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
        _set(mc, j, F[mc, i], F, keys, cnt, head, nxt, prv, slot_of, hist, kmax, used, shift, mask)
        return r + 1
    return r
