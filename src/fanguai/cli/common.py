"""What every command group shares: settings, the database, error reporting."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import typer

from fanguai.core.context import source_var
from fanguai.db import Database
from fanguai.errors import DomainError
from fanguai.settings import Settings, SettingsError, get_settings

F = TypeVar("F", bound=Callable[..., Any])


def settings() -> Settings:
    """The settings of this process."""
    return get_settings()


def database(s: Settings | None = None) -> Database:
    """The configured database."""
    s = s or settings()
    return Database.from_url(
        s.effective_database_url, sqlite_busy_timeout_ms=s.sqlite_busy_timeout_ms
    )


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` to stderr and return the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def reports_errors(func: F) -> F:
    """Turn domain and settings errors into a one-line message and exit status 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        source_var.set("cli")
        try:
            return func(*args, **kwargs)
        except (DomainError, SettingsError) as exc:
            raise fail(getattr(exc, "message", str(exc))) from None

    return wrapper  # type: ignore[return-value]


def echo_json(value: Any) -> None:
    """Print JSON (UTF-8, not ASCII-escaped) on stdout."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


@contextmanager
def session_scope(db: Database) -> Iterator[Any]:
    """A session for one command."""
    with db.session() as session:
        yield session
