"""Submitting a lead: from the public (behind a proof of work), the hotline, an integration, or a
registered institution (mandatory report).

The slow parts run before the write transaction: re-encoding photos, creating the lead's data key
and encrypting its fields, drawing the tracking code, looking for near-duplicates. The
transaction itself checks the idempotency key and the challenge and writes the rows, so writers
hold the (SQLite) write lock briefly.

A public lead keeps its arrival time to the hour only, and so do the rows written with it (its
timeline's first step, its deadline task, the notifications): nothing stored with it tells when
exactly it came, and its audit record does not name it (H4).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fanguai.core.actions import ActionContext, action
from fanguai.core.actor import ANONYMOUS, Actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.db import new_public_id, utcnow
from fanguai.errors import Conflict, InvalidInput
from fanguai.leads import abuse, catalogue, routing, service
from fanguai.leads.actions import event, notify, start_deadline
from fanguai.leads.attachments import AttachmentRefused, CleanImage, clean_image
from fanguai.leads.models import Institution, Lead, LeadAttachment, LeadIdempotency
from fanguai.leads.schemas import LeadInput, PublicLeadInput, ReportInput
from fanguai.org.models import Unit
from fanguai.outbox import OutboxMessage


@dataclass
class Submission:
    """The answer to a submission (repeated as it was for a retried idempotency key)."""

    status_code: int
    body: dict[str, Any]
    lead_id: str | None = None
    replay: bool = False
    refused: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Intake:
    """Who sends a lead and through which door."""

    actor: Actor
    channel: str  # public | hotline | api | portal
    scope: str  # whose idempotency keys these are
    reporter_kind: str  # anonymous | named | institution
    institution: Institution | None = None


@dataclass
class _Prepared:
    """Everything of a new lead that can be made before the write transaction."""

    lead: Lead
    unit: Unit
    passphrase: str
    attachments: list[LeadAttachment]
    refused: list[str]
    duplicate: tuple[int, str] | None  # id and tracking code of a near-duplicate


# --- photos ----------------------------------------------------------------------------------


def clean_attachments(items: list[bytes]) -> tuple[list[CleanImage], list[str]]:
    """Re-encode the photos; refused ones are named by position and reason, never fatal."""
    kept: list[CleanImage] = []
    refused: list[str] = []
    for position, data in enumerate(items, start=1):
        if len(kept) >= catalogue.MAX_ATTACHMENTS:
            refused.append(f"{position}:too_many")
            continue
        try:
            kept.append(clean_image(data))
        except AttachmentRefused as exc:
            refused.append(f"{position}:{exc.reason}")
    return kept, refused


def decode_attachments(content: LeadInput) -> list[bytes]:
    """The API's base64 photos as bytes (one that does not decode is refused later as empty)."""
    out = []
    for item in content.attachments:
        try:
            out.append(base64.b64decode(item.data_base64, validate=True))
        except (binascii.Error, ValueError):
            out.append(b"")
    return out


def _sealed_attachments(
    crypto: FieldCrypto, lead: Lead, images: list[CleanImage]
) -> list[LeadAttachment]:
    out = []
    for image in images:
        public_id = new_public_id()
        out.append(
            LeadAttachment(
                public_id=public_id,
                content_type=image.content_type,
                byte_size=len(image.data),
                width=image.width,
                height=image.height,
                data=crypto.encrypt(
                    base64.b64encode(image.data).decode("ascii"),
                    subject_id=lead.subject_id,
                    table="lead_attachment",
                    column="data",
                    row_id=public_id,
                ),
            )
        )
    return out


# --- near-duplicates ---------------------------------------------------------------------------


def _bigrams(text_: str) -> set[str]:
    chars = re.sub(r"[\W_]+", "", text_.lower())
    return {chars[i : i + 2] for i in range(len(chars) - 1)} or ({chars} if chars else set())


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' character bigrams (0..1)."""
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def _fingerprint(content: LeadInput) -> str:
    return content.description


