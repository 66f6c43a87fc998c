"""The public channel: submission, status, proof of work (H2), bot signals (H3), anonymity (H4),
idempotency semantics (G4, sequential) and refusals of bad input."""

from __future__ import annotations

import json
from datetime import timedelta

import time_machine
from sqlalchemy import func, select, text

from fanguai.audit.models import AuditEvent
from fanguai.db import utcnow
from fanguai.leads import abuse
from fanguai.leads.models import Lead, LeadEvent, LeadIdempotency
from fanguai.outbox import OutboxMessage
from fanguai.tasks.models import Task
from tests.leads.conftest import SECRET, key, lead_body, proof, submit


def _lead(session, code: str) -> Lead:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.execute(select(Lead).where(Lead.tracking_code == code)).scalar_one()


def test_a_public_lead_gets_a_tracking_code_and_a_passphrase_and_reaches_the_county_police(
    client, session
) -> None:  # type: ignore[no-untyped-def]
    r = submit(client)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "received" and body["refused_attachments"] == []
    lead = _lead(session, body["tracking_code"])
    assert lead.owner_unit.code == "320508-GA" and lead.urgency == "urgent"
    assert lead.status == "received" and lead.channel == "public"
    status = client.post(
        "/api/leads/status",
        json={"tracking_code": body["tracking_code"], "passphrase": body["passphrase"]},
    )
    assert status.status_code == 200 and status.json()["status"] == "received"
    # The answer says nothing of who handles it.
    assert "公安" not in status.text and "320508" not in status.text


def test_a_wrong_passphrase_and_an_unknown_code_get_the_same_answer(client) -> None:  # type: ignore[no-untyped-def]
    code = submit(client).json()["tracking_code"]
    wrong = client.post(
        "/api/leads/status", json={"tracking_code": code, "passphrase": "AAAA-BBBB"}
    )
    unknown = client.post(
        "/api/leads/status", json={"tracking_code": "XS-2222-3333", "passphrase": "AAAA-BBBB"}
    )
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()


def test_status_lookup_forgives_case_spaces_and_dashes(client) -> None:  # type: ignore[no-untyped-def]
    body = submit(client).json()
    sloppy_code = body["tracking_code"].lower().replace("-", " ")
    sloppy_phrase = body["passphrase"].lower().replace("-", "")
    r = client.post(
        "/api/leads/status", json={"tracking_code": sloppy_code, "passphrase": sloppy_phrase}
    )
    assert r.status_code == 200


# --- H2 proof of work ----------------------------------------------------------------------------


def test_a_challenge_from_the_api_can_be_solved_and_used_once(client, session) -> None:  # type: ignore[no-untyped-def]
    c = client.get("/api/leads/challenge").json()
    assert c["bits"] == 8
    nonce = abuse.solve(c["challenge"], c["bits"])
    body = lead_body(challenge=c["challenge"], nonce=nonce)
    first = submit(client, body)
    assert first.status_code == 201
    replay = submit(client, {**body, "description": "另一份内容，同一个已用过的挑战。"})
    assert replay.status_code == 422 and replay.json()["field"] == "challenge"


def _not_a_solution(token: str) -> str:
    parsed = abuse.parse_challenge(SECRET, token, now=utcnow())
    return next(str(n) for n in range(1000) if not abuse.solves(parsed, str(n)))


