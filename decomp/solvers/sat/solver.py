"""SAT solver over GF(2): find a scheme, prove none exists, or complete a
partly fixed known scheme (the neighbourhood search of Heule, Kauers & Seidl).

Budgets: CaDiCaL and Kissat ignore interrupt(), so the solver runs in
conflict-budget slices (conf_budget + solve_limited) and the clock and the
callback are checked between slices.

solver="local" is not a CNF solver: it runs the local search on the Brent
equations in local.py, which finds schemes and never proves anything.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from pysat.formula import IDPool
from pysat.solvers import NoSuchSolverError, Solver, SolverNames

from ...core.errors import DecompError
from ...core.io import read_json
from ...core.lift import lift_gf2
from ...core.rings import Ring
from ...core.scheme import Scheme
from ..api import Problem, SolveResult
from ..cyclic import cyclic_ties, symmetric_terms
from ..options import number_option, whole_option
from . import encoding as enc
from . import local as sat_local

# Brent equations grow as (nmp)^2 * R; beyond this the CNF will not fit.
MAX_TRIPLE_VARS = 3_000_000
_SLICE_CONFLICTS = 20_000


# Not a python-sat solver: the local search on the Brent equations (local.py).
LOCAL = "local"


def solver_names() -> list[str]:
    return sorted([n for n in vars(SolverNames) if not n.startswith("_")] + [LOCAL])


def build(problem_fmt, rank, symmetry=True, known=None, fix_terms=(), max_factor_nnz=None, chunk=4,
          symmetric=None):
    """The whole CNF: returns (clauses, (u, v, w), pool). symmetric=s: only
    cyclic-symmetric schemes with s terms x(x)x (solvers/cyclic.py's
    layout), their terms ordered within the x(x)x block and among the orbits."""
    pool = IDPool()
    if symmetric is None:
        u, v, w = enc.factor_vars(pool, problem_fmt, rank)
        clauses = enc.brent_clauses(pool, problem_fmt, rank, u, v, w, chunk)
        blocks = [range(rank)]
    else:
        u, v, w = enc.factor_vars(pool, problem_fmt, rank, cyclic_ties(rank, symmetric)[0])
        # the equations of (a,b,c) and its rotations are the same equation up to renaming the terms
        clauses = enc.brent_clauses(pool, problem_fmt, rank, u, v, w, chunk,
                                    keep=lambda a, b, c: (a, b, c) <= min((b, c, a), (c, a, b)))
        blocks = [range(symmetric), range(symmetric, rank, 3)]
    clauses += enc.nonzero_clauses(u, v, w)
    if symmetry and not len(fix_terms):
        for columns in blocks:
            clauses += enc.lex_clauses(pool, u, v, w, columns)
    if known is not None and len(fix_terms):
        clauses += enc.fix_clauses(u, v, w, [np.asarray(m) for m in known.factors], fix_terms)
    if max_factor_nnz:
        clauses += enc.sparsity_clauses(pool, u, v, w, int(max_factor_nnz))
    return clauses, (u, v, w), pool


def _known_scheme(known, fmt) -> Scheme:
    s = known if isinstance(known, Scheme) else read_json(Path(known))
    if s.fmt != fmt:
        raise DecompError(f"known scheme is for {s.fmt}, not {fmt}")
    if s.ring is Ring.Q:
        raise DecompError("a known scheme for SAT must have integer coefficients (read mod 2)")
    return s.as_ring(Ring.GF2).require_valid()


def _symmetry(symmetry) -> bool | str:
    """symmetry: True (order the terms), False (no symmetry breaking), or
    'cyclic' (only cyclic-symmetric schemes, terms ordered within blocks)."""
    text = str(symmetry).lower()
    if text in ("true", "lex"):
        return True
    if text in ("false", "none"):
        return False
    if text == "cyclic":
        return "cyclic"
    raise DecompError(f"sat option symmetry must be true, false or cyclic, not {symmetry!r}")


def run(problem: Problem, solver="cadical195", symmetry=True, known=None, fix_fraction=1 / 3,
        max_factor_nnz=None, conflicts=None, lift=None, proof=None, chunk=4, noise=0.02, tabu=0,
        restart_steps=10_000_000, fixed_terms=None) -> SolveResult:
    fmt, rank = problem.fmt, problem.rank
    if solver not in solver_names():
        raise DecompError(f"unknown SAT solver {solver!r}: valid solvers are {', '.join(solver_names())}")
    symmetry = _symmetry(symmetry)
    symmetric = None
    if symmetry == "cyclic":
        symmetric = symmetric_terms("sat", fmt, rank, fixed_terms)
        if known is not None:
            raise DecompError("sat: a known scheme cannot be combined with symmetry=cyclic")
    elif fixed_terms is not None:
        raise DecompError("sat option fixed_terms needs symmetry=cyclic")
    want_z = problem.ring in (Ring.Z, Ring.ZT, Ring.Q)
    lift = want_z if lift is None else bool(lift)
    if want_z and not lift:
        raise DecompError("over z the SAT solver needs lifting (it solves over GF(2))")
    fix_fraction = number_option("sat", "fix_fraction", fix_fraction, 0.0, 1.0)
    known_s, fix_terms = None, []
    if known is not None:
        known_s = _known_scheme(known, fmt)
        n_fix = min(known_s.rank, rank, int(round(float(fix_fraction) * known_s.rank)))
        rng = np.random.default_rng(problem.seed)
        fix_terms = sorted(rng.choice(known_s.rank, size=n_fix, replace=False).tolist())
    if solver == LOCAL:
        return _run_local(problem, lift, noise, tabu, restart_steps, known_s, fix_terms, symmetric,
                          {"max_factor_nnz": max_factor_nnz, "conflicts": conflicts, "proof": proof})
    product_vars = int(np.prod(fmt.shape)) * rank
    if product_vars > MAX_TRIPLE_VARS:
        raise DecompError(f"{fmt} rank {rank} is too large for the SAT encoding "
                          f"({product_vars} product variables; limit {MAX_TRIPLE_VARS})")
    # chunks of 1 or 2 literals never shorten an XOR chain (each step adds a link variable back)
    chunk = whole_option("sat", "chunk", chunk, 3)
    conflicts = whole_option("sat", "conflicts", conflicts, 1) if conflicts is not None else None
    if max_factor_nnz is not None:
        max_factor_nnz = whole_option("sat", "max_factor_nnz", max_factor_nnz, 1)
    t0 = time.monotonic()
    clauses, (u, v, w), pool = build(fmt, rank, symmetry, known_s, fix_terms, max_factor_nnz, int(chunk),
                                     symmetric)
    encode_s = time.monotonic() - t0
    extra = {"solver": solver, "variables": pool.top, "clauses": len(clauses), "encode_seconds": encode_s,
             "fixed_terms": len(fix_terms), "symmetry_breaking": bool(symmetry and not fix_terms)}
    if symmetric is not None:
        extra.update(symmetry="cyclic", symmetric_terms=symmetric)
    try:
        sat = Solver(name=solver, bootstrap_with=clauses, with_proof=bool(proof))
    except NotImplementedError:
        raise DecompError(f"solver {solver!r} cannot write proofs; try glucose4 or lingeling") from None
    except NoSuchSolverError:  # named by python-sat but not built into it (cryptosat needs pycryptosat)
        raise DecompError(f"solver {solver!r} is not available in this python-sat installation; "
                          f"try cadical195") from None
    with sat:
        status, conflicts_used = _solve_in_slices(sat, solver, problem, conflicts)
        extra["solve_seconds"] = time.monotonic() - t0 - encode_s
        extra["conflicts"] = conflicts_used
        if status is True:
            return _found(problem, enc.decode(sat.get_model(), u, v, w), solver, lift, extra)
        if status is False:
            if proof:
                Path(proof).write_text("\n".join(sat.get_proof()) + "\n")
                extra["proof"] = str(proof)
            if not fix_terms and not max_factor_nnz:
                proved = f"(UNSAT, proved by {solver} in {extra['solve_seconds']:.1f} s)"
                if symmetric is None:
                    msg = f"no scheme of rank {rank} exists over GF(2) for {fmt} {proved}"
                    return SolveResult(False, "infeasible", msg, None, None, method="sat", extra=extra)
                # a proof about the symmetric class only: not a proof that no scheme exists
                msg = (f"no cyclic-symmetric scheme of rank {rank} with fixed_terms={symmetric} (terms x(x)x) "
                       f"exists over GF(2) for {fmt} {proved}")
                return SolveResult(False, "not_found", msg, None, None, method="sat", extra=extra)
            return SolveResult(False, "not_found",
                               f"no scheme of rank {rank} under the fixed terms / streamlining constraints",
                               None, None, method="sat", extra=extra)
        why = problem.stop_reason()
        return SolveResult(False, why, f"SAT solver stopped ({why}) after {conflicts_used} conflicts",
                           None, None, method="sat", extra=extra)


def _found(problem: Problem, factors, solver: str, lift: bool, extra: dict) -> SolveResult:
    """The solver's GF(2) scheme as a result, lifted to Z when asked."""
    prov = problem.provenance(solver=solver)
    if extra.get("symmetry"):
        prov["symmetry"] = extra["symmetry"]
    scheme = Scheme(problem.fmt, *factors, ring=Ring.GF2, provenance=prov)
    message = f"found rank {scheme.rank} over gf2 with {solver}"
    if lift:
        lifted = lift_gf2(scheme, ring=Ring.ZT if problem.ring is Ring.ZT else Ring.Z)
        extra["lift"] = lifted.message
        if lifted.scheme is None:
            return SolveResult(False, "not_found", message + f"; {lifted.message}", None, scheme.rank,
                               [(extra["solve_seconds"], scheme.rank)], method="sat", extra=extra)
        scheme = lifted.scheme if problem.ring is not Ring.Q else lifted.scheme.as_ring(Ring.Q)
        message += "; lifted to Z"
    return SolveResult(True, "found", message, scheme, scheme.rank, [(extra["solve_seconds"], scheme.rank)],
                       method="sat", extra=extra)


