"""Commands that search: solve (one method), search (a portfolio) and meta
(flip walks across formats). All store what they find; the solvers
themselves never write."""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import List, Optional

import typer

from ..core.coefficients import store_ternary
from ..core.errors import DecompError
from ..core.formats import Format
from ..core.io import scheme_to_dict, write_json
from ..core.targets import parse_format_or_target, read_target
from ..solvers.api import METHODS, SolveState, solve
from .common import (JsonOpt, MethodName, ResultsOpt, RingName, app, catalogue, console, emit_json, parse_options,
                     print_skipped, term_interrupts)


def progress_line(state: SolveState) -> str:
    """One status line from a solver's progress report."""
    c = state.counters
    secs = max(state.seconds, 1e-9)
    if "conflicts" in c:
        return f"{c['conflicts']} conflicts, {secs:.0f} s"
    if "games" in c:
        return f"{c['games']} games, {c.get('step', 0)} training steps, best rank {state.best_rank}"
    if "numeric_fits" in c:
        descents = (f", descents from {c['start_rank']}: {c['descents_reached']} reached the rank, lowest "
                    f"exact fit {c['lowest_reached']}") if "start_rank" in c else ""
        return (f"restart {c['restart']}, numeric fits {c['numeric_fits']}, exact {c['exact']}, "
                f"best residual {c['best_residual']:.1e}{descents}")
    if "violated" in c:
        return f"{c['steps']} steps in {c['tries']} tries, violated equations {c['violated']}"
    parts = [f"rank now {state.rank}", f"best {state.best_rank}"]
    if "flips" in c:
        parts += [f"{c['flips'] / secs / 1e6:.2f} M flips/s" + (" (one walker)" if state.walker is not None else ""),
                  f"plus transitions {c.get('plus_transitions', 0)}", f"restarts {c.get('restarts', 0)}"]
    if "pool_rank" in c:
        parts.append(f"pool rank {c['pool_rank']}, path {c['path']}")
    return ", ".join(parts)


# Without a terminal (a run in the background writing a log) a progress line
# goes to stderr whenever the best rank falls, and otherwise at most this often.
LOG_EVERY = 60.0


class ProgressLog:
    """A solve() callback for runs without a terminal, where a live status
    line cannot be drawn: an hour-long background run used to print nothing
    until it ended, so its log could not tell a walk stuck at its start from
    one that reached the target and failed to lift."""

    def __init__(self, prefix: str, every: float = LOG_EVERY, stream=None):
        self.prefix, self.every, self.stream = prefix, every, stream
        self.best, self.last = None, None

    def __call__(self, state: SolveState) -> bool:
        lower = state.best_rank is not None and (self.best is None or state.best_rank < self.best)
        if lower:
            self.best = state.best_rank
        now = time.monotonic()
        if lower or self.last is None or now - self.last >= self.every:
            self.last = now
            # the time of day: a meta run's slices each start their own solve() clock
            print(f"{time.strftime('%H:%M:%S')}  {self.prefix}: {progress_line(state)}",
                  file=self.stream or sys.stderr, flush=True)
        return False


def _solve_and_store(fmt, rank, method, ring, seed, time_limit, options, quiet, cat):
    """solve() with every improvement stored as it arrives (when cat is
    given) and a live status line on a terminal, a progress log on stderr
    without one. Returns the result and how the catalogue took the scheme
    found ('added' also when the run stored it on the way), or None."""
    live = not quiet and console.is_terminal
    with console.status(f"{method}: searching {fmt} rank {rank}") if live else nullcontext() as status:
        def show(state: SolveState) -> bool:
            status.update(f"{method} {fmt} -> {rank}: " + progress_line(state))
            return False

        progress = show if live else None if quiet else ProgressLog(f"{method} {fmt} -> {rank}")
        keeper = cat.storing(then=progress) if cat is not None else None
        callback = keeper or progress
        with term_interrupts():
            res = solve(fmt, rank, method=method, ring=ring, seed=seed, time_limit=time_limit, callback=callback,
                        **options)
    stored = zt = None
    # A run that misses its target still returns its best verified scheme
    # (over Z: the best that lifted, which no improvement stored on the way).
    if keeper is not None and res.scheme is not None:
        stored = cat.add(res.scheme)
        if stored.status == "duplicate" and stored.path in keeper.added:
            stored = replace(stored, status="added")
        zt = store_ternary(cat, res.scheme) if stored.status == "added" else None
    return res, stored, zt


def _source_schemes(sources) -> list:
    """The verified schemes of the --sources folders (solve and meta), each
    file that failed to load or verify reported as a skipped line."""
    from ..meta import folder_schemes

    schemes = []
    for folder in sources:
        report = folder_schemes(folder)
        print_skipped(report.errors)
        schemes += [s for _, s in report.schemes]
    return schemes


