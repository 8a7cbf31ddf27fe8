"""Lifting a GF(3) scheme to Q or Z: 3-adic Hensel lifting, then rational
reconstruction.

Why: the rational records of 2025 (4x4x4 rank 48, 2x4x5 rank 32) need 1/2,
which no GF(2) walk and no {-1, 0, 1} walk over Z can produce. Mod 3,
1/2 = -1, so such a scheme is a GF(3) scheme (flip walks over GF(3):
solvers/flip/ternary_kernel.py, mod3=True), and lifting one 3-adically and
reading each entry back as a fraction a/b with small a and b finds it.

Every entry of U, V, W is an unknown. From x with entries in {-1, 0, 1}
solving the Brent equations F(x) = 0 mod 3, step k finds delta in
{-1, 0, 1}^N with J delta = -F(x) / 3^k (mod 3); J, the Jacobian, is the
same mod 3 at every step, so it is reduced once (gf3.Solver3). Then
x + 3^k delta solves them mod 3^(k+1), and x stays in balanced ternary:
an integer solution is x itself once its digits stop, and a rational one
a/b is the rational reconstruction of x mod 3^k once 2 a b < 3^k. The
kernel of J is large (scalings and changes of basis of the terms), and
which solution each step takes decides whether a small fraction comes out:
the first try keeps the free unknowns' digits at 0, later tries draw the
first digit at random. Only a scheme the exact checker accepts over Q (or
Z) is returned.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd, isqrt

import numpy as np

from .coefficients import first_member
from .errors import DecompError
from .formats import Format
from .gf3 import Solver3
from .lift import LiftResult, residual_mod
from .rings import Ring
from .scheme import Scheme

# 3^19 squared stays below 2^63: residual_mod multiplies two residues.
MAX_STEPS = 18
TRIES = 4
# Largest system reduced: equations x (unknowns + equations) entries
# (4x4x5 at rank 61: 6.3e7; a random dense system that size took 9 s here,
# a scheme's sparser Jacobian 1-3 s).
MAX_CELLS = 150_000_000


def residues_mod3(s: Scheme) -> list[np.ndarray]:
    """U, V, W mod 3 as integers in {-1, 0, 1}; a rational entry a/b needs
    b prime to 3 (a/b = a b^-1 mod 3)."""
    mats = []
    for m in s.factors:
        if s.ring is Ring.Q:
            flat = []
            for v in np.asarray(m, dtype=object).ravel():
                v = Fraction(v)
                if v.denominator % 3 == 0:
                    raise DecompError(f"an entry {v} has a denominator divisible by 3: it has no value mod 3")
                flat.append(v.numerator * pow(v.denominator, -1, 3) % 3)
            r = np.array(flat, dtype=np.int64).reshape(m.shape)
        else:
            r = np.asarray(m, dtype=np.int64) % 3
        mats.append(np.where(r == 2, -1, r))
    return mats


def valid_mod3(s: Scheme) -> bool:
    """Whether the factors of s (integers) decompose its tensor mod 3."""
    return not np.any(residual_mod([np.asarray(m, dtype=np.int64) for m in s.factors], s, 3))


def gf3_scheme(s: Scheme, provenance: dict | None = None) -> Scheme:
    """s mod 3 as a scheme with entries in {-1, 0, 1}, checked mod 3 (the
    start of a GF(3) walk). It is labelled zt only because Scheme knows no
    GF(3): it is not valid over Z in general, and nothing stores it."""
    s3 = Scheme(s.fmt, *residues_mod3(s), ring=Ring.ZT, provenance=provenance or dict(s.provenance))
    if not valid_mod3(s3):
        raise DecompError("not a valid scheme mod 3")
    return s3


def _jacobian(mats, s: Scheme) -> np.ndarray:
    """dF/dx mod 3 at the factors mats (every entry an unknown; columns U,
    V, W flattened row-major, rows the flat tensor positions): d/dU[a, t]
    at (a, b, c) is V[b, t] W[c, t], and so on."""
    U, V, W = (np.asarray(m, dtype=np.int64) % 3 for m in mats)
    (nu, nv, nw), r = s.fmt.shape, s.rank
    J = np.zeros((nu * nv * nw, U.size + V.size + W.size), dtype=np.int8)
    a, b, c = np.meshgrid(np.arange(nu), np.arange(nv), np.arange(nw), indexing="ij")
    flat = ((a * nv + b) * nw + c).ravel()
    a, b, c = a.ravel(), b.ravel(), c.ravel()
    for t in range(r):
        J[flat, a * r + t] = (V[b, t] * W[c, t]) % 3
        J[flat, U.size + b * r + t] = (U[a, t] * W[c, t]) % 3
        J[flat, U.size + V.size + c * r + t] = (U[a, t] * V[b, t]) % 3
    return J


def reconstruct(x: int, modulus: int) -> Fraction | None:
    """The fraction a/b = x mod `modulus` with |a|, b <= sqrt(modulus / 2),
    if there is one (it is unique; Wang's extended Euclid)."""
    bound = isqrt(modulus // 2)
    r0, r1 = modulus, x % modulus
    t0, t1 = 0, 1
    while r1 > bound:
        q = r0 // r1
        r0, r1 = r1, r0 - q * r1
        t0, t1 = t1, t0 - q * t1
    if t1 == 0 or abs(t1) > bound or gcd(t1, modulus) != 1:
        return None  # (a denominator sharing a factor with the modulus is no inverse: 3^9 mod 3^10 is no 0/3)
    return Fraction(r1, t1)


def _fractions(flat: np.ndarray, modulus: int) -> list | None:
    """Every entry of x read back as a small fraction, or None; entries that
    are small integers already are themselves (the common case)."""
    bound = isqrt(modulus // 2)
    out = []
    for v in flat.tolist():
        if abs(v) <= bound:
            out.append(v)
            continue
        f = reconstruct(v, modulus)
        if f is None:
            return None
        out.append(f.numerator if f.denominator == 1 else f)
    return out


def _candidate(s: Scheme, flat: list, sizes) -> Scheme | None:
    """The scheme of entries `flat` (ints and Fractions) if it is exact."""
    integral = all(isinstance(v, int) for v in flat)
    ring = Ring.Z if integral else Ring.Q
    parts = np.split(np.array(flat, dtype=np.int64 if integral else object), sizes)
    mats = [p.reshape(m.shape) for p, m in zip(parts, s.factors)]
    c = Scheme(s.fmt, *mats, ring=ring, provenance=dict(s.provenance, lifted_from="gf3"))
    return c if c.verify().ok else None


def lift_gf3(s: Scheme, ring=Ring.Q, max_steps: int = MAX_STEPS, tries: int = TRIES, seed: int = 0) -> LiftResult:
    """Try to turn a scheme valid mod 3 (integer entries, read mod 3) into
    one valid over `ring`: q (fractions allowed), z, or zt (entries in
    {-1, 0, 1}, through a change of basis when the lift has larger ones)."""
    ring = Ring.parse(ring)
    if ring not in (Ring.Q, Ring.Z, Ring.ZT):
        raise DecompError(f"a GF(3) scheme lifts to q, z or zt, not {ring.value}")
    x0 = [np.asarray(m, dtype=np.int64) for m in residues_mod3(s)]
    if not valid_mod3(Scheme(s.fmt, *x0, ring=Ring.Z)):
        return LiftResult(None, "not a valid scheme mod 3")
    equations = int(np.prod(s.fmt.shape))
    unknowns = sum(m.size for m in x0)
    if equations * (unknowns + equations) > MAX_CELLS:
        return LiftResult(None, f"too large to lift from GF(3) ({equations} equations, {unknowns} unknowns)")
    solver = Solver3(_jacobian(x0, s))
    sizes = np.cumsum([m.size for m in x0])[:-1]
    rng = np.random.default_rng(seed)
    message = ""
    for attempt in range(tries):
        mats = [m.copy() for m in x0]
        previous = None
        for k in range(1, max_steps + 1):
            power = 3 ** k  # mats solves the equations mod 3^k
            flat = np.concatenate([m.ravel() for m in mats])
            fractions = _fractions(flat, power)
            if fractions is not None and (fractions == previous or k == 1):
                found = _candidate(s, fractions, sizes)
                if found is not None:
                    how = f"lifted from GF(3) after {k - 1} 3-adic step(s) (try {attempt + 1})"
                    if found.ring is Ring.Z or ring is Ring.Q:
                        return _in_ring(found, ring, how)
                    # over z a lift with fractions is no use; another try may find an integral one
                    message = f"{how}, but with fractions: a scheme over q, not {ring.value}"
                    break
            previous = fractions
            F = residual_mod(mats, s, power * 3).ravel()
            if np.any(F % power):
                return LiftResult(None, "internal: residual not divisible")  # cannot happen
            prefer = None
            if k == 1 and attempt:
                prefer = rng.integers(-1, 2, unknowns) * (rng.random(unknowns) < 0.5)
            delta = solver.solve((-(F // power)) % 3, prefer)
            if delta is None and k == 1:
                # x0 + 3 d solves mod 9 iff J d = -F/3 mod 3 (J is the same for
                # every such d): no d, no 3-adic solution, so no rational one
                return LiftResult(None, "no lift exists: no scheme over Q reduces to this one mod 3 (none mod 9 "
                                        "with every entry free)")
            if delta is None:
                message = f"no solution mod 3^{k + 1}"
                break
            mats = [m + power * d.reshape(m.shape) for m, d in zip(mats, np.split(delta, sizes))]
        else:
            message = f"no small fraction within 3^{max_steps}"
    return LiftResult(None, f"{message} (last of {tries} tries)")


def _in_ring(found: Scheme, ring: Ring, how: str) -> LiftResult:
    """The lift over the ring asked for, or why not."""
    if ring is Ring.Q:
        return LiftResult(found.as_ring(Ring.Q), how)
    if ring is Ring.Z or found.verify(Ring.ZT).ok:
        return LiftResult(found.as_ring(ring), how)
    member = first_member(found) if isinstance(found.fmt, Format) else None
    if member is None:
        return LiftResult(None, f"{how}; its lift leaves {{-1, 0, 1}} and no change of basis brings it back")
    return LiftResult(member, f"{how}; a change of basis took it to {{-1, 0, 1}}")
