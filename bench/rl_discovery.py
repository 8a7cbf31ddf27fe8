"""How fast does the TensorGame agent discover schemes from nothing?

For 2x2x2 (over gf2 and z, several seeds): wall time, training steps and
self-play games until the first rank-7 game. Next to each run, a random-
policy MCTS (uniform moves, value = -rank bound of the residual) plays the
same number of games with the same simulations and samples per move: the
baseline the network must beat. Optionally 3x3x3: the best rank reached in
a fixed budget, with the same baseline.

    python bench/rl_discovery.py                       # 2x2x2, gf2 and z, seeds 0 1 2, 900 s each
    python bench/rl_discovery.py --rings gf2 --seeds 0 --limit 300
    python bench/rl_discovery.py --three 3600          # add 3x3x3 with a one-hour budget
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from decomp.core.formats import Format
from decomp.solvers.rl.completion import best_completion
from decomp.solvers.rl.evaluate import UniformEvaluator
from decomp.solvers.rl.mcts import play
from decomp.solvers.rl.train import Agent, config_for


# 3x3x3 on 2 CPU cores (timed by hand, cProfile): a training step on 128 9x9x9 residuals
# takes ~0.5 s, and at the torso's forward rate valuing every candidate's child
# (lookahead) would take ~1.4 s per simulation (an estimate), so the 2x2x2
# defaults would spend the hour in the warm-up and a handful of games.
# Smaller batches, fewer draws and no lookahead instead.
THREE_SETTINGS = {"batch": 64, "warmup_steps": 1500, "train_per_round": 20, "samples": 32, "simulations": 32,
                  "lookahead": 0.0}


def baseline(agent: Agent, games: int, seed: int, time_limit: float, goal: int | None = None) -> int | None:
    """Best rank a random-policy MCTS reaches in `games` games (same search
    settings, and the same exact endgame: a residual that completes within
    the goal ends the search, as in the agent's games)."""
    c = agent.config
    rng = np.random.default_rng(10_000 + seed)
    ev = UniformEvaluator(agent.space, c.samples, rng)
    best, played, t0 = None, 0, time.monotonic()
    while played < games and time.monotonic() - t0 < time_limit:
        n = min(c.parallel_games, games - played)
        for rec in play([agent.target] * n, ev, agent.space, agent.max_moves, c.simulations, c.history, rng,
                        explore_moves=c.explore_moves, c_puct=c.c_puct, stop_at=goal,
                        complete_at=goal if c.complete_games else None):
            # Scored as the agent's games are: cleared, or completed from the residual (rank_bound's terms).
            rank = len(rec.solution) if rec.solution is not None else \
                len(best_completion(agent.target, rec.actions, agent.space)[0])
            best = rank if best is None else min(best, rank)
        played += n
    return best


def discover(fmt: str, ring: str, seed: int, goal: int, limit: float, settings: dict) -> dict:
    agent = Agent(config_for(fmt, ring, seed=seed, **settings), device="auto")
    t0 = time.monotonic()
    best = agent.run(deadline=t0 + limit, stop_rank=goal)
    wall = time.monotonic() - t0
    hit = agent.first_found.get(goal) if best is not None and best.rank <= goal else None
    games = hit["games"] if hit else agent.games
    base = baseline(agent, games, seed, time_limit=max(60.0, wall), goal=goal)
    return {"format": fmt, "ring": ring, "seed": seed, "goal": goal, "best_rank": best.rank if best else None,
            "found": hit is not None, "seconds": round(hit["seconds"] if hit else wall, 1),
            "steps": hit["step"] if hit else agent.step, "games": games, "baseline_best_rank": base,
            "completed_terms": best.provenance.get("completed_from_residual", 0) if best else None,
            "first_found": agent.first_found, "device": agent.device}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rings", nargs="+", default=["gf2", "z"], choices=["gf2", "z", "zt"])
    ap.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2], help="2x2x2 seeds (none: skip 2x2x2)")
    ap.add_argument("--limit", type=float, default=900.0, help="seconds per 2x2x2 run")
    ap.add_argument("--three", type=float, default=0.0, help="seconds for one 3x3x3 run per ring (0: skip)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for ring in args.rings:
        for seed in args.seeds:
            # The game ends at rank 7 (as decomp solve --rank 7 sets it).
            row = discover("2x2x2", ring, seed, 7, args.limit, {"max_moves": 7})
            rows.append(row)
            print(json.dumps(row), flush=True)
        for_ring = [r for r in rows if r["ring"] == ring and r["format"] == "2x2x2"]
        if not for_ring:
            continue
        times = [r["seconds"] if r["found"] else float("inf") for r in for_ring]
        print(f"2x2x2 over {ring}: rank 7 found in {sum(r['found'] for r in for_ring)}/{len(for_ring)} seeds; "
              f"median time {statistics.median(times):.0f} s; baseline (random-policy MCTS, same games and "
              f"simulations) best ranks {[r['baseline_best_rank'] for r in for_ring]}", flush=True)
    if args.three > 0:
        for ring in args.rings:
            row = discover("3x3x3", ring, 0, 23, args.three, THREE_SETTINGS)
            rows.append(row)
            print(json.dumps(row), flush=True)
            print(f"3x3x3 over {ring}: best rank {row['best_rank']} in {args.three:.0f} s "
                  f"({row['games']} games); baseline best rank {row['baseline_best_rank']}", flush=True)
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    Format(2, 2, 2)
    main()
