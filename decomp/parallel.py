"""Executors for independent jobs: a local process pool (default) or Ray.

Two shapes of use:
  run_jobs(...)   a fixed list of jobs, results streamed, early stop on the
                  first success (the flip solver's walkers);
  make_executor() submit / wait_any / result for a driver that keeps
                  feeding work (portfolio search), with crashed workers
                  restarted instead of failing the run.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import signal
from typing import Callable, Iterable

from .core.errors import DecompError, MissingDependencyError


class WorkerCrashed(RuntimeError):
    """A worker process died (or a Ray task failed for good) on a job."""


def run_jobs(fn: Callable, jobs: Iterable[dict], workers: int, stop_on: Callable[[object], bool]):
    """Yield results as they complete. With workers <= 1 the jobs run inline."""
    jobs = list(jobs)
    if workers <= 1 or len(jobs) <= 1:
        stop = _InlineEvent()
        for kw in jobs:
            res = fn(stop=stop, **kw)
            yield res
            if stop_on(res):
                return
        return
    ctx = mp.get_context("fork")
    stop = ctx.Manager().Event()
    # Workers ignore SIGINT: Ctrl-C reaches the parent, which sets `stop`
    # and still collects what every worker found.
    with ctx.Pool(min(workers, len(jobs)), initializer=_ignore_sigint) as pool:
        pending = [pool.apply_async(fn, kwds=dict(kw, stop=stop)) for kw in jobs]
        try:
            while pending:
                try:
                    for res in list(pending):
                        if res.ready():
                            pending.remove(res)
                            value = res.get()
                            yield value
                            if stop_on(value):
                                stop.set()
                    if pending:
                        pending[0].wait(0.05)
                except KeyboardInterrupt:
                    stop.set()
        finally:
            stop.set()


def _ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _InlineEvent:
    def __init__(self):
        self._set = False

    def set(self):
        self._set = True

    def is_set(self):
        return self._set


# ------------------------------------------------------------ executors
class LocalExecutor:
    """Process pool; a pool broken by a dying worker is rebuilt."""

    name = "local"

    def __init__(self, fn: Callable, workers: int):
        self.fn = fn
        self.workers = max(1, int(workers))
        self._pool = self._new_pool()

    def _new_pool(self):
        return cf.ProcessPoolExecutor(self.workers, mp_context=mp.get_context("fork"), initializer=_ignore_sigint)

    def submit(self, arg):
        return self._pool.submit(self.fn, arg)

    def wait_any(self, handles, timeout: float):
        done, _ = cf.wait(list(handles), timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def result(self, handle):
        try:
            return handle.result()
        except cf.process.BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            raise WorkerCrashed("a worker process died") from None

    def shutdown(self):
        self._pool.shutdown(wait=False, cancel_futures=True)


class RayExecutor:
    """Ray tasks: 'local' starts Ray on this machine, 'auto' joins a running
    cluster, anything else is a cluster address. Failed tasks are retried by
    Ray; results come back to this driver, which alone writes the catalogue."""

    name = "ray"

    def __init__(self, fn: Callable, workers: int, address: str = "local"):
        try:
            import ray
        except ImportError:
            raise MissingDependencyError("--ray needs Ray: pip install 'decomp[ray]'") from None
        self.ray = ray
        self._started = False
        if not ray.is_initialized():
            try:
                if address == "local":
                    ray.init(num_cpus=max(1, int(workers)), include_dashboard=False, log_to_driver=False,
                             configure_logging=False)
                else:
                    ray.init(address=address, log_to_driver=False, configure_logging=False)
            except ConnectionError as exc:
                raise DecompError(f"cannot reach a Ray cluster at {address!r}: {exc}") from None
            self._started = True
        self._remote = ray.remote(max_retries=2, num_cpus=1)(fn)

    def submit(self, arg):
        return self._remote.remote(arg)

    def wait_any(self, handles, timeout: float):
        done, _ = self.ray.wait(list(handles), num_returns=1, timeout=timeout)
        return done

    def result(self, handle):
        try:
            return self.ray.get(handle)
        except self.ray.exceptions.RayError as exc:
            raise WorkerCrashed(f"ray task failed: {exc.__class__.__name__}") from None

    def shutdown(self):
        if self._started:
            self.ray.shutdown()


def make_executor(fn: Callable, workers: int, ray: str | None = None):
    if ray:
        return RayExecutor(fn, workers, ray)
    return LocalExecutor(fn, workers)
