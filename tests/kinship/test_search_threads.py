"""The scan's thread pool: every chunk runs, errors reach the caller, and the caller never waits
on a helper that is stuck (it runs the helper's chunk again itself)."""

from __future__ import annotations

import threading

import pytest

from fanguai.kinship._threads import Pool


def test_every_chunk_runs_at_least_once():
    pool = Pool(helpers=2)
    seen = []
    lock = threading.Lock()

    def chunk(k):
        with lock:
            seen.append(k)

    for _ in range(20):
        seen.clear()
        pool.run(chunk, 13)
        assert set(seen) == set(range(13))


def test_an_error_in_a_chunk_reaches_the_caller():
    pool = Pool(helpers=1)

    def chunk(k):
        if k == 3:
            raise ValueError("chunk 3")

    with pytest.raises(ValueError, match="chunk 3"):
        pool.run(chunk, 6)
    pool.run(lambda k: None, 4)  # the pool still works afterwards


def test_the_caller_does_not_wait_for_a_stuck_helper():
    pool = Pool(helpers=1)
    release = threading.Event()
    helper_started = threading.Event()
    done_by_caller = []

    def chunk(k):
        if threading.current_thread().name.startswith("kinship-scan"):
            helper_started.set()
            release.wait()  # stuck until the test ends
        else:
            helper_started.wait(timeout=60)
            done_by_caller.append(k)

    runner = threading.Thread(target=pool.run, args=(chunk, 2))
    runner.start()
    runner.join(timeout=120)
    finished = not runner.is_alive()
    release.set()
    runner.join()
    assert finished and sorted(done_by_caller) == [0, 1]
