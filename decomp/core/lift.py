"""Lifting a GF(2) scheme to Z with the same support (Hensel lifting).

Unknowns are the nonzero entries of U, V, W (zeros stay zero). Starting from
x = 1 on the support (a solution mod 2), step k finds delta in {0,1}^N with
  J(x) delta = -F(x) / 2^k  (mod 2),
where F(x) is the Brent residual, exactly divisible by 2^k, and J is its
Jacobian, which mod 2 depends only on the support. Then x += 2^k delta solves
the equations mod 2^(k+1). After each step the symmetric residues are tried
over Z; most schemes that lift at all give +-1 coefficients within 2-3 steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rings import Ring
from .scheme import Scheme

MAX_BITS = 24


@dataclass(frozen=True)
class LiftResult:
    scheme: Scheme | None  # verified over Z, or None
    message: str


def _support(s: Scheme):
    pos = [np.argwhere(np.asarray(m) % 2 == 1) for m in s.factors]
    return pos


def _residual(vals, pos, s: Scheme, modulus: int) -> np.ndarray:
    """F(x) = sum_r U (x) V (x) W - T over Z/modulus, as int64 dense tensor."""
    mats = []
    for (idx, v), rows in zip(zip(pos, vals), s.fmt.shape):
        m = np.zeros((rows, s.rank), dtype=np.int64)
        m[idx[:, 0], idx[:, 1]] = v
        mats.append(m % modulus)
    U, V, W = mats
    rec = np.zeros(s.fmt.shape, dtype=np.int64)
    for r in range(s.rank):
        uv = np.outer(U[:, r], V[:, r]) % modulus
        rec = (rec + uv[:, :, None] * W[None, None, :, r]) % modulus
    return (rec - s.fmt.tensor()) % modulus


def _jacobian(pos, s: Scheme):
    """Rows: tensor positions touched by some product; columns: unknowns.
    Returns the equation index array (flat tensor positions) and a dense 0/1
    uint8 matrix (mod 2 the Jacobian only depends on the support)."""
    shape = s.fmt.shape
    nU, nV, nW = (len(p) for p in pos)
    cols_by_r = [[[] for _ in range(s.rank)] for _ in range(3)]
    for mode in range(3):
        for col, (row, r) in enumerate(pos[mode]):
            cols_by_r[mode][r].append((row, col))
    offsets = (0, nU, nU + nV)
    entries = {}
    for r in range(s.rank):
        us, vs, ws = cols_by_r[0][r], cols_by_r[1][r], cols_by_r[2][r]
        for a, cu in us:
            for b, cv in vs:
                for c, cw in ws:
                    flat = (a * shape[1] + b) * shape[2] + c
                    row = entries.setdefault(flat, [])
                    row.extend((offsets[0] + cu, offsets[1] + cv, offsets[2] + cw))
    eqs = np.array(sorted(entries), dtype=np.int64)
    J = np.zeros((len(eqs), nU + nV + nW), dtype=np.uint8)
    for i, flat in enumerate(eqs):
        for col in entries[flat]:
            J[i, col] ^= 1
    return eqs, J


def _solve_gf2(J: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """One solution of J x = rhs over GF(2) (free variables 0), or None."""
    A = np.concatenate([J, rhs[:, None]], axis=1).astype(np.uint8)
    A = np.packbits(A, axis=1, bitorder="little")
    nrows, ncols = J.shape
    pivots = []
    row = 0
    for col in range(ncols):
        byte, bit = divmod(col, 8)
        colbits = (A[row:, byte] >> bit) & 1
        hits = np.flatnonzero(colbits)
        if len(hits) == 0:
            continue
        p = row + hits[0]
        if p != row:
            A[[row, p]] = A[[p, row]]
        others = np.flatnonzero((A[:, byte] >> bit) & 1)
        others = others[others != row]
        A[others] ^= A[row]
        pivots.append(col)
        row += 1
        if row == nrows:
            break
    bits = np.unpackbits(A, axis=1, bitorder="little")[:, : ncols + 1]
    # inconsistent: a zero row with rhs 1
    if np.any((bits[row:, :ncols].sum(axis=1) == 0) & (bits[row:, ncols] == 1)):
        return None
    x = np.zeros(ncols, dtype=np.int64)
    for i, col in enumerate(pivots):
        x[col] = bits[i, ncols]
    return x


def lift_gf2(s: Scheme, max_bits: int = MAX_BITS) -> LiftResult:
    """Try to turn a GF(2) scheme into a Z scheme with the same support."""
    if s.ring is not Ring.GF2:
        s = s.as_ring(Ring.GF2)
    if not s.verify().ok:
        return LiftResult(None, "not a valid GF(2) scheme")
    pos = _support(s)
    vals = [np.ones(len(p), dtype=np.int64) for p in pos]
    eqs, J = _jacobian(pos, s)
    sizes = [len(p) for p in pos]
    for k in range(1, max_bits):
        modulus = 1 << (k + 1)
        candidate = _candidate(s, pos, vals, 1 << k)
        if candidate is not None:
            return LiftResult(candidate, f"lifted to Z after {k - 1} Hensel step(s)")
        F = _residual(vals, pos, s, modulus).ravel()
        if np.any(F % (1 << k)):
            return LiftResult(None, "internal: residual not divisible")  # cannot happen
        rhs = ((-(F // (1 << k))) % 2)[eqs].astype(np.uint8)
        if np.any(F[np.setdiff1d(np.arange(F.size), eqs)] % modulus):
            return LiftResult(None, "does not lift: an untouched tensor entry is odd")
        delta = _solve_gf2(J, rhs)
        if delta is None:
            return LiftResult(None, f"does not lift to Z: no solution mod 2^{k + 1} with this support")
        parts = np.split(delta, np.cumsum(sizes)[:-1])
        vals = [(v + (1 << k) * d) % modulus for v, d in zip(vals, parts)]
    return LiftResult(None, f"no small integer lift within 2^{max_bits}")


def _candidate(s: Scheme, pos, vals, modulus: int) -> Scheme | None:
    """Symmetric residues of the current lift, if they form a Z scheme."""
    mats = []
    for (idx, v), rows in zip(zip(pos, vals), s.fmt.shape):
        sym = np.where(v % modulus > modulus // 2, v % modulus - modulus, v % modulus)
        m = np.zeros((rows, s.rank), dtype=np.int64)
        m[idx[:, 0], idx[:, 1]] = sym
        mats.append(m)
    prov = dict(s.provenance)
    prov["lifted_from"] = "gf2"
    z = Scheme(s.fmt, *mats, ring=Ring.Z, provenance=prov)
    return z if z.verify().ok else None
