"""Cyclic-symmetric schemes of <n,n,n> as tied factor vectors.

The tensor of <n,n,n> is unchanged by the rotation (u, v, w) -> (v, w, u), so
schemes whose terms rotate into each other form a much smaller search space
(Ballard, Ikenmeyer, Landsberg & Ryder; Moosbauer & Poole's flip walks): s
terms x(x)x and orbits of three terms (a,b,c), (b,c,a), (c,a,b), a third of
the unknowns. The sat solvers (CNF and local search) and the ALS fit share
this layout of the terms and the count s.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import DecompError
from ..core.formats import Format
from . import flip_cyclic
from .api import whole_option


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
    n = flip_cyclic.check_square(fmt)
    if fixed_terms is None:
        return flip_cyclic.default_fixed(n, rank)
    s = whole_option(method, "fixed_terms", fixed_terms, 0)
    if s > rank or (rank - s) % 3:
        raise DecompError(f"cyclic symmetry: rank {rank} minus fixed_terms={s} must be a multiple of 3 "
                          f"and not negative")
    return s
