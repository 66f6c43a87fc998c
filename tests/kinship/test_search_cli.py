"""``fanguai kinship bench``: the JSON contract on a small run (no timing is asserted)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from fanguai.kinship.cli import app

runner = CliRunner()


def test_bench_prints_the_contract_keys_as_json():
    args = ["bench", "--profiles", "3000", "--loci", "15", "--queries", "4", "--seed", "3"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    for key in (
        "median_query_seconds",
        "batch_seconds",
        "ratio_numpy_scan_to_search",
        "ratio_per_pair_to_search",
    ):
        assert out[key] > 0
    assert (out["profiles"], out["loci"], out["queries"], out["seed"]) == (3000, 15, 4, 3)
    assert len(out["loci_names"]) == 15 and out["loci_names"][0] == "D19S433"
    assert 30 <= out["bytes_per_profile"] < 48  # 2 bytes per locus, tiles of 4096 rows
    assert out["batch_equals_one_at_a_time"] and out["numpy_scan_same_hits"]
    assert out["hits_identical_to_duo_lr"] and out["hits_checked_against_duo_lr"] > 0
    assert out["true_parent_ranked_first"] == "2/2"
    assert out["settings"]["mutation_model"] == "stepwise"
    assert set(out["machine"]) >= {"cpus", "load_average_before", "load_average_after"}


def test_bench_without_json_prints_lines_and_bad_sizes_are_refused():
    result = runner.invoke(app, ["bench", "--profiles", "500", "--loci", "12", "--queries", "2"])
    assert result.exit_code == 0, result.output
    assert "median_query_seconds:" in result.stdout and "load average:" in result.stdout
    result = runner.invoke(app, ["bench", "--profiles", "500", "--loci", "99", "--queries", "2"])
    assert result.exit_code == 1
    assert "loci must be from 1 to 40" in result.stderr
