"""Signs for a GF(2) scheme: its lifts to Z with entries in {-1, 0, 1}, decided by SAT.

Why: a scheme over {-1, 0, 1} reduces mod 2 to a GF(2) scheme with the same
support, so a GF(2) scheme has a ternary lift exactly when some choice of
signs on its support makes the Brent equations hold over Z. Hensel lifting
(lift.py) follows one solution mod 4 and keeps the symmetric residues; it
can miss signs that exist (the solutions mod 4 form an affine space, only
some of them hold over Z) and it says nothing when it fails. Here the
question is asked whole and answered exactly: SAT finds the signs or proves
there are none.

Encoding: one variable per support entry (true: the entry is -1). A product
U[a,r] V[b,r] W[c,r] on the support is -1 exactly when the XOR of its three
variables is true; tensor entry (a,b,c), touched by k products and with
target t, needs exactly (k - t) / 2 of them negative (a cardinality
constraint). Each term's signs are defined up to (u,v,w) -> (-u,-v,w) and
(-u,v,-w), so the first U and first V entry of every term are fixed to +1.
"""

from __future__ import annotations

import numpy as np
from pysat.card import CardEnc, EncType
from pysat.formula import IDPool
from pysat.solvers import Solver

from .rings import Ring
from .scheme import Scheme
from .support import support_positions, support_products

SAT_SOLVER = "cadical153"
# Conflicts before a sign question is given up: 4x4x5 and 3x5x5 schemes at
# their best ranks are decided within 10,000 conflicts (under 2 s, most of it
# building the CNF); the budget bounds what a large format could cost inside
# a walk.
CONFLICTS = 1_000_000


def _xor(pool: IDPool, clauses: list, x: int, y: int, cache: dict) -> int:
    """A variable equal to x XOR y (one per pair, shared)."""
    key = (min(x, y), max(x, y))
    z = cache.get(key)
    if z is None:
        z = cache[key] = pool.id(("xor",) + key)
        clauses += [[-x, -y, -z], [x, y, -z], [x, -y, z], [-x, y, z]]
    return z


def sign_clauses(s: Scheme):
    """CNF whose models are the sign choices making s exact over Z, or None
    when a tensor entry rules every choice out by counting alone. Returns
    (clauses, pool, support positions, number of support variables)."""
    pos = support_positions(s)
    nvars = sum(len(p) for p in pos)
    touching, by_term = support_products(s, pos)
    pool = IDPool(start_from=nvars + 1)
    clauses: list[list[int]] = []
    for r in range(s.rank):  # the two sign symmetries of each term
        for mode in (0, 1):
            if by_term[mode][r]:
                clauses.append([-(by_term[mode][r][0][1] + 1)])
    target = s.fmt.tensor().ravel()
    cache: dict = {}
    for flat in np.flatnonzero(target):
        if int(flat) not in touching:
            return None  # a nonzero entry no product reaches: not even a GF(2) scheme
    for flat, prods in touching.items():
        k, t = len(prods), int(target[flat])
        if (k - t) % 2 or abs(t) > k:
            return None
        negatives = (k - t) // 2
        lits = [_xor(pool, clauses, _xor(pool, clauses, va + 1, vb + 1, cache), vc + 1, cache)
                for va, vb, vc in prods]
        if negatives == 0:
            clauses += [[-x] for x in lits]
        elif negatives == k:
            clauses += [[x] for x in lits]
        else:
            card = CardEnc.equals(lits=lits, bound=negatives, vpool=pool, encoding=EncType.seqcounter)
            clauses += card.clauses
    return clauses, pool, pos, nvars


def lift_signs(s: Scheme, conflicts: int | None = CONFLICTS) -> tuple[Scheme | None, str]:
    """(a scheme over zt with the support of the valid GF(2) scheme s, how),
    or (None, why): no signs exist (proved), or the conflict budget ran out
    (None: no budget)."""
    built = sign_clauses(s)
    if built is None:
        return None, "no signs: an entry's products cannot add up to its target"
    clauses, _, pos, nvars = built
    with Solver(name=SAT_SOLVER, bootstrap_with=clauses) as sat:
        if conflicts is not None:
            sat.conf_budget(conflicts)
            status = sat.solve_limited()
        else:
            status = sat.solve()
        if status is None:
            return None, f"signs undecided within {conflicts} conflicts"
        if not status:
            return None, "no signs in {-1, 0, 1} on this support (SAT)"
        model = sat.get_model()
    negative = np.zeros(nvars + 1, dtype=bool)
    for lit in model:
        if 0 < lit <= nvars:
            negative[lit] = True
    mats, start = [], 0
    for p, rows in zip(pos, s.fmt.shape):
        m = np.zeros((rows, s.rank), dtype=np.int64)
        m[p[:, 0], p[:, 1]] = np.where(negative[start + 1:start + 1 + len(p)], -1, 1)
        mats.append(m)
        start += len(p)
    z = Scheme(s.fmt, *mats, ring=Ring.ZT, provenance=dict(s.provenance, lifted_from="gf2", lift="signs by SAT"))
    if not z.verify(Ring.ZT).ok:
        return None, "internal: SAT signs do not verify"  # cannot happen
    return z, "lifted to {-1, 0, 1} by SAT (signs on the GF(2) support)"
