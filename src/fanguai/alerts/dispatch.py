"""Dispatch: plan each stage's recipients into batches, then send the batches.

Planning takes a stage's recipients from the spatial index (the withdrawal: from the deliveries
of the earlier stages), in chunks of ascending subscriber id; each chunk is one action that
writes its batches, its delivery rows (unique per stage and subscriber) and the stage's cursor,
so a crash repeats at most an uncommitted chunk and never plans a recipient twice.

Sending claims a batch with a conditional update (pending/retry → sending, one action), sends it
outside any transaction, and records the result (another action): sent, retry with exponential
backoff, or failed. A worker killed between the two leaves the batch "sending"; once its lease
has passed the batch is sent again under the same batch and delivery keys, which receivers use
to count each recipient once per stage. An endpoint that fails is skipped for the rest of the
pass, so one partner down never holds back the others.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from fanguai.alerts import optout
from fanguai.alerts.config import AlertSettings, alert_settings
from fanguai.alerts.models import (
    CHANNELS,
    Alert,
    AlertBatch,
    AlertDelivery,
    AlertEndpoint,
    AlertStage,
    AlertSubscriber,
)
from fanguai.alerts.spatial import Ring, haversine_km
from fanguai.alerts.subscribers import (
    CHANNEL_CODE,
    Audience,
    endpoint_secret,
    index_for,
    subscriber_address,
)
from fanguai.alerts.transports import (
    Batch,
    DeliveryError,
    Endpoint,
    Recipient,
    Transport,
    default_transports,
)
from fanguai.core.actions import action
from fanguai.core.actor import system_actor
from fanguai.db import Database
from fanguai.outbox import enqueue

log = logging.getLogger(__name__)
WORKER = system_actor("worker:alerts")
BEIJING = ZoneInfo("Asia/Shanghai")
SEX = {"male": "男", "female": "女", "unknown": "性别不详"}


def platform_secret() -> str:
    """The installation secret that signs opt-out links (the web app checks them with it)."""
    from fanguai.settings import get_settings

    return get_settings().secret_key.get_secret_value()


# ---------------------------------------------------------------- planning


def _insert(session: Session):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(AlertDelivery).on_conflict_do_nothing(
        index_elements=["stage_id", "subscriber_id"]
    )


def _withdrawal_audience(session: Session, stage: AlertStage) -> Audience:
    """Everyone an earlier stage of the alert may have reached (sent, being sent, or tried)."""
    earlier = select(AlertStage.id).where(
        AlertStage.alert_id == stage.alert_id, AlertStage.kind != "withdraw"
    )
    reached = (
        select(AlertDelivery.subscriber_id)
        .join(AlertBatch, AlertBatch.id == AlertDelivery.batch_id)
        .where(
            AlertDelivery.stage_id.in_(earlier),
            AlertDelivery.error.is_(None),
            or_(AlertBatch.status.in_(("sent", "sending")), AlertBatch.attempts > 0),
        )
        .distinct()
    )
    rows = session.execute(
        select(AlertSubscriber.id, AlertSubscriber.endpoint_id, AlertSubscriber.channel)
        .where(AlertSubscriber.id.in_(reached), AlertSubscriber.active.is_(True))
        .order_by(AlertSubscriber.id)
    ).all()
    return Audience(
        np.array([r[0] for r in rows], np.int64),
        np.array([r[1] or 0 for r in rows], np.int32),
        np.array([CHANNEL_CODE[r[2]] for r in rows], np.int8),
    )


def audience_of(session: Session, stage: AlertStage) -> Audience:
    """The stage's recipients, ascending by subscriber id."""
    if stage.kind == "withdraw":
        return _withdrawal_audience(session, stage)
    alert = stage.alert
    ring = Ring(alert.lat, alert.lng, stage.radius_km, stage.inner_km)
    return index_for(session).audience(ring)


def _batch_sizes(session: Session, settings: AlertSettings) -> dict[int, int]:
    sizes = dict(session.execute(select(AlertEndpoint.id, AlertEndpoint.batch_size)).all())
    sizes[0] = settings.internal_batch_size
    return sizes


