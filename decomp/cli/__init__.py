"""The `decomp` command line: parses arguments and calls the library.

One module per theme of commands (schemes, solve, reduce, lift, train, tables, code,
graph, demo); each registers its commands on the app in common.py."""

from __future__ import annotations

import os
import sys

import typer

from ..core.errors import DecompError, MissingDependencyError
# Imported for their commands, in the order `decomp --help` lists them.
from . import schemes  # noqa: F401  isort: skip
from . import solve, reduce, lift, train, tables, code, graph, demo  # noqa: F401  isort: skip
from .common import app, err

# the exit code of an interrupted command (128 + SIGINT), as shells report Ctrl-C
INTERRUPTED = 130


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


def main() -> None:
    try:
        code_ = app(standalone_mode=False)
    except _USAGE_ERRORS as exc:
        exc.show()
        sys.exit(2 if exc.exit_code else 0)
    except (typer.Abort, KeyboardInterrupt):
        err.print("interrupted")
        sys.exit(INTERRUPTED)
    except (DecompError, MissingDependencyError, ValueError, TypeError, OSError) as exc:
        if os.environ.get("DECOMP_DEBUG"):
            raise
        msg = " ".join(str(exc).split())
        sys.stderr.write(f"error: {msg}\n")
        sys.exit(2)
    if code_ == INTERRUPTED:
        # newer typer (0.29 here) turns Ctrl-C (and SIGTERM under term_interrupts) into
        # this exit code without a word; older versions raise Abort (above)
        err.print("interrupted")
    sys.exit(code_ if isinstance(code_, int) else 0)


__all__ = ["app", "main"]
