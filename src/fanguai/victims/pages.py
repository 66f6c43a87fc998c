"""Pages of the victim assistance module: the caseworker's home, the intake form, the file with
its timeline and service forms, the sector list (education: the placement ledger), the
designated-hospital registry and the de-identified statistics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.core import actions as core_actions
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import DomainError
from fanguai.org.models import Unit, User
from fanguai.security.crypto_runtime import field_crypto
from fanguai.security.roles import permissions_for
from fanguai.security.scope import covers
from fanguai.victims import actions, forms, service, stats
from fanguai.victims import catalogue as c
from fanguai.victims.errors import VictimConflict, VictimForbidden, VictimInputError
from fanguai.victims.schemas import (
    AssessmentCreate,
    AssignCaseworker,
    CloseFile,
    ConsentCreate,
    ConsentWithdraw,
    FileBasics,
    FileCreate,
    HospitalCreate,
    HospitalWithdraw,
    HukouStep,
    IdentityUpdate,
    ProfileUpdate,
    ReferralCreate,
    ServiceCreate,
    ServiceEnd,
)
from fanguai.web.deps import get_session, require
from fanguai.web.i18n import translate
from fanguai.web.templating import beijing, render

router = APIRouter()

Form = dict[str, list[str]]


async def posted(request: Request) -> Form:
    """The posted form as lists of strings (starlette caches the parsed form)."""
    form = await request.form()
    return {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}


def _message(exc: DomainError) -> str:
    key = getattr(exc, "key", None)
    return translate(f"victims.error.{key}") if key else exc.message


def _page_query(**params: Any) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items() if v not in (None, "", False))


class _PageInfo:
    def __init__(self, page: int, total: int, size: int) -> None:
        self.page, self.total = page, total
        self.pages = max(1, -(-total // size))


# --- shared helpers for the templates ----------------------------------------------------------


def event_label(code: str) -> str:
    """A timeline event's label."""
    parts = code.split(".")
    if parts[0] == "service":
        kind = translate(f"victims.kind.{parts[1]}")
        return kind + (translate("victims.event.ended") if len(parts) > 2 else "")
    if parts[0] == "referral":
        status = translate(f"victims.referral_status.{parts[1]}")
        return f"{translate('victims.event.referral')}（{status}）"
    return translate(f"victims.event.{code}")


def detail_text(kind: str, name: str, value: Any) -> str:
    """A service detail as a person reads it (codes as labels, yes/no in Chinese)."""
    spec = next((f for f in forms.SERVICE_FIELDS.get(kind, ()) if f.name == name), None)
    if isinstance(value, bool):
        return translate("victims.yesno.yes" if value else "victims.yesno.no")
    if spec is not None and spec.group:
        return translate(f"victims.{spec.group}.{value}")
    return str(value)


def beijing_text(iso: str) -> str:
    """An ISO time from the API schemas, shown in Beijing time (``YYYY-MM-DD HH:mm``)."""
    return beijing(datetime.fromisoformat(iso))


def _helpers() -> dict[str, Any]:
    return {
        "bj": beijing_text,
        "label": forms.label,
        "event_label": event_label,
        "detail_text": detail_text,
        "kinds": c.SERVICE_KINDS,
        "service_fields": forms.SERVICE_FIELDS,
        "forms_span": forms.SPAN,
    }


# --- home, intake ------------------------------------------------------------------------------


@router.get("/victims")
def home(
    request: Request,
    status: str | None = Query(None, pattern="^(open|returned|closed|)$"),
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("victims.read"),
    session: Session = Depends(get_session),
) -> Response:
    """The caseworker's home: tasks due, my files, files waiting for a caseworker, all files."""
    crypto = field_crypto()
    due = service.due_tasks(session, actor=actor)
    mine, _ = service.list_files(session, crypto, actor=actor, mine=True, active=True, page_size=50)
    unassigned, _ = service.list_files(session, crypto, actor=actor, unassigned=True, page_size=50)
    files, total = service.list_files(
        session, crypto, actor=actor, status=status or None, page=page
    )
    return render(
        request,
        "victims/home.html",
        {
            "due": due,
            "links": service.task_links(session, due),
            "now": utcnow(),
            "mine": mine,
            "unassigned": unassigned,
            "files": files,
            "page": _PageInfo(page, total, 30),
            "query": _page_query(status=status),
            "status": status or "",
            "can_manage": actor.can("victims.manage"),
        },
    )


