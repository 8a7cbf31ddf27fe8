"""Flip-graph random walks over GF(2) (Kauers & Moosbauer 2023), with plus
transitions (Arai, Ichikawa & Hukushima 2024) and lifting to Z.

The walk itself is the numba kernel in flip_kernel.py; this module turns
schemes into bit masks and back, runs walkers (several through the process
pool), reports progress through the callback and verifies every scheme it
hands out with core's checker.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..core.errors import DecompError
from ..core.formats import Format
from ..core.io import read_json
from ..core.lift import lift_gf2
from ..core.rings import Ring
from ..core.scheme import Scheme
from ..core.store import Catalogue
from ..parallel import run_jobs
from . import flip_kernel
from .api import Problem, SolveResult, whole_option
from .flip_adaptive import AdaptiveSearch
from .flip_words import WORD_BITS, empty_factors, words_for

# Room for plus transitions above the start rank.
_EXTRA_TERMS = 16
# Largest factor matrix (terms x bits) the walk takes on: the start scheme is
# built densely first (int64): 2^24 entries per mode is 128 MB, about 25x25x25.
_MAX_ENTRIES = 1 << 24


def to_bits(s: Scheme, capacity: int, words: int | None = None) -> np.ndarray:
    """Factors as bit masks (flip_words): F[mode, t] is one uint64 when every
    factor fits in 64 bits, else F[mode, t, :] holds the words (or as many
    words as asked); bit q is row q of U/V/W column t. Columns past the rank
    are zero."""
    words = words or words_for(max(s.fmt.shape))
    F = empty_factors(3, capacity, words)
    for mode, mat in enumerate(s.as_ring(Ring.GF2).factors):
        bits = np.asarray(mat, dtype=np.uint8) & 1
        rows = bits.shape[0]
        padded = np.zeros((WORD_BITS * words, s.rank), dtype=np.uint64)
        padded[:rows] = bits
        weights = np.left_shift(np.uint64(1), np.arange(WORD_BITS, dtype=np.uint64))
        packed = (padded.reshape(words, WORD_BITS, s.rank) * weights[None, :, None]).sum(axis=1, dtype=np.uint64)
        F[mode, : s.rank] = packed[0] if words == 1 else packed.T
    return F


def from_bits(F: np.ndarray, r: int, fmt: Format, provenance: dict) -> Scheme:
    mats = []
    shifts = np.arange(WORD_BITS, dtype=np.uint64)
    for mode, rows in enumerate(fmt.shape):
        cols = F[mode, :r].reshape(r, -1)  # (terms, words)
        bits = (cols[:, :, None] >> shifts) & np.uint64(1)  # (terms, words, 64)
        mats.append(bits.reshape(r, -1)[:, :rows].T.astype(np.int64))
    return Scheme(fmt, *mats, ring=Ring.GF2, provenance=provenance)


def check_supported(fmt) -> None:
    entries = fmt.naive_rank * max(fmt.shape)
    if entries > _MAX_ENTRIES:
        raise DecompError(f"{fmt} is too large for the flip solver: its standard algorithm has {fmt.naive_rank} "
                          f"terms of {max(fmt.shape)} bits (at most {_MAX_ENTRIES} term-bits)")


def start_scheme(fmt: Format, start) -> Scheme:
    """The start point: 'naive', a Scheme, or a path to a scheme file."""
    if start is None or start == "naive":
        return Scheme(fmt, *fmt.naive_factors(), ring=Ring.GF2)
    if isinstance(start, Scheme):
        s = start
    else:
        s = read_json(Path(start))
    if s.fmt != fmt:
        raise DecompError(f"start scheme is for {s.fmt}, not {fmt}")
    s = s.as_ring(Ring.GF2) if s.ring is not Ring.Q else s
    if s.ring is not Ring.GF2:
        raise DecompError("the flip solver starts from integral schemes (read mod 2)")
    s.require_valid()
    return s


class PlainWalk:
    """Walk state for the plain kernel: the scheme, and the best scheme of
    the current attempt (CyclicWalk in flip_cyclic.py is the symmetric twin)."""

    def __init__(self, s0: Scheme, extra_terms: int):
        self.s0, self.cap = s0, s0.rank + extra_terms
        self.fresh()

    @property
    def start_rank(self) -> int:
        return self.s0.rank

    def fresh(self) -> None:
        self.F = to_bits(self.s0, self.cap)
        self.rank = self.s0.rank
        self.best_F, self.best_r = self.F.copy(), np.array([self.s0.rank], dtype=np.int64)

    @property
    def best_rank(self) -> int:
        return int(self.best_r[0])

    def advance(self, target, steps, plateau, plus_margin, rng, counters) -> int:
        self.rank = flip_kernel.walk(self.F, self.rank, target, steps, plateau, plus_margin, self.best_F,
                                     self.best_r, rng, counters)
        return self.rank

    def best_bits(self) -> np.ndarray:
        return self.best_F[:, : self.best_rank].copy()

    # Snapshots of schemes, for the adaptive search's pools (flip_adaptive.py).
    def snapshot(self):
        return self.F.copy(), self.rank

    def best_snapshot(self):
        return self.best_F.copy(), self.best_rank

    def load(self, snap) -> None:
        """Walk on from a snapshot, which is also the best of the new try."""
        F, r = snap
        self.F[...], self.rank = F, r
        self.best_F[...], self.best_r[0] = F, r

    @staticmethod
    def bits_of(snap) -> np.ndarray:
        return snap[0][:, : snap[1]].copy()

    @staticmethod
    def rank_of(snap) -> int:
        return snap[1]


def walk_state(fmt: Format, start, target, symmetry="none", parts=None, fixed_terms=None, adaptive=None):
    """PlainWalk or CyclicWalk from the start point and the symmetry asked
    for; driven by an AdaptiveSearch when `adaptive` is (pool, path, path_max)."""
    if symmetry == "cyclic":
        from .flip_cyclic import cyclic_walk

        s0 = None if start is None or start == "naive" else start_scheme(fmt, start)
        state = cyclic_walk(fmt, s0, target, parts, fixed_terms, _EXTRA_TERMS)
    elif symmetry != "none":
        raise DecompError(f"flip option symmetry must be none or cyclic, not {symmetry!r}")
    else:
        state = PlainWalk(start_scheme(fmt, start), _EXTRA_TERMS)
    return state if adaptive is None else AdaptiveSearch(state, *adaptive)


def walker(fmt, start, target, seed, steps_per_chunk, plateau, plus_margin, deadline, max_flips,
           lift, results, stop, progress=None, restart_flips=0, symmetry="none", parts=None, fixed_terms=None,
           adaptive=None):
    """One walk until the target rank, the deadline, max_flips or `stop`.

    restart_flips: start afresh from the start point after this many flips
    without a new best rank in the current attempt (0: never). Walks from the
    standard algorithm either reach a low rank quickly or settle on a plateau
    they rarely leave (4x4x4 often sits at 52 for minutes), so a fresh random
    path is the better use of the time (Kauers & Moosbauer restart too).
    A scheme at the target that does not lift to Z also starts a new attempt.
    symmetry='cyclic' walks over cyclic-symmetric schemes (flip_cyclic.py).
    adaptive=(pool, path, path_max) runs the adaptive search (flip_adaptive.py).

    Returns a dict with the best GF(2) scheme's arrays over all attempts, its
    rank, the lifted Z scheme (if asked and it lifts), counters and history.
    Runs in a worker process, so it returns plain data.
    """
    fmt = Format(*fmt) if isinstance(fmt, tuple) else fmt
    state = walk_state(fmt, start, target, symmetry, parts, fixed_terms, adaptive)
    rng = np.array([np.uint64(seed * 0x9E3779B97F4A7C15 % (1 << 64) or 1)], dtype=np.uint64)
    _rand_warm(rng)
    counters = np.zeros(4, dtype=np.int64)
    t0 = time.monotonic()
    history = [(0.0, state.start_rank)]
    catalogue = Catalogue(results) if results else None
    lifted = None
    lift_message = ""
    interrupted = False
    top_F, top_r = state.best_bits(), state.best_rank  # best over all attempts
    restarts = 0
    attempt_best, improved_at = state.start_rank, 0
    while True:
        try:
            r = state.advance(target, steps_per_chunk, plateau, plus_margin, rng, counters)
        except KeyboardInterrupt:  # arrives between chunks; keep what was found
            interrupted = True
            break
        if state.best_rank < attempt_best:
            attempt_best, improved_at = state.best_rank, int(counters[0])
        if state.best_rank < top_r:
            top_r, top_F = state.best_rank, state.best_bits()
            history.append((time.monotonic() - t0, top_r))
            if catalogue is not None:
                _store(catalogue, top_F, top_r, fmt, seed, time.monotonic() - t0, symmetry)
        report = {"rank": int(r), "best_rank": top_r, "flips": int(counters[0]),
                  "plus_transitions": int(counters[2]), "restarts": restarts, "seconds": time.monotonic() - t0}
        if adaptive is not None:
            report.update(pool_rank=state.level, path=state.path)
        if progress is not None and progress(report):
            interrupted = True
            break
        again = restart_flips > 0 and counters[0] - improved_at >= restart_flips
        if state.best_rank <= target:
            if not lift:
                break
            bits = state.best_bits()
            res = lift_gf2(from_bits(bits, state.best_rank, fmt, {}))
            lift_message = res.message
            if res.scheme is not None:
                lifted = res.scheme
                top_r, top_F = state.best_rank, bits
                break
            again = True  # does not lift: a new attempt with the same random stream
        if time.monotonic() >= deadline or counters[0] >= max_flips or stop.is_set():
            break
        if again:
            state.fresh()
            attempt_best, improved_at = state.start_rank, int(counters[0])
            counters[3] = 0
            restarts += 1
    return {
        "F": top_F, "rank": top_r, "seed": seed,
        "flips": int(counters[0]), "reductions": int(counters[1]), "plus": int(counters[2]),
        "restarts": restarts, "seconds": time.monotonic() - t0, "history": history,
        "lifted": None if lifted is None else [np.asarray(m) for m in lifted.factors],
        "lift_message": lift_message, "interrupted": interrupted,
    }


def _rand_warm(rng):
    for _ in range(4):
        flip_kernel._rand(rng)


def _provenance(seed, seconds, symmetry) -> dict:
    prov = {"method": "flip", "seed": seed, "seconds": round(seconds, 3)}
    if symmetry != "none":
        prov["symmetry"] = symmetry
    return prov


def _store(catalogue: Catalogue, F, r, fmt, seed, seconds, symmetry="none"):
    s = from_bits(F, r, fmt, _provenance(seed, seconds, symmetry))
    if s.verify().ok:
        catalogue.add(s)


def _count(name: str, value, least: int = 0) -> int:
    return whole_option("flip", name, value, least)


def run(problem: Problem, start="naive", workers=1, plateau=20_000, plus_margin=2, chunk=200_000,
        max_flips=None, lift=None, results=None, walkers=None, restart_flips=None, symmetry="none",
        parts=None, fixed_terms=None, search="walk", pool=4, path=20_000, path_max=50_000_000) -> SolveResult:
    fmt = problem.fmt
    check_supported(fmt)
    want_z = problem.ring in (Ring.Z, Ring.ZT, Ring.Q)
    lift = want_z if lift is None else bool(lift)
    if want_z and not lift:
        raise DecompError("over z the flip solver needs --lift (it walks over GF(2))")
    if fixed_terms is not None:
        fixed_terms = _count("fixed_terms", fixed_terms, 1)
    if symmetry == "cyclic" and not isinstance(fmt, Format):
        raise DecompError("cyclic symmetry needs a square matrix format <n,n,n>, not a target")
    if search not in ("walk", "adaptive"):
        raise DecompError(f"flip option search must be walk or adaptive, not {search!r}")
    adaptive = None
    if search == "adaptive":
        adaptive = (_count("pool", pool, 1), _count("path", path, 1), _count("path_max", path_max, 1))
    if restart_flips is None:  # an adaptive search keeps its pools: no restarts unless asked
        restart_flips = 0 if adaptive else 100_000_000
    walk_state(fmt, start, problem.rank, symmetry, parts, fixed_terms, adaptive)  # fail fast on a bad start or option
    seed = 0 if problem.seed is None else int(problem.seed)
    deadline = time.monotonic() + (problem.time_left() if problem.time_limit else 3600.0 * 24 * 365)
    max_flips = _count("max_flips", max_flips, 1) if max_flips else 1 << 62
    nwalkers = _count("walkers", walkers, 1) if walkers else max(1, _count("workers", workers))
    chunk, plateau = _count("chunk", chunk, 1), _count("plateau", plateau)
    plus_margin, restart_flips = _count("plus_margin", plus_margin), _count("restart_flips", restart_flips)
    jobs = [dict(fmt=fmt, start=start, target=problem.rank, seed=seed * 1000 + w,
                 steps_per_chunk=chunk, plateau=plateau, plus_margin=plus_margin,
                 deadline=deadline, max_flips=max_flips, lift=lift, results=results,
                 restart_flips=restart_flips, symmetry=symmetry, parts=parts, fixed_terms=fixed_terms,
                 adaptive=adaptive)
            for w in range(nwalkers)]
    if nwalkers == 1 and problem.callback is not None:
        jobs[0]["progress"] = problem.callback
    best = None
    totals = {"flips": 0, "reductions": 0, "plus_transitions": 0, "restarts": 0, "walkers": nwalkers}

    def done(res):
        return res["rank"] <= problem.rank and (not lift or res["lifted"] is not None)

    for res in run_jobs(walker, jobs, int(workers), stop_on=done):
        totals["flips"] += res["flips"]
        totals["reductions"] += res["reductions"]
        totals["plus_transitions"] += res["plus"]
        totals["restarts"] += res["restarts"]
        if best is None or (done(res), -res["rank"]) > (done(best), -best["rank"]):
            best = res
    prov = _provenance(best["seed"], best["seconds"], symmetry)
    gf2 = from_bits(best["F"], best["rank"], fmt, prov)
    scheme = gf2
    message = f"reached rank {best['rank']} over gf2 after {totals['flips']} flips"
    extra = dict(totals, search=search, flips_per_second=totals["flips"] / max(1e-9, time.monotonic() - problem.start))
    if lift:
        extra["lift"] = best["lift_message"] or "not attempted (target not reached)"
        if best["lifted"] is not None:
            scheme = Scheme(fmt, *best["lifted"], ring=Ring.Z, provenance=dict(prov, lifted_from="gf2"))
            message += "; lifted to Z"
        else:
            scheme = None
            message += f"; {extra['lift']}"
    if scheme is not None and problem.ring is Ring.ZT and not scheme.verify(Ring.ZT).ok:
        scheme, message = None, message + "; lifted coefficients leave {-1,0,1}"
    elif scheme is not None and problem.ring is not scheme.ring:
        scheme = scheme.as_ring(problem.ring)
    reached = scheme is not None and scheme.rank <= problem.rank
    timed_out = time.monotonic() >= deadline
    status = "found" if reached else (
        "interrupted" if best["interrupted"] else "time_limit" if timed_out else "not_found")
    return SolveResult(reached, status, message, scheme, best["rank"], best["history"],
                       method="flip", extra=extra)

