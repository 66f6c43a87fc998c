"""Commands of the identification module."""

from __future__ import annotations

import typer

app = typer.Typer(help="identification", no_args_is_help=True)
