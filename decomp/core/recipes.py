"""The combination DP: lowest rank reachable for every format up to N from
a set of schemes, by permutation, direct sums, Kronecker products and
recombination, with a recipe tree that can be materialised and verified.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np

from . import combine as cb
from . import symmetry as sym
from .errors import DecompError
from .formats import Format
from .hopcroft_kerr import all_hopcroft_kerr
from .rings import Ring
from .scheme import Scheme


@dataclass(frozen=True)
class Recipe:
    """How the best rank of one (oriented) format is reached.

    kind: 'naive' | 'stored' (a given scheme, permuted) | 'sum' (detail: axis,
    children: the two parts) | 'product' (children: outer, inner) |
    'recombine' (detail: base index and block allocation, children: the
    distinct padded block formats) | 'permuted' (children: the orientation
    of the same format whose recipe is used, its axes permuted to dims).
    """

    dims: tuple[int, int, int]
    rank: int
    kind: str
    children: tuple = ()
    detail: tuple = ()


@dataclass
class CombinationTable:
    max_dim: int
    ring: Ring
    recipes: dict = field(default_factory=dict)
    bases: list = field(default_factory=list)  # Scheme inputs, in the wanted ring
    seconds: float = 0.0

    def rank(self, fmt) -> int:
        return self.recipes[Format.parse(fmt).dims].rank

    def recipe(self, fmt) -> Recipe:
        dims = Format.parse(fmt).dims
        if dims not in self.recipes:
            raise DecompError(f"{Format(*dims)} is outside this table (max dimension {self.max_dim})")
        return self.recipes[dims]

    def explain(self, fmt, depth: int = 0) -> list[str]:
        r = self.recipe(fmt)
        name = f"{Format(*r.dims)} rank {r.rank}: "
        if r.kind == "naive":
            text = "standard algorithm"
        elif r.kind == "stored":
            s = self.bases[r.detail[0]]
            origin = "constructed" if s.provenance.get("method") == "hopcroft-kerr" else "stored"
            text = f"{origin} {s.fmt} scheme ({s.provenance.get('source') or s.provenance.get('method')})"
        elif r.kind == "sum":
            text = f"direct sum along {cb.AXES[r.detail[0]]}"
        elif r.kind == "product":
            text = "product"
        elif r.kind == "permuted":
            text = f"the {Format(*r.children[0])} scheme, axes permuted"
        else:
            text = f"recombination of stored {self.bases[r.detail[0]].fmt} with blocks {r.detail[1]}"
        lines = ["  " * depth + name + text]
        if r.kind in ("sum", "product", "permuted") or (r.kind == "recombine" and depth < 1):
            for child in r.children:
                lines += self.explain(child, depth + 1)
        return lines

    # ---------------------------------------------------------- materialise
    def materialise(self, fmt, cache: dict | None = None) -> Scheme:
        """Build the scheme the recipe describes (verified by the caller)."""
        cache = {} if cache is None else cache
        r = self.recipe(fmt)
        if r.dims in cache:
            return cache[r.dims]
        if r.kind == "naive":
            f = Format(*r.dims)
            out = Scheme(f, *f.naive_factors(), ring=self.ring, provenance={"method": "naive"})
        elif r.kind == "stored":
            out = sym.permute(self.bases[r.detail[0]], r.dims)
        elif r.kind == "sum":
            a, b = (self.materialise(c, cache) for c in r.children)
            out = cb.direct_sum(a, b, r.detail[0])
        elif r.kind == "product":
            a, b = (self.materialise(c, cache) for c in r.children)
            out = cb.product(a, b)
        elif r.kind == "permuted":
            out = sym.permute(self.materialise(r.children[0], cache), r.dims)
        else:
            base = self.bases[r.detail[0]]
            out = cb.recombine(base, r.detail[1], lambda f: self.materialise(f.dims, cache))
        if out.rank != r.rank:
            raise DecompError(f"internal: recipe for {Format(*r.dims)} promised rank {r.rank}, built {out.rank}")
        cache[r.dims] = out
        return out


# Recombination is tried up to this dimension by the table's DP and the
# search starts built from it (its cost grows fast beyond: about 30 s at 8)
RECOMBINE_MAX = 8


def build_table(schemes, max_dim: int = 12, ring="z", recombine_max: int = 12,
                recombine_bases: int = 12, max_fillings: int = 120,
                alternatives_per_format: int = 5, constructions: bool = True) -> CombinationTable:
    """Dynamic programme over every oriented format with dimensions <= max_dim.

    schemes: valid schemes (any ring implying `ring`); the best per format is
    used, all orientations. With `constructions`, Hopcroft and Kerr's <p,2,n>
    schemes join them (core/hopcroft_kerr.py; integral, so they serve every
    ring; over zt their ternary versions where there are any).
    Recombination is tried for targets whose largest dimension is <=
    recombine_max, with up to `recombine_bases` base schemes
    (the lowest rank per small format, dims <= 4, up to
    alternatives_per_format schemes in all of that rank with other supports),
    and allocations bounded by max_fillings per axis.
    """
    t0 = time.monotonic()
    ring = Ring.parse(ring)
    if not 1 <= max_dim <= 16:
        raise DecompError(f"max dimension must be within 1..16, got {max_dim}")
    if recombine_max < 0:
        raise DecompError(f"--recombine-max must be >= 0 (0: no recombination), got {recombine_max}")
    if constructions:
        schemes = list(schemes) + all_hopcroft_kerr(max_dim, ternary=ring is Ring.ZT)
    # Structured targets (poly:3, complex, ...) share the catalogue but are not formats.
    usable = [s if s.ring is ring or ring is Ring.Q else s.as_ring(ring) for s in schemes
              if isinstance(s.fmt, Format) and s.serves(ring)
              and max(s.fmt.dims) <= max_dim]
    bases: list[Scheme] = []
    best_stored: dict = {}
    for s in usable:
        key = tuple(sorted(s.fmt.dims))
        if key not in best_stored or s.rank < bases[best_stored[key]].rank:
            best_stored[key] = len(bases)
            bases.append(s)
    # Recombination costs depend on which blocks each term touches, so other
    # schemes of the best rank (different supports) are tried as bases too.
    alternatives: dict = {key: {_support(bases[i]): i} for key, i in best_stored.items()}
    for s in usable:
        key = tuple(sorted(s.fmt.dims))
        same = alternatives[key]
        if max(key) > 4 or s.rank != bases[best_stored[key]].rank:
            continue
        if _support(s) not in same and len(same) < alternatives_per_format:
            same[_support(s)] = len(bases)
            bases.append(s)
    table = CombinationTable(max_dim, ring, {}, bases)
    N = max_dim
    R = np.zeros((N + 1, N + 1, N + 1), dtype=np.int64)  # 0 where a size is 0
    small_formats = sorted((key for key in best_stored if max(key) <= 4 and min(key) >= 2),
                           key=lambda key: bases[best_stored[key]].rank)[:recombine_bases]
    small = [i for key in small_formats for i in alternatives[key].values()]
    keys = sorted(itertools.combinations_with_replacement(range(1, N + 1), 3),
                  key=lambda k: (k[0] * k[1] * k[2], k))
    for key in keys:
        # Each orientation is searched on its own: a base is recombined in its
        # stored orientation only, so <10,4,9> and <4,9,10> can differ (the
        # <3,2,3> rank-15 scheme gives 255 on one, 259 on the other). Rank is
        # invariant under permuting the axes, so every orientation then takes
        # the best one's recipe, permuted.
        found = [_best_recipe(dims, R, bases, best_stored, small, recombine_max, max_fillings)
                 for dims in sorted(set(itertools.permutations(key)))]
        top = min(found, key=lambda r: r.rank)
        for r in found:
            if r.rank > top.rank:
                r = Recipe(r.dims, top.rank, "permuted", (top.dims,))
            R[r.dims] = r.rank
            table.recipes[r.dims] = r
    table.seconds = time.monotonic() - t0
    return table


def combined_scheme(schemes, fmt, ring="z") -> Scheme:
    """The combination DP's verified scheme for one format from `schemes`
    (products, direct sums, permutations of smaller formats and, up to
    dimension RECOMBINE_MAX, recombination, as `decomp table` builds it): a
    start point for a search. Over gf2 and q the DP runs over that ring, over z over
    z, and over zt over the schemes with entries in {-1, 0, 1}; formats
    above 16 are refused in one line."""
    fmt = Format.parse(fmt)
    if max(fmt.dims) > 16:
        raise DecompError(f"combined schemes cover formats up to 16, not {fmt}")
    return start_table(schemes, max(fmt.dims), ring).materialise(fmt).require_valid()


def start_table(schemes, max_dim: int, ring="z") -> CombinationTable:
    """combined_scheme's DP for every format up to max_dim at once, for
    callers that need the starts of several formats (decomp meta's pools):
    one DP instead of one per format."""
    if max_dim > 16:
        raise DecompError(f"combined schemes cover dimensions up to 16, not {max_dim}")
    ring = Ring.parse(ring)
    base = ring if ring in (Ring.GF2, Ring.Q) else Ring.Z
    usable = [s for s in schemes if isinstance(s.fmt, Format) and max(s.fmt.dims) <= max_dim]
    if ring is Ring.ZT:
        # products and sums of schemes with entries in {-1, 0, 1} keep them
        # there: a ternary walk can start from the result (Z schemes count
        # when their entries are ternary, as in the table)
        base = Ring.ZT
        usable = [s.as_ring(Ring.ZT) if s.ring is Ring.Z else s for s in usable
                  if s.ring is Ring.ZT or (s.ring is Ring.Z and max(np.abs(m).max() for m in s.factors) <= 1)]
    # With recombination, as the table: without it the starts were above the
    # table's DP from dimension 7 up (over results/ at stop 36: 4x6x7 128
    # for 125, 7x7x7 262 for 250, 7x8x8 330 for 310), at a cost of about
    # 20-30 s up to dimension 8 and 8 s up to 6 (measured there; below 7 it
    # lowered nothing). Recombined ternary blocks stay ternary: each entry of
    # the result is one base coefficient times one block scheme's.
    return build_table(usable, max_dim=max_dim, ring=base, recombine_max=min(RECOMBINE_MAX, max_dim))


def _best_recipe(dims, R, bases, best_stored, small, recombine_max, max_fillings) -> Recipe:
    """Lowest-rank recipe for one oriented format, given R for all smaller
    formats (R[dims] is written as the search goes: a recombination block
    may be the whole format)."""
    n, m, p = dims
    best = Recipe(dims, n * m * p, "naive")
    key = tuple(sorted(dims))
    if key in best_stored and bases[best_stored[key]].rank < best.rank:
        best = Recipe(dims, bases[best_stored[key]].rank, "stored", (), (best_stored[key],))
    for axis in range(3):
        for cut in range(1, dims[axis] // 2 + 1):
            a, b = list(dims), list(dims)
            a[axis], b[axis] = cut, dims[axis] - cut
            value = R[tuple(a)] + R[tuple(b)]
            if value < best.rank:
                best = Recipe(dims, int(value), "sum", (tuple(a), tuple(b)), (axis,))
    for a in _divisors(n):
        for b in _divisors(m):
            for c in _divisors(p):
                inner = (n // a, m // b, p // c)
                if (a, b, c) in ((1, 1, 1), dims):
                    continue
                value = R[a, b, c] * R[inner]
                if value < best.rank:
                    best = Recipe(dims, int(value), "product", ((a, b, c), inner))
    R[dims] = best.rank
    if max(dims) <= recombine_max:
        for i in small:
            res = cb.best_recombination(bases[i], dims, R, max_fillings=max_fillings)
            if res is not None and res[0] < best.rank:
                children = tuple(sorted({f for f in cb.term_formats(bases[i], res[1]) if min(f) > 0}))
                best = Recipe(dims, res[0], "recombine", children, (i, res[1]))
                R[dims] = best.rank
    return best


def _support(s: Scheme):
    return s.fmt.dims, tuple(np.asarray(m != 0).tobytes() for m in s.factors)


def _divisors(k: int) -> list[int]:
    return [d for d in range(1, k + 1) if k % d == 0]
