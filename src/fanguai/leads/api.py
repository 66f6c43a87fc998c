"""JSON API of the leads module.

Public (no login): a proof-of-work challenge, a submission, a status lookup. Staff: the inbox,
a lead, acknowledge / transfer / outcome / open a case / release, intake for the hotline and for
integrations, the monthly summary. Institutions: mandatory reports. Every submission needs an
``Idempotency-Key`` header (missing: 400; the same key with another body: 422).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import DomainError, InvalidInput
from fanguai.leads import abuse, actions, intake, service, stats
from fanguai.leads.schemas import (
    ChallengeRead,
    LeadDetail,
    LeadInput,
    LeadListItem,
    LeadPage,
    OutcomeInput,
    PublicLeadInput,
    PublicStatus,
    ReportInput,
    StatusQuery,
    TransferInput,
    VersionedInput,
)
from fanguai.leads.web import (
    body_limit,
    client_address,
    counties_in_scope,
    read_capped,
    secret,
)
from fanguai.security.crypto_runtime import field_crypto
from fanguai.web.deps import get_session, public, require

router = APIRouter(prefix="/api", tags=["leads"])
M = TypeVar("M", bound=BaseModel)

IDEMPOTENCY_HEADER = Header(
    None,
    alias="Idempotency-Key",
    max_length=200,
    description="A random value per submission; a retry with the same key and body gets the "
    "same answer, with another body a 422.",
)


def refusal(exc: DomainError) -> JSONResponse:
    """A domain refusal as the API writes it, with Retry-After for a rate limit."""
    body: dict[str, Any] = {"error": exc.code, "message": exc.message}
    if exc.field:
        body["field"] = exc.field
    headers = {}
    if isinstance(exc, abuse.RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


def _invalid(exc: ValidationError) -> JSONResponse:
    errors = [
        {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
        for e in exc.errors()
    ]
    return JSONResponse({"error": "invalid_input", "errors": errors}, status_code=422)


def _parse(model: type[M], raw: bytes) -> M:
    try:
        data = json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput("the body is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", field="body")
    return model.model_validate(data)


# --- public ----------------------------------------------------------------------------------


@router.get("/leads/challenge", response_model=ChallengeRead)
def challenge(request: Request, actor: Actor = public()) -> ChallengeRead:
    """A proof-of-work challenge to solve before submitting a lead."""
    issued = abuse.issue_challenge(secret(request), now=utcnow())
    return ChallengeRead(
        challenge=issued.token, bits=issued.bits, expires_at=issued.expires_at.isoformat()
    )


@router.post("/leads/public", status_code=201, response_model=None)
async def submit_public(
    request: Request,
    idempotency_key: str | None = IDEMPOTENCY_HEADER,
    actor: Actor = public(),
    session: Session = Depends(get_session),
) -> Response:
    """Report a lead without logging in (named or anonymous); answers a tracking code and a
    passphrase. Needs a solved challenge; rate-limited per address."""
    try:
        raw = await read_capped(request, body_limit(request))
        now = utcnow()
        await run_in_threadpool(
            abuse.check_rate,
            session,
            secret=secret(request),
            address=client_address(request),
            now=now,
        )
        key = abuse.check_idempotency_key(idempotency_key)
        data = _parse(PublicLeadInput, raw)
        result = await run_in_threadpool(
            intake.submit_public,
            session,
            field_crypto(),
            data=data,
            photos=intake.decode_attachments(data),
            idempotency_key=key,
            secret=secret(request),
            now=now,
        )
    except ValidationError as exc:
        return _invalid(exc)
    except DomainError as exc:
        request.state.audit_outcome = "denied" if exc.status_code == 404 else "failed"
        return refusal(exc)
    return JSONResponse(result.body, status_code=result.status_code)


@router.post("/leads/status", response_model=PublicStatus)
def lead_status(
    body: StatusQuery,
    request: Request,
    actor: Actor = public(),
    session: Session = Depends(get_session),
) -> Response:
    """How a lead stands, for its tracking code and passphrase (nothing of its handling)."""
    try:
        abuse.check_rate(
            session,
            secret=secret(request),
            address=client_address(request),
            now=utcnow(),
            purpose="status",
        )
        found = service.public_status(
            session, tracking_code=body.tracking_code, passphrase=body.passphrase
        )
    except DomainError as exc:
        request.state.audit_outcome = "denied" if exc.status_code == 404 else "failed"
        return refusal(exc)
    return JSONResponse(found.model_dump())


# --- staff -----------------------------------------------------------------------------------


@router.get("/leads", response_model=LeadPage)
def list_leads(
    status: str = Query("open", pattern="^(open|received|acknowledged|closed|quarantined|all)$"),
    urgency: str | None = Query(None, pattern="^(urgent|normal)$"),
    lead_type: str | None = Query(None, max_length=24),
    channel: str | None = Query(None, pattern="^(public|hotline|portal|api)$"),
    county: str | None = Query(None, pattern=r"^\d{6}$"),
    overdue: bool = Query(False),
    code: str | None = Query(None, max_length=20, description="a tracking code"),
    page: int = Query(1, ge=1, le=10_000),
    page_size: int = Query(50, ge=1, le=200),
    actor: Actor = require("leads.read"),
    session: Session = Depends(get_session),
) -> LeadPage:
    """The inbox: leads of the units in the user's scope, urgent and overdue first."""
    filters = service.InboxFilter(status, urgency, lead_type, channel, county, overdue, code)
    items, total = service.list_leads(
        session, actor=actor, filters=filters, page=page, page_size=page_size
    )
    return LeadPage(items=items, total=total)


