"""Entry point of the ``fanguai`` command; each group lives in its own module."""

from __future__ import annotations

import typer

from fanguai.accountability import cli as accountability_cli
from fanguai.alerts import cli as alerts_cli
from fanguai.cli import audit as audit_cli
from fanguai.cli import backup as backup_cli
from fanguai.cli import db as db_cli
from fanguai.cli import demo as demo_cli
from fanguai.cli import serve as serve_cli
from fanguai.cli import users as users_cli
from fanguai.cli import worker as worker_cli
from fanguai.crypto import cli as keys_cli
from fanguai.dna import cli as dna_cli
from fanguai.geo import cli as geo_cli
from fanguai.identify import cli as identify_cli
from fanguai.kinship import cli as kinship_cli
from fanguai.leads import cli as leads_cli
from fanguai.linkage import cli as linkage_cli
from fanguai.plan import cli as plan_cli
from fanguai.retention import cli as retention_cli
from fanguai.victims import cli as victims_cli

app = typer.Typer(
    name="fanguai",
    help="反拐 — Jiangsu anti-trafficking joint conference platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(accountability_cli.app, name="accountability")
app.add_typer(alerts_cli.app, name="alerts")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(db_cli.app, name="db")
app.add_typer(demo_cli.app, name="demo")
app.add_typer(dna_cli.app, name="dna")
app.add_typer(geo_cli.app, name="geo")
app.add_typer(identify_cli.app, name="identify")
app.add_typer(keys_cli.app, name="keys")
app.add_typer(kinship_cli.app, name="kinship")
app.add_typer(leads_cli.app, name="leads")
app.add_typer(linkage_cli.app, name="linkage")
app.add_typer(plan_cli.app, name="plan")
app.add_typer(retention_cli.app, name="retention")
app.add_typer(users_cli.app, name="users")
app.add_typer(victims_cli.app, name="victims")
app.add_typer(worker_cli.app, name="worker")
serve_cli.register(app)
backup_cli.register(app)

if __name__ == "__main__":  # pragma: no cover
    app()
