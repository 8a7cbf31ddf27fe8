"""From scheme to speed: codegen, bench and tune."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ..core.errors import DecompError
from ..core.formats import Format
from ..core.io import read_scheme_for
from .common import JsonOpt, ResultsOpt, app, catalogue, console, emit_json, int_list


class Lang(str, enum.Enum):
    numpy = "numpy"
    torch = "torch"


def _scheme_for_code(results, fmt: Format, rank: Optional[int], scheme_file: Optional[Path]):
    """The given file's scheme for fmt, or the best stored one over z or q."""
    if scheme_file is not None:
        return read_scheme_for(scheme_file, fmt)
    return catalogue(results).best_exact(fmt, rank)


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
    from ..core.codegen import generate
    from ..core.execute import stability
    from ..core.files import atomic_write_bytes

    fmt = Format.parse(format)
    s = _scheme_for_code(results, fmt, rank, scheme)
    gen = generate(s, lang.value, cse)
    stab = stability(s)
    if out is not None:
        atomic_write_bytes(out, gen.source.encode())
    if json_out:
        emit_json({"format": str(fmt), "rank": s.rank, "lang": lang.value, "additions_before": gen.additions_before,
                   "additions_after": gen.additions_after, "out": str(out) if out else None, **stab,
                   "source": None if out else gen.source})
    elif out is None:
        sys.stdout.write(gen.source)
    else:
        console.print(f"wrote {out}: {fmt} rank {s.rank}, additions {gen.additions_before} -> "
                      f"{gen.additions_after} after CSE; e_max {stab['e_max']:g}, q_max {stab['q_max']}, "
                      f"growth {stab['growth']:.2f}")
    return 0


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
    from ..speed import benchmark

    if dtype not in ("float32", "float64"):
        raise DecompError(f"--dtype must be float32 or float64, got {dtype!r}")
    fmt = Format.parse(format)
    s = _scheme_for_code(results, fmt, rank, scheme)
    rows = benchmark(s, int_list(sizes, "--sizes"), int_list(levels, "--levels"), dtype, device, repeats)
    data = [{"size": t.size, "levels": t.levels, "seconds": t.ours, "baseline_seconds": t.baseline,
             "speedup": t.speedup, "max_rel_error": t.error} for t in rows]
    baseline = "numpy" if device is None else "torch"
    if plot is not None:
        from ..plotting import plot_speedups

        plot_speedups(data, plot, f"{fmt} rank {s.rank} vs {baseline}.matmul")
    if json_out:
        emit_json({"format": str(fmt), "rank": s.rank, "dtype": dtype, "device": device or "numpy", "rows": data})
        return 0
    t = Table(title=f"{fmt} rank {s.rank} vs {baseline}.matmul ({dtype})")
    for col in ("size", "levels", "ours (s)", "baseline (s)", "speed-up", "max rel. error"):
        t.add_column(col, justify="right")
    for d in data:
        t.add_row(str(d["size"]), str(d["levels"]), f"{d['seconds']:.3f}", f"{d['baseline_seconds']:.3f}",
                  f"{d['speedup']:.3f}x", f"{d['max_rel_error']:.2e}")
    console.print(t)
    return 0


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
    from ..speed import tune as tune_schemes

    fmt = Format.parse(format)
    cat = catalogue(results)
    best = cat.best_exact(fmt)
    same = [s for s in cat.exact_schemes(fmt) if s.rank == best.rank]
    ranked = tune_schemes(same, size, levels, dtype, device)
    rows = [{"fingerprint": s.fingerprint()[:16], "rank": s.rank, "additions": s.additions,
             "seconds": t.ours, "speedup": t.speedup, "source": s.provenance.get("source")} for s, t in ranked]
    if json_out:
        emit_json({"format": str(fmt), "size": size, "levels": levels, "schemes": rows})
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
