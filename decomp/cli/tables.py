"""Comparison commands: combine (the combination DP) and table (ours vs the
best known ranks)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from ..core.errors import DecompError
from ..core.formats import Format
from ..core.io import write_json
from .common import JsonOpt, ResultsOpt, RingName, app, catalogue, console, emit_json, print_skipped


# The catalogue's TABLE.md and table.csv are what a look at one ring or a
# small --max would otherwise overwrite: --no-write leaves them as they are.
WriteOpt = typer.Option(True, "--write/--no-write",
                        help="write TABLE.md and table.csv into the catalogue (--no-write: print only)")


@app.command()
def combine(
    max_dim: int = typer.Option(12, "--max", help="largest dimension of the table (<= 16)"),
    ring: RingName = typer.Option(RingName("z"), "--ring"),
    recombine_max: int = typer.Option(12, "--recombine-max", help="largest target dimension tried by recombination"),
    materialise: List[str] = typer.Option([], "--materialise", help="format to build as a verified scheme"),
    out: Optional[Path] = typer.Option(None, "--out", help="file for the materialised scheme (one format)"),
    store: bool = typer.Option(False, "--store/--no-store", help="add materialised schemes to the catalogue"),
    write: bool = WriteOpt,
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Best ranks for every format up to --max from the catalogue's schemes
    by products, direct sums, permutations and recombination."""
    from ..core.recipes import build_table
    from ..table import build_rows, write_outputs

    cat = catalogue(results)
    loaded = cat.load()
    print_skipped(loaded.errors)
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
    if write and (cat.root.exists() or store):
        write_outputs(rows, cat.root / "TABLE.md", cat.root / "table.csv")
    if json_out:
        emit_json({"ring": ring.value, "max": max_dim, "seconds": round(table.seconds, 3),
                   "ranks": {str(Format(*d)): r for d, r in sorted(ranks.items())},
                   "materialised": [{"format": str(s.fmt), "rank": s.rank, "valid": s.verify().ok}
                                    for s in built]})
        return 0
    console.print(f"combination table up to {max_dim} over {ring.value} in {table.seconds:.1f} s "
                  f"from {len(table.bases)} stored formats")
    print_rows(rows)
    for s in built:
        console.print(f"materialised {s.fmt} rank {s.rank}: {s.verify()}" + (f" -> {out}" if out else ""))
        for line in table.explain(s.fmt):
            console.print("  " + line, highlight=False)
    return 0


def print_rows(rows) -> None:
    from ..core.credit import METHOD_COLUMNS
    from ..table import HEADER, cells

    # Only the method columns that hold a rank: the table must fit a terminal.
    empty = {m for m in METHOD_COLUMNS if all(r.ours.get(m) is None for r in rows)}
    if all(r.found is None for r in rows):
        empty |= {"found", "found gap"}
    keep = [i for i, col in enumerate(HEADER) if col != "source" and col not in empty]
    t = Table()
    for i in keep:
        col = HEADER[i]
        t.add_column(col, justify="right" if col not in ("format", "ring") else "left", no_wrap=True)
    for r in rows:
        row_cells = cells(r)
        gap = r.gap
        style = None if gap is None else "green" if gap <= 0 else "yellow"
        t.add_row(*(row_cells[i] for i in keep), style=style)
    console.print(t)


@app.command()
def table(
    ring: str = typer.Option("z", "--ring", help="z, zt, q, gf2, or all (one block per ring)"),
    max_dim: int = typer.Option(12, "--max"),
    combined: bool = typer.Option(True, "--combined/--no-combined", help="include the combination DP column"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="write a heat map PNG of our rank - best known"),
    write: bool = WriteOpt,
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Our best rank per format and method next to the best known ranks;
    also written to <results>/TABLE.md and table.csv (unless --no-write)."""
    from ..core.rings import Ring
    from ..table import plot_gaps, table_rows, write_outputs

    if ring != "all":
        ring = Ring.parse(ring).value
    cat = catalogue(results)
    rows = table_rows(cat, ring, max_dim, combined)
    if not rows:
        raise DecompError(f"the catalogue {cat.root} has no scheme usable over {ring}")
    if write:
        write_outputs(rows, cat.root / "TABLE.md", cat.root / "table.csv")
    if plot is not None:
        plot_gaps(rows, plot)
    if json_out:
        emit_json([{"format": str(r.fmt), "ring": r.ring, "best_known": r.best_known, "source": r.source,
                    "ours": r.ours, "found": r.found, "found_gap": r.found_gap, "imported": r.ours.get("import"),
                    "best": r.best, "gap": r.gap, "seconds": r.seconds} for r in rows])
        return 0
    print_rows(rows)
    wrote = [str(cat.root / "TABLE.md"), str(cat.root / "table.csv")] if write else []
    wrote += [str(plot)] if plot else []
    if wrote:
        console.print("wrote " + " and ".join(wrote))
    return 0
