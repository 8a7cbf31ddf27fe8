"""decomp reduce: lower a given scheme's rank by replacing k of its terms
with k-1 found by SAT (solvers/sat/reduce.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from ..core.errors import DecompError
from ..core.io import read_json
from ..core.rings import Ring
from ..solvers.api import checked_seed, spawned_seed
from .common import (JsonOpt, ResultsOpt, RingName, app, console, emit_json, int_list, keep_found, print_kept,
                     term_interrupts)


def _plateau_mover(flips: int, seed: int):
    """G -> the scheme `flips` flips along G's plateau (flip kernel, no plus
    transitions), or None when flips is 0."""
    if flips <= 0:
        return None
    from ..solvers.flip.plateau_lift import PlateauWalk
    from ..solvers.gf2.rng import generator

    rng = generator(spawned_seed(seed, 1))  # a stream apart from the subset draws'
    return lambda G: PlateauWalk(G, rng).next_point(flips)


@app.command()
def reduce(
    scheme_file: Path = typer.Argument(..., help="a scheme (native JSON), verified on load"),
    ring: Optional[RingName] = typer.Option(None, "--ring", help="gf2, or z: only reductions that lift to Z "
                                                                 "count (default: gf2 for a GF(2) scheme, else z)"),
    ks: str = typer.Option("3,4,5,6", "--k", help="subset sizes k to replace by k-1 terms, e.g. 3,4,5,6"),
    time_limit: float = typer.Option(60.0, "--time-limit", help="seconds"),
    seed: Optional[int] = typer.Option(None, "--seed", help="default: fresh entropy, printed and kept in provenance"),
    conflicts: int = typer.Option(20_000, "--conflicts", help="SAT conflicts per subset"),
    walk: int = typer.Option(0, "--walk", help="gf2: flips along the plateau after every 12 subsets "
                                              "(0: stay on the given scheme)"),
    out: Optional[Path] = typer.Option(None, "--out", help="write the reduced scheme as native JSON"),
    store: bool = typer.Option(True, "--store/--no-store", help="add a reduced scheme to the catalogue"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Replace k terms of a scheme by k-1 (SAT over GF(2) on the k terms'
    sum, in the small coordinates of its flattenings) while it works; over
    z a reduction counts when the scheme lifts back to Z. Exit 1 when
    nothing was removed."""
    from ..solvers.sat.reduce import reduce_scheme

    sizes = int_list(ks, "--k")
    if min(sizes) < 2:
        raise DecompError(f"--k sizes must be at least 2, got {ks!r}")
    if time_limit <= 0 or conflicts < 1 or walk < 0:
        raise DecompError("--time-limit and --conflicts must be positive, --walk at least 0")
    seed = checked_seed(seed)
    s = read_json(scheme_file)
    over = Ring.parse(ring.value) if ring is not None else Ring.GF2 if s.ring is Ring.GF2 else Ring.Z
    if over not in (Ring.GF2, Ring.Z):
        raise DecompError(f"reduce works over gf2 or z (lifting), not {over.value}")
    if over is Ring.Z and s.ring is Ring.GF2:
        raise DecompError(f"{scheme_file} is a GF(2) scheme: reduce it over gf2 (lift the result with a solve)")
    t0 = time.monotonic()
    with term_interrupts():
        best, stats = reduce_scheme(s, sizes, time_limit, seed, conflicts, ring=over, move=_plateau_mover(walk, seed))
    found = None
    if best.rank < s.rank:
        found = best.with_factors(*best.factors, method="sat-reduce", seed=seed,
                                  reduced_from=f"{s.fmt} rank {s.rank} over {s.ring.value}")
    stored, zt = keep_found(found, store, results, out) if found is not None else (None, None)
    seconds = time.monotonic() - t0
    if json_out:
        emit_json({"format": str(s.fmt), "ring": over.value, "seed": seed, "rank_before": s.rank,
                   "rank_after": best.rank, "subsets": stats.subsets, "sat_calls": stats.bounded,
                   "refuted": stats.refuted, "reductions": [list(r) for r in stats.reductions],
                   "plateau_points": stats.points, "interrupted": stats.interrupted, "seconds": seconds,
                   "stored": stored.status if stored else None, "stored_zt": zt.status if zt else None})
        return 0 if found is not None else 1
    tried = (f"{stats.subsets} subsets, {stats.bounded} to SAT, {stats.refuted} of them refuted, {seconds:.1f} s, "
             f"seed {seed}")
    if walk:
        tried += f", {stats.points} plateau points"
    if found is None:
        console.print(f"[yellow]{s.fmt} rank {s.rank}: no reduction over {over.value}[/yellow] ({tried})")
        return 1
    steps = ", ".join(f"k={k} -> {r}" for k, r in stats.reductions)
    console.print(f"[green]{s.fmt} rank {s.rank} -> {found.rank} over {over.value}[/green] ({steps}; {tried})")
    console.print(f"{found.fmt} rank {found.rank} over {found.ring.value}: {found.verify()}")
    print_kept(stored, zt, out)
    return 0
