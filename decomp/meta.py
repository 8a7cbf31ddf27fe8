"""Meta flip-graph search: flip walks over several formats at once, joined
by the format-changing edges of Kauers & Wood's meta flip graph (2025) that
Perminov (2026) walks across every small format.

The flip graph of one format links schemes by flips, reductions and plus
transitions. The meta flip graph adds two edges between formats:
- extension: a scheme for (n, m, p) plus the standard products of the new
  slice is a scheme for (n, m, p+1) (rank + n m; any axis, any orientation);
- projection: setting one index of a scheme for (n, m, p+1) to zero gives
  one for (n, m, p), with the terms that vanish removed (core/projection.py).

A walk that starts across such an edge starts somewhere the walks inside
the format do not reach: `bench/frontier.py --start naive,extended` on
4x4x5 over GF(2), 5 minutes on 2 walkers, reached 61 from the extension of
our 4x4x4 rank 47 and 63 from the standard algorithm (README, "Meta flip
graph search").

MetaSearch keeps, per format of the family and per format one index away,
a pool of its best schemes (the catalogue's, or the combination DP's where
the catalogue has none to start from, then what the walks find).
Each step takes the next format of the family in turn, draws an edge kind
(its own pool, an extension from a smaller pool, a projection from a larger
pool) among the kinds whose start is at most SLACK above the format's best
rank, walks one slice from that start (see step), and keeps what it
reached: a lower rank becomes the pool; an equal rank new to the pool
joins it, so later extensions and walks start from varied schemes. Either
is stored in the catalogue as the slice ends (verified, never replacing a
better scheme), so the next run's pools start from it too. A scheme below
the catalogue's best is also stored the moment a walk reports it, so a run
killed mid-slice (kill -9, out of memory) loses nothing it found.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from .core import symmetry as sym
from .core.coefficients import store_ternary
from .core.combine import direct_sum
from .core.credit import with_parent
from .core.errors import DecompError
from .core.formats import Format
from .core.projection import best_projection
from .core.records import best_known
from .core.rings import Ring
from .core.scheme import Scheme
from .core.store import Catalogue, LoadReport
from .solvers.api import checked_seed, solve, spawned_seed
from .solvers.starts import start_label

# A start more than this far above the format's best rank is not walked
# from: a walk rarely descends further than this before its slice ends.
SLACK = 3
# Schemes kept per pool (the best rank's, newest first).
POOL = 8
# Edge kinds a step draws from.
KINDS = ("own", "extended", "projected")


def _grown_axes(dims, fmt: Format) -> list[int]:
    """The axes of a format `dims` that grow by one to give fmt up to a
    permutation (none when fmt is not one index larger)."""
    out = []
    for axis in range(3):
        grown = list(dims)
        grown[axis] += 1
        if sorted(grown) == sorted(fmt.dims):
            out.append(axis)
    return out


def _added_products(dims, fmt: Format) -> int:
    """The standard products of the new slice, the same whichever axis grows
    (the other two dimensions are fmt's but the grown one)."""
    return math.prod(fmt.dims) // (dims[_grown_axes(dims, fmt)[0]] + 1)


def extensions(s: Scheme, fmt) -> list[Scheme]:
    """The extensions of s to fmt, a format one index larger than some
    orientation of s's: s plus the standard products of a new slice along
    one of its axes (a direct sum with the standard algorithm), turned to
    fmt's orientation; one for each axis of s that can grow (for a square
    format all three). They are different starts: our 5x5x6 110 grows to
    5x6x6 along n or m (30 products each), and a walk from the extension
    along m made no reduction in 6 minutes where one from the extension
    along n went from 140 to 137 (README, stop 34)."""
    fmt = Format.parse(fmt)
    axes = _grown_axes(s.fmt.dims, fmt)
    if not axes:
        raise DecompError(f"{fmt} is not one index larger than {s.fmt} in any orientation")
    out, seen = [], set()
    for axis in axes:
        slice_dims = list(s.fmt.dims)
        slice_dims[axis] = 1
        slice_fmt = Format(*slice_dims)
        standard = Scheme(slice_fmt, *slice_fmt.naive_factors(), ring=s.ring)
        ext = sym.permute(direct_sum(s, standard, axis), fmt.dims)
        key = ext.fingerprint()
        if key in seen:  # the same scheme twice: s has a symmetry that swaps two axes
            continue
        seen.add(key)
        out.append(ext.with_factors(*ext.factors, method="meta",
                                    source=f"extension of {s.fmt} rank {s.rank} along {'nmp'[axis]}"))
    return out


def extend(s: Scheme, fmt) -> Scheme:
    """The first of s's extensions to fmt (extensions: along n first)."""
    return extensions(s, fmt)[0]


def extended_starts(schemes, fmt, ring, ternary: bool = False) -> list[Scheme]:
    """A walk's starts from the catalogue: the lowest-rank extensions to fmt
    of the stored schemes (valid over `ring`, with entries in {-1, 0, 1}
    when `ternary`: a ternary walk's start) of formats one index smaller,
    every orientation and every scheme that gives that rank, the catalogue's
    first; a one-line error when there is none."""
    fmt, ring = Format.parse(fmt), Ring.parse(ring)
    usable = [s for s in schemes
              if isinstance(s.fmt, Format) and s.serves(ring) and (s.ternary or not ternary)
              and _grown_axes(s.fmt.dims, fmt)]
    if not usable:
        what = " with entries in {-1, 0, 1}" if ternary else ""
        raise DecompError(f"--start extended: the catalogue holds no {ring.value} scheme{what} of a format one "
                          f"index below {fmt} to extend")
    priced = [(s.rank + _added_products(s.fmt.dims, fmt), s) for s in usable]
    lowest = min(rank for rank, _ in priced)
    pool, seen = [], set()
    for rank, s in priced:
        if rank != lowest:
            continue
        for ext in extensions(s, fmt):
            key = ext.fingerprint()
            if key not in seen:
                seen.add(key)
                pool.append(with_parent(ext, s).require_valid())
    return pool


def extended_start(schemes, fmt, ring, ternary: bool = False) -> Scheme:
    """The first of extended_starts: one lowest-rank extension."""
    return extended_starts(schemes, fmt, ring, ternary)[0]


def stored_starts(schemes, fmt, ring, ternary: bool = False, where: str = "--start stored: the catalogue"
                  ) -> list[Scheme]:
    """A pool of starts from the catalogue: every stored scheme of fmt at
    the lowest rank stored over `ring` (in {-1, 0, 1} for a ternary walk),
    so that a search goes on from all of them at once; a one-line error
    when there is none."""
    fmt, ring = Format.parse(fmt), Ring.parse(ring)
    usable = [s for s in schemes if s.fmt == fmt and s.serves(ring) and (s.ternary or not ternary)]
    if not usable:
        what = " with entries in {-1, 0, 1}" if ternary else ""
        raise DecompError(f"{where} holds no {ring.value} scheme{what} of {fmt}")
    low = min(s.rank for s in usable)
    return [s.require_valid() for s in usable if s.rank == low]


def folder_starts(folder, fmt, ring, ternary: bool = False) -> tuple[list[Scheme], list]:
    """--start FOLDER: the pool of stored_starts over the scheme files
    (*.json, in subfolders too: a catalogue folder works) in a folder that
    is not the catalogue the results go to (imports, another run's
    catalogue); files of other formats are left out. Returns the pool and
    the files that failed to load or verify (folder_schemes), which the
    caller reports and the pool leaves out."""
    if not isinstance(fmt, Format):
        raise DecompError(f"--start {folder} needs a matrix format, not a target")
    report = folder_schemes(folder)
    schemes = [s for _, s in report.schemes if s.fmt == fmt]
    return stored_starts(schemes, fmt, ring, ternary, where=f"--start {folder}"), report.errors


def folder_schemes(folder) -> LoadReport:
    """Every scheme file (*.json, in subfolders too) in a folder, each read
    and verified exactly as the catalogue's are; a file that does not load or
    does not verify is reported in .errors and left out, so that one corrupt
    or hostile file among many imports neither stops a run nor becomes its
    start. A missing folder is a one-line error."""
    from .core.io import read_json

    folder = Path(folder)
    if not folder.is_dir():
        raise DecompError(f"{folder}: not a folder of scheme files")
    report = LoadReport()
    for path in sorted(folder.rglob("*.json")):
        try:
            report.schemes.append((path, read_json(path)))
        except DecompError as exc:
            report.errors.append((path, str(exc)))
    return report


# --start values built from the catalogue rather than read from a file.
CATALOGUE_STARTS = ("combined", "projected", "extended", "stored")


def catalogue_start(kind: str, schemes, fmt, ring, ternary: bool = False):
    """A walk start built from stored schemes: 'combined' (the combination
    DP's scheme: products, direct sums, permutations of smaller formats),
    'projected' (the best projection of a larger format's) or 'extended'
    (the cheapest extensions of formats one index smaller); all three in
    {-1, 0, 1} for a ternary walk. 'stored' gives a list: the pool of the
    format's stored schemes of the lowest rank (stored_starts); so does
    'extended' where several extensions share the lowest rank. A one-line
    error when there is none."""
    from .core.projection import projected_start
    from .core.recipes import combined_scheme

    if not isinstance(fmt, Format):
        raise DecompError(f"--start {kind} needs a matrix format, not a target")
    if kind == "combined":
        # a ternary walk needs its start in {-1, 0, 1}: the DP over zt takes only such schemes
        return combined_scheme(schemes, fmt, "zt" if ternary else ring)
    if kind == "extended":
        pool = extended_starts(schemes, fmt, ring, ternary)
        return pool[0] if len(pool) == 1 else pool
    builders = {"projected": projected_start, "stored": stored_starts}
    return builders[kind](schemes, fmt, ring, ternary)


def parse_family(text: str) -> list[Format]:
    """'4x4x4,4x4x5' -> formats, each once; a one-line error for bad input."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise DecompError("meta search needs at least one format, e.g. 4x4x4,4x4x5")
    family = []
    for p in parts:
        fmt = Format.parse(p)
        if fmt not in family:
            family.append(fmt)
    return family


def parse_kinds(kinds) -> tuple:
    """'own,extended' or a sequence of kinds -> a tuple of KINDS; a one-line
    error for an unknown or empty list."""
    parts = [k.strip() for k in (kinds.split(",") if isinstance(kinds, str) else kinds) if k.strip()]
    bad = [k for k in parts if k not in KINDS]
    if bad or not parts:
        raise DecompError(f"meta edge kinds must be among {', '.join(KINDS)}, not {', '.join(bad) or 'none'}")
    return tuple(dict.fromkeys(parts))


def _key(fmt: Format) -> tuple[int, int, int]:
    return tuple(sorted(fmt.dims))


def _neighbour_keys(fmt: Format) -> tuple[list, list]:
    """Sorted dims of the formats one index smaller and one index larger."""
    smaller, larger = set(), set()
    for axis in range(3):
        dims = list(fmt.dims)
        dims[axis] += 1
        larger.add(tuple(sorted(dims)))
        dims[axis] -= 2
        if dims[axis] >= 1:
            smaller.add(tuple(sorted(dims)))
    return sorted(smaller), sorted(larger)


@dataclass
class MetaStep:
    """One slice: where its start came from and the best rank it reached
    over the ring (None: nothing valid there, e.g. nothing lifted)."""

    fmt: Format
    kind: str
    source: str
    start_rank: int
    reached: int | None
    best_before: int
    stored: str = ""
    ternary: str = ""  # how the catalogue took its member over {-1, 0, 1}, when one was stored over zt
    reached_gf2: int | None = None  # a lifted slice: the lowest rank its walks reached over GF(2)
    stored_gf2: str = ""  # ... and how the catalogue took that scheme when it lowered the gf2 best
    seconds: float = 0.0


@dataclass
class MetaSearch:
    family: list
    ring: Ring
    catalogue: Catalogue
    seed: int
    slice_seconds: float = 30.0
    workers: int = 1
    slack: int = SLACK
    options: dict = field(default_factory=dict)
    # progress(fmt, kind, source) -> a solve() callback for one walk of a slice, or None
    progress: object = None
    # the edge kinds a step may draw (KINDS): "own" alone keeps every slice on the format's best
    kinds: tuple = KINDS
    # schemes from outside the catalogue (--sources: imports) that extensions and projections are
    # built from; never a format's own start nor its best, so what is stored is measured against
    # the catalogue alone and an import is never stored as it is
    sources: list = field(default_factory=list)

    def __post_init__(self):
        self.ring = Ring.parse(self.ring)
        self.kinds = parse_kinds(self.kinds)
        self.seed = checked_seed(self.seed)
        self.rng = random.Random(self.seed)
        self.pools: dict = {}
        self.imported: dict = {}  # pools of the sources, by format, as self.pools
        self.combined: list = []  # the combination DP's schemes offered to the pools (_offer_combined)
        self.steps: list[MetaStep] = []
        self.interrupted = False
        self._load()

    # ---------------------------------------------------------------- pools
    def _load(self) -> None:
        """Pools from the catalogue: for every format of the family and every
        format one index away, its best-rank schemes usable over the ring."""
        keys = set()
        for fmt in self.family:
            keys.add(_key(fmt))
            for side in _neighbour_keys(fmt):
                keys.update(side)
        report = self.catalogue.load()
        self.load_errors = report.errors  # (path, why) of files that did not load, for the CLI to name
        stored = [s for _, s in report.schemes]
        for pools, schemes in ((self.pools, stored), (self.imported, self.sources)):
            for s in schemes:
                if isinstance(s.fmt, Format) and _key(s.fmt) in keys and self._usable(s):
                    self._offer(s, pools)
        self._offer_combined(stored, keys)

    def _offer_combined(self, stored, keys) -> None:
        """The combination DP's scheme becomes the pool of a format the
        catalogue holds no start for: without it a format that only the DP
        fills (2x5x6 48 from Hopcroft-Kerr's schemes, over z) starts from the
        standard algorithm (60). One DP for all the pools' formats, from the
        catalogue alone (an import is never a format's own start), over zt
        for formats walked in {-1, 0, 1}. Kept in the pools, not stored: a
        walk that returns it unchanged has found nothing, and what a walk
        from it reaches is credited as the DP's when no lower."""
        from .core.recipes import start_table

        # only where a pool holds nothing the walk can start from: where the
        # catalogue has a start, the walks' own finds are what it holds (the DP
        # runs once, as the search is built: 20-30 s up to dimension 8 with recombination)
        by_ring: dict = {}
        for key in keys:
            fmt = Format(*key)
            ternary = self._walks_ternary(fmt)
            if max(key) <= 16 and not any(s.ternary or not ternary for s in self.pools.get(key, [])):
                by_ring.setdefault("zt" if ternary else self.ring.value, []).append(fmt)
        for ring, formats in by_ring.items():
            table = start_table(stored, max(max(f.dims) for f in formats), ring)
            for fmt in formats:
                if table.rank(fmt) < fmt.naive_rank:
                    dp = table.materialise(fmt).require_valid()
                    self._offer(dp)
                    self.combined.append(dp)

    def _usable(self, s: Scheme) -> bool:
        return s.serves(self.ring)

    def _walks_ternary(self, fmt: Format) -> bool:
        """Whether fmt's walks run in {-1, 0, 1}, so that they need a start
        there: a Z pool's scheme (a GF(2) walk's lift) or a change of basis
        over Z may leave it."""
        from .solvers.flip.solver import walk_ring_of

        walk_ring = walk_ring_of(self.ring, fmt, self.options.get("walk_ring"), self.options.get("symmetry", "none"))
        return walk_ring == "zt"

    def _offer(self, s: Scheme, pools: dict | None = None) -> bool:
        """Put s into its format's pool (of self.pools unless `pools` is
        given) when it is at the pool's rank or below; True when it lowered
        the rank."""
        pools = self.pools if pools is None else pools
        key = _key(s.fmt)
        pool = pools.get(key, [])
        if pool and s.rank > pool[0].rank:
            return False
        lower = not pool or s.rank < pool[0].rank
        if lower:
            pool = []
        if all(not _same(s, t) for t in pool):
            pool = [s, *pool][:POOL]
        pools[key] = pool
        return lower

    def best_rank(self, fmt: Format) -> int:
        pool = self.pools.get(_key(fmt))
        return pool[0].rank if pool else fmt.naive_rank

    # --------------------------------------------------------------- starts
    def starts(self, fmt: Format) -> dict:
        """Candidate starts per edge kind: [(source, scheme for fmt), ...]."""
        fmt = Format.parse(fmt)
        smaller, larger = _neighbour_keys(fmt)
        ternary = self._walks_ternary(fmt)

        def pool(key, sources=False):
            """The format's pool, and with `sources` the imported one's
            too, lowest rank first (the catalogue's first among equals)."""
            members = self.pools.get(key, []) + (self.imported.get(key, []) if sources else [])
            return sorted((s for s in members if s.ternary or not ternary), key=lambda s: s.rank)

        def imported(s):
            return " imported" if any(s is t for t in self.imported.get(_key(s.fmt), [])) else ""

        def named(s):
            return f"{s.fmt} rank {s.rank}{imported(s)}"

        own = [("combination DP" if any(s is d for d in self.combined) else f"{fmt} pool", sym.permute(s, fmt.dims))
               for s in pool(_key(fmt))]
        if not own:
            own = [("standard algorithm", Scheme(fmt, *fmt.naive_factors(), ring=Ring.Z))]
        # each scheme grown along every axis that gives fmt: they walk differently (extensions)
        extended = [(e.provenance["source"] + imported(s), with_parent(e, s))
                    for key in smaller for s in pool(key, sources=True)[:2] for e in extensions(s, fmt)]
        projected = []
        for key in larger:
            for s in pool(key, sources=True)[:2]:
                p = best_projection(s, fmt, ternary)
                if p is not None:
                    projected.append((f"projection of {named(s)}", with_parent(p, s)))
        return {"own": own, "extended": extended, "projected": projected}

    def choose(self, fmt: Format):
        """An edge kind drawn among those with a start within the slack, and
        one of its starts (lower ranks first among the drawn kind's)."""
        best = self.best_rank(fmt)
        found = self.starts(fmt)
        cands = {kind: [c for c in starts if c[1].rank <= best + self.slack] for kind, starts in found.items()}
        kinds = [k for k in self.kinds if cands[k]]
        if not kinds:  # above the slack: the allowed kinds' starts all the same, else the own pool
            cands = found  # (the standard algorithm when the pool is empty)
            kinds = [k for k in self.kinds if found[k]] or ["own"]
        kind = self.rng.choice(kinds)
        low = min(c[1].rank for c in cands[kind])
        source, start = self.rng.choice([c for c in cands[kind] if c[1].rank == low])
        return kind, source, start

    # ---------------------------------------------------------------- steps
    def step(self, fmt: Format, seconds: float) -> MetaStep:
        """One slice from a drawn start. A walk that needs no lift aims at
        the record (one below the best when it is at the record already): a
        walk that stopped one below the best would end its slice early on
        the way down (an extension to 4x5x5 went from 81 to 80 in 4.5 s).
        A walk lifted to Z lifts only at its target, so it aims one below
        the best, and walks on from what it reached while the slice lasts.
        The slice's lowest scheme is stored once, as the slice ends (also
        on Ctrl-C or SIGTERM): below the best, or at the best when the pool
        did not hold it yet, so that the next run starts from it too."""
        kind, source, start = self.choose(fmt)
        best = self.best_rank(fmt)
        record = best_known(fmt, self.ring.value)
        lifting = self.ring in (Ring.Z, Ring.Q) and self.options.get("walk_ring", "gf2") != "zt"
        goal = record.rank if record is not None and record.rank < best and not lifting else best - 1
        target = max(fmt.rank_lower_bound, min(goal, start.rank - 1))
        t0 = time.monotonic()
        step = MetaStep(fmt, kind, source, start.rank, None, best)
        # The start itself counts when it is below the best (a smaller
        # format improved, and its extension already beats this one's).
        lowest = self._valid(start) if start.rank < best else None
        walk_from, origin = start, start_label(start)
        walked = _LowestOverGF2()
        # what the walks report below the stored best, stored at once
        keep_now = _StoreBelowBest(self.catalogue, Ring.GF2 if lifting else self.ring)
        try:
            while True:
                left = seconds - (time.monotonic() - t0)
                keep_now.then = self.progress(fmt, kind, source) if self.progress is not None else None
                walked.then = keep_now
                res = solve(fmt, target, method="flip", ring=self.ring.value, time_limit=max(left, 1.0),
                            seed=spawned_seed(self.seed, len(self.steps)), start=walk_from, workers=self.workers,
                            callback=walked, **self.options)
                self.interrupted = res.status == "interrupted"
                reached = self._valid(res.scheme)
                if reached is not None and (lowest is None or reached.rank < lowest.rank):
                    lowest = reached
                    keep_now.offer(reached, self.ring)  # a lifted walk's result: reported to no callback
                if self.interrupted or not res.success or target <= fmt.rank_lower_bound \
                        or seconds - (time.monotonic() - t0) < 1.0:
                    break
                # walk on from what lifted; its provenance keeps where the slice began
                walk_from = res.scheme.with_factors(*res.scheme.factors, source=f"a walk from {origin}")
                target = res.scheme.rank - 1
        except KeyboardInterrupt:  # between two walks of a lifted slice: keep what the slice has
            self.interrupted = True
        self._keep(step, lowest, keep_now.added)
        if lifting:
            self._keep_gf2(step, walked.scheme, keep_now.added)
        keep_now.drop_superseded()
        step.seconds = time.monotonic() - t0
        self.steps.append(step)
        return step

    def _valid(self, s: Scheme | None) -> Scheme | None:
        """s when it is a scheme over the search's ring, else None."""
        return s if s is not None and self._usable(s) and s.verify(self.ring).ok else None

    def _keep(self, step: MetaStep, s: Scheme | None, added_now=frozenset()) -> None:
        """Offer a slice's lowest scheme to the pool; store it when it
        lowered the best or joined the pool at the best rank (`added_now`:
        the paths the slice stored on the way, reported as added)."""
        if s is None:
            return
        step.reached = s.rank
        new = all(not _same(s, t) for t in self.pools.get(_key(s.fmt), []))
        self._offer(s)
        if new and self.pools[_key(s.fmt)][0] is s:  # at or below the best, and not held yet
            step.stored = _status(self.catalogue.add(s), added_now)
            if self.ring in (Ring.Z, Ring.Q):  # a scheme over z may also be one over zt
                zt = store_ternary(self.catalogue, s)
                step.ternary = zt.status if zt is not None else ""

    def _keep_gf2(self, step: MetaStep, s: Scheme | None, added_now=frozenset()) -> None:
        """A lifted slice's lowest GF(2) scheme, stored over gf2 when it is
        below the best stored there: a walk over z that reached 58 on 3x5x5
        over GF(2) and failed to lift still reproduced the GF(2) record."""
        if s is None:
            return
        step.reached_gf2 = s.rank
        outcome = self.catalogue.add(s) if _below_best(self.catalogue, s, Ring.GF2, added_now) else None
        if outcome is not None:
            step.stored_gf2 = _status(outcome, added_now)

    def run(self, time_limit: float, on_step=None) -> list[MetaStep]:
        """Steps over the family in turn until time_limit seconds have
        passed (the last slice is cut to fit); Ctrl-C stops after storing
        what the running slice found."""
        deadline = time.monotonic() + time_limit
        for fmt in itertools.cycle(self.family):
            left = deadline - time.monotonic()
            if left < 1.0:
                break
            step = self.step(fmt, min(self.slice_seconds, left))
            if on_step is not None:
                on_step(step)
            if self.interrupted:
                break
        return self.steps


class _LowestOverGF2:
    """A solve() callback that keeps the lowest GF(2) scheme the walks
    reported (a walk lifted to Z reports each new best over GF(2) before it
    tries the lift), then passes the report on to `then`."""

    def __init__(self):
        self.scheme, self.then = None, None

    def __call__(self, state) -> bool:
        s = state.improved
        if s is not None and s.ring is Ring.GF2 and (self.scheme is None or s.rank < self.scheme.rank):
            self.scheme = s
        return bool(self.then(state)) if self.then is not None else False


class _StoreBelowBest:
    """A solve() callback that stores every scheme a walk reports over
    `ring` below the catalogue's best there the moment it arrives, so a
    killed run keeps it (the slice's end stores its lowest again, as a
    duplicate). `added`: the paths it wrote, with their schemes."""

    def __init__(self, catalogue, ring: Ring):
        self.catalogue, self.ring, self.then, self.added = catalogue, ring, None, {}

    def offer(self, s: Scheme, ring: Ring) -> None:
        if s.verify(ring).ok and _below_best(self.catalogue, s, ring, self.added):
            outcome = self.catalogue.add(s)
            if outcome.added:
                self.added[outcome.path] = s

    def __call__(self, state) -> bool:
        if state.improved is not None:
            self.offer(state.improved, self.ring)
        return bool(self.then(state)) if self.then is not None else False

    def drop_superseded(self) -> None:
        """Remove what this slice wrote on the way down and then bettered
        itself (a lower scheme of the same format and ring that this slice
        stored): as before, a slice leaves its lowest scheme only. What
        another run stored is never touched."""
        lowest: dict = {}
        for s in self.added.values():
            key = (_key(s.fmt), s.ring)
            lowest[key] = min(lowest.get(key, s.rank), s.rank)
        for path, s in self.added.items():
            if s.rank > lowest[(_key(s.fmt), s.ring)]:
                path.unlink(missing_ok=True)


def _below_best(catalogue, s: Scheme, ring: Ring, added_now) -> bool:
    """Is s below the best stored over ring, not counting what this slice
    stored on the way (its own earlier reports)?"""
    before = catalogue.best_rank(s.fmt, ring)
    if before is None or s.rank < before:
        return True
    return before == s.rank and catalogue.path_for(s) in added_now


def _status(outcome, added_now) -> str:
    """'added' also when this slice stored the scheme on the way."""
    return "added" if outcome.status == "duplicate" and outcome.path in added_now else outcome.status


def _same(a: Scheme, b: Scheme) -> bool:
    return a.fmt == b.fmt and a.rank == b.rank and all(
        (x.shape == y.shape and (x == y).all()) for x, y in zip(a.factors, b.factors))
