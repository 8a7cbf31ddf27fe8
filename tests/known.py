"""Classical schemes for the tests (kept in the package, where the benches use them too)."""

from decomp.core.classical import LADERMAN, STRASSEN

__all__ = ["LADERMAN", "STRASSEN"]
