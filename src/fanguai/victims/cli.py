"""``fanguai victims``: the designated-hospital coverage check and the dashboard figures.

The rules run with the worker: ``fanguai worker run --once --job victims.rules [--now ...]``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from fanguai.cli.common import database, echo_json, fail, reports_errors
from fanguai.victims import service, stats

app = typer.Typer(help="victim assistance", no_args_is_help=True)


@app.command("hospitals")
@reports_errors
def hospitals(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check that every county has a designated hospital (二(三)1(6)); exit 1 if one has none."""
    with database().session() as session:
        missing = [(d.code, d.full_name) for d in service.counties_without_hospital(session)]
        active = len(service.hospitals(session))
    if json_out:
        echo_json({"hospitals": active, "counties_without": [code for code, _ in missing]})
    else:
        typer.echo(f"designated hospitals: {active}; counties without one: {len(missing)}")
        for code, name in missing:
            typer.echo(f"  {code} {name}")
    if missing:
        raise typer.Exit(1)


@app.command("counts")
@reports_errors
def counts(
    since: Annotated[
        str | None, typer.Option("--since", help="Only files opened from (ISO 8601 with zone).")
    ] = None,
) -> None:
    """Files opened per county and month, and services given per county and kind (JSON)."""
    moment = None
    if since is not None:
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            raise fail(f"--since: not an ISO 8601 date and time: {since!r}") from None
        if moment.tzinfo is None:
            raise fail("--since: give a time zone (for example 2026-01-01T00:00:00+08:00)")
        moment = moment.astimezone(UTC)
    with database().session() as session:
        opened = stats.counts_by_county_month(session, since=moment)
        served = stats.served_counts(session, since=moment)
    echo_json(
        {
            "files_opened": [{"county": c, "month": m, "count": n} for c, m, n in opened],
            "services": [{"county": c, "kind": k, "count": n} for c, k, n in served],
        }
    )
