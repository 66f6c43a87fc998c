"""JSON routes of the people subject."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.audit.service import canonical_row
from fanguai.core import actions as core_actions
from fanguai.core.actor import Actor
from fanguai.errors import NotFound
from fanguai.people import actions, service
from fanguai.people.models import Person
from fanguai.people.schemas import (
    BreakGlassRequest,
    GrantRead,
    GrantRequest,
    PersonCreate,
    PersonDetail,
    PersonSummary,
    RevealRequest,
)
from fanguai.security.crypto_runtime import field_crypto
from fanguai.security.service import token_hash
from fanguai.web.deps import SESSION_COOKIE, get_session, require

router = APIRouter(prefix="/api", tags=["people"])


class PersonPage(BaseModel):
    """One page of masked people."""

    items: list[PersonSummary]
    total: int


@router.get("/people", response_model=PersonPage)
def list_people(
    kind: str | None = Query(None, max_length=24),
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("people.read"),
    session: Session = Depends(get_session),
) -> PersonPage:
    """People in scope, identity masked."""
    items, total = service.list_people(session, field_crypto(), actor=actor, kind=kind, page=page)
    return PersonPage(items=items, total=total)


class IdCardQuery(BaseModel):
    """An ID number to look up (in the body, never in a URL)."""

    model_config = ConfigDict(extra="forbid")

    id_card: str = Field(min_length=15, max_length=20)


@router.post("/people/search", response_model=PersonPage)
def search_people(
    body: IdCardQuery,
    actor: Actor = require("people.read"),
    session: Session = Depends(get_session),
) -> PersonPage:
    """Find people by ID number through the blind index (the number never enters a URL)."""
    items, total = service.list_people(session, field_crypto(), actor=actor, id_card=body.id_card)
    return PersonPage(items=items, total=total)


@router.post("/people", response_model=PersonSummary, status_code=201)
def create_person(
    body: PersonCreate,
    actor: Actor = require("people.create"),
    session: Session = Depends(get_session),
) -> PersonSummary:
    """Register a person for the user's unit."""
    crypto = field_crypto()
    person = actions.create_person(session, crypto, actor=actor, data=body)
    return service.summary(crypto, person, service.today_in_beijing())


@router.get("/people/{person_id}", response_model=PersonDetail)
def get_person(
    person_id: str,
    actor: Actor = require("people.read"),
    session: Session = Depends(get_session),
) -> PersonDetail:
    """One record (masked identity); minors' records need an approved grant. Audited."""
    crypto = field_crypto()
    person = service.get_person_for(session, actor=actor, public_id=person_id)
    try:
        service.check_minor_access(session, crypto, actor=actor, person=person)
    except Exception:
        core_actions.record(
            session,
            actor,
            "people.read",
            outcome="denied",
            object_type="person",
            object_id=person_id,
            message="minor's record without an approved grant",
        )
        raise
    result = service.detail(crypto, person, service.today_in_beijing())
    core_actions.record(
        session, actor, "people.read", outcome="success", object_type="person", object_id=person_id
    )
    return result


@router.post("/people/{person_id}/reveal")
def reveal(
    person_id: str,
    body: RevealRequest,
    actor: Actor = require("people.unmask"),
    session: Session = Depends(get_session),
) -> dict[str, object]:
    """Identity fields unmasked, for a stated reason (high-priority audit)."""
    return actions.reveal(
        session,
        field_crypto(),
        actor=actor,
        public_id=person_id,
        fields=body.fields,
        reason=body.reason,
    )


@router.post("/people/{person_id}/erase", status_code=204)
def erase(
    person_id: str,
    body: GrantRequest,
    actor: Actor = require("people.erase"),
    session: Session = Depends(get_session),
) -> None:
    """Erase a person for good (crypto-shredding)."""
    actions.erase(session, field_crypto(), actor=actor, public_id=person_id, reason=body.reason)