def _plan_chunk(
    session: Session, stage: AlertStage, chunk: Audience, sizes: dict[int, int], now: datetime
) -> int:
    # Subscribers who registered inside the ring while it was out already have their delivery
    # of this stage (``catch_up``): a range scan of the (stage, subscriber) unique index.
    have = set(
        session.execute(
            select(AlertDelivery.subscriber_id).where(
                AlertDelivery.stage_id == stage.id,
                AlertDelivery.subscriber_id.between(int(chunk.ids[0]), int(chunk.ids[-1])),
            )
        ).scalars()
    )
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for sid, endpoint, channel in zip(
        chunk.ids.tolist(), chunk.endpoint.tolist(), chunk.channel.tolist(), strict=True
    ):
        if sid not in have:
            groups[(channel, endpoint)].append(sid)
    rows: list[dict[str, int]] = []
    batches: list[AlertBatch] = []
    for (channel, endpoint), ids in sorted(groups.items()):
        size = sizes.get(endpoint, 500)
        for start in range(0, len(ids), size):
            part = ids[start : start + size]
            batch = AlertBatch(
                stage_id=stage.id,
                endpoint_id=endpoint or None,
                channel=CHANNELS[channel],
                status="pending",
                size=len(part),
                next_attempt_at=now,
            )
            session.add(batch)
            session.flush()
            batches.append(batch)
            rows += [{"stage_id": stage.id, "subscriber_id": s, "batch_id": batch.id} for s in part]
    if not rows:
        return 0
    session.execute(_insert(session), rows)
    # A subscriber caught up by another transaction between the check above and this insert
    # was skipped by ON CONFLICT DO NOTHING: count the rows written, not the rows tried, and
    # size the batches (or drop an empty one) by them.
    written = dict(
        session.execute(
            select(AlertDelivery.batch_id, func.count())
            .where(AlertDelivery.batch_id.in_([b.id for b in batches]))
            .group_by(AlertDelivery.batch_id)
        ).all()
    )
    for batch in batches:
        if written.get(batch.id, 0):
            batch.size = written[batch.id]
        else:
            session.delete(batch)
    return sum(written.values())


def plan_stage(
    session: Session, stage_id: int, now: datetime, settings: AlertSettings | None = None
) -> int:
    """Plan one stage to the end (or until its alert is withdrawn); returns recipients planned."""
    settings = settings or alert_settings()
    stage = session.get(AlertStage, stage_id)
    if stage is None or stage.status != "planning":
        return 0
    audience = audience_of(session, stage)
    sizes = _batch_sizes(session, settings)
    start = int(np.searchsorted(audience.ids, stage.planned_upto, side="right"))
    session.rollback()
    planned = 0
    while True:
        end = start + settings.plan_chunk
        with action(session, WORKER, "alerts.plan", object_type="alert_stage") as act:
            stage = session.get(AlertStage, stage_id, populate_existing=True)
            assert stage is not None
            act.object_id = f"{stage.alert.public_id}:{stage.seq}"
            if stage.status != "planning":
                return planned
            if stage.alert.status != "active" and stage.kind != "withdraw":
                stage.status = "cancelled"
                return planned
            chunk = Audience(
                audience.ids[start:end], audience.endpoint[start:end], audience.channel[start:end]
            )
            if len(chunk) == 0:
                stage.status = "planned"
                act.detail["recipients"] = stage.recipients
                return planned
            # Added in SQL: a catch-up adding its recipient concurrently is not lost.
            stage.recipients = AlertStage.recipients + _plan_chunk(
                session, stage, chunk, sizes, now
            )
            stage.planned_upto = int(chunk.ids[-1])
            act.detail["planned"] = len(chunk)
        planned += len(chunk)
        start = end


def plan_pending(db: Database, now: datetime, settings: AlertSettings | None = None) -> int:
    """Plan every stage still being planned, oldest first."""
    with db.session() as session:
        ids = list(
            session.execute(
                select(AlertStage.id).where(AlertStage.status == "planning").order_by(AlertStage.id)
            ).scalars()
        )
        session.rollback()
        return sum(plan_stage(session, sid, now, settings) for sid in ids)


