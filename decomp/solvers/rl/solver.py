"""solve(..., method="rl"): load a trained agent (or train one briefly from
nothing) and keep training and playing until a game reaches the rank.

torch is imported only when run() runs: the registry reads this module's
run() signature for the option names without the [rl] extra installed
(the Method's `requires` gives the one-line message when it is missing).
"""

from __future__ import annotations

from ...core.errors import DecompError
from ..api import Problem, SolveResult

# Settings a solve call may change on a loaded checkpoint: they steer the
# search and the schedule, never the network's shape.
SEARCH_SETTINGS = ("simulations", "samples", "parallel_games", "explore_moves", "c_puct", "lookahead",
                   "train_per_round", "warmup_steps", "synthetic_fraction", "lr", "complete_games")


def run(problem: Problem, checkpoint=None, out=None, device="auto", max_moves=None, coefficients=None,
        simulations=None, samples=None, parallel_games=None, warmup_steps=None, train_per_round=None,
        explore_moves=None, dim=None, torso_layers=None, batch=None, lr=None, lookahead=None,
        complete_games=None) -> SolveResult:
    """Training settings left at None take the defaults of train.TrainConfig
    (or the checkpoint's)."""
    from .train import Agent, config_for

    ring = problem.ring
    given = dict(max_moves=max_moves, coefficients=coefficients, simulations=simulations, samples=samples,
                 parallel_games=parallel_games, warmup_steps=warmup_steps, train_per_round=train_per_round,
                 explore_moves=explore_moves, dim=dim, torso_layers=torso_layers, batch=batch, lr=lr,
                 lookahead=lookahead, complete_games=complete_games)
    settings = {k: v for k, v in given.items() if v is not None}
    if checkpoint:
        frozen = sorted(set(settings) - set(SEARCH_SETTINGS))
        if frozen:
            raise DecompError(f"{', '.join(frozen)} cannot change on a trained checkpoint (they fix the network); "
                              f"train a new one with decomp train")
        agent = Agent.load(checkpoint, device=device, overrides=settings)
        if agent.fmt != problem.fmt:
            raise DecompError(f"checkpoint {checkpoint} was trained for {agent.fmt}, not {problem.fmt}")
        if agent.ring is not ring:
            raise DecompError(f"checkpoint {checkpoint} plays over {agent.ring.value}, not {ring.value}")
    else:
        # The game ends at the rank asked for (AlphaTensor's move limit): a
        # longer game cannot be an answer, and its moves would spread the search.
        settings.setdefault("max_moves", problem.rank)
        config = config_for(problem.fmt, ring, seed=problem.seed, extra={"device": device}, **settings)
        agent = Agent(config, device=device)
    history = []
    asked_to_stop = []

    def callback(entry: dict) -> bool:
        if entry.get("best_rank") is not None and (not history or history[-1][1] != entry["best_rank"]):
            history.append((entry["seconds"], entry["best_rank"]))
        counters = {k: v for k, v in entry.items() if k not in ("rank", "best_rank", "improved", "seconds")}
        stop = problem.report(rank=entry.get("rank"), best_rank=entry.get("best_rank"),
                              improved=entry.get("improved"), **counters)
        if stop:
            asked_to_stop.append(True)
        return stop

    status = "found"
    try:
        agent.run(deadline=problem.deadline if problem.limited else None, stop_rank=problem.rank,
                  callback=callback, out=out)
    except KeyboardInterrupt:
        status = "interrupted"
        if out is not None:
            agent.save(out)
    best = agent.best
    reached = best is not None and best.rank <= problem.rank
    if not reached and status != "interrupted":
        timed_out = problem.limited and problem.time_left() <= 0
        status = problem.stop_reason() if asked_to_stop or timed_out else "not_found"
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
