"""Pages of the leads module: the public report and status pages (no login), the staff inbox,
a lead with its timeline and actions, hotline intake, the institutions' portal, the summary."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import Conflict, DomainError, InvalidInput, NotFound
from fanguai.leads import abuse, actions, catalogue, forms, intake, service, stats
from fanguai.leads.schemas import LeadInput, PublicLeadInput, ReportInput
from fanguai.leads.web import (
    PayloadTooLarge,
    body_limit,
    client_address,
    counties_in_scope,
    county_choices,
    read_capped,
    secret,
)
from fanguai.security.crypto_runtime import field_crypto
from fanguai.web.deps import get_session, public, require
from fanguai.web.i18n import translate
from fanguai.web.templating import render

router = APIRouter()

REPORT_CSRF_COOKIE = "fanguai_report_csrf"


# --- the public report --------------------------------------------------------------------------


def _report_form(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The report form with a fresh challenge and (double-submit) CSRF token."""
    values = dict(values or {})
    values.setdefault("idempotency_key", secrets.token_urlsafe(18))
    challenge = abuse.issue_challenge(secret(request), now=utcnow())
    token = request.cookies.get(REPORT_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "leads/report.html",
        {
            "title": translate("leads.report.title"),
            "values": values,
            "errors": errors or {},
            "message": message,
            "types": forms.type_choices(),
            "cities": county_choices(),
            "challenge": challenge,
            "report_csrf": token,
        },
        status_code=status_code,
    )
    _set_report_cookie(request, response, token)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _set_report_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        REPORT_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
        path="/report",
    )


def _csrf_ok(request: Request, form: FormData) -> bool:
    cookie = request.cookies.get(REPORT_CSRF_COOKIE, "")
    sent = form.get("csrf_token")
    return bool(cookie) and isinstance(sent, str) and secrets.compare_digest(cookie, sent)


@router.get("/report")
def report_page(request: Request, actor: Actor = public()) -> Response:
    """Report a lead: no login, named or anonymous, works on a phone."""
    return _report_form(request)


