"""``fanguai linkage run`` and ``synth`` through the typer runner."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from fanguai.cli.main import app
from fanguai.linkage import DEFAULT_THRESHOLD, FIELDS, LinkageModel
from fanguai.linkage import cli as linkage_cli

runner = CliRunner()

MISSING = [
    ["M1", "单伟", "M", "2015-03-02", "320508", "2020-05-01", "单建国", "李秀英", "左耳后黑痣"],
    ["M2", "王浩宇", "M", "2012-07", "320106", "2019-01-10", "", "", ""],
    ["M3", "陈欣怡", "F", "2010", "321002", "2018-03-03", "", "", ""],
]
FOUND = [
    ["F1", "善伟", "M", "2015", "320506", "2020-05-09", "", "", "黑痣（左耳后）"],
    ["F2", "王浩宇", "M", "2012-07-15", "320106", "2019-01-12", "", "", ""],
    ["F3", "陈欣", "", "2010", "", "", "", "", ""],
    ["F4", "李四", "F", "2001", "320982", "2016-01-01", "", "", ""],
]


def write_csv(path, rows, header=FIELDS):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(tmp_path, *extra, missing=MISSING, found=FOUND):
    m = write_csv(tmp_path / "M.csv", missing)
    f = write_csv(tmp_path / "F.csv", found)
    out = tmp_path / "PAIRS.csv"
    args = ["linkage", "run", "--missing", str(m), "--found", str(f), "--out", str(out), *extra]
    return runner.invoke(app, args), out


def read_pairs(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_run_writes_the_contract_columns_best_first(tmp_path):
    result, out = run(tmp_path, "--threshold", "0")
    assert result.exit_code == 0, result.output
    rows = read_pairs(out)
    assert rows[0] == ["missing_id", "found_id", "match_probability"]
    probabilities = [float(r[2]) for r in rows[1:]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert all(0 <= p <= 1 for p in probabilities)
    assert {("M1", "F1"), ("M2", "F2"), ("M3", "F3")} <= {(r[0], r[1]) for r in rows[1:]}
    assert "pairs at or above 0" in result.stdout


def test_the_threshold_keeps_pairs_at_or_above_it(tmp_path):
    _, out = run(tmp_path, "--threshold", "0")
    every = read_pairs(out)[1:]
    cut = float(every[1][2])
    result, out = run(tmp_path, "--threshold", str(cut))
    assert result.exit_code == 0
    assert read_pairs(out)[1:] == [r for r in every if float(r[2]) >= cut]


def test_the_default_threshold_is_the_documented_one(tmp_path):
    assert linkage_cli.DEFAULT_THRESHOLD == DEFAULT_THRESHOLD == 0.5
    _, out = run(tmp_path, "--threshold", "0")
    expected = [r for r in read_pairs(out)[1:] if float(r[2]) >= DEFAULT_THRESHOLD]
    result, out = run(tmp_path)
    assert result.exit_code == 0
    assert read_pairs(out)[1:] == expected
    assert ["M1", "F1"] in [r[:2] for r in expected]


def test_models_can_be_saved_loaded_and_explained(tmp_path):
    saved, explained = tmp_path / "model.json", tmp_path / "why.jsonl"
    result, out = run(tmp_path, "--save-model", str(saved), "--explain", str(explained))
    assert result.exit_code == 0, result.output
    assert "built-in model" in result.stderr  # only a few records: nothing to estimate from
    model = LinkageModel.from_json(saved.read_text(encoding="utf-8"))
    first = read_pairs(out)[1:]
    lines = [json.loads(line) for line in explained.read_text(encoding="utf-8").splitlines()]
    assert [[x["missing_id"], x["found_id"]] for x in lines] == [r[:2] for r in first]
    assert sum(e["weight"] for e in lines[0]["explanation"]) == pytest.approx(
        lines[0]["match_weight"], abs=1e-3
    )
    result, again = run(tmp_path, "--model", str(saved))
    assert result.exit_code == 0
    assert read_pairs(again) == read_pairs(out)
    assert model.version


def bad_run(tmp_path, *extra, **kwargs):
    result, out = run(tmp_path, *extra, **kwargs)
    assert result.exit_code == 2, result.output
    assert not out.exists()  # nothing written
    return result.stderr


def test_an_impossible_date_names_file_row_and_field(tmp_path):
    found = [*FOUND, ["F5", "赵六", "M", "2015-02-30", "", "", "", "", ""]]
    message = bad_run(tmp_path, found=found)
    assert "F.csv row 6 (id 'F5'), field 'birth_date': impossible date '2015-02-30'" in message


def test_an_unknown_place_code_names_file_row_and_field(tmp_path):
    missing = [MISSING[0], [*MISSING[1][:4], "329999", *MISSING[1][5:]]]
    message = bad_run(tmp_path, missing=missing)
    assert "M.csv row 3 (id 'M2'), field 'place_code': unknown place code '329999'" in message


def test_a_malformed_row_names_file_and_row(tmp_path):
    message = bad_run(tmp_path, found=[*FOUND, ["F5", "赵六"]])
    assert "F.csv row 6, field '-': expected 9 fields, got 2" in message


def test_a_missing_column_is_reported(tmp_path):
    m = write_csv(tmp_path / "M.csv", [r[:-1] for r in MISSING], header=FIELDS[:-1])
    f = write_csv(tmp_path / "F.csv", FOUND)
    out = tmp_path / "PAIRS.csv"
    result = runner.invoke(
        app, ["linkage", "run", "--missing", str(m), "--found", str(f), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "M.csv row 1, field 'features': column is missing from the header" in result.stderr
    assert not out.exists()


def test_a_bad_model_file_is_refused_before_writing(tmp_path):
    model = tmp_path / "model.json"
    model.write_text(
        '{"format": "fanguai-linkage-model", "linkage_version": "0.1"}', encoding="utf-8"
    )
    assert "linkage version '0.1'" in bad_run(tmp_path, "--model", str(model))


def test_an_unreadable_input_is_reported(tmp_path):
    out = tmp_path / "PAIRS.csv"
    result = runner.invoke(
        app,
        [
            "linkage",
            "run",
            "--missing",
            str(tmp_path / "nope.csv"),
            "--found",
            "x",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2
    assert "nope.csv: cannot read" in result.stderr


@pytest.mark.parametrize("threshold", ["1.5", "-0.1", "high"])
def test_thresholds_outside_0_to_1_are_usage_errors(tmp_path, threshold):
    bad_run(tmp_path, "--threshold", threshold)


def test_an_existing_output_is_left_alone_when_the_input_is_bad(tmp_path):
    out = tmp_path / "PAIRS.csv"
    out.write_text("before\n", encoding="utf-8")
    result, _ = run(tmp_path, found=[*FOUND, ["F5", "赵六", "X", "", "", "", "", "", ""]])
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "before\n"


def test_synth_writes_inputs_that_run_accepts(tmp_path):
    m, f, truth = tmp_path / "m.csv", tmp_path / "f.csv", tmp_path / "truth.csv"
    result = runner.invoke(
        app,
        [
            "linkage",
            "synth",
            "--missing",
            str(m),
            "--found",
            str(f),
            "--n-missing",
            "50",
            "--n-found",
            "40",
            "--seed",
            "3",
            "--truth",
            str(truth),
        ],
    )
    assert result.exit_code == 0, result.output
    assert read_pairs(m)[0] == list(FIELDS) and len(read_pairs(m)) == 51
    assert len(read_pairs(f)) == 41
    assert read_pairs(truth)[0] == ["missing_id", "found_id", "name_status"]
    out = tmp_path / "pairs.csv"
    result = runner.invoke(
        app, ["linkage", "run", "--missing", str(m), "--found", str(f), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output


def test_an_unknown_engine_is_refused(tmp_path):
    assert "engine must be one of duckdb, spark" in bad_run(tmp_path, "--engine", "sqlite")


def test_the_spark_engine_needs_pyspark(tmp_path):
    try:
        import pyspark  # noqa: F401
    except ImportError:
        assert "needs pyspark" in bad_run(tmp_path, "--engine", "spark")
    else:  # pragma: no cover - pyspark is not a dependency of the platform
        pytest.skip("pyspark is installed here")


def test_records_that_cannot_be_estimated_from_fall_back_to_the_built_in_model(tmp_path):
    from fanguai.linkage import synth

    data = synth.generate(n_missing=250, n_found=250, seed=3, match_share=0.0)
    as_rows = lambda records: [[getattr(r, f) or "" for f in FIELDS] for r in records]  # noqa: E731
    result, out = run(tmp_path, missing=as_rows(data.missing), found=as_rows(data.found))
    assert result.exit_code == 0, result.output
    assert "did not allow estimating the model" in result.stderr
    assert read_pairs(out)[0] == ["missing_id", "found_id", "match_probability"]