def find_duplicate(
    session: Session,
    crypto: FieldCrypto,
    *,
    county: str,
    lead_type: str,
    hour: datetime,
    fingerprint: str,
) -> tuple[int, str] | None:
    """The most similar recent lead of the same county and type, if similar enough (the newest
    DUPLICATE_CANDIDATES are compared; their text is decrypted for it, nothing is stored)."""
    since = hour - timedelta(hours=catalogue.DUPLICATE_WINDOW_HOURS)
    rows = session.execute(
        select(Lead.id, Lead.tracking_code, Lead.public_id, Lead.subject_id, Lead.description)
        .where(
            Lead.county_code == county,
            Lead.lead_type == lead_type,
            Lead.status != "quarantined",
            Lead.received_hour >= since,
        )
        .order_by(Lead.id.desc())
        .limit(catalogue.DUPLICATE_CANDIDATES)
    ).all()
    mine = _bigrams(fingerprint)
    best, best_score = None, 0.0
    for row in rows:
        text_ = crypto.decrypt(
            row.description,
            subject_id=row.subject_id,
            table="lead",
            column="description",
            row_id=row.public_id,
        )
        theirs = _bigrams(text_)
        score = len(mine & theirs) / len(mine | theirs) if mine and theirs else 0.0
        if score > best_score:
            best, best_score = row, score
    if best is None or best_score < catalogue.DUPLICATE_SIMILARITY:
        return None
    return best.id, best.tracking_code


# --- idempotency -------------------------------------------------------------------------------


