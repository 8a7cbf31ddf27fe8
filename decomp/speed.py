"""Timing schemes against the library matmul, in one run on this machine."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from .core.errors import DecompError, MissingDependencyError
from .core.execute import recursive
from .core.scheme import Scheme


@dataclass(frozen=True)
class Timing:
    size: int
    levels: int
    ours: float  # median seconds
    baseline: float  # median seconds of the library matmul, same run
    error: float  # max |C - C64| / max |C64| of ours

    @property
    def speedup(self) -> float:
        return self.baseline / self.ours


def _backend(device: str | None, dtype: str):
    if device is None:
        np_dtype = np.dtype(dtype)

        def make(size, rng):
            return rng.standard_normal((size, size)).astype(np_dtype)

        return "numpy", make, (lambda x: x), (lambda: None), (lambda a, b: a @ b)
    try:
        import torch
    except ImportError:
        raise MissingDependencyError("--device needs torch: pip install 'decomp[rl]'") from None
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise DecompError("--device cuda: no CUDA device is available here")
    tdtype = getattr(torch, dtype)

    def make(size, rng):
        return torch.from_numpy(rng.standard_normal((size, size))).to(device=device, dtype=tdtype)

    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    return "torch", make, (lambda x: x.double().cpu().numpy()), sync, (lambda a, b: a @ b)


def _seconds(fn, sync) -> float:
    sync()
    t0 = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - t0


def alternating_medians(fns, sync, repeats: int) -> list[float]:
    """Median time of each function, the functions called in turn within
    every repeat: on a machine whose speed drifts (clock, other load) a
    block of one function's runs and then a block of the other's would
    compare two different machines."""
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, out in zip(fns, times):
            out.append(_seconds(fn, sync))
    return [statistics.median(t) for t in times]


def benchmark(s: Scheme, sizes, levels, dtype="float32", device=None, repeats=3, seed=0) -> list[Timing]:
    """Median time of recursive execution vs the library matmul, measured in
    alternation in the same run, and the error against float64."""
    if int(repeats) < 1:
        raise DecompError(f"repeats must be at least 1, got {repeats}")
    lang, make, to_np, sync, base = _backend(device, dtype)
    rng = np.random.default_rng(seed)
    out = []
    for size in sizes:
        A, B = make(size, rng), make(size, rng)
        ref = to_np(A).astype(np.float64) @ to_np(B).astype(np.float64)
        for L in levels:
            f = recursive(s, levels=L, cutoff=64, lang=lang)
            f(A, B), base(A, B)  # warm-up (allocations, generated code)
            ours, baseline = alternating_medians([lambda: f(A, B), lambda: base(A, B)], sync, repeats)
            err = float(np.abs(to_np(f(A, B)) - ref).max() / np.abs(ref).max())
            out.append(Timing(size, L, ours, baseline, err))
    return out


def tune(schemes: list[Scheme], size: int, levels: int = 1, dtype="float32", device=None, repeats=3):
    """Time every scheme on one size; fastest first."""
    results = []
    for s in schemes:
        t = benchmark(s, [size], [levels], dtype, device, repeats)[0]
        results.append((t.ours, s, t))
    results.sort(key=lambda x: x[0])
    return [(s, t) for _, s, t in results]
