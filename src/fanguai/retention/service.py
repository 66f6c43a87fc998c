"""Legal holds: place, release, list, and the check every purge makes (``held_ids``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import Conflict, InvalidInput, NotFound
from fanguai.retention.models import HOLD_TYPES, LegalHold
from fanguai.settings import Settings

REASON_MIN = 4
REASON_MAX = 500


def held_ids(session: Session, object_type: str, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` (public IDs of ``object_type``) a standing legal hold protects."""
    wanted = list(dict.fromkeys(ids))
    out: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        out.update(
            session.execute(
                select(LegalHold.object_id).where(
                    LegalHold.object_type == object_type,
                    LegalHold.object_id.in_(chunk),
                    LegalHold.released_at.is_(None),
                )
            ).scalars()
        )
    return out


def is_held(session: Session, object_type: str, object_id: str) -> bool:
    """Whether a standing legal hold protects the record."""
    return bool(held_ids(session, object_type, [object_id]))


def _reason(value: str | None, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{field}: a reason is required", field=field)
    if len(text) < REASON_MIN:
        raise InvalidInput(f"{field}: at least {REASON_MIN} characters", field=field)
    if len(text) > REASON_MAX:
        raise InvalidInput(f"{field}: at most {REASON_MAX} characters", field=field)
    return text


def _check_type(object_type: str) -> None:
    if object_type not in HOLD_TYPES:
        raise InvalidInput(
            f"object_type: {object_type!r} is not one of {', '.join(HOLD_TYPES)}",
            field="object_type",
        )


def _require_visible(session: Session, actor: Actor, object_type: str, object_id: str) -> None:
    from fanguai.retention.schedule import visible

    if not visible(session, actor, object_type, object_id):
        raise NotFound(f"{object_type} not found", field="object_id")


def place_hold(
    session: Session, *, actor: Actor, object_type: str, object_id: str, reason: str
) -> LegalHold:
    """Place a legal hold on a record the actor can see (one standing hold per record)."""
    object_id = (object_id or "").strip()
    with action(
        session,
        actor,
        "retention.hold",
        object_type=object_type if object_type in HOLD_TYPES else None,
        object_id=object_id[:36] or None,
        priority="high",
    ) as act:
        actor.require("retention.hold")
        _check_type(object_type)
        text = _reason(reason, "reason")
        _require_visible(session, actor, object_type, object_id)
        from fanguai.retention.schedule import lock_record

        lock_record(session, object_type, object_id)  # a running purge of it finishes first
        if is_held(session, object_type, object_id):
            raise Conflict(f"{object_type} {object_id} is already under a legal hold")
        hold = LegalHold(
            object_type=object_type,
            object_id=object_id,
            reason=text,
            placed_by_id=actor.user_id,
            placed_by_name=actor.name,
            placed_at=utcnow(),
        )
        session.add(hold)
        session.flush()
        act.detail["hold"] = hold.public_id
    return hold


def get_hold_for(session: Session, *, actor: Actor, public_id: str) -> LegalHold:
    """A hold on a record the actor can see, else NotFound."""
    actor.require("retention.hold")
    hold = session.execute(
        select(LegalHold).where(LegalHold.public_id == public_id)
    ).scalar_one_or_none()
    if hold is None:
        raise NotFound("hold not found")
    from fanguai.retention.schedule import visible

    if not visible(session, actor, hold.object_type, hold.object_id):
        raise NotFound("hold not found")
    return hold


def release_hold(session: Session, *, actor: Actor, public_id: str, reason: str) -> LegalHold:
    """Release a standing hold; the record is purged on the next run if its period has ended."""
    with action(
        session,
        actor,
        "retention.release",
        object_type="retention_hold",
        object_id=public_id,
        priority="high",
    ) as act:
        hold = get_hold_for(session, actor=actor, public_id=public_id)
        text = _reason(reason, "reason")
        if hold.released_at is not None:
            raise Conflict("the hold is already released")
        hold.released_at = utcnow()
        hold.released_by_id = actor.user_id
        hold.released_by_name = actor.name
        hold.release_reason = text
        act.detail.update(record_type=hold.object_type, record=hold.object_id)
    return hold


def list_holds(session: Session, *, actor: Actor, active_only: bool = False) -> list[LegalHold]:
    """Holds on records the actor can see, newest first."""
    from fanguai.retention.schedule import scope_ids

    actor.require("retention.hold")
    out: list[LegalHold] = []
    for object_type in HOLD_TYPES:
        ids = scope_ids(actor, object_type)
        if ids is None:
            continue
        stmt = select(LegalHold).where(
            LegalHold.object_type == object_type, LegalHold.object_id.in_(ids)
        )
        if active_only:
            stmt = stmt.where(LegalHold.released_at.is_(None))
        out.extend(session.execute(stmt).scalars())
    return sorted(out, key=lambda h: (h.placed_at, h.id), reverse=True)


def _in_scope(session: Session, scope, ids: list[str]) -> set[str]:  # type: ignore[no-untyped-def]
    sub = scope.subquery()
    out: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        out.update(session.execute(select(sub.c[0]).where(sub.c[0].in_(chunk))).scalars())
    return out


@dataclass(frozen=True)
class ClassRow:
    """One line of the schedule as a person sees it."""

    code: str
    object_type: str
    clock: str
    months: int | None
    action: str
    handled_by: str | None
    due: int | None  # records due now in the actor's scope (None: not the actor's to see)
    held: int | None


def schedule_rows(
    session: Session, *, actor: Actor | None, settings: Settings, now: datetime
) -> list[ClassRow]:
    """The schedule with the records due now; counts only over what ``actor`` can see
    (``None``: every record, for the operator's command line)."""
    from fanguai.retention import schedule as sch

    if actor is not None:
        actor.require("retention.hold")
    rows = []
    for c in sch.CLASSES:
        due: int | None = None
        held: int | None = None
        if c.object_type:
            ids = [d.object_id for d in sch.due(session, c, settings, now)]
            if actor is not None:
                scope = sch.scope_ids(actor, c.object_type)
                if scope is None:
                    ids = None  # type: ignore[assignment]
                else:
                    seen = _in_scope(session, scope, ids)
                    ids = [i for i in ids if i in seen]
            if ids is not None:
                due = len(ids)
                held = len(held_ids(session, c.object_type, ids))
        rows.append(
            ClassRow(
                code=c.code,
                object_type=c.object_type,
                clock=c.clock,
                months=c.months(settings),
                action=c.action,
                handled_by=c.handled_by,
                due=due,
                held=held,
            )
        )
    return rows