@router.post("/leads", status_code=201, response_model=None)
async def intake_lead(
    request: Request,
    idempotency_key: str | None = IDEMPOTENCY_HEADER,
    actor: Actor = require("leads.intake"),
    session: Session = Depends(get_session),
) -> Response:
    """Enter a lead for an integration (a hotline system, another platform)."""
    try:
        raw = await read_capped(request, body_limit(request))
        key = abuse.check_idempotency_key(idempotency_key)
        data = _parse(LeadInput, raw)
        result = await run_in_threadpool(
            intake.submit_staff,
            session,
            field_crypto(),
            actor=actor,
            data=data,
            photos=intake.decode_attachments(data),
            idempotency_key=key,
            channel="api",
        )
    except ValidationError as exc:
        return _invalid(exc)
    except DomainError as exc:
        return refusal(exc)
    return JSONResponse(result.body, status_code=result.status_code)


@router.get("/leads/summary")
def summary(
    month: str | None = Query(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
    actor: Actor = require("leads.summary"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The month's leads by channel, type and county, and the time to acknowledgement."""
    month = month or service.month_of(utcnow())
    return stats.monthly_summary(session, month=month, counties=counties_in_scope(actor))


@router.get("/leads/{lead_id}", response_model=LeadDetail)
def get_lead(
    lead_id: str,
    actor: Actor = require("leads.read"),
    session: Session = Depends(get_session),
) -> LeadDetail:
    """One lead with its narrative, reporter, photos and timeline."""
    lead = service.get_lead_for(session, actor=actor, public_id=lead_id)
    return service.detail(session, field_crypto(), lead)


def _after(session: Session, lead_id: str, actor: Actor) -> LeadListItem:
    """The lead as it is now (with its new version)."""
    lead = service.get_lead_for(session, actor=actor, public_id=lead_id)
    return service.list_item(lead, None, utcnow())


@router.post("/leads/{lead_id}/acknowledge", response_model=LeadListItem)
def acknowledge(
    lead_id: str,
    body: VersionedInput,
    actor: Actor = require("leads.handle"),
    session: Session = Depends(get_session),
) -> Any:
    """Acknowledge the lead (签收) against the version last seen (409 if it changed)."""
    actions.acknowledge(
        session, field_crypto(), actor=actor, public_id=lead_id, version=body.version
    )
    return _after(session, lead_id, actor)


@router.post("/leads/{lead_id}/transfer")
def transfer(
    lead_id: str,
    body: TransferInput,
    actor: Actor = require("leads.handle"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Hand the lead to another unit with a reason."""
    lead = actions.transfer(
        session,
        field_crypto(),
        actor=actor,
        public_id=lead_id,
        version=body.version,
        unit_code=body.unit_code,
        reason=body.reason,
    )
    return {"id": lead.public_id, "owner_unit": body.unit_code, "version": lead.version}


@router.post("/leads/{lead_id}/outcome", response_model=LeadListItem)
def outcome(
    lead_id: str,
    body: OutcomeInput,
    actor: Actor = require("leads.handle"),
    session: Session = Depends(get_session),
) -> Any:
    """Close the lead with its outcome."""
    actions.record_outcome(
        session,
        field_crypto(),
        actor=actor,
        public_id=lead_id,
        version=body.version,
        outcome=body.outcome,
        note=body.note,
        merged_into=body.merged_into,
        case_id=body.case_id,
    )
    return _after(session, lead_id, actor)


@router.post("/leads/{lead_id}/open-case", response_model=LeadListItem)
def open_case(
    lead_id: str,
    body: VersionedInput,
    actor: Actor = require("leads.handle"),
    session: Session = Depends(get_session),
) -> Any:
    """A child missing now: open the missing-child case in one step."""
    actions.open_case(session, field_crypto(), actor=actor, public_id=lead_id, version=body.version)
    return _after(session, lead_id, actor)


@router.post("/leads/{lead_id}/release", response_model=LeadListItem)
def release(
    lead_id: str,
    body: VersionedInput,
    actor: Actor = require("leads.handle"),
    session: Session = Depends(get_session),
) -> Any:
    """Take a quarantined lead into the inbox."""
    actions.release(session, field_crypto(), actor=actor, public_id=lead_id, version=body.version)
    return _after(session, lead_id, actor)


# --- institutions ------------------------------------------------------------------------------


class ReportSummary(BaseModel):
    """A mandatory report as its institution sees it afterwards."""

    tracking_code: str
    lead_type: str
    received: str
    status: str


@router.post("/portal/reports", status_code=201, response_model=None)
async def report(
    request: Request,
    idempotency_key: str | None = IDEMPOTENCY_HEADER,
    actor: Actor = require("leads.report"),
    session: Session = Depends(get_session),
) -> Response:
    """File a mandatory report (强制报告) for the user's registered institution."""
    try:
        raw = await read_capped(request, body_limit(request))
        key = abuse.check_idempotency_key(idempotency_key)
        data = _parse(ReportInput, raw)
        result = await run_in_threadpool(
            intake.submit_report,
            session,
            field_crypto(),
            actor=actor,
            data=data,
            photos=intake.decode_attachments(data.as_lead()),
            idempotency_key=key,
        )
    except ValidationError as exc:
        return _invalid(exc)
    except DomainError as exc:
        return refusal(exc)
    return JSONResponse(result.body, status_code=result.status_code)


@router.get("/portal/reports", response_model=list[ReportSummary])
def reports(
    actor: Actor = require("leads.report"),
    session: Session = Depends(get_session),
) -> list[ReportSummary]:
    """The reports the user's institution filed, and the step each has reached."""
    return [
        ReportSummary(
            tracking_code=lead.tracking_code,
            lead_type=lead.lead_type,
            received=service.received_text(lead),
            status=service.public_step(lead),
        )
        for lead in service.institution_reports(session, actor=actor)
    ]
