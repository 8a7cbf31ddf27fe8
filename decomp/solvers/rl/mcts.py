"""Sampled MCTS for the TensorGame (Hubert et al., "Learning and planning in
complex action spaces", 2021, as used by AlphaTensor).

The action space is far too large to enumerate, so each node draws k
actions from the policy and pUCT chooses among those (priors = how often
each was drawn). Nodes sit in a transposition table keyed by (residual,
depth), so two move orders reaching the same residual share statistics;
after a move the chosen child's subtree is kept for the next search.
Several games search side by side so that the network evaluates one batch
of leaves per simulation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .actions import ActionSpace
from .completion import residual_terms
from .game import apply, rank_bound, terminal_value


class Node:
    __slots__ = ("residual", "depth", "history", "terminal", "value", "actions", "priors",
                 "children", "N", "W", "completable")

    def __init__(self, residual: np.ndarray, depth: int, history: np.ndarray, max_moves: int, mod2: bool,
                 complete_at: int | None = None, limit: int | None = None):
        self.residual = residual
        self.depth = depth
        self.history = history
        self.actions = None
        end = terminal_value(residual, depth, max_moves, mod2, limit)
        # A residual whose completion terms finish the scheme within complete_at
        # moves is as good as solved: its value is exact (completion.py).
        self.completable = False
        if end is None and complete_at is not None:
            bound = rank_bound(residual, mod2, limit)
            if depth + bound <= complete_at:
                end, self.completable = -float(bound), True
        self.terminal = end is not None       # solved, completable, or the move limit with its penalty
        self.value = 0.0 if end is None else end

    @property
    def finished(self) -> bool:
        """Solved, or completable: the search has an answer here."""
        return self.terminal and (self.completable or not self.residual.any())

    @property
    def expanded(self) -> bool:
        return self.actions is not None


@dataclass
class GameRecord:
    """One game: the states met, the moves played and their returns-to-go."""

    residuals: list = field(default_factory=list)
    depths: list = field(default_factory=list)
    histories: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    returns: list = field(default_factory=list)
    solution: list | None = None      # the shortest move list found that clears the tensor
    solution_states: list | None = None
    completed: int = 0                # how many of its last terms are a residual's completion terms


class Tree:
    def __init__(self, residual: np.ndarray, space: ActionSpace, max_moves: int, history: int,
                 c_puct: float = 1.25, depth: int = 0, past: np.ndarray | None = None,
                 complete_at: int | None = None):
        self.space = space
        self.max_moves = max_moves
        self.c_puct = c_puct
        self.complete_at = complete_at
        self.completed = 0
        self.table: dict = {}
        past = np.zeros((history, space.length), dtype=np.int64) if past is None else np.asarray(past, np.int64)
        self.root = self._node(np.asarray(residual, dtype=np.int64), int(depth), past)
        self.played: list[np.ndarray] = []
        self.qmin, self.qmax = np.inf, -np.inf
        self.solution: list | None = None

    def _node(self, residual, depth, history) -> Node:
        key = (residual.tobytes(), depth)
        node = self.table.get(key)
        if node is None:
            node = Node(residual, depth, history, self.max_moves, self.space.mod2, self.complete_at,
                        self.space.entry_limit)
            self.table[key] = node
        return node

    def _child(self, node: Node, a: int) -> Node:
        child = node.children[a]
        if child is None:
            action = node.actions[a]
            residual = apply(node.residual[None], action[None], self.space)[0]
            history = np.concatenate([action[None], node.history[:-1]]) if len(node.history) else node.history
            child = node.children[a] = self._node(residual, node.depth + 1, history)
        return child

    def _score(self, node: Node) -> np.ndarray:
        q = np.where(node.N > 0, node.W / np.maximum(node.N, 1), node.value - 1.0)
        span = self.qmax - self.qmin
        qn = (q - self.qmin) / span if span > 0 else np.zeros_like(q)
        return qn + self.c_puct * node.priors * np.sqrt(node.N.sum() + 1) / (1 + node.N)

    def select(self):
        """Walk down by pUCT to a leaf: (path of (node, action index), leaf)."""
        node, path = self.root, []
        while node.expanded and not node.terminal:
            a = int(np.argmax(self._score(node)))
            path.append((node, a))
            node = self._child(node, a)
        if node.finished:
            self._offer(self.played + [n.actions[a] for n, a in path], node)
        return path, node

    def _offer(self, moves, node: Node) -> None:
        """Keep moves (and the node's completion terms, if it is completable) as
        the solution when they are shorter than the one kept. Simulations
        reach the same finished node again and again, so its terms (as many
        as -value, the rank bound) are split only when they win."""
        extra = int(-node.value) if node.completable else 0
        if self.solution is None or len(moves) + extra < len(self.solution):
            tail = list(residual_terms(node.residual, self.space.mod2, self.space.entry_limit)) if extra else []
            self.solution = [m.copy() for m in moves] + tail
            self.completed = len(tail)

    def expand(self, node: Node, actions: np.ndarray, priors: np.ndarray, value: float) -> None:
        if node.expanded or node.terminal:
            return
        node.actions = actions
        node.priors = priors
        node.children = [None] * len(actions)
        node.N = np.zeros(len(actions), dtype=np.int64)
        node.W = np.zeros(len(actions), dtype=np.float64)
        node.value = float(value)

    def backup(self, path, value: float) -> None:
        g = value
        for node, a in reversed(path):
            g -= 1.0
            node.N[a] += 1
            node.W[a] += g
            self.qmin, self.qmax = min(self.qmin, g), max(self.qmax, g)

    def choose(self, rng: np.random.Generator, explore: bool) -> int:
        """Root action: sampled in proportion to visits while exploring, else the most visited."""
        N = self.root.N
        if explore and N.sum() > 0:
            return int(rng.choice(len(N), p=N / N.sum()))
        return int(np.argmax(N))

    def advance(self, a: int) -> None:
        """Play root action a and keep its subtree."""
        self.played.append(self.root.actions[a].copy())
        self.root = self._child(self.root, a)


def play(roots, evaluator, space: ActionSpace, max_moves: int, simulations: int, history: int,
         rng: np.random.Generator, explore_moves: int = 0, c_puct: float = 1.25,
         should_stop=None, stop_at: int | None = None, starts=None,
         complete_at: int | None = None) -> list[GameRecord]:
    """Play one game from each root residual, all searched side by side.

    evaluator(residuals (B,a,b,c), depths (B,), histories (B,h,L)) ->
    (list of (actions (k_i, L), priors (k_i,)), values (B,)).
    A game ends when its residual is zero, at the move limit, or early once
    its search has found a complete solution of at most `stop_at` moves
    (kept in record.solution). `starts` gives each game a (moves already
    played, their last `history` moves) to start from instead of move 0.
    With complete_at, a residual whose completion terms finish within complete_at
    moves ends the search there, its solution completed with those terms."""
    starts = starts or [(0, None)] * len(roots)
    trees = [Tree(r, space, max_moves, history, c_puct, depth, past, complete_at)
             for r, (depth, past) in zip(roots, starts)]
    for tree in trees:                 # a start that is already solved or completable
        if tree.root.finished:
            tree._offer([], tree.root)
    records = [GameRecord() for _ in roots]
    live = [not t.root.terminal for t in trees]
    while any(live):
        if should_stop is not None and should_stop():
            break
        for _ in range(simulations):
            leaves = []
            for g, tree in enumerate(trees):
                if not live[g]:
                    continue
                path, leaf = tree.select()
                if leaf.terminal:
                    tree.backup(path, leaf.value)
                else:
                    leaves.append((g, path, leaf))
            if not leaves:
                continue
            # Several games may reach the same leaf object; evaluate each once.
            unique = {id(leaf): leaf for _, _, leaf in leaves}
            nodes = list(unique.values())
            expansions, values = evaluator(np.stack([n.residual for n in nodes]),
                                           np.array([n.depth for n in nodes]),
                                           np.stack([n.history for n in nodes]))
            result = {id(n): (e, v) for n, e, v in zip(nodes, expansions, values)}
            for g, path, leaf in leaves:
                (acts, priors), value = result[id(leaf)]
                trees[g].expand(leaf, acts, priors, value)
                trees[g].backup(path, leaf.value)
        for g, tree in enumerate(trees):
            if not live[g]:
                continue
            if stop_at is not None and tree.solution is not None and len(tree.solution) <= stop_at:
                live[g] = False
                continue
            rec, root = records[g], tree.root
            if not root.expanded:          # nothing could be evaluated (stop requested)
                live[g] = False
                continue
            a = tree.choose(rng, explore=len(tree.played) < explore_moves)
            rec.residuals.append(root.residual)
            rec.depths.append(root.depth)
            rec.histories.append(root.history)
            rec.actions.append(root.actions[a].copy())
            tree.advance(a)
            node = tree.root
            if node.terminal:
                if node.finished:
                    tree._offer(tree.played, node)
                live[g] = False
    for root_residual, rec, tree in zip(roots, records, trees):
        moves = len(rec.actions)
        final = tree.root
        tail = final.value if final.terminal else -float(rank_bound(final.residual, space.mod2, space.entry_limit))
        rec.returns = [-(moves - i) + tail for i in range(moves)]
        if tree.solution is not None:
            rec.solution, rec.completed = tree.solution, tree.completed
            rec.solution_states = _states_along(root_residual, tree.solution, space, history)
    return records


def _states_along(root, moves, space: ActionSpace, history: int):
    """(residual, depth, history) before each move of a move list."""
    out, residual = [], np.asarray(root, dtype=np.int64)
    hist = np.zeros((history, space.length), dtype=np.int64)
    for d, m in enumerate(moves):
        out.append((residual, d, hist))
        residual = apply(residual[None], m[None], space)[0]
        if history:
            hist = np.concatenate([m[None], hist[:-1]])
    return out
