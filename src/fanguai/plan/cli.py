"""``fanguai plan``: the measures catalogue. ``measures --json`` is a contract for other tools."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from fanguai import migrate
from fanguai.cli.common import database, echo_json, fail, reports_errors, settings
from fanguai.core.actor import cli_actor
from fanguai.errors import NotFound
from fanguai.plan import service
from fanguai.plan.actions import load_plan
from fanguai.plan.parser import PlanParseError, parse_plan
from fanguai.plan.schemas import MeasureRead

app = typer.Typer(help="The plan's measures catalogue.", no_args_is_help=True)


def _from_parsed(text: str) -> list[MeasureRead]:
    parsed = parse_plan(text)
    return [
        MeasureRead(
            code=m.code,
            parent=m.parent,
            level=m.level,
            text=m.text,
            lead_units=list(m.lead_units),
            cooperating_units=list(m.cooperating_units),
        )
        for m in parsed.measures
    ]


def _database_has_schema() -> bool:
    s = settings()
    url = make_url(s.effective_database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return False  # do not create an empty database file just to look into it
    return migrate.current_revision(database(s).engine) is not None


@app.command("measures")
@reports_errors
def measures(
    json_out: bool = typer.Option(False, "--json", help="Print a JSON list."),
    file: Path | None = typer.Option(
        None,
        "--file",
        exists=True,
        dir_okay=False,
        readable=True,
        help="Parse this plan text instead of reading the database.",
    ),
    version: str | None = typer.Option(None, "--version", help="A loaded version's name."),
    unit: str | None = typer.Option(None, "--unit", help="Only measures naming this unit."),
) -> None:
    """List the measures: code, parent, text, lead and cooperating units."""
    if file is not None:
        try:
            rows = _from_parsed(file.read_text(encoding="utf-8"))
        except PlanParseError as exc:
            raise fail(str(exc)) from None
    elif _database_has_schema():
        db = database(settings())
        with db.session() as session:
            try:
                v = service.current_version(session, name=version)
            except NotFound:
                if version:
                    raise
                v = None
            if v is None:
                rows = _from_parsed(service.bundled_plan_text())
                typer.echo(
                    "note: no plan loaded in the database; showing the bundled plan", err=True
                )
            else:
                rows = [service.measure_read(m) for m in v.measures]
    else:
        if version:
            raise fail("the database is not initialised: run `fanguai db upgrade` first")
        rows = _from_parsed(service.bundled_plan_text())
        typer.echo("note: database not initialised; showing the bundled plan", err=True)
    if unit:
        rows = [r for r in rows if unit in r.lead_units or unit in r.cooperating_units]
    if json_out:
        # ``parent`` is part of the contract even when null; ``id`` only exists in the database.
        echo_json([r.model_dump(exclude={"id"} if r.id is None else set()) for r in rows])
        return
    for r in rows:
        indent = "  " * (r.level - 1)
        units = ""
        if r.lead_units:
            units = f"  [负责: {'、'.join(r.lead_units)}"
            units += f"; 配合: {'、'.join(r.cooperating_units)}]" if r.cooperating_units else "]"
        typer.echo(f"{indent}{r.code} {r.text[:40]}{'…' if len(r.text) > 40 else ''}{units}")


@app.command("load")
@reports_errors
def load(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    name: str = typer.Option(..., "--name", help="Version name, e.g. jiangsu-2021-rev1"),
    current: bool = typer.Option(True, help="Make this version the current one."),
) -> None:
    """Load a (revised) plan text as a new version beside the ones already loaded."""
    text = file.read_text(encoding="utf-8")
    db = database(settings())
    with db.session() as session:
        v = load_plan(
            session, actor=cli_actor("plan load"), text=text, name=name, make_current=current
        )
        typer.echo(
            f"loaded {name}: {len(v.measures)} measures{' (current)' if v.is_current else ''}"
        )


@app.command("versions")
@reports_errors
def versions(json_out: bool = typer.Option(False, "--json")) -> None:
    """List loaded plan versions."""
    db = database(settings())
    with db.session() as session:
        rows = [
            {
                "name": v.name,
                "title": v.title,
                "current": v.is_current,
                "measures": len(v.measures),
                "sha256": v.source_sha256,
            }
            for v in service.list_versions(session)
        ]
    if json_out:
        echo_json(rows)
        return
    for r in rows:
        typer.echo(f"{'*' if r['current'] else ' '} {r['name']:<30} {r['measures']:>4} measures")
