"""Turning an unfinished game into a scheme.

A game that stops at the move limit is charged rank_bound(residual): the
smallest, over the three modes, sum of the ranks of the residual's slices,
or over the integers the number of terms Jennrich's algorithm splits the
residual into when that is fewer (jennrich.py). The bound is constructive:
a slice of rank k is k rank-one matrices, each a rank-one tensor with the
slice's basis vector as its third factor, and a Jennrich split is checked
exactly. So the moves played plus those terms are a scheme whose rank is
exactly the game's score, and the best prefix of a game (fewest moves +
bound) is a scheme the game really found. On 3x3x3, where games seldom
clear the tensor, this is what "the best rank the agent reached" means.

Over the integers the slices are split with exact unimodular row reduction
(Hermite form), so every term stays integral: M = U^-1 H with H's first
rank(M) rows the only nonzero ones gives M = sum_i U^-1[:, i] (x) H[i, :].
"""

from __future__ import annotations

import numpy as np

from .game import apply, rank_bound, slice_bound
from .jennrich import batched_flattening_ranks, may_split
from .peel import exact_terms, may_peel


def matrix_terms(mat: np.ndarray, mod2: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """An exact rank decomposition mat = sum of outer(x, y), with as many
    terms as the rank (over GF(2) or over Q), all integral."""
    H = [[int(x) for x in row] for row in np.asarray(mat)]
    rows, cols = len(H), len(H[0]) if H else 0
    left = [[int(i == j) for j in range(rows)] for i in range(rows)]     # invariant: mat = left @ H

    def reduce(x: int) -> int:
        return x & 1 if mod2 else x

    def subtract(i: int, j: int, q: int) -> None:
        """row_i -= q row_j in H, which is col_j += q col_i in left."""
        H[i] = [reduce(a - q * b) for a, b in zip(H[i], H[j])]
        for row in left:
            row[j] = reduce(row[j] + q * row[i])

    def swap(i: int, j: int) -> None:
        H[i], H[j] = H[j], H[i]
        for row in left:
            row[i], row[j] = row[j], row[i]

    r = 0
    for c in range(cols):
        if r == rows:
            break
        while True:
            live = [i for i in range(r, rows) if H[i][c]]
            if not live:
                break
            p = min(live, key=lambda i: abs(H[i][c]))      # Euclid: the smallest entry pivots
            if p != r:
                swap(p, r)
            others = [i for i in range(r + 1, rows) if H[i][c]]
            if not others:
                r += 1
                break
            for i in others:
                subtract(i, r, H[i][c] // H[r][c])
    return [(np.array([left[k][i] for k in range(rows)], dtype=np.int64), np.array(H[i], dtype=np.int64))
            for i in range(r)]


def residual_terms(residual: np.ndarray, mod2: bool) -> np.ndarray:
    """(k, a+b+c) factor triples summing to the residual, k = rank_bound."""
    residual = np.asarray(residual, dtype=np.int64)
    shape = residual.shape
    best = None
    if not mod2:
        best = exact_terms(residual, below=slice_bound(residual, mod2))
        if best is not None:
            return best
    for mode in range(3):
        terms = []
        for t, piece in enumerate(np.moveaxis(residual, mode, 0)):
            if not piece.any():
                continue
            basis = np.zeros(shape[mode], dtype=np.int64)
            basis[t] = 1
            for x, y in matrix_terms(piece, mod2):
                # piece is the (other two modes, in order) slice at index t of `mode`
                parts = [x, y]
                parts.insert(mode, basis)
                terms.append(np.concatenate(parts))
        if best is None or len(terms) < len(best):
            best = terms
    width = sum(shape)
    return np.array(best, dtype=np.int64).reshape(-1, width)


def best_completion(root: np.ndarray, moves, space) -> tuple[np.ndarray, int]:
    """The best scheme along a game, as (its terms, how many of them are
    moves played): a prefix of the moves, then the residual's terms."""
    residual = np.asarray(root, dtype=np.int64)
    if space.mod2:
        residual = residual % 2
    moves = [np.asarray(m, dtype=np.int64) for m in moves]
    best_len, best_d, best_residual = None, 0, residual
    for d in range(len(moves) + 1):
        score = d + rank_bound(residual, space.mod2)
        if best_len is None or score < best_len:
            best_len, best_d, best_residual = score, d, residual
        if d < len(moves):
            residual = apply(residual[None], moves[d][None], space)[0]
    # Only the winning prefix is split into terms (the bound alone picks it).
    tail = residual_terms(best_residual, space.mod2)
    played = np.array(moves[:best_d], dtype=np.int64).reshape(-1, space.length)
    return np.concatenate([played, tail]), best_d


def split_values(residuals: np.ndarray, depths: np.ndarray, complete_at: int) -> np.ndarray:
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
        bound = rank_bound(residuals[j], False)
        if depths[j] + bound <= complete_at:
            out[j] = -float(bound)
    return out
