"""``fanguai worker``: run the platform's periodic jobs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from fanguai.cli.common import database, fail

app = typer.Typer(help="Periodic jobs: deadlines, escalations, alert widening, dispatch.")


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--now: not an ISO 8601 date and time: {value!r}") from None
    if moment.tzinfo is None:
        raise fail("--now: give a time zone (for example 2026-12-01T10:00:00+08:00)")
    return moment.astimezone(UTC)


@app.command("run")
def run(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    now: Annotated[
        str | None, typer.Option("--now", help="Run at this moment (ISO 8601 with zone).")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--job", help="Run only this job (repeatable).")
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between passes.")] = 15.0,
) -> None:
    """Run the jobs once (``--once``) or every ``--interval`` seconds."""
    from fanguai import worker

    moment = _parse_now(now)
    db = database()
    known = worker.jobs()
    unknown = sorted(set(only or ()) - set(known))
    if unknown:
        raise fail(f"--job: unknown job {', '.join(unknown)} (known: {', '.join(known)})")
    if not once:
        if moment is not None:
            raise fail("--now needs --once (a controlled clock runs one pass)")
        worker.run_forever(db, interval_seconds=interval)
        return
    report = worker.run_once(db, moment, set(only) if only else None)
    summary = {"now": report.now.isoformat(), "done": report.done, "failed": report.failed}
    typer.echo(json.dumps(summary))
    if report.failed:
        raise typer.Exit(1)


@app.command("jobs")
def list_jobs() -> None:
    """List the registered jobs."""
    from fanguai import worker

    for name, func in worker.jobs().items():
        summary = (func.__doc__ or "").strip().splitlines()
        typer.echo(f"{name}\t{summary[0] if summary else ''}")
