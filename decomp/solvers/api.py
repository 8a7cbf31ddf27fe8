"""One front door for every solver: solve(fmt, rank, method=...).

Modelled on scipy.optimize.minimize: a METHODS registry of solver functions
`run(problem, **options)` with one shape, dispatched by name, returning one
SolveResult. A method's options and their defaults are the keyword
parameters of its run(): there is no second list to drift from it. The
front door re-verifies whatever a solver returns with core's checker, so no
solver can certify its own output, and no solver writes the catalogue: the
caller (CLI, portfolio) stores what it is given.

Three rules every solver follows through the Problem it receives:
- seed: a whole number, always. None asks for fresh entropy, which the front
  door draws once and records (Problem.seed, SolveResult.seed, provenance),
  so any run can be repeated. Workers get SeedSequence(seed).spawn(n).
- deadline: one absolute time on the monotonic clock (inf without a limit);
  solvers and their workers compare against it, never against durations.
- callback(SolveState) -> bool: typed, frozen progress reports from every
  solver, walkers in worker processes included; True stops the run.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import time
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

import numpy as np

from ..core.errors import DecompError, MissingDependencyError
from ..core.formats import Format
from ..core.io import scheme_to_dict
from ..core.rings import Ring
from ..core.scheme import Scheme
from ..core.targets import Target, parse_format_or_target

# Seeds are kept below 2^63 so that every consumer (numpy, torch, numba's
# uint64 kernels, JSON readers) takes them as they are.
SEED_BITS = 63


@dataclass(frozen=True)
class SolveResult:
    """What a solver run produced.

    status: 'found' | 'not_found' | 'infeasible' (proved impossible) |
    'time_limit' | 'interrupted' | 'rejected' (solver output failed the checker).
    history: (seconds since start, best rank so far) pairs.
    seed: the seed the run used (drawn fresh when none was given).
    """

    success: bool
    status: str
    message: str
    scheme: Scheme | None
    best_rank: int | None
    history: list = field(default_factory=list)
    wall_time: float = 0.0
    method: str = ""
    extra: dict = field(default_factory=dict)
    seed: int | None = None

    def to_dict(self) -> dict:
        return {
            "success": self.success,
            "status": self.status,
            "message": self.message,
            "method": self.method,
            "seed": self.seed,
            "best_rank": self.best_rank,
            "wall_time": round(self.wall_time, 6),
            "history": [list(h) for h in self.history],
            "extra": _jsonable(self.extra),
            "scheme": scheme_to_dict(self.scheme) if self.scheme is not None else None,
        }


@dataclass(frozen=True)
class SolveState:
    """One progress report, the callback's only argument.

    method: the reporting method; seconds: since solve() began;
    rank: the rank of the point the search is at (a walk's scheme, a fit's
    rank), or None; best_rank: the lowest rank reached so far, or None;
    walker: which of several walkers reported (flip), None for a single one;
    improved: a verified scheme when this report brings a new best (the
    caller may store it; a solver never does); counters: the method's own
    numbers (flips, conflicts, restarts, games, ...), read-only.
    """

    method: str
    seconds: float
    rank: int | None = None
    best_rank: int | None = None
    walker: int | None = None
    improved: Scheme | None = None
    counters: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "counters", MappingProxyType(dict(self.counters)))


Callback = Callable[[SolveState], bool]


def fresh_seed() -> int:
    """A seed from the operating system's entropy."""
    return int(np.random.SeedSequence().entropy) % (1 << SEED_BITS)


def checked_seed(seed) -> int:
    """seed as a whole number >= 0; None draws a fresh one."""
    if seed is None:
        return fresh_seed()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DecompError(f"seed must be a whole number >= 0, got {seed!r}")
    return int(seed) % (1 << SEED_BITS)


def spawned_seed(seed: int, index: int) -> int:
    """The seed of worker `index` of a run seeded with `seed`: the state of
    SeedSequence(seed).spawn(...)[index], so workers draw independent streams."""
    child = np.random.SeedSequence(int(seed), spawn_key=(int(index),))
    return int(child.generate_state(1, np.uint64)[0]) >> (64 - SEED_BITS)


def spawn_seeds(seed: int, count: int) -> list[int]:
    """Independent seeds for `count` workers of one run (SeedSequence.spawn)."""
    return [spawned_seed(seed, k) for k in range(count)]


@dataclass(frozen=True)
class Problem:
    """The validated request every solver function receives.

    seed: a whole number (see the module's rules); deadline: monotonic
    time at which to stop (inf: no limit); started: monotonic time of the
    call."""

    fmt: "Format | Target"
    rank: int
    ring: Ring
    seed: int
    deadline: float
    callback: Callback | None
    started: float
    method: str = ""

    @property
    def limited(self) -> bool:
        return self.deadline != float("inf")

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def worker_seeds(self, count: int) -> list[int]:
        return spawn_seeds(self.seed, count)

    def provenance(self, **more) -> dict:
        """The provenance of a scheme found now: method, seed, seconds, more."""
        return {"method": self.method, "seed": self.seed, "seconds": round(self.elapsed(), 3), **more}

    def stop_reason(self) -> str:
        """Why a run that did not reach the rank ended: the clock or the caller."""
        return "time_limit" if self.time_left() <= 0 else "interrupted"

    def report(self, rank=None, best_rank=None, walker=None, improved: Scheme | None = None, **counters) -> bool:
        """Send a SolveState to the callback. True when the run must stop:
        time is up or the callback asks. An improved scheme that fails the
        exact check is not passed on."""
        if self.callback is not None:
            if improved is not None and not improved.verify().ok:
                improved = None
            state = SolveState(self.method, self.elapsed(), rank, best_rank, walker, improved, counters)
            if self.callback(state):
                return True
        return self.time_left() <= 0


