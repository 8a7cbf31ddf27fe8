"""The catalogue: verified schemes kept as one JSON file each under results/.

Layout: ROOT/<n>x<m>x<p>/<ring>/r<rank>-<fingerprint>.json. File names are
content-addressed, so adding the same scheme twice writes nothing new and two
writers of one scheme write identical bytes. Every write is atomic; the
check-then-write of add() holds an exclusive lock so concurrent processes
lose nothing; a stored scheme is never overwritten by a different one.
"""

from __future__ import annotations

import fcntl
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DecompError, SchemeError
from .formats import Format
from .files import atomic_write_bytes
from .io import read_json, scheme_to_json
from .rings import Ring, implies
from .scheme import Scheme
from .targets import Target, parse_format_or_target, parse_target

ENV_VAR = "DECOMP_RESULTS"
_NAME = re.compile(r"^r(\d+)-([0-9a-f]{16})\.json$")


@dataclass(frozen=True)
class Entry:
    """A stored file as its path tells it (not yet read or verified)."""

    path: Path
    fmt: "Format | Target"
    ring: Ring
    rank: int


@dataclass(frozen=True)
class AddOutcome:
    """status: 'added' (new file), 'duplicate' (already stored) or 'worse'
    (a verified scheme of lower rank is kept for this format and ring)."""

    status: str
    path: Path | None
    best_rank: int | None  # best stored rank for (format, ring) after the call

    @property
    def added(self) -> bool:
        return self.status == "added"


@dataclass
class LoadReport:
    schemes: list[tuple[Path, Scheme]] = field(default_factory=list)
    errors: list[tuple[Path, str]] = field(default_factory=list)


def _dirname(fmt) -> str:
    return fmt.slug if isinstance(fmt, Target) else str(fmt)


def _entry_order(e: "Entry"):
    if isinstance(e.fmt, Target):
        return (1, (0, 0, 0), e.fmt.name, e.ring.value, e.rank, e.path.name)
    return (0, e.fmt.dims, "", e.ring.value, e.rank, e.path.name)


def _is_file_target(fmt) -> bool:
    return isinstance(fmt, Target) and fmt.kind == "file"


def default_root() -> Path:
    return Path(os.environ.get(ENV_VAR) or "results")


