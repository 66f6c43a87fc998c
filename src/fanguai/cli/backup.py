"""``fanguai backup`` and ``fanguai restore``: encrypted logical backups (docs/backup.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from fanguai.cli.common import database, reports_errors, settings


def _summary(counts: dict[str, int]) -> str:
    return f"{sum(counts.values())} rows in {len(counts)} tables"


def register(app: typer.Typer) -> None:
    """Add the ``backup`` and ``restore`` commands to the root CLI."""

    @app.command("backup")
    @reports_errors
    def backup(
        out_file: Path = typer.Argument(
            ..., help="The backup file to write (must not exist yet); mode 0600."
        ),
    ) -> None:
        """Write an encrypted backup of the whole database (the key store is not in it)."""
        from fanguai.backup import create_backup
        from fanguai.core.actor import cli_actor
        from fanguai.crypto.keystore import KeyStore
        from fanguai.crypto.provider import get_provider

        s = settings()
        provider = get_provider()
        keystore = KeyStore.from_settings(s, provider=provider)
        db = database(s)
        try:
            info = create_backup(db.engine, keystore, provider, out_file, actor=cli_actor("backup"))
        finally:
            db.engine.dispose()
            keystore.close()
        typer.echo(
            f"wrote backup {info.backup_id} to {info.path}: {_summary(info.counts)}, "
            f"{info.size_bytes} bytes, schema {info.revision}, SM3 {info.digest}"
        )
        typer.echo("it can only be read with this key store: back the key store up separately")

    @app.command("restore")
    @reports_errors
    def restore(
        in_file: Path = typer.Argument(..., help="A backup file made by `fanguai backup`."),
    ) -> None:
        """Restore a backup into the configured, empty database and check every table."""
        from fanguai import migrate
        from fanguai.backup import restore_backup
        from fanguai.core.actor import cli_actor
        from fanguai.crypto.keystore import KeyStore
        from fanguai.crypto.provider import get_provider

        s = settings()
        provider = get_provider()
        keystore = KeyStore.from_settings(s, provider=provider)
        db = database(s)
        try:
            info = restore_backup(
                db.engine, keystore, provider, in_file, actor=cli_actor("restore")
            )
        finally:
            db.engine.dispose()
            keystore.close()
        typer.echo(
            f"restored backup {info.backup_id} (taken {info.created_at.isoformat()}): "
            f"{_summary(info.counts)}, every table's SM3 digest matches, "
            f"in {info.duration_s:.2f} s"
        )
        if info.revision != migrate.head_revision():
            typer.echo(f"the schema is at {info.revision}: run `fanguai db upgrade` next")
