"""Comparison tables: our best rank per format and method against the best
known ranks (records.csv), as rows for the terminal, Markdown, CSV and a
heat map."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from .core.formats import Format
from .core.credit import FOUND_COLUMNS, RINGS, credit_of
from .core.errors import DecompError
from .core.files import atomic_write_bytes
from .core.io import read_json
from .core.records import best_known
from .core.rings import Ring, implies
from .core.store import Catalogue

# Method columns: core/credit.py; "combined" also holds the combination DP
# over every stored scheme, imports included.


@dataclass
class Row:
    fmt: Format
    ring: str
    best_known: int | None
    source: str
    ours: dict  # method column -> rank
    seconds: float | None  # time of our best found scheme, where recorded

    @property
    def best(self) -> int | None:
        return min(self.ours.values()) if self.ours else None

    @property
    def found(self) -> int | None:
        """Best rank our own solvers reached (no imports, no combinations)."""
        ranks = [v for k, v in self.ours.items() if k in FOUND_COLUMNS]
        return min(ranks) if ranks else None

    @property
    def gap(self) -> int | None:
        if self.best is None or self.best_known is None:
            return None
        return self.best - self.best_known

    @property
    def found_gap(self) -> int | None:
        if self.found is None or self.best_known is None:
            return None
        return self.found - self.best_known


def _usable(stored: Ring, wanted: Ring, scheme=None) -> bool:
    """A scheme stored over `stored` counts for `wanted`: by the ring order,
    or, for zt, an integer scheme whose entries all lie in {-1, 0, 1}."""
    if stored is wanted or implies(stored, wanted):
        return True
    if wanted is Ring.ZT and stored is Ring.Z:
        return scheme is None or all(abs(int(x)) <= 1 for f in scheme.factors for x in f.ravel())
    return False


def build_rows(catalogue: Catalogue, ring="z", combined: dict | None = None, max_dim: int | None = None) -> list[Row]:
    """One row per format with a stored scheme usable over `ring` (and per
    format of `combined`, a {dims: rank} map from the combination DP)."""
    ring = Ring.parse(ring)
    per: dict = {}
    for e in catalogue.entries():
        if not isinstance(e.fmt, Format) or not _usable(e.ring, ring):
            continue
        key = tuple(sorted(e.fmt.dims))
        if (max_dim and max(key) > max_dim) or min(key) < 2:
            continue
        per.setdefault(key, []).append(e)
    rows = []
    keys = set(per) | set(tuple(sorted(k)) for k in (combined or {}))
    for key in sorted(keys, key=lambda d: (d[0] * d[1] * d[2], d)):
        ours, seconds = {}, None
        for e in per.get(key, []):
            try:
                s = read_json(e.path)
            except DecompError:  # a corrupt file is reported by `decomp list`, skipped here
                continue
            if not _usable(e.ring, ring, s):
                continue
            method = credit_of(s.provenance, s.rank, ring)
            if method not in ours or s.rank < ours[method]:
                ours[method] = s.rank
                if method in FOUND_COLUMNS and s.rank == min(v for k, v in ours.items() if k in FOUND_COLUMNS):
                    seconds = s.provenance.get("seconds")
        if combined and key in {tuple(sorted(k)) for k in combined}:
            value = min(v for k, v in combined.items() if tuple(sorted(k)) == key)
            if "combined" not in ours or value < ours["combined"]:
                ours["combined"] = value
        if not ours:
            continue
        rec = best_known(key, ring.value)
        rows.append(Row(Format(*key), ring.value, rec.rank if rec else None, rec.source if rec else "",
                        ours, seconds))
    return rows


def combined_ranks(catalogue: Catalogue, ring="z", max_dim: int = 12) -> dict:
    """{dims: rank} of the combination DP over the catalogue's schemes, for
    sorted formats with every dimension >= 2 and a recipe better than the
    standard algorithm (recombination tried up to 8, which keeps a table
    up to 12 within seconds)."""
    from .core.recipes import RECOMBINE_MAX, build_table

    schemes = [s for _, s in catalogue.load().schemes]
    tab = build_table(schemes, max_dim=max_dim, ring=ring, recombine_max=min(RECOMBINE_MAX, max_dim))
    return {d: r.rank for d, r in tab.recipes.items() if 2 <= d[0] <= d[1] <= d[2] and r.kind != "naive"}


def table_rows(catalogue: Catalogue, ring="z", max_dim: int = 12, combined: bool = True) -> list[Row]:
    """The comparison rows for one ring, or for every ring ("all", one block
    each), with the combination DP's column when `combined`."""
    rings = RINGS if ring == "all" else (Ring.parse(ring).value,)
    rows = []
    for r in rings:
        ranks = combined_ranks(catalogue, r, max_dim) if combined else None
        rows += build_rows(catalogue, r, combined=ranks, max_dim=max_dim)
    return rows


HEADER = ["format", "ring", "best known", "source", *FOUND_COLUMNS, "found", "found gap", "import", "combined",
          "best", "gap", "seconds"]


def cells(row: Row) -> list[str]:
    def fmt(v):
        return "" if v is None else str(v)

    def signed(v):
        return "" if v is None else f"{v:+d}"

    return [str(row.fmt), row.ring, fmt(row.best_known), row.source,
            *[fmt(row.ours.get(m)) for m in FOUND_COLUMNS], fmt(row.found), signed(row.found_gap),
            fmt(row.ours.get("import")), fmt(row.ours.get("combined")), fmt(row.best), signed(row.gap),
            "" if row.seconds is None else f"{float(row.seconds):.2f}"]


def to_markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def to_csv(rows: list[Row]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    for r in rows:
        w.writerow(cells(r))
    return buf.getvalue()


def write_outputs(rows: list[Row], markdown_path, csv_path) -> None:
    atomic_write_bytes(markdown_path, to_markdown(rows).encode())
    atomic_write_bytes(csv_path, to_csv(rows).encode())


def plot_gaps(rows: list[Row], path) -> None:
    """Heat map, one cell per format, of our rank minus the best known."""
    import numpy as np

    from .plotting import pyplot, save_png

    plt = pyplot("--plot")
    have = [r for r in rows if r.gap is not None]
    if not have:
        raise DecompError("no format has both our rank and a best known rank to plot")
    mixed = len({r.ring for r in have}) > 1
    labels = [f"{r.fmt} {r.ring}" if mixed else str(r.fmt) for r in have]
    gaps = np.array([[r.gap] for r in have], dtype=float).T
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(labels)), 2.2))
    im = ax.imshow(gaps, cmap="RdYlGn_r", aspect="auto", vmin=min(0, gaps.min()), vmax=max(1, gaps.max()))
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks([])
    ax.set_title(f"our rank - best known ({'all rings' if mixed else have[0].ring}); 0 = record matched")
    fig.colorbar(im, ax=ax, fraction=0.03)
    fig.tight_layout()
    save_png(fig, path)
