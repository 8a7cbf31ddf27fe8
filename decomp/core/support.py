"""The products a scheme's support makes at each tensor entry.

Both ways of lifting a GF(2) scheme to Z ask, per tensor entry, which
support entries of U, V and W multiply into it: Hensel's Jacobian mod 2
(lift.py) has a row per touched entry and a 1 for each factor of each such
product; the signs by SAT (sign_lift.py) count the products' signs there.
"""

from __future__ import annotations

import numpy as np

from .scheme import Scheme


def support_positions(s: Scheme) -> list[np.ndarray]:
    """Per factor (U, V, W): the (row, term) pairs of its odd entries."""
    return [np.argwhere(np.asarray(m) % 2 == 1) for m in s.factors]


def support_products(s: Scheme, pos: list[np.ndarray] | None = None):
    """Number the support entries 0..n-1 (U's, then V's, then W's, in the
    order of support_positions). Returns, per touched tensor entry (flat
    index), the entry numbers (u, v, w) of every product there, in term
    order, and per term and factor its (row, entry number) pairs."""
    shape = s.fmt.shape
    pos = support_positions(s) if pos is None else pos
    offsets = np.cumsum([0] + [len(p) for p in pos])
    by_term = [[[] for _ in range(s.rank)] for _ in range(3)]
    for mode in range(3):
        for i, (row, r) in enumerate(pos[mode]):
            by_term[mode][r].append((int(row), int(offsets[mode] + i)))
    touching: dict[int, list[tuple[int, int, int]]] = {}
    for r in range(s.rank):
        for a, va in by_term[0][r]:
            for b, vb in by_term[1][r]:
                for c, vc in by_term[2][r]:
                    touching.setdefault((a * shape[1] + b) * shape[2] + c, []).append((va, vb, vc))
    return touching, by_term
