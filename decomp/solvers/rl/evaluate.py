"""Leaf evaluators for the MCTS: the network, and the random-policy baseline.

Both return, for a batch of states, k candidate moves with priors and a
value. Both add the finishing move when a residual is itself one legal
rank-one term, so neither loses a game by failing to sample the obvious.
"""

from __future__ import annotations

import numpy as np

from .actions import ActionSpace
from .completion import split_values
from .game import apply, rank_bound, rank_one_action, terminal_value

# Temperature of the lookahead priors, in moves: children one move apart in
# value get priors e^(1/0.3) ~ 28 times apart.
LOOKAHEAD_TEMPERATURE = 0.3


def _priors(actions: np.ndarray, space: ActionSpace, residual: np.ndarray):
    """Deduplicate sampled moves (prior = share of the draws) and add the finish."""
    actions = actions[space.legal(actions)] if len(actions) else actions
    if len(actions):
        uniq, counts = np.unique(space.canonical(actions), axis=0, return_counts=True)
        priors = counts / counts.sum()
    else:
        uniq, priors = np.zeros((0, space.length), dtype=np.int64), np.zeros(0)
    finish = rank_one_action(residual, space)
    if finish is not None:
        hit = np.flatnonzero((uniq == finish).all(axis=1))
        if len(hit):
            priors = priors.copy()
            priors[hit[0]] = max(priors[hit[0]], 0.5)
        else:
            uniq = np.concatenate([uniq, finish[None]])
            priors = np.concatenate([priors, [0.5]])
        priors = priors / priors.sum()
    return uniq.astype(np.int64), priors


class UniformEvaluator:
    """Random policy (every legal move equally likely) and the heuristic
    value -rank_bound(residual): the baseline the network must beat."""

    def __init__(self, space: ActionSpace, samples: int, rng: np.random.Generator):
        self.space, self.samples, self.rng = space, samples, rng

    def draw(self, n: int) -> np.ndarray:
        coeffs = np.asarray(self.space.coefficients)
        out = coeffs[self.rng.integers(0, len(coeffs), size=(n, self.space.length))]
        bad = ~self.space.legal(out)
        while bad.any():
            out[bad] = coeffs[self.rng.integers(0, len(coeffs), size=(int(bad.sum()), self.space.length))]
            bad = ~self.space.legal(out)
        return out

    def __call__(self, residuals, depths, histories):
        expansions = [_priors(self.draw(self.samples), self.space, r) for r in residuals]
        values = np.array([-float(rank_bound(r, self.space.mod2, self.space.entry_limit)) for r in residuals])
        return expansions, values


class NetworkEvaluator:
    """Policy samples and the risk-seeking value of a TensorNet.

    With lookahead > 0, each candidate's child is valued too (one batch for
    all leaves) and the priors become (1 - lookahead) * share of the draws
    + lookahead * softmax(child value / LOOKAHEAD_TEMPERATURE). The policy
    proposes, the value ranks: a correct move that was drawn once is then
    searched first rather than last among equals."""

    def __init__(self, model, space: ActionSpace, samples: int, max_moves: int, device="cpu",
                 temperature: float = 1.0, seed: int = 0, lookahead: float = 0.0,
                 complete_at: int | None = None):
        import torch

        self.torch = torch
        self.model, self.space, self.samples = model, space, samples
        self.max_moves, self.device, self.temperature = max_moves, device, temperature
        self.lookahead = float(lookahead)
        self.complete_at = complete_at
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(int(seed))

    def _values(self, residuals, depths, histories) -> np.ndarray:
        torch = self.torch
        res = torch.as_tensor(np.asarray(residuals), dtype=torch.float32, device=self.device)
        dep = torch.as_tensor(np.asarray(depths) / self.max_moves, dtype=torch.float32, device=self.device)
        his = torch.as_tensor(np.asarray(histories), dtype=torch.float32, device=self.device)
        cells = self.model.torso(res, dep, his)
        return cells, self.model.risk_seeking_value(self.model.value_quantiles(cells)).cpu().numpy()

    def __call__(self, residuals, depths, histories):
        torch = self.torch
        self.model.eval()
        with torch.no_grad():
            cells, values = self._values(residuals, depths, histories)
            tokens, _ = self.model.sample(cells, self.samples, self.temperature, self.generator)
        tokens = tokens.cpu().numpy()
        expansions = [_priors(self.space.decode(t), self.space, r) for t, r in zip(tokens, residuals)]
        if self.lookahead > 0:
            expansions = self._look_ahead(expansions, residuals, depths, histories)
        return expansions, values.astype(np.float64)

    def _look_ahead(self, expansions, residuals, depths, histories):
        if not sum(len(actions) for actions, _ in expansions):
            return expansions
        kids, kid_depths, kid_histories, sizes = [], [], [], []
        for (actions, _), r, d, h in zip(expansions, residuals, depths, histories):
            n = len(actions)
            kids.append(apply(np.repeat(r[None], n, 0), actions, self.space))
            kid_depths.append(np.full(n, d + 1))
            past = np.repeat(np.asarray(h)[None, :-1], n, 0)
            kid_histories.append(np.concatenate([actions[:, None], past], axis=1) if len(h) else
                                 np.repeat(np.asarray(h)[None], n, 0))
            sizes.append(n)
        kids, kid_depths = np.concatenate(kids), np.concatenate(kid_depths)
        with self.torch.no_grad():
            _, v = self._values(kids, kid_depths, np.concatenate(kid_histories))
        v = v.astype(np.float64)
        for j, (kid, d) in enumerate(zip(kids, kid_depths)):
            end = terminal_value(kid, int(d), self.max_moves, self.space.mod2, self.space.entry_limit)
            if end is not None:
                v[j] = end                     # solved or at the limit: the exact value
        # A child whose residual splits into few enough exact terms is as
        # good as solved (completion.py): the search ends once it visits it,
        # so such children take all the lookahead weight. (Their exact value
        # would not do: the risk-seeking values of the others are optimistic.)
        sure = np.zeros(len(v), dtype=bool)
        if self.complete_at is not None and not self.space.mod2:
            sure = ~np.isnan(split_values(kids, kid_depths, self.complete_at, self.space.entry_limit))
        out, start = [], 0
        for (actions, priors), n in zip(expansions, sizes):
            q, won = v[start:start + n], sure[start:start + n]
            start += n
            if n == 0:
                out.append((actions, priors))
                continue
            look = won.astype(np.float64) if won.any() else np.exp((q - q.max()) / LOOKAHEAD_TEMPERATURE)
            out.append((actions, (1 - self.lookahead) * priors + self.lookahead * look / look.sum()))
        return out