@router.get("/victims/new")
def new_file(
    request: Request,
    actor: Actor = require("victims.manage"),
) -> Response:
    """The intake form (接收登记)."""
    return _intake(request, {}, {})


def _intake(
    request: Request, values: dict[str, Any], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(
        request,
        "victims/new.html",
        {"fields": forms.INTAKE_FIELDS, "values": values, "errors": errors, **_helpers()},
        status_code=status_code,
    )


@router.post("/victims")
def create_file(
    request: Request,
    form: Form = Depends(posted),
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Open a file from the intake form."""
    raw = forms.values(form, forms.INTAKE_FIELDS)
    try:
        data = FileCreate.model_validate(raw)
        file = actions.create_file(session, field_crypto(), actor=actor, data=data)
    except ValidationError as exc:
        return _intake(request, _shown(form), forms.pydantic_errors(exc), 422)
    except (VictimInputError, VictimConflict) as exc:
        errors = {forms.form_field(exc.field): _message(exc)}
        return _intake(request, _shown(form), errors, exc.status_code)
    return RedirectResponse(f"/victims/{file.public_id}", status_code=303)


def _shown(form: Form) -> dict[str, Any]:
    """Posted values to put back into the form."""
    return {k: (v if len(v) > 1 else (v[0] if v else "")) for k, v in form.items()}


# --- the sector officer's pages (before /victims/{file_id}) ------------------------------------


@router.get("/victims/sector")
def sector_home(
    request: Request,
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("victims.sector"),
    session: Session = Depends(get_session),
) -> Response:
    """The sector list (education: the placement ledger), referrals in, tasks due."""
    rows, total = service.list_sector(session, field_crypto(), actor=actor, page=page)
    due = service.due_tasks(session, actor=actor)
    return render(
        request,
        "victims/sector.html",
        {
            "rows": rows,
            "line": service.sector_line(actor),
            "page": _PageInfo(page, total, 30),
            "query": "",
            "referrals": [
                service.referral_read(r) for r in service.incoming_referrals(session, actor=actor)
            ],
            "due": due,
            "links": service.task_links(session, due),
            "now": utcnow(),
            **_helpers(),
        },
    )


def _sector_page(
    request: Request,
    session: Session,
    actor: Actor,
    file_id: str,
    *,
    open_form: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    file, line = service.get_file_for_sector(session, actor=actor, public_id=file_id)
    view = service.sector_view(session, field_crypto(), file, line=line, actor=actor)
    return render(
        request,
        "victims/sector_file.html",
        {
            "f": view,
            "line_kinds": c.SECTOR_KINDS[line],
            "hospitals": _nearby_hospitals(session, file.county_code),
            "open_form": open_form,
            "values": values or {},
            "errors": errors or {},
            **_helpers(),
        },
        status_code=status_code,
    )


@router.get("/victims/sector/{file_id}")
def sector_file(
    request: Request,
    file_id: str,
    actor: Actor = require("victims.sector"),
    session: Session = Depends(get_session),
) -> Response:
    """A file as the officer's line sees it: masked summary, its own services. Audited."""
    response = _sector_page(request, session, actor, file_id)
    core_actions.record(
        session,
        actor,
        "victims.sector_read",
        outcome="success",
        object_type="victim_file",
        object_id=file_id,
    )
    return response


@router.post("/victims/sector/{file_id}/services")
def sector_service(
    request: Request,
    file_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.sector"),
    session: Session = Depends(get_session),
) -> Response:
    """Record a service of the officer's line (a school placement in the ledger, ...)."""
    kind = (form.get("kind") or [""])[0]
    try:
        data = ServiceCreate.model_validate(forms.service_body(kind, form))
        actions.record_service(
            session, field_crypto(), actor=actor, public_id=file_id, data=data, sector=True
        )
    except ValidationError as exc:
        errors, code = forms.pydantic_errors(exc), 422
    except (VictimInputError, VictimConflict, VictimForbidden) as exc:
        errors, code = {forms.form_field(exc.field): _message(exc)}, exc.status_code
    else:
        return RedirectResponse(f"/victims/sector/{file_id}", status_code=303)
    return _sector_page(
        request,
        session,
        actor,
        file_id,
        open_form=f"service-{kind}",
        values=_shown(form),
        errors=errors,
        status_code=code,
    )


@router.post("/victims/referrals/{referral_id}")
def decide_referral(
    referral_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.sector"),
    session: Session = Depends(get_session),
) -> Response:
    """Accept, reject or finish a referral to the officer's unit."""
    decision = (form.get("decision") or [""])[0]
    note = ((form.get("note") or [""])[0] or "").strip()[:200] or None
    referral = actions.decide_referral(
        session, actor=actor, referral_id=referral_id, decision=decision, note=note
    )
    return RedirectResponse(f"/victims/sector/{referral.file.public_id}", status_code=303)


# --- designated hospitals, statistics ----------------------------------------------------------


def _hospitals_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    names = service.county_names(session)
    can_edit = actor.can("victims.sector") and actor.department == "health"
    registry = [
        service.hospital_read(h, names.get(h.county_code, "")) for h in service.hospitals(session)
    ]
    return render(
        request,
        "victims/hospitals.html",
        {
            "hospitals": registry,
            "missing": service.counties_without_hospital(session),
            "can_edit": can_edit,
            "withdrawable": {h.id for h in registry if can_edit and covers(actor, h.county_code)},
            "fields": forms.HOSPITAL_FIELDS,
            "values": values or {},
            "errors": errors or {},
            **_helpers(),
        },
        status_code=status_code,
    )


@router.get("/victims/hospitals")
def hospitals_page(
    request: Request,
    actor: Actor = require("home.view"),
    session: Session = Depends(get_session),
) -> Response:
    """The designated-hospital registry, with the counties still lacking one."""
    return _hospitals_page(request, session, actor)


@router.post("/victims/hospitals")
def add_hospital(
    request: Request,
    form: Form = Depends(posted),
    actor: Actor = require("victims.sector"),
    session: Session = Depends(get_session),
) -> Response:
    """Designate a hospital (the health line)."""
    try:
        data = HospitalCreate.model_validate(forms.values(form, forms.HOSPITAL_FIELDS))
        actions.add_hospital(session, actor=actor, data=data)
    except ValidationError as exc:
        errors, code = forms.pydantic_errors(exc), 422
    except (VictimInputError, VictimConflict, VictimForbidden) as exc:
        errors, code = {forms.form_field(exc.field): _message(exc)}, exc.status_code
    else:
        return RedirectResponse("/victims/hospitals", status_code=303)
    return _hospitals_page(
        request, session, actor, values=_shown(form), errors=errors, status_code=code
    )


@router.post("/victims/hospitals/{hospital_id}/withdraw")
def withdraw_hospital(
    hospital_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.sector"),
    session: Session = Depends(get_session),
) -> Response:
    """End a designation (today, unless a date is given)."""
    day = (form.get("withdrawn_on") or [""])[0] or service.today_in_beijing().isoformat()
    actions.withdraw_hospital(
        session,
        actor=actor,
        hospital_id=hospital_id,
        data=HospitalWithdraw.model_validate({"withdrawn_on": day}),
    )
    return RedirectResponse("/victims/hospitals", status_code=303)


@router.get("/victims/stats")
def stats_page(
    request: Request,
    year: int | None = Query(None, ge=2000, le=2100),
    actor: Actor = require("victims.stats"),
    session: Session = Depends(get_session),
) -> Response:
    """The de-identified statistics (CTDC-shaped; small cells left out)."""
    export = stats.ctdc_export(session, field_crypto(), actor=actor, year=year)
    core_actions.record(
        session,
        actor,
        "victims.stats_view",
        outcome="success",
        object_type="victim_stats",
        object_id=f"ctdc:{year or 'all'}",
        detail={"rows": len(export.victims), "suppressed_cells": export.suppressed_cells},
    )
    return render(
        request,
        "victims/stats.html",
        {"export": export, "year": year, "columns": stats.VICTIM_COLUMNS},
    )


# --- the file ----------------------------------------------------------------------------------


def _nearby_hospitals(session: Session, county_code: str) -> list[Any]:
    """Designated hospitals of the file's city, its own county first."""
    near = [h for h in service.hospitals(session) if h.county_code[:4] == county_code[:4]]
    return sorted(near, key=lambda h: (h.county_code != county_code, h.county_code, h.name))


def _referral_units(session: Session, division_code: str) -> list[Unit]:
    return list(
        session.execute(
            select(Unit)
            .where(Unit.division_code == division_code, Unit.department.in_(c.SECTOR_KINDS))
            .order_by(Unit.ordinal, Unit.code)
        ).scalars()
    )


def _caseworkers(session: Session, unit_id: int) -> list[User]:
    users = session.execute(
        select(User).where(User.unit_id == unit_id, User.is_active.is_(True))
    ).scalars()
    return [u for u in users if "victims.manage" in permissions_for(u.role_codes)]


def _file_page(
    request: Request,
    session: Session,
    actor: Actor,
    file_id: str,
    *,
    open_form: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    file = service.get_file_for(session, actor=actor, public_id=file_id)
    view = service.detail(session, field_crypto(), file)
    return render(
        request,
        "victims/file.html",
        {
            "f": view,
            "can_manage": actor.can("victims.manage") and view.status != "closed",
            "hospitals": _nearby_hospitals(session, file.county_code),
            "units": _referral_units(session, file.owner_unit.division_code),
            "caseworkers": _caseworkers(session, file.owner_unit_id),
            "open_form": open_form,
            "values": values or {},
            "errors": errors or {},
            "forms": forms,
            "sector_kinds": sorted({k for kinds in c.SECTOR_KINDS.values() for k in kinds}),
            **_helpers(),
        },
        status_code=status_code,
    )


@router.get("/victims/{file_id}")
def file_page(
    request: Request,
    file_id: str,
    actor: Actor = require("victims.read"),
    session: Session = Depends(get_session),
) -> Response:
    """The whole file: summary, tasks, timeline, profile, services and their forms. Audited."""
    response = _file_page(request, session, actor, file_id)
    core_actions.record(
        session,
        actor,
        "victims.read",
        outcome="success",
        object_type="victim_file",
        object_id=file_id,
    )
    return response


def _submit(
    request: Request,
    session: Session,
    actor: Actor,
    file_id: str,
    form: Form,
    *,
    name: str,
    build: Callable[[], BaseModel],
    run: Callable[[BaseModel], object],
    stages: list[str] | None = None,
) -> Response:
    """Validate and run one form of the file page; on error show the page again with the
    form open, what was typed kept, and the message beside the field."""
    try:
        run(build())
    except ValidationError as exc:
        errors, code = forms.pydantic_errors(exc, stages), 422
    except (VictimInputError, VictimConflict, VictimForbidden) as exc:
        errors, code = {forms.form_field(exc.field, stages): _message(exc)}, exc.status_code
    else:
        return RedirectResponse(f"/victims/{file_id}#{name}", status_code=303)
    return _file_page(
        request,
        session,
        actor,
        file_id,
        open_form=name,
        values=_shown(form),
        errors=errors,
        status_code=code,
    )


@router.post("/victims/{file_id}/basics")
def update_basics(
    request: Request,
    file_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Change what is known of the victim (only the fields filled in)."""
    return _submit(
        request,
        session,
        actor,
        file_id,
        form,
        name="basics",
        build=lambda: FileBasics.model_validate(forms.values(form, forms.BASICS_FIELDS)),
        run=lambda d: actions.update_basics(
            session, field_crypto(), actor=actor, public_id=file_id, data=d
        ),
    )


@router.post("/victims/{file_id}/profile")
def set_profile(
    request: Request,
    file_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Record the exploitation history."""
    body, stages = forms.profile_body(form)
    return _submit(
        request,
        session,
        actor,
        file_id,
        form,
        name="profile",
        build=lambda: ProfileUpdate.model_validate(body),
        run=lambda d: actions.set_profile(
            session, field_crypto(), actor=actor, public_id=file_id, data=d
        ),
        stages=stages,
    )


@router.post("/victims/{file_id}/assessments")
def add_assessment(
    request: Request,
    file_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Record a needs assessment."""
    return _submit(
        request,
        session,
        actor,
        file_id,
        form,
        name="assessment",
        build=lambda: AssessmentCreate.model_validate(forms.values(form, forms.ASSESSMENT_FIELDS)),
        run=lambda d: actions.add_assessment(
            session, field_crypto(), actor=actor, public_id=file_id, data=d
        ),
    )


@router.post("/victims/{file_id}/consents")
def add_consent(
    request: Request,
    file_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Record consent to share the file with a line."""
    return _submit(
        request,
        session,
        actor,
        file_id,
        form,
        name="consent",
        build=lambda: ConsentCreate.model_validate(forms.values(form, forms.CONSENT_FIELDS)),
        run=lambda d: actions.add_consent(session, actor=actor, public_id=file_id, data=d),
    )


@router.post("/victims/{file_id}/consents/{consent_id}/withdraw")
def withdraw_consent(
    request: Request,
    file_id: str,
    consent_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Record that consent was withdrawn (today unless a date is given)."""
    day = (form.get("withdrawn_on") or [""])[0] or service.today_in_beijing().isoformat()
    return _submit(
        request,
        session,
        actor,
        file_id,
        form,
        name="consent",
        build=lambda: ConsentWithdraw.model_validate({"withdrawn_on": day}),
        run=lambda d: actions.withdraw_consent(
            session, actor=actor, public_id=file_id, consent_id=consent_id, data=d
        ),
    )


@router.post("/victims/{file_id}/services")
def record_service(
    request: Request,
    file_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Record a service (the form names its kind)."""
    kind = (form.get("kind") or [""])[0]
    return _submit(
        request,
        session,
        actor,
        file_id,
        form,
        name=f"service-{kind}",
        build=lambda: ServiceCreate.model_validate(forms.service_body(kind, form)),
        run=lambda d: actions.record_service(
            session, field_crypto(), actor=actor, public_id=file_id, data=d
        ),
    )


@router.post("/victims/{file_id}/services/{service_id}/end")
def end_service(
    request: Request,
    file_id: str,
    service_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Record the end of a running service (the day out of a shelter)."""
    raw = forms.values(form, (forms.FormField("ended_on", "date", True), forms.OUTCOME))
    return _submit(
        request,
        session,
        actor,
        file_id,
        form,
        name=f"end-{service_id}",
        build=lambda: ServiceEnd.model_validate(raw),
        run=lambda d: actions.end_service(
            session, field_crypto(), actor=actor, public_id=file_id, service_id=service_id, data=d
        ),
    )


@router.post("/victims/{file_id}/referrals")
def refer(
    request: Request,
    file_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Refer the victim to a unit (consent, or a documented override)."""
    fields = tuple(
        forms.FormField(n) for n in ("to_unit", "kind", "consent_id", "override_reason", "note")
    )
    return _submit(
        request,
        session,
        actor,
        file_id,
        form,
        name="referral",
        build=lambda: ReferralCreate.model_validate(forms.values(form, fields)),
        run=lambda d: actions.refer(session, actor=actor, public_id=file_id, data=d),
    )


@router.post("/victims/{file_id}/identity")
def record_identity(
    request: Request,
    file_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Identity established."""
    return _submit(
        request,
        session,
        actor,
        file_id,
        form,
        name="identity",
        build=lambda: IdentityUpdate.model_validate(forms.values(form, forms.IDENTITY_FIELDS)),
        run=lambda d: actions.record_identity(session, actor=actor, public_id=file_id, data=d),
    )


@router.post("/victims/{file_id}/hukou")
def record_hukou(
    request: Request,
    file_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """A step of the household-registration application."""
    return _submit(
        request,
        session,
        actor,
        file_id,
        form,
        name="identity",
        build=lambda: HukouStep.model_validate(forms.values(form, forms.HUKOU_FIELDS)),
        run=lambda d: actions.record_hukou(session, actor=actor, public_id=file_id, data=d),
    )


@router.post("/victims/{file_id}/assign")
def assign(
    request: Request,
    file_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Make a caseworker responsible (yourself unless another is chosen)."""
    username = (form.get("username") or [""])[0] or actor.name
    return _submit(
        request,
        session,
        actor,
        file_id,
        form,
        name="summary",
        build=lambda: AssignCaseworker.model_validate({"username": username}),
        run=lambda d: actions.assign_caseworker(
            session, actor=actor, public_id=file_id, username=d.username
        ),
    )


@router.post("/victims/{file_id}/close")
def close(
    request: Request,
    file_id: str,
    form: Form = Depends(posted),
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Close the file."""
    return _submit(
        request,
        session,
        actor,
        file_id,
        form,
        name="close",
        build=lambda: CloseFile.model_validate(forms.values(form, forms.CLOSE_FIELDS)),
        run=lambda d: actions.close_file(session, actor=actor, public_id=file_id, data=d),
    )
