"""decomp lift: a scheme's image mod 2 lifted to Z or to {-1, 0, 1}
(core/lift.py: Hensel, signs by SAT, free entries), along its plateau when
it does not lift as it is (solvers/flip/plateau_lift.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from ..core.credit import start_provenance
from ..core.errors import DecompError, SchemeError
from ..core.io import read_json
from ..core.lift import LiftResult, lift_gf2
from ..core.rings import Ring
from ..core.scheme import Scheme
from ..solvers.api import checked_seed
from .common import (JsonOpt, ResultsOpt, RingName, app, console, emit_json, keep_found, print_kept,
                     term_interrupts)


def lifted_scheme(lifted: Scheme, source: Scheme, seed: int) -> Scheme:
    """A lift as stored: method lift, and the scheme lifted as its start (a
    lift at the source's rank is a find only over a ring where the source
    does not count; core/credit.py)."""
    from ..solvers.starts import start_label

    return lifted.with_factors(*lifted.factors, method="lift", seed=seed,
                               lifted=f"{source.fmt} rank {source.rank} over {source.ring.value}",
                               start=start_label(source), **start_provenance(source))


def ternary_along_plateau(points: int, deadline: float, seed: int):
    """For decomp ternary --points: scheme -> (its image mod 2 lifted to
    {-1, 0, 1}, at the image itself or at up to `points` points of its
    plateau before the deadline, or None; how). How 3x5x5 reached zt 58 from
    a Z 58 whose own signs and change of basis fail (README, "Results")."""
    from ..solvers.flip.plateau_lift import lift_on_plateau
    from ..solvers.gf2.rng import generator

    rng = generator(seed)

    def along(s: Scheme):
        try:
            image = s.as_ring(Ring.GF2)
        except SchemeError:
            return None, "fractional coefficients: no image mod 2"
        if time.monotonic() >= deadline:
            return None, "no time left for its plateau"
        res, _, _ = lift_on_plateau(image, rng, points, deadline=deadline, ring=Ring.ZT)
        found = None if res.scheme is None else lifted_scheme(res.scheme, s, seed)
        return found, f"mod 2 and along its plateau: {res.message}"

    return along


@app.command()
def lift(
    scheme_file: Path = typer.Argument(..., help="a scheme (native JSON), read mod 2 and verified there"),
    ring: RingName = typer.Option("z", "--ring", help="z, or zt for entries in {-1, 0, 1}"),
    points: int = typer.Option(0, "--points", help="when it does not lift as it is: plateau points to try, "
                                                   "200000 flips apart (0: none)"),
    time_limit: float = typer.Option(300.0, "--time-limit", help="seconds for the plateau walk"),
    seed: Optional[int] = typer.Option(None, "--seed", help="the plateau walk's (default: fresh, printed)"),
    out: Optional[Path] = typer.Option(None, "--out", help="write the lifted scheme as native JSON"),
    store: bool = typer.Option(True, "--store/--no-store", help="add a lifted scheme to the catalogue"),
    results: Optional[Path] = ResultsOpt,
    json_out: bool = JsonOpt,
):
    """Lift a scheme's image mod 2 to Z (Hensel, then signs by SAT, then
    zeros free to become even) or to {-1, 0, 1} (--ring zt: the signs, which
    SAT finds or rules out, else a change of basis of a Z lift); with
    --points, walk its plateau and try again. Exit 1 when nothing lifts."""
    from ..solvers.flip.plateau_lift import lift_on_plateau
    from ..solvers.gf2.rng import generator

    over = Ring.parse(ring.value)
    if over not in (Ring.Z, Ring.ZT):
        raise DecompError(f"lift goes to z or zt, not {over.value}")
    if points < 0 or time_limit <= 0:
        raise DecompError("--points must be at least 0 and --time-limit positive")
    seed = checked_seed(seed)
    source = read_json(scheme_file)
    s = source.as_ring(Ring.GF2).require_valid()
    t0 = time.monotonic()
    flips, interrupted = 0, False
    with term_interrupts():
        try:
            res = lift_gf2(s, ring=over)
            if res.scheme is None and points:
                res, _, flips = lift_on_plateau(s, generator(seed), points, deadline=t0 + time_limit, first=res,
                                                ring=over)
        except KeyboardInterrupt:  # nothing lifted yet, so nothing is lost
            res, interrupted = LiftResult(None, "interrupted"), True
    found = None
    if res.scheme is not None:
        found = lifted_scheme(res.scheme, source, seed)
    stored, zt = keep_found(found, store, results, out) if found is not None else (None, None)
    seconds = time.monotonic() - t0
    if json_out:
        emit_json({"format": str(s.fmt), "rank": s.rank, "ring": over.value, "lifted": found is not None,
                   "rank_after": found.rank if found else None, "message": res.message, "flips": flips,
                   "seed": seed, "interrupted": interrupted, "seconds": seconds,
                   "stored": stored.status if stored else None, "stored_zt": zt.status if zt else None})
        return 0 if found is not None else 1
    if found is None:
        console.print(f"[yellow]{s.fmt} rank {s.rank}: no lift to {over.value}[/yellow] ({res.message}; "
                      f"{seconds:.1f} s, seed {seed})")
        return 1
    console.print(f"[green]{s.fmt} rank {s.rank} over gf2 -> rank {found.rank} over {found.ring.value}[/green] "
                  f"({res.message}; {seconds:.1f} s)")
    console.print(f"{found.fmt} rank {found.rank} over {found.ring.value}: {found.verify()}")
    print_kept(stored, zt, out)
    return 0
