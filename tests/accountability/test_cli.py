"""``fanguai accountability``: cycles, report export, the dashboard's rollup, on a demo database."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from fanguai.accountability.models import Evaluation
from fanguai.cli.main import app
from fanguai.db import Database
from fanguai.settings import get_settings


@pytest.fixture
def cli(tmp_path, monkeypatch, field_crypto):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("FANGUAI_DATABASE_URL", url)
    monkeypatch.setenv("FANGUAI_DEMO", "1")
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    assert run("db", "upgrade").exit_code == 0
    run.url = url  # type: ignore[attr-defined]
    yield run
    get_settings.cache_clear()


def test_cycles_exports_and_refresh_on_a_demo_database(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert json.loads(cli("accountability", "cycles", "--json").stdout) == []
    assert cli("demo", "load").exit_code == 0
    cycles = json.loads(cli("accountability", "cycles", "--json").stdout)
    assert [c["status"] for c in cycles] == ["closed", "closed", "open"]
    assert all(0 < c["filed"] <= c["reports"] for c in cycles)
    db = Database.from_url(cli.url)
    with db.session() as s:
        ev = s.execute(select(Evaluation)).scalars().first().public_id
    db.engine.dispose()
    out = tmp_path / "report.xlsx"
    result = cli("accountability", "export", ev, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "按单位" in load_workbook(out).sheetnames
    pdf = tmp_path / "report.pdf"
    assert cli("accountability", "export", ev, "--out", str(pdf)).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF-")
    refused = cli("accountability", "export", ev, "--out", str(tmp_path / "report.doc"))
    assert refused.exit_code == 1 and "must end in .pdf or .xlsx" in refused.output
    missing = cli("accountability", "export", "no-such-id", "--out", str(pdf))
    assert missing.exit_code == 1 and "no evaluation" in missing.output
    refreshed = cli("accountability", "refresh-dashboard")
    assert refreshed.exit_code == 0 and "rollup rows written" in refreshed.stdout
