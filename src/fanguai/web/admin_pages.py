"""The three admins' own pages (三权分立): /admin/system, /admin/security, /admin/audit."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.audit import service as audit_service
from fanguai.audit.models import AuditEvent
from fanguai.audit.signing import AuditSigner
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import DomainError
from fanguai.org import actions as org_actions
from fanguai.org import admin
from fanguai.org import service as org_service
from fanguai.org.models import Unit, User
from fanguai.org.schemas import UserCreate
from fanguai.security import mfa
from fanguai.security.crypto_runtime import field_crypto
from fanguai.security.roles import ADMIN_ROLES, ROLES
from fanguai.security.scope import covers_clause
from fanguai.web.deps import get_session, require
from fanguai.web.templating import render

router = APIRouter()


def _users(session: Session, actor: Actor) -> list[User]:
    return list(
        session.execute(
            select(User)
            .join(User.unit)
            .where(covers_clause(actor, Unit.division_code))
            .order_by(Unit.division_code, User.username)
        ).scalars()
    )


# --- system admin: accounts -------------------------------------------------------------------


@router.get("/admin/system")
def system_page(
    request: Request,
    actor: Actor = require("users.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Accounts: create (without roles), disable, enable."""
    return render(
        request,
        "admin/system.html",
        {"users": _users(session, actor), "error": None, "form": {}, "now": utcnow()},
    )


