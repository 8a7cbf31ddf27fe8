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
from queue import Empty
from typing import Callable, Iterable

from .core.errors import DecompError, MissingDependencyError


class WorkerCrashed(RuntimeError):
    """A worker process died (or a Ray task failed for good) on a job."""


def run_jobs(fn: Callable, jobs: Iterable[dict], workers: int, stop_on: Callable[[object], bool],
             on_report: Callable[[dict], bool] | None = None):
    """Yield results as they complete. With workers <= 1 the jobs run inline.

    on_report: called in this process with every report a job puts on its
    `reports` argument (given to the jobs only when there is a listener);
    True stops every job, as Ctrl-C does. Reports from worker processes
    travel through a queue that this loop drains between results."""
    jobs = list(jobs)
    if workers <= 1 or len(jobs) <= 1:
        stop = _InlineEvent()
        reports = None if on_report is None else _InlineReports(on_report, stop)
        for kw in jobs:
            res = fn(stop=stop, **_with_reports(kw, reports))
            yield res
            if stop_on(res):
                return
        return
    ctx = mp.get_context("fork")
    manager = ctx.Manager()
    stop = manager.Event()
    queue = None if on_report is None else manager.Queue()

    def drain():
        while queue is not None:
            try:
                report = queue.get_nowait()
            except Empty:
                return
            if on_report(report):
                stop.set()

    # Workers ignore SIGINT: Ctrl-C reaches the parent, which sets `stop`
    # and still collects what every worker found.
    try:
        with ctx.Pool(min(workers, len(jobs)), initializer=_worker_signals) as pool:
            pending = [pool.apply_async(fn, kwds=dict(_with_reports(kw, queue), stop=stop)) for kw in jobs]
            try:
                while pending:
                    try:
                        drain()
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
                drain()  # the last reports, a final best among them
            finally:
                stop.set()
    finally:
        manager.shutdown()


def _with_reports(kw: dict, reports) -> dict:
    return kw if reports is None else dict(kw, reports=reports)


def _worker_signals():
    """Workers ignore SIGINT (the parent stops them through `stop`) and die
    on SIGTERM: a forked worker would otherwise inherit a parent's handler
    that turns SIGTERM into an interrupt, and Pool.terminate would not end it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


class _InlineReports:
    """The queue of an inline job: a report goes straight to the listener."""

    def __init__(self, on_report: Callable[[dict], bool], stop):
        self.on_report, self.stop = on_report, stop

    def put(self, report: dict) -> None:
        if self.on_report(report):
            self.stop.set()


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
        return cf.ProcessPoolExecutor(self.workers, mp_context=mp.get_context("fork"), initializer=_worker_signals)

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
