"""Commands of the leads module."""

from __future__ import annotations

import typer

app = typer.Typer(help="leads", no_args_is_help=True)
