"""solve(..., method="rl"): load a trained agent (or train one briefly from
nothing) and keep training and playing until a game reaches the rank."""

from __future__ import annotations

import safetensors  # noqa: F401  (imported here so a missing [rl] extra fails at load, clearly)
import torch  # noqa: F401

from ...core.errors import DecompError
from ..api import Problem, SolveResult
from .train import Agent, config_for

# Settings a solve call may change on a loaded checkpoint: they steer the
# search and the schedule, never the network's shape.
SEARCH_SETTINGS = ("simulations", "samples", "parallel_games", "explore_moves", "c_puct", "lookahead",
                   "train_per_round", "warmup_steps", "synthetic_fraction", "lr", "complete_games")


def run(problem: Problem, checkpoint=None, out=None, device="auto", results=None, **settings) -> SolveResult:
    ring = problem.ring
    settings = {k: v for k, v in settings.items() if v is not None}
    if checkpoint:
        frozen = sorted(set(settings) - set(SEARCH_SETTINGS))
        if frozen:
            raise DecompError(f"{', '.join(frozen)} cannot change on a trained checkpoint (they fix the network); "
                              f"train a new one with decomp train")
        agent = Agent.load(checkpoint, device=device, results=results, overrides=settings)
        if agent.fmt != problem.fmt:
            raise DecompError(f"checkpoint {checkpoint} was trained for {agent.fmt}, not {problem.fmt}")
        if agent.ring is not ring:
            raise DecompError(f"checkpoint {checkpoint} plays over {agent.ring.value}, not {ring.value}")
    else:
        seed = 0 if problem.seed is None else int(problem.seed)
        # The game ends at the rank asked for (AlphaTensor's move limit): a
        # longer game cannot be an answer, and its moves would spread the search.
        settings.setdefault("max_moves", problem.rank)
        config = config_for(problem.fmt, ring, seed=seed, extra={"device": device}, **settings)
        agent = Agent(config, device=device, results=results)
    history = []

    def callback(entry: dict) -> bool:
        if entry.get("best_rank") is not None and (not history or history[-1][1] != entry["best_rank"]):
            history.append((entry["seconds"], entry["best_rank"]))
        return bool(problem.callback and problem.callback(entry))

    status = "found"
    try:
        agent.run(time_limit=problem.time_left() if problem.time_limit else None, stop_rank=problem.rank,
                  callback=callback, out=out)
    except KeyboardInterrupt:
        status = "interrupted"
        if out is not None:
            agent.save(out)
    best = agent.best
    reached = best is not None and best.rank <= problem.rank
    if not reached and status != "interrupted":
        status = "time_limit" if problem.time_limit else "not_found"
    if best is None:
        message = f"no game cleared the tensor in {agent.games} games"
    else:
        message = f"game {agent.first_found.get(best.rank, {}).get('games')} of {agent.games} reached rank {best.rank}"
        completed = best.provenance.get("completed_from_residual")
        if completed:
            message += f" ({best.rank - completed} moves, then {completed} terms completing the residual)"
    extra = {"games": agent.games, "steps": agent.step, "device": agent.device,
             "first_found": agent.first_found, "max_moves": agent.max_moves,
             "coefficients": list(agent.space.coefficients)}
    return SolveResult(reached, status, message, best, best.rank if best else None, history,
                       method="rl", extra=extra)

