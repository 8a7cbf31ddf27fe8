"""One flip-graph walker: its state (PlainWalk over GF(2) here, CyclicWalk
in cyclic.py, TernaryWalk over Z in ternary.py, any of them driven by an
AdaptiveSearch) and the loop that advances it in chunks of flips until the
target, the deadline or a stop.

A walker runs in a worker process when there are several, so it takes and
returns plain data, and reports progress as plain dicts put on `reports`
(the parent turns them into SolveStates, solver.py).
"""

from __future__ import annotations

import time

import numpy as np

from ...core.errors import DecompError
from ...core.formats import Format
from ...core.lift import LiftResult, lift_gf2
from ...core.lift3 import gf3_scheme, lift_gf3
from ...core.rings import Ring
from ...core.scheme import Scheme
from ..gf2.bits import from_bits, to_bits
from ..gf2.rng import generator
from ..starts import given_start, start_pool
from .adaptive import AdaptiveSearch
from .plain_walk import EXTRA_TERMS, PlainWalk
from .plateau_lift import lift_on_plateau
from .ternary import TernaryWalk, from_masks

# The rings a walk runs in: GF(2) (lifted to Z afterwards when asked), Z
# with every entry in {-1, 0, 1} (ternary.py), or GF(3) (lifted to Q or Z:
# core/lift3.py).
WALK_RINGS = ("gf2", "zt", "gf3")

# Largest factor matrix (terms x bits) the walk takes on: the start scheme is
# built densely first (int64): 2^24 entries per mode is 128 MB, about 25x25x25.
_MAX_ENTRIES = 1 << 24
# A walker with a listener reports at most this often (and whenever its best
# improves): through a process queue every report costs a round trip.
REPORT_EVERY = 0.1


def check_supported(fmt) -> None:
    entries = fmt.naive_rank * max(fmt.shape)
    if entries > _MAX_ENTRIES:
        raise DecompError(f"{fmt} is too large for the flip solver: its standard algorithm has {fmt.naive_rank} "
                          f"terms of {max(fmt.shape)} bits (at most {_MAX_ENTRIES} term-bits)")


def start_scheme(fmt: Format, start) -> Scheme:
    """The start point: 'naive', a Scheme, or a path to a scheme file."""
    if start is None or start == "naive":
        return Scheme(fmt, *fmt.naive_factors(), ring=Ring.GF2)
    s = given_start(fmt, start)
    s = s.as_ring(Ring.GF2) if s.ring is not Ring.Q else s
    if s.ring is not Ring.GF2:
        raise DecompError("the flip solver starts from integral schemes (read mod 2)")
    s.require_valid()
    return s


def _lifted_start(fmt: Format, start, ring: Ring, walk: str) -> Scheme:
    """A given start, a GF(2) one lifted to `ring` first: walks over Z and
    over GF(3) read their start over Z. `walk` says why, for the error."""
    s = given_start(fmt, start)
    if s.ring is not Ring.GF2:
        return s
    lifted = lift_gf2(s.require_valid(), ring=ring)
    if lifted.scheme is None:
        wanted = "{-1, 0, 1}" if ring is Ring.ZT else "Z"
        raise DecompError(f"{walk}, and the GF(2) start scheme does not lift to {wanted}: {lifted.message}")
    return lifted.scheme


def ternary_start(fmt: Format, start) -> Scheme:
    """The start point of a ternary walk: the standard algorithm, or a
    scheme over Z with entries in {-1, 0, 1} (a GF(2) scheme is lifted)."""
    if start is None or start == "naive":
        return Scheme(fmt, *fmt.naive_factors(), ring=Ring.Z)
    s = _lifted_start(fmt, start, Ring.ZT, "a ternary walk starts over Z")
    if s.ring is Ring.Q:
        s = s.as_ring(Ring.Z)
    s.require_valid(Ring.Z)
    if not s.verify(Ring.ZT).ok:
        raise DecompError("a ternary walk starts from a scheme with entries in {-1, 0, 1}; "
                          "this one has larger ones")
    return s


