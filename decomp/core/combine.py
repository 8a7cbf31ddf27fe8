"""Building schemes for larger formats from smaller ones.

Every function returns a real Scheme (checked by the caller or by
`require_valid`), in the common ring of its inputs:
  product       <a,b,c> (x) <d,e,f> = <ad,be,cf>, rank r1*r2 (block recursion);
  direct_sum    <n,m,p1> + <n,m,p2> = <n,m,p1+p2> along any axis, ranks add;
  restrict      <n,m,p> -> <n',m',p'> smaller: zero rows/cols of A and B;
  project       the same for any chosen rows/cols (projection.py picks them);
  recombine     a small scheme applied to unequal blocks (AlphaTensor's
                recombination): term r multiplies blocks padded to the largest
                block it touches, with any scheme for that block format.
"""

from __future__ import annotations

import functools
from itertools import product as iproduct
from typing import Callable, Sequence

import numpy as np

from .errors import SchemeError
from .formats import Format
from .rings import Ring
from .scheme import Scheme
from .targets import require_matmul

AXES = ("n", "m", "p")


def common_ring(*schemes: Scheme) -> Ring:
    for s in schemes:
        require_matmul(s.fmt, "combination")
    rings = {s.ring for s in schemes}
    if Ring.GF2 in rings:
        if Ring.Q in rings:
            raise SchemeError("cannot combine a rational scheme with a GF(2) scheme")
        return Ring.GF2
    if Ring.Q in rings:
        return Ring.Q
    if rings == {Ring.ZT}:
        return Ring.ZT
    return Ring.Z


def _dtype(ring: Ring):
    return object if ring is Ring.Q else np.int64


def _as(s: Scheme, ring: Ring) -> Scheme:
    return s if s.ring is ring else (s if ring is Ring.Q else s.as_ring(ring))


# ------------------------------------------------------------------ product
def product(s1: Scheme, s2: Scheme) -> Scheme:
    """Kronecker product: the outer scheme's products are themselves
    computed by the inner scheme (block recursion)."""
    ring = common_ring(s1, s2)
    if ring is Ring.ZT:
        ring = Ring.Z  # products of {-1,0,1} stay there, but say z to be safe
    (a, b, c), (d, e, f) = s1.fmt.dims, s2.fmt.dims
    fmt = Format(a * d, b * e, c * f)
    dt = _dtype(ring)
    mats = []
    for F1, F2, (r1s, c1s), (r2s, c2s) in zip(
        (s1.U, s1.V, s1.W), (s2.U, s2.V, s2.W),
        ((a, b), (b, c), (c, a)), ((d, e), (e, f), (f, d)),
    ):
        A1 = np.asarray(F1, dtype=dt).T.reshape(-1, r1s, c1s)  # (R1, rows, cols)
        A2 = np.asarray(F2, dtype=dt).T.reshape(-1, r2s, c2s)
        # term (x, y) -> block matrix A1[x] (x) A2[y] with rows i1*d+i2, cols j1*e+j2
        out = np.einsum("xij,ykl->xyikjl", A1, A2) if dt is not object else _kron_obj(A1, A2)
        out = out.reshape(A1.shape[0] * A2.shape[0], r1s * r2s * c1s * c2s)
        mats.append(out.T)
    prov = {"method": "combined", "source": "product",
            "parents": [s1.provenance.get("source") or s1.provenance.get("method"),
                        s2.provenance.get("source") or s2.provenance.get("method")]}
    out = Scheme(fmt, *mats, ring=ring, provenance=prov)
    return out


def _kron_obj(A1, A2):
    R1, a, b = A1.shape
    R2, d, e = A2.shape
    out = np.empty((R1, R2, a, d, b, e), dtype=object)
    for x in range(R1):
        for y in range(R2):
            out[x, y] = np.multiply.outer(A1[x], A2[y]).transpose(0, 2, 1, 3)
    return out


