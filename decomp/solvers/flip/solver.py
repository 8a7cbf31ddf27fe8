"""solve(..., method="flip"): flip-graph random walks over GF(2) (Kauers &
Moosbauer 2023), with plus transitions (Arai, Ichikawa & Hukushima 2024),
cyclic symmetry (Moosbauer & Poole 2025), an adaptive search, and lifting
to Z; or walks over Z with entries in {-1, 0, 1}, or over GF(3) lifted to
Q or Z.

The walk is the numba kernel in kernel.py, driven by walk.py's walker; this
module checks the options, runs one walker inline or several on the process
pool (each with its own seed from SeedSequence.spawn), turns their reports
into SolveStates for the callback and returns the best scheme. It stores
nothing: improvements reach the caller through SolveState.improved.
"""

from __future__ import annotations

from ...core.coefficients import ternary_member
from ...core.credit import start_provenance
from ...core.errors import DecompError
from ...core.formats import Format
from ...core.lift import lift_gf2
from ...core.lift3 import lift_gf3
from ...core.rings import Ring
from ...core.scheme import Scheme
from ...parallel import run_jobs
from ..api import Problem, SolveResult
from ..options import whole_option
from .ternary import MAX_BITS
from ..starts import given_start, pool_label, start_label, start_pool
from .walk import check_supported, scheme_of, walk_state, walker


# Above this many standard products every walker of the default search runs
# the adaptive search (see run()).
LARGE_NAIVE_RANK = 64
# A walk starts afresh after this many flips without a new best (1e8: about 10 s).
WALK_RESTART = 100_000_000
# plateau points tried for a lift (plateau_lift.py): a 3x5x5 58 over GF(2)
# lifted at its 57th; each try costs a lift attempt (about 1 s at 3x5x5)
LIFT_POINTS = 64


def _search_of(search: str, large: bool, symmetry: str, walker: int) -> str:
    """The search walker number `walker` runs: search="auto" gives formats
    above LARGE_NAIVE_RANK the adaptive search, and smaller ones both, walker
    0 walking, walker 1 searching adaptively, and so on. Neither wins on all
    (README, "Adaptive search, stop 16"; single runs by hand): from the
    standard 2x5x5 a walk makes no reduction in 5e7 flips where the adaptive
    search reaches the record (40) in 21-39 s, while on 3x4x4 and 4x4x4 the walk reaches 38 and 49 first and the
    adaptive search's pools stall at 39 and 52. Cyclic-symmetric schemes
    walk (measured as walks: 5x5x5 rank 93)."""
    if search not in ("auto", "walk", "adaptive"):
        raise DecompError(f"flip option search must be walk or adaptive (or auto, the default), not {search!r}")
    if search != "auto":
        return search
    if symmetry != "none":
        return "walk"
    return "adaptive" if large or walker % 2 == 1 else "walk"


def _count(name: str, value, least: int = 0) -> int:
    return whole_option("flip", name, value, least)


def walk_ring_of(ring, fmt, walk_ring=None, symmetry="none") -> str:
    """The ring a flip walk runs over: walk_ring when given, else zt for
    ring zt and gf2 otherwise. Ternary factors are single words, so formats
    with a factor above MAX_BITS entries, and symmetric walks, stay on GF(2).
    (Callers building a walk's start ask this too: a zt walk needs one in
    {-1, 0, 1}.)"""
    if walk_ring is not None:
        return walk_ring
    ternary = Ring.parse(ring) is Ring.ZT and symmetry == "none" and max(fmt.shape) <= MAX_BITS
    return "zt" if ternary else "gf2"