def gf3_start(fmt: Format, start) -> Scheme:
    """The start point of a GF(3) walk: the standard algorithm, or a scheme
    read mod 3 (one over Q needs denominators prime to 3; a GF(2) scheme is
    lifted to Z first)."""
    if start is None or start == "naive":
        return Scheme(fmt, *fmt.naive_factors(), ring=Ring.ZT)
    s = _lifted_start(fmt, start, Ring.Z, "a GF(3) walk reads its start mod 3")
    s.require_valid()
    return gf3_scheme(s)


def scheme_of(bits: np.ndarray, rank: int, fmt: Format, provenance: dict, walk_ring: str = "gf2") -> Scheme:
    """The scheme a walker's bits stand for (unverified): GF(2) bit masks,
    or a ternary or GF(3) walk's signed masks (a GF(3) scheme is labelled
    zt: valid mod 3 only, it is lifted before it leaves the solver)."""
    return (from_masks if walk_ring in ("zt", "gf3") else from_bits)(bits, rank, fmt, provenance)


def walk_state(fmt: Format, start, target, symmetry="none", parts=None, fixed_terms=None, adaptive=None,
               walk_ring="gf2", index=0):
    """PlainWalk, CyclicWalk or TernaryWalk from the start point, the
    symmetry and the ring asked for; driven by an AdaptiveSearch when
    `adaptive` is (pool, path, path_max). A start that is a list is a pool
    of starts of one rank (start_pool): walker `index` walks from member
    index mod its size, and an adaptive search's first pool holds them all."""
    if walk_ring not in WALK_RINGS:
        raise DecompError(f"flip option walk_ring must be {', '.join(WALK_RINGS[:-1])} or {WALK_RINGS[-1]}, "
                          f"not {walk_ring!r}")
    starts = None
    if isinstance(start, (list, tuple)):
        if symmetry != "none":
            raise DecompError("a pool of starts walks without symmetry: use --symmetry none")
        starts = start_pool(fmt, start)
        start = starts[index % len(starts)]
    if walk_ring in ("zt", "gf3"):
        if symmetry != "none":
            kind = "ternary walks" if walk_ring == "zt" else "walks over GF(3)"
            raise DecompError(f"{kind} (walk_ring={walk_ring}) have no symmetric version: use --symmetry none")
        mod3 = walk_ring == "gf3"
        state = TernaryWalk((gf3_start if mod3 else ternary_start)(fmt, start), EXTRA_TERMS, mod3)
    elif symmetry == "cyclic":
        from .cyclic import cyclic_walk

        s0 = None if start is None or start == "naive" else start_scheme(fmt, start)
        state = cyclic_walk(fmt, s0, target, parts, fixed_terms, EXTRA_TERMS)
    elif symmetry != "none":
        raise DecompError(f"flip option symmetry must be none or cyclic, not {symmetry!r}")
    else:
        state = PlainWalk(start_scheme(fmt, start), EXTRA_TERMS)
    if adaptive is None:
        return state
    begin = {"zt": ternary_start, "gf3": gf3_start}.get(walk_ring, start_scheme)
    others = [state.snapshot_of(begin(fmt, s)) for s in starts or () if s is not start]
    return AdaptiveSearch(state, *adaptive, others=others)