# ------------------------------------------------------------- direct sums
def _embed(s: Scheme, big: Format, offset: tuple[int, int, int], ring: Ring):
    """Factor matrices of s placed inside `big` at block offset (di, dj, dk)."""
    n, m, p = s.fmt.dims
    N, M, P = big.dims
    di, dj, dk = offset
    dt = _dtype(ring)
    src = _as(s, ring)
    U = np.zeros((N * M, s.rank), dtype=dt)
    V = np.zeros((M * P, s.rank), dtype=dt)
    W = np.zeros((P * N, s.rank), dtype=dt)
    i, j, k = np.arange(n), np.arange(m), np.arange(p)
    U[((i[:, None] + di) * M + (j[None, :] + dj)).ravel()] = np.asarray(src.U, dtype=dt)
    V[((j[:, None] + dj) * P + (k[None, :] + dk)).ravel()] = np.asarray(src.V, dtype=dt)
    W[((k[:, None] + dk) * N + (i[None, :] + di)).ravel()] = np.asarray(src.W, dtype=dt)
    return U, V, W


def direct_sum(s1: Scheme, s2: Scheme, axis: int) -> Scheme:
    """Stack two formats along axis 0 (n: rows of A and C), 1 (m: inner,
    C = A1 B1 + A2 B2) or 2 (p: columns of B and C). The other two
    dimensions must agree."""
    d1, d2 = list(s1.fmt.dims), list(s2.fmt.dims)
    others = [x for x in range(3) if x != axis]
    if any(d1[x] != d2[x] for x in others):
        raise SchemeError(f"cannot stack {s1.fmt} and {s2.fmt} along {AXES[axis]}: other dimensions differ")
    ring = common_ring(s1, s2)
    big = list(d1)
    big[axis] = d1[axis] + d2[axis]
    big = Format(*big)
    off2 = [0, 0, 0]
    off2[axis] = d1[axis]
    a = _embed(s1, big, (0, 0, 0), ring)
    b = _embed(s2, big, tuple(off2), ring)
    mats = [np.hstack([x, y]) for x, y in zip(a, b)]
    prov = {"method": "combined", "source": f"direct sum along {AXES[axis]}"}
    return Scheme(big, *mats, ring=ring, provenance=prov)


def restrict(s: Scheme, small) -> Scheme:
    """The same products with A and B cut to a smaller format (rows/columns
    beyond it set to zero); terms that vanish are dropped."""
    small = Format.parse(small)
    if any(x > y for x, y in zip(small.dims, s.fmt.dims)):
        raise SchemeError(f"{small} does not fit inside {s.fmt}")
    return project(s, tuple(range(d) for d in small.dims), f"restriction of {s.fmt}")


def project(s: Scheme, keep, source: str | None = None) -> Scheme:
    """The scheme for the indices in keep = (rows, mids, cols) of the n, m
    and p axes only: A's rows and columns `mids`, B's columns `cols` (the
    others set to zero, C's rows and columns outside them ignored); terms
    that vanish are dropped."""
    rows, mids, cols = (list(x) for x in keep)
    N, M, P = s.fmt.dims
    if not all(0 <= x < d for idx, d in zip((rows, mids, cols), (N, M, P)) for x in idx) \
            or not (rows and mids and cols):
        raise SchemeError(f"indices {keep} do not select a format inside {s.fmt}")
    U = s.U[[i * M + j for i in rows for j in mids]]
    V = s.V[[j * P + k for j in mids for k in cols]]
    W = s.W[[k * N + i for k in cols for i in rows]]
    keep_terms = [r for r in range(s.rank) if np.any(U[:, r] != 0) and np.any(V[:, r] != 0) and np.any(W[:, r] != 0)]
    prov = {"method": "combined", "source": source or f"projection of {s.fmt}"}
    return Scheme(Format(len(rows), len(mids), len(cols)), U[:, keep_terms], V[:, keep_terms], W[:, keep_terms],
                  ring=s.ring, provenance=prov)


