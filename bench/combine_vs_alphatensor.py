"""Combination DP against AlphaTensor: fed only AlphaTensor's schemes whose
dimensions are all <= 5, which of their 73 published formats above 5 does
the DP reach, and by how much does it miss the others? How does it compare
with their 2022 best-known table (recombination/sota.py, in records.csv)?
Their <10,4,9> rank-255 example, materialised and verified. Also the DP time
for all formats up to 16.

    python bench/combine_vs_alphatensor.py
"""

from __future__ import annotations

import itertools
import time

from decomp.core.io import BUNDLED_ALPHATENSOR, read_alphatensor
from decomp.core.recipes import build_table
from decomp.core.records import SOTA_2022, best_known


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

    s = table.materialise("10x4x9")
    print(f"\n<10,4,9>: rank {s.rank}, verified {s.verify().ok}; recipe:")
    print("\n".join("  " + line for line in table.explain("10x4x9")))

    tally = {"below": [], "equal": [], "above": []}
    for key in itertools.combinations_with_replacement(range(2, 13), 3):
        rec = best_known(key, "q", source_prefix=SOTA_2022)
        if rec is None:
            continue
        got = table.rank(key)
        side = "below" if got < rec.rank else "equal" if got == rec.rank else "above"
        tally[side].append((key, rec.rank, got, rec.source.startswith(SOTA_2022[1])))
    print(f"\nagainst the 2022 table (sota.py), {sum(map(len, tally.values()))} formats: "
          f"{len(tally['below'])} below it, {len(tally['equal'])} equal, {len(tally['above'])} above")
    hk = [t for t in tally["above"] if t[3]]
    print(f"above it: {len(hk)} Hopcroft-Kerr 2xmxn rows (a formula the DP has no scheme for), "
          f"{len(tally['above']) - len(hk)} others:")
    print(", ".join(f"{'x'.join(map(str, k))} {got}/{ref}" for k, ref, got, is_hk in tally["above"] if not is_hk))

    t0 = time.monotonic()
    build_table(small, max_dim=16, ring="q")
    print(f"\nDP over all formats up to 16: {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
