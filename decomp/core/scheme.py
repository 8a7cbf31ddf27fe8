"""Scheme: three exact factor matrices and the one checker everything trusts.

U (n*m x r), V (m*p x r), W (p*n x r) decompose the tensor of their format:
sum_r U[:,r] (x) V[:,r] (x) W[:,r] == T over the scheme's ring.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction
from math import lcm

import numpy as np

from .errors import SchemeError
from .formats import Format
from .rings import Ring, implies, integer_columns, to_exact_array
from .targets import Target, parse_format_or_target

# Float64 BLAS is exact on integers while every partial sum stays below 2^53.
_FLOAT_EXACT = 1 << 52
# Elements of the Khatri-Rao block built per step of the verifier.
_CHUNK_ELEMS = 1 << 22


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of checking the Brent equations exactly.

    wrong: number of tensor entries where the scheme disagrees with T.
    first_wrong: the first such (a, b, c) position in row-major order, or None.
    """

    ok: bool
    ring: Ring
    wrong: int
    first_wrong: tuple[int, int, int] | None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"valid over {self.ring.value}"
        if self.reason:
            return f"not valid over {self.ring.value}: {self.reason}"
        return (
            f"not valid over {self.ring.value}: {self.wrong} wrong tensor entries, "
            f"first at {self.first_wrong}"
        )


