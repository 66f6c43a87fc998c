"""``fanguai linkage``: link found persons with missing children. ``run``'s output is a contract.

The engine (Splink, DuckDB, pypinyin) is imported when a command runs, not when ``fanguai``
starts.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from fanguai.linkage import LinkageModel, Pair

app = typer.Typer(
    help="Record linkage: found persons of unknown identity against missing children.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_INVALID = 2
EXIT_FAILED = 1
# Kept in step with fanguai.linkage.DEFAULT_THRESHOLD (a test checks), so that --help stays light.
DEFAULT_THRESHOLD = 0.5
OUTPUT_COLUMNS = ("missing_id", "found_id", "match_probability")


@app.callback()
def main() -> None:
    """Record linkage of found persons against missing children."""


def _fail(message: str, code: int = EXIT_INVALID) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def _quiet_engine() -> Iterator[None]:
    """Splink logs its progress and warnings; the command reports in one line instead."""
    logger = logging.getLogger("splink")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _write_atomically(path: Path, write: Callable[[IO[str]], None]) -> None:
    """Write through a temporary file in the same folder, then rename: all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_pairs(handle: IO[str], pairs: list[Pair]) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    for p in pairs:
        writer.writerow((p.missing_id, p.found_id, repr(p.match_probability)))


def _write_explanations(handle: IO[str], pairs: list[Pair]) -> None:
    for p in pairs:
        item = {
            "missing_id": p.missing_id,
            "found_id": p.found_id,
            "match_probability": p.match_probability,
            "match_weight": round(p.match_weight, 4),
            "explanation": [
                {"field": e.field, "level": e.level, "weight": round(e.weight, 4)}
                for e in p.explanation
            ],
        }
        handle.write(json.dumps(item, ensure_ascii=False) + "\n")


def _read(path: Path, source: str) -> Any:
    from fanguai.linkage import read_csv, validate_records

    try:
        records, rows = read_csv(path, source=source)
    except OSError as exc:
        raise _fail(f"{source}: cannot read ({exc.strerror})") from None
    return validate_records(records, source=source, rows=rows)


def _load_model(path: Path) -> LinkageModel:
    from fanguai.linkage import LinkageModel

    try:
        return LinkageModel.from_json(path.read_bytes())
    except OSError as exc:
        raise _fail(f"{path.name}: cannot read ({exc.strerror})") from None


MissingOption = Annotated[
    Path, typer.Option("--missing", help="CSV of missing children (id,name,sex,…,features).")
]
FoundOption = Annotated[Path, typer.Option("--found", help="CSV of found persons, same columns.")]
OutOption = Annotated[
    Path, typer.Option("--out", help="Where to write missing_id,found_id,match_probability.")
]
ThresholdOption = Annotated[
    float,
    typer.Option(
        "--threshold", min=0.0, max=1.0, help="Keep pairs with a match probability at least this."
    ),
]
ModelOption = Annotated[
    Path | None,
    typer.Option("--model", help="Use this model JSON instead of estimating one from the data."),
]
SaveModelOption = Annotated[
    Path | None, typer.Option("--save-model", help="Write the model used to this JSON file.")
]
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="duckdb (in this process) or spark (a local or configured Spark session).",
    ),
]
ExplainOption = Annotated[
    Path | None,
    typer.Option("--explain", help="Also write each pair's per-field weights as JSON lines."),
]


def _spark_session() -> Any:
    """The Spark session of this environment (spark-submit, SPARK_HOME, or a local one)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise _fail("engine spark needs pyspark installed where the command runs") from None
    return SparkSession.builder.appName("fanguai-linkage").getOrCreate()


@app.command("run")
def run_command(
    missing: MissingOption,
    found: FoundOption,
    out: OutOption,
    threshold: ThresholdOption = DEFAULT_THRESHOLD,
    model: ModelOption = None,
    save_model: SaveModelOption = None,
    explain: ExplainOption = None,
    engine: EngineOption = "duckdb",
) -> None:
    """Link FOUND against MISSING; write every pair at or above the threshold, best first.

    Without --model the parameters are estimated from the two files (when each has at least
    200 records; otherwise the built-in model is used). Invalid input (a malformed row, an
    impossible date, an unknown county code) stops the command with exit status 2 and a
    message naming the row and field, before anything is written.
    """
    from fanguai.linkage import LinkageError, default_model
    from fanguai.linkage._engine import MIN_RECORDS_TO_ESTIMATE, link_clean

    try:
        clean_missing = _read(missing, missing.name)
        clean_found = _read(found, found.name)
        chosen = _load_model(model) if model else None
        if chosen is None and min(len(clean_missing), len(clean_found)) < MIN_RECORDS_TO_ESTIMATE:
            chosen = default_model()
            typer.echo(
                f"note: fewer than {MIN_RECORDS_TO_ESTIMATE} records on a side; "
                "using the built-in model",
                err=True,
            )
        spark = _spark_session() if engine == "spark" else None
        with _quiet_engine():
            pairs, used = link_clean(
                clean_missing,
                clean_found,
                threshold=threshold,
                model=chosen,
                engine=engine,
                spark_session=spark,
            )
    except LinkageError as exc:
        raise _fail(exc.message) from None
    if chosen is None and used == default_model():
        typer.echo(
            "note: the records did not allow estimating the model; used the built-in model",
            err=True,
        )
    try:
        _write_atomically(out, lambda h: _write_pairs(h, pairs))
        if explain:
            _write_atomically(explain, lambda h: _write_explanations(h, pairs))
        if save_model:
            _write_atomically(save_model, lambda h: h.write(used.to_json()))
    except OSError as exc:
        raise _fail(f"cannot write ({exc})", EXIT_FAILED) from None
    typer.echo(
        f"{len(pairs)} pairs at or above {threshold:g} from {len(clean_missing)} missing "
        f"× {len(clean_found)} found records → {out}"
    )


@app.command("synth")
def synth_command(
    missing: MissingOption,
    found: FoundOption,
    n_missing: Annotated[int, typer.Option("--n-missing", min=0)] = 1000,
    n_found: Annotated[int, typer.Option("--n-found", min=0)] = 1000,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    truth: Annotated[
        Path | None, typer.Option("--truth", help="Write missing_id,found_id,name_status.")
    ] = None,
) -> None:
    """Write seeded synthetic missing and found records (for demos and benchmarks)."""
    from fanguai.linkage import FIELDS, synth

    data = synth.generate(n_missing=n_missing, n_found=n_found, seed=seed)

    def records(handle: IO[str], items: list[Any]) -> None:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FIELDS)
        for r in items:
            writer.writerow(["" if getattr(r, f) is None else getattr(r, f) for f in FIELDS])

    def pairs(handle: IO[str]) -> None:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("missing_id", "found_id", "name_status"))
        writer.writerows((m, f, s) for (m, f), s in sorted(data.pairs.items()))

    try:
        _write_atomically(missing, lambda h: records(h, data.missing))
        _write_atomically(found, lambda h: records(h, data.found))
        if truth:
            _write_atomically(truth, pairs)
    except OSError as exc:
        raise _fail(f"cannot write ({exc})", EXIT_FAILED) from None
    typer.echo(
        f"{len(data.missing)} missing, {len(data.found)} found, {len(data.pairs)} true pairs"
    )
