"""Rank reduction from an exact scheme by continuation (the ALS solver's
--start): a numeric scheme of rank r + k is walked down to rank r one term
at a time, each fit exact along the way.

One step: the scheme is perturbed a little, then a Levenberg-Marquardt fit
minimises |residual|^2 + weight * |term t|^2 with the weight raised stage by
stage, so the fit pulls term t toward zero while the other terms absorb
what it carried; then t is dropped and the rest refitted without penalty.
The step counts when that residual is below the fit tolerance. Why a
penalty schedule instead of dropping t at once: dropping leaves a residual
of the size of the term, which an unpenalised fit from there mostly cannot
remove (a local minimum with residual about 1, one unit of T left over);
shrinking the term while the fit holds follows a path of near-exact schemes
when one exists (numerical least squares of the kind that gave Smirnov's
<3,3,6;40>).

Why a perturbation: an exact scheme with integer entries sits on a flat
valley of exact fits; a small random step off it lets each try follow a
different path, and the term to shed is drawn at random for the same reason.
What comes out is numeric: the caller snaps it to exact coefficients
(snap.py) and verifies it.
"""

from __future__ import annotations

import numpy as np

from .snap import refit

# Penalty weights, one stage each, raised by tens: the small ones let the
# other terms take over while the fit holds; at 1 the penalty weighs as much
# as a unit of residual, so what the term still carries then, the others
# could not take.
SHED_WEIGHTS = (1e-3, 1e-2, 1e-1, 1.0)
STAGE_ITERS = 60
FINAL_ITERS = 200


def shed_term(T, factors, term: int, fit_tol: float, deadline=None):
    """The factors without column `term`, refitted after the penalty stages:
    (factors, residual); the residual is below fit_tol when the step worked."""
    shrink = [np.zeros(f.shape, dtype=bool) for f in factors]
    for m in shrink:
        m[:, term] = True
    fixed = [np.zeros(f.shape, dtype=bool) for f in factors]
    for weight in SHED_WEIGHTS:
        factors, _ = refit(T, factors, fixed, iters=STAGE_ITERS, shrink=shrink, weight=weight, deadline=deadline)
    factors = [np.delete(f, term, axis=1) for f in factors]
    return refit(T, factors, [np.zeros(f.shape, dtype=bool) for f in factors], iters=FINAL_ITERS,
                 tol=fit_tol / 10, deadline=deadline)


def descend(T, factors, target: int, rng, noise: float, fit_tol: float, deadline=None):
    """One try from an exact scheme's factors (floats) down to `target`
    terms: a random term shed per step, a fresh perturbation before each.
    Returns (factors, residual, rank reached): the residual is below fit_tol
    only when the target was reached."""
    factors = [np.asarray(f, dtype=float) for f in factors]
    res = 0.0
    while factors[0].shape[1] > target:
        term = int(rng.integers(factors[0].shape[1]))
        noisy = [f + noise * rng.standard_normal(f.shape) for f in factors]
        trial, res = shed_term(T, noisy, term, fit_tol, deadline)
        if res >= fit_tol:
            return trial, res, factors[0].shape[1]
        factors = trial
    return factors, res, target
