"""Numeric fits among cyclic-symmetric schemes of <n,n,n> (als symmetry=cyclic).

The unknowns are the tied factor vectors of solvers/cyclic.py (for 3x3x3 rank
23: 207 numbers instead of 621); the full U, V, W are a fixed linear
expansion of them, so the Jacobian of the fit is the plain CP Jacobian with
its columns summed per tied vector. The fit is Levenberg-Marquardt with a
Tikhonov term scheduled down to 0, as the plain fit's parafac stages are.

Why: on 3x3x3 rank 23, plain parafac fits about one restart in three after
a minute or more each, and the fits did not snap to exact schemes in 30
minutes (README); the symmetric fit converges in seconds, and its fits snap
(snap.py) to exact schemes. The snapped scheme is a scheme like any other:
snapping works on the full factors and need not keep the symmetry.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..cyclic import cyclic_ties
from .snap import jacobian, residual

# Damped Gauss-Newton steps per regularisation stage: a fit converges in a
# few dozen; more only lets a stalled start run on.
STAGE_STEPS = 200
# Spread of the Gaussian start (the symmetric fit diverged more often from 1).
START_SCALE = 0.5


def expansion(n: int, rank: int, symmetric: int) -> np.ndarray:
    """column[j]: the unknown that entry j of vec(U, V, W) copies, where
    entry j = mode * n^2 * rank + row * rank + term (the order of
    snap.jacobian's columns) and unknown = vector * n^2 + row."""
    var_of = cyclic_ties(rank, symmetric)[0]
    rows = n * n
    mode, row, term = np.meshgrid(np.arange(3), np.arange(rows), np.arange(rank), indexing="ij")
    return (var_of[term, mode] * rows + row).ravel()


def expand(theta: np.ndarray, column: np.ndarray, rows: int, rank: int) -> list[np.ndarray]:
    flat = theta[column]
    return [flat[m * rows * rank:(m + 1) * rows * rank].reshape(rows, rank) for m in range(3)]


def cyclic_fit(T: np.ndarray, rank: int, symmetric: int, rng: np.random.Generator, reg=(1e-2, 1e-3, 1e-4, 0.0),
               max_norm: float = 1e3, tol: float = 1e-12, max_steps: int = 3000, deadline: float = float("inf")):
    """A symmetric numeric fit of T (<n,n,n>) from a Gaussian start, cut
    short at `deadline` (time.monotonic(); a 3x3x3 fit takes up to minutes).
    Returns (factors, residual), or (None, inf) when the unknowns diverge."""
    n = math.isqrt(T.shape[0])  # T is n^2 x n^2 x n^2
    rows = n * n
    column = expansion(n, rank, symmetric)
    unknowns = int(column.max()) + 1
    theta = rng.standard_normal(unknowns) * START_SCALE
    steps = max(1, min(STAGE_STEPS, max_steps // len(reg)))

    def misfit(x, lam):
        U, V, W = expand(x, column, rows, rank)
        return np.concatenate([(np.einsum("ar,br,cr->abc", U, V, W) - T).ravel(), np.sqrt(lam) * x])

    for lam in reg:
        R, damping = misfit(theta, lam), 1e-3
        for _ in range(steps):
            cost = float(R @ R)
            if cost < tol * tol or time.monotonic() >= deadline:
                break
            J = np.zeros((T.size, unknowns))
            np.add.at(J.T, column, jacobian(*expand(theta, column, rows, rank)).T)  # sum tied columns
            J = np.vstack([J, np.sqrt(lam) * np.eye(unknowns)])
            G, g = J.T @ J, J.T @ R
            while damping <= 1e8:
                trial = theta + np.linalg.solve(G + damping * np.eye(unknowns), -g)
                Rt = misfit(trial, lam)
                if float(Rt @ Rt) < cost:
                    theta, R, damping = trial, Rt, max(damping / 3, 1e-12)
                    break
                damping *= 4
            else:
                break  # no descent left at this weight: on to the next stage
        if not np.isfinite(theta).all() or np.abs(theta).max() > max_norm:
            return None, float("inf")
    factors = expand(theta, column, rows, rank)
    return factors, residual(T, factors)
