"""Second-factor pages and API: enrol with a QR code, enter the code, recovery codes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from fanguai.core.actor import Actor
from fanguai.errors import Conflict, InvalidInput
from fanguai.org.models import User
from fanguai.security import mfa
from fanguai.security.crypto_runtime import field_crypto
from fanguai.web.deps import SESSION_COOKIE, get_session, require_session
from fanguai.web.i18n import translate
from fanguai.web.pages import safe_next
from fanguai.web.templating import render

router = APIRouter()


def _demo_code(request: Request, session: Session, actor: Actor) -> str | None:
    if not request.app.state.settings.demo or actor.user_id is None:
        return None
    return mfa.current_code_for_demo(session, crypto=field_crypto(), user_id=actor.user_id)


@router.get("/mfa")
def mfa_page(
    request: Request,
    next: str | None = None,
    actor: Actor = require_session(first_factor=True),
    session: Session = Depends(get_session),
) -> Response:
    """Ask for the authenticator code (or send a user without one to enrolment)."""
    user = session.get(User, actor.user_id)
    if user is None or user.mfa_enrolled_at is None:
        return RedirectResponse(f"/mfa/enrol?next={safe_next(next)}", status_code=303)
    return render(
        request,
        "mfa.html",
        {"next": safe_next(next), "error": None, "demo_code": _demo_code(request, session, actor)},
    )


@router.post("/mfa")
def mfa_submit(
    request: Request,
    code: str = Form("", max_length=20),
    next: str = Form("/"),
    actor: Actor = require_session(first_factor=True),
    session: Session = Depends(get_session),
) -> Response:
    """Check the code and complete the login."""
    try:
        mfa.verify_second_factor(
            session,
            crypto=field_crypto(),
            actor=actor,
            token=request.cookies.get(SESSION_COOKIE, ""),
            code=code,
        )
    except (InvalidInput, Conflict) as exc:
        return render(
            request,
            "mfa.html",
            {
                "next": safe_next(next),
                "error": exc.message,
                "demo_code": _demo_code(request, session, actor),
            },
            status_code=400,
        )
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/mfa/enrol")
def enrol_page(
    request: Request,
    next: str | None = None,
    actor: Actor = require_session(first_factor=True),
    session: Session = Depends(get_session),
) -> Response:
    """Show a new seed as a QR code for the authenticator app."""
    crypto = field_crypto()
    user = session.get(User, actor.user_id)
    if user is not None and user.mfa_enrolled_at is not None:
        return RedirectResponse(f"/mfa?next={safe_next(next)}", status_code=303)
    enrolment = mfa.pending_enrolment(session, crypto=crypto, actor=actor)
    if enrolment is None:
        enrolment = mfa.begin_enrolment(session, crypto=crypto, actor=actor)
    return render(
        request,
        "mfa_enrol.html",
        {
            "next": safe_next(next),
            "enrolment": enrolment,
            "error": None,
            "demo_code": _demo_code(request, session, actor),
        },
    )


@router.post("/mfa/enrol")
def enrol_submit(
    request: Request,
    code: str = Form("", max_length=20),
    enrolment_code: str = Form("", max_length=20),
    next: str = Form("/"),
    actor: Actor = require_session(first_factor=True),
    session: Session = Depends(get_session),
) -> Response:
    """Confirm the seed with a first code and the admin's enrolment code; show the recovery
    codes once."""
    crypto = field_crypto()
    try:
        codes = mfa.confirm_enrolment(
            session,
            crypto=crypto,
            actor=actor,
            token=request.cookies.get(SESSION_COOKIE, ""),
            code=code,
            enrolment_code=enrolment_code,
        )
    except (InvalidInput, Conflict) as exc:
        enrolment = mfa.pending_enrolment(session, crypto=crypto, actor=actor)
        if enrolment is None:
            return RedirectResponse("/mfa/enrol", status_code=303)
        return render(
            request,
            "mfa_enrol.html",
            {
                "next": safe_next(next),
                "enrolment": enrolment,
                "error": exc.message,
                "demo_code": _demo_code(request, session, actor),
            },
            status_code=400,
        )
    return render(request, "mfa_recovery.html", {"codes": codes, "next": safe_next(next)})


class CodeIn(BaseModel):
    """A six-digit authenticator code or a recovery code."""

    code: str = Field(min_length=1, max_length=20)


class EnrolIn(CodeIn):
    """The first authenticator code and the one-time enrolment code from an admin."""

    enrolment_code: str = Field(min_length=1, max_length=20)


@router.post("/api/session/mfa")
async def api_mfa(
    request: Request,
    body: CodeIn,
    actor: Actor = require_session(first_factor=True),
    session: Session = Depends(get_session),
) -> Response:
    """Complete a JSON login with the second factor."""
    await run_in_threadpool(
        mfa.verify_second_factor,
        session,
        crypto=field_crypto(),
        actor=actor,
        token=request.cookies.get(SESSION_COOKIE, ""),
        code=body.code,
    )
    return JSONResponse({"mfa": "passed"})


@router.post("/api/session/mfa/enrol")
def api_enrol(
    actor: Actor = require_session(first_factor=True),
    session: Session = Depends(get_session),
) -> dict[str, str]:
    """Start enrolment: the seed and its otpauth URI (the page shows it as a QR code)."""
    enrolment = mfa.begin_enrolment(session, crypto=field_crypto(), actor=actor)
    return {
        "secret": enrolment.secret,
        "uri": enrolment.uri,
        "message": translate("mfa.enrol.scan"),
    }


@router.post("/api/session/mfa/enrol/confirm")
def api_enrol_confirm(
    request: Request,
    body: EnrolIn,
    actor: Actor = require_session(first_factor=True),
    session: Session = Depends(get_session),
) -> dict[str, list[str]]:
    """Confirm enrolment with a first code; returns the recovery codes (shown once)."""
    codes = mfa.confirm_enrolment(
        session,
        crypto=field_crypto(),
        actor=actor,
        token=request.cookies.get(SESSION_COOKIE, ""),
        code=body.code,
        enrolment_code=body.enrolment_code,
    )
    return {"recovery_codes": codes}


@router.get("/password")
def password_page(
    request: Request, actor: Actor = require_session(), session: Session = Depends(get_session)
) -> Response:
    """Change one's own password (required when it has expired)."""
    return render(
        request,
        "password.html",
        {"error": None, "done": False, "required": actor.must_change_password},
    )


