"""``fanguai dna``: a lab file imported as a named analyst, or every error and nothing imported."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fanguai.cli.main import app
from fanguai.settings import get_settings
from tests.dna.helpers import Family, long


@pytest.fixture
def cli(tmp_path, monkeypatch, field_crypto):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FANGUAI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.delenv("FANGUAI_DEMO", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    assert run("db", "upgrade").exit_code == 0
    from fanguai.cli.common import database, settings
    from fanguai.core.actor import cli_actor
    from fanguai.demo import DemoReport
    from fanguai.org.demo import load_personas

    with database(settings()).session() as session:
        load_personas(session, cli_actor("tests"), DemoReport())
    yield run
    get_settings.cache_clear()


def test_an_analyst_imports_a_file_and_a_bad_file_imports_nothing(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fam = Family(90)
    father = fam.person()
    good = tmp_path / "good.csv"
    good.write_text(long([("CLI-F", "father", "", father)]), encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        long([("CLI-M", "mother", "", fam.person())]).replace(",TH01,", ",TH0X1,"),
        encoding="gb18030",
    )
    refused = cli("dna", "import", str(bad), "--as", "suzhou.dna", "--layout", "long",
                  "--kit", "kit")  # fmt: skip
    assert refused.exit_code == 1
    assert "error: row" in refused.output and "locus TH0X1: unknown locus 'TH0X1'" in refused.output
    ok = cli("dna", "import", str(good), "--as", "suzhou.dna", "--layout", "long", "--kit", "kit")
    assert ok.exit_code == 0 and "imported 1 specimens" in ok.output
    counts = cli("dna", "counts", "--as", "suzhou.dna")
    assert json.loads(counts.stdout) == {"father": {"active": 1}}
    denied = cli("dna", "import", str(good), "--as", "gusu.police", "--layout", "long",
                 "--kit", "kit")  # fmt: skip
    assert denied.exit_code == 1 and "dna.import" in denied.output


def test_a_locus_without_frequencies_is_imported_with_a_notice(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = long([("CLI-D6", "father", "", Family(91).person())])
    text += "CLI-D6,father,,D6S1043,11,12\n"
    path = tmp_path / "d6.csv"
    path.write_text(text, encoding="utf-8")
    ok = cli("dna", "import", str(path), "--as", "suzhou.dna", "--layout", "long", "--kit", "kit")
    assert ok.exit_code == 0 and "imported 1 specimens" in ok.output
    assert ok.output.count("notice: locus D6S1043: the frequency table 'norstr-east-asia'") == 1
