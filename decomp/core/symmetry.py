"""Symmetries that map valid schemes to valid schemes.

The trilinear form tr(A B C') of <n,m,p> is invariant under
  - cyclic rotation (A, B, C') -> (B, C', A): <n,m,p> -> <m,p,n>;
  - transposition tr(ABC') = tr(C'^T B^T A^T): <n,m,p> -> <p,m,n>;
  - sandwiching A -> X A Y^-1, B -> Y B Z^-1, C' -> Z C' X^-1;
  - permuting the rank-one terms.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .errors import SchemeError
from .formats import Format
from .rings import Ring
from .scheme import Scheme
from .targets import require_matmul


def _transpose_rows(rows: int, cols: int) -> np.ndarray:
    """perm such that vec(M^T)[t] = vec(M)[perm[t]] for M rows x cols, row-major."""
    return np.arange(rows * cols).reshape(rows, cols).T.ravel()


def rotate(s: Scheme) -> Scheme:
    """<n,m,p> -> <m,p,n>: the factor roles move round by one."""
    require_matmul(s.fmt, "symmetries")
    n, m, p = s.fmt.dims
    return s.with_factors(s.V, s.W, s.U, fmt=Format(m, p, n))


def transpose(s: Scheme) -> Scheme:
    """<n,m,p> -> <p,m,n> from (A B)^T = B^T A^T."""
    require_matmul(s.fmt, "symmetries")
    n, m, p = s.fmt.dims
    U = s.V[_transpose_rows(m, p)]  # A' = B^T (p x m): row k*m+j from B[j,k]
    V = s.U[_transpose_rows(n, m)]  # B' = A^T (m x n): row j*n+i from A[i,j]
    W = s.W[_transpose_rows(p, n)]  # C'' row i*p+k from C' row k*n+i
    return s.with_factors(U, V, W, fmt=Format(p, m, n))


def permute(s: Scheme, dims: tuple[int, int, int]) -> Scheme:
    """A scheme for any permutation of the format's dimensions (same rank)."""
    target = tuple(dims)
    if sorted(target) != sorted(s.fmt.dims):
        raise SchemeError(f"{Format(*target)} is not a permutation of {s.fmt}")
    frontier = [s]
    seen = {s.fmt.dims: s}
    while frontier:
        cur = frontier.pop()
        for nxt in (rotate(cur), transpose(cur)):
            if nxt.fmt.dims not in seen:
                seen[nxt.fmt.dims] = nxt
                frontier.append(nxt)
    return seen[target]


def permute_terms(s: Scheme, order) -> Scheme:
    order = np.asarray(order)
    if sorted(order.tolist()) != list(range(s.rank)):
        raise SchemeError("term order must be a permutation of range(rank)")
    return s.with_factors(s.U[:, order], s.V[:, order], s.W[:, order])


# ------------------------------------------------------------- sandwiching
def inverse_matrix(M, ring: Ring) -> np.ndarray:
    """Exact inverse: mod 2 for gf2, else over Q (integral checked by caller)."""
    M = np.asarray(M, dtype=object)
    k = M.shape[0]
    if M.shape != (k, k):
        raise SchemeError(f"sandwich matrix must be square, got shape {M.shape}")
    mod2 = ring is Ring.GF2
    aug = [[(Fraction(v) if not mod2 else int(v) % 2) for v in row] + [int(i == j) for j in range(k)]
           for i, row in enumerate(M.tolist())]
    for col in range(k):
        piv = next((r for r in range(col, k) if aug[r][col] != 0), None)
        if piv is None:
            raise SchemeError("sandwich matrix is singular" + (" mod 2" if mod2 else ""))
        aug[col], aug[piv] = aug[piv], aug[col]
        if not mod2:
            inv = 1 / aug[col][col]
            aug[col] = [v * inv for v in aug[col]]
        for r in range(k):
            if r != col and aug[r][col] != 0:
                f = aug[r][col]
                aug[r] = [(a - f * b) % 2 if mod2 else a - f * b for a, b in zip(aug[r], aug[col])]
    out = np.empty((k, k), dtype=object)
    for i in range(k):
        for j in range(k):
            v = aug[i][k + j]
            out[i, j] = int(v) if (mod2 or v.denominator == 1) else v
    return out


