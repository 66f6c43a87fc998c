"""``fanguai retention``: the schedule, a purge run, legal holds from the command line."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from sqlalchemy import select

from fanguai.cli.common import database, echo_json, fail, reports_errors, settings
from fanguai.core.actor import Actor, cli_actor
from fanguai.db import utcnow
from fanguai.retention import service
from fanguai.retention.models import HOLD_TYPES

app = typer.Typer(help="retention schedule and legal holds (SECURITY.md I1)", no_args_is_help=True)


def _moment(value: str | None) -> datetime:
    if value is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise fail(f"--now: not an ISO 8601 date and time: {value!r}") from None
    if moment.tzinfo is None:
        raise fail("--now: give a time zone (for example 2028-01-01T00:00:00+08:00)")
    return moment.astimezone(UTC)


def _user(session, username: str) -> Actor:  # type: ignore[no-untyped-def]
    from fanguai.org.models import User
    from fanguai.security.service import actor_for_user

    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.is_active:
        raise fail(f"--as: no active user {username!r}")
    return actor_for_user(user)


@app.command("schedule")
@reports_errors
def schedule(
    now: str | None = typer.Option(None, "--now", help="Count what is due at this time (ISO)."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Each data class: what starts its clock, its period, what happens, how many are due."""
    moment = _moment(now)
    with database().session() as session:
        rows = service.schedule_rows(session, actor=None, settings=settings(), now=moment)
    if json_out:
        echo_json([row.__dict__ for row in rows])
        return
    for r in rows:
        period = f"{r.months} months" if r.months is not None else "per record"
        where = f" [applied by {r.handled_by}]" if r.handled_by else ""
        counts = "" if r.due is None else f"; due now: {r.due} (held: {r.held})"
        typer.echo(f"{r.code}: {r.action} {period} after {r.clock}{where}{counts}")


@app.command("run")
@reports_errors
def run_command(
    now: str | None = typer.Option(None, "--now", help="Run as of this time (ISO, with zone)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would go; change nothing."),
) -> None:
    """Purge every record whose retention ended and that no legal hold protects."""
    from fanguai.retention.purge import run

    moment = _moment(now)
    with database().session() as session:
        report = run(
            session,
            actor=cli_actor("retention run"),
            settings=settings(),
            now=moment,
            dry_run=dry_run,
        )
    verb = "would purge" if dry_run else "purged"
    for code, ids in report.purged.items():
        held = len(report.held.get(code, []))
        typer.echo(f"{code}: {verb} {len(ids)}, held {held}")
        for object_id in ids:
            typer.echo(f"  {object_id}")
    for object_id, error in sorted(report.failed.items()):
        typer.echo(f"error: {object_id}: {error} (retried on the next run)", err=True)
    if report.failed:
        raise typer.Exit(1)


@app.command("hold")
@reports_errors
def hold(
    object_type: str = typer.Argument(..., help=f"One of: {', '.join(HOLD_TYPES)}"),
    object_id: str = typer.Argument(..., help="The record's public ID"),
    reason: str = typer.Option(..., "--reason", help="Why the record must be kept"),
    as_user: str = typer.Option(..., "--as", help="The supervisor placing the hold"),
) -> None:
    """Place a legal hold on a record (the user must be able to see it)."""
    with database().session() as session:
        actor = _user(session, as_user)
        placed = service.place_hold(
            session, actor=actor, object_type=object_type, object_id=object_id, reason=reason
        )
        typer.echo(f"hold {placed.public_id} placed on {object_type} {object_id}")


@app.command("release")
@reports_errors
def release(
    hold_id: str = typer.Argument(..., help="The hold's ID (printed when it was placed)"),
    reason: str = typer.Option(..., "--reason", help="Why the hold ends"),
    as_user: str = typer.Option(..., "--as", help="The supervisor releasing the hold"),
) -> None:
    """Release a legal hold; the record is purged on the next run if its period has ended."""
    with database().session() as session:
        actor = _user(session, as_user)
        released = service.release_hold(session, actor=actor, public_id=hold_id, reason=reason)
        typer.echo(f"hold {released.public_id} released")
