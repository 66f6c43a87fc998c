"""``fanguai users``: staff accounts, for the operator on the server."""

from __future__ import annotations

import getpass

import typer
from pydantic import ValidationError
from sqlalchemy import select

from fanguai.cli.common import database, echo_json, fail, reports_errors, settings
from fanguai.core.actor import cli_actor
from fanguai.org import actions, service
from fanguai.org.models import User
from fanguai.org.schemas import UserCreate

app = typer.Typer(help="Staff accounts.", no_args_is_help=True)


@app.command("create")
@reports_errors
def create(
    username: str = typer.Argument(..., help="Login name: lower-case letters, digits, . _ -"),
    unit: str = typer.Option(..., "--unit", help="Unit code, e.g. 320508-GA"),
    role: list[str] = typer.Option(..., "--role", help="Role code; repeat for several"),
    name: str = typer.Option(..., "--name", help="Display name"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Create a staff user (the password is asked for, never given on the command line)."""
    if password_stdin:
        password = typer.get_text_stream("stdin").readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise fail("the two passwords differ")
    try:
        data = UserCreate(
            username=username, display_name=name, unit_code=unit, password=password, roles=role
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    db = database(settings())
    from fanguai.security import mfa
    from fanguai.security.crypto_runtime import field_crypto

    set_code, issued = mfa.enrolment_code_setter(field_crypto())
    with db.session() as session:
        user = actions.create_user(
            session, actor=cli_actor("users create"), data=data, enrolment=set_code
        )
        typer.echo(f"created {user.username} in {user.unit.name} ({user.unit.code})")
        code = issued[0]
        typer.echo(f"one-time second-factor enrolment code (hand it over in person): {code}")


@app.command("list")
@reports_errors
def list_users(json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List staff users."""
    db = database(settings())
    with db.session() as session:
        users = session.execute(select(User).order_by(User.username)).scalars().all()
        rows = [service.user_read(u).model_dump() for u in users]
    if json_out:
        echo_json(rows)
        return
    for r in rows:
        typer.echo(
            f"{r['username']:<20} {r['unit_code']:<12} {','.join(r['roles']):<30} "
            f"{r['display_name']}"
        )


@app.command("disable-dormant")
@reports_errors
def disable_dormant(
    days: int | None = typer.Option(None, help="Default: FANGUAI_DORMANT_AFTER_DAYS (90)."),
) -> None:
    """Disable accounts unused for the given number of days (run daily, e.g. from cron)."""
    from fanguai.security.service import disable_dormant as run

    s = settings()
    db = database(s)
    with db.session() as session:
        names = run(
            session, actor=cli_actor("users disable-dormant"), days=days or s.dormant_after_days
        )
    typer.echo(
        f"disabled {len(names)} dormant account(s)" + (": " + ", ".join(names) if names else "")
    )