def run(problem: Problem, start="naive", workers=1, plateau=20_000, plus_margin=2, chunk=200_000,
        max_flips=None, lift=None, walkers=None, restart_flips=None, symmetry="none",
        parts=None, fixed_terms=None, search="auto", pool=4, path=1_000, path_max=50_000_000,
        walk_ring=None, lift_points=LIFT_POINTS) -> SolveResult:
    """search="walk" is one long walk with restarts; search="adaptive" goes
    down rank by rank through pools of schemes, each try a path of at most
    path, 2 path, 4 path, ... path_max flips, the length drawn by Thompson
    sampling on the reductions per flip each length has given (adaptive.py).
    search="auto" (the default) runs the adaptive search on every walker
    above 64 standard products, where walks from the standard algorithm make
    no reduction (5x5x5), and below that walks on even walkers and searches
    adaptively on odd ones (_search_of); cyclic-symmetric schemes walk.
    walk_ring="zt" walks over Z with entries in {-1, 0, 1} (ternary.py)
    instead of over GF(2): nothing to lift, for any ring asked for. The
    default walks over Z for ring zt (a lifted GF(2) scheme may leave
    {-1, 0, 1}) unless a symmetry is asked for or a factor has more than 64
    entries, and over GF(2) otherwise:
    from the standard algorithm GF(2) walks go lower (README, "Ternary walks").
    walk_ring="gf3" walks over GF(3) and lifts a scheme at the target
    3-adically to the ring asked for (q, z or zt; core/lift3.py): fractions
    with denominators prime to 3, such as 1/2, come out over q.
    lift_points: a GF(2) scheme at the target that does not lift is walked
    along its plateau and a lift tried at up to this many points before the
    walk goes on (plateau_lift.py; 0: never)."""
    fmt = problem.fmt
    check_supported(fmt)
    walk_ring = walk_ring_of(problem.ring, fmt, walk_ring, symmetry)
    want_z = problem.ring in (Ring.Z, Ring.ZT, Ring.Q)
    ternary = walk_ring == "zt"
    gf3 = walk_ring == "gf3"
    if gf3 and not want_z:
        raise DecompError("a walk over gf3 (walk_ring=gf3) finds schemes over q, z or zt, lifted 3-adically; "
                          "not over gf2")
    lift = want_z and not ternary if lift is None else bool(lift) and not ternary
    if gf3 and not lift:
        raise DecompError("a walk over gf3 (walk_ring=gf3) needs the lift: its schemes hold mod 3 only")
    if want_z and not lift and not ternary:
        raise DecompError("over z the flip solver needs --lift (it walks over GF(2)) or -o walk_ring=zt")
    if fixed_terms is not None:
        fixed_terms = _count("fixed_terms", fixed_terms, 1)
    if symmetry == "cyclic" and not isinstance(fmt, Format):
        raise DecompError("cyclic symmetry needs a square matrix format <n,n,n>, not a target")
    large = isinstance(fmt, Format) and fmt.naive_rank > LARGE_NAIVE_RANK
    pooled = (_count("pool", pool, 1), _count("path", path, 1), _count("path_max", path_max, 1))
    nwalkers = _count("walkers", walkers, 1) if walkers else max(1, _count("workers", workers))
    searches = [_search_of(search, large, symmetry, w) for w in range(nwalkers)]
    label = None
    if isinstance(start, (list, tuple)):
        # a pool of starts: files read once, here; the lowest rank's members kept
        start = start_pool(fmt, start)
        label = pool_label(start)
    elif start is not None and not (isinstance(start, str) and start == "naive"):
        # where the walk began, so a stored scheme says what it improved on
        label = start_label(start) if isinstance(start, Scheme) else str(start)
        start = given_start(fmt, start)  # a file read once, here: the walkers and the provenance take the scheme
    walk_state(fmt, start, problem.rank, symmetry, parts, fixed_terms,
               pooled if "adaptive" in searches else None, walk_ring)  # fail fast on a bad start or option
    max_flips = _count("max_flips", max_flips, 1) if max_flips else 1 << 62
    chunk, plateau = _count("chunk", chunk, 1), _count("plateau", plateau)
    plus_margin = _count("plus_margin", plus_margin)
    lift_points = _count("lift_points", lift_points)
    if restart_flips is not None:
        restart_flips = _count("restart_flips", restart_flips)
    # what a walk's scheme is lifted to: a GF(2) one to z (or zt), a GF(3) one to the ring asked for
    lift_ring = problem.ring if gf3 else Ring.ZT if problem.ring is Ring.ZT else Ring.Z
    extra_prov = {"symmetry": symmetry} if symmetry != "none" else {}
    if ternary or gf3:
        extra_prov["walk_ring"] = walk_ring
    if label is not None:
        # its rank, ring and credit too, so the table can tell a find from the start carried forward
        extra_prov.update(start=label, **start_provenance(start))  # a pool: its most cautious member's
    jobs = [dict(fmt=fmt, start=start, target=problem.rank, seed=seed, index=w,
                 steps_per_chunk=chunk, plateau=plateau, plus_margin=plus_margin,
                 deadline=problem.deadline, max_flips=max_flips, lift=lift,
                 # an adaptive search keeps its pools (and restarts itself when they stall)
                 restart_flips=restart_flips if restart_flips is not None else
                 (0 if searches[w] == "adaptive" else WALK_RESTART),
                 symmetry=symmetry, parts=parts, fixed_terms=fixed_terms,
                 adaptive=pooled if searches[w] == "adaptive" else None, walk_ring=walk_ring,
                 lift_points=lift_points if lift and not gf3 else 0,  # plateau lifts are GF(2)'s
                 lift_ring=lift_ring)
            for w, seed in enumerate(problem.worker_seeds(nwalkers))]

    def on_report(rep: dict) -> bool:
        improved = None
        if rep["F"] is not None and not gf3:  # a GF(3) scheme is valid over no ring we store
            improved = scheme_of(rep["F"], rep["best_rank"], fmt,
                                 problem.provenance(walker=rep["walker"], **extra_prov), walk_ring)
        counters = {k: v for k, v in rep.items() if k not in ("walker", "rank", "best_rank", "F")}
        return problem.report(rank=rep["rank"], best_rank=rep["best_rank"],
                              walker=rep["walker"] if nwalkers > 1 else None, improved=improved, **counters)

    best = None
    totals = {"flips": 0, "reductions": 0, "plus_transitions": 0, "restarts": 0, "walkers": nwalkers}

    def done(res):
        return res["rank"] <= problem.rank and (not lift or res["lifted"] is not None)

    listen = on_report if problem.callback is not None else None
    for res in run_jobs(walker, jobs, int(workers), stop_on=done, on_report=listen):
        totals["flips"] += res["flips"]
        totals["reductions"] += res["reductions"]
        totals["plus_transitions"] += res["plus"]
        totals["restarts"] += res["restarts"]
        if best is None or (done(res), -res["rank"]) > (done(best), -best["rank"]):
            best = res
    prov = dict(problem.provenance(**extra_prov), seconds=round(best["seconds"], 3))
    if nwalkers > 1:
        prov["walker"] = best["walker"]
    walked = scheme_of(best["F"], best["rank"], fmt, prov, walk_ring)
    scheme = walked
    message = f"reached rank {best['rank']} over {walk_ring} after {totals['flips']} flips"
    extra = dict(totals, search=",".join(sorted(set(searches))),
                 flips_per_second=totals["flips"] / max(1e-9, problem.elapsed()))
    if lift:
        lifted = best["lifted"]
        extra["lift"] = best["lift_message"] or "not attempted"
        if lifted is None and best["rank"] > problem.rank:
            # The walker lifts at the target only; a run that ends above it
            # still returns its best scheme over Z when that one lifts.
            res = (lift_gf3 if gf3 else lift_gf2)(walked, ring=lift_ring)
            extra["lift"] = f"best rank {best['rank']} (above the target): {res.message}"
            lifted = None if res.scheme is None else res.scheme.factors
            lifted_ring = None if res.scheme is None else res.scheme.ring.value
        else:
            lifted_ring = best.get("lifted_ring")
        if lifted is not None:
            # over zt the lift has entries in {-1, 0, 1} already (lift_gf2 with ring zt); a GF(3)
            # walk's lift may hold fractions
            ring = Ring.Q if lifted_ring == Ring.Q.value else Ring.Z
            scheme = Scheme(fmt, *lifted, ring=ring, provenance=dict(prov, lifted_from=walk_ring))
            message += f"; lifted to {ring.value.upper()}"
        else:
            scheme = None
            message += f"; {extra['lift']}"
    if scheme is not None and problem.ring is Ring.ZT and not scheme.verify(Ring.ZT).ok:
        # a lifted scheme often has a few entries +-2 that an equivalent one avoids
        member = ternary_member(scheme, seed=problem.seed or 0) if isinstance(fmt, Format) else None
        scheme, message = (member, message + "; a change of basis took it to {-1,0,1}") if member is not None \
            else (None, message + "; lifted coefficients leave {-1,0,1}")
    elif scheme is not None and problem.ring is not scheme.ring:
        scheme = scheme.as_ring(problem.ring)
    reached = scheme is not None and scheme.rank <= problem.rank
    status = "found" if reached else (
        "interrupted" if best["interrupted"] else "time_limit" if problem.time_left() <= 0 else "not_found")
    return SolveResult(reached, status, message, scheme, best["rank"], best["history"],
                       method="flip", extra=extra)
