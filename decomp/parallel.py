"""Run independent jobs on a local process pool; stop early on a success.

Each job is a picklable (function, kwargs); functions receive a `stop`
multiprocessing Event they should poll, so the first success can end the
others cleanly instead of killing them mid-write.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
from typing import Callable, Iterable


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
