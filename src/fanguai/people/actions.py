"""State changes of the people subject: create, reveal, erase, access grants, break-the-glass."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from fanguai.core.actions import action
from fanguai.core.actor import Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.db import new_public_id, utcnow
from fanguai.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from fanguai.org.models import Unit, User
from fanguai.outbox import enqueue
from fanguai.people import service
from fanguai.people.idcard import parse_id_card
from fanguai.people.models import AccessGrant, Person
from fanguai.people.schemas import PersonCreate
from fanguai.security.models import UserSession

log = logging.getLogger(__name__)

GRANT_HOURS = 8
BREAK_GLASS = timedelta(hours=2)
FRESH_MFA = timedelta(minutes=5)


def create_person(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    data: PersonCreate,
    now: datetime | None = None,
) -> Person:
    """Register a person for the actor's unit; identity fields are encrypted before storing."""
    now = now or utcnow()
    born = data.birth_date
    card = None
    if data.id_card:
        card = parse_id_card(data.id_card, today=service.today_in_beijing(now))
        if born is not None and born != card.birth_date:
            raise InvalidInput(
                "birth date differs from the one the ID number encodes", field="birth_date"
            )
        if data.sex != "unknown" and data.sex != card.sex:
            raise InvalidInput("sex differs from the one the ID number encodes", field="sex")
    with action(session, actor, "people.create", object_type="person") as act:
        actor.require("people.create")
        if actor.unit_id is None:
            raise Forbidden("only staff of a unit register people")
        public_id = new_public_id()
        subject_id = f"person:{uuid.uuid4()}"

        def seal(column: str, value: str | None) -> str | None:
            if value is None or value == "":
                return None
            return crypto.encrypt(
                value, subject_id=subject_id, table="person", column=column, row_id=public_id
            )

        person = Person(
            public_id=public_id,
            subject_id=subject_id,
            owner_unit_id=actor.unit_id,
            kind=data.kind,
            sex=data.sex,
            age_min=data.age_min,
            age_max=data.age_max,
            county_code=data.county_code,
            name=seal("name", data.name),
            former_names=seal(
                "former_names",
                json.dumps(data.former_names, ensure_ascii=False) if data.former_names else None,
            ),
            id_card=seal("id_card", card.number if card else None),
            id_card_index=(crypto.blind_index("person.id_card", card.number) if card else None),
            birth_date=seal("birth_date", born.isoformat() if born else None),
            phone=seal("phone", data.phone),
            address=seal("address", data.address),
            notes=seal("notes", data.notes),
            created_at=now,
        )
        session.add(person)
        session.flush()
        act.object_id = public_id
    return person


def reveal(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    public_id: str,
    fields: list[str],
    reason: str,
) -> dict[str, object]:
    """Show identity fields unmasked: a high-priority audit record names who, what and why."""
    unknown = sorted(set(fields) - set(service.REVEALABLE))
    if unknown:
        raise InvalidInput(f"cannot reveal: {', '.join(unknown)}", field="fields")
    with action(
        session,
        actor,
        "people.reveal",
        object_type="person",
        object_id=public_id,
        detail={"fields": sorted(fields), "reason": reason},
        priority="high",
    ):
        actor.require("people.unmask")
        person = service.get_person_for(session, actor=actor, public_id=public_id)
        service.check_minor_access(session, crypto, actor=actor, person=person)
        values = service.reveal_values(crypto, person, fields)
    return values


def erase(
    session: Session, crypto: FieldCrypto, *, actor: Actor, public_id: str, reason: str
) -> None:
    """Erase a person for good by destroying their data key (crypto-shredding)."""
    with action(
        session,
        actor,
        "people.erase",
        object_type="person",
        object_id=public_id,
        detail={"reason": reason},
        priority="high",
    ):
        actor.require("people.erase")
        person = service.get_person_for(session, actor=actor, public_id=public_id)
        if person.erased_at is not None:
            raise Conflict("person already erased")
        person.erased_at = utcnow()
        person.id_card_index = None
        for column in service.ENCRYPTED:
            setattr(person, column, None)
        session.flush()
        # Shred last: if the database write fails the key survives and nothing is half-erased.
        crypto.keystore.shred(person.subject_id)
    checkpoint_wal(session)


def checkpoint_wal(session: Session) -> None:
    """SQLite: fold the WAL into the database so old pages of erased rows do not linger (D8).

    Best effort, on a connection of its own outside any transaction; the test harness, whose
    sessions share one connection, skips it.
    """
    bind = session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name != "sqlite":
        return
    raw = bind.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception:  # noqa: BLE001 - a busy database checkpoints at the next opportunity
        log.warning("WAL checkpoint after erasure deferred")
    finally:
        raw.close()


