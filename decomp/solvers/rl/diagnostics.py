"""How close is the agent to finding an optimal scheme? Measured against
known optimal schemes, in pieces smaller than "found it or not".

Discovery from scratch is all or nothing, and on a CPU it rarely happens in a
short run, so progress is invisible. These measures are continuous:

- policy hits: along the move orders of known optimal schemes, the share of
  the policy's draws that are a correct next move (a remaining term of a
  reference scheme that contains every move played so far);
- solve rates: games started after k correct moves (k terms played from a
  reference scheme), searched with the agent's MCTS, and the share that
  finish within the remaining moves. Small k is hard, k = rank - 1 is one
  move from the end. The same games with the random-policy evaluator give
  the baseline at equal simulations.

The references are the orbit of one known scheme under sandwiching by small
basis changes (and the format's rotations when it is square), a lower bound
on the set of optimal schemes: for <2,2,2> over GF(2) the orbit of Strassen
is all 36 rank-7 schemes, since every rank-7 scheme is equivalent to it
(de Groote 1978).
"""

from __future__ import annotations

import itertools

import numpy as np

from ...core.rings import Ring
from ...core.scheme import Scheme
from ...core.symmetry import rotate, sandwich
from .actions import ActionSpace
from .game import apply
from .mcts import play


def _small_bases(k: int, ring: Ring) -> list[np.ndarray]:
    """k x k basis changes with entries in {0, 1} (GF(2), all invertible ones)
    or in {-1, 0, 1} with determinant +-1 (over the integers: unimodular, so
    factors stay integral and small). Signed permutations alone, used
    before, gave 32 schemes and 112 distinct terms for Strassen over Z; the
    unimodular orbit has thousands (9144 distinct terms from all 40^3 triples)."""
    values = (0, 1) if ring is Ring.GF2 else (-1, 0, 1)
    out = []
    for entries in itertools.product(values, repeat=k * k):
        M = np.array(entries, dtype=np.int64).reshape(k, k)
        if (_rank_mod2(M) == k) if ring is Ring.GF2 else abs(round(np.linalg.det(M))) == 1:
            out.append(M)
    return out


def _rank_mod2(M: np.ndarray) -> int:
    M = M.copy() % 2
    rank = 0
    for c in range(M.shape[1]):
        pivot = next((r for r in range(rank, M.shape[0]) if M[r, c]), None)
        if pivot is None:
            continue
        M[[rank, pivot]] = M[[pivot, rank]]
        for r in range(M.shape[0]):
            if r != rank and M[r, c]:
                M[r] ^= M[rank]
        rank += 1
    return rank


def scheme_moves(scheme: Scheme, space: ActionSpace) -> np.ndarray | None:
    """A scheme's terms as (rank, length) moves of the action space, in
    canonical signs; None if a term leaves the coefficient set."""
    U, V, W = (np.asarray(m, dtype=np.int64) for m in scheme.factors)
    moves = np.concatenate([U.T, V.T, W.T], axis=1)
    if space.mod2:
        moves %= 2
    if not space.legal(moves).all():
        return None
    return space.canonical(moves)


def reference_moves(scheme: Scheme, space: ActionSpace, limit: int = 5000) -> np.ndarray:
    """(schemes, rank, length): the distinct schemes of the orbit of `scheme`
    under sandwiching (and rotation for square formats), as sorted moves.
    At most `limit` basis triples are tried: all of them for 2x2 blocks over
    GF(2), a fixed random sample where there are more."""
    ring = scheme.ring
    n, m, p = scheme.fmt.dims
    starts = [scheme]
    if n == m == p:
        starts += [rotate(scheme), rotate(rotate(scheme))]
    sets = [_small_bases(k, ring) for k in (n, m, p)]
    total = len(sets[0]) * len(sets[1]) * len(sets[2])
    if total <= limit:
        triples = itertools.product(*sets)
    else:                     # a fixed random sample, so every basis has its share
        rng = np.random.default_rng(0)
        picks = zip(*(rng.integers(0, len(b), size=limit) for b in sets))
        triples = ((sets[0][i], sets[1][j], sets[2][k]) for i, j, k in picks)
    seen: dict[bytes, np.ndarray] = {}
    for X, Y, Z in triples:
        for s in starts:
            moves = scheme_moves(sandwich(s, X, Y, Z), space)
            if moves is None:
                continue
            moves = moves[np.lexsort(moves.T[::-1])]
            seen.setdefault(moves.tobytes(), moves)
    return np.stack(list(seen.values()))


