"""decomp train: the rl method's agent, trained and checkpointed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

import typer

from ..core.errors import DecompError
from ..core.targets import parse_format_or_target
from ..solvers.api import METHODS
from .common import JsonOpt, ResultsOpt, RingName, app, catalogue, console, emit_json, err, parse_options


@app.command()
def train(
    format: str = typer.Option(..., "--format", "-f", help="format (e.g. 2x2x2) or target (poly:3, ...)"),
    ring: RingName = typer.Option(RingName("gf2"), "--ring"),
    steps: int = typer.Option(..., "--steps", help="train until this many gradient steps in all"),
    out: Path = typer.Option(..., "--out", help="checkpoint folder (safetensors + config.json + log.jsonl)"),
    resume: bool = typer.Option(False, "--resume", help="continue the checkpoint in --out"),
    seed: int = typer.Option(0, "--seed"),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", help="seconds"),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="write losses and best rank as a PNG"),
    option: List[str] = typer.Option([], "--option", "-o", help="training setting key=value (repeatable)"),
    store: bool = typer.Option(True, "--store/--no-store", help="add the schemes found to the catalogue"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Train the TensorGame agent (rl method): synthetic demonstrations + self-play."""
    METHODS["rl"].load()                       # a clear message when the [rl] extra is missing
    from ..solvers.rl.checkpoint import CONFIG
    from ..solvers.rl.train import Agent, config_for

    if steps < 0:
        raise DecompError(f"--steps must be >= 0, got {steps}")
    if time_limit is not None and time_limit <= 0:
        raise DecompError(f"--time-limit must be positive, got {time_limit}")
    deadline = time.monotonic() + time_limit if time_limit is not None else None
    settings = parse_options(option)
    cat = catalogue(results) if store else None
    fmt = parse_format_or_target(format)
    if getattr(fmt, "kind", None) == "file":
        raise DecompError("train takes a format or a named target; file targets are not supported")
    if (out / CONFIG).exists():
        if not resume:
            raise DecompError(f"{out} already holds a checkpoint: pass --resume to continue it, "
                              "or choose another --out")
        agent = Agent.load(out, device=device, overrides=settings)
        if agent.fmt != fmt or agent.ring.value != ring.value:
            raise DecompError(f"{out} was trained for {agent.fmt} over {agent.ring.value}, not {fmt} over {ring.value}")
    else:
        if resume:
            raise DecompError(f"nothing to resume: {out} holds no checkpoint")
        agent = Agent(config_for(fmt, ring.value, seed=seed, **settings), device=device)
    log = out / "log.jsonl"

    def progress(entry: dict) -> bool:
        if cat is not None and entry.get("improved") is not None:
            cat.add(entry["improved"])             # the agent hands on each new best; we keep it
        if not json_out:
            err.print(f"step {entry['step']}: games {entry['games']}, best rank {entry['best_rank']}, "
                      f"policy loss {entry.get('policy_loss', float('nan')):.3f}, "
                      f"value loss {entry.get('value_loss', float('nan')):.3f}", highlight=False)
        return False

    try:
        agent.run(steps=steps, deadline=deadline, callback=progress, out=out, log_path=log)
    except KeyboardInterrupt:
        agent.save(out)
        err.print(f"checkpoint saved in {out} at step {agent.step}")
        raise  # main() says "interrupted" and exits 130
    if plot is not None:
        from ..plotting import plot_training

        plot_training(log, plot, f"{fmt} over {ring.value}")
    summary = {"format": str(fmt), "ring": ring.value, "steps": agent.step, "games": agent.games,
               "best_rank": agent.best.rank if agent.best else None, "checkpoint": str(out),
               "first_found": {str(k): v for k, v in agent.first_found.items()}, "device": agent.device}
    if json_out:
        emit_json(summary)
    else:
        console.print(f"trained {fmt} over {ring.value} to step {agent.step} ({agent.games} games, "
                      f"{agent.device}); best rank played: {summary['best_rank']}; checkpoint in {out}")
    return 0