def catch_up(session: Session, sub: AlertSubscriber, now: datetime) -> int:
    """Give a subscriber who (re)joined inside an active alert's current ring that alert's
    current stage, inside the caller's action: a batch of one and its delivery row, sent like
    any other. The delivery is unique per (stage, subscriber), so nobody gets a stage twice,
    whichever of this and the planner comes first. Returns how many alerts it caught up."""
    if not sub.active:
        return 0
    caught = 0
    for alert in session.execute(select(Alert).where(Alert.status == "active")).scalars():
        if sub.lat is not None and sub.lng is not None:
            distance = haversine_km(alert.lat, alert.lng, np.array([sub.lat]), np.array([sub.lng]))
            if not Ring(alert.lat, alert.lng, alert.radius_km).contains(distance)[0]:
                continue
        stage = (
            session.execute(
                select(AlertStage)
                .where(
                    AlertStage.alert_id == alert.id,
                    AlertStage.kind != "withdraw",
                    AlertStage.status != "cancelled",
                )
                .order_by(AlertStage.seq.desc())
            )
            .scalars()
            .first()
        )
        if stage is None:
            continue
        batch = AlertBatch(
            stage_id=stage.id,
            endpoint_id=sub.endpoint_id,
            channel=sub.channel,
            status="pending",
            size=1,
            next_attempt_at=now,
        )
        session.add(batch)
        session.flush()
        inserted = session.execute(
            _insert(session).values(stage_id=stage.id, subscriber_id=sub.id, batch_id=batch.id)
        ).rowcount
        if not inserted:  # the planner got there first
            session.delete(batch)
            continue
        stage.recipients = AlertStage.recipients + 1  # in SQL, beside a planner's update
        caught += 1
    return caught


# ---------------------------------------------------------------- messages


def _texts(alert: Alert, stage: AlertStage, base_url: str) -> tuple[str, str]:
    c = alert.content
    if stage.kind == "withdraw":
        found = alert.case.outcome in ("found_alive", "found_dead")
        subject = f"【预警撤回】{c['case_no']}" + (" 儿童已找到" if found else "")
        return subject, f"{subject}。感谢您的关注，请勿再转发此前的预警信息。"
    age = f"{c['age']}岁" if c.get("age") is not None else "年龄不详"
    place = c.get("last_seen_place") or f"北纬{c['lat']:.4f} 东经{c['lng']:.4f}"
    seen = datetime.fromisoformat(c["last_seen_at"]).astimezone(BEIJING)
    subject = f"【儿童走失预警】{c['case_no']}"
    text = (
        f"{subject}：{SEX.get(c['sex'], '')}，{age}。{c.get('description') or ''}"
        f" {seen:%m月%d日%H:%M}在{place}走失。如有发现请立即拨打{c['contact_phone']}。"
        f"详情：{base_url}{c['page']}"
    )
    return subject, text


def _stage_info(alert: Alert, stage: AlertStage) -> dict[str, Any]:
    return {
        "seq": stage.seq,
        "kind": stage.kind,
        "inner_km": stage.inner_km,
        "radius_km": stage.radius_km,
        "center": {"lat": alert.lat, "lng": alert.lng},
        "created_at": stage.created_at.isoformat(),
        "status": "found" if stage.kind == "withdraw" else "missing",
    }


def _recipients(session: Session, batch: AlertBatch, alert: Alert) -> list[tuple[int, Any]]:
    return list(
        session.execute(
            select(AlertDelivery.id, AlertSubscriber)
            .join(AlertSubscriber, AlertSubscriber.id == AlertDelivery.subscriber_id)
            .where(AlertDelivery.batch_id == batch.id)
            .order_by(AlertDelivery.id)
        ).all()
    )


# ---------------------------------------------------------------- sending


