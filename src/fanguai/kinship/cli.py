"""``fanguai kinship``: likelihood ratios for one case (``lr``, output is a contract) and the
search benchmark (``bench``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from fanguai.cli.common import echo_json, fail
from fanguai.kinship import KinshipError, KinshipSettings, compute_lr

app = typer.Typer(help="Kinship likelihood ratios (parentage, siblings, …).", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Kinship likelihood ratios."""


_CASE_KEYS = {"relationship", "profiles", "frequencies", "mutation", "theta", "floor"}


def settings_from_case(case: dict[str, Any]) -> KinshipSettings:
    mutation = case.get("mutation") or {}
    if not isinstance(mutation, dict):
        raise KinshipError("case field 'mutation' must be an object")
    unknown = sorted(set(mutation) - {"model", "rate", "rate_female"})
    if unknown:
        raise KinshipError(f"case field 'mutation' has unknown key {unknown[0]!r}")
    data: dict[str, Any] = {"mutation_model": mutation.get("model", "none")}
    for key in ("rate", "rate_female"):
        if key in mutation:
            data[key] = mutation[key]
    for key in ("theta", "floor"):
        if key in case:
            data[key] = case[key]
    return KinshipSettings.from_dict(data)


@app.command("lr")
def lr(case_file: Path = typer.Argument(..., help="CASE.json")) -> None:
    """Print the likelihood ratio of the case in CASE.json as JSON."""
    try:
        case = json.loads(case_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise fail(f"{case_file}: cannot read ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise fail(f"{case_file}: not valid JSON ({exc})") from None
    try:
        if not isinstance(case, dict):
            raise KinshipError("the case must be a JSON object")
        unknown = sorted(set(case) - _CASE_KEYS)
        if unknown:
            raise KinshipError(f"unknown case field {unknown[0]!r}")
        for key in ("relationship", "profiles", "frequencies"):
            if key not in case:
                raise KinshipError(f"case field {key!r} is missing")
        result = compute_lr(
            case["relationship"], case["profiles"], case["frequencies"], settings_from_case(case)
        )
    except KinshipError as exc:
        raise fail(f"{case_file}: {exc}") from None
    echo_json(result.to_dict())


@app.command("bench")
def bench(
    profiles: int = typer.Option(1_000_000, "--profiles", min=1, help="stored profiles"),
    loci: int = typer.Option(20, "--loci", min=1, help="loci per profile"),
    queries: int = typer.Option(100, "--queries", min=1, help="duo queries"),
    seed: int = typer.Option(1, "--seed", help="random seed"),
    mutation_model: str = typer.Option("stepwise", "--mutation-model"),
    rate: float = typer.Option(0.002, "--rate"),
    theta: float = typer.Option(0.0, "--theta"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Benchmark the search on seeded synthetic profiles from the built-in table."""
    from fanguai.kinship._bench import run_bench

    try:
        settings = KinshipSettings(mutation_model=mutation_model, rate=rate, theta=theta)
        result = run_bench(profiles, loci, queries, seed, settings)
    except KinshipError as exc:
        raise fail(str(exc)) from None
    if as_json:
        echo_json(result)
        return
    for key in (
        "profiles",
        "loci",
        "queries",
        "median_query_seconds",
        "median_query_seconds_one_core",
        "batch_seconds",
        "bytes_per_profile",
        "ratio_numpy_scan_to_search",
        "ratio_per_pair_to_search",
        "hits_identical_to_duo_lr",
        "batch_equals_one_at_a_time",
    ):
        typer.echo(f"{key}: {result[key]}")
    typer.echo(f"load average: {result['machine']['load_average_after']}")
