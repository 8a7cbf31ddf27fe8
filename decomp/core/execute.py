"""Recursive execution of a scheme and its numerical stability report."""

from __future__ import annotations

import numpy as np

from .codegen import compile_matmul
from .scheme import Scheme


def recursive(s: Scheme, levels: int = 1, cutoff: int = 64, lang: str = "numpy"):
    """A function f(A, B) applying s for up to `levels` levels, padding
    shapes that are not multiples of the block format with zeros, and
    falling back to the library matmul below `cutoff` (smallest dimension)."""
    one_level = compile_matmul(s, lang)
    n, m, p = s.fmt.dims

    def apply(A, B, depth):
        rows, inner_dim = A.shape
        cols = B.shape[1]
        if depth == 0 or min(rows, inner_dim, cols) < cutoff:
            return A @ B
        R, K, P = -(-rows // n) * n, -(-inner_dim // m) * m, -(-cols // p) * p
        # On the last level the generated code calls the library itself (into
        # a reused product buffer, where the language allows it).
        inner = None if depth == 1 else (lambda x, y: apply(x, y, depth - 1))
        if (R, K, P) != (rows, inner_dim, cols):
            A2, B2 = _pad(A, R, K), _pad(B, K, P)
            return one_level(A2, B2, inner)[:rows, :cols]
        return one_level(A, B, inner)

    def f(A, B):
        if A.shape[1] != B.shape[0]:
            raise ValueError(f"cannot multiply {tuple(A.shape)} by {tuple(B.shape)}")
        return apply(A, B, levels)

    f.generated = one_level.generated
    return f


def _pad(X, rows, cols):
    if hasattr(X, "new_zeros"):  # torch
        out = X.new_zeros((rows, cols))
    else:
        out = np.zeros((rows, cols), dtype=X.dtype)
    out[: X.shape[0], : X.shape[1]] = X
    return out


def stability(s: Scheme) -> dict:
    """Ballard et al.'s stability numbers of one level of the scheme:
    e_max = max over C entries of sum_r |w_r| * ||u_r||_1 * ||v_r||_1,
    q_max = max over C entries and contributing r of nnz(u_r)+nnz(v_r)+nnz(w row),
    growth = sum_r ||u_r||_2 ||v_r||_2 ||w_r||_2 (Frobenius growth factor)."""
    U, V, W = (np.array([[float(x) for x in row] for row in M.tolist()]) for M in s.factors)
    l1u, l1v = np.abs(U).sum(axis=0), np.abs(V).sum(axis=0)
    nzu, nzv = (U != 0).sum(axis=0), (V != 0).sum(axis=0)
    e = (np.abs(W) * (l1u * l1v)[None, :]).sum(axis=1)
    q = [max((nzu[r] + nzv[r] + np.count_nonzero(W[c]) for r in np.flatnonzero(W[c])), default=0)
         for c in range(W.shape[0])]
    growth = float((np.linalg.norm(U, axis=0) * np.linalg.norm(V, axis=0) * np.linalg.norm(W, axis=0)).sum())
    return {"e_max": float(e.max()), "q_max": int(max(q)), "growth": growth}


def measured_error(s: Scheme, size: int = 512, levels=(1, 2, 3), dtype=np.float32, seed: int = 0) -> dict:
    """Max relative error (max |C - C64| / max |C64|) of recursive execution
    in `dtype` against a float64 reference, per number of levels."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((size, size))
    B = rng.standard_normal((size, size))
    ref = A @ B
    out = {}
    for L in levels:
        f = recursive(s, levels=L, cutoff=1)
        got = f(A.astype(dtype), B.astype(dtype)).astype(np.float64)
        out[L] = float(np.abs(got - ref).max() / np.abs(ref).max())
    base = (A.astype(dtype) @ B.astype(dtype)).astype(np.float64)
    out[0] = float(np.abs(base - ref).max() / np.abs(ref).max())
    return dict(sorted(out.items()))

