"""Commands of the victim assistance module."""

from __future__ import annotations

import typer

app = typer.Typer(help="victim assistance", no_args_is_help=True)
