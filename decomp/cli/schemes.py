"""Commands on stored and given schemes: verify, import, list, show, equivalent."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from ..core.errors import DecompError
from ..core.formats import Format
from ..core.io import BUNDLED_ALPHATENSOR, read_alphatensor, read_schemes, scheme_to_dict
from ..core.render import algorithm_lines
from ..core.targets import parse_format_or_target
from .common import (JsonOpt, ResultsOpt, RingName, app, catalogue, console, emit_json, err, import_app,
                     print_skipped, term_interrupts)


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
        emit_json(rows)
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


@import_app.command("alphatensor")
def import_alphatensor(
    files: Optional[List[Path]] = typer.Argument(
        None, help="AlphaTensor npz files (default: the two published files shipped with decomp)"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Verify every scheme of AlphaTensor npz files and add them to the catalogue."""
    cat = catalogue(results)
    counts = {"schemes": 0, "added": 0, "duplicate": 0, "worse": 0}
    for file in files or BUNDLED_ALPHATENSOR:
        schemes = read_alphatensor(file)  # all verified before anything is stored
        counts["schemes"] += len(schemes)
        for s in schemes:
            counts[cat.add(s).status] += 1
    if json_out:
        emit_json({"files": [str(f) for f in files or BUNDLED_ALPHATENSOR], **counts, "catalogue": str(cat.root)})
    else:
        console.print(f"{counts['schemes']} schemes verified; added {counts['added']}, "
                      f"already stored {counts['duplicate']}, worse than stored {counts['worse']} "
                      f"-> {cat.root}")
    return 0


def _import_source(source: str, paths: List[Path], results: Optional[Path], json_out: bool) -> int:
    """Verify every scheme of a public catalogue's files and store them.
    A file named on the command line that cannot be read stops the import
    (exit 2); inside folders, unreadable files are listed and skipped (exit 1)."""
    from ..core.importers import import_paths

    schemes, problems = import_paths(source, paths)
    cat = catalogue(results)
    counts = {"schemes": len(schemes), "added": 0, "duplicate": 0, "worse": 0}
    for s in schemes:
        counts[cat.add(s).status] += 1
    if json_out:
        emit_json({"source": source, "paths": [str(p) for p in paths], **counts, "skipped": problems,
                   "catalogue": str(cat.root)})
    else:
        for line in problems:
            err.print(f"[yellow]skipped {line}[/yellow]", highlight=False)
        console.print(f"{counts['schemes']} schemes verified; added {counts['added']}, "
                      f"already stored {counts['duplicate']}, worse than stored {counts['worse']}"
                      + (f", {len(problems)} skipped" if problems else "") + f" -> {cat.root}")
    return 1 if problems else 0


PathsArg = typer.Argument(..., help="files, or folders searched recursively")


@import_app.command("perminov")
def import_perminov(paths: List[Path] = PathsArg, results: Optional[Path] = ResultsOpt, json_out: bool = JsonOpt):
    """Perminov's FastMatrixMultiplication JSON schemes ({"n", "m", "z2", "u", "v", "w"})."""
    return _import_source("perminov", paths, results, json_out)


@import_app.command("kauers")
def import_kauers(paths: List[Path] = PathsArg, results: Optional[Path] = ResultsOpt, json_out: bool = JsonOpt):
    """Kauers & Moosbauer's .exp products and .m lists (mkauers/matrix-multiplication, flips)."""
    return _import_source("kauers", paths, results, json_out)


@import_app.command("alphaevolve")
def import_alphaevolve(paths: List[Path] = PathsArg, results: Optional[Path] = ResultsOpt,
                       json_out: bool = JsonOpt):
    """AlphaEvolve's mathematical_results.ipynb (decompositions with complex entries are skipped)."""
    return _import_source("alphaevolve", paths, results, json_out)


@app.command("list")
def list_(results: Optional[Path] = ResultsOpt, json_out: bool = JsonOpt):
    """Summarise the catalogue: per format and ring, how many schemes, best rank."""
    cat = catalogue(results)
    groups, errors = cat.summary()
    print_skipped(errors)
    total = sum(g["count"] for g in groups)
    if json_out:
        emit_json({"catalogue": str(cat.root), "schemes": total,
                   "formats": [dict(g, format=str(g["format"]), ring=g["ring"].value) for g in groups],
                   "skipped": [[str(p), why] for p, why in errors]})
        return 0
    table = Table(title=f"{total} schemes in {cat.root}")
    for col in ("format", "ring", "schemes", "best rank", "naive"):
        table.add_column(col, justify="right" if col != "ring" else "left")
    for g in groups:
        table.add_row(str(g["format"]), g["ring"].value, str(g["count"]), str(g["best_rank"]),
                      str(g["format"].naive_rank))
    console.print(table)
    return 0


