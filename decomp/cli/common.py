"""What every command shares: the typer apps, consoles, option types and the
few argument parsers. Commands live in the modules beside this one, one
theme each, and only parse, call the library and print."""

from __future__ import annotations

import enum
import json
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from ..core.coefficients import store_ternary
from ..core.errors import DecompError
from ..core.io import write_json
from ..core.rings import Ring
from ..core.store import Catalogue, default_root
from ..solvers.api import METHODS

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


def catalogue(results: Optional[Path]) -> Catalogue:
    return Catalogue(results if results is not None else default_root())


@contextmanager
def term_interrupts():
    """While a search runs, SIGTERM (kill PID, a batch system's stop) stops
    it as Ctrl-C does: the walkers return what they have and it is stored.
    A run started in the background from a script ignores SIGINT, so this is
    how such a run is stopped without losing its slice."""
    def interrupt(*_):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def emit_json(obj) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")


def parse_options(pairs: List[str]) -> dict:
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


def int_list(text: str, what: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise DecompError(f"{what} must be a comma-separated list of integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise DecompError(f"{what} must be positive integers, got {text!r}")
    return values


def keep_found(found, store: bool, results: Optional[Path], out: Optional[Path]):
    """A scheme a command made from a file (reduce, lift): added to the
    catalogue when asked (over zt too when it reaches {-1, 0, 1} and lowers
    the zt rank) and written to --out. Returns the two AddOutcomes or None.
    File targets are not kept, as solve keeps none."""
    stored = zt = None
    if store and getattr(found.fmt, "kind", None) != "file":
        cat = catalogue(results)
        stored = cat.add(found)
        zt = store_ternary(cat, found) if stored.status == "added" else None
    if out is not None:
        write_json(found, out)
    return stored, zt


def print_kept(stored, zt, out: Optional[Path]) -> None:
    """What keep_found did, one line each."""
    if stored:
        console.print(f"catalogue: {stored.status}" + (f" ({stored.path})" if stored.path else ""))
    if zt:
        console.print(f"catalogue over zt: {zt.status}" + (f" ({zt.path})" if zt.path else ""))
    if out is not None:
        console.print(f"wrote {out}")


def print_skipped(errors) -> None:
    """Catalogue files that failed to load: a warning each, never a stop."""
    from rich.markup import escape

    for path, msg in errors:
        msg = msg.removeprefix(f"{path}: ")  # read_json's errors name the file already
        # one line per file however long its path (soft_wrap), and a file name
        # with brackets in it printed as it is, not read as markup
        err.print(f"[yellow]skipped {escape(str(path))}: {escape(msg)}[/yellow]", soft_wrap=True)
