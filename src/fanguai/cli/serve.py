"""``fanguai serve``: run the web application."""

from __future__ import annotations

import os

import typer

from fanguai.cli.common import reports_errors


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the root CLI."""

    @app.command("serve")
    @reports_errors
    def serve(
        demo: bool = typer.Option(False, "--demo", help="Demo mode: synthetic data, personas."),
        host: str = typer.Option("127.0.0.1", help="Address to listen on."),
        port: int = typer.Option(8000, help="Port to listen on."),
        migrate: bool = typer.Option(True, help="Upgrade the schema before starting."),
        worker: bool | None = typer.Option(
            None,
            "--worker/--no-worker",
            help="Run the periodic jobs in this process (default: on in demo mode; in "
            "production run `fanguai worker run` as its own service).",
        ),
    ) -> None:
        """Start the platform (with --demo: a demo database with personas)."""
        if demo:
            os.environ["FANGUAI_DEMO"] = "1"
            os.environ.setdefault("FANGUAI_DATABASE_URL", "sqlite:///var/demo.sqlite3")
        from fanguai.settings import get_settings

        get_settings.cache_clear()
        settings = get_settings()
        settings.check_for_production()
        from fanguai.cli.db import upgrade_and_load

        if migrate:
            upgrade_and_load()
        if demo:
            from fanguai.cli.demo import load_demo, print_credentials

            print_credentials(load_demo())
        else:
            _warn_if_no_accounts()
        import uvicorn

        from fanguai.web.app import create_app

        if worker if worker is not None else demo:
            _start_worker_thread()
        typer.echo(f"fanguai listening on http://{host}:{port}")
        uvicorn.run(
            create_app(settings), host=host, port=port, log_level="warning", proxy_headers=False
        )


def _start_worker_thread() -> None:
    """Run the periodic jobs beside the web server (a daemon thread with its own sessions)."""
    import threading

    from fanguai import worker
    from fanguai.cli.common import database

    db = database()
    thread = threading.Thread(
        target=worker.run_forever, args=(db,), name="fanguai-worker", daemon=True
    )
    thread.start()
    typer.echo("worker: periodic jobs run in this process every 15 s")


def _warn_if_no_accounts() -> None:
    from sqlalchemy import func, select

    from fanguai.cli.common import database
    from fanguai.org.models import User

    db = database()
    with db.session() as session:
        if session.execute(select(func.count()).select_from(User)).scalar_one() == 0:
            typer.echo(
                "no staff accounts yet: create the first one with\n"
                "  fanguai users create NAME --unit 320000-GA --role sys_admin --name 系统管理员",
                err=True,
            )
