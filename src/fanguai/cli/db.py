"""``fanguai db``: schema migrations and reference data."""

from __future__ import annotations

import typer

from fanguai import migrate
from fanguai.cli.common import database, reports_errors, settings
from fanguai.core.actor import cli_actor
from fanguai.reference import ensure_reference_data

app = typer.Typer(help="Database schema and reference data.", no_args_is_help=True)


def upgrade_and_load(*, reference: bool = True) -> dict[str, int]:
    """Migrate to the newest schema and load missing reference data."""
    db = database(settings())
    migrate.upgrade(db.engine)
    added: dict[str, int] = {}
    if reference:
        with db.session() as session:
            added = ensure_reference_data(session, actor=cli_actor("db upgrade"))
    db.engine.dispose()
    return added


@app.command("upgrade")
@reports_errors
def upgrade(
    reference: bool = typer.Option(True, help="Also load missing reference data."),
) -> None:
    """Bring the schema to the newest revision and load divisions, units, roles and the plan."""
    added = upgrade_and_load(reference=reference)
    typer.echo(f"schema at {migrate.head_revision()}")
    for what, n in added.items():
        if n:
            typer.echo(f"loaded {n} {what.replace('_', ' ')}")


@app.command("current")
@reports_errors
def current() -> None:
    """Print the schema revision of the database and the newest one the code knows."""
    db = database(settings())
    typer.echo(f"database: {migrate.current_revision(db.engine) or '(empty)'}")
    typer.echo(f"code:     {migrate.head_revision()}")
