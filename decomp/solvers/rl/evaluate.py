"""Leaf evaluators for the MCTS: the network, and the random-policy baseline.

Both return, for a batch of states, k candidate moves with priors and a
value. Both add the finishing move when a residual is itself one legal
rank-one term, so neither loses a game by failing to sample the obvious.
"""

from __future__ import annotations

import numpy as np

from .actions import ActionSpace
from .game import rank_bound, rank_one_action


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
        values = np.array([-float(rank_bound(r, self.space.mod2)) for r in residuals])
        return expansions, values


class NetworkEvaluator:
    """Policy samples and the risk-seeking value of a TensorNet."""

    def __init__(self, model, space: ActionSpace, samples: int, max_moves: int, device="cpu",
                 temperature: float = 1.0, seed: int = 0):
        import torch

        self.torch = torch
        self.model, self.space, self.samples = model, space, samples
        self.max_moves, self.device, self.temperature = max_moves, device, temperature
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(int(seed))

    def __call__(self, residuals, depths, histories):
        torch = self.torch
        self.model.eval()
        with torch.no_grad():
            res = torch.as_tensor(np.asarray(residuals), dtype=torch.float32, device=self.device)
            dep = torch.as_tensor(np.asarray(depths) / self.max_moves, dtype=torch.float32, device=self.device)
            his = torch.as_tensor(np.asarray(histories), dtype=torch.float32, device=self.device)
            cells = self.model.torso(res, dep, his)
            values = self.model.risk_seeking_value(self.model.value_quantiles(cells)).cpu().numpy()
            tokens, _ = self.model.sample(cells, self.samples, self.temperature, self.generator)
        tokens = tokens.cpu().numpy()
        expansions = [_priors(self.space.decode(t), self.space, r) for t, r in zip(tokens, residuals)]
        return expansions, values.astype(np.float64)
