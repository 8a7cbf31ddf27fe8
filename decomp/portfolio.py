"""Portfolio search: several methods and seeds spread over workers, every
improvement stored as it arrives and fed back as the next start point,
checkpoints for resuming, clean stop on SIGINT/SIGTERM.

Work is cut into short tasks (a time slice of one solver with one seed), so
the driver can checkpoint, move start points between methods and restart a
crashed worker's task without a home-made distributed system.
"""

from __future__ import annotations

import json
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .core.coefficients import store_ternary
from .core.errors import DecompError, FileFormatError
from .core.formats import Format
from .core.files import atomic_write_bytes
from .core.io import scheme_from_dict, scheme_to_dict
from .core.rings import Ring
from .core.scheme import Scheme
from .core.store import Catalogue
from .parallel import WorkerCrashed, make_executor
from .solvers.api import METHODS as REGISTRY
from .solvers.api import checked_seed, solve, spawned_seed

CHECKPOINT = "search.json"
# The option through which a method takes a start point: the best scheme so
# far becomes a flip walk's start and a SAT run's neighbourhood.
START_OPTION = {"flip": "start", "sat": "known"}
# Options a slice sets itself, or that would nest pools inside a pool worker.
SLICE_OPTIONS = {"start", "known", "workers", "walkers"}


def run_task(spec: dict) -> dict:
    """One solver slice (runs in a worker). Plain data in, plain data out."""
    opts = dict(spec.get("options") or {})
    if spec.get("start") is not None:
        opts[START_OPTION[spec["method"]]] = scheme_from_dict(spec["start"], where="start point")
    t0 = time.monotonic()
    try:
        try:
            res = solve(tuple(spec["fmt"]), spec["rank"], method=spec["method"], ring=spec["ring"],
                        seed=spec["seed"], time_limit=spec["slice"], **opts)
        except DecompError:
            if spec.get("start") is None:
                raise
            # a start this method's options cannot take (a cyclic walk from an
            # asymmetric scheme): the slice starts from the method's own start
            opts.pop("start", None), opts.pop("known", None)
            res = solve(tuple(spec["fmt"]), spec["rank"], method=spec["method"], ring=spec["ring"],
                        seed=spec["seed"], time_limit=max(1.0, spec["slice"] - (time.monotonic() - t0)), **opts)
    except DecompError as exc:  # e.g. a format too large for this method: reported, not fatal
        return {"method": spec["method"], "seed": spec["seed"], "error": str(exc), "scheme": None}
    return {"method": spec["method"], "seed": spec["seed"], "success": res.success, "status": res.status,
            "best_rank": res.best_rank, "seconds": time.monotonic() - t0,
            "scheme": scheme_to_dict(res.scheme) if res.scheme is not None else None}


@dataclass
class SearchState:
    fmt: list
    rank: int
    ring: str
    methods: list
    next_seed: int = 0
    tasks_done: int = 0
    crashed: int = 0
    elapsed: float = 0.0
    best: dict | None = None  # native JSON of the best scheme so far
    found: bool = False
    history: list = field(default_factory=list)  # [elapsed, method, rank]
    options: dict = field(default_factory=dict)  # method -> its solver options
    seed: int | None = None  # the run's seed; task k's seed is spawned from it

    def save(self, folder: Path) -> None:
        atomic_write_bytes(folder / CHECKPOINT, json.dumps(asdict(self)).encode())

    @classmethod
    def load(cls, folder: Path) -> "SearchState":
        path = folder / CHECKPOINT
        try:
            data = json.loads(path.read_text())
            state = cls(**data)
        except FileNotFoundError:
            raise FileFormatError(f"{path}: no checkpoint to resume from") from None
        except (json.JSONDecodeError, TypeError) as exc:
            raise FileFormatError(f"{path}: corrupt checkpoint ({exc.__class__.__name__})") from None
        if state.best is not None:
            scheme_from_dict(state.best, where=str(path))  # re-verified, never trusted
        return state


@dataclass(frozen=True)
class SearchResult:
    success: bool
    status: str
    scheme: Scheme | None
    best_rank: int | None
    state: SearchState
    backend: str
    errors: dict = field(default_factory=dict)  # method -> why it was dropped


def _task_ring(method: str, ring: Ring) -> str:
    """The ring a method's slices run over: the run's own, or for a method
    that cannot work there (als over gf2) z, whose schemes hold mod 2 too."""
    return ring.value if ring in REGISTRY[method].rings else Ring.Z.value


def _start_for(method: str, best: Scheme | None, ring: Ring, seed: int):
    """Feed improvements across methods: the best scheme (read mod 2 for the
    GF(2) methods) becomes the flip start point / SAT neighbourhood. Every
    other flip task starts from the standard algorithm instead: walkers all
    restarted from one scheme lose the diversity a long walk has."""
    if best is None or method not in START_OPTION or best.ring is Ring.Q:
        return None
    if method == "flip" and seed % 2:
        return None
    return scheme_to_dict(best.as_ring(Ring.GF2))


def _checked_options(options: dict | None, methods: list) -> dict:
    """Per-method options, refused in one line when the method is not in the
    run, or the option is not one of the method's (slices set start/known,
    seed and time limit themselves)."""
    out = {}
    for method, opts in (options or {}).items():
        if method not in methods:
            raise DecompError(f"options for {method}, which is not among the methods of this run "
                              f"({', '.join(methods)})")
        valid = set(REGISTRY[method].options) - SLICE_OPTIONS
        bad = sorted(set(opts) - valid)
        if bad:
            raise DecompError(f"unknown option(s) {', '.join(bad)} for {method} in a search: valid options are "
                              f"{', '.join(sorted(valid))}")
        out[method] = dict(opts)
    return out