@app.command()
def show(
    format: str = typer.Argument(..., help="e.g. 2x2x2"),
    ring: Optional[RingName] = typer.Option(None, "--ring", help="only schemes stored over this ring"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """The stored schemes of a format and the best one written out."""
    fmt = parse_format_or_target(format)
    cat = catalogue(results)
    ranked, errors = cat.ranked(fmt, ring.value if ring else None)
    print_skipped(errors)
    if not ranked:
        raise DecompError(f"no stored scheme for {fmt}" + (f" over {ring.value}" if ring else "") +
                          f" in {cat.root}")
    best = ranked[0][1]
    if json_out:
        emit_json({"format": str(fmt), "schemes": [
            {"path": str(p), "rank": s.rank, "ring": s.ring.value, "nnz": s.nnz,
             "additions": s.additions, "provenance": s.provenance} for p, s in ranked],
            "best": scheme_to_dict(best), "algorithm": algorithm_lines(best)})
        return 0
    table = Table(title=f"{len(ranked)} stored scheme(s) for {fmt}")
    for col in ("rank", "ring", "nnz", "additions", "method", "source"):
        table.add_column(col)
    for _, s in ranked:
        table.add_row(str(s.rank), s.ring.value, str(s.nnz), str(s.additions),
                      str(s.provenance.get("method")), str(s.provenance.get("source") or ""))
    console.print(table)
    what = (f"computes C = A B, A {fmt.n}x{fmt.m}, B {fmt.m}x{fmt.p}" if isinstance(fmt, Format)
            else f"computes {fmt.meaning or fmt.name}")
    console.print(f"\n[bold]Best: rank {best.rank} over {best.ring.value}[/bold] ({what})")
    for line in algorithm_lines(best):
        console.print(line, highlight=False)
    return 0


@app.command()
def equivalent(a: Path = typer.Argument(...), b: Path = typer.Argument(...), json_out: bool = JsonOpt):
    """Are two schemes the same algorithm up to symmetry?"""
    from ..core.equivalence import equivalent as eq

    sa, sb = read_schemes(a)[0], read_schemes(b)[0]
    same, how = eq(sa, sb)
    if json_out:
        emit_json({"equivalent": same, "how": how})
    else:
        console.print(f"{'equivalent' if same else 'not equivalent'} ({how})")
    return 0 if same else 1


@app.command()
def ternary(
    formats: Optional[str] = typer.Argument(None, help="formats, e.g. 3x4x5,4x4x5 (default: every stored one)"),
    iterations: int = typer.Option(50_000, "--iterations", help="elementary moves per try"),
    tries: int = typer.Option(3, "--tries", help="tries (seeds) per stored scheme"),
    points: int = typer.Option(0, "--points", help="where both fail: lift the image mod 2 to {-1, 0, 1}, "
                                                   "then at up to this many points of its plateau (0: no)"),
    time_limit: float = typer.Option(300.0, "--time-limit", help="seconds of plateau walks per format"),
    seed: Optional[int] = typer.Option(None, "--seed", help="the plateau walks' (default: fresh, printed)"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Bring stored schemes to entries in {-1, 0, 1} and store them over zt,
    where that lowers the zt rank: over z by a change of basis, else (and
    over gf2) by signs on the support, which SAT finds or rules out; with
    --points, then by lifting the image mod 2, or a point of its plateau."""
    import time

    from ..core.coefficients import ternary_from_catalogue
    from ..meta import parse_family
    from ..solvers.api import checked_seed
    from .lift import ternary_along_plateau

    if iterations < 1 or tries < 1:
        raise DecompError("--iterations and --tries must be positive")
    if points < 0 or time_limit <= 0:
        raise DecompError("--points must be at least 0 and --time-limit positive")
    seed = checked_seed(seed)
    cat = catalogue(results)
    fmts = parse_family(formats) if formats else [f for f in cat.formats() if isinstance(f, Format)]
    if not fmts:
        raise DecompError(f"no stored matrix formats in {cat.root}")
    rows = []
    with term_interrupts():  # SIGTERM stops it as Ctrl-C does; what is stored stays
        for f in fmts:
            also = ternary_along_plateau(points, time.monotonic() + time_limit, seed) if points else None
            rows.append(ternary_from_catalogue(cat, f, iterations, tries, also))
    if json_out:
        emit_json({"catalogue": str(cat.root), "formats": rows, "seed": seed if points else None})
        return 0
    if points:
        console.print(f"plateau walks: seed {seed}")
    for row in rows:
        print_skipped(row["skipped"])
        before = "none" if row["zt_before"] is None else row["zt_before"]
        if row["status"] == "nothing lower":
            console.print(f"{row['format']}: zt {before}; no stored scheme over z, q or gf2 below it")
        elif row["status"] == "not reached":
            tried = "; ".join(f"{t['ring']} {t['rank']} ({t['how']})" for t in row["tried"])
            console.print(f"{row['format']}: zt {before}; nothing reached {{-1, 0, 1}}: {tried}")
        else:
            src = row["tried"][-1]
            how = f"excess {src['excess']} -> 0" if src["how"] == "change of basis" else src["how"]
            console.print(f"{row['format']}: zt {before} -> {row['zt_after']} "
                          f"(from {src['ring']} {src['rank']}, {how}), {row['status']}")
    return 0