def test_submissions_without_a_valid_unexpired_unused_challenge_are_refused(
    client, session
) -> None:  # type: ignore[no-untyped-def]
    before = session.execute(select(func.count()).select_from(Lead)).scalar_one()
    good = proof()
    forged_body = good["challenge"].split(".")[0]
    expired = abuse.issue_challenge(SECRET, now=utcnow() - timedelta(hours=7), bits=8)
    other_secret = abuse.issue_challenge(b"x" * 40, now=utcnow(), bits=8)
    cases = {
        "no challenge": {"challenge": "", "nonce": "1"},
        "garbage": {"challenge": "abc.def", "nonce": "1"},
        "forged signature": {
            "challenge": forged_body + ".0123456789abcdef0123456789abcdef",
            "nonce": good["nonce"],
        },
        "another server's": {
            "challenge": other_secret.token,
            "nonce": abuse.solve(other_secret.token, 8),
        },
        "expired": {"challenge": expired.token, "nonce": abuse.solve(expired.token, 8)},
        "unsolved": {"challenge": good["challenge"], "nonce": "not-a-solution"},
        "wrong nonce": {
            "challenge": good["challenge"],
            "nonce": _not_a_solution(good["challenge"]),
        },
    }
    for name, fields in cases.items():
        r = submit(client, lead_body(**fields))
        assert r.status_code == 422, (name, r.text)
        assert r.json()["field"] in ("challenge", "nonce"), name
    session.expire_all()
    assert session.execute(select(func.count()).select_from(Lead)).scalar_one() == before


def test_the_difficulty_is_fixed_by_the_server_not_by_the_client(client) -> None:  # type: ignore[no-untyped-def]
    c = abuse.issue_challenge(SECRET, now=utcnow() - timedelta(seconds=30), bits=20)
    weak = next(
        str(n)
        for n in range(100_000)
        if abuse.leading_zero_bits(__import__("hashlib").sha256(f"{c.token}:{n}".encode()).digest())
        in range(8, 20)
    )
    r = submit(client, lead_body(challenge=c.token, nonce=weak))
    assert r.status_code == 422 and r.json()["field"] == "nonce"


# --- H3 bot signals ---------------------------------------------------------------------------------


def test_bot_like_posts_are_quarantined_not_dropped_and_humans_are_not(client, session) -> None:  # type: ignore[no-untyped-def]
    bots = [
        submit(client, lead_body(website="http://spam.example")),  # honeypot filled
        submit(client, lead_body(**proof(ago=0.5))),  # sent half a second after the form
    ]
    humans = [submit(client, lead_body(**proof(ago=40))) for _ in range(3)]
    assert [r.status_code for r in bots + humans] == [201] * 5
    # The answer does not tell a bot it was caught.
    assert all(r.json()["status"] == "received" for r in bots)
    bot_rows = [_lead(session, r.json()["tracking_code"]) for r in bots]
    human_rows = [_lead(session, r.json()["tracking_code"]) for r in humans]
    assert [b.status for b in bot_rows] == ["quarantined", "quarantined"]
    assert [b.quarantine_reason for b in bot_rows] == ["honeypot", "too_fast"]
    assert {h.status for h in human_rows} == {"received"}
    # Not in the triage queue, no deadline task; still reviewable.
    tasks = session.execute(
        select(Task.subject_id).where(Task.subject_id.in_([b.public_id for b in bot_rows]))
    ).all()
    assert tasks == []


def test_a_quarantined_lead_is_reviewable_and_can_be_released(client, login, session) -> None:  # type: ignore[no-untyped-def]
    code = submit(client, lead_body(website="x")).json()["tracking_code"]
    officer = login("gusu.police")
    inbox = officer.get("/api/leads").json()
    assert code not in {i["tracking_code"] for i in inbox["items"]}
    held = officer.get("/api/leads", params={"status": "quarantined"}).json()["items"]
    item = next(i for i in held if i["tracking_code"] == code)
    r = officer.post(f"/api/leads/{item['id']}/release", json={"version": item["version"]})
    assert r.status_code == 200 and r.json()["status"] == "received"
    assert code in {i["tracking_code"] for i in officer.get("/api/leads").json()["items"]}


# --- H4 anonymity ----------------------------------------------------------------------------------


