"""Local rank reduction over GF(2): replace k terms of a scheme by k-1 terms
found by SAT.

The k terms of a subset sum to a residual tensor R; the scheme loses a
product when R has rank k-1. A flip walk's reduction is the case k = 2
(two terms sharing two factors); this looks at larger subsets, which no
single flip or reduction sees.

Why the residual is solved in small coordinates: a decomposition of R of
rank r can be taken with every factor inside the column space of R's
flattening in that mode (project the mode onto that space along a
complement: R does not move and no term is added), so the SAT instance is R
written in bases of those spaces, at most (k-1) per mode, not the format's
nm x mp x pn.

Why most subsets are never handed to SAT: a flattening's rank is a lower
bound on the tensor's rank, so a subset whose residual has a flattening of
rank k cannot lose a term; subsets are drawn greedily, each next term the
one adding least to the spans of the subset's factors, and only those
passing the bound are solved, each with a conflict budget.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from pysat.solvers import Solver

from ...core.errors import DecompError
from ...core.lift import lift_gf2
from ...core.rings import Ring, matrix_rank
from ...core.scheme import Scheme
from ...core.symmetry import inverse_matrix
from ...core.targets import Target
from . import encoding as enc
from .solver import build

# conflicts per SAT call: a residual of rank k-1 is found within a few
# thousand; an impossible one is given up on rather than proved
CONFLICTS = 20_000


def _bits(vec) -> int:
    return int("".join(str(int(x) & 1) for x in vec[::-1]), 2) if len(vec) else 0


def _residue(basis: dict, x: int) -> int:
    """x reduced by a GF(2) echelon basis {top bit: vector}: 0 when x is in
    its span."""
    while x:
        top = x.bit_length() - 1
        if top not in basis:
            return x
        x ^= basis[top]
    return 0


def _insert(basis: dict, x: int) -> bool:
    """Add x to the basis; False when x is in its span already."""
    x = _residue(basis, x)
    if x:
        basis[x.bit_length() - 1] = x
    return bool(x)


def independent(vectors) -> list[int]:
    """Indices of a maximal independent subfamily of the GF(2) vectors
    (numpy rows), first ones first."""
    basis, keep = {}, []
    for i, v in enumerate(vectors):
        if _insert(basis, _bits(v)):
            keep.append(i)
    return keep


def flattening_ranks(R: np.ndarray) -> tuple[int, int, int]:
    return tuple(matrix_rank(np.moveaxis(R, m, 0).reshape(R.shape[m], -1), mod2=True) for m in range(3))


def span_coordinates(R: np.ndarray):
    """R in bases of its flattenings' column spaces: (R', [B0, B1, B2]) with
    R = R' x_0 B0 x_1 B1 x_2 B2 mod 2, Bm of shape (dim_m, d_m)."""
    small, bases = R % 2, []
    for m in range(3):
        fibres = np.moveaxis(R, m, 0).reshape(R.shape[m], -1).T % 2  # one fibre a row
        B = fibres[independent(fibres)].T  # (dim_m, d_m)
        rows = independent(B)  # d_m rows where B is invertible
        pick = inverse_matrix(B[rows], Ring.GF2).astype(np.int64)  # a fibre x's coordinates: pick @ x[rows]
        small = np.moveaxis(np.tensordot(pick, np.moveaxis(small, m, 0)[rows], axes=(1, 0)) % 2, 0, m)
        bases.append(B)
    return small, bases


def decompositions(R: np.ndarray, rank: int, conflicts: int = CONFLICTS, limit: int = 1,
                   solver: str = "cadical195") -> tuple[list, bool | None]:
    """Up to `limit` different rank-`rank` decompositions of R over GF(2)
    (each the factors (U, V, W)), and the last SAT answer: True when it
    stopped at the limit, False when there are no (more), None when it ran
    out of its conflict budget. Later ones differ from the earlier ones in
    some factor entry (a blocking clause each)."""
    small, bases = span_coordinates(R)
    target = Target("residual", small, kind="file")
    clauses, (u, v, w), _ = build(target, rank, symmetry=True)
    found, status = [], None
    factor_vars = np.concatenate([u.ravel(), v.ravel(), w.ravel()]).tolist()
    with Solver(name=solver, bootstrap_with=clauses) as sat:
        while len(found) < limit:
            sat.conf_budget(conflicts)
            status = sat.solve_limited()
            if not status:
                return found, status
            model = sat.get_model()
            small_factors = enc.decode(model, u, v, w)
            found.append(tuple((B @ f) % 2 for B, f in zip(bases, small_factors)))
            true = set(x for x in model if x > 0)
            sat.add_clause([-x if x in true else x for x in factor_vars])
    return found, status


def residual(s: Scheme, terms) -> np.ndarray:
    t = list(terms)
    return np.einsum("ar,br,cr->abc", s.U[:, t], s.V[:, t], s.W[:, t]) % 2


def factor_columns(s: Scheme) -> list[list[int]]:
    """Each term's three factors as bit-ints mod 2 (what greedy_subset
    compares), per factor: computed once per scheme, not per draw."""
    return [[_bits(F[:, r]) for r in range(s.rank)] for F in (s.U % 2, s.V % 2, s.W % 2)]