def request_grant(session: Session, *, actor: Actor, public_id: str, reason: str) -> AccessGrant:
    """Ask a supervisor for time-limited access to a minor's record."""
    with action(
        session,
        actor,
        "grant.request",
        object_type="person",
        object_id=public_id,
        detail={"reason": reason},
    ) as act:
        actor.require("grants.request")
        person = service.get_person_for(session, actor=actor, public_id=public_id)
        grant = AccessGrant(
            person_id=person.id,
            requester_id=actor.user_id,
            kind="approval",
            reason=reason,
            status="pending",
        )
        session.add(grant)
        session.flush()
        act.detail["grant"] = grant.public_id
        enqueue(
            session,
            kind="grant.requested",
            unit_id=person.owner_unit_id,
            payload={"grant": grant.public_id},
        )
    return grant


def _grant_for(session: Session, actor: Actor, grant_id: str) -> AccessGrant:
    grant = session.execute(
        select(AccessGrant).where(AccessGrant.public_id == grant_id)
    ).scalar_one_or_none()
    if grant is None:
        raise NotFound("grant not found")
    person = session.get(Person, grant.person_id)
    if person is None or not service.in_scope(actor, person):
        raise NotFound("grant not found")
    return grant


def decide_grant(
    session: Session, *, actor: Actor, grant_id: str, approve: bool, hours: int = GRANT_HOURS
) -> AccessGrant:
    """A supervisor approves or rejects; nobody approves their own request."""
    with action(
        session,
        actor,
        "grant.approve" if approve else "grant.reject",
        object_type="grant",
        object_id=grant_id,
    ):
        actor.require("grants.approve")
        grant = _grant_for(session, actor, grant_id)
        if grant.requester_id == actor.user_id:
            raise Forbidden("a request cannot be approved by the person who made it")
        if grant.status != "pending":
            raise Conflict(f"grant is {grant.status}, not pending")
        now = utcnow()
        grant.status = "approved" if approve else "rejected"
        grant.approver_id = actor.user_id
        grant.decided_at = now
        if approve:
            grant.expires_at = now + timedelta(hours=max(1, min(hours, 24)))
    return grant


def break_glass(
    session: Session,
    *,
    actor: Actor,
    public_id: str,
    reason: str,
    session_token_hash: str,
    now: datetime | None = None,
) -> AccessGrant:
    """Emergency access for two hours: reason, fresh second factor, high-priority audit, and
    the supervisors are told and must review it."""
    now = now or utcnow()
    if len(reason.strip()) < 20:
        raise InvalidInput("reason must be at least 20 characters", field="reason")
    with action(
        session,
        actor,
        "grant.break_glass",
        object_type="person",
        object_id=public_id,
        detail={"reason": reason},
        priority="high",
    ) as act:
        actor.require("grants.break_glass")
        row = session.get(UserSession, session_token_hash)
        if row is None or row.mfa_at is None or now - row.mfa_at > FRESH_MFA:
            raise NotAuthenticated(
                "break-the-glass needs a second factor entered in the last 5 minutes"
            )
        person = service.get_person_for(session, actor=actor, public_id=public_id)
        grant = AccessGrant(
            person_id=person.id,
            requester_id=actor.user_id,
            kind="break_glass",
            reason=reason,
            status="approved",
            decided_at=now,
            expires_at=now + BREAK_GLASS,
        )
        session.add(grant)
        session.flush()
        act.detail["grant"] = grant.public_id
        enqueue(
            session,
            kind="grant.break_glass",
            unit_id=person.owner_unit_id,
            payload={"grant": grant.public_id, "requester": actor.name},
        )
    return grant


def review_break_glass(session: Session, *, actor: Actor, grant_id: str, note: str) -> AccessGrant:
    """A supervisor records their review of an emergency access."""
    with action(
        session,
        actor,
        "grant.review",
        object_type="grant",
        object_id=grant_id,
        detail={"note": note},
    ):
        actor.require("grants.approve")
        grant = _grant_for(session, actor, grant_id)
        if grant.kind != "break_glass":
            raise Conflict("only break-the-glass grants are reviewed")
        if grant.requester_id == actor.user_id:
            raise Forbidden("an emergency access is reviewed by someone else")
        grant.reviewed_by_id = actor.user_id
        grant.review_note = note
    return grant


def pending_grants(session: Session, *, actor: Actor) -> list[AccessGrant]:
    """Requests waiting for this supervisor, and emergency accesses waiting for review."""
    actor.require("grants.approve")
    rows = (
        session.execute(
            select(AccessGrant)
            .join(Person, Person.id == AccessGrant.person_id)
            .join(Unit, Unit.id == Person.owner_unit_id)
            .where(service.scope_clause(actor))
            .order_by(AccessGrant.id.desc())
        )
        .scalars()
        .all()
    )
    return [
        g
        for g in rows
        if g.status == "pending" or (g.kind == "break_glass" and g.reviewed_by_id is None)
    ]


def user_name(session: Session, user_id: int | None) -> str | None:
    """A user's login name (for grant listings)."""
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.username if user else None
