"""Benchmarks of the foundation and the security core.

Run: .venv/bin/python benchmarks/bench_platform.py. Prints sizes, medians and 99th percentiles;
nothing here is asserted by the test suite.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("FANGUAI_ARGON2_PROFILE", "fast")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _report(name: str, samples: list[float], unit: str = "ms") -> None:
    print(
        f"{name:<44} n={len(samples):<6} median={statistics.median(samples):8.2f} {unit}"
        f"  p99={_pct(samples, 0.99):8.2f} {unit}"
    )


def main() -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from fanguai import geo, migrate
    from fanguai.audit import service as audit
    from fanguai.core.actor import cli_actor
    from fanguai.crypto.fields import FieldCrypto
    from fanguai.crypto.keystore import KeyStore
    from fanguai.crypto.provider import get_provider
    from fanguai.db import Database, utcnow
    from fanguai.demo import load_all
    from fanguai.org.models import User
    from fanguai.plan.parser import parse_plan
    from fanguai.plan.service import bundled_plan_text
    from fanguai.reference import ensure_reference_data
    from fanguai.security import totp
    from fanguai.security.crypto_runtime import use_field_crypto
    from fanguai.settings import Settings
    from fanguai.web.app import create_app

    tmp = Path(tempfile.mkdtemp(prefix="fanguai-bench-"))
    provider = get_provider()
    keystore = KeyStore(
        f"sqlite:///{tmp / 'ks.sqlite3'}", master_key=provider.random_bytes(16), provider=provider
    )
    keystore.initialise()
    crypto = FieldCrypto(keystore, provider)
    use_field_crypto(crypto)
    db = Database.from_url(f"sqlite:///{tmp / 'bench.sqlite3'}")
    t0 = time.perf_counter()
    migrate.upgrade(db.engine)
    with db.session() as s:
        ensure_reference_data(s, actor=cli_actor("bench"))
        load_all(s, actor=cli_actor("bench"))
    print(f"setup: migrate + reference data + demo            {time.perf_counter() - t0:8.2f} s")

    app = create_app(Settings(demo=True, data_dir=tmp), db=db)
    client = TestClient(app, base_url="https://testserver")
    r = client.post(
        "/api/session", json={"username": "suzhou.police", "password": "Demo-Persona#2026"}
    )
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    with db.session() as s:
        user = s.execute(select(User).where(User.username == "suzhou.police")).scalar_one()
        secret = crypto.decrypt(
            user.totp_secret,
            subject_id=f"user:{user.public_id}",
            table="staff_user",
            column="totp_secret",
            row_id=user.public_id,
        )
    client.post("/api/session/mfa", json={"code": totp.code_at(secret, utcnow())})

    for path, n in (
        ("/api/units?page_size=50", 300),
        ("/api/people", 300),
        ("/api/measures", 200),
        ("/measures", 100),
        ("/divisions", 50),
    ):
        samples = []
        for _ in range(n):
            start = time.perf_counter()
            assert client.get(path).status_code == 200
            samples.append((time.perf_counter() - start) * 1000)
        _report(f"GET {path} (incl. audit record)", samples)

    with db.session() as s:
        start = time.perf_counter()
        result = audit.verify(s)
        elapsed = time.perf_counter() - start
    print(
        f"audit verify: {result.checked} rows in {elapsed * 1000:.1f} ms "
        f"({result.checked / elapsed:,.0f} rows/s)"
    )

    samples = []
    for i in range(2000):
        start = time.perf_counter()
        token = crypto.encrypt(
            "320508198506011234",
            subject_id=f"bench:{i % 50}",
            table="person",
            column="id_card",
            row_id=str(i),
        )
        crypto.decrypt(
            token, subject_id=f"bench:{i % 50}", table="person", column="id_card", row_id=str(i)
        )
        samples.append((time.perf_counter() - start) * 1e6)
    _report("field encrypt+decrypt (SM4-GCM, cached DEK)", samples, "µs")

    text = bundled_plan_text()
    samples = []
    for _ in range(50):
        start = time.perf_counter()
        parse_plan(text)
        samples.append((time.perf_counter() - start) * 1000)
    _report("parse the plan (68 measures)", samples)

    geo.locate(31.3, 120.6)  # load the polygons once
    samples = []
    for i in range(2000):
        start = time.perf_counter()
        try:
            geo.locate(32.0 + (i % 20) * 0.05, 119.0 + (i % 25) * 0.05)
        except Exception:  # noqa: BLE001 - points off the map are part of the workload
            pass
        samples.append((time.perf_counter() - start) * 1e6)
    _report("geo locate (point → county)", samples, "µs")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite file db")


if __name__ == "__main__":
    main()
