"""The worker: periodic jobs (deadlines, escalations, alert widening, dispatch) on one clock.

A module with periodic work defines ``fanguai/<module>/jobs.py`` and registers each job::

    from fanguai.worker import job

    @job("tasks.sweep")
    def sweep(db: Database, now: datetime) -> int:  # returns how many things it did
        ...

Every job receives the same ``now``: production passes the wall clock, tests and the demo pass a
controlled one (``fanguai worker run --once --now 2026-12-01T10:00:00+08:00``). A job that fails
is logged and reported; it never stops the others.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from fanguai.db import Database, utcnow

log = logging.getLogger(__name__)

Job = Callable[[Database, datetime], int]
_JOBS: dict[str, Job] = {}

# Modules that may hold a jobs.py, imported in this order when the worker starts.
JOB_MODULES = (
    "fanguai.tasks",
    "fanguai.leads",
    "fanguai.alerts",
    "fanguai.dna",
    "fanguai.identify",
    "fanguai.victims",
    "fanguai.accountability",
    "fanguai.retention",
)


def job(name: str) -> Callable[[Job], Job]:
    """Register a periodic job under ``name``."""

    def decorator(func: Job) -> Job:
        if name in _JOBS and _JOBS[name] is not func:
            raise ValueError(f"job {name!r} registered twice")
        _JOBS[name] = func
        return func

    return decorator


def jobs() -> dict[str, Job]:
    """Every registered job, by name (importing each module's jobs.py first)."""
    for package in JOB_MODULES:
        module = f"{package}.jobs"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    return dict(sorted(_JOBS.items()))


@dataclass
class RunReport:
    """What one pass of the worker did: per job, the count it returned or its error."""

    now: datetime
    done: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def run_once(db: Database, now: datetime | None = None, only: set[str] | None = None) -> RunReport:
    """Run every job (or those named in ``only``) once at ``now`` (default: the wall clock)."""
    now = now or utcnow()
    report = RunReport(now=now)
    for name, func in jobs().items():
        if only is not None and name not in only:
            continue
        try:
            report.done[name] = func(db, now)
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others
            log.exception("job %s failed", name)
            report.failed[name] = f"{type(exc).__name__}: {exc}"
    return report


def run_forever(db: Database, *, interval_seconds: float = 15.0) -> None:  # pragma: no cover
    """Run every job each ``interval_seconds`` until interrupted."""
    while True:
        started = time.monotonic()
        report = run_once(db)
        if report.failed:
            log.warning("worker pass: %d failed: %s", len(report.failed), report.failed)
        time.sleep(max(0.0, interval_seconds - (time.monotonic() - started)))