class Scheme:
    """An exact decomposition of <n,m,p>; immutable, validated on construction."""

    __slots__ = ("fmt", "U", "V", "W", "ring", "provenance", "extra", "_report")

    def __init__(self, fmt, U, V, W, ring="z", provenance=None, extra=None):
        self.fmt = parse_format_or_target(fmt)
        self.ring = Ring.parse(ring)
        mats = []
        for name, mat, rows in zip("UVW", (U, V, W), self.fmt.shape):
            arr = to_exact_array(mat, self.ring)
            if arr.ndim != 2 or arr.shape[0] != rows:
                raise SchemeError(
                    f"{name} must have shape ({rows}, r) for format {self.fmt}, got {arr.shape}"
                )
            arr.setflags(write=False)
            mats.append(arr)
        ranks = {m.shape[1] for m in mats}
        if len(ranks) != 1:
            raise SchemeError(
                "U, V, W must have the same number of columns, got "
                + ", ".join(f"{n}: {m.shape}" for n, m in zip("UVW", mats))
            )
        self.U, self.V, self.W = mats
        self.provenance = dict(provenance or {})
        self.extra = dict(extra or {})
        self._report: dict[Ring, VerifyReport] = {}

    # ----------------------------------------------------------------- basics
    @property
    def rank(self) -> int:
        return self.U.shape[1]

    @property
    def factors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.U, self.V, self.W

    def __repr__(self) -> str:
        return f"Scheme({self.fmt}, rank={self.rank}, ring={self.ring.value})"

    @property
    def nnz(self) -> int:
        return int(sum(np.count_nonzero(m != 0) for m in self.factors))

    @property
    def additions(self) -> int:
        """Additions of the naive evaluation: forming each product's two sums
        and summing the products into each entry of C."""
        nz = [np.asarray(m != 0) for m in self.factors]
        cols = sum(int(np.maximum(z.sum(axis=0) - 1, 0).sum()) for z in nz[:2])
        rows = int(np.maximum(nz[2].sum(axis=1) - 1, 0).sum())
        return cols + rows

    @property
    def coefficients(self) -> list:
        """Sorted distinct coefficient values used by the factors."""
        vals = set()
        for m in self.factors:
            vals.update(m.ravel().tolist())
        return sorted(vals)

    @property
    def ternary(self) -> bool:
        """Every coefficient in {-1, 0, 1} (what a ternary walk starts from)."""
        return set(self.coefficients) <= {-1, 0, 1}

    def serves(self, ring) -> bool:
        """Whether this (stored, verified) scheme is one over `ring` as it
        stands: its ring implies that one, or `ring` is zt and it is an
        integral scheme with entries in {-1, 0, 1} (a Z scheme stored before,
        or without, its zt copy: Catalogue.add files a scheme under its own
        ring only)."""
        ring = Ring.parse(ring)
        if implies(self.ring, ring):
            return True
        return ring is Ring.ZT and self.ring in (Ring.Z, Ring.Q) and self.ternary

    def with_factors(self, U, V, W, fmt=None, ring=None, **provenance) -> "Scheme":
        prov = dict(self.provenance)
        prov.update(provenance)
        return Scheme(fmt or self.fmt, U, V, W, ring or self.ring, prov, self.extra)

    # ------------------------------------------------------------ conversion
    def as_ring(self, ring) -> "Scheme":
        """The same factors read in another ring (z -> gf2 reduces mod 2)."""
        ring = Ring.parse(ring)
        if ring is self.ring:
            return self
        if self.ring is Ring.Q and ring is not Ring.Q:
            if any(isinstance(v, Fraction) for m in self.factors for v in m.ravel()):
                raise SchemeError(f"scheme has fractional coefficients; cannot read it over {ring.value}")
            mats = [m.astype(np.int64) for m in self.factors]
        else:
            mats = list(self.factors)
        return Scheme(self.fmt, *mats, ring=ring, provenance=self.provenance, extra=self.extra)

    def integer_factors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Factors scaled to integers with one common target scale L:
        sum_r Ui (x) Vi (x) Wi == L * T exactly iff the scheme is valid."""
        if self.ring is not Ring.Q:
            return self.U, self.V, self.W, 1
        (u, du), (v, dv), (w, dw) = (integer_columns(m) for m in self.factors)
        col_scale = [a * b * c for a, b, c in zip(du, dv, dw)]
        total = lcm(*col_scale) if col_scale else 1
        weights = np.array([total // s for s in col_scale], dtype=object)
        return u * weights[None, :], v, w, total

    # ----------------------------------------------------------- the checker
    def verify(self, ring=None) -> VerifyReport:
        """Check the Brent equations exactly over `ring` (default: own ring)."""
        ring = self.ring if ring is None else Ring.parse(ring)
        if ring not in self._report:
            self._report[ring] = _check(self, ring)
        return self._report[ring]

    def is_valid(self, ring=None) -> bool:
        return self.verify(ring).ok

    def require_valid(self, ring=None) -> "Scheme":
        """Return self if valid, else raise SchemeError naming what is wrong."""
        report = self.verify(ring)
        if not report.ok:
            raise SchemeError(f"scheme for {self.fmt} rank {self.rank} is {report}")
        return self

    def valid_rings(self) -> list[Ring]:
        """Every ring in which these exact coefficients form a valid scheme."""
        return [ring for ring in Ring if self.verify(ring).ok]

    # --------------------------------------------------------------- identity
    def fingerprint(self) -> str:
        """Hash of the scheme up to the order of its rank-one terms."""
        # one tolist() per factor, then the same text per term as always (the
        # hash names stored files, so it must not change)
        per_factor = [[",".join(map(str, col)) for col in m.T.tolist()] for m in self.factors]
        cols = ["|".join(parts) for parts in zip(*per_factor)]
        cols.sort()
        text = f"{self.fmt}:{self.ring.value}:" + ";".join(cols)
        return hashlib.sha256(text.encode()).hexdigest()

    def multiply(self, A, B) -> np.ndarray:
        """C = A B computed with the scheme's r products (one level).

        Exact for integer and object (Fraction) inputs; mod 2 over gf2. This
        is the convention check users can read: W row k*n+i feeds C[i, k].
        """
        if isinstance(self.fmt, Target):
            raise SchemeError(f"multiply() is for matrix formats; target {self.fmt} has no matrices")
        n, m, p = self.fmt.dims
        A, B = np.asarray(A), np.asarray(B)
        if A.shape != (n, m) or B.shape != (m, p):
            raise SchemeError(f"{self.fmt} multiplies {n}x{m} by {m}x{p}, got {A.shape} and {B.shape}")
        obj = self.ring is Ring.Q or A.dtype == object or B.dtype == object
        U, V, W = (f.astype(object) if obj else f for f in self.factors)
        products = (U.T @ A.reshape(-1)) * (V.T @ B.reshape(-1))
        ct = W @ products
        if self.ring is Ring.GF2:
            ct = ct % 2
        return ct.reshape(p, n).T

    def terms(self):
        """Iterate over the rank-one terms as (u, v, w) column vectors."""
        for r in range(self.rank):
            yield self.U[:, r], self.V[:, r], self.W[:, r]


def _check(scheme: Scheme, ring: Ring) -> VerifyReport:
    fractional = scheme.ring is Ring.Q and any(isinstance(c, Fraction) for c in scheme.coefficients)
    if ring is Ring.Q:
        u, v, w, scale = scheme.integer_factors()
    elif fractional:
        return VerifyReport(False, ring, 0, None, "fractional coefficients")
    else:
        u, v, w = (np.asarray(m, dtype=np.int64) for m in scheme.factors)
        scale = 1
    if ring is Ring.ZT and any(abs(c) > 1 for c in scheme.coefficients):
        return VerifyReport(False, ring, 0, None, "coefficients outside {-1,0,1}")
    wrong, first = _compare(u, v, w, scale, scheme.fmt, mod2=ring is Ring.GF2)
    return VerifyReport(wrong == 0, ring, wrong, first)


def _max_abs(m: np.ndarray) -> int:
    if m.size == 0:
        return 0
    # object arrays hold exact Python integers here (after integer_factors):
    # numpy's abs and max stay exact on them, and are faster than a generator
    return int(np.abs(m).max())


def _compare(u, v, w, scale: int, fmt: Format, mod2: bool) -> tuple[int, tuple | None]:
    """Count entries where sum_r u (x) v (x) w differs from scale * T."""
    r = u.shape[1]
    bound = _max_abs(u) * _max_abs(v) * _max_abs(w) * max(r, 1)
    exact_float = bound < _FLOAT_EXACT and scale < _FLOAT_EXACT
    dtype = np.float64 if exact_float else object
    uu, vv, ww = (m.astype(dtype) for m in (u, v, w))
    I, J, K = fmt.shape
    target = fmt.tensor(np.int64)
    step = max(1, _CHUNK_ELEMS // max(1, J * r))
    wrong = 0
    first = None
    for a0 in range(0, I, step):
        a1 = min(I, a0 + step)
        kr = (uu[a0:a1, None, :] * vv[None, :, :]).reshape(-1, r)
        rec = (kr @ ww.T).reshape(a1 - a0, J, K)
        want = target[a0:a1] * scale
        if dtype is np.float64:
            diff = rec - want
            if mod2:
                diff = np.mod(diff, 2.0)
            bad = diff != 0
        else:
            diff = rec - want.astype(object)
            if mod2:
                diff = np.mod(diff, 2)
            bad = (diff != 0).astype(bool)
        count = int(np.count_nonzero(bad))
        if count and first is None:
            a, b, c = np.unravel_index(int(np.flatnonzero(bad)[0]), bad.shape)
            first = (int(a) + a0, int(b), int(c))
        wrong += count
    return wrong, first
