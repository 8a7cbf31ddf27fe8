"""One front door for every solver: solve(fmt, rank, method=...).

Modelled on scipy.optimize.minimize: a METHODS registry of private solver
functions with one signature, dispatched by name, returning one SolveResult.
The front door re-verifies whatever a solver returns with core's checker, so
no solver can certify its own output.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..core.errors import DecompError, MissingDependencyError
from ..core.formats import Format
from ..core.io import scheme_to_dict
from ..core.rings import Ring
from ..core.scheme import Scheme
from ..core.targets import Target, parse_format_or_target


@dataclass(frozen=True)
class SolveResult:
    """What a solver run produced.

    status: 'found' | 'not_found' | 'infeasible' (proved impossible) |
    'time_limit' | 'interrupted' | 'rejected' (solver output failed the checker).
    history: (seconds since start, best rank so far) pairs.
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

    def to_dict(self) -> dict:
        return {
            "success": self.success,
            "status": self.status,
            "message": self.message,
            "method": self.method,
            "best_rank": self.best_rank,
            "wall_time": round(self.wall_time, 6),
            "history": [list(h) for h in self.history],
            "extra": _jsonable(self.extra),
            "scheme": scheme_to_dict(self.scheme) if self.scheme is not None else None,
        }


def whole_option(method: str, name: str, value, least: int = 0) -> int:
    """A whole-number method option (from -o name=value), or a one-line error."""
    try:
        n = int(value)
        whole = n == float(value)
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole or n < least:
        raise DecompError(f"{method} option {name} must be a whole number >= {least}, not {value!r}")
    return n


def number_option(method: str, name: str, value, low: float, high: float = float("inf")) -> float:
    """A real-number method option within [low, high], or a one-line error."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("nan")
    if not low <= x <= high:  # also refuses nan
        span = f"at least {low}" if high == float("inf") else f"within [{low}, {high}]"
        raise DecompError(f"{method} option {name} must be a number {span}, not {value!r}")
    return x


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


@dataclass(frozen=True)
class Problem:
    """The validated request every solver function receives."""

    fmt: "Format | Target"
    rank: int
    ring: Ring
    seed: int | None
    time_limit: float | None
    callback: Callable[[dict], bool] | None
    start: float

    def time_left(self) -> float:
        if self.time_limit is None:
            return float("inf")
        return self.time_limit - (time.monotonic() - self.start)

    def should_stop(self, state: dict) -> bool:
        """True when time is up or the callback asks to stop."""
        if self.time_left() <= 0:
            return True
        return bool(self.callback and self.callback(state))


@dataclass(frozen=True)
class Method:
    """A registered solver: module path of `run(problem, **options)`, its
    options with defaults, the rings it handles, the extra it needs."""

    name: str
    module: str
    options: dict
    rings: tuple[Ring, ...]
    extra: str | None = None
    summary: str = ""

    def load(self) -> Callable:
        try:
            mod = importlib.import_module(self.module)
        except ImportError as exc:
            if self.extra:
                raise MissingDependencyError(
                    f"method {self.name!r} needs optional dependencies ({exc.name}): "
                    f"pip install 'decomp[{self.extra}]'"
                ) from None
            raise
        return mod.run


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
    callback: Callable[[dict], bool] | None = None,
    **options: Any,
) -> SolveResult:
    """Look for a scheme of rank <= `rank` for `fmt` over `ring`."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: valid methods are {', '.join(sorted(METHODS))}")
    spec = METHODS[method]
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        valid = ", ".join(sorted(spec.options)) or "(none)"
        raise TypeError(f"unknown option(s) {', '.join(unknown)} for method {method!r}: valid options are {valid}")
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
    if rank < fmt.rank_lower_bound:
        raise DecompError(
            f"rank {rank} is impossible for {fmt}: every scheme needs at least "
            f"{'max(nm, mp, pn)' if isinstance(fmt, Format) else 'the largest flattening rank'} = "
            f"{fmt.rank_lower_bound} products"
        )
    if time_limit is not None and time_limit <= 0:
        raise DecompError(f"time limit must be positive, got {time_limit}")
    run = spec.load()
    opts = dict(spec.options)
    opts.update(options)
    start = time.monotonic()
    problem = Problem(fmt, rank, ring, seed, time_limit, callback, start)
    raw = run(problem, **opts)
    return _checked(raw, problem, method, time.monotonic() - start)


