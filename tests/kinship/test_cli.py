"""``fanguai kinship lr CASE.json`` through the typer runner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fanguai.kinship.cli import app

runner = CliRunner()


def run(tmp_path, case):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case) if not isinstance(case, str) else case, encoding="utf-8")
    return runner.invoke(app, ["lr", str(path)])


def test_lr_prints_the_contract_keys_for_an_inline_table(tmp_path):
    case = {
        "relationship": "parent-child",
        "profiles": {"child": {"L1": "1/1", "L2": "1"}, "parent": {"l1": "1/1", "L2": "1/1"}},
        "frequencies": {"L1": {"1": 0.05}, "L2": {"1": 0.1}},
    }
    result = run(tmp_path, case)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"lr", "log10_lr", "inconsistent_loci", "loci", "engine_version", "settings"}
    assert out["lr"] == pytest.approx(200)
    assert out["loci"] == [
        {"locus": "L1", "lr": pytest.approx(20), "consistent": True},
        {"locus": "L2", "lr": pytest.approx(10), "consistent": True},
    ]
    assert out["settings"]["mutation_model"] == "none"


def test_lr_with_the_built_in_table_and_stepwise_mutation(tmp_path):
    case = {
        "relationship": "trio",
        "profiles": {
            "child": {"vWA": "14/17", "Penta D": "9/12", "TH01": "7/9"},
            "parent": {"VWA": "17/18", "PENTA_D": "12/13", "TH01": "9/9"},
            "mother": {"vWA": "14/16", "Penta D": "9/9", "TH01": "7/7"},
        },
        "frequencies": "norstr-east-asia",
        "mutation": {"model": "stepwise", "rate": 0.002, "rate_female": 0.0005},
        "theta": 0.01,
    }
    result = run(tmp_path, case)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["inconsistent_loci"] == 0 and out["lr"] > 1
    assert [x["locus"] for x in out["loci"]] == ["vWA", "Penta D", "TH01"]
    assert out["settings"]["rate_female"] == 0.0005 and out["settings"]["theta"] == 0.01


def test_an_exclusion_prints_lr_zero_and_null_log10(tmp_path):
    case = {
        "relationship": "parents",
        "profiles": {
            "child": {"TH01": "6/6"},
            "father": {"TH01": "9/9"},
            "mother": {"TH01": "6/7"},
        },
        "frequencies": "norstr-east-asia",
    }
    out = json.loads(run(tmp_path, case).stdout)
    assert out["lr"] == 0 and out["log10_lr"] is None and out["inconsistent_loci"] == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            {
                "relationship": "parent-child",
                "profiles": {"child": {"TH01": "16-17"}, "parent": {}},
                "frequencies": "norstr-east-asia",
            },
            "TH01",
        ),
        (
            {
                "relationship": "full-siblings",
                "profiles": {"a": {}, "b": {}},
                "frequencies": "norstr-east-asia",
                "mutation": {"model": "equal", "rate": 7},
            },
            "rate",
        ),
        ("{not json", "not valid JSON"),
        ({"relationship": "trio", "profiles": {}}, "frequencies"),
    ],
)
def test_bad_cases_exit_1_with_one_precise_line(tmp_path, case, message):
    result = run(tmp_path, case)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_the_kinship_group_is_registered_on_the_main_command():
    from fanguai.cli.main import app as main_app

    result = CliRunner().invoke(main_app, ["kinship", "--help"])
    assert result.exit_code == 0 and "lr" in result.stdout
