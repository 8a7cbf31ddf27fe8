"""Combination DP against AlphaTensor: fed only AlphaTensor's schemes whose
dimensions are all <= 5, which of their 73 published formats above 5 does
the DP reach, and by how much does it miss the others? Also the DP time
for all formats up to 16.

    python bench/combine_vs_alphatensor.py
"""

from __future__ import annotations

import time

from decomp.core.io import BUNDLED_ALPHATENSOR, read_alphatensor
from decomp.core.recipes import build_table


def main() -> None:
    published = read_alphatensor(BUNDLED_ALPHATENSOR[1])
    small = [s for s in published if max(s.fmt.dims) <= 5]
    big = [s for s in published if max(s.fmt.dims) > 5]
    table = build_table(small, max_dim=12, ring="q")
    misses = [(s, table.rank(s.fmt)) for s in big if table.rank(s.fmt) > s.rank]
    print(f"DP up to 12 over q in {table.seconds:.1f} s from {len(small)} schemes")
    print(f"reached or beat AlphaTensor in {len(big) - len(misses)} of {len(big)} formats above 5\n")
    print("| format | AlphaTensor | DP | gap |")
    print("|---|---|---|---|")
    for s, got in misses:
        print(f"| {s.fmt} | {s.rank} | {got} | +{got - s.rank} |")
    t0 = time.monotonic()
    build_table(small, max_dim=16, ring="q")
    print(f"\nDP over all formats up to 16: {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
