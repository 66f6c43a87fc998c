"""Opt-out (PIPL consent withdrawal): a volunteer's signed one-click link, the app's signed
token withdrawal; an opted-out subscriber receives nothing more, not even the "found" notice."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from fanguai.alerts import actions, dispatch, optout
from fanguai.alerts.models import AlertDelivery, AlertSubscriber
from fanguai.alerts.subscribers import subscriber_address
from fanguai.alerts.transports import sign
from fanguai.audit.models import AuditEvent
from fanguai.core.actor import ANONYMOUS
from fanguai.crypto.fields import SubjectShredded
from fanguai.db import utcnow
from fanguai.errors import NotAuthenticated
from tests.alerts.conftest import GUSU, SECRET, T0, add_app_users, add_webhook, as_actor, report

S = "unit-test-platform-secret-0123456789"


def _volunteer(session, address: str = "13855556666"):  # type: ignore[no-untyped-def]
    chief = as_actor(session, "gusu.chief")
    actions.add_endpoint(
        session,
        actor=chief,
        data={
            "name": "退订测试短信",
            "kind": "sms_gateway",
            "url": "http://127.0.0.1:9/sms",
            "secret": "sms-api-key-0123456789",
        },
    )
    return actions.add_subscriber(
        session,
        actor=chief,
        data={
            "kind": "volunteer",
            "channel": "sms",
            "address": address,
            "lat": GUSU[0],
            "lng": GUSU[1],
        },
        now=T0,
    )


def test_a_token_is_bound_to_its_subscriber_and_expires() -> None:
    token = optout.make_token(S, "3f1c2a4e-0000-4000-8000-00000000abcd", T0)
    assert optout.read_token(S, token, T0 + timedelta(days=30)) == (
        "3f1c2a4e-0000-4000-8000-00000000abcd"
    )
    pid, expires, tag = token.split(".")
    forged = [
        f"3f1c2a4e-0000-4000-8000-00000000abce.{expires}.{tag}",  # another subscriber
        f"{pid}.{int(expires, 16) + 86400:x}.{tag}",  # a later expiry
        f"{pid}.{expires}.{tag[:-1]}{'A' if tag[-1] != 'A' else 'B'}",  # a changed tag
        "not-a-token",
        "",
    ]
    for bad in forged:
        with pytest.raises(optout.TokenRefused) as err:
            optout.read_token(S, bad, T0)
        assert err.value.field == "token" and not err.value.expired
    with pytest.raises(optout.TokenRefused):
        optout.read_token("another-secret-0123456789abcdef", token, T0)
    with pytest.raises(optout.TokenRefused) as err:
        optout.read_token(S, token, T0 + timedelta(days=optout.TOKEN_DAYS, seconds=1))
    assert err.value.expired
    assert token.split(".")[0] == "3f1c2a4e-0000-4000-8000-00000000abcd"  # a random id only


def test_the_link_confirms_then_opts_out_deletes_the_address_and_answers_the_same_twice(
    session, client, settings
) -> None:  # type: ignore[no-untyped-def]
    sub = _volunteer(session)
    session.commit()
    secret = settings.secret_key.get_secret_value()
    path = optout.optout_path(secret, sub.public_id, utcnow())
    assert "13855556666" not in path and "5666" not in path
    page = client.get(path)
    assert page.status_code == 200 and "确认退订" in page.text and "5666" not in page.text
    assert session.get(
        AlertSubscriber, sub.id, populate_existing=True
    ).active  # GET changes nothing
    token = sub.address
    first = client.post(path)
    assert first.status_code == 200 and "您已退订" in first.text
    row = session.get(AlertSubscriber, sub.id, populate_existing=True)
    assert not row.active and row.opted_out_at is not None
    assert row.address is None and row.address_hint is None
    with pytest.raises(SubjectShredded):  # copies in backups are unreadable too
        subscriber_address(sub.public_id, token)
    second = client.post(path)
    assert (second.status_code, second.text) == (first.status_code, first.text)
    assert "您已退订" in client.get(path).text
    # Staff cannot switch consent back on.
    chief = as_actor(session, "gusu.chief")
    from fanguai.errors import Conflict

    with pytest.raises(Conflict):
        actions.reactivate_subscriber(session, actor=chief, subscriber_id=sub.public_id)


def test_forged_expired_and_unknown_links_are_refused(session, client, settings) -> None:  # type: ignore[no-untyped-def]
    sub = _volunteer(session)
    session.commit()
    secret = settings.secret_key.get_secret_value()
    good = optout.make_token(secret, sub.public_id, utcnow())
    pid, expires, tag = good.split(".")
    forged = f"{pid}.{expires}.{'A' * len(tag)}"
    for method in ("get", "post"):
        r = getattr(client, method)(f"/public/optout/{forged}")
        assert r.status_code == 400 and "链接无效" in r.text
        old = optout.make_token(secret, sub.public_id, utcnow() - timedelta(days=200))
        r = getattr(client, method)(f"/public/optout/{old}")
        assert r.status_code == 410 and "已过期" in r.text
        unknown = optout.make_token(secret, "00000000-0000-4000-8000-000000000000", utcnow())
        assert getattr(client, method)(f"/public/optout/{unknown}").status_code == 404
        other_secret = optout.make_token("x" * 40, sub.public_id, utcnow())
        assert getattr(client, method)(f"/public/optout/{other_secret}").status_code == 400
    assert session.get(AlertSubscriber, sub.id, populate_existing=True).active


def test_an_sms_carries_the_link_and_after_opting_out_nothing_more_arrives(
    session, db, client, settings, sink, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    secret = settings.secret_key.get_secret_value()
    monkeypatch.setattr(dispatch, "platform_secret", lambda: secret)
    chief = as_actor(session, "gusu.chief")
    actions.add_endpoint(
        session,
        actor=chief,
        data={
            "name": "短信网关",
            "kind": "sms_gateway",
            "url": f"{sink.url}/sms",
            "secret": "sms-api-key-0123456789",
        },
    )
    for address in ("13811110001", "13811110002"):
        actions.add_subscriber(
            session,
            actor=chief,
            data={
                "kind": "volunteer",
                "channel": "sms",
                "address": address,
                "lat": GUSU[0],
                "lng": GUSU[1],
            },
            now=T0,
        )
    case = report(session)
    actions.publish_alert(session, actor=chief, case_id=case.public_id, now=T0)
    session.commit()
    dispatch.plan_pending(db, T0)
    dispatch.send_due(db, T0)
    (body,) = [b for b in sink.state.bodies if "messages" in b]
    texts = {m["to"]: m["text"] for m in body["messages"]}
    assert set(texts) == {"13811110001", "13811110002"}
    link = texts["13811110001"].split("退订：")[1]
    assert "13811110001" not in link and link != texts["13811110002"].split("退订：")[1]
    # Followed at the test's clock (the web page itself is covered above at the real one).
    token = urlsplit(link).path.removeprefix("/public/optout/")
    actions.opt_out(
        session, actor=ANONYMOUS, token=token, secret=secret, now=T0 + timedelta(minutes=10)
    )
    # The "found" notice goes to the one still subscribed only.
    actions.close_case(
        session,
        actor=chief,
        case_id=case.public_id,
        outcome="found_alive",
        reason="已找到",
        now=T0 + timedelta(minutes=30),
    )
    session.commit()
    dispatch.plan_pending(db, T0 + timedelta(minutes=31))
    dispatch.send_due(db, T0 + timedelta(minutes=31))
    bodies = [b for b in sink.state.bodies if "messages" in b]
    assert len(bodies) == 2
    assert [m["to"] for m in bodies[1]["messages"]] == ["13811110002"]
    assert "撤回" in bodies[1]["messages"][0]["text"]


def test_a_batch_planned_before_the_opt_out_leaves_them_out(
    session, db, client, settings, sink
) -> None:  # type: ignore[no-untyped-def]
    endpoint = add_webhook(session, f"{sink.url}/webhook")
    (kept, gone) = add_app_users(session, endpoint, [GUSU, GUSU])
    case = report(session)
    actions.publish_alert(
        session, actor=as_actor(session, "gusu.chief"), case_id=case.public_id, now=T0
    )
    session.commit()
    dispatch.plan_pending(db, T0)  # both planned, nothing sent yet
    _withdraw(client, endpoint.public_id, "push-1")
    dispatch.send_due(db, T0)
    assert {r["subscriber"] for b in sink.state.bodies for r in b["recipients"]} == {kept}
    errors = (
        session.execute(select(AlertDelivery.error).where(AlertDelivery.error.is_not(None)))
        .scalars()
        .all()
    )
    assert errors == ["unsubscribed"]


def _withdraw(
    client,
    endpoint_id: str,
    ref: str,
    *,
    secret: str = SECRET,
    stamp: int | None = None,
    body: bytes | None = None,
):  # type: ignore[no-untyped-def]
    body = body if body is not None else json.dumps({"ref": ref}).encode()
    timestamp = str(stamp if stamp is not None else int(time.time()))
    return client.post(
        "/api/alerts/app-tokens/withdraw",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Fanguai-Endpoint": endpoint_id,
            "X-Fanguai-Timestamp": timestamp,
            "X-Fanguai-Signature": sign(secret, timestamp, body),
        },
    )


def test_the_app_withdraws_a_push_token_by_a_signed_request_idempotently(
    session, client, sink
) -> None:  # type: ignore[no-untyped-def]
    endpoint = add_webhook(session, f"{sink.url}/webhook")
    (sub_id,) = add_app_users(session, endpoint, [GUSU])
    session.commit()
    first = _withdraw(client, endpoint.public_id, "push-0")
    assert first.status_code == 200, first.text
    row = session.execute(
        select(AlertSubscriber)
        .where(AlertSubscriber.public_id == sub_id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    assert not row.active and row.opted_out_at is not None
    assert row.external_ref.startswith("x:") and "push-0" not in row.external_ref
    second = _withdraw(client, endpoint.public_id, "push-0")
    assert (second.status_code, second.json()) == (first.status_code, first.json())
    # Refused: a wrong key, a stale or missing timestamp, an unknown endpoint — one answer.
    assert (
        _withdraw(
            client, endpoint.public_id, "push-0", secret="wrong-secret-0123456789"
        ).status_code
        == 401
    )
    assert (
        _withdraw(client, endpoint.public_id, "push-0", stamp=int(time.time()) - 3600).status_code
        == 401
    )
    assert _withdraw(client, "00000000-0000-4000-8000-000000000000", "push-0").status_code == 401
    r = client.post("/api/alerts/app-tokens/withdraw", json={"ref": "push-0"})
    assert r.status_code == 401
    # Signed but wrong: an unknown token, a bad body.
    r = _withdraw(client, endpoint.public_id, "push-unknown")
    assert r.status_code == 404 and r.json()["field"] == "ref"
    r = _withdraw(client, endpoint.public_id, "", body=b"not json")
    assert r.status_code == 422 and r.json()["field"] == "body"
    r = _withdraw(client, endpoint.public_id, "", body=b'{"ref": 7}')
    assert r.status_code == 422 and r.json()["field"] == "ref"


def test_a_timestamp_of_odd_digits_is_refused_like_a_bad_signature(session, client, sink) -> None:  # type: ignore[no-untyped-def]
    endpoint = add_webhook(session, f"{sink.url}/webhook")
    add_app_users(session, endpoint, [GUSU])
    session.commit()
    body = json.dumps({"ref": "push-0"}).encode()
    # Header values travel as Latin-1: "²" is the byte 0xB2 (the unit check below covers
    # digits of other scripts, which cannot be sent in a header).
    for stamp in ("²".encode("latin-1"), b"\xb3" * 12, b"1" * 40, b"-1", b" 17"):
        r = client.post(
            "/api/alerts/app-tokens/withdraw",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Fanguai-Endpoint": endpoint.public_id,
                "X-Fanguai-Timestamp": stamp,
                "X-Fanguai-Signature": "sha256=" + "0" * 64,
            },
        )
        assert r.status_code == 401, (stamp, r.status_code)
    for stamp in ("²", "١٧٠٠٠٠٠٠٠٠", "9" * 5000):
        with pytest.raises(NotAuthenticated):
            optout.check_signed_request(SECRET, stamp, "sha256=00", body, utcnow())


def test_a_token_registered_again_after_a_withdrawal_can_be_withdrawn_again(
    session, client, sink
) -> None:  # type: ignore[no-untyped-def]
    endpoint = add_webhook(session, f"{sink.url}/webhook")
    (first,) = add_app_users(session, endpoint, [GUSU])
    session.commit()
    assert _withdraw(client, endpoint.public_id, "push-0").status_code == 200
    (again,) = add_app_users(session, endpoint, [GUSU])  # the same push token, re-registered
    session.commit()
    assert again != first
    r = _withdraw(client, endpoint.public_id, "push-0")
    assert (r.status_code, r.json()) == (200, {"status": "withdrawn"})
    rows = {
        s.public_id: s
        for s in session.execute(
            select(AlertSubscriber)
            .where(AlertSubscriber.public_id.in_((first, again)))
            .execution_options(populate_existing=True)
        ).scalars()
    }
    assert not rows[again].active and rows[again].opted_out_at is not None
    assert rows[again].external_ref.startswith("x:")
    details = [
        e.detail
        for e in session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "alerts.app_withdraw")
            .order_by(AuditEvent.seq)
        ).scalars()
    ]
    assert [d["repeated"] for d in details[-2:]] == [False, False]
    assert _withdraw(client, endpoint.public_id, "push-0").status_code == 200
    last = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "alerts.app_withdraw")
            .order_by(AuditEvent.seq.desc())
        )
        .scalars()
        .first()
    )
    assert last.detail["repeated"] is True


def test_an_opt_out_repeated_after_a_crash_before_the_shredding_shreds(
    session, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.alerts import subscribers

    sub = _volunteer(session)
    session.commit()
    token_value = sub.address
    secret = settings.secret_key.get_secret_value()
    link = optout.make_token(secret, sub.public_id, T0)
    real_shred = subscribers.shred_address

    def crash(public_id: str) -> None:
        raise RuntimeError("worker killed between the commit and the shredding")

    monkeypatch.setattr(subscribers, "shred_address", crash)
    with pytest.raises(RuntimeError):
        actions.opt_out(session, actor=ANONYMOUS, token=link, secret=secret, now=T0)
    row = session.get(AlertSubscriber, sub.id, populate_existing=True)
    assert row.opted_out_at is not None  # committed
    assert subscriber_address(sub.public_id, token_value) == "13855556666"  # key still there
    monkeypatch.setattr(subscribers, "shred_address", real_shred)
    actions.opt_out(session, actor=ANONYMOUS, token=link, secret=secret, now=T0)  # the repeat
    with pytest.raises(SubjectShredded):
        subscriber_address(sub.public_id, token_value)