def test_an_anonymous_lead_keeps_no_address_agent_cookie_request_id_or_exact_time(
    client, session
) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set("tracker", "COOKIE-SENTINEL-77")
    with time_machine.travel(utcnow().replace(minute=37, second=11, microsecond=0), tick=False):
        r = client.post(
            "/api/leads/public",
            json=lead_body(**proof(ago=30)),
            headers={
                **key(),
                "User-Agent": "UA-SENTINEL-Browser/9.9",
                "X-Forwarded-For": "203.0.113.9",
            },
        )
    assert r.status_code == 201, r.text
    request_id = r.headers["x-request-id"]
    lead = _lead(session, r.json()["tracking_code"])
    # Every row written with the lead, in every table that refers to it.
    rows = [lead.__dict__]
    rows += [
        e.__dict__
        for e in session.execute(select(LeadEvent).where(LeadEvent.lead_id == lead.id)).scalars()
    ]
    rows += [
        t.__dict__
        for t in session.execute(select(Task).where(Task.subject_id == lead.public_id)).scalars()
    ]
    rows += [
        m.__dict__
        for m in session.execute(select(OutboxMessage)).scalars()
        if m.payload.get("lead") == lead.public_id
        or m.payload.get("task")
        in {
            t.public_id
            for t in session.execute(
                select(Task).where(Task.subject_id == lead.public_id)
            ).scalars()
        }
    ]
    rows += [
        i.__dict__
        for i in session.execute(
            select(LeadIdempotency).where(LeadIdempotency.lead_id == lead.id)
        ).scalars()
    ]
    text_ = json.dumps(
        [{k: str(v) for k, v in row.items() if not k.startswith("_")} for row in rows]
    )
    for sentinel in ("testclient", "203.0.113.9", "UA-SENTINEL", "COOKIE-SENTINEL", request_id):
        assert sentinel not in text_
    # Times: the hour only (minute 37 and second 11 appear nowhere).
    stamps = [
        (k, v)
        for row in rows
        for k, v in row.items()
        if hasattr(v, "minute") and k not in ("due_at", "remind_at", "ack_due_at", "expires_at")
    ]
    exact = [s for s in stamps if (s[1].minute, s[1].second, s[1].microsecond) != (0, 0, 0)]
    assert stamps and exact == [], exact
    assert lead.received_at is None
    # The audit record of the submission does not name the lead.
    events = (
        session.execute(select(AuditEvent).where(AuditEvent.request_id == request_id))
        .scalars()
        .all()
    )
    assert events and all(e.object_id != lead.public_id for e in events)
    assert lead.public_id not in json.dumps([e.detail for e in events])
    # The deadline never comes earlier than the configured time from the actual arrival.
    assert lead.ack_due_at >= lead.received_hour + timedelta(hours=1, minutes=37)


def test_the_lead_table_has_no_column_for_an_address_an_agent_or_a_cookie(session) -> None:  # type: ignore[no-untyped-def]
    words = {w for c in Lead.__table__.columns for w in c.name.split("_")}
    assert not words & {"ip", "address", "agent", "ua", "cookie", "request", "client", "session"}
    assert session.execute(text("SELECT 1")).scalar_one() == 1


# --- G4 idempotency (sequential semantics; concurrency in test_concurrency.py) ---------------------