def _run_local(problem: Problem, lift: bool, noise, tabu, restart_steps, known, fix_terms, symmetric,
               cdcl_only: dict) -> SolveResult:
    """solver=local: the local search of local.py (finds schemes, proves
    nothing), with the known scheme's fix_terms kept fixed when given, over
    cyclic-symmetric schemes with `symmetric` terms x(x)x when not None."""
    given = [name for name, value in cdcl_only.items() if value is not None]
    if given:
        raise DecompError(f"sat option(s) {', '.join(given)} need a CDCL solver, not solver=local")
    if max(problem.fmt.shape) > 64:
        raise DecompError(f"solver=local handles factors of at most 64 entries, not {max(problem.fmt.shape)}")
    noise = number_option("sat", "noise", noise, 0.0, 1.0)
    tabu = whole_option("sat", "tabu", tabu, 0)
    restart_steps = whole_option("sat", "restart_steps", restart_steps, 1)
    t0 = time.monotonic()
    fixed = sat_local.fixed_terms(known, problem.rank, fix_terms) if fix_terms else None
    factors, stats = sat_local.find(problem.fmt, problem.rank, problem.seed, noise, tabu, restart_steps,
                                    lambda stats: problem.report(best_rank=None, **stats), fixed, symmetric)
    extra = dict(stats, solver=LOCAL, solve_seconds=time.monotonic() - t0, fixed_terms=len(fix_terms))
    if symmetric is not None:
        extra.update(symmetry="cyclic", symmetric_terms=symmetric)
    if factors is not None:
        return _found(problem, factors, LOCAL, lift, extra)
    why = problem.stop_reason()
    return SolveResult(False, why, f"local search stopped ({why}) after {stats['steps']} steps in "
                       f"{stats['tries']} tries; fewest violated equations {stats['fewest_violated']}",
                       None, None, method="sat", extra=extra)


def _solve_in_slices(sat: Solver, name: str, problem: Problem, conflicts) -> tuple:
    """True/False from the solver, or None when a budget or the callback ended it."""
    used = 0
    limit = conflicts  # a whole number >= 1, or None
    while True:
        step = _SLICE_CONFLICTS if limit is None else min(_SLICE_CONFLICTS, limit - used)
        if step <= 0:
            return None, used
        try:
            sat.conf_budget(step)
        except NotImplementedError:  # python-sat has no limited solve for Lingeling
            return _solve_unlimited(sat, name, problem, limit), used
        status = sat.solve_limited()
        used += step
        if status is not None:
            return status, used
        if problem.report(conflicts=used):
            return None, used


def _solve_unlimited(sat: Solver, name: str, problem: Problem, limit) -> bool:
    """One plain solve() for solvers without budgets, allowed only when
    nothing would have to stop it (it cannot be interrupted)."""
    if limit is not None or problem.limited:
        raise DecompError(f"solver {name!r} cannot stop at a time or conflict "
                          f"limit (python-sat has no limited solve for it); leave out --time-limit and "
                          f"conflicts, or choose cadical195, glucose4 or maplechrono")
    return sat.solve()
