"""The training loop: synthetic demonstrations, self-play with MCTS, a replay
buffer, augmentations, checkpoints and a log.

One round = `train_per_round` gradient steps on batches mixing synthetic
demonstrations with replayed self-play positions (each in a random basis),
then `parallel_games` self-play games on the target, each started in a
random basis (game 0 on the target itself). A game that clears its tensor is
mapped back to the target's basis, verified by core's checker, and kept.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from ...core.errors import DecompError
from ...core.formats import Format
from ...core.rings import Ring
from ...core.scheme import Scheme
from ...core.targets import Target, parse_format_or_target, target_from_dict
from ..options import number_option, whole_option
from . import checkpoint
from .actions import ActionSpace, default_coefficients
from .completion import best_completion
from .demos import (augment, inverse_basis, random_bases, synthetic_batch, transform_actions,
                    transform_tensor)
from .evaluate import NetworkEvaluator
from .mcts import play
from .replay import ReplayBuffer

RINGS = (Ring.GF2, Ring.Z, Ring.ZT)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that fixes a run; stored beside every checkpoint."""

    target: "str | dict"
    ring: str = "gf2"
    coefficients: tuple = ()
    chunk: int | None = None
    max_moves: int | None = None       # default: the naive rank
    seed: int = 0
    # network
    history: int = 2
    dim: int = 64
    heads: int = 4
    torso_layers: int = 2
    policy_layers: int = 2
    quantiles: int = 8
    # optimisation
    lr: float = 1e-3
    batch: int = 128
    synthetic_fraction: float = 0.5    # share of synthetic states once self-play data exists
    warmup_steps: int = 4000           # synthetic-only steps before the first self-play round
    train_per_round: int = 50
    buffer: int = 50_000
    # search. With these, the 4000-step warm-up and the exact endgames, 2x2x2 reached
    # rank 7 from nothing in 458-481 s over GF(2) and 442-481 s over Z on 2 cores, three
    # seeds each (README, bench/rl_discovery.py); with 32 samples, no lookahead, 1500
    # steps and slice terms only it found none in 600 s.
    simulations: int = 64
    samples: int = 128
    parallel_games: int = 8
    explore_moves: int = 1
    c_puct: float = 1.25
    lookahead: float = 0.9             # weight of child-value priors (evaluate.NetworkEvaluator)
    # 1: an unfinished game also yields a scheme, its best prefix plus the
    # residual's completion terms (completion.py); 0: only games that clear the tensor.
    complete_games: int = 1
    extra: dict = field(default_factory=dict)

    # (least value) of each whole-number setting, and the range of each real one
    _WHOLE = {"history": 0, "dim": 1, "heads": 1, "torso_layers": 1, "policy_layers": 1, "quantiles": 1,
              "batch": 1, "warmup_steps": 0, "train_per_round": 1, "buffer": 1, "simulations": 1, "samples": 1,
              "parallel_games": 1, "explore_moves": 0, "seed": 0, "complete_games": 0}
    _REAL = {"lr": (1e-12, 10.0), "synthetic_fraction": (0.0, 1.0), "c_puct": (0.0, 1e6),
             "lookahead": (0.0, 1.0)}

    def __post_init__(self):
        """Settings from the CLI or a checkpoint's config.json, checked and
        normalised here so a bad one is a one-line error, not a failure
        deep inside torch (batch 0, a negative learning rate, ...)."""
        for name, least in self._WHOLE.items():
            object.__setattr__(self, name, whole_option("rl", name, getattr(self, name), least))
        for name, (low, high) in self._REAL.items():
            object.__setattr__(self, name, number_option("rl", name, getattr(self, name), low, high))
        if self.complete_games not in (0, 1):
            raise DecompError(f"rl option complete_games must be 0 or 1, not {self.complete_games}")
        if self.dim % self.heads:
            raise DecompError(f"rl option dim ({self.dim}) must be a multiple of heads ({self.heads})")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["coefficients"] = list(self.coefficients)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        if not isinstance(d, dict):
            raise DecompError("training config must be a JSON object")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise DecompError(f"unknown training settings: {', '.join(unknown)}")
        d = dict(d)
        d["coefficients"] = tuple(d.get("coefficients", ()))
        return cls(**d)


def _target_spec(fmt) -> "str | dict":
    """Formats and named targets by name (so they come back equal to the
    problem's); only file targets are stored entry by entry."""
    return str(fmt) if isinstance(fmt, Format) or fmt.kind != "file" else fmt.to_dict()


def _target_from_spec(spec):
    return target_from_dict(spec) if isinstance(spec, dict) else parse_format_or_target(spec)


