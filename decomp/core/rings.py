"""Coefficient rings and exact arithmetic.

Stored schemes are exact: integers (`z`), integers in {-1,0,1} (`zt`),
residues mod 2 (`gf2`) or rationals (`q`, as fractions.Fraction objects).
Floats appear only inside numeric solvers and never in a Scheme.
"""

from __future__ import annotations

import enum
from fractions import Fraction
from math import lcm

import numpy as np

from .errors import SchemeError


class Ring(str, enum.Enum):
    Z = "z"
    Q = "q"
    GF2 = "gf2"
    ZT = "zt"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: "str | Ring") -> "Ring":
        if isinstance(value, Ring):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            valid = ", ".join(r.value for r in cls)
            raise SchemeError(f"unknown ring {value!r}: valid rings are {valid}") from None

    @property
    def is_integral(self) -> bool:
        return self is not Ring.Q


# Which stored ring makes a scheme usable in which other ring.
_IMPLIES = {
    Ring.ZT: {Ring.ZT, Ring.Z, Ring.Q, Ring.GF2},
    Ring.Z: {Ring.Z, Ring.Q, Ring.GF2},
    Ring.Q: {Ring.Q},
    Ring.GF2: {Ring.GF2},
}


def implies(stored: Ring, wanted: Ring) -> bool:
    """True when a scheme valid over `stored` is also valid over `wanted`."""
    return wanted in _IMPLIES[stored]


def parse_coefficient(value) -> "int | Fraction":
    """One scheme entry from a file: an int, or a string 'a/b' / 'a'."""
    if isinstance(value, bool):
        raise SchemeError(f"coefficient must be a number, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, str):
        try:
            f = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise SchemeError(f"malformed coefficient {value!r}: write an integer or 'a/b'") from None
        return int(f) if f.denominator == 1 else f
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else value
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            raise SchemeError(f"coefficient {value!r} is not finite")
        f = Fraction(float(value))  # exact for the binary fractions floats hold
        if f.denominator > 1 << 20:
            raise SchemeError(f"coefficient {value!r} is not a small exact rational")
        return int(f) if f.denominator == 1 else f
    raise SchemeError(f"coefficient must be an integer or 'a/b', got {value!r}")


def to_exact_array(values, ring: Ring) -> np.ndarray:
    """Convert a 2-D array-like to the exact storage of `ring`.

    Integral rings -> int64 (gf2 reduced mod 2); q -> object array of
    Fraction/int. Raises SchemeError for entries outside the ring.
    """
    arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if arr.ndim != 2:
        raise SchemeError(f"factor matrix must be 2-D, got shape {arr.shape}")
    if arr.dtype.kind in "iub":
        ints = arr.astype(np.int64)
    elif arr.dtype.kind == "f":
        ints, fractions = _split_floats(arr)
        if fractions:
            if ring is not Ring.Q:
                raise SchemeError(
                    f"coefficient {next(iter(fractions.values()))} is not an integer (ring {ring.value}); use ring q"
                )
            out = ints.astype(object)
            for idx, f in fractions.items():
                out[idx] = f
            return out
    elif arr.dtype == object:
        flat = [parse_coefficient(v) for v in arr.ravel().tolist()]
        if ring is Ring.Q:
            out = np.empty(len(flat), dtype=object)
            out[:] = flat
            return out.reshape(arr.shape)
        bad = next((v for v in flat if isinstance(v, Fraction)), None)
        if bad is not None:
            raise SchemeError(f"coefficient {bad} is not an integer (ring {ring.value}); use ring q")
        if any(abs(v) >= 1 << 62 for v in flat):
            raise SchemeError("coefficient too large for exact storage (|c| >= 2^62)")
        ints = np.array(flat, dtype=np.int64).reshape(arr.shape)
    else:
        raise SchemeError(f"cannot use array of dtype {arr.dtype} as scheme factors")
    if ring is Ring.Q:
        return ints.astype(object)  # Python ints: exact and unbounded
    if ring is Ring.GF2:
        return np.mod(ints, 2)
    if ring is Ring.ZT and ints.size and np.abs(ints).max() > 1:
        raise SchemeError("ring zt allows only coefficients -1, 0, 1")
    return ints


def _split_floats(arr: np.ndarray) -> tuple[np.ndarray, dict]:
    """Integer part of a float matrix plus exact Fractions for the entries
    that are not integers (few in practice: AlphaTensor's halves/eighths)."""
    if not np.all(np.isfinite(arr)):
        raise SchemeError("coefficients must be finite numbers")
    if arr.size and np.abs(arr).max() >= 2.0**62:
        raise SchemeError("coefficient too large for exact storage (|c| >= 2^62)")
    rounded = np.rint(arr)
    fractions = {}
    for idx in zip(*np.nonzero(rounded != arr)):
        fractions[idx] = parse_coefficient(float(arr[idx]))
    return rounded.astype(np.int64), fractions


def integer_columns(mat: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Scale each column of an exact matrix to integers.

    Returns (numerators as object array of Python ints, per-column denominators).
    Integral input returns itself with denominators 1.
    """
    if mat.dtype != object:
        return mat, [1] * mat.shape[1]
    is_frac = np.frompyfunc(lambda v: type(v) is not int and isinstance(v, Fraction), 1, 1)(mat).astype(bool)
    where = list(zip(*np.nonzero(is_frac)))
    dens = [1] * mat.shape[1]
    for i, c in where:
        dens[c] = lcm(dens[c], mat[i, c].denominator)
    scale = np.array(dens, dtype=object)
    nums = np.where(is_frac, 0, mat) * scale[None, :]
    for i, c in where:
        f = mat[i, c]
        nums[i, c] = f.numerator * (dens[c] // f.denominator)
    return nums, dens


def matrix_rank(mat: np.ndarray, mod2: bool) -> int:
    """Exact rank of a small integer matrix, over GF(2) or over Q."""
    mat = np.asarray(mat)
    if mat.size == 0:
        return 0
    if not mod2:
        # Small integer entries: the SVD rank of the float copy is exact.
        return int(np.linalg.matrix_rank(mat.astype(np.float64)))
    rows = [int("".join(str(int(x) & 1) for x in row), 2) for row in mat]
    rank = 0
    while rows:
        pivot = max(rows)
        rows.remove(pivot)
        if pivot == 0:
            break
        rank += 1
        top = pivot.bit_length() - 1
        rows = [r ^ pivot if (r >> top) & 1 else r for r in rows]
    return rank
