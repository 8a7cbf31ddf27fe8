"""How good are the TensorGame agent's policy and search, short of discovery?

Discovery from scratch (bench/rl_discovery.py) is all or nothing. This bench
measures the pieces on <2,2,2>, against the orbit of Strassen's scheme
(decomp.solvers.rl.diagnostics): after training from scratch for each number
of steps in --steps (synthetic demonstrations only, no scheme shown), it
prints

- policy hits per depth: the share of 256 policy draws that are a correct
  next move along known rank-7 move orders, and the distinct correct moves
  among them;
- solve rates: games started after k correct moves, searched by the agent's
  MCTS and by the random-policy MCTS (same simulations and samples), and
  the share each finishes in the 7 - k moves left; the ratio is the
  network's gain over the baseline at equal simulations.

    python bench/rl_search_quality.py                          # gf2, after 1500 and 6000 steps
    python bench/rl_search_quality.py --ring z --steps 1500
    python bench/rl_search_quality.py --checkpoint DIR          # a trained agent as it is
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from decomp.core.classical import STRASSEN
from decomp.core.render import parse_algorithm
from decomp.solvers.rl.diagnostics import policy_hits, reference_moves, solve_rate
from decomp.solvers.rl.evaluate import UniformEvaluator
from decomp.solvers.rl.train import Agent, config_for


def measure(agent: Agent, references: np.ndarray, known: list[int], games: int, seed: int) -> None:
    hits = policy_hits(agent, references, seed=seed)
    print("  policy hits (share of 256 draws correct / distinct correct moves): "
          + "  ".join(f"d{h['depth']} {h['share']:.3f}/{h['distinct']:.1f}" for h in hits), flush=True)
    c = agent.config
    for k in known:
        t0 = time.monotonic()
        goal = references.shape[1] if c.complete_games else None       # as the agent's own games
        net = solve_rate(agent, agent.evaluator(complete_at=goal), references, k, games, seed)
        t_net = time.monotonic() - t0
        t0 = time.monotonic()
        base = solve_rate(agent, UniformEvaluator(agent.space, c.samples, np.random.default_rng(seed)),
                          references, k, games, seed)
        t_base = time.monotonic() - t0
        ratio = f"{net / base:.1f}x" if base else ("inf" if net else "-")
        moves = "move" if k == 1 else "moves"
        print(f"  after {k} correct {moves}: network solves {net:.2f} ({t_net:.0f} s), random policy {base:.2f} "
              f"({t_base:.0f} s); ratio {ratio}  [{games} games, {c.simulations} simulations, "
              f"{c.samples} samples]", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ring", default="gf2", choices=["gf2", "z"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, nargs="+", default=[1500, 6000], help="measure after each")
    ap.add_argument("--checkpoint", help="measure this trained agent instead of training one")
    ap.add_argument("--known", type=int, nargs="+", default=[4, 3, 2, 1], help="correct moves given")
    ap.add_argument("--games", type=int, default=16)
    args = ap.parse_args()
    if args.checkpoint:
        agent = Agent.load(args.checkpoint, device="cpu")
    else:
        agent = Agent(config_for("2x2x2", args.ring, seed=args.seed, max_moves=7), device="cpu")
    strassen = parse_algorithm("2x2x2", STRASSEN).as_ring(agent.ring.value)
    references = reference_moves(strassen.require_valid(), agent.space)
    terms = {tuple(t) for ref in references for t in ref}
    print(f"2x2x2 over {agent.ring.value}: {len(references)} reference rank-7 schemes (orbit of Strassen), "
          f"{len(terms)} distinct terms", flush=True)
    if args.checkpoint:
        print(f"checkpoint {args.checkpoint}: step {agent.step}", flush=True)
        measure(agent, references, args.known, args.games, args.seed)
        return
    t0 = time.monotonic()
    for steps in sorted(args.steps):
        while agent.step < steps:
            losses = agent.train_steps(min(100, steps - agent.step))
        print(f"after {agent.step} training steps ({time.monotonic() - t0:.0f} s; policy loss "
              f"{losses['policy_loss']:.2f}, value loss {losses['value_loss']:.3f}):", flush=True)
        measure(agent, references, args.known, args.games, args.seed)


if __name__ == "__main__":
    main()
