"""Bringing a scheme over Z to entries in {-1, 0, 1}: by signs on its
support mod 2, or by a change of basis.

First (ternary_of) the cheap exact question: does the scheme's image mod 2
have signs that make it exact over Z (sign_lift.py, SAT)? That image drops
the entries +-2, and its signed version is a different scheme of the same
rank: AlphaTensor's Z 3x4x5 47 (5 units of excess) gets one in 0.04 s.
Only when there are none does the change of basis below climb.

A change of basis A -> X A Y^-1, B -> Y B Z^-1, C' -> Z C' X^-1 with
unimodular X, Y, Z maps a scheme to an equivalent one of the same rank
(symmetry.sandwich). Its coefficients can shrink: flip walks lifted from
GF(2) often end with entries 2 or -2 that some member of their class
avoids (our 3x4x5 rank 47 over Z had 50 units of excess; a few thousand
elementary moves took it to {-1, 0, 1}, the ring zt that Perminov's
catalogue ranks). ternary_member hill-climbs over elementary matrices
I + c e_ij (c = +-1) on one of X, Y, Z at a time, accepting a move that
does not raise the excess (the sum of |entry| - 1 over entries beyond 1;
sideways moves cross plateaus), until the excess is 0.

One elementary move touches two factor matrices only, by a row operation
on one and a column operation on the other (what sandwich computes for
P = I + c e_ij: P^T F adds c times row i to row j; F P^-T subtracts c
times column j from column i), so a move costs a few slices, not a
sandwich of the whole scheme.
"""

from __future__ import annotations

import numpy as np

from .errors import SchemeError
from .formats import Format
from .rings import Ring
from .scheme import Scheme
from .sign_lift import lift_signs
from .targets import require_matmul


def coefficient_excess(s: Scheme) -> int:
    """Sum over all factor entries of max(|entry| - 1, 0): 0 exactly when
    every entry is in {-1, 0, 1}."""
    return int(sum(_excess(np.asarray(F, dtype=np.int64)) for F in s.factors))


def _excess(a: np.ndarray) -> int:
    return int(np.maximum(np.abs(a) - 1, 0).sum())


def ternary_member(s: Scheme, iterations: int = 50_000, seed: int = 0) -> Scheme | None:
    """A scheme over zt equivalent to s (same rank), or None when the climb
    does not reach excess 0 within `iterations` moves. s must be a valid
    scheme over z or zt (or q with integral entries); the result is checked
    exactly over zt before it is returned."""
    require_matmul(s.fmt, "a change of basis")
    if s.ring is Ring.GF2:
        raise SchemeError("a change of basis to {-1, 0, 1} needs a scheme over Z, not GF(2)")
    zs = s.as_ring(Ring.Z) if s.ring is Ring.Q else s
    dims = s.fmt.dims
    shapes = ((dims[0], dims[1]), (dims[1], dims[2]), (dims[2], dims[0]))
    # T[k][row, col, term]: factor k's matrices side by side
    T = [np.asarray(F, dtype=np.int64).reshape(*shape, s.rank).copy() for F, shape in zip(zs.factors, shapes)]
    excess = sum(_excess(t) for t in T)
    rng = np.random.default_rng(seed)
    axes = [a for a in range(3) if dims[a] >= 2]
    for _ in range(iterations if axes else 0):
        if excess == 0:
            break
        a = axes[rng.integers(len(axes))]
        i, j = rng.choice(dims[a], size=2, replace=False)
        c = 1 if rng.integers(2) else -1
        left, right = T[a], T[(a - 1) % 3]  # the factors whose row / column space axis a is
        new_row = left[j] + c * left[i]
        new_col = right[:, i] - c * right[:, j]
        delta = (_excess(new_row) - _excess(left[j])) + (_excess(new_col) - _excess(right[:, i]))
        if delta <= 0:
            left[j], right[:, i] = new_row, new_col
            excess += delta
    if excess:
        return None
    mats = [t.reshape(-1, s.rank) for t in T]
    out = zs.with_factors(*mats, ring=Ring.ZT, basis_change="to {-1,0,1}")
    return out if out.verify(Ring.ZT).ok else None