def greedy_subset(s: Scheme, k: int, rng: np.random.Generator, cols: list | None = None) -> list[int]:
    """k terms from a random first one, each next term the one whose factors
    add least to the spans of the subset's factors (ties at random).
    cols: factor_columns(s) when the caller keeps it."""
    cols = factor_columns(s) if cols is None else cols
    chosen = [int(rng.integers(s.rank))]
    spans = [dict() for _ in range(3)]
    for m in range(3):
        _insert(spans[m], cols[m][chosen[0]])
    while len(chosen) < k:
        rest = [r for r in range(s.rank) if r not in chosen]
        cost = [sum(bool(_residue(spans[m], cols[m][r])) for m in range(3)) for r in rest]
        low = min(cost)
        pick = int(rng.choice([r for r, c in zip(rest, cost) if c == low]))
        chosen.append(pick)
        for m in range(3):
            _insert(spans[m], cols[m][pick])
    return sorted(chosen)


@dataclass
class ReduceStats:
    subsets: int = 0  # distinct subsets drawn
    bounded: int = 0  # passed the flattening bound and went to SAT
    refuted: int = 0  # of those, SAT proved no k-1 (the others ran out of conflicts, or reduced)
    reductions: list = field(default_factory=list)  # (k, rank after)
    points: int = 0  # plateau points moved to (walk > 0)
    interrupted: bool = False


def replace_terms(s: Scheme, terms, conflicts: int = CONFLICTS, stats: ReduceStats | None = None,
                  accept=None, solutions: int = 1):
    """The GF(2) scheme s with the given terms replaced by fewer (k-1, or
    none when they sum to zero), verified; None when the flattening bound
    rules it out or SAT finds no k-1 within its budget. accept(scheme), when
    given, turns a candidate into the result or None (a lift to Z): up to
    `solutions` different replacements are offered to it."""
    terms = sorted(int(t) for t in terms)
    R = residual(s, terms)
    if R.any():
        if max(flattening_ranks(R)) > len(terms) - 1:
            return None
        if stats is not None:
            stats.bounded += 1
        replacements, status = decompositions(R, len(terms) - 1, conflicts, solutions)
        if stats is not None and status is False and not replacements:
            stats.refuted += 1
    else:
        replacements = [tuple(np.zeros((d, 0), dtype=np.int64) for d in s.fmt.shape)]
    keep = [r for r in range(s.rank) if r not in terms]
    for new in replacements:
        factors = [np.concatenate([F[:, keep] % 2, n], axis=1) for F, n in zip(s.factors, new)]
        candidate = s.with_factors(*factors, ring=Ring.GF2).require_valid(Ring.GF2)
        out = candidate if accept is None else accept(candidate)
        if out is not None:
            return out
    return None


def _lifted(G: Scheme) -> Scheme | None:
    return lift_gf2(G).scheme


def reduce_scheme(s: Scheme, ks=(3, 4, 5, 6), seconds: float = 60.0, seed: int | None = None,
                  conflicts: int = CONFLICTS, patience: int = 200, on_reduce=None, ring="gf2",
                  solutions: int = 8, move=None, per_point: int = 12):
    """Replace k terms by k-1 (k drawn in turn from ks) while it works:
    returns the lowest scheme reached over `ring` (gf2, or z: only
    reductions whose scheme lifts to Z count, up to `solutions` SAT answers
    per subset tried) and the stats. Stops after `seconds`, on Ctrl-C
    (keeping what it has), or when `patience` draws in a row gave only
    subsets tried already (the greedy draws are few on a small scheme).
    move(G) (gf2), when given, takes the GF(2) scheme to another of at most
    its rank (a plateau walk: decomp reduce --walk) after every `per_point`
    subsets, and the draws go on from there until the time is up.
    on_reduce(scheme) hears of every reduction."""
    ring = Ring.parse(ring)
    if ring not in (Ring.GF2, Ring.Z):
        raise DecompError(f"reduce works over gf2 or z (lifting), not {ring.value}")
    if move is not None and ring is not Ring.GF2:
        raise DecompError("a plateau walk between draws runs over gf2 (flips do not keep a Z scheme valid)")
    accept, solutions = (None, 1) if ring is Ring.GF2 else (_lifted, max(1, int(solutions)))
    best = s.as_ring(Ring.GF2).require_valid(Ring.GF2) if ring is Ring.GF2 else s.as_ring(Ring.Z).require_valid()
    G = best.as_ring(Ring.GF2)
    ks = sorted({int(k) for k in ks})
    rng = np.random.default_rng(seed)
    stats, tried, stale, turn, at_point = ReduceStats(), set(), 0, 0, 0
    cols = (None, None)  # (the scheme, its factor_columns), kept while G stays
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and (stale < patience or move is not None):
            if move is not None and (at_point >= per_point or stale >= patience):
                G, tried, stale, at_point = move(G).require_valid(Ring.GF2), set(), 0, 0
                stats.points += 1
                if G.rank < best.rank:  # the flips reduced on their own
                    best = G
                    stats.reductions.append((2, best.rank))
                    if on_reduce is not None:
                        on_reduce(best)
            k = ks[turn % len(ks)]
            turn += 1
            if not 2 <= k <= G.rank:
                stale += 1
                continue
            if cols[0] is not G:  # G moved or was reduced: its factor columns anew
                cols = (G, factor_columns(G))
            terms = greedy_subset(G, k, rng, cols[1])
            if frozenset(terms) in tried:
                stale += 1
                continue
            tried.add(frozenset(terms))
            stale = 0
            stats.subsets += 1
            at_point += 1
            new = replace_terms(G, terms, conflicts, stats, accept, solutions)
            if new is not None:
                best, G, tried = new, new.as_ring(Ring.GF2), set()
                stats.reductions.append((k, best.rank))
                if on_reduce is not None:
                    on_reduce(best)
    except KeyboardInterrupt:
        stats.interrupted = True
    return best, stats