def _claim(
    session: Session, batch_id: int, now: datetime, settings: AlertSettings
) -> tuple[Endpoint, Batch, dict[str, int]] | None:
    """Claim a due batch (one action); internal batches are delivered right here."""
    lease = now - timedelta(seconds=settings.sending_lease_seconds)
    with action(session, WORKER, "alerts.claim", object_type="alert_batch") as act:
        claimed = session.execute(
            update(AlertBatch)
            .where(
                AlertBatch.id == batch_id,
                or_(
                    and_(
                        AlertBatch.status.in_(("pending", "retry")),
                        AlertBatch.next_attempt_at <= now,
                    ),
                    and_(AlertBatch.status == "sending", AlertBatch.claimed_at <= lease),
                ),
            )
            .values(status="sending", attempts=AlertBatch.attempts + 1, claimed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            return None
        batch = session.get(AlertBatch, batch_id, populate_existing=True)
        assert batch is not None
        act.object_id = batch.public_id
        stage = batch.stage
        alert = stage.alert
        if alert.status != "active" and stage.kind != "withdraw":
            batch.status = "cancelled"
            batch.last_error = "alert withdrawn"
            return None
        rows = _recipients(session, batch, alert)
        gone = [delivery_id for delivery_id, sub in rows if not sub.active]
        if gone:  # deactivated or opted out since planning: nothing more goes to them
            session.execute(
                update(AlertDelivery)
                .where(AlertDelivery.id.in_(gone), AlertDelivery.error.is_(None))
                .values(error="unsubscribed")
                .execution_options(synchronize_session=False)
            )
            rows = [(d, sub) for d, sub in rows if sub.active]
            act.detail["unsubscribed"] = len(gone)
        if not rows:
            batch.status = "sent"
            batch.sent_at = now
            return None
        if batch.channel == "internal":
            for _, sub in rows:
                enqueue(
                    session,
                    kind="alert.stage",
                    unit_id=sub.unit_id,
                    payload={"alert": alert.public_id, "stage": _stage_info(alert, stage)},
                )
            batch.status = "sent"
            batch.sent_at = now
            act.detail["internal"] = len(rows)
            return None
        endpoint_row = session.get(AlertEndpoint, batch.endpoint_id)
        assert endpoint_row is not None
        subject, text = _texts(alert, stage, settings.public_base_url)
        keys: dict[str, int] = {}
        recipients = []
        for delivery_id, sub in rows:
            key = f"{alert.public_id}:{stage.seq}:{sub.public_id}"
            keys[key] = delivery_id
            recipients.append(
                Recipient(
                    delivery=key,
                    subscriber=sub.public_id,
                    address=subscriber_address(sub.public_id, sub.address)
                    if batch.channel in ("email", "sms")
                    else None,
                    ref=sub.external_ref,
                    label=sub.label,
                    optout=settings.public_base_url
                    + optout.optout_path(platform_secret(), sub.public_id, now)
                    if sub.kind == "volunteer"
                    else None,
                )
            )
        endpoint = Endpoint(
            key=endpoint_row.public_id,
            kind=endpoint_row.kind,
            url=endpoint_row.url,
            secret=endpoint_secret(endpoint_row),
            sender=endpoint_row.sender,
        )
        message = Batch(
            key=batch.public_id,
            stage=_stage_info(alert, stage),
            alert=alert.content,
            text=text,
            subject=subject,
            recipients=recipients,
        )
        if not endpoint_row.active:
            batch.status = "failed"
            batch.last_error = "endpoint inactive"
            return None
    return endpoint, message, keys


def _finish(
    session: Session,
    batch_id: int,
    now: datetime,
    settings: AlertSettings,
    error: DeliveryError | None,
    refused: dict[str, str],
    keys: dict[str, int],
) -> None:
    with action(session, WORKER, "alerts.send", object_type="alert_batch") as act:
        batch = session.get(AlertBatch, batch_id, populate_existing=True)
        assert batch is not None
        act.object_id = batch.public_id
        if error is None:
            batch.status = "sent"
            batch.sent_at = now
            batch.last_error = None
            for key, reason in refused.items():
                session.execute(
                    update(AlertDelivery)
                    .where(AlertDelivery.id == keys[key])
                    .values(error=reason[:200])
                    .execution_options(synchronize_session=False)
                )
            act.detail.update({"sent": batch.size - len(refused), "refused": len(refused)})
            return
        batch.last_error = str(error)[:300]
        act.outcome = "success"
        act.detail["error"] = str(error)[:200]
        if error.retryable and batch.attempts < settings.max_attempts:
            batch.status = "retry"
            batch.next_attempt_at = now + settings.backoff(batch.attempts)
        else:
            batch.status = "failed"
            act.priority = "high"


def send_batch(
    session: Session,
    batch_id: int,
    now: datetime,
    transports: dict[str, Transport],
    settings: AlertSettings | None = None,
) -> DeliveryError | None:
    """Claim, send and record one batch; returns the error it met (or None)."""
    settings = settings or alert_settings()
    claimed = _claim(session, batch_id, now, settings)
    if claimed is None:
        return None
    endpoint, message, keys = claimed
    error: DeliveryError | None = None
    refused: dict[str, str] = {}
    try:
        refused = transports[endpoint.kind].send(endpoint, message)
    except DeliveryError as exc:
        error = exc
    except OSError as exc:  # the endpoint is unreachable: retried with backoff, no traceback
        log.warning("transport %s unreachable: %s", endpoint.kind, exc)
        error = DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True)
    except Exception as exc:  # noqa: BLE001 - a transport bug is this batch's failure only
        log.exception("transport %s failed", endpoint.kind)
        error = DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True)
    _finish(session, batch_id, now, settings, error, refused, keys)
    return error


