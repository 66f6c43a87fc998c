"""The ``fanguai`` command on a fresh database: upgrade, accounts, contracts, refusals."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from fanguai.cli.main import app
from fanguai.settings import get_settings


@pytest.fixture
def cli(tmp_path, monkeypatch, field_crypto):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FANGUAI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.delenv("FANGUAI_DEMO", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), input=input)

    yield run
    get_settings.cache_clear()


def test_a_fresh_install_has_no_account(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("db", "upgrade").exit_code == 0
    listed = cli("users", "list", "--json")
    assert listed.exit_code == 0 and json.loads(listed.stdout) == []


def test_db_upgrade_is_idempotent_and_loads_reference_data_once(cli) -> None:  # type: ignore[no-untyped-def]
    first = cli("db", "upgrade")
    assert first.exit_code == 0 and "loaded 109 divisions" in first.stdout
    assert "loaded 1 plan versions" in first.stdout
    second = cli("db", "upgrade")
    assert second.exit_code == 0 and "loaded" not in second.stdout


def test_users_create_then_a_duplicate_is_refused(cli) -> None:  # type: ignore[no-untyped-def]
    cli("db", "upgrade")
    args = (
        "users",
        "create",
        "first.admin",
        "--unit",
        "320000-GA",
        "--role",
        "sys_admin",
        "--name",
        "系统管理员",
        "--password-stdin",
    )
    ok = cli(*args, input="Str0ng-Passw0rd!\n")
    assert ok.exit_code == 0, ok.output
    assert re.search(r"enrolment code .*: [0-9A-Z]{4}-[0-9A-Z]{4}", ok.stdout)
    again = cli(*args, input="Str0ng-Passw0rd!\n")
    assert again.exit_code == 1 and "already exists" in again.output
    assert len(json.loads(cli("users", "list", "--json").stdout)) == 1


def test_users_create_names_an_unknown_unit_code(cli) -> None:  # type: ignore[no-untyped-def]
    cli("db", "upgrade")
    r = cli(
        "users",
        "create",
        "x.user",
        "--unit",
        "329999-XX",
        "--role",
        "viewer",
        "--name",
        "某人",
        "--password-stdin",
        input="Str0ng-Passw0rd!\n",
    )
    assert r.exit_code == 1 and "unknown unit code '329999-XX'" in r.output


def test_demo_data_is_refused_outside_demo_mode(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("demo", "load")
    assert r.exit_code == 1 and "FANGUAI_DEMO" in r.output


def test_serving_with_a_placeholder_secret_is_refused_outside_demo_mode(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("FANGUAI_SECRET_KEY", raising=False)
    r = cli("serve", "--no-migrate")
    assert r.exit_code == 1 and "FANGUAI_SECRET_KEY" in r.output


def test_geo_locate_answers_gusu_through_the_root_command(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("geo", "locate", "31.326", "120.628", "--json")
    assert r.exit_code == 0
    body = json.loads(r.stdout)
    assert body["county"] == {"code": "320508", "name": "姑苏区"}
    assert body["city"] == {"code": "320500", "name": "苏州市"}


def test_geo_locate_outside_jiangsu_exits_1(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("geo", "locate", "39.9", "116.4")
    assert r.exit_code == 1 and "outside Jiangsu" in r.output


def test_geo_divisions_json_is_the_contract(cli) -> None:  # type: ignore[no-untyped-def]
    rows = json.loads(cli("geo", "divisions", "--json").stdout)
    assert len(rows) == 109
    assert {"code", "name", "level", "parent", "lat", "lng"} <= set(rows[0])
    assert {r["level"] for r in rows} == {"province", "city", "county"}
