"""``fanguai leads``: registered mandatory-reporting institutions, and a lead's figures."""

from __future__ import annotations

import typer

from fanguai.cli.common import database, echo_json, reports_errors, session_scope
from fanguai.core.actor import cli_actor
from fanguai.leads import catalogue, institutions, stats

app = typer.Typer(help="Leads: mandatory-reporting institutions and figures.", no_args_is_help=True)
institutions_app = typer.Typer(help="Registered mandatory-reporting institutions.")
app.add_typer(institutions_app, name="institutions")


@institutions_app.command("list")
@reports_errors
def list_command() -> None:
    """Print the registered institutions as JSON."""
    with session_scope(database()) as session:
        echo_json(
            [
                {
                    "id": i.public_id,
                    "name": i.name,
                    "kind": i.kind,
                    "county": i.county_code,
                    "unit": i.supervising_unit.code,
                    "active": i.active,
                }
                for i in institutions.list_institutions(session)
            ]
        )


@institutions_app.command("add")
@reports_errors
def add_command(
    name: str = typer.Argument(..., help="The institution's name, e.g. 苏州市姑苏区某小学."),
    kind: str = typer.Option(..., help=f"One of: {', '.join(catalogue.INSTITUTION_KINDS)}."),
    county: str = typer.Option(..., help="County code (GB/T 2260), e.g. 320508."),
    unit: str = typer.Option(..., help="Supervising unit code, e.g. 320508-JY."),
) -> None:
    """Register an institution that must report (二(一)5)."""
    with session_scope(database()) as session:
        institution = institutions.register_institution(
            session,
            actor=cli_actor("leads institutions add"),
            name=name,
            kind=kind,
            county_code=county,
            unit_code=unit,
        )
        typer.echo(institution.public_id)


@institutions_app.command("member")
@reports_errors
def member_command(
    username: str = typer.Argument(..., help="A staff account with the mandatory_reporter role."),
    institution: str = typer.Argument(..., help="The institution's registered name."),
) -> None:
    """Let an account report for an institution."""
    with session_scope(database()) as session:
        institutions.add_member(
            session,
            actor=cli_actor("leads institutions member"),
            username=username,
            institution_name=institution,
        )
        typer.echo("ok")


@app.command("stats")
@reports_errors
def stats_command() -> None:
    """Leads received and acknowledged per county and month (JSON)."""
    with session_scope(database()) as session:
        echo_json(
            {
                "received": stats.counts_by_county_month(session),
                "acknowledged": stats.ack_by_county_month(session),
            }
        )