@dataclass(frozen=True)
class Method:
    """A registered solver: the module holding its `run(problem, **options)`,
    the rings it handles, the extra and the modules it needs."""

    name: str
    module: str
    rings: tuple[Ring, ...]
    extra: str | None = None
    requires: tuple[str, ...] = ()
    summary: str = ""

    def load(self) -> Callable:
        missing = [m for m in self.requires if importlib.util.find_spec(m) is None]
        try:
            if missing:
                raise ModuleNotFoundError(name=missing[0])
            mod = importlib.import_module(self.module)
        except ImportError as exc:
            if self.extra:
                raise MissingDependencyError(
                    f"method {self.name!r} needs optional dependencies ({exc.name}): "
                    f"pip install 'decomp[{self.extra}]'"
                ) from None
            raise
        return mod.run

    @property
    def options(self) -> dict:
        """Option name -> default, read from run()'s signature."""
        params = list(inspect.signature(self.load()).parameters.values())[1:]  # after `problem`
        return {p.name: p.default for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY
                or p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD}


METHODS: dict[str, Method] = {}


def register(method: Method) -> None:
    METHODS[method.name] = method


def solve(
    fmt,
    rank: int,
    method: str = "flip",
    ring="gf2",
    seed: int | None = None,
    time_limit: float | None = None,
    callback: Callback | None = None,
    **options: Any,
) -> SolveResult:
    """Look for a scheme of rank <= `rank` for `fmt` over `ring`."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: valid methods are {', '.join(sorted(METHODS))}")
    spec = METHODS[method]
    valid = spec.options
    unknown = sorted(set(options) - set(valid))
    if unknown:
        names = ", ".join(sorted(valid)) or "(none)"
        raise TypeError(f"unknown option(s) {', '.join(unknown)} for method {method!r}: valid options are {names}")
    fmt = parse_format_or_target(fmt)
    ring = Ring.parse(ring)
    if ring not in spec.rings:
        raise DecompError(
            f"method {method!r} works over {', '.join(r.value for r in spec.rings)}, not {ring.value}"
        )
    if isinstance(rank, bool) or not isinstance(rank, int):
        raise DecompError(f"rank must be an integer, got {rank!r}")
    if rank < 1:
        raise DecompError(f"rank must be >= 1, got {rank}")
    bound = fmt.lower_bound(ring)
    if rank < bound:
        raise DecompError(
            f"rank {rank} is impossible for {fmt}: every scheme needs at least "
            f"{'max(nm, mp, pn)' if isinstance(fmt, Format) else 'the largest flattening rank'} = "
            f"{bound} products"
        )
    if time_limit is not None and not time_limit > 0:
        raise DecompError(f"time limit must be positive, got {time_limit}")
    seed = checked_seed(seed)
    run = spec.load()
    start = time.monotonic()
    deadline = start + time_limit if time_limit is not None else float("inf")
    problem = Problem(fmt, rank, ring, seed, deadline, callback, start, method)
    raw = run(problem, **options)
    return _checked(raw, problem, method, time.monotonic() - start)


def _checked(res: SolveResult, problem: Problem, method: str, wall: float) -> SolveResult:
    """Re-verify the solver's scheme; a scheme that fails is never reported."""
    scheme = res.scheme
    status, success, message = res.status, res.success, res.message
    if scheme is not None:
        report = scheme.verify()
        if not report.ok or scheme.fmt != problem.fmt:
            return SolveResult(False, "rejected", f"solver output failed the exact check: {report}",
                               None, None, res.history, wall, method, res.extra, problem.seed)
        reached = scheme.rank <= problem.rank
        success = reached
        if reached and status not in ("found",):
            status = "found"
    elif success:
        success, status = False, "rejected"
        message = "solver claimed success without a scheme"
    return SolveResult(success, status, message, scheme,
                       scheme.rank if scheme is not None else res.best_rank,
                       res.history, wall, method, res.extra, problem.seed)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)


# ------------------------------------------------------------------ registry
# Options are not listed here: each method's run() signature is the one place.
_ALL_RINGS = (Ring.Z, Ring.Q, Ring.GF2, Ring.ZT)

register(Method("flip", "decomp.solvers.flip.solver", (Ring.GF2, Ring.Z, Ring.ZT, Ring.Q),
                summary="flip-graph random walks over GF(2), plus transitions, lifting to Z"))
register(Method("sat", "decomp.solvers.sat.solver", (Ring.GF2, Ring.Z, Ring.ZT, Ring.Q),
                summary="Brent equations as CNF over GF(2) with python-sat; UNSAT proves impossibility"))
register(Method("als", "decomp.solvers.als.solver", (Ring.Z, Ring.ZT, Ring.Q),
                summary="tensorly CP-ALS with regularisation schedule, snapped to exact coefficients"))
register(Method("rl", "decomp.solvers.rl.solver", (Ring.GF2, Ring.Z, Ring.ZT), extra="rl",
                requires=("torch", "safetensors"),
                summary="AlphaTensor-style TensorGame agent: network + sampled MCTS, trained by self-play"))
register(Method("naive", "decomp.solvers.naive", _ALL_RINGS,
                summary="the standard algorithm with n*m*p products"))
