"""decomp demo: a short tour of what the package does."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..core.io import BUNDLED_ALPHATENSOR, read_alphatensor
from ..core.render import algorithm_lines
from ..solvers.api import solve
from .common import ResultsOpt, app, catalogue, console


@app.command()
def demo(results: Optional[Path] = ResultsOpt):
    """A short tour: verify published schemes, discover some, store and show them."""
    cat = catalogue(results)
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