def test_a_retry_with_the_same_key_and_body_gets_the_same_answer_and_no_second_row(
    client, session
) -> None:  # type: ignore[no-untyped-def]
    body, headers = lead_body(), key()
    first = submit(client, body, headers)
    again = submit(client, body, headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    session.expire_all()
    assert (
        session.execute(
            select(func.count())
            .select_from(Lead)
            .where(Lead.tracking_code == first.json()["tracking_code"])
        ).scalar_one()
        == 1
    )


def test_the_same_key_with_another_body_is_refused_with_422(client) -> None:  # type: ignore[no-untyped-def]
    headers = key()
    assert submit(client, lead_body(), headers).status_code == 201
    r = submit(client, lead_body(description="完全不同的另一份报告内容。"), headers)
    assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key"


def test_a_missing_key_is_refused_with_400_and_a_malformed_one_with_422(client) -> None:  # type: ignore[no-untyped-def]
    assert submit(client, lead_body(), headers={}).status_code == 400
    assert submit(client, lead_body(), headers={"Idempotency-Key": "short"}).status_code == 422


def test_keys_expire_after_the_published_ttl(client, db, session) -> None:  # type: ignore[no-untyped-def]
    from fanguai import worker

    body, headers = lead_body(), key()
    first = submit(client, body, headers).json()
    later = utcnow() + timedelta(hours=26)
    report = worker.run_once(db, later, only={"leads.purge"})
    assert report.failed == {} and report.done["leads.purge"] >= 1
    session.expire_all()
    assert session.execute(select(func.count()).select_from(LeadIdempotency)).scalar_one() == 0
    # After the TTL the key is a new key: the same body makes a new lead (with a fresh proof).
    second = submit(client, {**body, **proof()}, headers)
    assert second.status_code == 201 and second.json()["tracking_code"] != first["tracking_code"]


# --- bad input ---------------------------------------------------------------------------------------


def test_bad_input_gets_a_clear_refusal_and_stores_nothing(client, session) -> None:  # type: ignore[no-untyped-def]
    before = session.execute(select(func.count()).select_from(Lead)).scalar_one()
    cases = {
        "not json": (b"{not json", 422),
        "a list": (b"[]", 422),
        "unknown field": (json.dumps(lead_body(admin=True)).encode(), 422),
        "unknown type": (json.dumps(lead_body(lead_type="nonsense")).encode(), 422),
        "script": (
            json.dumps(lead_body(description="看到<script>alert(1)</script>")).encode(),
            422,
        ),
        "onerror": (
            json.dumps(lead_body(description="图片 <img src=x onerror=alert(1)>")).encode(),
            422,
        ),
        "control chars": (json.dumps(lead_body(description="abc\u0000def")).encode(), 422),
        "unknown county": (json.dumps(lead_body(county_code="999999")).encode(), 422),
        "city not county": (json.dumps(lead_body(county_code="320500")).encode(), 422),
        "no place": (json.dumps(lead_body(county_code=None, place_text=None)).encode(), 422),
        "vague place": (json.dumps(lead_body(county_code=None, place_text="火车站")).encode(), 422),
        "outside Jiangsu": (json.dumps(lead_body(lat=39.9, lng=116.4)).encode(), 422),
        "half a point": (json.dumps(lead_body(lat=31.3)).encode(), 422),
        "too long": (json.dumps(lead_body(description="长" * 4001)).encode(), 422),
        "future sighting": (
            json.dumps(lead_body(last_seen_at=(utcnow() + timedelta(days=2)).isoformat())).encode(),
            422,
        ),
    }
    for name, (raw, status) in cases.items():
        r = client.post(
            "/api/leads/public", content=raw, headers={**key(), "Content-Type": "application/json"}
        )
        assert r.status_code == status, (name, r.text)
        assert r.json()["error"] == "invalid_input", name
    session.expire_all()
    assert session.execute(select(func.count()).select_from(Lead)).scalar_one() == before


def test_an_oversized_body_is_refused_with_413_even_without_a_length_header(client) -> None:  # type: ignore[no-untyped-def]
    limit = client.app.state.settings.max_request_bytes
    declared = client.post("/api/leads/public", content=b"x" * (limit + 1), headers=key())
    assert declared.status_code == 413

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(limit // 65536 + 2):
            yield b"y" * 65536

    streamed = client.post("/api/leads/public", content=chunks(), headers=key())
    assert streamed.status_code == 413
    assert streamed.json()["error"] == "payload_too_large"


def test_a_place_given_as_a_point_or_as_text_finds_its_county(client, session) -> None:  # type: ignore[no-untyped-def]
    by_point = submit(
        client, lead_body(county_code=None, lat=32.05, lng=118.79, lead_type="online")
    )
    by_text = submit(
        client, lead_body(county_code=None, place_text="徐州市鼓楼区某小区", lead_type="online")
    )
    assert by_point.status_code == by_text.status_code == 201
    assert _lead(session, by_point.json()["tracking_code"]).county_code.startswith("3201")
    assert _lead(session, by_text.json()["tracking_code"]).county_code == "320302"
