"""Commands of the plan accountability module."""

from __future__ import annotations

import typer

app = typer.Typer(help="plan accountability", no_args_is_help=True)
