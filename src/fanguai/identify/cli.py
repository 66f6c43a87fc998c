"""``fanguai identify``: the working calendar, deadlines, record linkage runs, figures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from fanguai import migrate
from fanguai.cli.common import database, echo_json, fail, reports_errors, settings
from fanguai.core.actor import cli_actor
from fanguai.identify.calendar import BEIJING, KINDS, load_calendar

app = typer.Typer(help="Identification and reunification.", no_args_is_help=True)
holidays = typer.Typer(
    help="Public holidays and make-up working days (调休).", no_args_is_help=True
)
app.add_typer(holidays, name="holidays")


@contextmanager
def _session() -> Iterator[Session]:
    """A session on the configured database, which must be migrated already."""
    url = make_url(settings().effective_database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        raise fail("the database does not exist yet: run `fanguai db upgrade` first")
    db = database()
    if migrate.current_revision(db.engine) is None:
        raise fail("the database has no schema yet: run `fanguai db upgrade` first")
    with db.session() as session:
        yield session


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"not a date (YYYY-MM-DD): {value!r}") from None


@holidays.command("list")
@reports_errors
def holidays_list(
    year: Annotated[int, typer.Option(help="The year to show.")] = datetime.now(BEIJING).year,
) -> None:
    """The year's holidays and make-up working days (built in and entered)."""
    with _session() as session:
        cal = load_calendar(session)
    if not cal.has_arrangement(year):
        typer.echo(f"{year}: no holiday arrangement entered (weekends only)", err=True)
    for e in cal.entries(year):
        source = "builtin" if e.builtin else "entered"
        typer.echo(f"{e.day.isoformat()}\t{e.kind}\t{e.name}\t{source}")


@holidays.command("add")
@reports_errors
def holidays_add(
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    kind: Annotated[str, typer.Option(help="holiday or workday (a weekend day worked).")],
    name: Annotated[str, typer.Option(help="e.g. 春节, 国庆节调休上班")],
) -> None:
    """Enter a holiday or a make-up working day from the State Council's notice."""
    from fanguai.identify.actions import set_calendar_day

    if kind not in KINDS:
        raise fail(f"--kind must be one of {', '.join(KINDS)}")
    with _session() as session:
        set_calendar_day(
            session, actor=cli_actor("identify holidays add"), day=_day(day), kind=kind, name=name
        )
    typer.echo(f"{day}: {kind} {name}")


@holidays.command("remove")
@reports_errors
def holidays_remove(day: Annotated[str, typer.Argument(help="YYYY-MM-DD")]) -> None:
    """Remove an entered day."""
    from fanguai.identify.actions import remove_calendar_day

    with _session() as session:
        remove_calendar_day(session, actor=cli_actor("identify holidays remove"), day=_day(day))
    typer.echo(f"{day}: removed")


@app.command("deadline")
@reports_errors
def deadline(
    start: Annotated[str, typer.Argument(help="ISO date and time with zone, or YYYY-MM-DD.")],
    days: Annotated[int, typer.Option(help="Working days.")] = 7,
) -> None:
    """When a deadline of N working days from START ends (Beijing time)."""
    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        raise fail(f"not an ISO date or time: {start!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BEIJING)
    if days < 1 or days > 366:
        raise fail("--days must be 1 to 366")
    with _session() as session:
        due = load_calendar(session).deadline(moment, days)
    typer.echo(due.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"))


@app.command("link")
@reports_errors
def link(
    found: Annotated[str | None, typer.Option(help="Only this found person (public ID).")] = None,
) -> None:
    """Run record linkage of the open found persons against the whole missing side."""
    from fanguai.identify.actions import run_linkage
    from fanguai.security.crypto_runtime import field_crypto

    with _session() as session:
        stored = run_linkage(
            session, field_crypto(), actor=cli_actor("identify link"), found_id=found
        )
    typer.echo(f"record evidence stored for {stored} pair(s)")


@app.command("stats")
@reports_errors
def stats(
    since: Annotated[
        str | None, typer.Option(help="Only records from this date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Found persons registered and identified, by county and Beijing month (JSON)."""
    from fanguai.identify import stats as figures

    moment = (
        datetime.combine(_day(since), datetime.min.time(), tzinfo=BEIJING).astimezone(UTC)
        if since
        else None
    )
    with _session() as session:
        echo_json(
            {
                "registered": figures.counts_by_county_month(session, since=moment),
                "identified": figures.identified_by_county_month(session, since=moment),
                "status": figures.status_counts(session),
            }
        )