class Catalogue:
    def __init__(self, root: "str | Path | None" = None, max_alternatives: int = 200):
        self.root = Path(root) if root is not None else default_root()
        self.max_alternatives = max_alternatives

    # ------------------------------------------------------------- listing
    def entries(self, fmt=None, ring=None) -> list[Entry]:
        fmt = parse_format_or_target(fmt) if fmt is not None else None
        ring = Ring.parse(ring) if ring is not None else None
        out = []
        if not self.root.is_dir():
            return out
        fmt_dirs = [self.root / _dirname(fmt)] if fmt else sorted(self.root.iterdir())
        for fdir in fmt_dirs:
            if not fdir.is_dir():
                continue
            try:
                f = parse_target(fdir.name) if fdir.name.startswith("target-") else Format.parse(fdir.name)
            except DecompError:
                continue
            ring_dirs = [fdir / ring.value] if ring else sorted(fdir.iterdir())
            for rdir in ring_dirs:
                try:
                    r = Ring.parse(rdir.name)
                except DecompError:
                    continue
                if not rdir.is_dir():
                    continue
                for path in sorted(rdir.iterdir()):
                    match = _NAME.match(path.name)
                    if match:
                        out.append(Entry(path, f, r, int(match.group(1))))
        out.sort(key=_entry_order)
        return out

    def formats(self) -> list:
        return sorted({e.fmt for e in self.entries()}, key=lambda f: _entry_order(Entry(Path(), f, Ring.Z, 0)))

    # -------------------------------------------------------------- reading
    def load(self, fmt=None, ring=None) -> LoadReport:
        """Read and re-verify stored schemes; bad files are reported, not raised."""
        report = LoadReport()
        for e in self.entries(fmt, ring):
            try:
                s = read_json(e.path)
                if s.fmt != e.fmt or s.ring is not e.ring or s.rank != e.rank:
                    raise SchemeError(f"content ({s.fmt}, {s.ring.value}, rank {s.rank}) does not match its path")
            except DecompError as exc:
                report.errors.append((e.path, str(exc)))
                continue
            report.schemes.append((e.path, s))
        return report

    def best(self, fmt, ring="z") -> Scheme | None:
        """Lowest-rank valid scheme usable over `ring` (a z scheme counts for
        q and gf2 too, read in the wanted ring)."""
        fmt, ring = parse_format_or_target(fmt), Ring.parse(ring)
        for e in sorted(self.entries(fmt), key=lambda e: (e.rank, e.ring is not ring)):
            if not implies(e.ring, ring):
                continue
            try:
                s = read_json(e.path)
            except DecompError:
                continue
            return s if s.ring is ring or ring is Ring.Q else s.as_ring(ring)
        return None

    def best_rank(self, fmt, ring) -> int | None:
        """The lowest rank stored over `ring` whose file loads and verifies:
        a corrupt file's name would otherwise claim a rank nothing holds,
        and searches would then keep a real scheme at that rank out."""
        return self._best_verified_rank(self.entries(fmt, ring))

    # -------------------------------------------------------------- queries
    def summary(self) -> tuple[list[dict], list[tuple[Path, str]]]:
        """Per format and ring (as stored): how many schemes, the best rank,
        counting only files that load and verify (every file is read: about
        2 s for 200 schemes up to 8x8x8); and the files that failed, with why.
        Names alone once listed a corrupt r0007-....json as a rank-7 scheme."""
        report = self.load()
        groups: dict = {}
        for _, s in report.schemes:
            groups.setdefault((s.fmt, s.ring), []).append(s.rank)
        rows = [{"format": f, "ring": r, "count": len(v), "best_rank": min(v)} for (f, r), v in groups.items()]
        return rows, report.errors

    def ranked(self, fmt, ring=None) -> tuple[list[tuple[Path, Scheme]], list[tuple[Path, str]]]:
        """The stored schemes of a format (verified), best first: lowest rank,
        then z before other rings, then fewest non-zeros; and the files that
        failed to load, with why."""
        report = self.load(fmt, ring)
        order = sorted(report.schemes, key=lambda ps: (ps[1].rank, ps[1].ring is not Ring.Z, ps[1].nnz))
        return order, report.errors

    def exact_schemes(self, fmt, rank: int | None = None) -> list[Scheme]:
        """Stored schemes over z, zt or q (the ones code can run), of at most
        `rank` products when given."""
        out = [s for _, s in self.load(fmt).schemes if s.ring is not Ring.GF2]
        return [s for s in out if rank is None or s.rank <= rank]

    def best_exact(self, fmt, rank: int | None = None) -> Scheme:
        """The lowest-rank stored scheme over z, zt or q (fewest additions
        among equals), or a one-line error that says what is missing."""
        candidates = self.exact_schemes(fmt, rank)
        if not candidates:
            raise DecompError(f"no stored scheme over z or q for {fmt}" + (f" with rank <= {rank}" if rank else "")
                              + f" in {self.root} (GF(2) schemes must be lifted first)")
        return min(candidates, key=lambda s: (s.rank, s.additions))

    def storing(self, then=None) -> "StoringCallback":
        """A solve() callback that adds every improved scheme a SolveState
        carries to this catalogue, then asks `then` (if given) whether to
        stop: how a caller keeps what a long run finds as it finds it."""
        return StoringCallback(self, then)

    # -------------------------------------------------------------- writing
    def path_for(self, s: Scheme) -> Path:
        return self.root / _dirname(s.fmt) / s.ring.value / f"r{s.rank:04d}-{s.fingerprint()[:16]}.json"

    @contextmanager
    def _locked(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def add(self, s: Scheme) -> AddOutcome:
        """Verify and store `s` unless a better verified scheme is kept.

        Raises SchemeError for an invalid scheme: nothing unverified is written.
        """
        s.require_valid()
        if _is_file_target(s.fmt):
            raise DecompError("schemes for file targets are not kept in the catalogue; write them with --out")
        path = self.path_for(s)
        with self._locked():
            same = self.entries(s.fmt, s.ring)
            best = self._best_verified_rank(same)
            if path.exists() and self._readable(path):
                return AddOutcome("duplicate", path, best)
            if best is not None and s.rank > best:
                return AddOutcome("worse", None, best)
            if sum(1 for e in same if e.rank == s.rank) >= self.max_alternatives:
                return AddOutcome("duplicate", None, best)
            atomic_write_bytes(path, scheme_to_json(s).encode())
        return AddOutcome("added", path, s.rank if best is None else min(best, s.rank))

    @staticmethod
    def _readable(path: Path) -> bool:
        try:
            read_json(path)
            return True
        except DecompError:
            return False

    def _best_verified_rank(self, entries: list[Entry]) -> int | None:
        # A name alone proves nothing: the best must really load and verify,
        # or a corrupt file could block every future addition.
        for e in sorted(entries, key=lambda e: e.rank):
            if self._readable(e.path):
                return e.rank
        return None


def _no_better_than_standard(s: Scheme) -> bool:
    """A matrix scheme with at least the standard algorithm's products: a
    walk's first reports from a start above it (the cyclic diagonal starts
    of 6x6x6 have 219 terms) would otherwise fill the catalogue with files
    that nothing can use."""
    return isinstance(s.fmt, Format) and s.rank >= s.fmt.naive_rank


class StoringCallback:
    """See Catalogue.storing. `added` holds the paths this run wrote, so the
    caller can tell its own additions from schemes stored before."""

    def __init__(self, catalogue: Catalogue, then=None):
        self.catalogue, self.then, self.added = catalogue, then, set()

    def __call__(self, state) -> bool:
        if state.improved is not None and not _is_file_target(state.improved.fmt) \
                and not _no_better_than_standard(state.improved):
            outcome = self.catalogue.add(state.improved)
            if outcome.added:
                self.added.add(outcome.path)
        return bool(self.then(state)) if self.then is not None else False
