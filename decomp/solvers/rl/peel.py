"""Exact decomposition of an integer residual with one term more than
Jennrich's algorithm can take.

Jennrich (jennrich.py) splits S = sum of r terms when two modes have r
independent factors. With r + 1 terms it cannot: the contractions M_x, M_y
mix r + 1 terms in an r-dimensional pencil. But if one term's third factor w
is known, contracting with x and y orthogonal to w removes that term, and
M_x M_y^-1 is again diagonalised by the other r terms' u's (and its
transpose by their v's). In the basis of those u's and v's the known term is
the only one off the diagonal: fibre (p, q) of the core is u~_p v~_q w for
p != q, a rank-one matrix u~ v~^T with its diagonal missing, which fixes u~
and v~. The peeled term u (x) v (x) w, made integral, leaves r terms that
Jennrich (or, one term further down, this again) splits exactly; the whole
is accepted only if that split succeeds and the terms sum to S.

Terms whose third factors are coplanar with w meet x and y in the same
ratio: a repeated eigenvalue, whose eigenspace holds their u's (or v's)
without telling them apart. The core is then block-diagonal rather than
diagonal, and u~ v~^T is known off the blocks only. With two blocks of two
that leaves one scale between them free; u is guessed too (a direction in
the plane the scale sweeps) to fix it.

The known direction is guessed: every primitive vector with entries in
{-1, 0, 1} (up to sign), in each mode, one batched eigenvalue problem for
all of them. For <2,2,2> that is 40 directions a mode; all 21 residuals of
Strassen's scheme with 5 terms left complete, and all 35 with 4 left (17 by
Jennrich alone). Only one term is peeled: guessing two (780 pairs of
directions) would complete <2,2,2> after a single correct move, leaving the
endgame, not the agent, to find the scheme.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

from .jennrich import (COMPLEX, SINGULAR, TOLERANCE, primitive_vector, batched_flattening_ranks, core_in_spans,
                       in_mode_order, jennrich_terms, near_integral_columns, residual_cache)

# Entries of the guessed directions, and the longest mode they are guessed
# for: 3^c / 2 directions a mode (40 for c = 4, 364 for c = 6, 9841 for 9),
# each one eigenvalue problem per residual.
DIRECTION_ENTRIES = (-1, 0, 1)
MAX_MODE = 6
ORDERS = ((0, 1, 2), (1, 2, 0), (2, 0, 1))


@lru_cache(maxsize=16)
def directions(length: int) -> np.ndarray:
    """(K, length) primitive vectors with entries in DIRECTION_ENTRIES, first
    nonzero entry positive (a direction and its negative are one)."""
    out = []
    for entries in itertools.product(DIRECTION_ENTRIES, repeat=length):
        v = np.array(entries, dtype=np.int64)
        nz = np.flatnonzero(v)
        if len(nz) and v[nz[0]] > 0 and np.gcd.reduce(np.abs(v[nz])) == 1:
            out.append(v)
    out = np.array(out, dtype=np.int64).reshape(-1, length)
    out.setflags(write=False)             # cached: shared by every caller
    return out


# Eigenvalues closer than this are one (repeated) eigenvalue.
SAME = 1e-6


def _groups(vals: np.ndarray) -> np.ndarray:
    """(..., r) labels: equal labels for equal eigenvalues. Repeated ones are
    common: two terms whose third factors are coplanar with w (as in
    Strassen's scheme, where w_6 + w_7 = w_1) meet x and y orthogonal to w in
    the same ratio."""
    close = np.abs(vals[..., :, None] - vals[..., None, :]) < SAME
    return close.argmax(axis=-1)


def _pencils(T: np.ndarray, r: int):
    """For (N, a, b, c) float tensors whose first two flattenings have rank
    r, and each direction w (rows of D): the r x r pencils M_x, M_y (N, K,
    r, r) contracted with x and y orthogonal to w, in orthonormal bases Ua
    (N, a, r), Ub (N, b, r) of the first two modes' spans; and (N, K) bool,
    True where the pencil has real eigenvalues, not all equal, and
    near-integral eigenvectors where the eigenvalue is simple (a term's u).
    x and y are the same on every call, so the batched pre-test and the
    exact split see the same pencils."""
    c = T.shape[3]
    D = directions(c).astype(np.float64)
    rng = np.random.default_rng(0)
    x0, y0 = rng.standard_normal(c), rng.standard_normal(c)
    norms = (D * D).sum(axis=1)
    X = x0 - D * (D @ x0 / norms)[:, None]            # orthogonal to each w: that term drops out
    Y = y0 - D * (D @ y0 / norms)[:, None]
    Ua, Ub, core = core_in_spans(T, r)
    Mx, My = np.einsum("npqk,Kk->nKpq", core, X), np.einsum("npqk,Kk->nKpq", core, Y)
    ok = np.zeros(Mx.shape[:2], dtype=bool)
    fine = np.abs(np.linalg.det(My)) > SINGULAR
    if not fine.any():
        return Mx, My, Ua, Ub, ok
    vals, vecs = np.linalg.eig(Mx[fine] @ np.linalg.inv(My[fine]))
    real = np.abs(vals.imag).max(axis=1) <= COMPLEX
    labels = _groups(vals.real)
    simple = (labels[:, :, None] == labels[:, None, :]).sum(axis=2) == 1
    owner = np.nonzero(fine)[0]                       # which tensor each pencil belongs to
    integral = (near_integral_columns(np.einsum("mip,mpq->miq", Ua[owner], vecs.real)) | ~simple).all(axis=1)
    several = (labels != labels[:, :1]).any(axis=1)          # not all one eigenvalue
    ok[fine] = real & integral & several
    return Mx, My, Ua, Ub, ok


def _eigenspaces(P: np.ndarray):
    """Eigenvalues of P (real, sorted) and for each distinct one an
    orthonormal basis of its eigenspace, as (value, basis) pairs."""
    vals = np.sort(np.linalg.eigvals(P).real)
    out, seen = [], []
    r = len(P)
    for lam in vals:
        if any(abs(lam - s) < SAME for s in seen):
            continue
        seen.append(lam)
        _, sing, vt = np.linalg.svd(P - lam * np.eye(r))
        dim = int((sing < 1e-6 * max(1.0, sing[0])).sum())
        out.append((lam, vt[r - max(dim, 1):].T))
    return out


def _rank_one_components(M: np.ndarray, known: np.ndarray):
    """The rank-one matrix u v^T that agrees with M wherever known[p, q], in
    components: [(u, v)], each nonzero on its own rows and columns, with one
    scale of its own (u t, v / t) that the known entries leave free. One
    component when the known entries connect all rows and columns (three or
    more groups of terms), two when two groups of two terms leave their own
    blocks unknown. None when no rank-one matrix fits."""
    r = len(M)
    if not known.any() or np.abs(M[known]).max() < TOLERANCE:
        return None
    u, v = np.full(r, np.nan), np.full(r, np.nan)
    parts = []
    while True:
        # Start a component at the largest known entry whose row and column are both open.
        free = known & np.isnan(u)[:, None] & np.isnan(v)[None, :] & (np.abs(M) > TOLERANCE)
        if not free.any():
            break
        p, _ = np.unravel_index(np.argmax(np.where(free, np.abs(M), 0.0)), M.shape)
        cu, cv = np.full(r, np.nan), np.full(r, np.nan)
        cu[p] = 1.0
        changed = True
        while changed:
            changed = False
            for i, j in zip(*np.nonzero(known)):
                if not np.isnan(cu[i]) and np.isnan(cv[j]) and np.isnan(v[j]) and abs(cu[i]) > TOLERANCE:
                    cv[j], changed = M[i, j] / cu[i], True
                elif not np.isnan(cv[j]) and np.isnan(cu[i]) and np.isnan(u[i]) and abs(cv[j]) > TOLERANCE:
                    cu[i], changed = M[i, j] / cv[j], True
        u = np.where(np.isnan(cu), u, cu)
        v = np.where(np.isnan(cv), v, cv)
        parts.append((np.nan_to_num(cu), np.nan_to_num(cv)))
    if len(parts) > 2:
        return None
    if len(parts) == 1:
        uu, vv = parts[0]
        if np.abs(np.outer(uu, vv)[known] - M[known]).max() > 1e-6 * max(1.0, np.abs(M).max()):
            return None
    return parts


def _peeled_factors(U, V, parts, mode_length: int):
    """Integer u, v of the peeled term from the completion's components, or
    [] if none is integral. Two components leave u = p + t q (and v = r + s / t)
    with t free: each guessable direction in span(p, q) fixes t."""
    if len(parts) == 1:
        choices = [(U @ parts[0][0], V @ parts[0][1])]
    else:
        (u1, v1), (u2, v2) = parts
        p, q, rr, ss = U @ u1, U @ u2, V @ v1, V @ v2
        basis = np.stack([p, q], axis=1)
        D = directions(mode_length).astype(np.float64)
        coef = np.linalg.lstsq(basis, D.T, rcond=None)[0]            # (2, K)
        fits = np.abs(basis @ coef - D.T).max(axis=0) < 1e-6
        choices = []
        for k in np.flatnonzero(fits & (np.abs(coef[0]) > TOLERANCE) & (np.abs(coef[1]) > TOLERANCE)):
            t = coef[1, k] / coef[0, k]
            choices.append((p + t * q, rr + ss / t))
    out = []
    for uf, vf in choices:
        u = primitive_vector(uf)
        if u is None:
            continue
        # uf (x) vf = u (x) (s vf), s the scale between uf and u.
        vs = vf * float(uf @ u) / float(u @ u)
        v = np.rint(vs).astype(np.int64)
        if np.abs(vs - v).max() < 1e-6 and v.any():
            out.append((u, v))
    return out


def _factor_basis(spaces, Ubasis: np.ndarray):
    """Columns for a basis change: each simple eigenvalue's eigenvector as a
    primitive integer vector (a term's factor), each repeated one's
    eigenspace as it comes; and each column's group. None if a simple one
    is not integral."""
    cols, groups = [], []
    for g, (_, basis) in enumerate(spaces):
        vecs = Ubasis @ basis
        if vecs.shape[1] == 1:
            vec = primitive_vector(vecs[:, 0])
            if vec is None:
                return None
            vecs = vec[:, None].astype(np.float64)
        cols.extend(vecs.T)
        groups.extend([g] * vecs.shape[1])
    return np.array(cols).T, np.array(groups)


def _peel_one(S: np.ndarray, T: np.ndarray, order, r: int, w: np.ndarray, Mx, My, Ua, Ub) -> np.ndarray | None:
    """The r + 1 exact terms of S (in S's mode order) whose term along the
    direction w (mode order[2] of S) is peeled off, or None."""
    inv = np.linalg.inv(My)
    left = _eigenspaces(Mx @ inv)                        # the other terms' u's
    right = _eigenspaces(Mx.T @ inv.T)                   # and their v's, same eigenvalues
    if len(left) != len(right) or any(abs(a[0] - b[0]) > 1e-5 or a[1].shape != b[1].shape
                                      for a, b in zip(left, right)):
        return None
    fu, fv = _factor_basis(left, Ua), _factor_basis(right, Ub)
    if fu is None or fv is None:
        return None
    (U, groups), (V, _) = fu, fv
    if U.shape[1] != r or V.shape[1] != r:
        return None
    # The core in the basis of the other terms' u's and v's: fibres between
    # two groups belong to the peeled term alone, and lie along w.
    core = np.einsum("ijk,pi,qj->pqk", T, np.linalg.pinv(U), np.linalg.pinv(V))
    wf = w.astype(np.float64)
    M = core @ wf / float(wf @ wf)
    known = groups[:, None] != groups[None, :]
    if np.abs(core[known] - M[known][:, None] * wf).max() > 1e-6 * max(1.0, np.abs(core).max()):
        return None                        # fibres between groups not all along w: wrong direction
    parts = _rank_one_components(M, known)
    if parts is None:
        return None
    rest = None
    for u, v in _peeled_factors(U, V, parts, T.shape[0]):
        rest = exact_terms(np.rint(T).astype(np.int64) - np.einsum("i,j,k->ijk", u, v, w), below=r + 1)
        if rest is not None and len(rest) == r:
            break
    if rest is None or len(rest) != r:
        return None
    terms_T = np.concatenate([np.concatenate([u, v, w])[None], rest])
    return in_mode_order(terms_T, order, S)


def exact_terms(residual: np.ndarray, below: int | None = None) -> np.ndarray | None:
    """Jennrich's split, or failing that a peeled one: the exact terms of
    the residual when either finds fewer than `below`, else None."""
    terms = jennrich_terms(residual, below=below)
    return terms if terms is not None else peeled_terms(residual, below=below)


@residual_cache
def peeled_terms(S: np.ndarray, below: int | None = None) -> np.ndarray | None:
    """(r + 1, a+b+c) integer factor triples summing exactly to the residual
    S, r the rank of two of its flattenings, one term with its factor in the
    third mode among `directions`; None when this finds none (or none with
    r + 1 below `below`)."""
    if not S.any():
        return None
    ranks = [int(x) for x in batched_flattening_ranks(S[None])[0]]
    for order in ORDERS:
        if not _peelable(ranks, order, S.shape, below):
            continue
        r = ranks[order[0]]
        T = np.transpose(S, order).astype(np.float64)
        Mx, My, Ua, Ub, ok = _pencils(T[None], r)
        for k in np.flatnonzero(ok[0]):
            out = _peel_one(S, T, order, r, directions(S.shape[order[2]])[k], Mx[0, k], My[0, k], Ua[0], Ub[0])
            if out is not None:
                return out
    return None


def may_peel(residuals: np.ndarray, ranks: np.ndarray | None = None) -> np.ndarray:
    """(N,) bool: False where peeled_terms must fail (no direction in any mode
    gives a pencil that could come from r + 1 small integral terms), True
    where it may succeed. One batched eigenvalue problem per mode order and
    rank, so that search can ask it of every drawn move's child."""
    S = np.asarray(residuals, dtype=np.float64)
    ranks = batched_flattening_ranks(S) if ranks is None else np.asarray(ranks)
    out = np.zeros(len(S), dtype=bool)
    for order in ORDERS:
        able = np.array([_peelable(rk, order, S.shape[1:], None) for rk in ranks], dtype=bool)
        for r in np.unique(ranks[able, order[0]]):
            idx = np.flatnonzero(able & (ranks[:, order[0]] == r) & ~out)
            if len(idx):
                out[idx] |= _pencils(np.transpose(S[idx], (0,) + tuple(m + 1 for m in order)), int(r))[4].any(axis=1)
    return out


def _peelable(ranks, order, shape, below: int | None) -> bool:
    """Whether r + 1 terms, r the equal flattening ranks of modes order[0]
    and order[1], can be looked for with the direction guessed in order[2]:
    the third flattening's rank is a lower bound on the rank, the guesses
    must be few enough, and r + 1 must beat `below`."""
    m0, m1, m2 = order
    r = int(ranks[m0])
    return (r >= 2 and ranks[m1] == r and ranks[m2] <= r + 1 and 3 <= shape[m2] <= MAX_MODE
            and (below is None or r + 1 < below))