@router.get("/people/{person_id}/access-log")
def access_log(
    person_id: str,
    actor: Actor = require("people.access_log"),
    session: Session = Depends(get_session),
) -> list[dict[str, object]]:
    """Who accessed this record (the owner unit's supervisors)."""
    person = service.get_person_for(session, actor=actor, public_id=person_id)
    return [canonical_row(e) for e in service.access_log(session, actor=actor, person=person)]


@router.get("/admin/audit/people/{person_id}/access-log")
def audit_access_log(
    person_id: str,
    actor: Actor = require("audit.read"),
    session: Session = Depends(get_session),
) -> list[dict[str, object]]:
    """Who accessed this record (the audit admin, without seeing the record itself)."""
    person = session.execute(
        select(Person).where(Person.public_id == person_id)
    ).scalar_one_or_none()
    if person is None:
        raise NotFound("person not found")
    return [canonical_row(e) for e in service.access_log(session, actor=actor, person=person)]


def _grant_read(session: Session, grant) -> GrantRead:  # type: ignore[no-untyped-def]
    person = session.get(Person, grant.person_id)
    return GrantRead(
        id=grant.public_id,
        person=person.public_id if person else "",
        kind=grant.kind,
        requester=actions.user_name(session, grant.requester_id) or "",
        approver=actions.user_name(session, grant.approver_id),
        reason=grant.reason,
        status=grant.status,
        expires_at=grant.expires_at.isoformat() if grant.expires_at else None,
    )


@router.post("/people/{person_id}/grants", response_model=GrantRead, status_code=201)
def request_grant(
    person_id: str,
    body: GrantRequest,
    actor: Actor = require("grants.request"),
    session: Session = Depends(get_session),
) -> GrantRead:
    """Ask for time-limited access to a minor's record."""
    return _grant_read(
        session,
        actions.request_grant(session, actor=actor, public_id=person_id, reason=body.reason),
    )


@router.post("/people/{person_id}/break-glass", response_model=GrantRead, status_code=201)
def break_glass(
    request: Request,
    person_id: str,
    body: BreakGlassRequest,
    actor: Actor = require("grants.break_glass"),
    session: Session = Depends(get_session),
) -> GrantRead:
    """Emergency access for two hours (fresh second factor; supervisors are told)."""
    grant = actions.break_glass(
        session,
        actor=actor,
        public_id=person_id,
        reason=body.reason,
        session_token_hash=token_hash(request.cookies.get(SESSION_COOKIE, "")),
    )
    return _grant_read(session, grant)


@router.get("/grants", response_model=list[GrantRead])
def pending_grants(
    actor: Actor = require("grants.approve"), session: Session = Depends(get_session)
) -> list[GrantRead]:
    """Requests to decide and emergency accesses to review, in the supervisor's scope."""
    return [_grant_read(session, g) for g in actions.pending_grants(session, actor=actor)]


@router.post("/grants/{grant_id}/approve", response_model=GrantRead)
def approve(
    grant_id: str,
    actor: Actor = require("grants.approve"),
    session: Session = Depends(get_session),
) -> GrantRead:
    """Approve a request (not one's own)."""
    return _grant_read(
        session, actions.decide_grant(session, actor=actor, grant_id=grant_id, approve=True)
    )


@router.post("/grants/{grant_id}/reject", response_model=GrantRead)
def reject(
    grant_id: str,
    actor: Actor = require("grants.approve"),
    session: Session = Depends(get_session),
) -> GrantRead:
    """Reject a request."""
    return _grant_read(
        session, actions.decide_grant(session, actor=actor, grant_id=grant_id, approve=False)
    )


@router.post("/grants/{grant_id}/review", response_model=GrantRead)
def review(
    grant_id: str,
    body: GrantRequest,
    actor: Actor = require("grants.approve"),
    session: Session = Depends(get_session),
) -> GrantRead:
    """Record the review of an emergency access."""
    return _grant_read(
        session,
        actions.review_break_glass(session, actor=actor, grant_id=grant_id, note=body.reason),
    )
