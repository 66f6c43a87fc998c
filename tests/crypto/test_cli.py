"""``fanguai keys``: init, status, rotate (the D4 order), rewrap and destroy."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fanguai.cli.main import app
from fanguai.crypto.keystore import KeyStore, create_master_key
from fanguai.crypto.provider import SoftwareCryptoProvider
from fanguai.settings import get_settings

Run = Callable[..., Any]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    paths = {
        "data_dir": tmp_path / "var",
        "keystore": tmp_path / "keys" / "ks.sqlite3",
        "master_key": tmp_path / "secrets" / "master.key",
    }
    monkeypatch.setenv("FANGUAI_DATA_DIR", str(paths["data_dir"]))
    monkeypatch.setenv("FANGUAI_KEYSTORE_URL", f"sqlite:///{paths['keystore']}")
    monkeypatch.setenv("FANGUAI_MASTER_KEY_FILE", str(paths["master_key"]))
    for name in ("FANGUAI_DEMO", "FANGUAI_TEST_KEYS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield paths
    get_settings.cache_clear()


@pytest.fixture
def keys(env: dict[str, Path]) -> Run:
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Any:
        get_settings.cache_clear()
        return runner.invoke(app, ["keys", *args], input=input)

    return run


def _status(keys: Run) -> dict[str, Any]:
    result = keys("status", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _add_subjects(count: int) -> None:
    store = KeyStore.from_settings(get_settings())
    for i in range(count):
        store.data_key(f"subject-{i}")
    store.close()


def test_keys_init_creates_a_private_master_key_and_is_idempotent(
    keys: Run, env: dict[str, Path]
) -> None:
    first = keys("init", "--master-key-file", str(env["master_key"]))
    assert first.exit_code == 0, first.output
    assert "created master key file" in first.stdout
    assert "initialised the key store" in first.stdout
    assert stat.S_IMODE(env["master_key"].stat().st_mode) == 0o600
    assert len(env["master_key"].read_text().strip()) == 32
    key_before = env["master_key"].read_bytes()
    again = keys("init")
    assert again.exit_code == 0, again.output
    assert "already initialised (primary KEK v1)" in again.stdout
    assert env["master_key"].read_bytes() == key_before


def test_keys_status_shows_versions_and_counts(keys: Run) -> None:
    keys("init")
    _add_subjects(3)
    info = _status(keys)
    assert info["primary"] == 1 and info["data_keys"] == 3
    assert info["keks"][0]["status"] == "primary" and info["keks"][0]["data_keys"] == 3
    text = keys("status")
    assert text.exit_code == 0 and "primary KEK: v1" in text.stdout


def test_keys_rotate_follows_the_d4_order_and_then_v1_can_be_destroyed(keys: Run) -> None:
    keys("init")
    _add_subjects(30)
    refused = keys("destroy", "1", "--yes")
    assert refused.exit_code == 1 and "primary" in refused.stderr
    rotated = keys("rotate", "--batch-size", "7")
    assert rotated.exit_code == 0, rotated.output
    lines = rotated.stdout.splitlines()
    assert lines == [
        "added KEK v2",
        "KEK v2 is primary: new data keys are wrapped under it",
        "rewrapped 30 data keys onto KEK v2",
        "KEK v1 is decrypt-only",
        "no data key references KEK v1; destroy it with `fanguai keys destroy 1`",
    ]
    info = _status(keys)
    assert [(k["version"], k["status"], k["data_keys"]) for k in info["keks"]] == [
        (1, "decrypt_only", 0),
        (2, "primary", 30),
    ]
    destroyed = keys("destroy", "1", "--yes")
    assert destroyed.exit_code == 0 and "KEK v1 destroyed" in destroyed.stdout
    assert _status(keys)["keks"][0]["status"] == "destroyed"
    again = keys("destroy", "2", "--yes")
    assert again.exit_code == 1
    assert again.stderr.strip().count("\n") == 0 and again.stderr.startswith("error: ")


def test_keys_destroy_refuses_a_kek_still_in_use(keys: Run) -> None:
    keys("init")
    _add_subjects(2)
    store = KeyStore.from_settings(get_settings())
    store.make_primary(store.add_kek())
    store.set_decrypt_only(1)
    store.close()
    refused = keys("destroy", "1", "--yes")
    assert refused.exit_code == 1 and "still wraps 2 data keys" in refused.stderr
    rewrapped = keys("rewrap")
    assert rewrapped.exit_code == 0 and "rewrapped 2 data keys onto KEK v2" in rewrapped.stdout
    assert keys("destroy", "1", "--yes").exit_code == 0


def test_keys_destroy_asks_for_confirmation(keys: Run) -> None:
    keys("init")
    keys("rotate")
    declined = keys("destroy", "1", input="n\n")
    assert declined.exit_code == 1
    assert _status(keys)["keks"][0]["status"] == "decrypt_only"


def test_keys_commands_without_a_master_key_say_to_run_keys_init(
    keys: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FANGUAI_MASTER_KEY_FILE")
    result = keys("status")
    assert result.exit_code == 1
    assert "fanguai keys init" in result.stderr and "Traceback" not in result.output
    init = keys("init")
    assert init.exit_code == 1 and "--master-key-file" in init.stderr


def test_keys_status_before_init_says_to_run_keys_init(keys: Run, env: dict[str, Path]) -> None:
    missing_key = keys("status")
    assert missing_key.exit_code == 1 and "fanguai keys init" in missing_key.stderr
    create_master_key(env["master_key"], SoftwareCryptoProvider())
    not_initialised = keys("status")
    assert not_initialised.exit_code == 1
    assert "not initialised; run `fanguai keys init`" in not_initialised.stderr


def test_keys_init_with_another_master_key_is_refused(
    keys: Run, env: dict[str, Path], tmp_path: Path
) -> None:
    keys("init")
    other = tmp_path / "other.key"
    result = keys("init", "--master-key-file", str(other))
    assert result.exit_code == 1 and "master key does not open" in result.stderr