async def _submit_report_form(request: Request, session: Session, form: FormData) -> Response:
    values = forms.values_of(form)
    if not _csrf_ok(request, form):
        return _report_form(
            request, values=values, message=translate("leads.report.expired"), status_code=400
        )
    try:
        now = utcnow()
        await run_in_threadpool(
            abuse.check_rate,
            session,
            secret=secret(request),
            address=client_address(request),
            now=now,
        )
        data = PublicLeadInput.model_validate(
            {
                **forms.lead_data(values),
                "challenge": values["challenge"],
                "nonce": values["nonce"],
                "website": values["website"] or None,
            }
        )
        photos = await forms.photos_of(form, limit=catalogue.MAX_ATTACHMENT_BYTES)
        result = await run_in_threadpool(
            intake.submit_public,
            session,
            field_crypto(),
            data=data,
            photos=photos,
            idempotency_key=values["idempotency_key"] or None,
            secret=secret(request),
            now=now,
        )
    except ValidationError as exc:
        return _report_form(
            request,
            values=values,
            errors=forms.field_errors(exc),
            message=translate("leads.form.fix"),
            status_code=422,
        )
    except abuse.RateLimited as exc:
        return _report_form(
            request,
            values=values,
            message=translate("leads.report.too_many", seconds=exc.retry_after),
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except DomainError as exc:
        field, message = forms.domain_error(exc)
        return _report_form(
            request,
            values=values,
            errors={field: message} if field else {},
            message=message,
            status_code=exc.status_code,
        )
    return render(
        request,
        "leads/report_done.html",
        {
            "title": translate("leads.done.title"),
            "answer": result.body,
            "refused": forms.refused_text(result.body.get("refused_attachments", [])),
        },
        status_code=201,
    )


@router.post("/report")
async def report_submit(
    request: Request, actor: Actor = public(), session: Session = Depends(get_session)
) -> Response:
    """Store the report; show the tracking code and passphrase (never put into a URL)."""
    try:
        await read_capped(request, body_limit(request))
    except PayloadTooLarge:
        return _report_form(request, message=translate("leads.report.too_large"), status_code=413)
    form = await request.form(max_files=catalogue.MAX_ATTACHMENTS + 7, max_fields=60)
    return await _submit_report_form(request, session, form)


@router.get("/report/status")
def status_page(request: Request, actor: Actor = public()) -> Response:
    """Follow a lead with its tracking code and passphrase."""
    return _status_form(request)


def _status_form(
    request: Request,
    *,
    code: str = "",
    result: Any = None,
    message: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    token = request.cookies.get(REPORT_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "leads/status.html",
        {
            "title": translate("leads.status.title"),
            "code": code,
            "result": result,
            "message": message,
            "report_csrf": token,
        },
        status_code=status_code,
    )
    _set_report_cookie(request, response, token)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@router.post("/report/status")
def status_submit(
    request: Request,
    tracking_code: str = Form("", max_length=40),
    passphrase: str = Form("", max_length=60),
    csrf_token: str = Form("", max_length=100),
    actor: Actor = public(),
    session: Session = Depends(get_session),
) -> Response:
    """Show the step the lead has reached (one answer for an unknown code or a wrong phrase)."""
    cookie = request.cookies.get(REPORT_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        return _status_form(
            request, code=tracking_code, message=translate("leads.report.expired"), status_code=400
        )
    try:
        abuse.check_rate(
            session,
            secret=secret(request),
            address=client_address(request),
            now=utcnow(),
            purpose="status",
        )
        result = service.public_status(session, tracking_code=tracking_code, passphrase=passphrase)
    except abuse.RateLimited as exc:
        return _status_form(
            request,
            code=tracking_code,
            message=translate("leads.report.too_many", seconds=exc.retry_after),
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except NotFound:
        request.state.audit_outcome = "denied"
        return _status_form(
            request, code=tracking_code, message=translate("leads.status.unknown"), status_code=404
        )
    return _status_form(request, code=result.tracking_code, result=result)


# --- staff: inbox ---------------------------------------------------------------------------------


@router.get("/leads")
def inbox(
    request: Request,
    status: str = Query("open", pattern="^(open|received|acknowledged|closed|quarantined|all)$"),
    urgency: str = Query("", pattern="^(|urgent|normal)$"),
    lead_type: str = Query("", max_length=24),
    channel: str = Query("", pattern="^(|public|hotline|portal|api)$"),
    county: str = Query("", pattern=r"^(|\d{6})$"),
    overdue: bool = Query(False),
    code: str = Query("", max_length=20),
    moved: str = Query("", max_length=20),
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("leads.read"),
    session: Session = Depends(get_session),
) -> Response:
    """The unit's leads: urgent and overdue first, with filters and a tracking-code search."""
    if code.strip():
        try:
            lead = actions.lead_by_tracking_code(session, actor=actor, tracking_code=code)
        except NotFound:
            lead = None
        if lead is not None:
            return RedirectResponse(f"/leads/{lead.public_id}", status_code=303)
    filters = service.InboxFilter(
        status, urgency or None, lead_type or None, channel or None, county or None, overdue
    )
    items, total = service.list_leads(session, actor=actor, filters=filters, page=page)
    pages = max(1, -(-total // 50))
    query = (
        f"status={status}&urgency={urgency}&lead_type={lead_type}&channel={channel}"
        f"&county={county}&overdue={'true' if overdue else 'false'}"
    )
    return render(
        request,
        "leads/inbox.html",
        {
            "title": translate("leads.inbox.title"),
            "items": items,
            "total": total,
            "page": {"page": page, "pages": pages, "total": total},
            "query": query,
            "filters": filters,
            "types": forms.type_choices(catalogue.LEAD_TYPES),
            "cities": county_choices(actor),
            "code": code,
            "not_found": bool(code.strip()),
            "moved": moved,
        },
    )


# --- staff: hotline intake ------------------------------------------------------------------------


@router.get("/leads/new")
def intake_page(request: Request, actor: Actor = require("leads.intake")) -> Response:
    """Take a lead on the hotline."""
    return _intake_form(request)


def _intake_form(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    values = dict(values or {})
    values.setdefault("idempotency_key", secrets.token_urlsafe(18))
    return render(
        request,
        "leads/intake.html",
        {
            "title": translate("leads.intake.title"),
            "values": values,
            "errors": errors or {},
            "message": message,
            "types": forms.type_choices(catalogue.LEAD_TYPES),
            "cities": county_choices(),
        },
        status_code=status_code,
    )


@router.post("/leads/new")
async def intake_submit(
    request: Request,
    actor: Actor = require("leads.intake"),
    session: Session = Depends(get_session),
) -> Response:
    """Store a hotline lead; show the code and passphrase to read out to the caller."""
    form = await request.form(max_files=catalogue.MAX_ATTACHMENTS + 7, max_fields=60)
    values = forms.values_of(form)
    try:
        data = LeadInput.model_validate(forms.lead_data(values))
        photos = await forms.photos_of(form, limit=catalogue.MAX_ATTACHMENT_BYTES)
        result = await run_in_threadpool(
            intake.submit_staff,
            session,
            field_crypto(),
            actor=actor,
            data=data,
            photos=photos,
            idempotency_key=values["idempotency_key"] or None,
        )
    except ValidationError as exc:
        return _intake_form(
            request,
            values=values,
            errors=forms.field_errors(exc),
            message=translate("leads.form.fix"),
            status_code=422,
        )
    except (InvalidInput, Conflict) as exc:
        field, message = forms.domain_error(exc)
        return _intake_form(
            request,
            values=values,
            errors={field: message} if field else {},
            message=message,
            status_code=exc.status_code,
        )
    return render(
        request,
        "leads/report_done.html",
        {
            "title": translate("leads.done.title"),
            "answer": result.body,
            "refused": forms.refused_text(result.body.get("refused_attachments", [])),
            "staff": True,
        },
        status_code=201,
    )


# --- staff: summary ---------------------------------------------------------------------------


@router.get("/leads/summary")
def summary_page(
    request: Request,
    month: str = Query("", pattern=r"^(|\d{4}-(0[1-9]|1[0-2]))$"),
    actor: Actor = require("leads.summary"),
    session: Session = Depends(get_session),
) -> Response:
    """The month's leads by channel, type and county, and the time to acknowledgement."""
    figures = stats.monthly_summary(
        session, month=month or service.month_of(utcnow()), counties=counties_in_scope(actor)
    )
    names = {code: name for city in county_choices() for code, name in city.counties}
    return render(
        request,
        "leads/summary.html",
        {
            "title": translate("leads.summary.title"),
            "figures": figures,
            "total": sum(figures["by_channel"].values()),
            "county_names": names,
        },
    )


@router.get("/leads/attachments/{attachment_id}")
def attachment(
    attachment_id: str,
    actor: Actor = require("leads.read"),
    session: Session = Depends(get_session),
) -> Response:
    """A photo of a lead (re-encoded when it was received; shown only to the lead's unit)."""
    content_type, data = service.get_attachment_for(
        session, field_crypto(), actor=actor, public_id=attachment_id
    )
    return Response(
        data,
        media_type=content_type,
        headers={"Content-Disposition": "inline", "Cache-Control": "no-store"},
    )


# --- staff: one lead ---------------------------------------------------------------------------


def _detail_page(
    request: Request,
    session: Session,
    actor: Actor,
    lead_id: str,
    *,
    message: str | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    lead = service.get_lead_for(session, actor=actor, public_id=lead_id)
    view = service.detail(session, field_crypto(), lead)
    return render(
        request,
        "leads/detail.html",
        {
            "title": f"{translate('leads.detail.title')} {view.tracking_code}",
            "lead": view,
            "message": message,
            "done": done,
            "cities": county_choices(),
            "departments": catalogue.TRANSFER_DEPARTMENTS,
            "abbr": catalogue.UNIT_ABBR,
            "duplicates": [
                d.tracking_code
                for d in service.duplicates_of(session, lead)
                if service.in_scope(actor, d)
            ],
            "case_module": actions.case_service() is not None,
            "can_handle": actor.can("leads.handle"),
            "can_open_case": actor.can("cases.manage"),
        },
        status_code=status_code,
    )


@router.get("/leads/{lead_id}")
def detail_page(
    request: Request,
    lead_id: str,
    done: str = Query("", max_length=20),
    actor: Actor = require("leads.read"),
    session: Session = Depends(get_session),
) -> Response:
    """One lead: narrative, reporter, photos, timeline, and what to do next."""
    return _detail_page(request, session, actor, lead_id, done=done)


def _act(
    request: Request, session: Session, actor: Actor, lead_id: str, done: str, change
) -> Response:  # type: ignore[no-untyped-def]
    """Run a change; on refusal show the lead again with the reason."""
    try:
        change()
    except (Conflict, InvalidInput) as exc:
        _, message = forms.domain_error(exc)
        return _detail_page(
            request, session, actor, lead_id, message=message, status_code=exc.status_code
        )
    except actions.CaseModuleUnavailable:
        return _detail_page(
            request,
            session,
            actor,
            lead_id,
            message=translate("leads.case.unavailable"),
            status_code=503,
        )
    return RedirectResponse(f"/leads/{lead_id}?done={done}", status_code=303)


@router.post("/leads/{lead_id}/acknowledge")
def acknowledge_form(
    request: Request,
    lead_id: str,
    version: int = Form(..., ge=1),
    actor: Actor = require("leads.handle"),
    session: Session = Depends(get_session),
) -> Response:
    """Acknowledge the lead (签收)."""
    return _act(
        request,
        session,
        actor,
        lead_id,
        "acknowledged",
        lambda: actions.acknowledge(
            session, field_crypto(), actor=actor, public_id=lead_id, version=version
        ),
    )


@router.post("/leads/{lead_id}/transfer")
def transfer_form(
    request: Request,
    lead_id: str,
    version: int = Form(..., ge=1),
    department: str = Form("", max_length=20),
    county_code: str = Form("", max_length=6),
    reason: str = Form("", max_length=500),
    actor: Actor = require("leads.handle"),
    session: Session = Depends(get_session),
) -> Response:
    """Hand the lead to a unit of another line or county, with a reason."""
    abbr = catalogue.UNIT_ABBR.get(department, "")
    reason = reason.strip()
    try:
        if not reason:
            raise InvalidInput("give a reason", field="reason")
        lead = actions.transfer(
            session,
            field_crypto(),
            actor=actor,
            public_id=lead_id,
            version=version,
            unit_code=f"{county_code}-{abbr}",
            reason=reason,
        )
    except (Conflict, InvalidInput) as exc:
        _, message = forms.domain_error(exc)
        return _detail_page(
            request, session, actor, lead_id, message=message, status_code=exc.status_code
        )
    return RedirectResponse(f"/leads?moved={lead.tracking_code}", status_code=303)


@router.post("/leads/{lead_id}/outcome")
def outcome_form(
    request: Request,
    lead_id: str,
    version: int = Form(..., ge=1),
    outcome: str = Form("", max_length=20),
    note: str = Form("", max_length=1000),
    merged_into: str = Form("", max_length=20),
    case_id: str = Form("", max_length=36),
    actor: Actor = require("leads.handle"),
    session: Session = Depends(get_session),
) -> Response:
    """Close the lead with its outcome."""
    return _act(
        request,
        session,
        actor,
        lead_id,
        "closed",
        lambda: actions.record_outcome(
            session,
            field_crypto(),
            actor=actor,
            public_id=lead_id,
            version=version,
            outcome=outcome,
            note=note.strip() or None,
            merged_into=merged_into.strip() or None,
            case_id=case_id.strip() or None,
        ),
    )


@router.post("/leads/{lead_id}/open-case")
def open_case_form(
    request: Request,
    lead_id: str,
    version: int = Form(..., ge=1),
    actor: Actor = require("leads.handle"),
    session: Session = Depends(get_session),
) -> Response:
    """Open the missing-child case from this lead in one step."""
    return _act(
        request,
        session,
        actor,
        lead_id,
        "case_opened",
        lambda: actions.open_case(
            session, field_crypto(), actor=actor, public_id=lead_id, version=version
        ),
    )


@router.post("/leads/{lead_id}/release")
def release_form(
    request: Request,
    lead_id: str,
    version: int = Form(..., ge=1),
    actor: Actor = require("leads.handle"),
    session: Session = Depends(get_session),
) -> Response:
    """Take a quarantined lead into the inbox."""
    return _act(
        request,
        session,
        actor,
        lead_id,
        "released",
        lambda: actions.release(
            session, field_crypto(), actor=actor, public_id=lead_id, version=version
        ),
    )


# --- institutions -------------------------------------------------------------------------------


def _portal(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    answer: dict | None = None,
    status_code: int = 200,
) -> Response:
    institution = service.institution_of(session, actor)
    values = dict(values or {})
    values.setdefault("idempotency_key", secrets.token_urlsafe(18))
    values.setdefault("county_code", institution.county_code)
    reports = service.institution_reports(session, actor=actor)
    return render(
        request,
        "leads/portal.html",
        {
            "title": translate("leads.portal.title"),
            "institution": institution,
            "values": values,
            "errors": errors or {},
            "message": message,
            "answer": answer,
            "categories": [
                (c, translate(f"leads.category.{c}")) for c in catalogue.REPORT_CATEGORIES
            ],
            "cities": county_choices(),
            "reports": [
                {
                    "tracking_code": r.tracking_code,
                    "lead_type": r.lead_type,
                    "received": service.received_text(r),
                    "status": service.public_step(r),
                }
                for r in reports
            ],
        },
        status_code=status_code,
    )


@router.get("/portal")
def portal_page(
    request: Request,
    actor: Actor = require("leads.report"),
    session: Session = Depends(get_session),
) -> Response:
    """The institution's mandatory-report form and the reports it filed."""
    return _portal(request, session, actor)


async def _portal_again(
    request: Request,
    session: Session,
    actor: Actor,
    values: dict[str, str],
    errors: dict[str, str],
    message: str,
    status_code: int,
) -> Response:
    return await run_in_threadpool(
        lambda: _portal(
            request,
            session,
            actor,
            values=values,
            errors=errors,
            message=message,
            status_code=status_code,
        )
    )


@router.post("/portal")
async def portal_submit(
    request: Request,
    actor: Actor = require("leads.report"),
    session: Session = Depends(get_session),
) -> Response:
    """File a mandatory report: it reaches the police of the county at once."""
    form = await request.form(max_files=catalogue.MAX_ATTACHMENTS + 7, max_fields=60)
    values = forms.values_of(form)
    try:
        data = ReportInput.model_validate(forms.lead_data(values, kind_field="category"))
        photos = await forms.photos_of(form, limit=catalogue.MAX_ATTACHMENT_BYTES)
        result = await run_in_threadpool(
            intake.submit_report,
            session,
            field_crypto(),
            actor=actor,
            data=data,
            photos=photos,
            idempotency_key=values["idempotency_key"] or None,
        )
    except ValidationError as exc:
        return await _portal_again(
            request,
            session,
            actor,
            values,
            forms.field_errors(exc),
            translate("leads.form.fix"),
            422,
        )
    except (InvalidInput, Conflict) as exc:
        field, message = forms.domain_error(exc)
        errors = {field: message} if field else {}
        return await _portal_again(
            request, session, actor, values, errors, message, exc.status_code
        )
    answer = {
        **result.body,
        "refused": forms.refused_text(result.body.get("refused_attachments", [])),
    }
    return await run_in_threadpool(
        lambda: _portal(request, session, actor, answer=answer, status_code=201)
    )
