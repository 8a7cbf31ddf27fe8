"""Numeric CP decomposition (tensorly's parafac as the ALS engine) driven to
exact schemes.

Per restart: Gaussian start, parafac in stages with a Tikhonov weight
scheduled down to 0 (a constant one never fits), factor norms balanced
between stages, restart when norms explode (border-rank drift). Then
discretisation: rescale each term so its largest u and v entries are 1,
repeatedly fix the entries nearest to an allowed coefficient and refit the
free ones by masked least squares, until every entry is fixed; the result
goes to Scheme.verify() over Z or Q and counts only if it is exact.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from ..core.errors import DecompError, MissingDependencyError
from ..core.rings import Ring
from ..core.scheme import Scheme
from .api import Problem, SolveResult

COEFFICIENT_SETS = {
    "ternary": [-1, 0, 1],
    "small": [-2, -1, 0, 1, 2],
    "halves": [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2],
    "quarters": [q / 4 for q in range(-8, 9)],
}


def _tensorly():
    try:
        import tensorly as tl
        from tensorly.cp_tensor import CPTensor
        from tensorly.decomposition import parafac
    except ImportError:  # pragma: no cover - tensorly is a core dependency
        raise MissingDependencyError("the als method needs tensorly: pip install tensorly") from None
    return tl, CPTensor, parafac


def numeric_fit(T, rank, rng, n_iter_max=3000, tol=1e-12, reg=(1e-2, 1e-3, 1e-4, 0.0), max_norm=1e3,
                backend="numpy"):
    """Staged parafac from a Gaussian start. Returns (factors, residual) or
    (None, inf) when the factors diverge."""
    tl, CPTensor, parafac = _tensorly()
    tl.set_backend(backend)
    factors = [rng.standard_normal((dim, rank)) for dim in T.shape]
    Tt = tl.tensor(T.astype(float))
    for weight in reg:
        cp = CPTensor((tl.ones(rank), [tl.tensor(f) for f in factors]))
        out = parafac(Tt, rank, init=cp, n_iter_max=max(1, n_iter_max // len(reg)), tol=tol,
                      l2_reg=weight, linesearch=True, normalize_factors=False)
        weights, mats = out
        mats = [tl.to_numpy(m) for m in mats]
        mats[0] = mats[0] * tl.to_numpy(weights)[None, :]
        factors = _balance(mats)
        if max(np.abs(f).max() for f in factors) > max_norm or not all(np.isfinite(f).all() for f in factors):
            return None, float("inf")
    return factors, _residual(T, factors)


def _residual(T, factors) -> float:
    U, V, W = factors
    return float(np.linalg.norm(np.einsum("ar,br,cr->abc", U, V, W) - T))


def _balance(factors):
    """Equal column norms across the three factors (same tensor)."""
    norms = [np.linalg.norm(f, axis=0) + 1e-300 for f in factors]
    geo = np.cbrt(norms[0] * norms[1] * norms[2])
    return [f * (geo / n)[None, :] for f, n in zip(factors, norms)]


def _rescale_for_snapping(factors):
    """Move each term's scale so the largest |entry| of u and of v is 1."""
    U, V, W = (f.copy() for f in factors)
    for r in range(U.shape[1]):
        for F in (U, V):
            big = F[np.argmax(np.abs(F[:, r])), r]
            if abs(big) > 1e-12:
                F[:, r] /= big
                W[:, r] *= big
    return [U, V, W]


def _refit_masked(T, factors, fixed, sweeps=30, reg=1e-9):
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


def discretise(T, factors, values, fix_step=0.15, max_rounds=40, tol=0.35, modes=(0, 1, 2)):
    """Progressively snap entries of the given modes to `values`, refitting
    the rest. Returns the factors with those modes exact, or None."""
    values = np.asarray(values, dtype=float)
    factors = _rescale_for_snapping(factors)
    fixed = [np.zeros(f.shape, dtype=bool) for f in factors]
    free_modes = [m for m in range(3) if m not in modes]
    total = sum(factors[m].size for m in modes)
    for _ in range(max_rounds):
        free_count = sum(int((~fixed[m]).sum()) for m in modes)
        if free_count == 0:
            break
        cands = []
        for mode, (F, mask) in enumerate(zip(factors, fixed)):
            if mode in free_modes:
                continue
            dist = np.abs(F[..., None] - values[None, None, :])
            nearest = values[dist.argmin(axis=2)]
            d = dist.min(axis=2)
            for idx in zip(*np.nonzero(~mask)):
                cands.append((d[idx], mode, idx, nearest[idx]))
        cands.sort(key=lambda c: c[0])
        take = max(1, int(np.ceil(fix_step * total)))
        batch = [c for c in cands[:take] if c[0] < tol] or cands[:1]
        for _, mode, idx, value in batch:
            factors[mode][idx] = value
            fixed[mode][idx] = True
        factors = _refit_masked(T, factors, fixed)
    if any((~fixed[m]).any() for m in modes):
        return None
    return factors


