"""Commands of the missing-child cases and alerts module."""

from __future__ import annotations

import typer

app = typer.Typer(help="missing-child cases and alerts", no_args_is_help=True)
