"""decomp flipgraph: equivalence classes of schemes as a networkx graph."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..core.errors import DecompError
from ..core.formats import Format
from ..core.rings import Ring
from .common import JsonOpt, ResultsOpt, RingName, app, catalogue, console, emit_json


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
    from .. import flipgraph as fg

    if ring.value != "gf2":
        raise DecompError("the flip graph is explored over gf2 (z schemes are read mod 2)")
    fmt = Format.parse(format)
    if rank < fmt.rank_lower_bound:
        raise DecompError(f"rank {rank} is impossible for {fmt} (at least {fmt.rank_lower_bound})")
    stored = [s for _, s in catalogue(results).load(fmt).schemes if s.rank == rank and s.ring is not Ring.Q]
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
        emit_json({"format": str(fmt), "rank": rank, **info})
        return 0
    how = "exact canonical form" if ex.exact else "invariants (a lower bound on the number of classes)"
    console.print(f"{fmt} rank {rank}: {info['classes']} class(es) by {how}, {info['edges']} edge(s), "
                  f"{info['components']} component(s); {info['schemes_seen']} schemes seen from "
                  f"{len(seeds)} seeds in {info['seconds']:.1f} s")
    console.print(f"classes per rank: {info['classes_per_rank']}")
    for c in info["cheapest_per_component"][:10]:
        console.print(f"  cheapest in component: rank {c['rank']}, additions {c['additions']}, nnz {c['nnz']}")
    return 0
