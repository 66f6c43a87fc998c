"""Dispatch: transports, retries with backoff, permanent errors, a failing partner never blocks
the others, bad subscriber input."""

from __future__ import annotations

import socketserver
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from fanguai.alerts import actions, dispatch, photos
from fanguai.alerts.models import AlertBatch, AlertDelivery
from fanguai.alerts.sink import LoopbackSink
from fanguai.errors import InvalidInput
from tests.alerts.conftest import GUSU, SECRET, T0, add_app_users, add_webhook, as_actor, report


def _publish(session, db):  # type: ignore[no-untyped-def]
    case = report(session)
    actions.publish_alert(
        session, actor=as_actor(session, "gusu.chief"), case_id=case.public_id, now=T0
    )
    session.commit()
    dispatch.plan_pending(db, T0)
    return case


def _batches(session, endpoint) -> list[AlertBatch]:  # type: ignore[no-untyped-def]
    session.commit()
    return list(
        session.execute(
            select(AlertBatch)
            .where(AlertBatch.endpoint_id == endpoint.id)
            .execution_options(populate_existing=True)
        ).scalars()
    )


def test_a_failing_partner_never_blocks_the_others_and_is_retried_with_backoff(
    session, db, sink
) -> None:  # type: ignore[no-untyped-def]
    with LoopbackSink(SECRET) as broken:
        broken.state.fail = lambda body: 503
        good = add_webhook(session, f"{sink.url}/webhook", name="正常平台", batch_size=1)
        bad = add_webhook(session, f"{broken.url}/webhook", name="故障平台", batch_size=1)
        add_app_users(session, good, [GUSU] * 3)
        add_app_users(session, bad, [GUSU] * 3)
        _publish(session, db)
        dispatch.send_due(db, T0)
        assert {b.status for b in _batches(session, good)} == {"sent"}
        bad_batches = _batches(session, bad)
        # The first failure takes the endpoint out of this pass: its other batches wait.
        assert sorted(b.status for b in bad_batches) == ["pending", "pending", "retry"]
        tried = next(b for b in bad_batches if b.status == "retry")
        assert tried.next_attempt_at == T0 + timedelta(seconds=30)
        assert "503" in tried.last_error
        # Not yet due: it is not tried again (its untried siblings are, and fail).
        dispatch.send_due(db, T0 + timedelta(seconds=10))
        session.commit()
        assert session.get(AlertBatch, tried.id, populate_existing=True).attempts == 1
        dispatch.send_due(db, T0 + timedelta(seconds=31))
        session.commit()
        again = session.get(AlertBatch, tried.id, populate_existing=True)
        assert again.attempts == 2
        assert again.next_attempt_at == T0 + timedelta(seconds=31 + 60)
        broken.state.fail = None
        dispatch.send_due(db, T0 + timedelta(hours=1))
        assert {b.status for b in _batches(session, bad)} == {"sent"}
        assert len(broken.state.seen) == 3
    assert len(sink.state.seen) == 3


def test_a_permanent_error_fails_the_batch_without_retrying(session, db) -> None:  # type: ignore[no-untyped-def]
    with LoopbackSink(SECRET) as partner:
        partner.state.fail = lambda body: 410
        endpoint = add_webhook(session, f"{partner.url}/webhook", batch_size=10)
        add_app_users(session, endpoint, [GUSU])
        _publish(session, db)
        dispatch.send_due(db, T0)
        dispatch.send_due(db, T0 + timedelta(days=1))
        (batch,) = _batches(session, endpoint)
        assert batch.status == "failed" and batch.attempts == 1 and "410" in batch.last_error


def test_a_dead_endpoint_is_retried_until_the_attempts_run_out(session, db) -> None:  # type: ignore[no-untyped-def]
    from fanguai.alerts.config import AlertSettings

    endpoint = add_webhook(session, "http://127.0.0.1:9/webhook", batch_size=10)  # discard port
    add_app_users(session, endpoint, [GUSU])
    _publish(session, db)
    settings = AlertSettings(max_attempts=3, backoff_seconds=1)
    for minute in range(5):
        dispatch.send_due(db, T0 + timedelta(minutes=minute), settings=settings)
    (batch,) = _batches(session, endpoint)
    assert batch.status == "failed" and batch.attempts == 3


def test_the_webhook_signature_is_what_the_partner_checks(session, db, sink) -> None:  # type: ignore[no-untyped-def]
    endpoint = add_webhook(session, f"{sink.url}/webhook", batch_size=10)
    add_app_users(session, endpoint, [GUSU, GUSU])
    _publish(session, db)
    dispatch.send_due(db, T0)
    assert sink.state.bad_signatures == 0 and len(sink.state.seen) == 2
    (body,) = sink.state.bodies
    assert body["type"] == "fanguai.alert" and body["stage"]["radius_km"] == 100
    assert {r["ref"] for r in body["recipients"]} == {"push-0", "push-1"}


