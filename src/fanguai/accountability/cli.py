"""``fanguai accountability``: reporting cycles, evaluation reports, the dashboard's rollup."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import select

from fanguai.accountability import dashboard, evaluation
from fanguai.accountability.export_pdf import build_pdf
from fanguai.accountability.export_xlsx import build_xlsx
from fanguai.accountability.models import Evaluation, ProgressReport, ReportingCycle
from fanguai.cli.common import database, echo_json, fail, reports_errors, settings
from fanguai.db import utcnow

app = typer.Typer(help="Plan accountability: cycles, evaluations, dashboard.", no_args_is_help=True)


@app.command("cycles")
@reports_errors
def cycles(json_out: bool = typer.Option(False, "--json", help="Print a JSON list.")) -> None:
    """List the reporting cycles with how many reports were filed."""
    db = database(settings())
    with db.session() as session:
        rows = []
        for c in session.execute(
            select(ReportingCycle).order_by(ReportingCycle.period_start)
        ).scalars():
            reports = session.execute(
                select(ProgressReport.status).where(ProgressReport.cycle_id == c.id)
            ).scalars()
            statuses = list(reports)
            rows.append(
                {
                    "id": c.public_id,
                    "name": c.name,
                    "status": c.status,
                    "due_at": c.due_at.isoformat(),
                    "reports": len(statuses),
                    "filed": statuses.count("submitted"),
                }
            )
    if json_out:
        echo_json(rows)
        return
    for r in rows:
        typer.echo(
            f"{r['name']:<16} {r['status']:<7} {r['filed']:>5}/{r['reports']:<5} {r['due_at']}"
        )


@app.command("export")
@reports_errors
def export(
    evaluation_id: str = typer.Argument(..., help="The evaluation's ID (as in its page's URL)."),
    out: Path = typer.Option(..., "--out", help="File to write: .pdf or .xlsx"),
) -> None:
    """Write an evaluation's report as PDF (government document layout) or Excel."""
    if out.suffix not in (".pdf", ".xlsx"):
        raise fail("--out must end in .pdf or .xlsx")
    db = database(settings())
    with db.session() as session:
        ev = session.execute(
            select(Evaluation).where(Evaluation.public_id == evaluation_id)
        ).scalar_one_or_none()
        if ev is None:
            raise fail(f"no evaluation {evaluation_id!r}")
        res = evaluation.results(session, ev)
        content = (build_pdf if out.suffix == ".pdf" else build_xlsx)(res, now=utcnow())
    out.write_bytes(content)
    typer.echo(f"wrote {out} ({len(content)} bytes)")


@app.command("refresh-dashboard")
@reports_errors
def refresh_dashboard(
    full: bool = typer.Option(False, "--full", help="Recount every month, not only the last two."),
) -> None:
    """Fold the operational modules' monthly counts into the dashboard's rollup now."""
    db = database(settings())
    sources = list(dashboard.available_sources())
    n = dashboard.refresh_rollup(db, utcnow(), force_full=full, force=True)
    typer.echo(f"sources: {', '.join(sources) or 'none'}; rollup rows written: {n}")