# ------------------------------------------------------------ recombination
# A big format <N,M,P> is cut into the small scheme's a x b x c block grid
# with block sizes given by "allocations" (sizes >= 0 that sum to N, M, P).
# Term r of the small scheme then multiplies padded blocks of format
#   (min(u rows, w rows), min(u cols, v rows), min(v cols, w cols)),
# where "u rows" is the largest row-block its A-combination touches, "w rows"
# the largest row-block of C it writes into, and so on: rows it never writes
# and zero padding need no computing. Each axis's size depends on that axis's
# allocation only, which makes the search over allocations vectorisable.


def _term_masks(s: Scheme):
    """Boolean masks per term: which row/col blocks each factor touches."""
    a, b, c = s.fmt.dims
    U = np.asarray(s.U != 0).reshape(a, b, -1)
    V = np.asarray(s.V != 0).reshape(b, c, -1)
    W = np.asarray(s.W != 0).reshape(c, a, -1)  # rows k, cols i
    return {
        "u_rows": U.any(axis=1).T, "u_cols": U.any(axis=0).T,   # (R, a), (R, b)
        "v_rows": V.any(axis=1).T, "v_cols": V.any(axis=0).T,   # (R, b), (R, c)
        "w_rows": W.any(axis=0).T, "w_cols": W.any(axis=1).T,   # (R, a): C rows i, (R, c): C cols k
    }


