"""TensorGame (AlphaTensor): subtract rank-one tensors until nothing is left.

State: the residual tensor S, exact integers (reduced mod 2 over GF(2)).
Move: a factor triple (u, v, w) from the action space; S <- S - u(x)v(x)w.
Reward -1 per move. The game ends when S = 0 (the moves form a scheme whose
rank is the number of moves) or at the move limit, where a terminal penalty
-rank_bound(S) estimates the products still needed.
"""

from __future__ import annotations

import numpy as np

from ...core.errors import DecompError
from ...core.rings import matrix_rank
from .actions import ActionSpace
from .peel import exact_terms
from .slice_terms import slice_terms
from .span_split import gf2_terms


def outer(actions: np.ndarray, space: ActionSpace) -> np.ndarray:
    """(N, length) factor triples -> (N, a, b, c) rank-one tensors."""
    u, v, w = space.split(np.asarray(actions, dtype=np.int64))
    return np.einsum("ni,nj,nk->nijk", u, v, w)


def slice_bound(residual: np.ndarray, mod2: bool) -> int:
    """An upper bound on the tensor rank: the smallest, over the three
    modes, sum of the ranks of the slices (each slice of rank k is k
    rank-one terms). AlphaTensor's terminal penalty."""
    best = None
    for mode in range(3):
        slices = np.moveaxis(residual, mode, 0)
        total = sum(matrix_rank(s, mod2) for s in slices if s.any())
        best = total if best is None else min(best, total)
    return int(best)


def rank_bound(residual: np.ndarray, mod2: bool, limit: int | None = None) -> int:
    """The rank the game charges a residual: the slice bound, or the number
    of terms of an exact low-rank decomposition when one is shorter: over
    the integers Jennrich's algorithm or its one-term extension (peel.py),
    over GF(2) the span split or its one-term extension (span_split.py).
    Constructive either way (completion.residual_terms produces that many
    terms). With an entry limit (ring zt: 1), only terms within it count,
    so the bound may exceed the slice ranks (slice_terms.py)."""
    bound = slice_bound(residual, mod2) if mod2 or limit is None else len(slice_terms(residual, mod2, limit))
    if bound > 1:
        terms = gf2_terms(residual, below=bound) if mod2 else exact_terms(residual, below=bound)
        if terms is not None and (limit is None or np.abs(terms).max() <= limit):
            return len(terms)
    return bound


def terminal_value(residual: np.ndarray, moves: int, max_moves: int, mod2: bool,
                   limit: int | None = None) -> float | None:
    """The end rule, shared by the environment and the search: None while
    play goes on, 0 once the residual is zero, -rank_bound at the move limit."""
    if not residual.any():
        return 0.0
    if moves >= max_moves:
        return -float(rank_bound(residual, mod2, limit))
    return None


def rank_one_action(residual: np.ndarray, space: ActionSpace) -> np.ndarray | None:
    """The move that ends the game when the residual is itself one legal
    rank-one term, else None (so search never misses a one-move finish)."""
    idx = np.argwhere(residual != 0)
    if len(idx) == 0:
        return None
    i, j, k = idx[0]
    u, v, w = residual[:, j, k], residual[i, :, k], residual[i, j, :]
    mod2 = space.mod2
    if mod2:
        parts = [u % 2, v % 2, w % 2]
    else:
        # A rank-one integer tensor is lam * u (x) v (x) w with primitive u, v, w.
        parts = [x // np.gcd.reduce(np.abs(x)) for x in (u, v, w)]
        scale = parts[0][i] * parts[1][j] * parts[2][k]
        if residual[i, j, k] % scale:
            return None
        lam = int(residual[i, j, k] // scale)
        # Share lam among the three factors so that each stays inside F.
        divisors = [d for d in range(1, abs(lam) + 1) if lam % d == 0]
        for d1 in divisors:
            for d2 in divisors:
                if lam % (d1 * d2):
                    continue
                trial = [parts[0] * d1, parts[1] * d2, parts[2] * (lam // (d1 * d2))]
                if all(np.isin(x, space.coefficients).all() for x in trial):
                    break
            else:
                continue
            break
        else:
            return None
        parts = trial
    action = np.concatenate(parts).astype(np.int64)
    if not space.legal(action[None])[0]:
        return None
    rebuilt = outer(action[None], space)[0]
    diff = (rebuilt - residual) % 2 if mod2 else rebuilt - residual
    return space.canonical(action[None])[0] if not diff.any() else None


class TensorGame:
    """A batch of games on copies of one target tensor (or several)."""

    def __init__(self, target: np.ndarray, space: ActionSpace, max_moves: int):
        target = np.asarray(target, dtype=np.int64)
        if target.shape != space.shape:
            raise DecompError(f"target shape {target.shape} does not match the action space {space.shape}")
        if max_moves < 1:
            raise DecompError(f"the move limit must be >= 1, got {max_moves}")
        self.space = space
        self.target = target % 2 if space.mod2 else target
        self.max_moves = int(max_moves)
        self.reset(1)

    def reset(self, batch: int = 1, tensors: np.ndarray | None = None) -> np.ndarray:
        start = self.target[None] if tensors is None else np.asarray(tensors, dtype=np.int64)
        self.residual = np.broadcast_to(start, (batch,) + self.space.shape).copy()
        if self.space.mod2:
            self.residual %= 2
        self.moves = np.zeros(batch, dtype=np.int64)
        self.actions: list[list[np.ndarray]] = [[] for _ in range(batch)]
        self.solved = ~self.residual.reshape(batch, -1).any(axis=1)
        self.done = self.solved.copy()
        return self.residual

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Play one move in every unfinished game; returns (rewards, done).
        A finished game ignores its row; an illegal action is refused."""
        actions = np.asarray(actions, dtype=np.int64).reshape(len(self.residual), self.space.length)
        live = ~self.done
        bad = live & ~self.space.legal(actions)
        if bad.any():
            raise DecompError(f"illegal action in game {int(np.argmax(bad))}: entries must lie in "
                              f"{list(self.space.coefficients)} and u, v, w must be nonzero")
        rewards = np.zeros(len(self.residual), dtype=np.float64)
        if not live.any():
            return rewards, self.done.copy()
        self.residual[live] = apply(self.residual[live], actions[live], self.space)
        self.moves[live] += 1
        rewards[live] = -1.0
        for g in np.flatnonzero(live):
            self.actions[g].append(actions[g].copy())
            end = terminal_value(self.residual[g], self.moves[g], self.max_moves, self.space.mod2,
                                 self.space.entry_limit)
            if end is not None:
                rewards[g] += end
                self.done[g] = True
        self.solved = ~self.residual.reshape(len(self.residual), -1).any(axis=1)
        return rewards, self.done.copy()

    def factors(self, game: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """U, V, W (columns = the moves played) of one game."""
        return self.space.factors(np.array(self.actions[game], dtype=np.int64))


def apply(residual: np.ndarray, actions: np.ndarray, space: ActionSpace) -> np.ndarray:
    """(N, a, b, c) residuals minus the (N, length) actions' rank-one terms."""
    out = residual - outer(actions, space)
    return out % 2 if space.mod2 else out
