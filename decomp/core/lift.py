"""Lifting a GF(2) scheme to Z (Hensel lifting).

First with the same support: unknowns are the nonzero entries of U, V, W
(zeros stay zero). Starting from
x = 1 on the support (a solution mod 2), step k finds delta in {0,1}^N with
  J(x) delta = -F(x) / 2^k  (mod 2),
where F(x) is the Brent residual, exactly divisible by 2^k, and J is its
Jacobian, which mod 2 depends only on the support. Then x += 2^k delta solves
the equations mod 2^(k+1). After each step the symmetric residues are tried
over Z; most schemes that lift at all give +-1 coefficients within 2-3 steps.

Then, when that fails, with every entry an unknown (_lift_free): a GF(2)
zero may become an even integer, so a Z scheme whose support differs from
the GF(2) one, as flips over GF(2) make (1 + 1 = 0 there, 2 over Z), is
found too. The Jacobian mod 2 is the same at every step, so it is reduced
once; its kernel is large (the scaling and sign symmetries of each term),
and which solution is taken decides whether the residues stay small. Step 1
fixes the signs: the first try takes the zero choice, later tries random
ones; later steps prefer the choice that keeps an entry at -1 (2^k - 1 ->
2^(k+1) - 1). By hand, along flip walks from the standard algorithm
(schemes at each new best rank): 2x4x4, 3x3x4 and 4x4x5 schemes that had no
lift with their support lifted this way, e.g. 4x4x5 at ranks 78 and 66
where the support lift failed on all 16 tried.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .coefficients import first_member
from .errors import DecompError
from .formats import Format
from .rings import Ring
from .scheme import Scheme
from .sign_lift import lift_signs
from .support import support_positions, support_products

MAX_BITS = 24
# The free lift: steps per try, tries (sign choices), and the largest
# matrix it reduces (equations x (unknowns + equations) bits: 4x4x5 at rank
# 66 is 6.5e7 and takes about a second; 4x4x7 at 85 (2.3e8) and 4x5x6 at 90
# (3.0e8), both proved to have no lift mod 4, took 8 and 19-27 s in single
# runs beside three others, the second with a peak of 0.5 GB; 2x7x8 at 88 is
# 2.5e8, 5x5x5 at 100 3.6e8). Up to stop 30 the bound was 2e8, which left
# those formats' GF(2) schemes untried.
FREE_BITS = 8
FREE_TRIES = 8
FREE_MAX_CELLS = 400_000_000


@dataclass(frozen=True)
class LiftResult:
    scheme: Scheme | None  # verified over Z, or None
    message: str


def _dense(pos, vals, s: Scheme) -> list[np.ndarray]:
    """U, V, W with the support lift's values on their support, zeros elsewhere."""
    mats = []
    for (idx, v), rows in zip(zip(pos, vals), s.fmt.shape):
        m = np.zeros((rows, s.rank), dtype=np.int64)
        m[idx[:, 0], idx[:, 1]] = v
        mats.append(m)
    return mats


def residual_mod(mats, s: Scheme, modulus: int) -> np.ndarray:
    """F(x) = sum_r U (x) V (x) W - T over Z/modulus, as int64 dense tensor
    (reduced term by term: entries up to 2^24 would overflow a product of three)."""
    U, V, W = (m % modulus for m in mats)
    rec = np.zeros(s.fmt.shape, dtype=np.int64)
    for r in range(s.rank):
        uv = np.outer(U[:, r], V[:, r]) % modulus
        rec = (rec + uv[:, :, None] * W[None, None, :, r]) % modulus
    return (rec - s.fmt.tensor()) % modulus


def _jacobian(pos, s: Scheme):
    """Rows: tensor positions touched by some product; columns: unknowns.
    Returns the equation index array (flat tensor positions) and a dense 0/1
    uint8 matrix (mod 2 the Jacobian only depends on the support)."""
    touching, _ = support_products(s, pos)
    eqs = np.array(sorted(touching), dtype=np.int64)
    J = np.zeros((len(eqs), sum(len(p) for p in pos)), dtype=np.uint8)
    for i, flat in enumerate(eqs):
        for product in touching[flat]:
            for col in product:
                J[i, col] ^= 1
    return eqs, J


