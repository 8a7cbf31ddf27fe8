"""The `decomp` command line: parses arguments and calls the library."""

from __future__ import annotations

import enum
import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from .core.errors import DecompError, MissingDependencyError
from .core.formats import Format
from .core.io import BUNDLED_ALPHATENSOR, read_alphatensor, read_schemes, scheme_to_dict, write_json
from .core.render import algorithm_lines
from .core.rings import Ring
from .core.store import Catalogue, default_root
from .core.targets import parse_format_or_target
from .solvers.api import METHODS, solve


def _usage_error_types() -> tuple:
    """Click's usage-error base class: typer >= 0.20 carries its own copy of
    click, older typer uses the click package; catch whichever is in use."""
    found = []
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(__import__(name, fromlist=["ClickException"]).ClickException)
        except (ImportError, AttributeError):
            pass
    return tuple(found)


_USAGE_ERRORS = _usage_error_types()

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Discover, verify and use fast matrix multiplication schemes.")
import_app = typer.Typer(no_args_is_help=True, help="Import schemes from other projects' files.")
app.add_typer(import_app, name="import")

console = Console()
err = Console(stderr=True)

RingName = enum.Enum("RingName", {r.name: r.value for r in Ring}, type=str)
MethodName = enum.Enum("MethodName", {m: m for m in METHODS}, type=str)

ResultsOpt = typer.Option(None, "--results", help="catalogue folder (default ./results or $DECOMP_RESULTS)")
JsonOpt = typer.Option(False, "--json", help="print one JSON object instead of tables")


def _catalogue(results: Optional[Path]) -> Catalogue:
    return Catalogue(results if results is not None else default_root())


def _emit_json(obj) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")


def _parse_options(pairs: List[str]) -> dict:
    """--option key=value pairs, values read as JSON when they parse."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise DecompError(f"option {pair!r} must be written key=value")
        key, value = pair.split("=", 1)
        try:
            out[key.strip().replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip().replace("-", "_")] = value
    return out


# ----------------------------------------------------------------- verify
@app.command()
def verify(
    files: List[Path] = typer.Argument(..., help="scheme files: native .json or AlphaTensor .npz"),
    json_out: bool = JsonOpt,
):
    """Check schemes exactly and print format, rank, ring, validity, nnz."""
    rows = []
    for path in files:
        for s in read_schemes(path):
            rows.append({"file": str(path), "format": str(s.fmt), "rank": s.rank, "ring": s.ring.value,
                         "valid": s.verify().ok, "nnz": s.nnz, "additions": s.additions,
                         "valid_rings": [r.value for r in s.valid_rings()],
                         "source": s.provenance.get("source")})
    if json_out:
        _emit_json(rows)
    else:
        table = Table(title=f"{len(rows)} scheme(s)")
        for col in ("file", "format", "rank", "ring", "valid", "nnz", "additions", "also valid over"):
            table.add_column(col)
        for r in rows:
            table.add_row(Path(r["file"]).name + (f" [{r['source'].rsplit(':', 1)[-1]}]" if r["source"] else ""),
                          r["format"], str(r["rank"]), r["ring"], "yes" if r["valid"] else "NO",
                          str(r["nnz"]), str(r["additions"]), ",".join(r["valid_rings"]))
        console.print(table)
    return 0 if all(r["valid"] for r in rows) else 1


# ----------------------------------------------------------------- import
@import_app.command("alphatensor")
def import_alphatensor(
    files: Optional[List[Path]] = typer.Argument(
        None, help="AlphaTensor npz files (default: the two published files shipped with decomp)"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Verify every scheme of AlphaTensor npz files and add them to the catalogue."""
    cat = _catalogue(results)
    counts = {"schemes": 0, "added": 0, "duplicate": 0, "worse": 0}
    for file in files or BUNDLED_ALPHATENSOR:
        schemes = read_alphatensor(file)  # all verified before anything is stored
        counts["schemes"] += len(schemes)
        for s in schemes:
            counts[cat.add(s).status] += 1
    if json_out:
        _emit_json({"files": [str(f) for f in files or BUNDLED_ALPHATENSOR], **counts,
                    "catalogue": str(cat.root)})
    else:
        console.print(f"{counts['schemes']} schemes verified; added {counts['added']}, "
                      f"already stored {counts['duplicate']}, worse than stored {counts['worse']} "
                      f"-> {cat.root}")
    return 0


