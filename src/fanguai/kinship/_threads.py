"""A small pool that runs chunks of a GIL-free function on all cores, the caller included.

Chunks are claimed one at a time; the calling thread claims too. When none is left unclaimed, the
caller runs again any chunk that a helper has claimed but not finished, so a call never waits on
another thread: on a busy machine, a helper that is descheduled mid-chunk costs nothing, and the
call costs what a serial one does. Chunks must therefore be idempotent (writing the same values
whoever runs them). An OpenMP ``prange`` instead ends at a barrier that every thread must reach,
and one descheduled thread stalls the whole call; that is why the search does not use one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

UNCLAIMED, RUNNING, DONE = 0, 1, 2


class _Job:
    def __init__(self, fn: Callable[[int], None], chunks: int) -> None:
        self.fn = fn
        self.state = [UNCLAIMED] * chunks
        self.lock = threading.Lock()

    def _claim(self, duplicate: bool) -> int | None:
        with self.lock:
            for wanted in (UNCLAIMED, RUNNING) if duplicate else (UNCLAIMED,):
                for chunk, state in enumerate(self.state):
                    if state == wanted:
                        self.state[chunk] = RUNNING
                        return chunk
            return None

    def _done(self, chunk: int) -> None:
        with self.lock:
            self.state[chunk] = DONE

    def help(self) -> None:
        """A helper: unclaimed chunks only; an error leaves the chunk to the caller."""
        while (chunk := self._claim(duplicate=False)) is not None:
            try:
                self.fn(chunk)
            except BaseException:  # noqa: S112 - the caller runs the chunk again and raises
                continue
            self._done(chunk)

    def run(self) -> None:
        """The caller: every chunk not done yet, including those a helper is still on."""
        while (chunk := self._claim(duplicate=True)) is not None:
            self.fn(chunk)
            self._done(chunk)


class Pool:
    """``run(fn, chunks)`` calls ``fn(0) … fn(chunks − 1)``, spread over the threads."""

    def __init__(self, helpers: int) -> None:
        self.helpers = helpers
        self._job: _Job | None = None
        self._generation = 0
        self._wake = threading.Condition()
        self._started = False
        self._serial = threading.Lock()  # one job at a time

    def _start(self) -> None:
        for k in range(self.helpers):
            threading.Thread(target=self._helper, name=f"kinship-scan-{k}", daemon=True).start()
        self._started = True

    def _helper(self) -> None:
        seen = 0
        while True:
            with self._wake:
                while self._generation == seen:
                    self._wake.wait()
                seen = self._generation
                job = self._job
            if job is not None:
                job.help()

    def run(self, fn: Callable[[int], None], chunks: int) -> None:
        with self._serial:
            if not self._started and self.helpers:
                self._start()
            job = _Job(fn, chunks)
            with self._wake:
                self._job = job
                self._generation += 1
                self._wake.notify_all()
            try:
                job.run()
            finally:
                with self._wake:
                    self._job = None


_POOL: Pool | None = None


def pool() -> Pool:
    """The process' pool: one helper per core beyond the caller's."""
    global _POOL
    if _POOL is None:
        _POOL = Pool(max(0, (os.cpu_count() or 1) - 1))
    return _POOL


def _forget_after_fork() -> None:
    """A forked child has none of the parent's helper threads: it starts its own pool."""
    global _POOL
    _POOL = None


os.register_at_fork(after_in_child=_forget_after_fork)
