"""Checks of method options given as -o key=value (or keywords of solve()):
one-line errors that name the method and the option."""

from __future__ import annotations

from ..core.errors import DecompError


def whole_option(method: str, name: str, value, least: int = 0) -> int:
    """A whole-number method option (from -o name=value), or a one-line error."""
    try:
        n = int(value)
        # ints compare exactly (a 63-bit seed is not equal to its float)
        whole = isinstance(value, int) or n == float(value)
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole or n < least:
        raise DecompError(f"{method} option {name} must be a whole number >= {least}, not {value!r}")
    return n


def number_option(method: str, name: str, value, low: float, high: float = float("inf")) -> float:
    """A real-number method option within [low, high], or a one-line error."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = float("nan")
    if not low <= x <= high:  # also refuses nan
        span = f"at least {low}" if high == float("inf") else f"within [{low}, {high}]"
        raise DecompError(f"{method} option {name} must be a number {span}, not {value!r}")
    return x
