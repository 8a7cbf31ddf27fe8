"""Turning a numeric CP fit into exact coefficients: entries are fixed one at
a time to values of a coefficient set, and the free entries are refitted
after every fix, so each fix moves the whole solution along its manifold of
exact fits instead of rounding it off that manifold.

Why not just round: a numeric solution is one point of a continuous family
(polynomial multiplication: any 2d-1 distinct evaluation points; matmul: the
GL symmetries), almost never the point with nice coefficients. Fixing an
entry and refitting slides to a nearby family member where that entry is
exact; the fit says whether the value was compatible.

Why Levenberg-Marquardt for the refit: masked ALS crawls along such valleys
(hundreds of sweeps to absorb one fix), Gauss-Newton with damping converges
in a handful of iterations.

Why release a term: an early fix can be compatible with the fit yet leave
no exact value for a later entry of the same term (an evaluation point fixed
so that its square is 1/2). When an entry admits no value, the other fixed
entries of its rank-one term are freed, their old values made taboo, and the
stuck entry is fixed first.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

# Dense Jacobians above this many entries fall back to masked ALS sweeps.
MAX_JACOBIAN_ENTRIES = 20_000_000
# A compatible value is absorbed in a few damped Gauss-Newton steps; giving
# up after this many keeps the cost of the many incompatible trials down.
REFIT_TRIES = 100


def residual(T, factors) -> float:
    U, V, W = factors
    return float(np.linalg.norm(np.einsum("ar,br,cr->abc", U, V, W) - T))


def gauge_normalise(factors):
    """Move each term's scale so the largest |entry| of u and of v is exactly
    1 (the scaling freedom u*a, v*b, w/(ab) fixed once, by entries that are
    then kept fixed)."""
    U, V, W = (f.copy() for f in factors)
    for r in range(U.shape[1]):
        for F in (U, V):
            big = F[np.argmax(np.abs(F[:, r])), r]
            if abs(big) > 1e-12:
                F[:, r] /= big
                W[:, r] *= big
    return [U, V, W]


def jacobian(U, V, W):
    I, J, K = U.shape[0], V.shape[0], W.shape[0]
    ju = np.einsum("ai,br,cr->abcir", np.eye(I), V, W).reshape(I * J * K, -1)
    jv = np.einsum("ar,bj,cr->abcjr", U, np.eye(J), W).reshape(I * J * K, -1)
    jw = np.einsum("ar,br,ck->abckr", U, V, np.eye(K)).reshape(I * J * K, -1)
    return np.concatenate([ju, jv, jw], axis=1)


def masked_als(T, factors, fixed, sweeps=30, reg=1e-9):
    """ALS sweeps that solve only for the free (unfixed) entries."""
    factors = [f.copy() for f in factors]
    unfold = [T.reshape(T.shape[0], -1),
              np.moveaxis(T, 1, 0).reshape(T.shape[1], -1),
              np.moveaxis(T, 2, 0).reshape(T.shape[2], -1)]
    for _ in range(sweeps):
        for mode in range(3):
            others = [factors[m] for m in range(3) if m != mode]
            K = np.einsum("ir,jr->ijr", others[0], others[1]).reshape(-1, others[0].shape[1])
            F, mask = factors[mode], fixed[mode]
            for row in range(F.shape[0]):
                free = ~mask[row]
                if not free.any():
                    continue
                rhs = unfold[mode][row] - K[:, ~free] @ F[row, ~free]
                Kf = K[:, free]
                F[row, free] = np.linalg.solve(Kf.T @ Kf + reg * np.eye(Kf.shape[1]), Kf.T @ rhs)
    return factors


def refit(T, factors, fixed, iters=100, tol=1e-11, shrink=None, weight=0.0, deadline=None):
    """Levenberg-Marquardt over the free entries (fixed ones untouched).
    With `shrink` (boolean masks like `fixed`) and `weight`, it minimises
    |residual|^2 + weight * |shrink entries|^2 instead: the penalty pulls
    those entries toward 0 while the fit holds (shed.py). Stops early at
    `deadline` (time.monotonic()). Returns (factors, residual norm), the
    tensor's residual without the penalty."""
    shapes = [f.shape for f in factors]
    free = ~np.concatenate([m.ravel() for m in fixed])
    if T.size * int(free.sum()) > MAX_JACOBIAN_ENTRIES:
        if shrink is not None:
            raise ValueError(f"a penalised refit needs the dense Jacobian ({T.size} x {int(free.sum())} is too large)")
        out = masked_als(T, factors, fixed, sweeps=iters)
        return out, residual(T, out)
    splits = np.cumsum([s[0] * s[1] for s in shapes])[:-1]
    pen = (np.concatenate([m.ravel() for m in shrink]).astype(float) * weight if shrink is not None
           else np.zeros(free.size))[free]

    def unpack(x):
        return [part.reshape(s) for part, s in zip(np.split(x, splits), shapes)]

    def diff(x):
        U, V, W = unpack(x)
        return (np.einsum("ar,br,cr->abc", U, V, W) - T).ravel()

    x = np.concatenate([f.ravel() for f in factors])
    R = diff(x)
    cost, damping = float(R @ R) + float(pen @ x[free] ** 2), 1e-3
    for _ in range(iters):
        if cost < tol * tol or _expired(deadline):
            break
        Jf = jacobian(*unpack(x))[:, free]
        G, g = Jf.T @ Jf, Jf.T @ R + pen * x[free]
        G[np.diag_indices_from(G)] += pen  # in place: no dense diagonal matrix per step of the snapping's refits
        while True:
            step = np.linalg.solve(G + damping * np.eye(G.shape[0]), -g)
            trial = x.copy()
            trial[free] += step
            Rt = diff(trial)
            ct = float(Rt @ Rt) + float(pen @ trial[free] ** 2)
            if ct < cost:
                x, R, cost = trial, Rt, ct
                damping = max(damping / 3, 1e-12)
                break
            damping *= 4
            if damping > 1e8:  # no descent direction left: a genuine misfit
                return unpack(x), float(np.linalg.norm(R))
    return unpack(x), float(np.linalg.norm(R))


