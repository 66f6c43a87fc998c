"""``fanguai audit``: verify the tamper-evident log, sign checkpoints, archive and purge."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from fanguai.audit import service
from fanguai.audit.signing import AuditSigner
from fanguai.cli.common import database, echo_json, fail, reports_errors, settings
from fanguai.core.actor import cli_actor
from fanguai.db import utcnow

app = typer.Typer(help="The audit log.", no_args_is_help=True)


def _signer() -> AuditSigner:
    return AuditSigner(settings().data_dir)


@app.command("verify")
@reports_errors
def verify(json_out: bool = typer.Option(False, "--json")) -> None:
    """Check the hash chain and the signed checkpoints; exit 1 naming the first bad row."""
    db = database(settings())
    with db.session() as session:
        result = service.verify_full(session, _signer())
    if json_out:
        echo_json(
            {
                "ok": result.ok,
                "checked": result.checked,
                "first_bad_seq": result.first_bad_seq,
                "reason": result.reason,
            }
        )
    elif result.ok:
        typer.echo(f"audit log intact: {result.checked} records")
    if not result.ok:
        typer.echo(
            f"audit log broken at sequence {result.first_bad_seq}: {result.reason}", err=True
        )
        raise typer.Exit(1)


@app.command("checkpoint")
@reports_errors
def checkpoint() -> None:
    """Sign the chain's head with the audit SM2 key (run periodically, e.g. every 10 minutes)."""
    db = database(settings())
    with db.session() as session:
        try:
            cp = service.checkpoint(session, _signer())
        except service.AuditChainBroken as exc:
            raise fail(str(exc)) from None
    typer.echo("empty log: nothing to sign" if cp is None else f"signed checkpoint at {cp.seq}")


@app.command("purge")
@reports_errors
def purge(
    before: str | None = typer.Option(
        None, "--before", help="YYYY-MM-DD (UTC); default: the retention period ago."
    ),
) -> None:
    """Archive (signed) and remove records older than the retention period (>= 6 months)."""
    s = settings()
    now = utcnow()
    if before:
        try:
            cutoff = datetime.strptime(before, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise fail(f"--before must be YYYY-MM-DD, got {before!r}") from None
    else:
        months = s.audit_retention_months
        year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
        cutoff = now.replace(year=year, month=month + 1, day=min(now.day, 28))
    db = database(s)
    with db.session() as session:
        try:
            result = service.archive_and_purge(
                session,
                actor=cli_actor("audit purge"),
                cutoff=cutoff,
                signer=_signer(),
                archive_dir=s.data_dir / "audit" / "archive",
                now=now,
            )
        except (service.InvalidAuditRequest, service.AuditChainBroken) as exc:
            raise fail(str(exc)) from None
    typer.echo(
        f"archived and purged {result['archived']} records"
        + (
            f" ({result['first_seq']}..{result['last_seq']}) to {result['file']}"
            if result["archived"]
            else ""
        )
    )