def walker(fmt, start, target, seed, steps_per_chunk, plateau, plus_margin, deadline, max_flips,
           lift, stop, reports=None, index=0, restart_flips=0, symmetry="none", parts=None, fixed_terms=None,
           adaptive=None, walk_ring="gf2", lift_points=0, lift_ring="z"):
    """One walk until the target rank, the deadline, max_flips or `stop`.

    restart_flips: start afresh from the start point after this many flips
    without a new best rank in the current attempt (0: never). Walks from the
    standard algorithm either reach a low rank quickly or settle on a plateau
    they rarely leave (4x4x4 often sits at 52 for minutes), so a fresh random
    path is the better use of the time (Kauers & Moosbauer restart too).
    A scheme at the target that does not lift to Z is walked along its
    plateau, a lift tried at up to lift_points points (plateau_lift.py),
    and only then starts a new attempt (symmetric walks: at once).
    symmetry='cyclic' walks over cyclic-symmetric schemes (cyclic.py).
    adaptive=(pool, path, path_max) runs the adaptive search (adaptive.py).
    walk_ring="zt" walks over Z (ternary.py): its schemes need no lift.
    lift_ring: what a GF(2) walk lifts to, z or zt (signs by SAT, or a
    change of basis of a Z lift: lift_gf2); a GF(3) walk lifts to q, z or
    zt (lift_gf3). deadline: monotonic time to
    stop at. reports: anything with put(dict) (a process queue), given when
    someone listens: it receives the walk's counters now and then, and the
    bits of every new best ("F").

    Returns a dict with the best GF(2) scheme's arrays over all attempts, its
    rank, the lifted Z scheme (if asked and it lifts), counters and history.
    """
    fmt = Format(*fmt) if isinstance(fmt, tuple) else fmt
    state = walk_state(fmt, start, target, symmetry, parts, fixed_terms, adaptive, walk_ring, index)
    rng = generator(seed)
    counters = np.zeros(4, dtype=np.int64)
    t0 = time.monotonic()
    history = [(0.0, state.start_rank)]
    lifted = None
    lift_message = ""
    interrupted = False
    top_F, top_r = state.best_bits(), state.best_rank  # best over all attempts
    restarts = 0
    attempt_best, improved_at = state.start_rank, 0
    last_report, unreported = -float("inf"), None
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
            unreported = top_F
        if reports is not None and (unreported is not None or time.monotonic() - last_report >= REPORT_EVERY):
            report = {"walker": index, "rank": int(r), "best_rank": top_r, "F": unreported,
                      "flips": int(counters[0]), "plus_transitions": int(counters[2]),
                      "restarts": restarts + getattr(state, "restarts", 0)}
            if adaptive is not None:
                report.update(pool_rank=state.level, path=state.path)
            reports.put(report)
            last_report, unreported = time.monotonic(), None
        again = restart_flips > 0 and counters[0] - improved_at >= restart_flips
        if state.best_rank <= target:
            if not lift:
                break
            bits = state.best_bits()
            if walk_ring == "zt":  # already over Z; checked all the same
                walked = scheme_of(bits, state.best_rank, fmt, {}, walk_ring)
                res = LiftResult(walked, "walked over Z") if walked.verify(Ring.Z).ok else \
                    LiftResult(None, "the ternary walk's scheme does not verify over Z")
            elif walk_ring == "gf3":
                res = lift_gf3(scheme_of(bits, state.best_rank, fmt, {}, walk_ring), ring=lift_ring)
            else:
                reached = from_bits(bits, state.best_rank, fmt, {})
                res = lift_gf2(reached, ring=lift_ring)
                # not on cyclic walks: a plateau walk would leave the symmetric schemes
                if res.scheme is None and lift_points and symmetry == "none":
                    res, point, flips = lift_on_plateau(reached, rng, lift_points, deadline=deadline, stop=stop,
                                                        first=res, ring=lift_ring)
                    counters[0] += flips  # the plateau's flips count as the walk's
                    if res.scheme is not None:
                        bits = to_bits(point, point.rank)  # the plateau point that lifted
            lift_message = res.message
            if res.scheme is not None:
                lifted = res.scheme
                top_r, top_F = lifted.rank, bits
                break
            if adaptive is not None:
                state.discard_best()  # does not lift: the search goes on from its pool
            else:
                again = True  # does not lift: a new attempt with the same random stream
        if time.monotonic() >= deadline or counters[0] >= max_flips or stop.is_set():
            interrupted = stop.is_set() and time.monotonic() < deadline  # stopped by the caller, not the clock
            break
        if again:
            state.fresh()
            attempt_best, improved_at = state.start_rank, int(counters[0])
            counters[3] = 0
            restarts += 1
    return {
        "F": top_F, "rank": top_r, "seed": seed, "walker": index,
        "flips": int(counters[0]), "reductions": int(counters[1]), "plus": int(counters[2]),
        "restarts": restarts + getattr(state, "restarts", 0), "seconds": time.monotonic() - t0,
        "history": history,
        "lifted": None if lifted is None else [np.asarray(m) for m in lifted.factors],
        "lifted_ring": None if lifted is None else lifted.ring.value,
        "lift_message": lift_message, "interrupted": interrupted,
    }
