"""``fanguai dna``: import a lab file as a named DNA analyst; de-identified counts.

There is deliberately no export command (R-DNA-5: no bulk export of profiles).
"""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import select

from fanguai.cli.common import database, echo_json, fail, reports_errors, settings
from fanguai.org.models import User

app = typer.Typer(help="DNA store", no_args_is_help=True)


@app.callback()
def main() -> None:
    """DNA store: import lab results, counts."""


def _analyst(session, username: str):  # type: ignore[no-untyped-def]
    from fanguai.security.service import actor_for_user

    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or not user.is_active:
        raise fail(f"no active user {username!r}")
    return actor_for_user(user)


@app.command("import")
@reports_errors
def import_file(
    path: Path = typer.Argument(..., help="The lab's CSV file"),
    as_user: str = typer.Option(..., "--as", help="The named DNA analyst importing (R-DNA-5)"),
    layout: str = typer.Option(..., "--layout", help="long | wide"),
    kit: str = typer.Option(..., "--kit", help="Typing kit, e.g. 'Goldeneye DNA ID 22NC'"),
    lab: str | None = typer.Option(None, "--lab", help="Lab name (default: the user's unit)"),
) -> None:
    """Import a lab file whole, or print every error (row, sample, locus) and import nothing."""
    from fanguai.dna.service import ImportRefused, import_lab_file

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="strict")
    db = database(settings())
    with db.session() as session:
        actor = _analyst(session, as_user)
        try:
            result = import_lab_file(
                session, actor=actor, text=text, layout=layout, kit=kit, lab=lab
            )
        except ImportRefused as exc:
            for error in exc.errors:
                typer.echo(f"error: {error}", err=True)
            raise fail(exc.message) from None
        for notice in result.notices:
            typer.echo(f"notice: {notice}", err=True)
        typer.echo(
            f"imported {len(result.specimens)} specimens ({result.import_id}); "
            f"{len(result.matches)} candidate matches"
        )


@app.command("counts")
@reports_errors
def counts(
    as_user: str = typer.Option(..., "--as", help="A DNA analyst (counts in their scope)"),
) -> None:
    """Specimens by kind and status (counts only, R-DNA-7)."""
    from fanguai.dna.service import counts as store_counts

    db = database(settings())
    with db.session() as session:
        echo_json(store_counts(session, actor=_analyst(session, as_user)))
