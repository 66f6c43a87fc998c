"""Commands of the missing-child cases and alerts module."""

from __future__ import annotations

import json
from typing import Annotated

import typer

app = typer.Typer(help="missing-child cases and alerts", no_args_is_help=True)


@app.command("bench")
def bench(
    subscribers: Annotated[
        int, typer.Option("--subscribers", min=1000, help="How many.")
    ] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic subscribers.")] = 2026,
    repeat: Annotated[int, typer.Option(min=1, help="Rounds of ring queries.")] = 3,
    batch_size: Annotated[int, typer.Option(min=1, max=5000)] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Spatial index and dispatch figures on N synthetic subscribers spread like Jiangsu's
    population."""
    from fanguai.alerts.bench import run

    result = run(subscribers, seed=seed, repeat=repeat, batch_size=batch_size)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        typer.echo(f"{key:36} {value}")


@app.command("sink")
def sink(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8765,
    secret: Annotated[str, typer.Option(help="The demo webhook's signing secret.")] = (
        "demo-secret-not-for-production"  # noqa: S107 - the demo's public key
    ),
) -> None:
    """Run a loopback receiver for the demo's webhook and SMS-gateway endpoints."""
    import time

    from fanguai.alerts.sink import LoopbackSink

    with LoopbackSink(secret, port=port, keep_bodies=False) as receiver:
        typer.echo(f"listening on {receiver.url} (webhook: /webhook, SMS gateway: /sms)")
        seen = 0
        try:
            while True:
                time.sleep(2)
                if len(receiver.state.seen) != seen:
                    seen = len(receiver.state.seen)
                    typer.echo(f"{seen} deliveries received")
        except KeyboardInterrupt:
            return


@app.command("encrypt-photos")
def encrypt_photos(
    decrypt: Annotated[
        bool, typer.Option("--decrypt", help="Put them back in clear (before a downgrade).")
    ] = False,
) -> None:
    """Encrypt the case photos stored in clear before migration 0016, delete those of erased
    children, and take the clear photo out of old hand-off packages (safe to run again)."""
    from fanguai.alerts.jobs import encrypt_legacy_photos
    from fanguai.cli import common

    @common.reports_errors
    def run() -> int:
        return encrypt_legacy_photos(common.database(), decrypt=decrypt)

    n = run()
    if decrypt:
        typer.echo(f"{n} photo(s) decrypted")
    else:
        typer.echo(f"{n} photo(s) or hand-off package(s) encrypted, deleted or converted")