def search(fmt, rank: int, ring="gf2", methods=("flip",), workers: int = 2, time_limit: float = 600.0,
           catalogue: Catalogue | None = None, checkpoint: Path | None = None, resume: bool = False,
           ray: str | None = None, slice_seconds: float = 20.0, keep_going: bool = False,
           callback=None, options: dict | None = None, seed: int | None = None) -> SearchResult:
    """options: {method: {option: value}}, passed to every slice of that
    method (a resumed run keeps its checkpoint's options unless new ones are given).
    seed: the run's seed (None: fresh entropy, kept in the checkpoint); task k
    runs with the k-th seed spawned from it."""
    fmt = Format.parse(fmt)
    ring = Ring.parse(ring)
    methods = list(methods)
    bad = [m for m in methods if m not in REGISTRY]
    if bad or not methods:
        raise DecompError(f"unknown method(s) {', '.join(bad) or '(none)'}: choose from {', '.join(REGISTRY)}")
    if all(ring not in REGISTRY[m].rings for m in methods):
        raise DecompError(f"{', '.join(methods)} cannot search over {ring.value} directly; add flip or sat")
    if rank < fmt.rank_lower_bound:
        raise DecompError(f"rank {rank} is impossible for {fmt} (at least {fmt.rank_lower_bound})")
    checkpoint = Path(checkpoint) if checkpoint else None
    if resume:
        if checkpoint is None:
            raise DecompError("--resume needs the checkpoint folder")
        state = SearchState.load(checkpoint)
        if (tuple(state.fmt), state.rank, state.ring) != (fmt.dims, rank, ring.value):
            raise DecompError(f"checkpoint is for {Format(*state.fmt)} rank {state.rank} over {state.ring}")
        if options:
            state.options = _checked_options(options, state.methods)
    else:
        state = SearchState(list(fmt.dims), rank, ring.value, methods, options=_checked_options(options, methods),
                            seed=checked_seed(seed))
    if state.seed is None:  # a checkpoint from before runs had seeds
        state.seed = checked_seed(None)
    best = scheme_from_dict(state.best) if state.best else None
    executor = make_executor(run_task, workers, ray)
    deadline = time.monotonic() + max(0.0, time_limit - state.elapsed)
    started = time.monotonic() - state.elapsed
    running: dict = {}
    errors: dict = {}
    stop = {"now": False}
    old_term = signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    status = "time_limit"

    def next_spec() -> dict:
        method = methods[state.next_seed % len(methods)]
        spec = {"fmt": list(fmt.dims), "rank": rank, "ring": _task_ring(method, ring), "method": method,
                "seed": spawned_seed(state.seed, state.next_seed),
                "slice": min(slice_seconds, max(1.0, deadline - time.monotonic())),
                "start": _start_for(method, best, ring, state.next_seed // len(methods)),
                "options": dict(state.options.get(method, {}))}
        state.next_seed += 1
        return spec

    def save():
        state.elapsed = time.monotonic() - started
        if checkpoint is not None:
            state.save(checkpoint)

    try:
        while True:
            while not stop["now"] and len(running) < max(1, int(workers)) and \
                    time.monotonic() < deadline and not (state.found and not keep_going):
                spec = next_spec()
                running[executor.submit(spec)] = spec
            if not running:
                break
            try:
                done = executor.wait_any(running.keys(), timeout=0.5)
            except KeyboardInterrupt:
                stop["now"] = True
                continue
            for handle in done:
                spec = running.pop(handle)
                try:
                    out = executor.result(handle)
                except WorkerCrashed:
                    state.crashed += 1
                    if not stop["now"] and time.monotonic() < deadline:
                        running[executor.submit(spec)] = spec  # restart the lost task
                    continue
                state.tasks_done += 1
                if out.get("error"):
                    errors[spec["method"]] = out["error"]
                    if spec["method"] in methods and len(methods) > 1:
                        methods.remove(spec["method"])  # it cannot handle this problem
                    elif spec["method"] in methods:
                        raise DecompError(f"{spec['method']}: {out['error']}")
                    continue
                best = _absorb(out, best, state, fmt, rank, ring, catalogue, started)
                if callback is not None and callback(dict(tasks=state.tasks_done, best_rank=best and best.rank,
                                                          found=state.found)):
                    stop["now"] = True
                save()
            if stop["now"]:
                status = "interrupted"
                break
            if state.found and not keep_going and not running:
                break
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        executor.shutdown()
        signal.signal(signal.SIGTERM, old_term)
        save()
    if state.found:
        status = "found"
    return SearchResult(state.found, status, best, best.rank if best else None, state, executor.name, errors)


def _absorb(out: dict, best, state: SearchState, fmt, rank, ring, catalogue, started):
    """Keep the task's scheme if it improves on the best; store it at once."""
    if out.get("scheme") is None:
        return best
    s = scheme_from_dict(out["scheme"], where=f"{out['method']} task")  # verified again here
    usable = s if s.ring is ring or (ring is Ring.Q and s.ring is not Ring.GF2) else None
    if usable is None and ring is Ring.GF2 and s.ring is not Ring.Q:
        usable = s.as_ring(Ring.GF2)
    if usable is None:
        return best
    if catalogue is not None and catalogue.add(s).added and ring is not Ring.GF2:
        store_ternary(catalogue, s)  # a new scheme over z may also be one over zt
    if best is None or usable.rank < best.rank:
        best = usable
        state.best = scheme_to_dict(best)
        state.history.append([round(time.monotonic() - started, 3), out["method"], best.rank])
    if best.rank <= rank:
        state.found = True
    return best