def _checked(res: SolveResult, problem: Problem, method: str, wall: float) -> SolveResult:
    """Re-verify the solver's scheme; a scheme that fails is never reported."""
    scheme = res.scheme
    status, success, message = res.status, res.success, res.message
    if scheme is not None:
        report = scheme.verify()
        if not report.ok or scheme.fmt != problem.fmt:
            return SolveResult(False, "rejected", f"solver output failed the exact check: {report}",
                               None, None, res.history, wall, method, res.extra)
        reached = scheme.rank <= problem.rank
        success = reached
        if reached and status not in ("found",):
            status = "found"
    elif success:
        success, status = False, "rejected"
        message = "solver claimed success without a scheme"
    return SolveResult(success, status, message, scheme,
                       scheme.rank if scheme is not None else res.best_rank,
                       res.history, wall, method, res.extra)


# ------------------------------------------------------------------ registry
_ALL_RINGS = (Ring.Z, Ring.Q, Ring.GF2, Ring.ZT)

register(Method("flip", "decomp.solvers.flip",
                {"start": "naive", "workers": 1, "plateau": 20_000, "plus_margin": 2, "chunk": 200_000,
                 "max_flips": None, "lift": None, "results": None, "walkers": None,
                 "restart_flips": None, "symmetry": "none", "parts": None, "fixed_terms": None,
                 "search": "walk", "pool": 4, "path": 20_000, "path_max": 50_000_000},
                (Ring.GF2, Ring.Z, Ring.ZT, Ring.Q),
                summary="flip-graph random walks over GF(2), plus transitions, lifting to Z"))
register(Method("sat", "decomp.solvers.sat",
                {"solver": "cadical195", "symmetry": True, "known": None, "fix_fraction": 1 / 3,
                 "max_factor_nnz": None, "conflicts": None, "lift": None, "proof": None, "chunk": 4,
                 "noise": 0.02, "tabu": 0, "restart_steps": 10_000_000, "fixed_terms": None},
                (Ring.GF2, Ring.Z, Ring.ZT, Ring.Q),
                summary="Brent equations as CNF over GF(2) with python-sat; UNSAT proves impossibility"))
register(Method("als", "decomp.solvers.als",
                {"restarts": 20, "max_iter": 3000, "tol": 1e-12, "regularisation": (1e-2, 1e-3, 1e-4, 0.0),
                 "coefficients": None, "fit_tol": 1e-6, "max_norm": 1e3, "backend": "numpy",
                 "keep_going": False, "symmetry": "none", "fixed_terms": None},
                (Ring.Z, Ring.ZT, Ring.Q),
                summary="tensorly CP-ALS with regularisation schedule, snapped to exact coefficients"))
register(Method("rl", "decomp.solvers.rl.solver",
                {"checkpoint": None, "out": None, "device": "auto", "results": None, "max_moves": None,
                 "coefficients": None, "simulations": None, "samples": None, "parallel_games": None,
                 "warmup_steps": None, "train_per_round": None, "explore_moves": None, "dim": None,
                 "torso_layers": None, "batch": None, "lr": None, "lookahead": None, "complete_games": None},
                (Ring.GF2, Ring.Z, Ring.ZT), extra="rl",
                summary="AlphaTensor-style TensorGame agent: network + sampled MCTS, trained by self-play"))
register(Method("naive", "decomp.solvers.naive", {}, _ALL_RINGS,
                summary="the standard algorithm with n*m*p products"))