def _lock_key(session: Session, scope: str, key_hash: str) -> None:
    """PostgreSQL: serialise requests with one idempotency key (SQLite serialises all writes)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    number = int.from_bytes(hashlib.sha256(f"{scope}|{key_hash}".encode()).digest()[:8], "big")
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": number - (1 << 63)})


def replay(
    session: Session, crypto: FieldCrypto, scope: str, key_hash: str, request_hash: str
) -> Submission | None:
    """The stored answer for this key, None for a new key, 422 for another request's key."""
    row = session.execute(
        select(LeadIdempotency).where(
            LeadIdempotency.scope == scope, LeadIdempotency.key_hash == key_hash
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise InvalidInput(
            "this Idempotency-Key was used for a different request", field="Idempotency-Key"
        )
    lead = session.get(Lead, row.lead_id)
    assert lead is not None
    body = json.loads(
        crypto.decrypt(
            row.response,
            subject_id=lead.subject_id,
            table="lead_idempotency",
            column="response",
            row_id=key_hash,
        )
    )
    return Submission(row.status_code, body, lead_id=lead.public_id, replay=True)


def _remember(
    session: Session,
    crypto: FieldCrypto,
    lead: Lead,
    *,
    scope: str,
    key_hash: str,
    request_hash: str,
    answer: Submission,
    now: datetime,
) -> None:
    session.add(
        LeadIdempotency(
            scope=scope,
            key_hash=key_hash,
            request_hash=request_hash,
            lead_id=lead.id,
            status_code=answer.status_code,
            response=crypto.encrypt(
                json.dumps(answer.body, ensure_ascii=False),
                subject_id=lead.subject_id,
                table="lead_idempotency",
                column="response",
                row_id=key_hash,
            ),
            expires_at=service.next_hour(now) + timedelta(hours=catalogue.IDEMPOTENCY_TTL_HOURS),
        )
    )


# --- the new lead -----------------------------------------------------------------------------


def _last_seen(value: datetime | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=service.BEIJING)  # a form's local time is Beijing time
    value = value.astimezone(UTC)
    if value > now + timedelta(minutes=10):
        raise InvalidInput("the time last seen lies in the future", field="last_seen_at")
    return value


def _unique_tracking_code(session: Session) -> str:
    for _ in range(8):
        code = service.new_tracking_code()
        if session.execute(select(Lead.id).where(Lead.tracking_code == code)).first() is None:
            return code
    raise Conflict("could not draw a free tracking code; try again")  # pragma: no cover


def _sealed_fields(
    crypto: FieldCrypto, lead: Lead, intake: Intake, content: LeadInput
) -> dict[str, str | None]:
    named = content.reporter if intake.reporter_kind == "named" else None
    values = {
        "reporter_name": named.name if named else None,
        "reporter_phone": named.phone if named else None,
        "description": content.description,
        "child": content.child.model_dump_json() if content.child else None,
        "place_text": content.place_text,
        "point": f"{content.lat:.6f},{content.lng:.6f}" if content.lat is not None else None,
    }
    return {column: service.seal(crypto, lead, column, value) for column, value in values.items()}


def _prepare(
    session: Session,
    crypto: FieldCrypto,
    intake: Intake,
    content: LeadInput,
    *,
    county: str,
    photos: list[bytes],
    now: datetime,
) -> _Prepared:
    """The new lead with its fields encrypted and its photos re-encoded (nothing written)."""
    public = intake.channel == "public"
    images, refused = clean_attachments(photos)
    unit = routing.unit_for(
        session, county, catalogue.department_for(content.lead_type, channel=intake.channel)
    )
    hour = service.hour_of(now)
    passphrase, salt = service.new_passphrase(), secrets.token_hex(16)
    lead = Lead(
        public_id=new_public_id(),
        subject_id=f"lead:{uuid.uuid4()}",
        tracking_code=_unique_tracking_code(session),
        passphrase_salt=salt,
        passphrase_hash=service.passphrase_digest(salt, passphrase),
        channel=intake.channel,
        lead_type=content.lead_type,
        urgency=catalogue.urgency_for(
            content.lead_type, danger_now=content.danger_now, channel=intake.channel
        ),
        status="received",
        county_code=county,
        received_month=service.month_of(hour if public else now),
        received_hour=hour,
        received_at=None if public else now,
        owner_unit_id=unit.id,
        institution_id=intake.institution.id if intake.institution else None,
        intake_user_id=intake.actor.user_id,
        reporter_kind=intake.reporter_kind,
        last_seen_at=_last_seen(content.last_seen_at, now),
        ack_due_at=now,
    )
    for column, token in _sealed_fields(crypto, lead, intake, content).items():
        setattr(lead, column, token)
    duplicate = find_duplicate(
        session,
        crypto,
        county=county,
        lead_type=content.lead_type,
        hour=hour,
        fingerprint=_fingerprint(content),
    )
    attachments = _sealed_attachments(crypto, lead, images)
    session.rollback()  # end the reads: the action starts its own transaction
    return _Prepared(lead, unit, passphrase, attachments, refused, duplicate)


def _check_proof(
    session: Session, proof: tuple[bytes, str, str, str | None], now: datetime
) -> str | None:
    """Verify and spend the challenge; the bot signal it shows (or None)."""
    secret, token, nonce, honeypot = proof
    challenge = abuse.parse_challenge(secret, token, now=now)
    if not abuse.solves(challenge, nonce):
        raise InvalidInput("the proof of work does not solve the challenge", field="nonce")
    abuse.spend_challenge(session, challenge)
    return abuse.bot_signal(honeypot=honeypot, challenge=challenge, now=now)


def _write(
    session: Session,
    crypto: FieldCrypto,
    prepared: _Prepared,
    *,
    quarantine: str | None,
    public: bool,
    now: datetime,
    act: ActionContext,
) -> None:
    """Insert the lead, its photos and timeline, and (unless quarantined) route it."""
    lead, unit = prepared.lead, prepared.unit
    start = service.next_hour(now) if public else now
    lead.status = "quarantined" if quarantine else "received"
    lead.quarantine_reason = quarantine
    # Everything set before the insert: a new lead starts at version 1.
    lead.ack_due_at = start if quarantine else routing.ack_deadline(lead.urgency, start=start)
    if quarantine is None and prepared.duplicate is not None:
        lead.duplicate_of_id = prepared.duplicate[0]
    session.add(lead)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("a concurrent request used the same challenge or code; retry") from None
    at = service.hour_of(now) if public else now
    event(session, crypto, lead, "received", at=at, to_unit=unit)
    for attachment in prepared.attachments:
        attachment.lead_id = lead.id
        session.add(attachment)
    for item in prepared.refused:
        event(session, crypto, lead, "attachment_refused", at=at, note=item)
    if quarantine is not None:
        act.detail["quarantined"] = True
        return
    if prepared.duplicate is not None:
        event(session, crypto, lead, "duplicate_linked", at=at, note=prepared.duplicate[1])
    start_deadline(session, lead, unit, start=start, created_at=at)
    notify(session, "lead.received", lead, unit)


def _coarsen_new_rows(session: Session, hour: datetime) -> None:
    """Give the notifications written with a public lead the hour only (H4)."""
    for obj in list(session.new):
        if isinstance(obj, OutboxMessage):
            obj.created_at = hour


def submit(
    session: Session,
    crypto: FieldCrypto,
    intake: Intake,
    content: LeadInput,
    *,
    photos: list[bytes],
    idempotency_key: str | None,
    now: datetime,
    proof: tuple[bytes, str, str, str | None] | None = None,
    quarantine: str | None = None,
) -> Submission:
    """Store one lead, or repeat the answer for a retried key (see the module docstring).

    ``proof`` is (secret, challenge, nonce, honeypot) for the public channel; its bot signals
    decide ``quarantine`` (which the demo may also set)."""
    county = routing.resolve_county(
        county_code=content.county_code,
        lat=content.lat,
        lng=content.lng,
        place_text=content.place_text,
    )
    prepared = _prepare(session, crypto, intake, content, county=county, photos=photos, now=now)
    key = abuse.key_hash(idempotency_key) if idempotency_key else None
    request = abuse.request_hash({"content": content.content(), "channel": intake.channel})
    public = intake.channel == "public"
    lead = prepared.lead
    with action(
        session,
        intake.actor,
        "leads.submit",
        object_type="lead",
        detail={"channel": intake.channel},
    ) as act:
        if key is not None:
            _lock_key(session, intake.scope, key)
            replayed = replay(session, crypto, intake.scope, key, request)
            if replayed is not None:
                act.detail["replay"] = True
                act.object_id = None if public else replayed.lead_id
                return replayed
        if proof is not None:
            quarantine = _check_proof(session, proof, now)
        _write(session, crypto, prepared, quarantine=quarantine, public=public, now=now, act=act)
        if public:
            # Before anything flushes the notifications: their exact time never reaches disk.
            _coarsen_new_rows(session, service.hour_of(now))
        answer = Submission(
            201,
            {
                "tracking_code": lead.tracking_code,
                "passphrase": prepared.passphrase,
                "status": "received",
                "refused_attachments": prepared.refused,
            },
            lead_id=lead.public_id,
            refused=prepared.refused,
        )
        if key is not None:
            _remember(
                session,
                crypto,
                lead,
                scope=intake.scope,
                key_hash=key,
                request_hash=request,
                answer=answer,
                now=now,
            )
            try:
                session.flush()
            except IntegrityError:
                raise Conflict("a request with this Idempotency-Key is in progress") from None
        if not public:
            act.object_id = lead.public_id
        act.detail["urgency"] = lead.urgency
    return answer


def submit_public(
    session: Session,
    crypto: FieldCrypto,
    *,
    data: PublicLeadInput,
    photos: list[bytes],
    idempotency_key: str | None,
    secret: bytes,
    now: datetime | None = None,
) -> Submission:
    """A lead from a member of the public (named or anonymous), behind a proof of work."""
    kind = "named" if data.reporter is not None else "anonymous"
    return submit(
        session,
        crypto,
        Intake(ANONYMOUS, "public", "public", kind),
        data,
        photos=photos,
        idempotency_key=idempotency_key,
        now=now or utcnow(),
        proof=(secret, data.challenge, data.nonce, data.website),
    )


def submit_staff(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    data: LeadInput,
    photos: list[bytes],
    idempotency_key: str | None,
    channel: str = "hotline",
    now: datetime | None = None,
) -> Submission:
    """A lead taken by staff on the hotline, or sent by an integration through the API."""
    actor.require("leads.intake")
    kind = "named" if data.reporter is not None else "anonymous"
    return submit(
        session,
        crypto,
        Intake(actor, channel, f"user:{actor.user_public_id}", kind),
        data,
        photos=photos,
        idempotency_key=idempotency_key,
        now=now or utcnow(),
    )


def submit_report(
    session: Session,
    crypto: FieldCrypto,
    *,
    actor: Actor,
    data: ReportInput,
    photos: list[bytes],
    idempotency_key: str | None,
    now: datetime | None = None,
) -> Submission:
    """A mandatory report from a registered institution: to the police at once."""
    institution = service.institution_of(session, actor)
    lead = data.as_lead()
    if not (lead.county_code or lead.place_text):
        lead = lead.model_copy(update={"county_code": institution.county_code})
    return submit(
        session,
        crypto,
        Intake(actor, "portal", f"user:{actor.user_public_id}", "institution", institution),
        lead,
        photos=photos,
        idempotency_key=idempotency_key,
        now=now or utcnow(),
    )