class _SmtpSink(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []
        self.refuse = {"nobody@example.cn"}
        super().__init__(("127.0.0.1", 0), _SmtpHandler)


class _SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: _SmtpSink = self.server  # type: ignore[assignment]
        self.wfile.write(b"220 sink\r\n")
        rcpts: list[str] = []
        while line := self.rfile.readline():
            cmd = line.decode().strip()
            upper = cmd.upper()
            if upper.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250 sink\r\n")
            elif upper.startswith("MAIL FROM"):
                rcpts = []
                self.wfile.write(b"250 ok\r\n")
            elif upper.startswith("RCPT TO"):
                address = cmd.split(":", 1)[1].strip(" <>")
                if address in server.refuse:
                    self.wfile.write(b"550 no such user\r\n")
                else:
                    rcpts.append(address)
                    self.wfile.write(b"250 ok\r\n")
            elif upper == "DATA":
                self.wfile.write(b"354 go\r\n")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk.decode("utf-8", "replace"))
                server.messages.append((rcpts, "".join(data)))
                self.wfile.write(b"250 queued\r\n")
            elif upper == "RSET":
                self.wfile.write(b"250 ok\r\n")
            elif upper == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def test_email_and_sms_reach_volunteers_and_a_refused_address_is_recorded(
    session, db, sink
) -> None:  # type: ignore[no-untyped-def]
    smtp = _SmtpSink()
    threading.Thread(target=smtp.serve_forever, daemon=True).start()
    try:
        chief = as_actor(session, "gusu.chief")
        actions.add_endpoint(
            session,
            actor=chief,
            data={
                "name": "邮件",
                "kind": "smtp",
                "url": f"smtp://127.0.0.1:{smtp.server_address[1]}",
                "sender": "alerts@gaj.example.cn",
            },
        )
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
        for channel, address in (
            ("email", "v1@example.cn"),
            ("email", "nobody@example.cn"),
            ("sms", "13800001234"),
        ):
            actions.add_subscriber(
                session,
                actor=chief,
                data={
                    "kind": "volunteer",
                    "channel": channel,
                    "address": address,
                    "lat": GUSU[0],
                    "lng": GUSU[1],
                },
            )
        _publish(session, db)
        dispatch.send_due(db, T0)
        session.commit()
        assert [m[0] for m in smtp.messages] == [["v1@example.cn"]]
        assert "儿童走失预警" in smtp.messages[0][1] or "=?utf-8?" in smtp.messages[0][1]
        (sms,) = [b for b in sink.state.bodies if "messages" in b]
        assert sms["messages"][0]["to"] == "13800001234" and "110" in sms["messages"][0]["text"]
        errors = (
            session.execute(select(AlertDelivery.error).where(AlertDelivery.error.is_not(None)))
            .scalars()
            .all()
        )
        assert len(errors) == 1 and "refused" in errors[0]
    finally:
        smtp.shutdown()
        smtp.server_close()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "volunteer", "channel": "fax", "lat": 31.3, "lng": 120.6}, "channel"),
        ({"kind": "volunteer", "channel": "webhook", "lat": 31.3, "lng": 120.6}, "channel"),
        ({"kind": "starship", "channel": "sms"}, "kind"),
        (
            {"kind": "volunteer", "channel": "sms", "address": "12", "lat": 31.3, "lng": 120.6},
            "address",
        ),
        (
            {
                "kind": "transport_hub",
                "channel": "sms",
                "hub_type": "canal",
                "lat": 31.3,
                "lng": 120.6,
            },
            "hub_type",
        ),
        (
            {
                "kind": "volunteer",
                "channel": "sms",
                "address": "13800001234",
                "lat": 48.85,
                "lng": 2.35,
            },
            "lat",
        ),
        (
            {
                "kind": "police_unit",
                "channel": "internal",
                "unit_code": "320508-MZ",
                "lat": 31.3,
                "lng": 120.6,
            },
            "unit_code",
        ),
    ],
)
def test_bad_subscribers_get_precise_errors(session, data, field) -> None:  # type: ignore[no-untyped-def]
    actions.add_endpoint(
        session,
        actor=as_actor(session, "gusu.chief"),
        data={
            "name": "短信",
            "kind": "sms_gateway",
            "url": "http://127.0.0.1:9/sms",
            "secret": "sms-api-key-0123456789",
        },
    )
    with pytest.raises(InvalidInput) as err:
        actions.add_subscriber(session, actor=as_actor(session, "gusu.chief"), data=data)
    assert err.value.field == field


def test_a_photo_that_is_not_an_image_is_refused_and_a_real_one_loses_its_exif(session) -> None:  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    case = report(session)
    with pytest.raises(InvalidInput) as err:
        actions.add_photo(
            session,
            actor=as_actor(session, "gusu.police"),
            case_id=case.public_id,
            raw=b"%PDF-1.4 not a photo",
        )
    assert err.value.field == "photo"
    image = Image.new("RGB", (40, 30), (200, 20, 20))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    buf = io.BytesIO()
    image.save(buf, format="JPEG", exif=exif)
    assert b"CameraMaker" in buf.getvalue()
    photo = actions.add_photo(
        session, actor=as_actor(session, "gusu.police"), case_id=case.public_id, raw=buf.getvalue()
    )
    stored = photos.photo_bytes(session, photo)
    assert b"CameraMaker" not in stored and b"Exif" not in stored
    assert (photo.width, photo.height) == (40, 30)
    assert photos.clean_photo(stored).media_type == "image/jpeg"
