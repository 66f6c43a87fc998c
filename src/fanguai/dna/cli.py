"""Commands of the DNA store module."""

from __future__ import annotations

import typer

app = typer.Typer(help="DNA store", no_args_is_help=True)