def _axis_sizes(alloc: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(F, R) padded size per allocation and term: min of the largest touched
    block in the two factors that meet on this axis."""
    big1 = (alloc[:, None, :] * first[None, :, :]).max(axis=2)
    big2 = (alloc[:, None, :] * second[None, :, :]).max(axis=2)
    return np.minimum(big1, big2)


def term_formats(s: Scheme, parts: Sequence[Sequence[int]]) -> list[tuple[int, int, int]]:
    """Block format each term of s multiplies for the given allocation."""
    masks = _term_masks(s)
    pn, pm, pp = (np.asarray([list(x)], dtype=np.int64) for x in parts)
    if (pn.shape[1], pm.shape[1], pp.shape[1]) != s.fmt.dims:
        raise SchemeError(f"{s.fmt} needs {s.fmt.n}, {s.fmt.m}, {s.fmt.p} block sizes")
    x = _axis_sizes(pn, masks["u_rows"], masks["w_rows"])[0]
    y = _axis_sizes(pm, masks["u_cols"], masks["v_rows"])[0]
    z = _axis_sizes(pp, masks["v_cols"], masks["w_cols"])[0]
    return [(int(i), int(j), int(k)) for i, j, k in zip(x, y, z)]


@functools.cache
def fillings(total: int, parts: int) -> np.ndarray:
    """All allocations of `total` rows to `parts` blocks (sizes >= 0), as a
    read-only array (cached: the DP asks for the same ones many times)."""
    if parts == 1:
        out = np.array([[total]], dtype=np.int64)
    else:
        out = np.array([[first, *rest] for first in range(total + 1)
                        for rest in fillings(total - first, parts - 1).tolist()], dtype=np.int64)
    out.flags.writeable = False
    return out


def best_recombination(s: Scheme, target, rank_table: np.ndarray, max_fillings: int = 400):
    """Lowest total rank of s applied to `target` over all allocations.

    rank_table[x, y, z]: best known rank of <x,y,z> (0 where a size is 0).
    Returns (rank, (alloc_n, alloc_m, alloc_p)) or None when an axis has more
    than max_fillings allocations (kept as a bound on the work).
    """
    N, M, P = Format.parse(target).dims
    masks = _term_masks(s)
    fa, fb, fc = fillings(N, s.fmt.n), fillings(M, s.fmt.m), fillings(P, s.fmt.p)
    if max(len(fa), len(fb), len(fc)) > max_fillings:
        return None
    X = _axis_sizes(fa, masks["u_rows"], masks["w_rows"])  # (Fa, R)
    Y = _axis_sizes(fb, masks["u_cols"], masks["v_rows"])  # (Fb, R)
    Z = _axis_sizes(fc, masks["v_cols"], masks["w_cols"])  # (Fc, R)
    # One flat gather per row allocation: indexing the raveled table with
    # x*S*S + y*S + z is several times faster than three index arrays.
    flat = np.ascontiguousarray(rank_table).ravel()
    side = rank_table.shape[1] * rank_table.shape[2]
    yz = (Y * rank_table.shape[2])[:, None, :] + Z[None, :, :]  # (Fb, Fc, R)
    best = None
    for ia in range(len(fa)):
        costs = flat.take(yz + X[ia] * side).sum(axis=2)
        ib, ic = np.unravel_index(int(np.argmin(costs)), costs.shape)
        value = int(costs[ib, ic])
        if best is None or value < best[0]:
            best = (value, (fa[ia].tolist(), fb[ib].tolist(), fc[ic].tolist()))
    return best


def recombine(s: Scheme, parts, scheme_for: Callable[[Format], Scheme]) -> Scheme:
    """Apply small scheme s to a big format cut into blocks of the given
    sizes; each term's padded block product is computed by
    scheme_for(block format) (terms with an empty block are skipped)."""
    pn, pm, pp = (list(map(int, x)) for x in parts)
    if min(pn + pm + pp) < 0:
        raise SchemeError("block sizes must be >= 0")
    big = Format(sum(pn), sum(pm), sum(pp))
    N, M, P = big.dims
    on, om, op = (np.concatenate([[0], np.cumsum(x)[:-1]]).astype(int) for x in (pn, pm, pp))
    a, b, c = s.fmt.dims
    formats = term_formats(s, (pn, pm, pp))
    inner_schemes = {f: scheme_for(Format(*f)) for f in set(formats) if min(f) > 0}
    for f, inner in inner_schemes.items():
        if inner.fmt.dims != f:
            raise SchemeError(f"scheme_for({Format(*f)}) returned a scheme for {inner.fmt}")
    ring = common_ring(s, *inner_schemes.values())
    dt = _dtype(ring)
    sU, sV, sW = (np.asarray(x, dtype=dt) for x in _as(s, ring).factors)
    cols = ([], [], [])

    def place(vec, coef, blk, r0, c0, stride):
        h, wd = blk.shape
        idx = (r0 + np.arange(h))[:, None] * stride + (c0 + np.arange(wd))[None, :]
        vec[idx.ravel()] += (coef * blk).ravel()

    for r, f in enumerate(formats):
        if min(f) == 0:
            continue
        inner = _as(inner_schemes[f], ring)
        x, y, z = f
        iU, iV, iW = (np.asarray(q, dtype=dt) for q in inner.factors)
        for t in range(inner.rank):
            u = np.zeros(N * M, dtype=dt)
            v = np.zeros(M * P, dtype=dt)
            w = np.zeros(P * N, dtype=dt)
            um, vm, wm = iU[:, t].reshape(x, y), iV[:, t].reshape(y, z), iW[:, t].reshape(z, x)
            for bi, bj in iproduct(range(a), range(b)):
                if sU[bi * b + bj, r] != 0:
                    place(u, sU[bi * b + bj, r], um[: min(pn[bi], x), : min(pm[bj], y)], on[bi], om[bj], M)
            for bj, bk in iproduct(range(b), range(c)):
                if sV[bj * c + bk, r] != 0:
                    place(v, sV[bj * c + bk, r], vm[: min(pm[bj], y), : min(pp[bk], z)], om[bj], op[bk], P)
            for bk, bi in iproduct(range(c), range(a)):
                if sW[bk * a + bi, r] != 0:
                    place(w, sW[bk * a + bi, r], wm[: min(pp[bk], z), : min(pn[bi], x)], op[bk], on[bi], N)
            for store, vec in zip(cols, (u, v, w)):
                store.append(vec)
    mats = [np.stack(col, axis=1) if col else np.zeros((rows, 0), dtype=dt)
            for col, rows in zip(cols, big.shape)]
    if ring is Ring.GF2:
        mats = [m % 2 for m in mats]
    prov = {"method": "combined", "source": f"recombination of {s.fmt} on {big} with blocks {pn},{pm},{pp}"}
    return Scheme(big, *mats, ring=ring, provenance=prov)


def balanced_parts(total: int, count: int) -> list[int]:
    q, r = divmod(total, count)
    return [q + 1] * r + [q] * (count - r)