def _device(device: str | None) -> str:
    import torch

    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        torch.device(device)
    except (RuntimeError, TypeError):
        raise DecompError(f"unknown device {device!r}: use auto, cpu, cuda or cuda:N") from None
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise DecompError("CUDA was asked for but torch sees no GPU (use --device cpu)")
    return device


class Agent:
    """Network, optimizer, replay buffer and counters for one target and ring."""

    def __init__(self, config: TrainConfig, device: str | None = None):
        import torch

        from .network import NetConfig, TensorNet

        self.config = config
        self.fmt = _target_from_spec(config.target)
        self.ring = Ring.parse(config.ring)
        if self.ring not in RINGS:
            raise DecompError(f"the rl method plays over {', '.join(r.value for r in RINGS)}, not {self.ring.value}")
        coeffs = config.coefficients or default_coefficients(self.ring)
        if self.ring is Ring.GF2 and tuple(sorted(set(coeffs))) != (0, 1):
            raise DecompError("over gf2 the coefficient set is {0, 1}")
        if self.ring is Ring.ZT and max(abs(int(x)) for x in coeffs) > 1:
            raise DecompError(f"over zt the coefficient set lies within {{-1, 0, 1}}, got {list(coeffs)}")
        # Ring zt: schemes have entries in {-1, 0, 1}, completion terms too.
        self.space = ActionSpace.make(self.fmt.shape, coeffs, config.chunk,
                                      entry_limit=1 if self.ring is Ring.ZT else None)
        self.max_moves = int(config.max_moves or self.fmt.naive_rank)
        if self.max_moves < 1:
            raise DecompError(f"max_moves must be >= 1, got {self.max_moves}")
        self.device = _device(config.extra.get("device") if device is None else device)
        self.rng = np.random.default_rng(config.seed)
        torch.manual_seed(config.seed)
        self.net_config = NetConfig(shape=self.fmt.shape, length=self.space.length, n_tokens=self.space.n_tokens,
                                    vocab=self.space.vocab, history=config.history, dim=config.dim,
                                    heads=config.heads, torso_layers=config.torso_layers,
                                    policy_layers=config.policy_layers, quantiles=config.quantiles)
        self.model = TensorNet(self.net_config).to(self.device)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=config.lr, weight_decay=1e-5)
        self.torch_rng = torch.Generator(device=self.device)
        self.torch_rng.manual_seed(config.seed)
        self.buffer = ReplayBuffer(config.buffer, self.space, config.history)
        self.target = self.fmt.tensor() % 2 if self.ring is Ring.GF2 else self.fmt.tensor()
        self.unreported: Scheme | None = None  # a new best the next log entry hands on (it stores nothing)
        self.step = 0
        self.games = 0
        self.seconds = 0.0
        self.best: Scheme | None = None
        self.first_found: dict = {}          # rank -> {"games", "seconds", "step"} when first reached

    # ------------------------------------------------------------ training
    def _batch(self, n: int) -> dict:
        c = self.config
        n_replay = 0 if len(self.buffer) == 0 else int(round(n * (1 - c.synthetic_fraction)))
        parts = [synthetic_batch(self.rng, self.space, n - n_replay, self.max_moves, self.max_moves, c.history)]
        if n_replay:
            parts.append(augment(self.rng, self.buffer.sample(self.rng, n_replay), self.space))
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def train_steps(self, steps: int, should_stop=None) -> dict:
        """Up to `steps` gradient steps, fewer when should_stop() says so
        (checked before each step: a 3x3x3 step takes about 0.5 s)."""
        import torch
        from torch.nn import functional as F_

        from .network import quantile_loss

        self.model.train()
        totals = {"policy_loss": 0.0, "value_loss": 0.0}
        done = 0
        for _ in range(steps):
            if should_stop is not None and should_stop():
                break
            done += 1
            b = self._batch(self.config.batch)
            dev = self.device
            res = torch.as_tensor(b["residual"], dtype=torch.float32, device=dev)
            dep = torch.as_tensor(b["depth"] / self.max_moves, dtype=torch.float32, device=dev)
            his = torch.as_tensor(b["history"], dtype=torch.float32, device=dev)
            tokens = torch.as_tensor(self.space.encode(b["action"]), dtype=torch.long, device=dev)
            value = torch.as_tensor(b["value"], dtype=torch.float32, device=dev)
            cells = self.model.torso(res, dep, his)
            logits = self.model.policy_logits(cells, tokens)
            p_loss = F_.cross_entropy(logits.reshape(-1, self.space.vocab), tokens.reshape(-1))
            v_loss = quantile_loss(self.model.value_quantiles(cells), value)
            loss = p_loss + v_loss
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.step += 1
            totals["policy_loss"] += p_loss.item()
            totals["value_loss"] += v_loss.item()
        return {k: v / max(1, done) for k, v in totals.items()} if done else {}

    # ----------------------------------------------------------- self-play
    def evaluator(self, samples: int | None = None, complete_at: int | None = None) -> NetworkEvaluator:
        return NetworkEvaluator(self.model, self.space, samples or self.config.samples, self.max_moves,
                                self.device, seed=int(self.rng.integers(1 << 31)), lookahead=self.config.lookahead,
                                complete_at=complete_at)

    def self_play(self, stop_rank: int | None = None, should_stop=None, games: int | None = None) -> list[Scheme]:
        """One batch of games; returns the verified schemes they found."""
        c = self.config
        count = games or c.parallel_games
        bases = [None] + [random_bases(self.rng, self.space) for _ in range(count - 1)]
        roots = [self.target if b is None else transform_tensor(self.target, b, self.space.mod2) for b in bases]
        complete_at = stop_rank if c.complete_games else None
        records = play(roots, self.evaluator(complete_at=complete_at), self.space, self.max_moves, c.simulations,
                       c.history, self.rng, explore_moves=c.explore_moves, c_puct=c.c_puct, should_stop=should_stop,
                       stop_at=stop_rank, complete_at=complete_at)
        found = []
        for root, rec, b in zip(roots, records, bases):
            if not rec.actions and rec.solution is None:
                continue
            self.games += 1
            scheme = None
            for r, d, h, a, g in zip(rec.residuals, rec.depths, rec.histories, rec.actions, rec.returns):
                self.buffer.add(r, d, h, a, g)
            if rec.solution is not None:
                moves = len(rec.solution)
                legal = self.space.legal(np.array(rec.solution, dtype=np.int64))
                for i, (r, d, h) in enumerate(rec.solution_states):
                    if legal[i]:               # completion terms may leave F
                        self.buffer.add(r, d, h, rec.solution[i], -(moves - i))
                scheme = self._scheme(rec.solution, b, moves - rec.completed if rec.completed else None)
            elif c.complete_games:
                # An unfinished game still found a scheme: its best prefix plus
                # the completion terms of what was left (the score it was charged).
                terms, played = best_completion(root, rec.actions, self.space)
                best = min([s.rank for s in found] + ([self.best.rank] if self.best else []), default=None)
                scheme = self._scheme(terms, b, played) if best is None or len(terms) < best else None
            if scheme is not None:
                found.append(scheme)
        return found

    def _scheme(self, moves, bases, played: int | None = None) -> Scheme | None:
        """The moves of a game in a changed basis, mapped back and verified;
        `played` of them were moves when the rest complete an unfinished game."""
        moves = np.array(moves, dtype=np.int64)
        if bases is not None:
            moves = transform_actions(moves, [inverse_basis(m) for m in bases], self.space)
        U, V, W = self.space.factors(moves)
        provenance = {"method": "rl", "seed": self.config.seed, "seconds": round(self.seconds, 3),
                      "games": self.games, "step": self.step}
        if played is not None:
            provenance.update(moves_played=played, completed_from_residual=len(moves) - played)
        scheme = Scheme(self.fmt, U, V, W, ring=self.ring, provenance=provenance)
        return scheme if scheme.verify().ok else None

    def _keep(self, scheme: Scheme) -> None:
        if self.best is None or scheme.rank < self.best.rank:
            self.best = scheme
        self.first_found.setdefault(scheme.rank, {"games": self.games, "seconds": round(self.seconds, 3),
                                                  "step": self.step})
        if scheme is self.best:
            self.unreported = scheme

    # ---------------------------------------------------------------- loop
    def run(self, steps: int | None = None, deadline: float | None = None, stop_rank: int | None = None,
            callback=None, out=None, checkpoint_every: float = 300.0, log_path=None) -> Scheme | None:
        """Train and play until `steps` gradient steps, the deadline
        (time.monotonic()), a scheme of rank <= stop_rank, or the callback
        asks to stop. The callback gets each log entry (a dict), with the
        new best scheme under "improved" when there is one."""
        c = self.config
        t0 = time.monotonic() - self.seconds          # seconds add up across resumes
        last_save = time.monotonic()

        def out_of_time() -> bool:
            return deadline is not None and time.monotonic() >= deadline

        # Warm-up in slices of 100 steps (one log line each), never past `steps`.
        warm_until = c.warmup_steps if steps is None else min(c.warmup_steps, steps)
        stopped = False                               # the callback asked to stop
        while self.step < warm_until and not out_of_time() and not stopped:
            stopped = self._record(self.train_steps(min(100, warm_until - self.step), out_of_time), t0, log_path,
                                   callback)
        while not stopped:
            done = stop_rank is not None and self.best is not None and self.best.rank <= stop_rank
            if done or out_of_time() or (steps is not None and self.step >= steps):
                break
            n = c.train_per_round if steps is None else min(c.train_per_round, steps - self.step)
            losses = self.train_steps(n, out_of_time) if n > 0 else {}
            for scheme in self.self_play(stop_rank, should_stop=out_of_time):
                self.seconds = time.monotonic() - t0
                self._keep(scheme)
            stopped = self._record(losses, t0, log_path, callback)
            if out is not None and time.monotonic() - last_save >= checkpoint_every:
                self.save(out)
                last_save = time.monotonic()
        self.seconds = time.monotonic() - t0
        if out is not None:
            self.save(out)
        return self.best

    def _record(self, losses: dict, t0: float, log_path, callback) -> bool:
        self.seconds = time.monotonic() - t0
        entry = dict(step=self.step, games=self.games, seconds=round(self.seconds, 3),
                     best_rank=self.best.rank if self.best else None, **{k: round(v, 5) for k, v in losses.items()})
        if log_path is not None:
            Path(log_path).parent.mkdir(parents=True, exist_ok=True)
            with open(log_path, "a") as fh:
                fh.write(json.dumps(entry) + "\n")
        improved, self.unreported = self.unreported, None
        return bool(callback and callback(dict(entry, rank=entry["best_rank"], improved=improved)))

    # ---------------------------------------------------------- persistence
    def meta(self) -> dict:
        return {"train": self.config.to_dict(), "net": self.net_config.to_dict(), "step": self.step,
                "games": self.games, "seconds": round(self.seconds, 3),
                "best_rank": self.best.rank if self.best else None,
                "first_found": {str(k): v for k, v in self.first_found.items()},
                "numpy_rng": self.rng.bit_generator.state, "device": self.device}

    def save(self, directory) -> Path:
        d = Path(directory)
        if self.best is not None:
            from ...core.io import write_json

            d.mkdir(parents=True, exist_ok=True)
            write_json(self.best, d / "best.json")
        return checkpoint.save(d, self.model, self.optimizer, self.meta(), self.buffer.state(),
                               self.torch_rng.get_state())

    @classmethod
    def load(cls, directory, device: str | None = None, overrides: dict | None = None) -> "Agent":
        meta = checkpoint.read_meta(directory)
        try:
            config = TrainConfig.from_dict(dict(meta.get("train", {}), **(overrides or {})))
            agent = cls(config, device=device)
        except (TypeError, ValueError) as exc:
            raise checkpoint.CheckpointError(f"checkpoint {directory}: bad training settings: {exc}") from None
        meta, buffer, rng = checkpoint.load(directory, agent.model, agent.optimizer)
        if buffer:
            agent.buffer.restore(buffer)
        try:
            agent.step = int(meta.get("step", 0))
            agent.games = int(meta.get("games", 0))
            agent.seconds = float(meta.get("seconds", 0.0))
            agent.first_found = {int(k): v for k, v in meta.get("first_found", {}).items()}
            if meta.get("numpy_rng"):
                agent.rng.bit_generator.state = meta["numpy_rng"]
            if rng is not None and agent.device == "cpu":
                agent.torch_rng.set_state(rng)
        except (TypeError, ValueError, KeyError) as exc:
            raise checkpoint.CheckpointError(f"checkpoint {directory}: bad counters: {exc}") from None
        best = Path(directory) / "best.json"
        if best.is_file():
            from ...core.io import read_json

            try:
                s = read_json(best)
                if s.fmt == agent.fmt:
                    agent.best = s
            except DecompError:
                pass                     # a broken best.json is ignored, never trusted
        return agent


