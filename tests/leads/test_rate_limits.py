"""H1: per-address and per-network limits on the public channel, 429 with Retry-After, other
addresses unaffected; the counters name no lead and rotate their keys daily."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanguai.leads import abuse
from fanguai.leads.models import RateBucket
from tests.leads.conftest import key, lead_body

NOON = datetime(2026, 12, 1, 4, 0, 5, tzinfo=UTC)


def _from(app, address: str) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, base_url="https://testserver", client=(address, 40000))


def test_a_flooding_address_gets_429_with_retry_after_and_the_others_get_through(
    app, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FANGUAI_LEADS_RATE_LIMITS", "10,50,2000")
    flooder = _from(app, "198.51.100.7")
    others = [_from(app, f"203.0.{n}.10") for n in range(1, 6)]
    with time_machine.travel(NOON, tick=False):
        flood, normal = [], []
        for i in range(600):
            flood.append(flooder.post("/api/leads/public", json=lead_body(), headers=key()))
            if i % 100 == 0:
                normal += [
                    c.post("/api/leads/public", json=lead_body(), headers=key()) for c in others
                ]
    assert [r.status_code for r in flood[:10]] == [201] * 10
    refused = flood[10:]
    assert {r.status_code for r in refused} == {429}
    waits = [int(r.headers["Retry-After"]) for r in refused]
    # Until 50 attempts the minute window is what blocks; then the day's.
    assert all(1 <= w <= 60 for w in waits[:40]) and all(w > 3600 for w in waits[40:])
    assert [r.status_code for r in normal] == [201] * len(normal)


def test_the_daily_limit_holds_across_minutes(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FANGUAI_LEADS_RATE_LIMITS", "3,5,2000")
    c = _from(app, "198.51.100.8")
    codes = []
    with time_machine.travel(NOON, tick=False) as clock:
        for _ in range(3):
            codes += [
                c.post("/api/leads/public", json=lead_body(), headers=key()).status_code
                for _ in range(2)
            ]
            clock.shift(timedelta(minutes=2))
    assert codes == [201, 201, 201, 201, 201, 429]


def test_a_network_limit_catches_many_addresses_of_one_24(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FANGUAI_LEADS_RATE_LIMITS", "10,50,4")
    with time_machine.travel(NOON, tick=False):
        same_net = [
            _from(app, f"192.0.2.{n}").post("/api/leads/public", json=lead_body(), headers=key())
            for n in range(1, 7)
        ]
        other_net = _from(app, "192.0.3.1").post(
            "/api/leads/public", json=lead_body(), headers=key()
        )
    assert [r.status_code for r in same_net] == [201, 201, 201, 201, 429, 429]
    assert other_net.status_code == 201


def test_status_lookups_are_limited_too(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FANGUAI_LEADS_RATE_LIMITS", "10,50,2000")
    c = _from(app, "198.51.100.9")
    with time_machine.travel(NOON, tick=False):
        codes = [
            c.post(
                "/api/leads/status",
                json={"tracking_code": "XS-2222-3333", "passphrase": "AAAA-BBBB-CCCC"},
            ).status_code
            for _ in range(abuse.STATUS_LIMITS[0] + 2)
        ]
    assert codes[: abuse.STATUS_LIMITS[0]] == [404] * abuse.STATUS_LIMITS[0]
    assert codes[-2:] == [429, 429]


def test_rate_counters_hold_only_keyed_hashes_under_a_daily_key(app, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FANGUAI_LEADS_RATE_LIMITS", "10,50,2000")
    c = _from(app, "198.51.100.10")
    with time_machine.travel(NOON, tick=False):
        c.post("/api/leads/public", json=lead_body(), headers=key())
    with time_machine.travel(NOON + timedelta(days=1), tick=False):
        c.post("/api/leads/public", json=lead_body(), headers=key())
    session.expire_all()
    keys = [b.key for b in session.execute(select(RateBucket)).scalars()]
    assert len(keys) == 6 and len(set(keys)) == 6  # 3 windows a day, unlinkable across days
    assert not any("198.51" in k for k in keys)
    assert all(len(k) == 64 and int(k, 16) >= 0 for k in keys)
