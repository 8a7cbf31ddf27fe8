"""Turning an unfinished game into a scheme.

A game that stops at the move limit is charged rank_bound(residual): the
smallest, over the three modes, sum of the ranks of the residual's slices,
or the number of terms of an exact split when that is fewer (over the
integers jennrich.py and peel.py, over GF(2) span_split.py). The bound is constructive:
a slice of rank k is k rank-one matrices, each a rank-one tensor with the
slice's basis vector as its third factor, and a Jennrich split is checked
exactly. So the moves played plus those terms are a scheme whose rank is
exactly the game's score, and the best prefix of a game (fewest moves +
bound) is a scheme the game really found. On 3x3x3, where games seldom
clear the tensor, this is what "the best rank the agent reached" means.

The slice terms themselves, and their variant for ring zt's entry bound,
are in slice_terms.py.
"""

from __future__ import annotations

import numpy as np

from .game import apply, rank_bound
from .jennrich import batched_flattening_ranks, may_split
from .peel import exact_terms, may_peel
from .slice_terms import slice_terms
from .span_split import gf2_terms


def residual_terms(residual: np.ndarray, mod2: bool, limit: int | None = None) -> np.ndarray:
    """(k, a+b+c) factor triples summing to the residual, k = rank_bound
    (with the same entry limit)."""
    residual = np.asarray(residual, dtype=np.int64)
    slices = slice_terms(residual, mod2, limit)
    exact = gf2_terms(residual, below=len(slices)) if mod2 else exact_terms(residual, below=len(slices))
    if exact is not None and (limit is None or np.abs(exact).max() <= limit):
        return exact
    return slices


def best_completion(root: np.ndarray, moves, space) -> tuple[np.ndarray, int]:
    """The best scheme along a game, as (its terms, how many of them are
    moves played): a prefix of the moves, then the residual's terms."""
    residual = np.asarray(root, dtype=np.int64)
    if space.mod2:
        residual = residual % 2
    moves = [np.asarray(m, dtype=np.int64) for m in moves]
    best_len, best_d, best_residual = None, 0, residual
    for d in range(len(moves) + 1):
        score = d + rank_bound(residual, space.mod2, space.entry_limit)
        if best_len is None or score < best_len:
            best_len, best_d, best_residual = score, d, residual
        if d < len(moves):
            residual = apply(residual[None], moves[d][None], space)[0]
    # Only the winning prefix is split into terms (the bound alone picks it).
    tail = residual_terms(best_residual, space.mod2, space.entry_limit)
    played = np.array(moves[:best_d], dtype=np.int64).reshape(-1, space.length)
    return np.concatenate([played, tail]), best_d


def split_values(residuals: np.ndarray, depths: np.ndarray, complete_at: int,
                 limit: int | None = None) -> np.ndarray:
    """-rank_bound for each integer residual that Jennrich's algorithm (or
    its peeled extension) completes within complete_at moves (depth + terms
    <= complete_at), NaN elsewhere. For valuing every drawn move's child:
    the flattening ranks (a lower bound on the rank) and batched eigenvalue
    pre-tests rule out almost all of them before any exact split is tried."""
    residuals = np.asarray(residuals, dtype=np.int64)
    depths = np.asarray(depths)
    out = np.full(len(residuals), np.nan)
    if not len(residuals):
        return out
    ranks = batched_flattening_ranks(residuals)
    top = ranks.max(axis=1)
    maybe = np.flatnonzero((depths + top <= complete_at) & (top > 0))
    if len(maybe):
        maybe = maybe[may_split(residuals[maybe], ranks[maybe])]
    # One term more than the flattening rank: the peeled split (peel.py).
    more = np.setdiff1d(np.flatnonzero((depths + top + 1 <= complete_at) & (top > 1)), maybe)
    if len(more):
        maybe = np.union1d(maybe, more[may_peel(residuals[more], ranks[more])])
    for j in maybe:
        bound = rank_bound(residuals[j], False, limit)
        if depths[j] + bound <= complete_at:
            out[j] = -float(bound)
    return out