def _coefficient_list(value) -> tuple[int, ...]:
    """The move entries from the CLI (-o coefficients=-1,0,1 or [-1,0,1]) or
    from Python (a sequence of ints)."""
    items = value.split(",") if isinstance(value, str) else value
    try:
        return tuple(int(str(x).strip()) for x in items)
    except (TypeError, ValueError):
        raise DecompError(f"rl option coefficients must be integers such as -1,0,1, not {value!r}") from None


def config_for(fmt, ring, seed=0, **settings) -> TrainConfig:
    """A TrainConfig for a format or target, with settings checked by name."""
    fmt = parse_format_or_target(fmt) if not isinstance(fmt, (Format, Target)) else fmt
    names = {f.name for f in fields(TrainConfig)} - {"target", "ring", "seed"}
    unknown = sorted(set(settings) - names)
    if unknown:
        raise DecompError(f"unknown training settings: {', '.join(unknown)} (valid: {', '.join(sorted(names))})")
    if "coefficients" in settings and settings["coefficients"] is not None:
        settings["coefficients"] = _coefficient_list(settings["coefficients"])
    settings = {k: v for k, v in settings.items() if v is not None}
    return TrainConfig(target=_target_spec(fmt), ring=Ring.parse(ring).value, seed=int(seed), **settings)