def _catalogue_start(kind: str, fmt, ring: str, results, ternary: bool = False, sources=()):
    """meta.catalogue_start over every scheme of the catalogue and of the
    --sources folders (imports kept out of the catalogue: a walk from the
    projection of AlphaEvolve's 3x4x8 stores only what it finds)."""
    from ..meta import catalogue_start

    schemes = [s for _, s in catalogue(results).load().schemes] + _source_schemes(sources)
    return catalogue_start(kind, schemes, fmt, ring, ternary)


@app.command("solve")
def solve_cmd(
    format: Optional[str] = typer.Argument(None, help="format, e.g. 3x3x3 (or use --target)"),
    target: Optional[str] = typer.Option(None, "--target", help="complex, poly:D, mv:N,M, sym-mv:N, skew-mv:N"),
    target_file: Optional[Path] = typer.Option(None, "--target-file", help="a target tensor (JSON or npz)"),
    rank: int = typer.Option(..., "--rank", "-r", help="target rank (number of products)"),
    method: MethodName = typer.Option(MethodName("flip" if "flip" in METHODS else "naive"), "--method", "-m"),
    ring: RingName = typer.Option(RingName("gf2"), "--ring"),
    seed: Optional[int] = typer.Option(None, "--seed", help="default: fresh entropy, printed and kept in provenance"),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", help="seconds"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="parallel walkers/processes (flip)"),
    lift: Optional[bool] = typer.Option(None, "--lift/--no-lift", help="lift GF(2) results to Z (flip, sat)"),
    start: Optional[str] = typer.Option(None, "--start",
                                        help="start point (flip; als reduces it by continuation): naive, a "
                                             "scheme file, combined (the combination DP's scheme over the "
                                             "catalogue), projected (the best projection of a stored scheme of a "
                                             "larger format), "
                                             "extended (the cheapest extensions of the stored schemes one "
                                             "index smaller, along every axis that grows: a pool), stored (a "
                                             "pool: every stored scheme of the format at "
                                             "its lowest rank) or a folder of scheme files (the same pool "
                                             "over them)"),
    sources: List[Path] = typer.Option([], "--sources",
                                       help="a folder of scheme files (imports, another catalogue) that --start "
                                            "combined|projected|extended|stored builds from besides the "
                                            "catalogue; results still go to the catalogue (repeatable)"),
    symmetry: Optional[str] = typer.Option(None, "--symmetry",
                                           help="cyclic: cyclic-symmetric schemes (flip, sat; als fits; n x n x n)"),
    restarts: Optional[int] = typer.Option(None, "--restarts", help="random restarts (als)"),
    proof: Optional[Path] = typer.Option(None, "--proof", help="write a DRAT proof of impossibility (sat)"),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="trained agent folder (rl)"),
    option: List[str] = typer.Option([], "--option", "-o", help="method option key=value (repeatable)"),
    out: Optional[Path] = typer.Option(None, "--out", help="write the scheme found as native JSON"),
    store: bool = typer.Option(True, "--store/--no-store", help="add the schemes found to the catalogue"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Look for a scheme of the given rank with one method."""
    options = parse_options(option)
    if symmetry is not None and method.value not in ("flip", "sat", "als"):
        raise DecompError(f"--symmetry is an option of flip, sat and als (cyclic-symmetric schemes), "
                          f"not of {method.value}")
    for key, value in (("workers", workers), ("lift", lift), ("start", start), ("symmetry", symmetry),
                       ("restarts", restarts),
                       ("proof", str(proof) if proof else None),
                       ("checkpoint", str(checkpoint) if checkpoint else None)):
        if value is not None:
            options[key] = value
    given = [x for x in (format, target, target_file) if x is not None]
    if len(given) != 1:
        raise DecompError("give exactly one of FORMAT, --target or --target-file")
    fmt = Format.parse(format) if format else parse_format_or_target(target) if target else read_target(target_file)
    if getattr(fmt, "kind", None) == "file":
        store = False  # file targets are not kept in the catalogue
    from ..meta import CATALOGUE_STARTS
    from ..solvers.flip.solver import walk_ring_of

    if sources and start not in CATALOGUE_STARTS:
        raise DecompError(f"--sources feeds --start {', '.join(CATALOGUE_STARTS)}; "
                          f"give one of them (--start FOLDER reads a folder by itself)")
    if start in CATALOGUE_STARTS or (start is not None and Path(start).is_dir()):
        ternary = walk_ring_of(ring.value, fmt, options.get("walk_ring"), options.get("symmetry", "none")) == "zt"
        if start in CATALOGUE_STARTS:
            options["start"] = _catalogue_start(start, fmt, ring.value, results, ternary, sources)
        else:  # a folder of scheme files: a pool, as --start stored over another catalogue
            from ..meta import folder_starts

            options["start"], skipped = folder_starts(start, fmt, ring.value, ternary)
            print_skipped(skipped)
    cat = catalogue(results) if store else None
    res, stored, zt = _solve_and_store(fmt, rank, method.value, ring.value, seed, time_limit, options, json_out, cat)
    if res.scheme is not None and res.success and out is not None:
        write_json(res.scheme, out)
    if json_out:
        d = res.to_dict()
        d["stored"] = stored.status if stored else None
        d["stored_zt"] = zt.status if zt else None
        emit_json(d)
        return 0 if res.success else 1
    colour = "green" if res.success else "yellow"
    console.print(f"[{colour}]{res.status}[/{colour}]: {res.message} (seed {res.seed})")
    summary = {k: res.extra[k] for k in ("restarts", "numeric_fits", "exact", "best_residual", "flips",
                                         "plus_transitions", "lift", "conflicts", "games", "steps")
               if k in res.extra}
    if summary:
        console.print(", ".join(f"{k.replace('_', ' ')}: {v:.2e}" if isinstance(v, float) else
                                f"{k.replace('_', ' ')}: {v}" for k, v in summary.items()), highlight=False)
    if res.scheme is not None:
        s = res.scheme
        console.print(f"{fmt} rank {s.rank} over {s.ring.value}: {s.verify()}; "
                      f"nnz {s.nnz}, additions {s.additions}; {res.wall_time:.2f} s")
    if stored:
        console.print(f"catalogue: {stored.status}" + (f" ({stored.path})" if stored.path else ""))
    if zt:
        console.print(f"catalogue over zt (a change of basis to {{-1, 0, 1}}): {zt.status}"
                      + (f" ({zt.path})" if zt.path else ""))
    if out is not None and res.success:
        console.print(f"wrote {out}")
    return 0 if res.success else 1


@app.command()
def search(
    format: str = typer.Argument(...),
    rank: int = typer.Option(..., "--rank"),
    ring: RingName = typer.Option(RingName("gf2"), "--ring"),
    methods: str = typer.Option("flip,sat", "--methods", help="comma-separated methods (decomp solve --help)"),
    workers: int = typer.Option(2, "--workers", "-w"),
    ray: Optional[str] = typer.Option(None, "--ray", help="local (start Ray here), auto or a cluster address"),
    time_limit: float = typer.Option(600.0, "--time-limit"),
    slice_seconds: float = typer.Option(20.0, "--slice", help="seconds per task before start points move"),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="folder for the run's checkpoint"),
    resume: Optional[Path] = typer.Option(None, "--resume", help="continue the run checkpointed in this folder"),
    keep_going: bool = typer.Option(False, "--keep-going", help="keep searching for alternatives after a success"),
    seed: Optional[int] = typer.Option(None, "--seed",
                                       help="the run's seed (default: fresh entropy, kept in the checkpoint)"),
    option: List[str] = typer.Option([], "--option", "-o",
                                     help="method.key=value for one method's slices, e.g. flip.symmetry=cyclic"),
    out: Optional[Path] = typer.Option(None, "--out"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Portfolio run: methods and seeds over workers (local pool or Ray);
    improvements are stored as they arrive and feed the other methods."""
    from ..portfolio import search as run_search

    fmt = Format.parse(format)
    cat = catalogue(results)
    folder = resume or checkpoint
    per_method: dict = {}
    for key, value in parse_options(option).items():
        method, dot, name = key.partition(".")
        if not dot or not method or not name:
            raise DecompError(f"search option {key!r} must name its method: method.key=value, e.g. flip.plateau=2000")
        per_method.setdefault(method, {})[name] = value
    res = run_search(fmt, rank, ring.value, [m.strip() for m in methods.split(",") if m.strip()], workers,
                     time_limit, cat, folder, resume is not None, ray, slice_seconds, keep_going,
                     options=per_method, seed=seed)
    if res.scheme is not None and res.success and out is not None:
        write_json(res.scheme, out)
    st = res.state
    if json_out:
        emit_json({"success": res.success, "status": res.status, "best_rank": res.best_rank,
                   "backend": res.backend, "tasks": st.tasks_done, "crashed": st.crashed,
                   "seconds": round(st.elapsed, 3), "history": st.history, "errors": res.errors,
                   "scheme": scheme_to_dict(res.scheme) if res.scheme is not None else None})
    else:
        colour = "green" if res.success else "yellow"
        console.print(f"[{colour}]{res.status}[/{colour}]: best rank {res.best_rank} for {fmt} over {ring.value} "
                      f"({res.backend}, {st.tasks_done} tasks, {st.crashed} restarted, {st.elapsed:.1f} s)")
        for t, method, r in st.history:
            console.print(f"  {t:8.2f} s  {method:5s} -> rank {r}")
        for method, why in res.errors.items():
            console.print(f"  [yellow]{method} dropped: {why}[/yellow]")
        if folder:
            console.print(f"checkpoint: {Path(folder) / 'search.json'}")
    return 0 if res.success else 1


@app.command()
def meta(
    formats: str = typer.Argument(..., help="the family of formats, e.g. 4x4x4,4x4x5,4x5x5"),
    ring: RingName = typer.Option(RingName("gf2"), "--ring"),
    time_limit: float = typer.Option(600.0, "--time-limit", help="seconds for the whole run"),
    slice_seconds: float = typer.Option(60.0, "--slice", help="seconds per walk before the next format"),
    workers: int = typer.Option(1, "--workers", "-w", help="walkers per slice"),
    seed: Optional[int] = typer.Option(None, "--seed", help="default: fresh entropy, printed"),
    option: List[str] = typer.Option([], "--option", "-o", help="flip option key=value for every slice"),
    kinds: str = typer.Option("own,extended,projected", "--kinds",
                              help="edge kinds a slice draws its start from: own (the format's best; the "
                                   "combination DP's where the catalogue has none), extended "
                                   "(a smaller format's plus a slice), projected (a larger format's cut down)"),
    sources: List[Path] = typer.Option([], "--sources",
                                       help="a folder of scheme files (imports) that extensions and projections "
                                            "are built from besides the catalogue; never stored as they are, "
                                            "and a format's best stays the catalogue's (repeatable)"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Meta flip-graph search: walks over a family of formats in turn, each
    from its own best (the combination DP's scheme where the catalogue holds
    none), an extension of a smaller format's or a projection of a larger
    one's; what a slice reaches below (or new at) a format's best is
    stored as the slice ends (a new best also the moment a walk reports it).
    Ctrl-C or SIGTERM ends the run after storing the running slice's scheme."""
    from ..core.records import best_known
    from ..meta import MetaSearch, parse_family
    from ..solvers.api import checked_seed

    family = parse_family(formats)
    if not time_limit > 0 or not slice_seconds > 0:
        raise DecompError("--time-limit and --slice must be positive")
    options = parse_options(option)
    for reserved in ("start", "workers"):
        if reserved in options:
            raise DecompError(f"meta sets the flip option {reserved!r} itself (use --workers for walkers)")
    seed = checked_seed(seed)
    def progress(fmt, kind, source):  # without a terminal, a line now and then within each slice
        return None if json_out or console.is_terminal else ProgressLog(f"{fmt} {kind} {source}")

    search = MetaSearch(family, ring.value, catalogue(results), seed, slice_seconds, workers, options=options,
                        progress=progress, kinds=kinds, sources=_source_schemes(sources))
    print_skipped(search.load_errors)  # unreadable catalogue files: left on disk, named, not walked from
    before = {fmt: search.best_rank(fmt) for fmt in family}

    def show(step) -> None:
        if not json_out:
            mark = f"  [green]stored ({step.stored})[/green]" if step.stored else ""
            mark += f"  [green]zt ({step.ternary})[/green]" if step.ternary else ""
            if step.reached_gf2 is not None:
                mark += f"  gf2 walks {step.reached_gf2}" + (f" [green]stored ({step.stored_gf2})[/green]"
                                                            if step.stored_gf2 else "")
            reached = step.reached if step.reached is not None else f"nothing valid over {ring.value}"
            console.print(f"{step.fmt}: {step.kind:9s} {step.source} -> {reached} "
                          f"(best {step.best_before}, {step.seconds:.1f} s){mark}")

    if not json_out:
        console.print(f"meta search over {', '.join(map(str, family))} ({ring.value}), seed {seed}")
    with term_interrupts():
        search.run(time_limit, on_step=show)
    rows = []
    for fmt in family:
        record = best_known(fmt, ring.value)
        rows.append({"format": str(fmt), "before": before[fmt], "after": search.best_rank(fmt),
                     "record": record.rank if record is not None else None})
    if json_out:
        emit_json({"seed": seed, "ring": ring.value, "interrupted": search.interrupted, "formats": rows,
                   "steps": [{"format": str(s.fmt), "kind": s.kind, "source": s.source, "start_rank": s.start_rank,
                              "reached": s.reached, "best_before": s.best_before, "stored": s.stored,
                              "stored_zt": s.ternary or None, "reached_gf2": s.reached_gf2,
                              "stored_gf2": s.stored_gf2 or None,
                              "seconds": round(s.seconds, 3)} for s in search.steps]})
    else:
        for row in rows:
            record = "" if row["record"] is None else f", record {row['record']}"
            console.print(f"{row['format']}: {row['before']} -> {row['after']}{record}")
    return 0 if any(r["after"] < r["before"] for r in rows) else 1
