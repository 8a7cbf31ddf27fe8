"""The standard algorithm: one product per (i, j, k). Always rank n*m*p."""

from __future__ import annotations

from ..core.scheme import Scheme
from .api import Problem, SolveResult


def run(problem: Problem) -> SolveResult:
    fmt = problem.fmt
    scheme = Scheme(fmt, *fmt.naive_factors(), ring=problem.ring, provenance=problem.provenance())
    scheme.require_valid()
    problem.report(rank=scheme.rank, best_rank=scheme.rank, improved=scheme)
    if scheme.rank <= problem.rank:
        return SolveResult(True, "found", f"standard algorithm, rank {scheme.rank}", scheme, scheme.rank,
                           [(0.0, scheme.rank)], method="naive")
    return SolveResult(False, "not_found",
                       f"the standard algorithm has rank {scheme.rank} > {problem.rank}",
                       scheme, scheme.rank, [(0.0, scheme.rank)], method="naive")
