"""CNF encoding of the Brent equations over GF(2), as pure functions.

A scheme of rank R for <n,m,p> over GF(2) exists iff 0/1 values for
u[a,r], v[b,r], w[c,r] satisfy, for every tensor position (a, b, c),
    XOR_r (u[a,r] AND v[b,r] AND w[c,r]) = T[a,b,c].
Each function takes and returns an IDPool-backed list of clauses so the
pieces combine (the python-sat CardEnc + IDPool style).
"""

from __future__ import annotations

import itertools

import numpy as np
from pysat.card import CardEnc, EncType
from pysat.formula import IDPool

from ...core.formats import Format


def factor_vars(pool: IDPool, fmt: Format, rank: int, var_of=None):
    """Variable ids u (nm x R), v (mp x R), w (pn x R) as int arrays.
    var_of[r, mode] (optional) names the factor vector that factor `mode`
    of term r is: factors with the same name share their variables (a
    cyclic-symmetric scheme, solvers/cyclic.py)."""
    mats = []
    for mode, rows in enumerate(fmt.shape):
        names = [("uvw"[mode], r) if var_of is None else ("f", int(var_of[r, mode])) for r in range(rank)]
        mats.append(np.array([[pool.id((names[r], q)) for r in range(rank)] for q in range(rows)],
                             dtype=np.int64))
    return tuple(mats)


def and_gate(pool: IDPool, key, a: int, b: int) -> tuple[int, list]:
    """Fresh x <-> (a AND b) (Tseitin)."""
    x = pool.id(key)
    return x, [[-x, a], [-x, b], [x, -a, -b]]


def xor_clauses(pool: IDPool, lits: list[int], rhs: int, chunk: int = 4, tag=None) -> list:
    """XOR(lits) = rhs, cut into chunks of `chunk` literals joined by fresh
    variables (each chunk of k literals costs 2^k clauses)."""
    lits = list(lits)
    clauses = []
    counter = itertools.count()
    while len(lits) > chunk:
        head, lits = lits[: chunk - 1], lits[chunk - 1:]
        y = pool.id(("xor", tag, next(counter), len(lits)))
        clauses.extend(_parity(head + [y], 0))  # y = XOR(head)
        lits = [y] + lits
    clauses.extend(_parity(lits, rhs))
    return clauses


def _parity(lits: list[int], rhs: int) -> list:
    """Forbid every assignment of `lits` whose parity differs from rhs."""
    out = []
    if not lits:
        return [[]] if rhs else []
    for signs in itertools.product((0, 1), repeat=len(lits)):
        if sum(signs) % 2 != rhs:
            # the clause is violated exactly by this assignment
            out.append([-l if s else l for l, s in zip(lits, signs)])
    return out


def brent_clauses(pool: IDPool, fmt: Format, rank: int, u, v, w, chunk: int = 4, keep=None) -> list:
    """All Brent equations, with pair (u AND v) and triple (pair AND w) gates;
    keep(a, b, c), when given, says which equations to write (for a
    cyclic-symmetric scheme one per orbit of rotations is enough)."""
    T = fmt.tensor() % 2  # over GF(2); targets may hold -1
    clauses = []
    pairs = {}
    I, J, K = fmt.shape
    for a in range(I):
        for b in range(J):
            for r in range(rank):
                x, cl = and_gate(pool, ("uv", a, b, r), int(u[a, r]), int(v[b, r]))
                pairs[a, b, r] = x
                clauses.extend(cl)
    for a in range(I):
        for b in range(J):
            for c in range(K):
                if keep is not None and not keep(a, b, c):
                    continue
                lits = []
                for r in range(rank):
                    x, cl = and_gate(pool, ("uvw", a, b, c, r), pairs[a, b, r], int(w[c, r]))
                    clauses.extend(cl)
                    lits.append(x)
                clauses.extend(xor_clauses(pool, lits, int(T[a, b, c]), chunk, tag=(a, b, c)))
    return clauses


def nonzero_clauses(u, v, w) -> list:
    """No zero factor: every term must be a real product."""
    return [[int(x) for x in mat[:, r]] for mat in (u, v, w) for r in range(mat.shape[1])]


def lex_clauses(pool: IDPool, u, v, w, columns=None) -> list:
    """Order the rank-one terms: column r <=_lex the next one on (u; v; w),
    over all columns or the given ones (columns whose terms may be permuted
    among themselves). Sound for existence: any scheme's terms can be sorted."""
    cols = np.vstack([u, v, w])
    columns = list(range(cols.shape[1])) if columns is None else list(columns)
    clauses = []
    for r, r_next in itertools.pairwise(columns):
        x, y = cols[:, r], cols[:, r_next]
        eq = [pool.id(("lexeq", r, i)) for i in range(len(x) + 1)]
        clauses.append([eq[0]])
        for i in range(len(x)):
            xi, yi = int(x[i]), int(y[i])
            clauses.append([-eq[i], -xi, yi])  # equal prefix -> x_i <= y_i
            clauses.append([-eq[i], xi, yi, eq[i + 1]])  # equal prefix and x_i = y_i
            clauses.append([-eq[i], -xi, -yi, eq[i + 1]])  # -> longer equal prefix
    return clauses


def fix_clauses(u, v, w, factors, terms) -> list:
    """Unit clauses fixing the given terms to a known scheme's columns
    (factors as 0/1 matrices); term k of the known scheme goes to column k."""
    clauses = []
    for col, term in enumerate(terms):
        for var_mat, known in zip((u, v, w), factors):
            for q in range(var_mat.shape[0]):
                lit = int(var_mat[q, col])
                clauses.append([lit] if known[q, term] % 2 else [-lit])
    return clauses


def sparsity_clauses(pool: IDPool, u, v, w, max_factor_nnz: int) -> list:
    """Streamlining: at most max_factor_nnz ones in every factor vector."""
    clauses = []
    for mat in (u, v, w):
        for r in range(mat.shape[1]):
            enc = CardEnc.atmost([int(x) for x in mat[:, r]], bound=max_factor_nnz, vpool=pool,
                                 encoding=EncType.seqcounter)
            clauses.extend(enc.clauses)
    return clauses


def decode(model, u, v, w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    true = set(x for x in model if x > 0)
    return tuple(np.isin(mat, list(true)).astype(np.int64) for mat in (u, v, w))