def sandwich(s: Scheme, X, Y, Z) -> Scheme:
    """Change of basis A -> X A Y^-1, B -> Y B Z^-1, C' -> Z C' X^-1.

    X is n x n, Y m x m, Z p x p, invertible over the scheme's ring
    (unimodular over z/zt, invertible mod 2 over gf2). Each factor matrix
    F_r (as a matrix) becomes P^T F_r Q^-T for its pair (P, Q).
    """
    require_matmul(s.fmt, "sandwiching")
    n, m, p = s.fmt.dims
    X, Y, Z = (np.asarray(M, dtype=object) for M in (X, Y, Z))
    for name, M, k in (("X", X, n), ("Y", Y, m), ("Z", Z, p)):
        if M.shape != (k, k):
            raise SchemeError(f"{name} must be {k}x{k} for {s.fmt}, got {M.shape}")
    inv = {name: inverse_matrix(M, s.ring) for name, M in (("X", X), ("Y", Y), ("Z", Z))}
    if s.ring in (Ring.Z, Ring.ZT):
        for name, M in inv.items():
            if any(isinstance(v, Fraction) for v in M.ravel()):
                raise SchemeError(f"{name} is not unimodular: its inverse is not integral")
    mats = []
    for F, (P, Qinv, rows, cols) in zip(
        s.factors, ((X, inv["Y"], n, m), (Y, inv["Z"], m, p), (Z, inv["X"], p, n))
    ):
        F = np.asarray(F, dtype=object)
        out = np.empty_like(F)
        left, right = P.T, Qinv.T
        for r in range(s.rank):
            mat = F[:, r].reshape(rows, cols)
            out[:, r] = (left.dot(mat).dot(right)).ravel()
        if s.ring is Ring.GF2:
            out = np.mod(out, 2)
        mats.append(out)
    return s.with_factors(*mats)


# -------------------------------------------------------------- clean-ups
def _sign_normalise(s: Scheme):
    """Over z/q: move signs so the first nonzero of u and v is positive."""
    U, V, W = (np.array(m, dtype=object) for m in s.factors)
    if s.ring is Ring.GF2:
        return U, V, W
    for r in range(s.rank):
        for F in (U, V):
            nz = np.flatnonzero(F[:, r] != 0)
            if len(nz) and F[nz[0], r] < 0:
                F[:, r] = -F[:, r]
                W[:, r] = -W[:, r]
    return U, V, W


def simplify(s: Scheme) -> Scheme:
    """Drop terms with a zero factor and merge terms equal in two modes.

    Merging a (x) b (x) c1 + a (x) b (x) c2 = a (x) b (x) (c1 + c2) repeats
    until nothing changes; it never changes the tensor, so validity is kept.
    """
    U, V, W = _sign_normalise(s)
    cols = [(U[:, r], V[:, r], W[:, r]) for r in range(s.rank)]
    changed = True
    while changed:
        changed = False
        cols = [c for c in cols if all(np.any(f != 0) for f in c)]
        for mode in range(3):
            a, b = [x for x in range(3) if x != mode]
            groups: dict = {}
            merged = []
            for c in cols:
                key = (tuple(c[a].tolist()), tuple(c[b].tolist()))
                if key in groups:
                    prev = groups[key]
                    new = list(prev)
                    summed = prev[mode] + c[mode]
                    new[mode] = np.mod(summed, 2) if s.ring is Ring.GF2 else summed
                    groups[key] = tuple(new)
                    changed = True
                else:
                    groups[key] = c
            merged = list(groups.values())
            cols = [c for c in merged if all(np.any(f != 0) for f in c)]
    if not cols:
        empty = [np.zeros((k, 0), dtype=np.int64) for k in s.fmt.shape]
        return s.with_factors(*empty)
    mats = [np.stack([c[i] for c in cols], axis=1) for i in range(3)]
    return s.with_factors(*mats)
