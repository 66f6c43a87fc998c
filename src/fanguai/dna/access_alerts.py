"""R-DNA-5: unusual volumes of DNA access raise an alert.

The worker job ``dna.access_alerts`` counts, from the audit log, each staff user's DNA reads —
profile reads (``dna.profile.read``: a specimen's page, and each specimen of a match whose
per-locus detail is opened) and reveals (``dna.reveal``) — over two windows: the clock hour and
the Beijing calendar day. A user whose reads in a window exceed the threshold
(``FANGUAI_DNA_ALERT_READS_PER_HOUR``, 60; ``FANGUAI_DNA_ALERT_READS_PER_DAY``, 200) raises,
once per user and window:

- a high-priority audit event ``dna.access_alert`` (the user, the window, the count);
- a tracked task ``dna.access_review`` for the user's unit, assigned to a supervisor of that
  unit who may approve DNA reveals (the lab chief), due the next day;
- a notice to each audit administrator through the outbox.

``dna_access_alert`` remembers what was raised, so a re-run raises nothing twice. Each run looks
back over every window that ended or began in the last two days (``LOOKBACK``), so reads late in
a window are counted after it closes and a worker stopped for up to two days loses no alert.
Windows are fixed (clock hour, Beijing day), not rolling: a user can read up to twice a limit
across a window boundary before either window crosses it; the daily limit bounds that.
Times come from the worker's controlled clock.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.audit.models import AuditEvent
from fanguai.core.actions import action
from fanguai.core.actor import system_actor
from fanguai.dna.models import AccessAlert
from fanguai.org.models import User
from fanguai.outbox import enqueue
from fanguai.security.roles import permissions_for
from fanguai.tasks.service import create_task

BEIJING = ZoneInfo("Asia/Shanghai")
READ_ACTIONS = ("dna.profile.read", "dna.reveal")
WINDOWS = ("hour", "day")
TASK_KIND = "dna.access_review"
REVIEW_HOURS = 24
LOOKBACK = timedelta(days=2)
WINDOW_LABELS = {"hour": "1小时", "day": "1天"}


@dataclass(frozen=True)
class Raised:
    """One alert raised by a run."""

    user_id: int
    window: str
    window_start: datetime
    reads: int


def window_start(window: str, at: datetime) -> datetime:
    """The start (UTC) of the clock hour or Beijing day holding ``at``."""
    if window == "hour":
        return at.astimezone(BEIJING).replace(minute=0, second=0, microsecond=0)
    local = at.astimezone(BEIJING)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def reads_between(session: Session, start: datetime, stop: datetime) -> list[tuple[str, datetime]]:
    """Each DNA read (user public ID, time) with ``start <= at < stop``."""
    rows = session.execute(
        select(AuditEvent.actor_user_id, AuditEvent.at).where(
            AuditEvent.action.in_(READ_ACTIONS),
            AuditEvent.outcome == "success",
            AuditEvent.actor_user_id.is_not(None),
            AuditEvent.at >= start,
            AuditEvent.at < stop,
        )
    ).all()
    return [(str(user), at) for user, at in rows]


def reviewer_for(session: Session, user: User) -> User | None:
    """A supervisor of the user's unit who approves DNA reveals (the lab chief), if any."""
    candidates = session.execute(
        select(User)
        .where(User.unit_id == user.unit_id, User.is_active.is_(True), User.id != user.id)
        .order_by(User.id)
    ).scalars()
    for other in candidates:
        permissions = permissions_for(other.role_codes)
        if "grants.approve" in permissions and "dna.reveal" in permissions:
            return other
    return None


def _audit_admins(session: Session) -> list[User]:
    users = session.execute(select(User).where(User.is_active.is_(True))).scalars()
    return [u for u in users if "audit.read" in permissions_for(u.role_codes)]


def thresholds(settings) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {"hour": settings.dna_alert_reads_per_hour, "day": settings.dna_alert_reads_per_day}


def raise_alerts(session: Session, *, limits: dict[str, int], now: datetime) -> list[Raised]:
    """Raise each alert due at ``now`` (one action per alert); returns what was raised."""
    reads = reads_between(session, now - LOOKBACK, now + timedelta(microseconds=1))
    raised = []
    for window in WINDOWS:
        counts = Counter((user, window_start(window, at)) for user, at in reads)
        for (user_public_id, start), count in sorted(counts.items()):
            if count <= limits[window]:
                continue
            done = _raise(session, user_public_id, window, start, count, limits[window], now)
            if done is not None:
                raised.append(done)
    return raised


def _raise(
    session: Session,
    user_public_id: str,
    window: str,
    start: datetime,
    reads: int,
    threshold: int,
    now: datetime,
) -> Raised | None:
    user = session.execute(
        select(User).where(User.public_id == user_public_id)
    ).scalar_one_or_none()
    if user is None:
        return None
    utc_start = start.astimezone(UTC)
    seen = session.execute(
        select(AccessAlert.id).where(
            AccessAlert.user_id == user.id,
            AccessAlert.window == window,
            AccessAlert.window_start == utc_start,
        )
    ).first()
    if seen is not None:
        return None
    detail = {
        "window": window,
        "window_start": start.isoformat(),
        "reads": reads,
        "threshold": threshold,
    }
    with action(
        session,
        system_actor("dna.access_alerts"),
        "dna.access_alert",
        object_type="staff_user",
        object_id=user.public_id,
        detail=detail,
        priority="high",
    ):
        reviewer = reviewer_for(session, user)
        local = start.astimezone(BEIJING)
        when = local.strftime("%Y-%m-%d %H:00") if window == "hour" else local.strftime("%Y-%m-%d")
        task = create_task(
            session,
            kind=TASK_KIND,
            title=(
                f"复核DNA数据访问量：{user.display_name}（{user.username}）在{when}起"
                f"{WINDOW_LABELS[window]}内读取{reads}次，超过阈值{threshold}次"
            ),
            subject_type="staff_user",
            subject_id=user.public_id,
            owner_unit=user.unit,
            due_at=now + timedelta(hours=REVIEW_HOURS),
            assignee_id=reviewer.id if reviewer is not None else None,
            now=now,
        )
        session.add(
            AccessAlert(
                user_id=user.id,
                window=window,
                window_start=utc_start,
                reads=reads,
                threshold=threshold,
                task_id=task.id,
                created_at=now,
            )
        )
        for admin in _audit_admins(session):
            enqueue(
                session,
                kind="dna.access_alert",
                user_id=admin.id,
                payload={"user": user.public_id, "task": task.public_id, **detail},
            )
    return Raised(user.id, window, utc_start, reads)
