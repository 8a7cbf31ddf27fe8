"""Numeric CP decomposition (tensorly's parafac as the ALS engine) driven to
exact schemes.

Per restart: Gaussian start, parafac in stages with a Tikhonov weight
scheduled down to 0 (a constant one never fits), factor norms balanced
between stages, restart when norms explode (border-rank drift). Then
discretisation (snap.py): U and V are fixed entry by entry to the
coefficient set with a refit after every fix, W is solved exactly over Q,
and the result goes to Scheme.verify(): it counts only if it is exact and
its coefficients lie in the ring asked for.

symmetry=cyclic replaces the parafac stages by a fit among cyclic-symmetric
schemes of <n,n,n> (cyclic.py); the snapping is the same.

start= (a scheme, a file, a pool of them, or "naive") replaces the random
start by rank reduction from an exact scheme of higher rank (shed.py): each
restart walks a start of the pool down to the target by continuation; the
snapping is the same.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from ...core.errors import DecompError, MissingDependencyError
from ...core.rings import Ring
from ...core.scheme import Scheme
from ...core.credit import start_provenance
from ..api import Problem, SolveResult
from ..cyclic import symmetric_terms
from ..options import number_option, whole_option
from ..starts import pool_label, start_label, start_pool
from .cyclic import cyclic_fit
from .shed import descend
from .snap import MAX_JACOBIAN_ENTRIES, refit, residual, snap

COEFFICIENT_SETS = {
    "ternary": [-1, 0, 1],
    "small": [-2, -1, 0, 1, 2],
    "halves": [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2],
    "quarters": [q / 4 for q in range(-8, 9)],
    "eighths": [q / 8 for q in range(-16, 17)],
}

# Fits left above this by ALS are local minima; below it they are polished.
POLISH_BELOW = 1e-3


def _tensorly():
    try:
        import tensorly as tl
        from tensorly.cp_tensor import CPTensor
        from tensorly.decomposition import parafac
    except ImportError:  # pragma: no cover - tensorly is a core dependency
        raise MissingDependencyError("the als method needs tensorly: pip install tensorly") from None
    return tl, CPTensor, parafac


def numeric_fit(T, rank, rng, n_iter_max=3000, tol=1e-12, reg=(1e-2, 1e-3, 1e-4, 0.0), max_norm=1e3,
                backend="numpy", deadline: float = float("inf")):
    """Staged parafac from a Gaussian start, stopped at `deadline`
    (time.monotonic(), through parafac's callback). Returns (factors,
    residual) or (None, inf) when the factors diverge."""
    tl, CPTensor, parafac = _tensorly()
    tl.set_backend(backend)
    factors = [rng.standard_normal((dim, rank)) for dim in T.shape]
    Tt = tl.tensor(T.astype(float))
    for weight in reg:
        cp = CPTensor((tl.ones(rank), [tl.tensor(f) for f in factors]))
        try:
            out = parafac(Tt, rank, init=cp, n_iter_max=max(1, n_iter_max // len(reg)), tol=tol,
                          l2_reg=weight, linesearch=True, normalize_factors=False,
                          callback=lambda *_: time.monotonic() >= deadline)
        except np.linalg.LinAlgError:
            # Singular normal equations without enough regularisation: the
            # rank is more than the tensor needs. The last stage's factors stand.
            if weight == reg[0]:
                return None, float("inf")
            break
        weights, mats = out
        mats = [tl.to_numpy(m) for m in mats]
        mats[0] = mats[0] * tl.to_numpy(weights)[None, :]
        factors = _balance(mats)
        if max(np.abs(f).max() for f in factors) > max_norm or not all(np.isfinite(f).all() for f in factors):
            return None, float("inf")
    return factors, residual(T, factors)


def _balance(factors):
    """Equal column norms across the three factors (same tensor)."""
    norms = [np.linalg.norm(f, axis=0) + 1e-300 for f in factors]
    geo = np.cbrt(norms[0] * norms[1] * norms[2])
    return [f * (geo / n)[None, :] for f, n in zip(factors, norms)]


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


def _to_exact(factors):
    mats = []
    for F in factors:
        out = np.empty(F.shape, dtype=object)
        for idx, v in np.ndenumerate(F):
            f = Fraction(float(v)).limit_denominator(1 << 10)
            out[idx] = int(f) if f.denominator == 1 else f
        mats.append(out)
    return mats


def _exact_candidate(T, target, factors, values, ring, provenance: dict, deadline=None):
    """Snap U and V (and W too outside Q, which steers U and V toward integral
    W) to the coefficient set, then solve W exactly over Q; the scheme counts
    only if W lies in the ring too."""
    uv = snap(T, factors, values, modes=(0, 1) if ring is Ring.Q else (0, 1, 2), deadline=deadline)
    if uv is None:
        return None
    U, V = _to_exact(uv[:2])
    W = solve_last_exactly(T.astype(np.int64), U, V)
    if W is None:
        return None
    if ring is not Ring.Q and any(isinstance(c, Fraction) for c in W.ravel()):
        return None
    return Scheme(target, U, V, W, ring=Ring.Q, provenance=provenance)


def run(problem: Problem, restarts=20, max_iter=3000, tol=1e-12, regularisation=(1e-2, 1e-3, 1e-4, 0.0),
        coefficients=None, fit_tol=1e-6, max_norm=1e3, backend="numpy", keep_going=False, symmetry="none",
        fixed_terms=None, start=None, noise=0.05) -> SolveResult:
    fmt, rank, ring = problem.fmt, problem.rank, problem.ring
    if symmetry not in ("none", "cyclic"):
        raise DecompError(f"als option symmetry must be none or cyclic, not {symmetry!r}")
    if symmetry == "cyclic":
        symmetric = symmetric_terms("als", fmt, rank, fixed_terms)
        if backend != "numpy":
            raise DecompError("als symmetry=cyclic fits with numpy (its own Levenberg-Marquardt), not "
                              f"backend={backend}")
    elif fixed_terms is not None:
        raise DecompError("als option fixed_terms needs symmetry=cyclic")
    if ring is Ring.GF2:
        raise DecompError("als works over z, zt or q (it rounds real numbers); use flip or sat for gf2")
    if coefficients is None:
        coefficients = "eighths" if ring is Ring.Q else "small" if ring is Ring.Z else "ternary"
    if coefficients not in COEFFICIENT_SETS:
        raise DecompError(f"unknown coefficient set {coefficients!r}: valid sets are {', '.join(COEFFICIENT_SETS)}")
    restarts = whole_option("als", "restarts", restarts, 1)
    max_iter = whole_option("als", "max_iter", max_iter, 1)
    tol = number_option("als", "tol", tol, 0.0)
    fit_tol = number_option("als", "fit_tol", fit_tol, 0.0)
    max_norm = number_option("als", "max_norm", max_norm, 1.0)
    if isinstance(regularisation, (int, float, str)):
        regularisation = (regularisation,)
    regularisation = tuple(number_option("als", "regularisation", x, 0.0) for x in regularisation)
    if int(np.prod(fmt.shape)) * rank > 5_000_000:
        raise DecompError(f"{fmt} rank {rank} is too large for the dense ALS fit")
    values = COEFFICIENT_SETS[coefficients]
    if ring is Ring.ZT and coefficients != "ternary":
        raise DecompError("ring zt needs coefficients 'ternary'")
    noise = number_option("als", "noise", noise, 0.0)
    pool = _start_pool(fmt, start, rank, symmetry) if start is not None else None
    T = fmt.tensor().astype(float)
    rng = np.random.default_rng(problem.seed)
    stats = {"restarts": 0, "numeric_fits": 0, "exact": 0, "diverged": 0, "best_residual": float("inf"),
             "coefficients": coefficients}
    if symmetry == "cyclic":
        stats.update(symmetry="cyclic", symmetric_terms=symmetric)
    started = {}
    if pool is not None:
        stats.update(start_rank=pool[0].rank, descents_reached=0, lowest_reached=pool[0].rank)
        label = pool_label(pool) if len(pool) > 1 else start_label(pool[0])
        started = dict(start=label, **start_provenance(pool))
    history, found, times, improved, stop = [], None, [], None, False
    for attempt in range(int(restarts)):
        t0 = time.monotonic()
        if pool is not None:
            source = pool[attempt % len(pool)]
            factors, res, reached = descend(T, source.factors, rank, rng, float(noise), float(fit_tol),
                                            problem.deadline)
            stats["lowest_reached"] = min(stats["lowest_reached"], reached)  # the last exact fit on the way down
            stats["descents_reached"] += int(res < fit_tol)
        elif symmetry == "cyclic":
            factors, res = cyclic_fit(T, rank, symmetric, rng, tuple(regularisation), float(max_norm), float(tol),
                                      int(max_iter), problem.deadline)
        else:
            factors, res = numeric_fit(T, rank, rng, int(max_iter), float(tol), tuple(regularisation),
                                       float(max_norm), backend, problem.deadline)
        stats["restarts"] += 1
        if factors is None:
            stats["diverged"] += 1
        else:
            if fit_tol <= res < POLISH_BELOW:  # ALS crawls at the end; damped Gauss-Newton finishes
                factors, res = refit(T, factors, [np.zeros(f.shape, dtype=bool) for f in factors])
            stats["best_residual"] = min(stats["best_residual"], res)
            if res < fit_tol:
                stats["numeric_fits"] += 1
                # snapping stops at the deadline too
                s = _exact_candidate(T, fmt, factors, values, ring,
                                     problem.provenance(restart=attempt, **started), problem.deadline)
                if s is not None:
                    if s.verify().ok:
                        stats["exact"] += 1
                        if found is None:
                            found = s
                            history.append((problem.elapsed(), rank))
                            improved = _in_ring(found, ring)
        times.append(time.monotonic() - t0)
        stop = problem.report(rank=rank, best_rank=rank if found else None, improved=improved,
                              restart=attempt + 1, **stats)
        improved = None
        if (found is not None and not keep_going) or stop:
            break
    stats["median_seconds_per_restart"] = float(np.median(times)) if times else 0.0
    if found is None:
        status = problem.stop_reason() if stop else "not_found"
        return SolveResult(False, status,
                           f"no exact scheme: {stats['numeric_fits']} numeric fits in {stats['restarts']} restarts, "
                           f"best residual {stats['best_residual']:.2e}", None, None, history, method="als",
                           extra=stats)
    scheme = _in_ring(found, ring)
    if scheme is None:
        return SolveResult(False, "not_found", "exact scheme found only over q (halves); ask for --ring q",
                           None, None, history, method="als", extra=stats)
    return SolveResult(True, "found", f"exact scheme after {stats['restarts']} restart(s): "
                       f"{stats['numeric_fits']} numeric fits, {stats['exact']} exact",
                       scheme, rank, history, method="als", extra=stats)


def _start_pool(fmt, start, rank: int, symmetry: str) -> list[Scheme]:
    """The exact schemes a reduction starts from ("naive": the standard
    algorithm), all above the target rank, or a one-line error."""
    if symmetry != "none":
        raise DecompError("als --start reduces a scheme without symmetry: leave out --symmetry")
    if isinstance(start, str) and start == "naive":
        if not hasattr(fmt, "naive_factors"):
            raise DecompError(f"als --start naive needs a matrix format, not {fmt}")
        pool = [Scheme(fmt, *fmt.naive_factors(), ring=Ring.Z, provenance={"method": "naive"})]
    else:
        pool = start_pool(fmt, list(start) if isinstance(start, (list, tuple)) else [start])
    if any(s.ring is Ring.GF2 for s in pool):
        raise DecompError("als starts from an exact scheme over z, zt or q, not gf2 (lift it first: decomp lift)")
    for s in pool:
        s.require_valid()
    low = pool[0].rank
    if low <= rank:
        raise DecompError(f"als --start: the start has rank {low}, not above the target {rank}: nothing to reduce")
    if int(np.prod(fmt.shape)) * low * sum(fmt.shape) > MAX_JACOBIAN_ENTRIES:
        raise DecompError(f"als --start: {fmt} at rank {low} is too large for the dense Levenberg-Marquardt fit "
                          f"({int(np.prod(fmt.shape))} x {low * sum(fmt.shape)} Jacobian)")
    return pool


def _in_ring(found: Scheme, ring: Ring) -> Scheme | None:
    """An exact scheme (over Q) as a scheme over the ring asked for, or None
    when its coefficients are fractions and the ring is z or zt."""
    if ring is Ring.Q:
        return found
    if any(isinstance(c, Fraction) for c in found.coefficients):
        return None
    return Scheme(found.fmt, *(m.astype(np.int64) for m in found.factors), ring=ring,
                  provenance=found.provenance)  # zt refuses coefficients outside {-1,0,1}
