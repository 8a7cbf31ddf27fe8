"""Cyclic-symmetric schemes of <n,n,n> as tied factor vectors.

The tensor of <n,n,n> is unchanged by the rotation (u, v, w) -> (v, w, u), so
schemes whose terms rotate into each other form a much smaller search space
(Ballard, Ikenmeyer, Landsberg & Ryder; Moosbauer & Poole's flip walks): s
terms x(x)x and orbits of three terms (a,b,c), (b,c,a), (c,a,b), a third of
the unknowns. The sat solvers (CNF and local search) and the ALS fit share
this layout of the terms and the count s, and the flip walk (flip/cyclic.py)
its start partitions. Plain numpy: the ALS fit loads without numba.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import DecompError
from ..core.formats import Format
from .options import whole_option


def plain_ties(rank: int):
    """Every factor of every term its own variable: variable 3r + mode."""
    var_of = np.arange(3 * rank, dtype=np.int64).reshape(rank, 3)
    pos = np.zeros((3 * rank, 3, 2), dtype=np.int64)
    pos[:, 0, 0], pos[:, 0, 1] = np.repeat(np.arange(rank), 3), np.tile(np.arange(3), rank)
    return var_of, pos, np.ones(3 * rank, dtype=np.int64)


def cyclic_ties(rank: int, symmetric: int):
    """Variables of a cyclic-symmetric scheme for <n,n,n>, whose tensor is
    unchanged by the rotation (u, v, w) -> (v, w, u): columns 0..s-1 are
    the s terms x(x)x (one variable, in all three factors), and then each
    orbit t of three terms (a,b,c), (b,c,a), (c,a,b) sits in columns
    s+3t, s+3t+1, s+3t+2, so a is U of the first, W of the second and V of
    the third. Flipping a bit of a flips it in all three: the search stays
    among symmetric schemes, with a third of the unknowns. (The equations
    of a symmetric scheme are symmetric too, so each violated one comes
    with its two rotations.)"""
    orbits = (rank - symmetric) // 3
    var_of = np.zeros((rank, 3), dtype=np.int64)
    pos = np.zeros((symmetric + 3 * orbits, 3, 2), dtype=np.int64)
    for x in range(symmetric):
        pos[x] = [(x, 0), (x, 1), (x, 2)]
        var_of[x] = x
    for t in range(orbits):
        col = symmetric + 3 * t
        for k in range(3):  # variable k of the orbit (a, b or c) is factor k of its first term
            v = symmetric + 3 * t + k
            pos[v] = [(col + i, (k - i) % 3) for i in range(3)]
            for r, mode in pos[v]:
                var_of[r, mode] = v
    return var_of, pos, np.full(len(pos), 3, dtype=np.int64)


def symmetric_terms(method: str, fmt, rank: int, fixed_terms) -> int:
    """symmetry=cyclic: the number s of terms x(x)x, checked (rank - s must
    be a multiple of 3). The default is the flip walk's choice for this
    target (3x3x3 rank 23: 2)."""
    if not isinstance(fmt, Format):
        raise DecompError("cyclic symmetry needs a square matrix format <n,n,n>, not a target")
    n = check_square(fmt)
    if fixed_terms is None:
        return default_fixed(n, rank)
    s = whole_option(method, "fixed_terms", fixed_terms, 0)
    if s > rank or (rank - s) % 3:
        raise DecompError(f"cyclic symmetry: rank {rank} minus fixed_terms={s} must be a multiple of 3 "
                          f"and not negative")
    return s


def check_square(fmt: Format) -> int:
    n, m, p = fmt.dims
    if not n == m == p:
        raise DecompError(f"cyclic symmetry needs a square format <n,n,n>, not {fmt}")
    return n


def balanced_parts(n: int, count: int) -> list[list[int]]:
    """0..n-1 split into `count` runs of consecutive indices, sizes differing by at most one."""
    if not 1 <= count <= n:
        raise DecompError(f"cyclic symmetry: the number of fixed terms must be between 1 and {n}, not {count}")
    sizes = [n // count + (1 if q < n % count else 0) for q in range(count)]
    out, at = [], 0
    for size in sizes:
        out.append(list(range(at, at + size)))
        at += size
    return out


def default_fixed(n: int, target: int | None) -> int:
    """Fixed terms to start with: congruent to the target rank modulo 3 (the
    walk's reductions keep the residue unless a fixed term appears or goes),
    and as close to n/2 as that allows (5x5x5 -> 93: 3, as Moosbauer & Poole)."""
    choices = [k for k in range(1, n + 1) if target is None or (k - target) % 3 == 0] or list(range(1, n + 1))
    return min(choices, key=lambda k: (abs(k - n / 2), k))


def parse_parts(text: str, n: int) -> list[list[int]]:
    """'0:1,2:3,4' (parts separated by commas, indices by ':' or '+') as a
    partition of 0..n-1, or a one-line error."""
    try:
        parts = [[int(x) for x in part.replace("+", ":").split(":")] for part in str(text).split(",")]
    except ValueError:
        raise DecompError(f"cyclic symmetry: parts must look like 0:1,2:3,4, not {text!r}") from None
    flat = sorted(i for part in parts for i in part)
    if flat != list(range(n)):
        raise DecompError(f"cyclic symmetry: parts {text!r} must split the diagonal indices 0..{n - 1}, "
                          f"each exactly once")
    return parts
