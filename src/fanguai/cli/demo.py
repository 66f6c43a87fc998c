"""``fanguai demo``: the synthetic province for demonstrations and training."""

from __future__ import annotations

import typer

from fanguai.cli.common import database, reports_errors, settings
from fanguai.core.actor import cli_actor
from fanguai.demo import DemoReport, load_all

app = typer.Typer(help="Demo data.", no_args_is_help=True)


def load_demo() -> DemoReport:
    """Run every demo loader against the configured database."""
    db = database(settings())
    with db.session() as session:
        report = load_all(session, actor=cli_actor("demo load"))
    db.engine.dispose()
    return report


def print_credentials(report: DemoReport) -> None:
    """Show the demo personas' credentials (demo mode only: these passwords are public)."""
    typer.echo("demo mode: synthetic data; these passwords are public. Every account also")
    typer.echo("needs its second factor: the demo's 双因素验证 page shows the current code.")
    typer.echo("demo personas (user / password / who):")
    for username, password, about in report.credentials:
        typer.echo(f"  {username:<22} {password:<20} {about}")


@app.command("load")
@reports_errors
def load() -> None:
    """Load the demo data (requires FANGUAI_DEMO=1 or a database set aside for it)."""
    if not settings().demo:
        typer.echo(
            "error: demo data goes only into a demo installation; set FANGUAI_DEMO=1", err=True
        )
        raise typer.Exit(1)
    from fanguai.cli.db import upgrade_and_load

    upgrade_and_load()
    report = load_demo()
    for what, n in report.added.items():
        typer.echo(f"added {n} {what}")
    print_credentials(report)
