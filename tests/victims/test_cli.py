"""``fanguai victims``: the hospital coverage check and the dashboard figures."""

from __future__ import annotations

import json

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
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_a_fresh_install_reports_every_county_without_a_designated_hospital(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("db", "upgrade").exit_code == 0
    result = cli("victims", "hospitals", "--json")
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["hospitals"] == 0 and len(body["counties_without"]) == 95
    assert "320508" in body["counties_without"]


def test_counts_print_json_and_refuse_a_time_without_zone(cli) -> None:  # type: ignore[no-untyped-def]
    cli("db", "upgrade")
    result = cli("victims", "counts", "--since", "2026-01-01T00:00:00+08:00")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"files_opened": [], "services": []}
    bad = cli("victims", "counts", "--since", "2026-01-01T00:00:00")
    assert bad.exit_code == 1 and "time zone" in bad.stderr