def _simplicity(values) -> np.ndarray:
    """Denominator of each value: simpler values are tried first."""
    return np.array([Fraction(float(v)).limit_denominator(1 << 10).denominator for v in values])


def _fix(T, factors, fixed, mode, idx, value):
    """Copies with one more entry fixed to `value`, refitted: (factors, fixed, residual)."""
    trial = [f.copy() for f in factors]
    trial[mode][idx] = value
    mask = [f.copy() for f in fixed]
    mask[mode][idx] = True
    trial, res = refit(T, trial, mask, iters=REFIT_TRIES)
    return trial, mask, res


def _lowest(scores: dict):
    """(mode, index) of the smallest finite score over the modes' arrays
    (earlier modes win ties), or None when every score is infinite."""
    best = None
    for mode, score in scores.items():
        flat = int(np.argmin(score))
        if np.isfinite(score.flat[flat]) and (best is None or score.flat[flat] < best[0]):
            best = (score.flat[flat], mode, np.unravel_index(flat, score.shape))
    return None if best is None else best[1:]


def _expired(deadline) -> bool:
    return deadline is not None and time.monotonic() >= deadline


def _sparsify(T, factors, fixed, modes, fit_tol, deadline=None, below=0.6):
    """Try 0 for every free entry under `below` in magnitude, smallest first,
    keeping each zero the refit tolerates. Why first: a dense numeric point
    of a GL orbit has no grid value in reach for most entries; the zeros use
    up the orbit's freedom and leave the rest near small integers."""
    tried = [f.copy() for f in fixed]
    while not _expired(deadline):
        sizes = {}
        for m in modes:
            sizes[m] = np.abs(factors[m])
            sizes[m][tried[m] | (sizes[m] >= below)] = np.inf
        best = _lowest(sizes)
        if best is None:
            break
        m, idx = best
        tried[m][idx] = True
        trial, mask, res = _fix(T, factors, fixed, m, idx, 0.0)
        if res < fit_tol:
            factors, fixed = trial, mask
    return factors, fixed


def snap(T, factors, values, modes=(0, 1), fit_tol=1e-8, radius=1.0, candidates=6, releases=3,
         budget=5000, deadline=None):
    """Fix every entry of the given modes to a value of `values`, refitting
    the rest after each fix. Returns the snapped factors (the other modes
    still numeric) or None when some entry has no compatible value or the
    deadline (time.monotonic()) passes."""
    values = np.asarray(values, dtype=float)
    simple = _simplicity(values)
    factors = gauge_normalise(factors)
    fixed = [np.zeros(f.shape, dtype=bool) for f in factors]
    gauge = [np.zeros(f.shape, dtype=bool) for f in factors]
    for m in modes:
        gauge[m] = factors[m] == 1.0
        fixed[m] = gauge[m].copy()
    factors, fixed = _sparsify(T, factors, fixed, modes, fit_tol, deadline)
    taboo: dict = {}
    released: dict = {}
    urgent: list = []  # entries that got stuck, retried before any other
    for _ in range(budget):
        if _expired(deadline):
            return None
        urgent = [(m, idx) for m, idx in urgent if not fixed[m][idx]]
        if urgent:
            m, idx = urgent[0]
        else:
            gaps = {}
            for mode in modes:
                gaps[mode] = np.abs(factors[mode][..., None] - values).min(axis=-1)
                gaps[mode][fixed[mode]] = np.inf
            best = _lowest(gaps)
            if best is None:
                return factors
            m, idx = best
        current = factors[m][idx]
        dist = np.abs(values - current)
        allowed = [i for i in range(len(values)) if dist[i] <= radius and values[i] not in taboo.get((m, idx), ())]
        # The simplest values first, then the nearest (an evaluation point's
        # cube needs 1/8, which six simpler values would crowd out).
        simplest = sorted(allowed, key=lambda i: (simple[i], dist[i]))[:candidates]
        nearest = sorted(allowed, key=lambda i: dist[i])[:2]
        order = [values[i] for i in dict.fromkeys(simplest + nearest)]
        for v in order:
            trial, mask, res = _fix(T, factors, fixed, m, idx, v)
            if res < fit_tol:
                factors, fixed = trial, mask
                break
        else:
            term = idx[1]
            released[term] = released.get(term, 0) + 1
            if released[term] > releases:
                return None
            for mode in modes:
                for row in range(factors[mode].shape[0]):
                    if fixed[mode][row, term] and not gauge[mode][row, term]:
                        fixed[mode][row, term] = False
                        taboo.setdefault((mode, (row, term)), set()).add(factors[mode][row, term])
            urgent.insert(0, (m, idx))
    return None