def _eliminate(A: np.ndarray, ncols: int) -> list[int]:
    """Reduced row echelon form, in place, of the bit-packed rows A (little
    bit order) on their first ncols columns; the later columns ride along.
    Returns the pivot columns (pivot i is in row i)."""
    nrows = A.shape[0]
    pivots: list[int] = []
    for col in range(ncols):
        row = len(pivots)
        if row == nrows:
            break
        byte, bit = divmod(col, 8)
        hits = np.flatnonzero((A[row:, byte] >> bit) & 1)
        if len(hits) == 0:
            continue
        p = row + hits[0]
        if p != row:
            A[[row, p]] = A[[p, row]]
        others = np.flatnonzero((A[:, byte] >> bit) & 1)
        A[others[others != row]] ^= A[row]
        pivots.append(col)
    return pivots


def _solve_gf2(J: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """One solution of J x = rhs over GF(2) (free variables 0), or None."""
    A = np.concatenate([J, rhs[:, None]], axis=1).astype(np.uint8)
    A = np.packbits(A, axis=1, bitorder="little")
    ncols = J.shape[1]
    pivots = _eliminate(A, ncols)
    row = len(pivots)
    bits = np.unpackbits(A, axis=1, bitorder="little")[:, : ncols + 1]
    # inconsistent: a zero row with rhs 1
    if np.any((bits[row:, :ncols].sum(axis=1) == 0) & (bits[row:, ncols] == 1)):
        return None
    x = np.zeros(ncols, dtype=np.int64)
    for i, col in enumerate(pivots):
        x[col] = bits[i, ncols]
    return x


def lift_gf2(s: Scheme, max_bits: int = MAX_BITS, free: bool = True, ring=Ring.Z, signs: bool = True) -> LiftResult:
    """Try to turn a GF(2) scheme into a Z scheme: with the same support
    first (Hensel, then, signs=True, signs in {-1, 1} by SAT: sign_lift.py),
    then (free=True) letting GF(2) zeros become even integers. ring="zt"
    asks for entries in {-1, 0, 1}: those signs, else a Z lift that a
    change of basis takes there."""
    ring = Ring.parse(ring)
    if ring not in (Ring.Z, Ring.ZT):
        raise DecompError(f"a GF(2) scheme lifts to z or zt, not {ring.value}")
    if s.ring is not Ring.GF2:
        s = s.as_ring(Ring.GF2)
    if not s.verify().ok:
        return LiftResult(None, "not a valid GF(2) scheme")
    same, signs_possible = _lift_support(s, max_bits)
    if same.scheme is not None and (ring is Ring.Z or same.scheme.verify(Ring.ZT).ok):
        return LiftResult(same.scheme.as_ring(ring), same.message)
    messages = same.message
    if signs and signs_possible:  # Hensel follows one solution mod 4; SAT asks all sign choices at once
        signed, how = lift_signs(s)
        if signed is not None:
            return LiftResult(signed.as_ring(ring), how)
        messages += f"; {how}"
    found = same.scheme
    if found is None and free:
        equations = s.fmt.shape[0] * s.fmt.shape[1] * s.fmt.shape[2]
        cells = equations * (s.rank * sum(s.fmt.shape) + equations)
        if cells > FREE_MAX_CELLS:
            messages += "; too large to lift with free entries"
        else:
            other = _lift_free(s)
            found = other.scheme
            messages = other.message if found is not None else f"{messages}; with free entries: {other.message}"
    if found is None or ring is Ring.Z:
        return LiftResult(found, messages)
    member = first_member(found) if isinstance(s.fmt, Format) else None
    if member is None:
        return LiftResult(None, f"{messages}; its lift leaves {{-1, 0, 1}} and no change of basis brings it back")
    return LiftResult(member, f"{messages}; a change of basis took its lift to {{-1, 0, 1}}")


def _lift_support(s: Scheme, max_bits: int) -> tuple[LiftResult, bool]:
    """Hensel lifting on the support; also whether signs could still exist
    (False when already mod 4 nothing solves: signs +-1 are 1 + 2 delta)."""
    pos = support_positions(s)
    vals = [np.ones(len(p), dtype=np.int64) for p in pos]
    eqs, J = _jacobian(pos, s)
    sizes = [len(p) for p in pos]
    for k in range(1, max_bits):
        modulus = 1 << (k + 1)
        mats = _dense(pos, vals, s)
        candidate = _candidate(s, mats, 1 << k)
        if candidate is not None:
            return LiftResult(candidate, f"lifted to Z after {k - 1} Hensel step(s)"), True
        F = residual_mod(mats, s, modulus).ravel()
        if np.any(F % (1 << k)):
            return LiftResult(None, "internal: residual not divisible"), True  # cannot happen
        rhs = ((-(F // (1 << k))) % 2)[eqs].astype(np.uint8)
        if np.any(F[np.setdiff1d(np.arange(F.size), eqs)] % modulus):
            return LiftResult(None, "does not lift: an untouched tensor entry is odd"), k > 1
        delta = _solve_gf2(J, rhs)
        if delta is None:
            return LiftResult(None, f"does not lift to Z: no solution mod 2^{k + 1} with this support"), k > 1
        parts = np.split(delta, np.cumsum(sizes)[:-1])
        vals = [(v + (1 << k) * d) % modulus for v, d in zip(vals, parts)]
    return LiftResult(None, f"no small integer lift within 2^{max_bits}"), True


def _candidate(s: Scheme, mats, modulus: int) -> Scheme | None:
    """Symmetric residues of the current lift, if they form a Z scheme."""
    sym = [np.where(m % modulus > modulus // 2, m % modulus - modulus, m % modulus) for m in mats]
    z = Scheme(s.fmt, *sym, ring=Ring.Z, provenance=dict(s.provenance, lifted_from="gf2"))
    return z if z.verify().ok else None


# ------------------------------------------------------------ free entries
def _free_jacobian(s: Scheme):
    """Jacobian mod 2 with every entry of U, V, W an unknown (columns: U, V,
    W flattened row-major). d/dU[a,r] at (a,b,c) is V[b,r] W[c,r], so a
    column is nonzero where the term's other two factors are. Returns the
    touched tensor positions and the dense 0/1 matrix on them."""
    U, V, W = (np.asarray(m, dtype=np.int64) % 2 for m in s.factors)
    (nu, nv, nw), r = s.fmt.shape, s.rank
    rows, cols = [], []
    for t in range(r):
        su, sv, sw = (np.flatnonzero(M[:, t]) for M in (U, V, W))
        a, b, c = np.meshgrid(np.arange(nu), sv, sw, indexing="ij")
        rows.append(((a * nv + b) * nw + c).ravel()), cols.append((a * r + t).ravel())
        a, b, c = np.meshgrid(su, np.arange(nv), sw, indexing="ij")
        rows.append(((a * nv + b) * nw + c).ravel()), cols.append((U.size + b * r + t).ravel())
        a, b, c = np.meshgrid(su, sv, np.arange(nw), indexing="ij")
        rows.append(((a * nv + b) * nw + c).ravel()), cols.append((U.size + V.size + c * r + t).ravel())
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    eqs, row_of = np.unique(rows, return_inverse=True)
    J = np.zeros((len(eqs), U.size + V.size + W.size), dtype=np.uint8)
    np.add.at(J, (row_of, cols), 1)
    return eqs, J % 2


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _parity(packed_rows: np.ndarray, packed_x: np.ndarray) -> np.ndarray:
    """(M x) mod 2 for bit-packed rows of M and a bit-packed x."""
    return _POPCOUNT[packed_rows & packed_x].sum(axis=1, dtype=np.int64) % 2


def _pack(x: np.ndarray, width: int) -> np.ndarray:
    """x (0/1) zero-padded to width bits, packed like the rows it meets."""
    buf = np.zeros(width, dtype=np.uint8)
    buf[:len(x)] = x
    return np.packbits(buf, bitorder="little")


class _Reduced:
    """J brought to reduced row echelon form once, with the row operations
    kept (bit-packed), so that J x = rhs is solved for each new rhs without
    eliminating again, with the free unknowns set as the caller prefers."""

    def __init__(self, J: np.ndarray):
        nrows, ncols = J.shape
        width = -(-ncols // 8) * 8  # byte-aligned, so the row operations start on a byte
        A = np.zeros((nrows, width + nrows), dtype=np.uint8)
        A[:, :ncols] = J
        A[np.arange(nrows), width + np.arange(nrows)] = 1
        A = np.packbits(A, axis=1, bitorder="little")
        pivots = _eliminate(A, ncols)
        row = len(pivots)
        self.rank = row
        self.pivots = np.array(pivots, dtype=np.int64)
        self.free = np.setdiff1d(np.arange(ncols), self.pivots)
        left = np.unpackbits(A[:row, :width // 8], axis=1, bitorder="little")[:, self.free]
        self.R = np.packbits(left, axis=1, bitorder="little")  # pivot rows on the free columns
        self.T = A[:, width // 8:]  # the row operations

    def solve(self, rhs: np.ndarray, prefer: np.ndarray) -> np.ndarray | None:
        b = _parity(self.T, _pack(rhs, self.T.shape[1] * 8))
        if np.any(b[self.rank:]):
            return None  # inconsistent
        x = np.asarray(prefer, dtype=np.int64) % 2
        x[self.pivots] = (b[:self.rank] + _parity(self.R, _pack(x[self.free], self.R.shape[1] * 8))) % 2
        return x


def _lift_free(s: Scheme, max_bits: int = FREE_BITS, tries: int = FREE_TRIES, seed: int = 0) -> LiftResult:
    start = [np.asarray(m, dtype=np.int64) % 2 for m in s.factors]
    eqs, J = _free_jacobian(s)
    untouched = np.setdiff1d(np.arange(int(np.prod(s.fmt.shape))), eqs)
    reduced = _Reduced(J)
    sizes = np.cumsum([m.size for m in start])[:-1]
    rng = np.random.default_rng(seed)
    message = ""
    for attempt in range(tries):
        mats = [m.copy() for m in start]
        for k in range(1, max_bits):
            half, modulus = 1 << k, 1 << (k + 1)
            z = _candidate(s, mats, half)
            if z is not None:
                return LiftResult(z, f"lifted to Z after {k - 1} Hensel step(s), with entries off the GF(2) "
                                     f"support (sign choice {attempt + 1})")
            F = residual_mod(mats, s, modulus).ravel()
            if np.any(F[untouched]):
                message = "does not lift: an untouched tensor entry is odd"
                break
            flat = np.concatenate([m.ravel() for m in mats])
            if k == 1:  # the signs: 1 stays 1 or becomes -1 = 3 mod 4
                prefer = (rng.random(flat.size) < 0.5) * flat if attempt else np.zeros_like(flat)
            else:  # keep -1 at -1
                prefer = (flat == half - 1).astype(np.int64)
            delta = reduced.solve(((-(F // half)) % 2)[eqs], prefer)
            if delta is None and k == 1:
                # x = s + 2 delta for every integer x = s mod 2, and F(x) = F(s) + 2 J delta
                # mod 4: a linear system mod 2 that no choice can change. Proved; stop.
                return LiftResult(None, "no lift to Z exists: none mod 4 with every entry free (a linear "
                                        "system mod 2 without solution)")
            if delta is None:
                message = f"no solution mod 2^{k + 1}"
                break
            mats = [(m + half * d.reshape(m.shape)) % modulus for m, d in zip(mats, np.split(delta, sizes))]
        else:
            message = f"no small integer lift within 2^{max_bits}"
    return LiftResult(None, f"{message} ({tries} sign choices)")
