"""Load benchmark of the public lead channel (SECURITY.md G2, G3) against the real server.

Starts ``fanguai serve --demo`` (uvicorn) on a loopback port with its own database, then:

- steady: 1,000 submissions spread over 60 s from 50 concurrent clients; 10 % of them are sent
  a second time with the same idempotency key (a client that lost the answer);
- burst: 1,000 submissions as fast as 50 clients can send them, paced to arrive within 5 s.

and checks from the database that nothing was lost (every 201 has its row) or duplicated (rows =
distinct keys), and that no answer was a 5xx. Prints p50 / p99 latencies. Rate limits are off
and the proof of work is cheap (8 bits) on the server under test; the challenges are fetched and
solved before each run starts (as browsers do while a person writes), at least 3 s before use.

Run:  .venv/bin/python benchmarks/bench_leads.py [--db sqlite|postgresql|both] [--quick]
PostgreSQL: a server on 127.0.0.1:5432 (user postgres); the database fanguai_leads_bench is
dropped and created. Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql+psycopg://postgres@127.0.0.1:5432/fanguai_leads_bench"


@dataclass
class Result:
    """What one run saw."""

    name: str
    sent: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    codes_by_key: dict[str, set[str]] = field(default_factory=dict)
    wall: float = 0.0
    errors: int = 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _fresh_postgres() -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "fanguai_leads_bench" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "fanguai_leads_bench"'))
    admin.dispose()


def start_server(database_url: str, data_dir: Path) -> tuple[subprocess.Popen, str]:
    """``fanguai serve --demo`` on a free loopback port; returns the process and its URL."""
    port = _free_port()
    env = {
        **os.environ,
        "FANGUAI_DATABASE_URL": database_url,
        "FANGUAI_DATA_DIR": str(data_dir),
        "FANGUAI_LEADS_RATE_LIMITS": "off",
        "FANGUAI_LEADS_POW_BITS": "8",
        "FANGUAI_ARGON2_PROFILE": "fast",
    }
    cmd = [sys.executable, "-m", "fanguai.cli.main", "serve", "--demo", "--no-worker"]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not start within 300 s")


def _solve(token: str, bits: int) -> str:
    from fanguai.leads.abuse import solve

    return solve(token, bits)


def prepare_bodies(url: str, n: int) -> list[dict]:
    """``n`` lead bodies, each with its own server-issued challenge, solved."""
    bodies = []
    with httpx.Client(base_url=url, timeout=30) as c:
        for i in range(n):
            ch = c.get("/api/leads/challenge").json()
            bodies.append(
                {
                    "lead_type": ("missing_now", "trafficking", "online", "forced_labour")[i % 4],
                    "description": f"压力测试线索 {i}：在车站附近看到可疑人员带着哭闹的儿童。",
                    "child": {"sex": "unknown", "age": f"约{3 + i % 10}岁"},
                    "county_code": ("320508", "320506", "320102", "320583")[i % 4],
                    "challenge": ch["challenge"],
                    "nonce": _solve(ch["challenge"], ch["bits"]),
                }
            )
    time.sleep(3.5)  # a person takes longer than this; faster submissions are quarantined
    return bodies


def run(
    url: str, name: str, bodies: list[dict], spread_s: float, clients: int, retry_every: int
) -> Result:
    """Send every body at its scheduled time from ``clients`` threads; retry every n-th."""
    result = Result(name)
    jobs: queue.Queue = queue.Queue()
    start = time.monotonic() + 0.5
    for i, body in enumerate(bodies):
        at = start + spread_s * i / len(bodies)
        jobs.put((at, body, str(uuid.uuid4()), i % retry_every == 0))
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            while True:
                try:
                    at, body, key, retry = jobs.get_nowait()
                except queue.Empty:
                    return
                time.sleep(max(0.0, at - time.monotonic()))
                for _ in range(2 if retry else 1):
                    t0 = time.perf_counter()
                    try:
                        r = c.post("/api/leads/public", json=body, headers={"Idempotency-Key": key})
                    except httpx.HTTPError:
                        with lock:
                            result.errors += 1
                        continue
                    elapsed = (time.perf_counter() - t0) * 1000
                    with lock:
                        result.sent += 1
                        result.latencies.append(elapsed)
                        result.statuses[r.status_code] = result.statuses.get(r.status_code, 0) + 1
                        if r.status_code == 201:
                            code = r.json()["tracking_code"]
                            result.codes_by_key.setdefault(key, set()).add(code)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)
    result.wall = time.monotonic() - t0
    return result


def check(database_url: str, result: Result, before: int) -> dict:
    """Lost, duplicated and server errors, from the database."""
    from sqlalchemy import create_engine, func, select

    from fanguai.leads.models import Lead

    engine = create_engine(database_url)
    codes = {c for cs in result.codes_by_key.values() for c in cs}
    with engine.connect() as conn:
        stored = conn.execute(
            select(func.count()).select_from(Lead).where(Lead.tracking_code.in_(codes))
        ).scalar_one()
        total = conn.execute(select(func.count()).select_from(Lead)).scalar_one()
    engine.dispose()
    keys = len(result.codes_by_key)
    return {
        "run": result.name,
        "requests": result.sent,
        "distinct_keys_answered": keys,
        "lost": len(codes) - stored,
        "duplicated": (total - before) - keys,
        "retries_with_other_answer": sum(1 for cs in result.codes_by_key.values() if len(cs) > 1),
        "server_errors": sum(n for s, n in result.statuses.items() if s >= 500),
        "transport_errors": result.errors,
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "p50_ms": round(statistics.median(result.latencies), 1) if result.latencies else None,
        "p90_ms": round(_pct(result.latencies, 0.90), 1),
        "p99_ms": round(_pct(result.latencies, 0.99), 1),
        "max_ms": round(max(result.latencies), 1) if result.latencies else None,
        "wall_s": round(result.wall, 1),
    }


def _count(database_url: str) -> int:
    from sqlalchemy import create_engine, func, select

    from fanguai.leads.models import Lead

    engine = create_engine(database_url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(Lead)).scalar_one()
    engine.dispose()
    return n


def bench(backend: str, n: int, steady_s: float, burst_s: float) -> list[dict]:
    """Both runs against one backend."""
    tmp = Path(tempfile.mkdtemp(prefix="fanguai-leads-bench-"))
    if backend == "postgresql":
        _fresh_postgres()
        url_db = PG_BENCH
    else:
        url_db = f"sqlite:///{tmp / 'bench.sqlite3'}"
    proc, url = start_server(url_db, tmp)
    try:
        out = []
        # Warm up (caches, connection pools, compiled statements); not counted.
        run(url, "warm-up", prepare_bodies(url, 50), 5.0, clients=10, retry_every=10)
        for name, spread in (("steady", steady_s), ("burst", burst_s)):
            bodies = prepare_bodies(url, n)
            before = _count(url_db)
            result = run(url, f"{backend} {name}", bodies, spread, clients=50, retry_every=10)
            out.append(check(url_db, result, before))
            print(json.dumps(out[-1], ensure_ascii=False), flush=True)
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="200 submissions over 12 s / 1 s")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    n, steady, burst = (200, 12.0, 1.0) if args.quick else (1000, 60.0, 5.0)
    backends = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results = [r for b in backends for r in bench(b, n, steady, burst)]
    print()
    head = ("run", "req", "lost", "dup", "5xx", "p50 ms", "p90 ms", "p99 ms", "wall s")
    print("{:<20} {:>5} {:>4} {:>4} {:>4} {:>8} {:>8} {:>8} {:>7}".format(*head))
    for r in results:
        print(
            f"{r['run']:<20} {r['requests']:>5} {r['lost']:>4} {r['duplicated']:>4} "
            f"{r['server_errors']:>4} {r['p50_ms']:>8} {r['p90_ms']:>8} {r['p99_ms']:>8} "
            f"{r['wall_s']:>7}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
