"""Dashboard benchmark (issue 9): the joint conference's dashboard over a million leads and a
million missing-child cases, on SQLite and on PostgreSQL.

For each database: a fresh schema with the reference data; N leads and N missing-child cases
spread over Jiangsu's 95 counties (weighted, seeded) and 36 months, inserted in bulk through the
modules' own tables; implementing rules adopted by all 13 cities and 95 counties and an open
reporting cycle (tens of thousands of progress reports, 40 % filed). Then it times:

- the live aggregation the modules offer (``counts_by_county_month`` over all rows), which the
  dashboard would pay on every request without the rollup;
- the rollup job: a full refresh and an incremental one (the last two months);
- the dashboard's data as the server computes it for a request (``dashboard.dashboard`` plus
  its JSON), for the provincial office, a city and a county, median of 20 runs.

Run:  .venv/bin/python benchmarks/bench_dashboard.py [--rows 1000000] [--db sqlite|postgresql|both]
PostgreSQL: a server on 127.0.0.1:5432 (user postgres); the database fanguai_dashboard_bench is
dropped and created. Prints one JSON line per database. Nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("FANGUAI_ARGON2_PROFILE", "fast")

from sqlalchemy import insert, select, update  # noqa: E402

from fanguai import geo, migrate  # noqa: E402
from fanguai.accountability import actions, dashboard, local_rules  # noqa: E402
from fanguai.accountability.api import _json_dashboard  # noqa: E402
from fanguai.accountability.models import ProgressReport  # noqa: E402
from fanguai.alerts.models import MissingCase  # noqa: E402
from fanguai.core.actor import Actor, cli_actor  # noqa: E402
from fanguai.db import Database  # noqa: E402
from fanguai.leads.models import Lead  # noqa: E402
from fanguai.org.models import Unit, User  # noqa: E402
from fanguai.people.models import Person  # noqa: E402
from fanguai.reference import ensure_reference_data  # noqa: E402

BEIJING = ZoneInfo("Asia/Shanghai")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql+psycopg://postgres@127.0.0.1:5432/fanguai_dashboard_bench"
NOW = datetime(2026, 12, 10, 4, 0, tzinfo=UTC)
MONTHS = 36
CHUNK = 20_000
PERMISSIONS = frozenset({"dashboard.view", "progress.read", "evaluation.manage"})


def _actor(division: str, level: str) -> Actor:
    return Actor(
        kind="user",
        name=f"bench.{division}",
        division_code=division,
        level=level,
        permissions=PERMISSIONS,
    )


def _fresh_postgres() -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "fanguai_dashboard_bench" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "fanguai_dashboard_bench"'))
    admin.dispose()


def _anchors(db: Database) -> tuple[dict[str, int], int, int]:
    """Owner unit per county (its police), one staff user and one person to point cases at."""
    with db.engine.begin() as conn:
        units = dict(
            conn.execute(
                select(Unit.division_code, Unit.id).where(
                    Unit.code.like("%-GA"), Unit.level == "county"
                )
            ).all()
        )
        user_id = conn.execute(
            insert(User)
            .values(
                public_id=str(uuid.uuid4()),
                username="bench.leader",
                display_name="基准",
                unit_id=next(iter(units.values())),
                password_hash="x",
                is_active=True,
                must_change_password=False,
                created_at=NOW,
                failed_logins=0,
                auth_epoch=0,
                recovery_codes=[],
            )
            .returning(User.id)
        ).scalar_one()
        person_id = conn.execute(
            insert(Person)
            .values(
                public_id=str(uuid.uuid4()),
                subject_id=f"person:{uuid.uuid4()}",
                owner_unit_id=next(iter(units.values())),
                kind="missing_child",
                sex="unknown",
                created_at=NOW,
            )
            .returning(Person.id)
        ).scalar_one()
    return units, user_id, person_id


def _spread(rng: random.Random, n: int) -> list[tuple[str, datetime]]:
    """(county, instant) for n records: counties weighted unevenly, instants over 36 months."""
    counties = [d.code for d in geo.divisions("county")]
    weights = [rng.uniform(0.2, 5.0) for _ in counties]
    picks = rng.choices(counties, weights=weights, k=n)
    span = MONTHS * 30 * 86400
    return [(c, NOW - timedelta(seconds=rng.randrange(span))) for c in picks]


def _month(t: datetime) -> str:
    return t.astimezone(BEIJING).strftime("%Y-%m")


def _seed_leads(db: Database, n: int, units: dict[str, int], rng: random.Random) -> None:
    rows = []
    with db.engine.begin() as conn:
        for i, (county, t) in enumerate(_spread(rng, n)):
            rows.append(
                {
                    "public_id": str(uuid.uuid4()),
                    "tracking_code": f"B{i:015d}",
                    "passphrase_salt": "s",
                    "passphrase_hash": "h",
                    "subject_id": f"lead:{i}",
                    "channel": "public",
                    "lead_type": "other",
                    "urgency": "normal",
                    "status": "closed",
                    "county_code": county,
                    "received_month": _month(t),
                    "received_hour": t.replace(minute=0, second=0, microsecond=0),
                    "owner_unit_id": units[county],
                    "reporter_kind": "anonymous",
                    "description": "x",
                    "ack_due_at": t + timedelta(hours=1),
                    "version": 1,
                }
            )
            if len(rows) == CHUNK:
                conn.execute(insert(Lead), rows)
                rows = []
        if rows:
            conn.execute(insert(Lead), rows)


def _seed_cases(
    db: Database, n: int, units: dict[str, int], user_id: int, person_id: int, rng: random.Random
) -> None:
    rows = []
    categories = ("lost", "runaway", "suspected_abduction", "other")
    with db.engine.begin() as conn:
        for i, (county, t) in enumerate(_spread(rng, n)):
            found = rng.random() < 0.97
            rows.append(
                {
                    "public_id": str(uuid.uuid4()),
                    "case_no": f"B{i:012d}",
                    "person_id": person_id,
                    "owner_unit_id": units[county],
                    "county_code": county,
                    "category": categories[i % 4],
                    "status": "closed" if found else "open",
                    "child_sex": "unknown",
                    "description": "",
                    "last_seen_at": t,
                    "contact_phone": "110",
                    "leader_id": user_id,
                    "opened_at": t,
                    "opened_month": _month(t),
                    "opened_by": "bench",
                    "outcome": "found_alive" if found else None,
                    "signed_off_by_id": user_id if found else None,
                    "closed_at": t + timedelta(hours=rng.randint(1, 72)) if found else None,
                }
            )
            if len(rows) == CHUNK:
                conn.execute(insert(MissingCase), rows)
                rows = []
        if rows:
            conn.execute(insert(MissingCase), rows)


def _plan(db: Database, rng: random.Random) -> int:
    """Rules for every city and county, one open cycle, 40 % of its reports filed."""
    office = _actor("320000", "province")
    with db.session() as session:
        for d in geo.divisions():
            if d.level != "province":
                local_rules.adopt_rules(
                    session, actor=office, division_code=d.code, title=f"{d.name}实施细则"
                )
        cycle = actions.open_cycle(
            session,
            actor=cli_actor("bench"),
            name="2026年下半年",
            kind="half_year",
            period_start=datetime(2026, 7, 1).date(),
            period_end=datetime(2026, 12, 31).date(),
            due_at=NOW - timedelta(days=2),
            now=NOW - timedelta(days=30),
            track=False,
        )
        ids = list(
            session.execute(
                select(ProgressReport.id).where(ProgressReport.cycle_id == cycle.id)
            ).scalars()
        )
    filed = [i for i in ids if rng.random() < 0.4]
    with db.engine.begin() as conn:
        for start in range(0, len(filed), 5000):
            conn.execute(
                update(ProgressReport)
                .where(ProgressReport.id.in_(filed[start : start + 5000]))
                .values(
                    status="submitted",
                    submitted_at=NOW - timedelta(days=5),
                    implementation="in_progress",
                )
            )
    return len(ids)


def _timed(func, runs: int = 1) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run(url: str, n: int, seed: int) -> dict[str, object]:
    """Seed one database and time the dashboard on it."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data
    db = Database.from_url(url)
    migrate.upgrade(db.engine)
    with db.session() as session:
        ensure_reference_data(session, actor=cli_actor("bench"))
    units, user_id, person_id = _anchors(db)
    t0 = time.perf_counter()
    _seed_leads(db, n, units, rng)
    _seed_cases(db, n, units, user_id, person_id, rng)
    seeded = time.perf_counter() - t0
    reports = _plan(db, rng)
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    from fanguai.alerts import stats as alerts_stats
    from fanguai.leads import stats as leads_stats

    out: dict[str, object] = {
        "database": db.engine.dialect.name,
        "leads": n,
        "cases": n,
        "reports": reports,
        "seed_seconds": round(seeded, 1),
    }
    with db.session() as session:
        out["live_leads_by_county_month_s"] = round(
            _timed(lambda: leads_stats.counts_by_county_month(session), 3)[0], 3
        )
        out["live_cases_by_county_month_s"] = round(
            _timed(lambda: alerts_stats.counts_by_county_month(session), 3)[0], 3
        )
    out["rollup_full_s"] = round(
        _timed(lambda: dashboard.refresh_rollup(db, NOW, force_full=True))[0], 3
    )
    out["rollup_incremental_s"] = round(
        _timed(lambda: dashboard.refresh_rollup(db, NOW + timedelta(minutes=10), force=True))[0], 3
    )
    for label, division, level, source in (
        ("province", "320000", "province", "leads"),
        ("city", "320500", "city", "alerts"),
        ("county", "320508", "county", "leads"),
    ):
        actor = _actor(division, level)
        with db.session() as session:

            def compute(actor: Actor = actor, source: str = source) -> bytes:
                data = dashboard.dashboard(session, actor=actor, now=NOW, source=source, months=12)
                return json.dumps(_json_dashboard(data), ensure_ascii=False).encode()

            compute()  # warm caches (divisions, plan) as a running server has them
            median, body = _timed(compute, 20)
            out[f"dashboard_{label}_ms"] = round(median * 1000, 1)
            out[f"dashboard_{label}_bytes"] = len(body)  # type: ignore[arg-type]
    with db.engine.connect() as conn:
        out["rollup_rows"] = conn.exec_driver_sql("SELECT count(*) FROM dashboard_rollup").scalar()
    db.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000, help="leads, and as many cases")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    from fanguai.crypto.fields import FieldCrypto
    from fanguai.crypto.keystore import KeyStore
    from fanguai.crypto.provider import get_provider
    from fanguai.security.crypto_runtime import use_field_crypto

    with tempfile.TemporaryDirectory() as tmp:
        provider = get_provider()
        keys = KeyStore(
            f"sqlite:///{Path(tmp) / 'keys.sqlite3'}",
            master_key=provider.random_bytes(16),
            provider=provider,
        )
        keys.initialise()
        use_field_crypto(FieldCrypto(keys, provider))
        if args.db in ("sqlite", "both"):
            print(
                json.dumps(run(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args.rows, args.seed)),
                flush=True,
            )
        if args.db in ("postgresql", "both"):
            _fresh_postgres()
            print(json.dumps(run(PG_BENCH, args.rows, args.seed)), flush=True)
        keys.close()


if __name__ == "__main__":
    main()