@router.post("/password")
def password_submit(
    request: Request,
    old_password: str = Form("", max_length=128),
    new_password: str = Form("", max_length=128),
    new_password_again: str = Form("", max_length=128),
    actor: Actor = require_session(),
    session: Session = Depends(get_session),
) -> Response:
    """Check the current password and the policy, then store the new one."""
    from fanguai.security import service as auth

    error = None
    if new_password != new_password_again:
        error = translate("password.mismatch")
    else:
        try:
            auth.change_password(
                session,
                actor=actor,
                old_password=old_password,
                new_password=new_password,
                profile=request.app.state.settings.password_profile,
                token=request.cookies.get(SESSION_COOKIE, ""),
            )
        except InvalidInput as exc:
            error = exc.message
    if error:
        return render(
            request,
            "password.html",
            {"error": error, "done": False, "required": actor.must_change_password},
            status_code=400,
        )
    return render(request, "password.html", {"error": None, "done": True, "required": False})


class PasswordChange(BaseModel):
    """Current and new password."""

    old_password: str = Field(max_length=128)
    new_password: str = Field(max_length=128)


@router.post("/api/session/password")
def api_password(
    request: Request,
    body: PasswordChange,
    actor: Actor = require_session(),
    session: Session = Depends(get_session),
) -> dict[str, str]:
    """Change one's own password; other sessions end."""
    from fanguai.security import service as auth

    auth.change_password(
        session,
        actor=actor,
        old_password=body.old_password,
        new_password=body.new_password,
        profile=request.app.state.settings.password_profile,
        token=request.cookies.get(SESSION_COOKIE, ""),
    )
    return {"password": "changed"}