@router.post("/admin/system/users")
def system_create(
    request: Request,
    username: str = Form("", max_length=64),
    display_name: str = Form("", max_length=64),
    unit_code: str = Form("", max_length=20),
    password: str = Form("", max_length=128),
    actor: Actor = require("users.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Create an account; the security admin then grants its roles."""
    form = {"username": username, "display_name": display_name, "unit_code": unit_code}
    try:
        data = UserCreate(
            username=username,
            display_name=display_name,
            unit_code=unit_code,
            password=password,
            roles=[],
        )
        set_code, issued = mfa.enrolment_code_setter(field_crypto())
        user = org_actions.create_user(session, actor=actor, data=data, enrolment=set_code)
        code = issued[0]
    except ValidationError as exc:
        first = exc.errors()[0]
        error = f"{first['loc'][0]}: {first['msg']}"
    except DomainError as exc:
        error = exc.message
    else:
        # Shown once, on this answer only: the admin hands it to the user out of band.
        return render(
            request,
            "admin/system.html",
            {
                "users": _users(session, actor),
                "error": None,
                "form": {},
                "now": utcnow(),
                "issued": {"code": code, "user": user.username},
            },
        )
    return render(
        request,
        "admin/system.html",
        {"users": _users(session, actor), "error": error, "form": form, "now": utcnow()},
        status_code=400,
    )


@router.post("/admin/system/users/{user_id}/disable")
def system_disable(
    user_id: str,
    reason: str = Form("", max_length=200),
    actor: Actor = require("users.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Disable an account; its sessions end at once."""
    admin.set_active(
        session, actor=actor, user_public_id=user_id, active=False, reason=reason or None
    )
    return RedirectResponse("/admin/system", status_code=303)


@router.post("/admin/system/users/{user_id}/enable")
def system_enable(
    user_id: str, actor: Actor = require("users.manage"), session: Session = Depends(get_session)
) -> Response:
    """Re-enable an account."""
    admin.set_active(session, actor=actor, user_public_id=user_id, active=True)
    return RedirectResponse("/admin/system", status_code=303)


def _security_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    issued_code: str | None = None,
    issued_to: str | None = None,
) -> Response:
    # A freshly issued enrolment code is shown on this answer only, never stored in clear.
    issued = None
    if issued_code is not None:
        user = session.execute(select(User).where(User.public_id == issued_to)).scalar_one()
        issued = {"code": issued_code, "user": user.username}
    return render(
        request,
        "admin/security.html",
        {
            "users": _users(session, actor),
            "roles": ROLES,
            "admin_roles": ADMIN_ROLES,
            "now": utcnow(),
            "issued": issued,
        },
    )


# --- security admin: roles, second factor, lockouts --------------------------------------------


@router.get("/admin/security")
def security_page(
    request: Request,
    actor: Actor = require("roles.assign"),
    session: Session = Depends(get_session),
) -> Response:
    """Roles, second-factor status and lockouts of every account in the jurisdiction."""
    return _security_page(request, session, actor)


@router.post("/admin/security/users/{user_id}/roles")
async def security_roles(
    request: Request,
    user_id: str,
    actor: Actor = require("roles.assign"),
    session: Session = Depends(get_session),
) -> Response:
    """Replace a user's roles (the form sends one ``role`` field per ticked box)."""
    form = await request.form()
    roles = [str(v) for v in form.getlist("role")]
    from starlette.concurrency import run_in_threadpool

    await run_in_threadpool(
        admin.set_roles, session, actor=actor, user_public_id=user_id, roles=roles
    )
    return RedirectResponse("/admin/security", status_code=303)


@router.post("/admin/security/users/{user_id}/mfa-reset")
def security_mfa_reset(
    request: Request,
    user_id: str,
    actor: Actor = require("mfa.reset"),
    session: Session = Depends(get_session),
) -> Response:
    """Clear a user's second factor; show the one-time code they need to enrol again."""
    code = mfa.reset(session, actor=actor, user_public_id=user_id, crypto=field_crypto())
    return _security_page(request, session, actor, issued_code=code, issued_to=user_id)


@router.post("/admin/security/users/{user_id}/enrolment-code")
def security_enrolment_code(
    request: Request,
    user_id: str,
    actor: Actor = require("mfa.reset"),
    session: Session = Depends(get_session),
) -> Response:
    """Issue a new one-time enrolment code to a user without a second factor."""
    code = mfa.issue_enrolment_code(
        session, crypto=field_crypto(), actor=actor, user_public_id=user_id
    )
    return _security_page(request, session, actor, issued_code=code, issued_to=user_id)


@router.post("/admin/security/users/{user_id}/unlock")
def security_unlock(
    user_id: str, actor: Actor = require("users.unlock"), session: Session = Depends(get_session)
) -> Response:
    """Lift a lockout."""
    admin.unlock(session, actor=actor, user_public_id=user_id)
    return RedirectResponse("/admin/security", status_code=303)


# --- audit admin: read-only ---------------------------------------------------------------------


def _events(
    session: Session,
    *,
    actor_name: str | None,
    action: str | None,
    outcome: str | None,
    object_id: str | None,
    limit: int,
) -> list[AuditEvent]:
    stmt = select(AuditEvent)
    if actor_name:
        stmt = stmt.where(AuditEvent.actor_name == actor_name)
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
    if outcome:
        stmt = stmt.where(AuditEvent.outcome == outcome)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    return list(session.execute(stmt.order_by(AuditEvent.seq.desc()).limit(limit)).scalars())


@router.get("/admin/audit")
def audit_page(
    request: Request,
    actor_name: str | None = Query(None, alias="actor", max_length=200),
    action: str | None = Query(None, max_length=100),
    outcome: str | None = Query(None, pattern="^(success|denied|failed|)$"),
    object_id: str | None = Query(None, max_length=64),
    verify: bool = Query(False),
    actor: Actor = require("audit.read"),
    session: Session = Depends(get_session),
) -> Response:
    """The latest audit records, filtered; on request, the result of verifying the chain."""
    events = _events(
        session,
        actor_name=actor_name or None,
        action=action or None,
        outcome=outcome or None,
        object_id=object_id or None,
        limit=200,
    )
    # Walking the whole chain costs a pass over every record: only when the auditor asks.
    result = None
    if verify:
        signer = AuditSigner(request.app.state.settings.data_dir)
        result = audit_service.verify_full(session, signer)
    return render(
        request,
        "admin/audit.html",
        {
            "events": events,
            "verify": result,
            "filters": {
                "actor": actor_name or "",
                "action": action or "",
                "outcome": outcome or "",
                "object_id": object_id or "",
            },
        },
    )


@router.get("/api/admin/audit/events")
def audit_events_api(
    actor_name: str | None = Query(None, alias="actor", max_length=200),
    action: str | None = Query(None, max_length=100),
    outcome: str | None = Query(None, pattern="^(success|denied|failed)$"),
    object_id: str | None = Query(None, max_length=64),
    limit: int = Query(100, ge=1, le=1000),
    actor: Actor = require("audit.read"),
    session: Session = Depends(get_session),
) -> list[dict[str, object]]:
    """Audit records, newest first (audit admin only)."""
    return [
        audit_service.canonical_row(e)
        for e in _events(
            session,
            actor_name=actor_name,
            action=action,
            outcome=outcome,
            object_id=object_id,
            limit=limit,
        )
    ]


@router.get("/api/admin/system/users")
def system_users_api(
    actor: Actor = require("users.manage"), session: Session = Depends(get_session)
) -> list[dict[str, object]]:
    """Accounts in the system admin's jurisdiction."""
    return [org_service.user_read(u).model_dump() for u in _users(session, actor)]