def due_batches(
    session: Session, now: datetime, settings: AlertSettings, limit: int
) -> list[tuple[int, int | None]]:
    """Batches to send now, oldest stage first: due, or claimed by a worker that died."""
    lease = now - timedelta(seconds=settings.sending_lease_seconds)
    return [
        (row[0], row[1])
        for row in session.execute(
            select(AlertBatch.id, AlertBatch.endpoint_id)
            .where(
                or_(
                    and_(
                        AlertBatch.status.in_(("pending", "retry")),
                        AlertBatch.next_attempt_at <= now,
                    ),
                    and_(AlertBatch.status == "sending", AlertBatch.claimed_at <= lease),
                )
            )
            .order_by(AlertBatch.stage_id, AlertBatch.id)
            .limit(limit)
        ).all()
    ]


def send_due(
    db: Database,
    now: datetime,
    *,
    transports: dict[str, Transport] | None = None,
    settings: AlertSettings | None = None,
    limit: int = 5000,
) -> int:
    """Send the due batches; returns how many batches went out."""
    settings = settings or alert_settings()
    transports = transports or default_transports(settings.connect_timeout, settings.read_timeout)
    sent = 0
    with db.session() as session:
        due = due_batches(session, now, settings, limit)
        session.rollback()
        failing: set[int | None] = set()
        for batch_id, endpoint_id in due:
            if endpoint_id is not None and endpoint_id in failing:
                continue  # this endpoint failed in this pass: its batches wait for the next
            error = send_batch(session, batch_id, now, transports, settings)
            if error is not None:
                failing.add(endpoint_id)
            else:
                sent += 1
    return sent


# ---------------------------------------------------------------- status


def delivery_status(session: Session, alert: Alert) -> list[dict[str, Any]]:
    """Per stage and channel: recipients by batch status (for the case page)."""
    from sqlalchemy import func

    rows = session.execute(
        select(
            AlertStage.seq,
            AlertStage.kind,
            AlertBatch.channel,
            AlertBatch.status,
            func.sum(AlertBatch.size),
        )
        .join(AlertBatch, AlertBatch.stage_id == AlertStage.id)
        .where(AlertStage.alert_id == alert.id)
        .group_by(AlertStage.seq, AlertStage.kind, AlertBatch.channel, AlertBatch.status)
        .order_by(AlertStage.seq, AlertBatch.channel)
    ).all()
    table: dict[tuple[int, str, str], dict[str, int]] = {}
    for seq, kind, channel, status, n in rows:
        table.setdefault((seq, kind, channel), {})[status] = int(n or 0)
    return [
        {
            "stage": seq,
            "kind": kind,
            "channel": channel,
            "counts": counts,
            "total": sum(counts.values()),
        }
        for (seq, kind, channel), counts in table.items()
    ]