def solve_last_exactly(T, U, V):
    """With U and V exact (Fractions/ints), the W making the scheme exact, if
    one exists: T_(3) = W (U khatri-rao V)^T is linear in W, solved over Q by
    Gaussian elimination with Fractions. Returns a K x r object array or None."""
    I, J, K = T.shape
    r = U.shape[1]
    KR = [[Fraction(U[i, t]) * Fraction(V[j, t]) for t in range(r)] for i in range(I) for j in range(J)]
    rhs = [[Fraction(int(T[i, j, k])) for k in range(K)] for i in range(I) for j in range(J)]
    # Solve KR (IJ x r) X (r x K) = rhs (IJ x K) exactly.
    rows = [KR[q] + rhs[q] for q in range(I * J)]
    pivots, row = [], 0
    for col in range(r):
        piv = next((q for q in range(row, len(rows)) if rows[q][col] != 0), None)
        if piv is None:
            continue
        rows[row], rows[piv] = rows[piv], rows[row]
        inv = 1 / rows[row][col]
        rows[row] = [x * inv for x in rows[row]]
        for q in range(len(rows)):
            if q != row and rows[q][col] != 0:
                f = rows[q][col]
                rows[q] = [a - f * b for a, b in zip(rows[q], rows[row])]
        pivots.append(col)
        row += 1
    if any(any(x != 0 for x in rows[q][r:]) for q in range(row, len(rows))):
        return None  # inconsistent: no exact W
    W = np.zeros((K, r), dtype=object)
    for q, col in enumerate(pivots):
        for k in range(K):
            v = rows[q][r + k]
            W[k, col] = int(v) if v.denominator == 1 else v
    return W


def _to_exact(factors, ring: Ring):
    mats = []
    for F in factors:
        out = np.empty(F.shape, dtype=object)
        for idx, v in np.ndenumerate(F):
            f = Fraction(float(v)).limit_denominator(8)
            out[idx] = int(f) if f.denominator == 1 else f
        mats.append(out)
    return mats


def _exact_candidate(T, fmt, factors, values, ring, seed, attempt):
    """Snap everything; failing that (over q), snap U and V and solve W exactly."""
    prov = {"method": "als", "seed": seed, "restart": attempt}
    exact = discretise(T, factors, values)
    if exact is not None:
        s = Scheme(fmt, *_to_exact(exact, Ring.Q), ring=Ring.Q, provenance=prov)
        if s.verify().ok:
            return s
    if ring is not Ring.Q:
        return None
    for snap in (discretise,):
        uv = snap(T, factors, values, modes=(0, 1))
        if uv is None:
            continue
        U, V = _to_exact(uv[:2], Ring.Q)
        W = solve_last_exactly(T.astype(np.int64), U, V)
        if W is not None:
            return Scheme(fmt, U, V, W, ring=Ring.Q, provenance=prov)
    return None


def run(problem: Problem, restarts=20, max_iter=3000, tol=1e-12, regularisation=(1e-2, 1e-3, 1e-4, 0.0),
        coefficients=None, fit_tol=1e-6, max_norm=1e3, backend="numpy", keep_going=False) -> SolveResult:
    fmt, rank, ring = problem.fmt, problem.rank, problem.ring
    if ring is Ring.GF2:
        raise DecompError("als works over z, zt or q (it rounds real numbers); use flip or sat for gf2")
    if coefficients is None:
        coefficients = "halves" if ring is Ring.Q else "small" if ring is Ring.Z else "ternary"
    if coefficients not in COEFFICIENT_SETS:
        raise DecompError(f"unknown coefficient set {coefficients!r}: valid sets are {', '.join(COEFFICIENT_SETS)}")
    if int(restarts) < 1:
        raise DecompError(f"restarts must be >= 1, got {restarts}")
    if int(np.prod(fmt.shape)) * rank > 5_000_000:
        raise DecompError(f"{fmt} rank {rank} is too large for the dense ALS fit")
    values = COEFFICIENT_SETS[coefficients]
    if ring is Ring.ZT and coefficients != "ternary":
        raise DecompError("ring zt needs coefficients 'ternary'")
    T = fmt.tensor().astype(float)
    rng = np.random.default_rng(problem.seed)
    stats = {"restarts": 0, "numeric_fits": 0, "exact": 0, "diverged": 0, "best_residual": float("inf"),
             "coefficients": coefficients}
    history, found, times = [], None, []
    for attempt in range(int(restarts)):
        t0 = time.monotonic()
        factors, res = numeric_fit(T, rank, rng, int(max_iter), float(tol), tuple(regularisation),
                                   float(max_norm), backend)
        stats["restarts"] += 1
        if factors is None:
            stats["diverged"] += 1
        else:
            stats["best_residual"] = min(stats["best_residual"], res)
            if res < fit_tol:
                stats["numeric_fits"] += 1
                s = _exact_candidate(T, fmt, factors, values, ring, problem.seed, attempt)
                if s is not None:
                    if s.verify().ok:
                        stats["exact"] += 1
                        if found is None:
                            found = s
                            history.append((time.monotonic() - problem.start, rank))
        times.append(time.monotonic() - t0)
        state = dict(stats, restart=attempt + 1, rank=rank, best_rank=rank if found else None,
                     seconds=time.monotonic() - problem.start)
        if (found is not None and not keep_going) or problem.should_stop(state):
            break
    stats["median_seconds_per_restart"] = float(np.median(times)) if times else 0.0
    if found is None:
        status = "time_limit" if problem.time_left() <= 0 else "not_found"
        return SolveResult(False, status,
                           f"no exact scheme: {stats['numeric_fits']} numeric fits in {stats['restarts']} restarts, "
                           f"best residual {stats['best_residual']:.2e}", None, None, history, method="als",
                           extra=stats)
    scheme = found
    integral = all(not isinstance(c, Fraction) for c in found.coefficients)
    if ring is not Ring.Q:
        if not integral:
            return SolveResult(False, "not_found", "exact scheme found only over q (halves); ask for --ring q",
                               None, None, history, method="als", extra=stats)
        scheme = Scheme(fmt, *(m.astype(np.int64) for m in found.factors), ring=ring,
                        provenance=found.provenance)  # zt refuses coefficients outside {-1,0,1}
    return SolveResult(True, "found", f"exact scheme after {stats['restarts']} restart(s): "
                       f"{stats['numeric_fits']} numeric fits, {stats['exact']} exact",
                       scheme, rank, history, method="als", extra=stats)