# ------------------------------------------------------------------- list
@app.command("list")
def list_(results: Optional[Path] = ResultsOpt, json_out: bool = JsonOpt):
    """Summarise the catalogue: per format and ring, how many schemes, best rank."""
    cat = _catalogue(results)
    groups: dict = {}
    for e in cat.entries():
        g = groups.setdefault((e.fmt, e.ring.value), [])
        g.append(e.rank)
    total = sum(len(v) for v in groups.values())
    if json_out:
        _emit_json({"catalogue": str(cat.root), "schemes": total,
                    "formats": [{"format": str(f), "ring": r, "count": len(v), "best_rank": min(v)}
                                for (f, r), v in groups.items()]})
        return 0
    table = Table(title=f"{total} schemes in {cat.root}")
    for col in ("format", "ring", "schemes", "best rank", "naive"):
        table.add_column(col, justify="right" if col != "ring" else "left")
    for (f, r), v in groups.items():
        table.add_row(str(f), r, str(len(v)), str(min(v)), str(f.naive_rank))
    console.print(table)
    return 0


# ------------------------------------------------------------------- show
@app.command()
def show(
    format: str = typer.Argument(..., help="e.g. 2x2x2"),
    ring: Optional[RingName] = typer.Option(None, "--ring", help="only schemes stored over this ring"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """The stored schemes of a format and the best one written out."""
    fmt = parse_format_or_target(format)
    cat = _catalogue(results)
    report = cat.load(fmt, ring.value if ring else None)
    for path, msg in report.errors:
        err.print(f"[yellow]skipped {path}: {msg}[/yellow]")
    schemes = sorted((s for _, s in report.schemes), key=lambda s: (s.rank, s.ring is not Ring.Z, s.nnz))
    if not schemes:
        raise DecompError(f"no stored scheme for {fmt}" + (f" over {ring.value}" if ring else "") +
                          f" in {cat.root}")
    best = schemes[0]
    if json_out:
        _emit_json({"format": str(fmt), "schemes": [
            {"path": str(p), "rank": s.rank, "ring": s.ring.value, "nnz": s.nnz,
             "additions": s.additions, "provenance": s.provenance} for p, s in report.schemes],
            "best": scheme_to_dict(best), "algorithm": algorithm_lines(best)})
        return 0
    table = Table(title=f"{len(schemes)} stored scheme(s) for {fmt}")
    for col in ("rank", "ring", "nnz", "additions", "method", "source"):
        table.add_column(col)
    for s in schemes:
        table.add_row(str(s.rank), s.ring.value, str(s.nnz), str(s.additions),
                      str(s.provenance.get("method")), str(s.provenance.get("source") or ""))
    console.print(table)
    what = (f"computes C = A B, A {fmt.n}x{fmt.m}, B {fmt.m}x{fmt.p}" if isinstance(fmt, Format)
            else f"computes {fmt.meaning or fmt.name}")
    console.print(f"\n[bold]Best: rank {best.rank} over {best.ring.value}[/bold] ({what})")
    for line in algorithm_lines(best):
        console.print(line, highlight=False)
    return 0


# ------------------------------------------------------------------ solve
def _solve_with_progress(fmt, rank, method, ring, seed, time_limit, options, quiet):
    """solve() with a live status line driven by the solver's callback."""
    if quiet or not console.is_terminal:
        return solve(fmt, rank, method=method, ring=ring, seed=seed, time_limit=time_limit, **options)
    with console.status(f"{method}: searching {fmt} rank {rank}") as status:
        def callback(state: dict) -> bool:
            secs = max(state.get("seconds", 0.0), 1e-9)
            parts = [f"rank now {state.get('rank')}", f"best {state.get('best_rank')}"]
            if "flips" in state:
                parts.append(f"{state['flips'] / secs / 1e6:.2f} M flips/s")
                parts.append(f"plus transitions {state.get('plus_transitions', 0)}")
                parts.append(f"restarts {state.get('restarts', 0)}")
            if "pool_rank" in state:
                parts.append(f"pool rank {state['pool_rank']}, path {state['path']}")
            if "restart" in state:
                parts = [f"restart {state['restart']}/{options.get('restarts', 20)}",
                         f"numeric fits {state['numeric_fits']}", f"exact {state['exact']}",
                         f"best residual {state['best_residual']:.1e}"]
            if "games" in state:
                parts = [f"{state['games']} games", f"{state.get('step', 0)} training steps",
                         f"best rank {state.get('best_rank')}"]
            if "conflicts" in state:
                parts = [f"{state['conflicts']} conflicts", f"{secs:.0f} s"]
            status.update(f"{method} {fmt} -> {rank}: " + ", ".join(parts))
            return False

        return solve(fmt, rank, method=method, ring=ring, seed=seed, time_limit=time_limit,
                     callback=callback, **options)


@app.command("solve")
def solve_cmd(
    format: Optional[str] = typer.Argument(None, help="format, e.g. 3x3x3 (or use --target)"),
    target: Optional[str] = typer.Option(None, "--target", help="complex, poly:D, mv:N,M, sym-mv:N, skew-mv:N"),
    target_file: Optional[Path] = typer.Option(None, "--target-file", help="a target tensor (JSON or npz)"),
    rank: int = typer.Option(..., "--rank", "-r", help="target rank (number of products)"),
    method: MethodName = typer.Option(MethodName("flip" if "flip" in METHODS else "naive"), "--method", "-m"),
    ring: RingName = typer.Option(RingName("gf2"), "--ring"),
    seed: Optional[int] = typer.Option(None, "--seed"),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", help="seconds"),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="parallel walkers/processes (flip)"),
    lift: Optional[bool] = typer.Option(None, "--lift/--no-lift", help="lift GF(2) results to Z (flip, sat)"),
    start: Optional[str] = typer.Option(None, "--start", help="start point: naive or a scheme file (flip)"),
    symmetry: Optional[str] = typer.Option(None, "--symmetry",
                                           help="cyclic: cyclic-symmetric schemes (flip, sat; als fits; n x n x n)"),
    restarts: Optional[int] = typer.Option(None, "--restarts", help="random restarts (als)"),
    proof: Optional[Path] = typer.Option(None, "--proof", help="write a DRAT proof of impossibility (sat)"),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="trained agent folder (rl)"),
    option: List[str] = typer.Option([], "--option", "-o", help="method option key=value (repeatable)"),
    out: Optional[Path] = typer.Option(None, "--out", help="write the scheme found as native JSON"),
    store: bool = typer.Option(True, "--store/--no-store", help="add the scheme found to the catalogue"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Look for a scheme of the given rank with one method."""
    options = _parse_options(option)
    if symmetry is not None and method.value not in ("flip", "sat", "als"):
        raise DecompError(f"--symmetry is an option of flip, sat and als (cyclic-symmetric schemes), "
                          f"not of {method.value}")
    for key, value in (("workers", workers), ("lift", lift), ("start", start), ("symmetry", symmetry),
                       ("restarts", restarts),
                       ("proof", str(proof) if proof else None),
                       ("checkpoint", str(checkpoint) if checkpoint else None)):
        if value is not None:
            options[key] = value
    from .core.targets import read_target

    given = [x for x in (format, target, target_file) if x is not None]
    if len(given) != 1:
        raise DecompError("give exactly one of FORMAT, --target or --target-file")
    fmt = Format.parse(format) if format else parse_format_or_target(target) if target else read_target(target_file)
    if getattr(fmt, "kind", None) == "file":
        store = False  # file targets are not kept in the catalogue
    valid = METHODS[method.value].options
    if store and "results" in valid and "results" not in options:
        options["results"] = str(_catalogue(results).root)  # improvements land as they are found
    res = _solve_with_progress(fmt, rank, method.value, ring.value, seed, time_limit, options, json_out)
    stored = None
    if res.scheme is not None and res.success:
        if store:
            stored = _catalogue(results).add(res.scheme)
        if out is not None:
            write_json(res.scheme, out)
    if json_out:
        d = res.to_dict()
        d["stored"] = stored.status if stored else None
        _emit_json(d)
    else:
        colour = "green" if res.success else "yellow"
        console.print(f"[{colour}]{res.status}[/{colour}]: {res.message}")
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
        if out is not None and res.success:
            console.print(f"wrote {out}")
    return 0 if res.success else 1




# ------------------------------------------------------------------ train
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
    from .solvers.rl.checkpoint import CONFIG
    from .solvers.rl.train import Agent, config_for

    if steps < 0:
        raise DecompError(f"--steps must be >= 0, got {steps}")
    if time_limit is not None and time_limit <= 0:
        raise DecompError(f"--time-limit must be positive, got {time_limit}")
    settings = _parse_options(option)
    cat = str(_catalogue(results).root) if store else None
    fmt = parse_format_or_target(format)
    if getattr(fmt, "kind", None) == "file":
        raise DecompError("train takes a format or a named target; file targets are not supported")
    if (out / CONFIG).exists():
        if not resume:
            raise DecompError(f"{out} already holds a checkpoint: pass --resume to continue it, "
                              "or choose another --out")
        agent = Agent.load(out, device=device, results=cat, overrides=settings)
        if agent.fmt != fmt or agent.ring.value != ring.value:
            raise DecompError(f"{out} was trained for {agent.fmt} over {agent.ring.value}, not {fmt} over {ring.value}")
    else:
        if resume:
            raise DecompError(f"nothing to resume: {out} holds no checkpoint")
        agent = Agent(config_for(fmt, ring.value, seed=seed, **settings), device=device, results=cat)
    log = out / "log.jsonl"

    def progress(entry: dict) -> bool:
        if not json_out:
            err.print(f"step {entry['step']}: games {entry['games']}, best rank {entry['best_rank']}, "
                      f"policy loss {entry.get('policy_loss', float('nan')):.3f}, "
                      f"value loss {entry.get('value_loss', float('nan')):.3f}", highlight=False)
        return False

    try:
        agent.run(steps=steps, time_limit=time_limit, callback=progress, out=out, log_path=log)
    except KeyboardInterrupt:
        agent.save(out)
        err.print(f"interrupted: checkpoint saved in {out} at step {agent.step}")
        raise typer.Exit(130)
    if plot is not None:
        _plot_training(log, plot, f"{fmt} over {ring.value}")
    summary = {"format": str(fmt), "ring": ring.value, "steps": agent.step, "games": agent.games,
               "best_rank": agent.best.rank if agent.best else None, "checkpoint": str(out),
               "first_found": {str(k): v for k, v in agent.first_found.items()}, "device": agent.device}
    if json_out:
        _emit_json(summary)
    else:
        console.print(f"trained {fmt} over {ring.value} to step {agent.step} ({agent.games} games, "
                      f"{agent.device}); best rank played: {summary['best_rank']}; checkpoint in {out}")
    return 0


def _plot_training(log: Path, path: Path, title: str) -> None:
    from .plotting import pyplot, save_png

    rows = []
    for line in log.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue                         # a line cut by an interrupted run
    plt = pyplot("--plot")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    steps = [r["step"] for r in rows if "policy_loss" in r]
    ax1.plot(steps, [r["policy_loss"] for r in rows if "policy_loss" in r], label="policy")
    ax1.plot(steps, [r["value_loss"] for r in rows if "policy_loss" in r], label="value")
    ax1.set_xlabel("training step")
    ax1.set_ylabel("loss")
    ax1.legend()
    ranked = [r for r in rows if r.get("best_rank") is not None]
    ax2.step([r["games"] for r in ranked], [r["best_rank"] for r in ranked], where="post")
    ax2.set_xlabel("self-play games")
    ax2.set_ylabel("best rank played")
    fig.suptitle(title)
    fig.tight_layout()
    save_png(fig, path)


# ---------------------------------------------------------------- combine
@app.command()
def combine(
    max_dim: int = typer.Option(12, "--max", help="largest dimension of the table (<= 16)"),
    ring: RingName = typer.Option(RingName("z"), "--ring"),
    recombine_max: int = typer.Option(12, "--recombine-max", help="largest target dimension tried by recombination"),
    materialise: List[str] = typer.Option([], "--materialise", help="format to build as a verified scheme"),
    out: Optional[Path] = typer.Option(None, "--out", help="file for the materialised scheme (one format)"),
    store: bool = typer.Option(False, "--store/--no-store", help="add materialised schemes to the catalogue"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Best ranks for every format up to --max from the catalogue's schemes
    by products, direct sums, permutations and recombination."""
    from .core.recipes import build_table
    from .table import build_rows, write_outputs

    cat = _catalogue(results)
    loaded = cat.load()
    for path, msg in loaded.errors:
        err.print(f"[yellow]skipped {path}: {msg}[/yellow]")
    if out is not None and len(materialise) != 1:
        raise DecompError("--out writes one scheme: give exactly one --materialise FORMAT")
    table = build_table([s for _, s in loaded.schemes], max_dim=max_dim, ring=ring.value,
                        recombine_max=recombine_max)
    built = []
    for text in materialise:
        fmt = Format.parse(text)
        s = table.materialise(fmt).require_valid()
        built.append(s)
        if out is not None:
            write_json(s, out)
        if store:
            cat.add(s)
    ranks = {d: r.rank for d, r in table.recipes.items() if 2 <= d[0] <= d[1] <= d[2]}
    rows = build_rows(cat, ring.value, combined=ranks, max_dim=max_dim)
    if cat.root.exists() or store:
        write_outputs(rows, cat.root / "TABLE.md", cat.root / "table.csv")
    if json_out:
        _emit_json({"ring": ring.value, "max": max_dim, "seconds": round(table.seconds, 3),
                    "ranks": {str(Format(*d)): r for d, r in sorted(ranks.items())},
                    "materialised": [{"format": str(s.fmt), "rank": s.rank, "valid": s.verify().ok}
                                     for s in built]})
        return 0
    console.print(f"combination table up to {max_dim} over {ring.value} in {table.seconds:.1f} s "
                  f"from {len(table.bases)} stored formats")
    _print_rows(rows)
    for s in built:
        console.print(f"materialised {s.fmt} rank {s.rank}: {s.verify()}" + (f" -> {out}" if out else ""))
        for line in table.explain(s.fmt):
            console.print("  " + line, highlight=False)
    return 0


def _print_rows(rows) -> None:
    from .table import HEADER, METHOD_COLUMNS, _cells

    # Only the method columns that hold a rank: the table must fit a terminal.
    empty = {m for m in METHOD_COLUMNS if all(r.ours.get(m) is None for r in rows)}
    keep = [i for i, col in enumerate(HEADER) if col != "source" and col not in empty]
    t = Table()
    for i in keep:
        col = HEADER[i]
        t.add_column(col, justify="right" if col not in ("format", "ring") else "left", no_wrap=True)
    for r in rows:
        cells = _cells(r)
        gap = r.gap
        style = None if gap is None else "green" if gap <= 0 else "yellow"
        t.add_row(*(cells[i] for i in keep), style=style)
    console.print(t)


@app.command()
def table(
    ring: RingName = typer.Option(RingName("z"), "--ring"),
    max_dim: int = typer.Option(12, "--max"),
    combined: bool = typer.Option(True, "--combined/--no-combined", help="include the combination DP column"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="write a heat map PNG of our rank - best known"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Our best rank per format and method next to the best known ranks;
    also written to <results>/TABLE.md and table.csv."""
    from .core.recipes import build_table
    from .table import build_rows, plot_gaps, write_outputs

    cat = _catalogue(results)
    ranks = None
    if combined:
        schemes = [s for _, s in cat.load().schemes]
        tab = build_table(schemes, max_dim=max_dim, ring=ring.value, recombine_max=min(8, max_dim))
        ranks = {d: r.rank for d, r in tab.recipes.items()
                 if 2 <= d[0] <= d[1] <= d[2] and r.kind != "naive"}
    rows = build_rows(cat, ring.value, combined=ranks, max_dim=max_dim)
    if not rows:
        raise DecompError(f"the catalogue {cat.root} has no scheme usable over {ring.value}")
    write_outputs(rows, cat.root / "TABLE.md", cat.root / "table.csv")
    if plot is not None:
        plot_gaps(rows, plot)
    if json_out:
        _emit_json([{"format": str(r.fmt), "ring": r.ring, "best_known": r.best_known, "source": r.source,
                     "ours": r.ours, "best": r.best, "gap": r.gap, "seconds": r.seconds} for r in rows])
        return 0
    _print_rows(rows)
    console.print(f"wrote {cat.root / 'TABLE.md'} and {cat.root / 'table.csv'}" + (f" and {plot}" if plot else ""))
    return 0


# ------------------------------------------------------------ code & speed
class Lang(str, enum.Enum):
    numpy = "numpy"
    torch = "torch"


def _stored_for_code(cat: Catalogue, fmt: Format, rank: Optional[int], scheme_file: Optional[Path]):
    """The lowest-rank stored z/q scheme of fmt (or the given file's)."""
    if scheme_file is not None:
        schemes = read_schemes(scheme_file)
        s = next((x for x in schemes if x.fmt == fmt), None)
        if s is None:
            raise DecompError(f"{scheme_file} holds no scheme for {fmt}")
        return s
    candidates = [s for _, s in cat.load(fmt).schemes if s.ring is not Ring.GF2]
    if rank is not None:
        candidates = [s for s in candidates if s.rank <= rank]
    if not candidates:
        raise DecompError(f"no stored scheme over z or q for {fmt}" + (f" with rank <= {rank}" if rank else "")
                          + f" in {cat.root} (GF(2) schemes must be lifted first)")
    return min(candidates, key=lambda s: (s.rank, s.additions))


@app.command()
def codegen(
    format: str = typer.Argument(..., help="format of a stored scheme, e.g. 2x2x2"),
    lang: Lang = typer.Option(Lang.numpy, "--lang"),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="write the module here (default: print)"),
    rank: Optional[int] = typer.Option(None, "--rank", help="use a stored scheme of at most this rank"),
    scheme: Optional[Path] = typer.Option(None, "--scheme", help="use this scheme file instead of the catalogue"),
    cse: bool = typer.Option(True, "--cse/--no-cse", help="common-subexpression elimination of additions"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Generate Python source of matmul(A, B) for a scheme (numpy or torch)."""
    from .core.codegen import generate
    from .core.execute import stability
    from .core.io import atomic_write_bytes

    fmt = Format.parse(format)
    s = _stored_for_code(_catalogue(results), fmt, rank, scheme)
    gen = generate(s, lang.value, cse)
    stab = stability(s)
    if out is not None:
        atomic_write_bytes(out, gen.source.encode())
    if json_out:
        _emit_json({"format": str(fmt), "rank": s.rank, "lang": lang.value, "additions_before": gen.additions_before,
                    "additions_after": gen.additions_after, "out": str(out) if out else None, **stab,
                    "source": None if out else gen.source})
    elif out is None:
        sys.stdout.write(gen.source)
    else:
        console.print(f"wrote {out}: {fmt} rank {s.rank}, additions {gen.additions_before} -> "
                      f"{gen.additions_after} after CSE; e_max {stab['e_max']:g}, q_max {stab['q_max']}, "
                      f"growth {stab['growth']:.2f}")
    return 0


def _int_list(text: str, what: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise DecompError(f"{what} must be a comma-separated list of integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise DecompError(f"{what} must be positive integers, got {text!r}")
    return values


@app.command("bench")
def bench_cmd(
    format: str = typer.Argument(..., help="format of a stored scheme, e.g. 2x2x2"),
    sizes: str = typer.Option("1024,2048", "--sizes"),
    levels: str = typer.Option("1", "--levels"),
    dtype: str = typer.Option("float32", "--dtype"),
    device: Optional[str] = typer.Option(None, "--device", help="run with torch on this device (cpu, cuda)"),
    repeats: int = typer.Option(3, "--repeats"),
    rank: Optional[int] = typer.Option(None, "--rank"),
    scheme: Optional[Path] = typer.Option(None, "--scheme"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="write a speed-up vs size chart (PNG)"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Time a scheme (recursive, padded) against the library matmul in one run."""
    from .speed import benchmark

    if dtype not in ("float32", "float64"):
        raise DecompError(f"--dtype must be float32 or float64, got {dtype!r}")
    fmt = Format.parse(format)
    s = _stored_for_code(_catalogue(results), fmt, rank, scheme)
    rows = benchmark(s, _int_list(sizes, "--sizes"), _int_list(levels, "--levels"), dtype, device, repeats)
    data = [{"size": t.size, "levels": t.levels, "seconds": t.ours, "baseline_seconds": t.baseline,
             "speedup": t.speedup, "max_rel_error": t.error} for t in rows]
    if plot is not None:
        _plot_speedups(data, plot, f"{fmt} rank {s.rank} vs {'numpy' if device is None else 'torch'}.matmul")
    if json_out:
        _emit_json({"format": str(fmt), "rank": s.rank, "dtype": dtype, "device": device or "numpy",
                    "rows": data})
        return 0
    t = Table(title=f"{fmt} rank {s.rank} vs {'numpy' if device is None else 'torch'}.matmul ({dtype})")
    for col in ("size", "levels", "ours (s)", "baseline (s)", "speed-up", "max rel. error"):
        t.add_column(col, justify="right")
    for d in data:
        t.add_row(str(d["size"]), str(d["levels"]), f"{d['seconds']:.3f}", f"{d['baseline_seconds']:.3f}",
                  f"{d['speedup']:.3f}x", f"{d['max_rel_error']:.2e}")
    console.print(t)
    return 0


def _plot_speedups(data, path: Path, title: str) -> None:
    from .plotting import pyplot, save_png

    plt = pyplot("--plot")
    fig, ax = plt.subplots(figsize=(6, 4))
    for L in sorted({d["levels"] for d in data}):
        pts = [d for d in data if d["levels"] == L]
        ax.plot([d["size"] for d in pts], [d["speedup"] for d in pts], marker="o", label=f"{L} level(s)")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.set_xlabel("matrix size")
    ax.set_ylabel("speed-up vs library matmul")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    save_png(fig, path)


@app.command()
def tune(
    format: str = typer.Argument(...),
    size: int = typer.Option(1024, "--size"),
    levels: int = typer.Option(1, "--levels"),
    dtype: str = typer.Option("float32", "--dtype"),
    device: Optional[str] = typer.Option(None, "--device"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Among the stored schemes of a format's best rank, find the fastest here."""
    from .speed import tune as tune_schemes

    fmt = Format.parse(format)
    cat = _catalogue(results)
    best = _stored_for_code(cat, fmt, None, None)
    same = [s for _, s in cat.load(fmt).schemes if s.ring is not Ring.GF2 and s.rank == best.rank]
    ranked = tune_schemes(same, size, levels, dtype, device)
    rows = [{"fingerprint": s.fingerprint()[:16], "rank": s.rank, "additions": s.additions,
             "seconds": t.ours, "speedup": t.speedup, "source": s.provenance.get("source")} for s, t in ranked]
    if json_out:
        _emit_json({"format": str(fmt), "size": size, "levels": levels, "schemes": rows})
        return 0
    t = Table(title=f"{len(rows)} scheme(s) of {fmt} rank {best.rank} at size {size}, {levels} level(s)")
    for col in ("scheme", "additions", "seconds", "speed-up", "source"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["fingerprint"], str(r["additions"]), f"{r['seconds']:.3f}", f"{r['speedup']:.3f}x",
                  str(r["source"] or ""))
    console.print(t)
    console.print(f"fastest on this machine: {rows[0]['fingerprint']}")
    return 0


# ----------------------------------------------------------------- search
@app.command()
def search(
    format: str = typer.Argument(...),
    rank: int = typer.Option(..., "--rank"),
    ring: RingName = typer.Option(RingName("gf2"), "--ring"),
    methods: str = typer.Option("flip,sat", "--methods", help="comma-separated: flip, sat, als"),
    workers: int = typer.Option(2, "--workers", "-w"),
    ray: Optional[str] = typer.Option(None, "--ray", help="local (start Ray here), auto or a cluster address"),
    time_limit: float = typer.Option(600.0, "--time-limit"),
    slice_seconds: float = typer.Option(20.0, "--slice", help="seconds per task before start points move"),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="folder for the run's checkpoint"),
    resume: Optional[Path] = typer.Option(None, "--resume", help="continue the run checkpointed in this folder"),
    keep_going: bool = typer.Option(False, "--keep-going", help="keep searching for alternatives after a success"),
    option: List[str] = typer.Option([], "--option", "-o",
                                     help="method.key=value for one method's slices, e.g. flip.symmetry=cyclic"),
    out: Optional[Path] = typer.Option(None, "--out"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Portfolio run: methods and seeds over workers (local pool or Ray);
    improvements are stored as they arrive and feed the other methods."""
    from .portfolio import search as run_search

    fmt = Format.parse(format)
    cat = _catalogue(results)
    folder = resume or checkpoint
    per_method: dict = {}
    for key, value in _parse_options(option).items():
        method, dot, name = key.partition(".")
        if not dot or not method or not name:
            raise DecompError(f"search option {key!r} must name its method: method.key=value, e.g. flip.plateau=2000")
        per_method.setdefault(method, {})[name] = value
    res = run_search(fmt, rank, ring.value, [m.strip() for m in methods.split(",") if m.strip()], workers,
                     time_limit, cat, folder, resume is not None, ray, slice_seconds, keep_going,
                     options=per_method)
    if res.scheme is not None and res.success and out is not None:
        write_json(res.scheme, out)
    st = res.state
    if json_out:
        _emit_json({"success": res.success, "status": res.status, "best_rank": res.best_rank,
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


# -------------------------------------------------------------- flip graph
@app.command()
def flipgraph(
    format: str = typer.Argument(...),
    rank: int = typer.Option(..., "--rank"),
    ring: RingName = typer.Option(RingName("gf2"), "--ring", help="the graph is explored over gf2"),
    max_nodes: int = typer.Option(10_000, "--max-nodes"),
    time_limit: float = typer.Option(60.0, "--time-limit"),
    walks: int = typer.Option(10, "--walks", help="flip walks from the standard algorithm used as seeds"),
    seed: int = typer.Option(0, "--seed"),
    out: Optional[Path] = typer.Option(None, "--out", help="write the graph as GraphML"),
    png: Optional[Path] = typer.Option(None, "--png", help="draw the graph"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Explore the flip graph of equivalence classes from stored schemes and
    flip walks; report classes, components and the cheapest members."""
    from . import flipgraph as fg

    if ring.value != "gf2":
        raise DecompError("the flip graph is explored over gf2 (z schemes are read mod 2)")
    fmt = Format.parse(format)
    if rank < fmt.rank_lower_bound:
        raise DecompError(f"rank {rank} is impossible for {fmt} (at least {fmt.rank_lower_bound})")
    stored = [s for _, s in _catalogue(results).load(fmt).schemes
              if s.rank == rank and s.ring is not Ring.Q]
    seeds = stored + fg.walk_seeds(fmt, rank, walks, seed)
    if not seeds:
        raise DecompError(f"no scheme of rank {rank} for {fmt}: none stored and the walks found none")
    ex = fg.explore(seeds, max_nodes=max_nodes, time_limit=time_limit)
    info = fg.summary(ex)
    info["seeds"] = len(seeds)
    if out is not None:
        fg.write_graphml(ex, out)
    if png is not None:
        fg.draw_png(ex, png)
    if json_out:
        _emit_json({"format": str(fmt), "rank": rank, **info})
        return 0
    how = "exact canonical form" if ex.exact else "invariants (a lower bound on the number of classes)"
    console.print(f"{fmt} rank {rank}: {info['classes']} class(es) by {how}, {info['edges']} edge(s), "
                  f"{info['components']} component(s); {info['schemes_seen']} schemes seen from "
                  f"{len(seeds)} seeds in {info['seconds']:.1f} s")
    console.print(f"classes per rank: {info['classes_per_rank']}")
    for c in info["cheapest_per_component"][:10]:
        console.print(f"  cheapest in component: rank {c['rank']}, additions {c['additions']}, nnz {c['nnz']}")
    return 0


@app.command()
def equivalent(a: Path = typer.Argument(...), b: Path = typer.Argument(...), json_out: bool = JsonOpt):
    """Are two schemes the same algorithm up to symmetry?"""
    from .core.equivalence import equivalent as eq

    sa, sb = read_schemes(a)[0], read_schemes(b)[0]
    same, how = eq(sa, sb)
    if json_out:
        _emit_json({"equivalent": same, "how": how})
    else:
        console.print(f"{'equivalent' if same else 'not equivalent'} ({how})")
    return 0 if same else 1


# ------------------------------------------------------------------- demo
@app.command()
def demo(results: Optional[Path] = ResultsOpt):
    """A short tour: verify published schemes, discover some, store and show them."""
    cat = _catalogue(results)
    console.rule("1. Verify AlphaTensor's published schemes (shipped with decomp)")
    total = added = 0
    for file in BUNDLED_ALPHATENSOR:
        schemes = read_alphatensor(file)
        total += len(schemes)
        added += sum(cat.add(s).added for s in schemes)
    console.print(f"{total} schemes verified exactly; {added} new in the catalogue {cat.root}")
    console.rule("2. Discover schemes from the standard algorithm")
    for fmt_text, rank, ring in (("2x2x2", 7, "gf2"), ("3x3x3", 23, "z")):
        res = solve(fmt_text, rank, method="flip", ring=ring, seed=1, time_limit=60)
        line = f"{fmt_text} rank {rank} over {ring} by flip: {res.status} in {res.wall_time:.2f} s"
        if res.scheme is not None and res.success:
            line += f"; {res.scheme.verify()}; catalogue: {cat.add(res.scheme).status}"
        console.print(line)
    console.rule("3. The best stored 2x2x2 scheme, written out")
    best = cat.best("2x2x2", "z")
    for line in algorithm_lines(best):
        console.print(line, highlight=False)
    console.print("\nNext: decomp list, decomp show 4x4x4, decomp solve 3x3x3 --rank 23 --method flip")
    return 0


def main() -> None:
    try:
        code = app(standalone_mode=False)
    except _USAGE_ERRORS as exc:
        exc.show()
        sys.exit(2 if exc.exit_code else 0)
    except (typer.Abort, KeyboardInterrupt):
        err.print("interrupted")
        sys.exit(130)
    except (DecompError, MissingDependencyError, ValueError, TypeError, OSError) as exc:
        if os.environ.get("DECOMP_DEBUG"):
            raise
        msg = " ".join(str(exc).split())
        sys.stderr.write(f"error: {msg}\n")
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