def correct_moves(references: np.ndarray, played: list) -> set:
    """The moves that continue some reference scheme containing every move played."""
    out = set()
    for ref in references:
        rows = {tuple(r) for r in ref}
        if all(tuple(p) in rows for p in played):
            out |= rows - {tuple(p) for p in played}
    return out


def _path(references: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random reference scheme in a random move order."""
    ref = references[rng.integers(len(references))]
    return ref[rng.permutation(len(ref))]


def policy_hits(agent, references: np.ndarray, draws: int = 256, paths: int = 6, seed: int = 0) -> list[dict]:
    """Per depth: the share of `draws` policy samples that are correct next
    moves, and how many distinct correct moves they contain (mean over paths)."""
    import torch

    rng = np.random.default_rng(seed)
    space, model = agent.space, agent.model.eval()
    generator = torch.Generator(device=agent.device)
    generator.manual_seed(seed)
    rank = references.shape[1]
    stats = [[] for _ in range(rank)]
    for _ in range(paths):
        path = _path(references, rng)
        residual = agent.target.copy()
        history = np.zeros((agent.config.history, space.length), dtype=np.int64)
        for d in range(rank):
            good = correct_moves(references, list(path[:d]))
            with torch.no_grad():
                cells = model.torso(torch.as_tensor(residual[None], dtype=torch.float32, device=agent.device),
                                    torch.tensor([d / agent.max_moves], dtype=torch.float32, device=agent.device),
                                    torch.as_tensor(history[None], dtype=torch.float32, device=agent.device))
                tokens, _ = model.sample(cells, draws, 1.0, generator)
            sampled = space.canonical(space.decode(tokens[0].cpu().numpy()))
            hit = [tuple(a) in good for a in sampled]
            stats[d].append((float(np.mean(hit)), len({tuple(a) for a, h in zip(sampled, hit) if h})))
            residual = apply(residual[None], path[d][None], space)[0]
            if len(history):
                history = np.concatenate([path[d][None], history[:-1]])
    return [{"depth": d, "share": float(np.mean([s[0] for s in st])),
             "distinct": float(np.mean([s[1] for s in st]))} for d, st in enumerate(stats)]


def solve_rate(agent, evaluator, references: np.ndarray, known: int, games: int, seed: int = 0) -> float:
    """Share of `games` games, each started after `known` correct moves of a
    random reference path, that the search finishes within the moves left
    (clearing the tensor, or completing it when the agent's complete_games is on)."""
    rng = np.random.default_rng(seed)
    space, c = agent.space, agent.config
    rank = references.shape[1]
    roots, starts = [], []
    for _ in range(games):
        path = _path(references, rng)
        residual = agent.target.copy()
        history = np.zeros((c.history, space.length), dtype=np.int64)
        for move in path[:known]:
            residual = apply(residual[None], move[None], space)[0]
            if len(history):
                history = np.concatenate([move[None], history[:-1]])
        roots.append(residual)
        starts.append((known, history))
    # As in the agent's own games: a residual whose completion finishes within the rank counts as solved.
    records = play(roots, evaluator, space, agent.max_moves, c.simulations, c.history, rng, explore_moves=0,
                   c_puct=c.c_puct, starts=starts, complete_at=rank if c.complete_games else None)
    return sum(r.solution is not None and len(r.solution) <= rank - known for r in records) / games
