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
from .actions import ActionSpace


def outer(actions: np.ndarray, space: ActionSpace) -> np.ndarray:
    """(N, length) factor triples -> (N, a, b, c) rank-one tensors."""
    u, v, w = space.split(np.asarray(actions, dtype=np.int64))
    return np.einsum("ni,nj,nk->nijk", u, v, w)


def matrix_rank(mat: np.ndarray, mod2: bool) -> int:
    """Exact rank of a small integer matrix (over GF(2) or over Q)."""
    if not mod2:
        # Entries are small integers, so the SVD rank of the float copy is exact.
        return int(np.linalg.matrix_rank(mat.astype(np.float64))) if mat.size else 0
    rows = [int("".join("1" if x & 1 else "0" for x in row) or "0", 2) for row in mat]
    rank = 0
    while rows:
        pivot = rows.pop()
        if pivot:
            rank += 1
            low = pivot & -pivot
            rows = [r ^ pivot if r & low else r for r in rows]
    return rank


def rank_bound(residual: np.ndarray, mod2: bool) -> int:
    """An upper bound on the tensor rank: the smallest, over the three
    modes, sum of the ranks of the slices (each slice of rank k is k
    rank-one terms). AlphaTensor's terminal penalty."""
    best = None
    for mode in range(3):
        slices = np.moveaxis(residual, mode, 0)
        total = sum(matrix_rank(s, mod2) for s in slices if s.any())
        best = total if best is None else min(best, total)
    return int(best)


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
        self.solved = ~self.residual.reshape(len(self.residual), -1).any(axis=1)
        limit = live & ~self.solved & (self.moves >= self.max_moves)
        for g in np.flatnonzero(limit):
            rewards[g] -= rank_bound(self.residual[g], self.space.mod2)
        self.done = self.done | self.solved | limit
        return rewards, self.done.copy()

    def factors(self, game: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """U, V, W (columns = the moves played) of one game."""
        moves = np.array(self.actions[game], dtype=np.int64).reshape(-1, self.space.length)
        return tuple(np.ascontiguousarray(part.T) for part in self.space.split(moves))


def apply(residual: np.ndarray, actions: np.ndarray, space: ActionSpace) -> np.ndarray:
    """(N, a, b, c) residuals minus the (N, length) actions' rank-one terms."""
    out = residual - outer(actions, space)
    return out % 2 if space.mod2 else out
