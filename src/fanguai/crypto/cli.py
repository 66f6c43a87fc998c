"""``fanguai keys``: master key, key store set-up, KEK rotation and destruction (operator only)."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from fanguai.cli.common import echo_json, fail, reports_errors, settings
from fanguai.crypto.keystore import (
    TEST_KEYS_ENV,
    KeyStore,
    create_master_key,
    read_master_key,
)
from fanguai.crypto.provider import get_provider

app = typer.Typer(
    help="Key store: master key, KEK rotation, crypto-shredding keys.", no_args_is_help=True
)


def _url_for_humans(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _open_store() -> KeyStore:
    return KeyStore.from_settings(settings())


@app.command("init")
@reports_errors
def init(
    master_key_file: Path | None = typer.Option(
        None,
        "--master-key-file",
        help="Master key file; created (mode 0600) when it does not exist.",
    ),
) -> None:
    """Create the master key file if needed and initialise the key store (idempotent)."""
    s = settings()
    provider = get_provider()
    path = master_key_file or s.master_key_file
    if path is None:
        if not (s.demo or os.environ.get(TEST_KEYS_ENV) == "1"):
            raise fail(
                "give --master-key-file PATH, then set FANGUAI_MASTER_KEY_FILE=PATH "
                "for the platform"
            )
        path = s.data_dir / "keys" / "master.key"
    if path.exists():
        master_key = read_master_key(path)
    else:
        try:
            master_key = create_master_key(path, provider)
        except OSError as exc:
            raise fail(f"cannot create master key file {path}: {exc.strerror}") from None
        typer.echo(f"created master key file {path} (mode 0600); keep a copy offline")
    store = KeyStore(
        s.effective_keystore_url,
        master_key=master_key,
        provider=provider,
        sqlite_busy_timeout_ms=s.sqlite_busy_timeout_ms,
    )
    try:
        created = store.initialise()
        primary = store.primary_version()
    finally:
        store.close()
    where = _url_for_humans(s.effective_keystore_url)
    if created:
        typer.echo(f"initialised the key store at {where} (primary KEK v{primary})")
    else:
        typer.echo(f"the key store at {where} is already initialised (primary KEK v{primary})")
    configured = s.master_key_file
    if configured is None or Path(configured).resolve() != Path(path).resolve():
        typer.echo(f"set FANGUAI_MASTER_KEY_FILE={path} for the platform")


@app.command("status")
@reports_errors
def status(json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show the KEK versions, their status and how many data keys each wraps."""
    store = _open_store()
    try:
        info = store.status()
    finally:
        store.close()
    info["keystore"] = _url_for_humans(settings().effective_keystore_url)
    if json_out:
        echo_json(info)
        return
    typer.echo(
        f"key store {info['keystore']} (provider {info['provider']}, "
        f"schema {info['schema_version']})"
    )
    typer.echo(f"primary KEK: v{info['primary']}")
    for kek in info["keks"]:
        typer.echo(
            f"  v{kek['version']:<4} {kek['status']:<13} {kek['data_keys']:>8} data keys"
            f"  created {kek['created_at']}"
        )
    typer.echo(f"data keys: {info['data_keys']}; shredded subjects: {info['shredded']}")


@app.command("rotate")
@reports_errors
def rotate(
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="Data keys per transaction."),
) -> None:
    """Rotate the KEK: add v(n+1), make it primary, rewrap all data keys, retire v(n)."""
    store = _open_store()
    try:
        old = store.primary_version()
        new = store.add_kek()
        typer.echo(f"added KEK v{new}")
        store.make_primary(new)
        typer.echo(f"KEK v{new} is primary: new data keys are wrapped under it")
        count = store.rewrap_all(batch_size=batch_size)
        typer.echo(f"rewrapped {count} data keys onto KEK v{new}")
        store.set_decrypt_only(old)
        typer.echo(f"KEK v{old} is decrypt-only")
        left = {v: n for v, n in store.versions_in_use().items() if v != new}
    finally:
        store.close()
    if left:
        raise fail(f"data keys still reference old KEKs {left}; run `fanguai keys rewrap`")
    typer.echo(f"no data key references KEK v{old}; destroy it with `fanguai keys destroy {old}`")


@app.command("rewrap")
@reports_errors
def rewrap(
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="Data keys per transaction."),
) -> None:
    """Rewrap every data key not on the primary KEK (finishes an interrupted rotation)."""
    store = _open_store()
    try:
        count = store.rewrap_all(batch_size=batch_size)
        primary = store.primary_version()
    finally:
        store.close()
    typer.echo(f"rewrapped {count} data keys onto KEK v{primary}")


@app.command("destroy")
@reports_errors
def destroy(
    version: int = typer.Argument(..., help="KEK version to destroy."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Destroy a decrypt-only KEK that no data key references (irreversible)."""
    if not yes:
        typer.confirm(f"destroy KEK v{version} for good?", abort=True)
    store = _open_store()
    try:
        store.destroy_kek(version)
    finally:
        store.close()
    typer.echo(f"KEK v{version} destroyed")