def first_member(s: Scheme, iterations: int = 50_000, tries: int = 3) -> Scheme | None:
    """ternary_member from seeds 0, 1, ... tries - 1: the first it reaches."""
    return next((t for t in (ternary_member(s, iterations, seed) for seed in range(tries)) if t is not None), None)


def store_ternary(catalogue, s: Scheme, iterations: int = 50_000, tries: int = 3):
    """After a search stores s over z: s over {-1, 0, 1} (ternary_of: signs
    by SAT, else a change of basis) stored over zt too, when s is below the
    best stored there and one is found (the AddOutcome), else None. Without
    it a zt rank found by a z search waited for a `decomp ternary` run."""
    if s.ring is not Ring.Z or not isinstance(s.fmt, Format):
        return None
    before = catalogue.best_rank(s.fmt, Ring.ZT)
    if before is not None and before <= s.rank:
        return None
    found, _ = ternary_of(s, iterations, tries)
    return catalogue.add(found) if found is not None else None


def ternary_from_catalogue(catalogue, fmt, iterations: int = 50_000, tries: int = 3, also=None) -> dict:
    """For one format: the lowest stored scheme over z, q or gf2 below the
    best stored over zt that reaches {-1, 0, 1} (ternary_of), stored over
    zt (the catalogue verifies it and never replaces a better one). also:
    a further way, scheme -> (scheme in {-1, 0, 1} or None, how), tried on
    the candidates when ternary_of failed on all (the CLI's walk along a
    plateau, which core cannot import). Returns what happened:
    the candidates tried (ring, rank, excess, how), the zt ranks before and
    after, the catalogue's outcome, and the files that failed to load."""
    before = catalogue.best_rank(fmt, Ring.ZT)
    report = catalogue.load(fmt)
    candidates = sorted(((s.rank, coefficient_excess(s) if s.ring is not Ring.GF2 else 0, s)
                         for _, s in report.schemes
                         if s.ring in (Ring.Z, Ring.Q, Ring.GF2) and (before is None or s.rank < before)),
                        key=lambda c: c[:2])
    row = {"format": str(fmt), "zt_before": before, "zt_after": before, "tried": [], "status": "nothing lower",
           "skipped": [[str(path), why] for path, why in report.errors]}
    ways = [(c, lambda s: ternary_of(s, iterations, tries)) for c in candidates]
    if also is not None:
        # after every quick way failed; a Z scheme's image lifts to Z, so its plateau
        # is likelier to hold {-1, 0, 1} than a GF(2) scheme's: those first at each rank
        ways += [(c, also) for c in sorted(candidates, key=lambda c: (c[0], c[2].ring is Ring.GF2))]
    for (rank, excess, s), way in ways:
        found, how = way(s)
        row["tried"].append({"ring": s.ring.value, "rank": rank, "excess": excess, "how": how})
        if found is not None:
            outcome = catalogue.add(found)
            row["status"] = outcome.status
            row["zt_after"] = found.rank if outcome.added else row["zt_after"]
            break
        row["status"] = "not reached"
    return row


def ternary_of(s: Scheme, iterations: int = 50_000, tries: int = 3) -> tuple[Scheme | None, str]:
    """s over {-1, 0, 1}, and how: signs on its support mod 2 (SAT finds
    them or proves there are none, in well under a second at 4x4x5; every
    AlphaTensor Z scheme up to 5x5x5 has them, those with entries +-2 too),
    else, over z or q, a change of basis; (None, what failed)."""
    if s.ring is Ring.Q:
        try:
            s = s.as_ring(Ring.Z)
        except SchemeError:
            return None, "fractional coefficients"
    if s.ring is not Ring.GF2 and coefficient_excess(s) == 0:  # itself, not a signed variant of its image
        same = s.with_factors(*s.factors, ring=Ring.ZT)
        return (same, "already in {-1, 0, 1}") if same.verify(Ring.ZT).ok else (None, "not valid over zt")
    signed, how = lift_signs(s.as_ring(Ring.GF2))
    if signed is not None:
        return signed, "signs by SAT"
    if s.ring is Ring.GF2:
        return None, how
    found = first_member(s, iterations, tries)
    return (found, "change of basis") if found is not None else (None, f"{how}; no change of basis found")
