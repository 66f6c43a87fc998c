"""Benchmark of record linkage: speed of ``fanguai linkage run`` and precision / recall.

Run: .venv/bin/python benchmarks/bench_linkage.py [--n 100000] [--seed 1] [--no-phases]

1. Writes seeded synthetic CSVs (``fanguai.linkage.synth``: n missing children, n found
   persons of whom 30 % are missing children of the file, with recording noise).
2. Times ``fanguai linkage run`` end to end in a fresh process (read and check both files,
   estimate the model, score, write), as an operator would run it.
3. Measures precision and recall at several thresholds against the truth, separately for the
   found persons whose name survived (possibly misheard or misspelt), who gave no name, and who
   were given another name.
4. Unless --no-phases, repeats the work in this process with a timer on each phase.

The machine's load average is printed before and after: other work on the machine slows every
phase. Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THRESHOLDS = (0.1, 0.3, 0.5, 0.8, 0.9, 0.95, 0.99)
CLI_THRESHOLD = min(THRESHOLDS)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _write_inputs(folder: Path, n: int, seed: int) -> tuple[Path, Path, dict[tuple[str, str], str]]:
    from fanguai.linkage import FIELDS, synth

    data = synth.generate(n_missing=n, n_found=n, seed=seed)
    paths = []
    for name, records in (("missing.csv", data.missing), ("found.csv", data.found)):
        path = folder / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(FIELDS)
            for r in records:
                writer.writerow(["" if getattr(r, f) is None else getattr(r, f) for f in FIELDS])
        paths.append(path)
    return paths[0], paths[1], data.pairs


def _run_cli(missing: Path, found: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ``fanguai linkage run`` in a fresh process."""
    command = [
        sys.executable,
        "-m",
        "fanguai.cli.main",
        "linkage",
        "run",
        "--missing",
        str(missing),
        "--found",
        str(found),
        "--out",
        str(out),
        "--threshold",
        str(CLI_THRESHOLD),
    ]
    cpu = _cpu_seconds()
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _cpu_seconds() - cpu


def _read_pairs(path: Path) -> list[tuple[str, str, float]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return [(m, f, float(p)) for m, f, p in rows]


def _quality(pairs: list[tuple[str, str, float]], truth: dict[tuple[str, str], str]) -> None:
    statuses = ("kept", "nameless", "renamed")
    totals = {s: sum(1 for v in truth.values() if v == s) for s in statuses}
    print(f"true pairs: {len(truth)} ({', '.join(f'{s} {totals[s]}' for s in statuses)})")
    print("| threshold | pairs | precision | recall, name kept | no name | new name |")
    print("|---|---|---|---|---|---|")
    for threshold in THRESHOLDS:
        chosen = [(m, f) for m, f, p in pairs if p >= threshold]
        hits = [truth[k] for k in chosen if k in truth]
        precision = len(hits) / max(1, len(chosen))
        recall = {s: hits.count(s) / max(1, totals[s]) for s in statuses}
        print(
            f"| {threshold:g} | {len(chosen)} | {precision:.3f} | {recall['kept']:.3f} "
            f"| {recall['nameless']:.3f} | {recall['renamed']:.3f} |"
        )


def _phases(missing: Path, found: Path) -> None:
    """The CLI's work again in this process, one timer per phase."""
    from fanguai.linkage import read_csv, validate_records
    from fanguai.linkage._engine import DEFAULT_SEED, DEFAULT_U_MAX_PAIRS, _Session

    timings: list[tuple[str, float]] = []
    start = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal start
        now = time.perf_counter()
        timings.append((name, now - start))
        start = now

    sides = []
    for path in (missing, found):
        records, rows = read_csv(path)
        sides.append(validate_records(records, source=path.name, rows=rows))
    lap("read and check both CSV files")
    session = _Session(sides[0], sides[1], "duckdb", None)
    lap("derive the compared columns, load into DuckDB")
    model = session.estimate(seed=DEFAULT_SEED, u_max_pairs=DEFAULT_U_MAX_PAIRS, em_max_pairs=2e6)
    lap("estimate (prior, u by sampling, m by EM, prior fixed point)")
    pairs = session.predict(model, CLI_THRESHOLD)
    lap(f"score blocked pairs, keep ≥ {CLI_THRESHOLD:g} ({len(pairs)}), explain")
    print("| phase | seconds |")
    print("|---|---|")
    for name, seconds in timings:
        print(f"| {name} | {seconds:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="records on each side")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-phases", action="store_true", help="skip the per-phase run")
    args = parser.parse_args()

    import logging

    import duckdb
    import splink

    logging.getLogger("splink").setLevel(logging.ERROR)

    print(
        f"python {platform.python_version()}, splink {splink.__version__}, "
        f"duckdb {duckdb.__version__}, {os.cpu_count()} cores"
    )
    print(f"load average before (1/5/15 min): {_load()}")
    with tempfile.TemporaryDirectory(prefix="fanguai-linkage-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        missing, found, truth = _write_inputs(folder, args.n, args.seed)
        print(
            f"synthetic {args.n} × {args.n} records (seed {args.seed}) in "
            f"{time.perf_counter() - start:.1f} s"
        )
        out = folder / "pairs.csv"
        wall, cpu = _run_cli(missing, found, out)
        print(
            f"fanguai linkage run, {args.n} × {args.n}: {wall:.1f} s wall, {cpu:.1f} s CPU; "
            f"load average after: {_load()}"
        )
        _quality(_read_pairs(out), truth)
        if not args.no_phases:
            _phases(missing, found)
            print(f"load average after the phases: {_load()}")


if __name__ == "__main__":
    main()
