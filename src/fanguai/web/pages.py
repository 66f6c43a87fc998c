"""Login, logout, home page, health check and the JSON session endpoints."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from fanguai.core.actor import Actor
from fanguai.errors import NotAuthenticated
from fanguai.org.models import Division, Unit, User
from fanguai.plan import service as plan_service
from fanguai.security import service as auth
from fanguai.security.scope import covers_clause, sees_unit_clause
from fanguai.web.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    get_session,
    public,
    require,
    require_session,
)
from fanguai.web.i18n import translate
from fanguai.web.templating import render

router = APIRouter()


def login_policy(settings) -> auth.LoginPolicy:  # type: ignore[no-untyped-def]
    """The login rules the settings choose."""
    from fanguai.security.password_policy import PROFILES

    rotation = settings.password_rotation_days
    if PROFILES[settings.password_profile].rotation_days is None:
        rotation = 0  # the nist profile never expires passwords
    return auth.LoginPolicy(
        absolute_hours=settings.session_absolute_hours,
        dormant_after_days=settings.dormant_after_days,
        rotation_days=rotation,
    )


def throttle_key(request: Request) -> str | None:
    """A keyed hash of the client address: throttling without storing the address."""
    if request.client is None:
        return None
    secret = request.app.state.settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, request.client.host.encode(), hashlib.sha256).hexdigest()[:40]


def safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="strict",
        max_age=settings.session_absolute_hours * 3600,
        path="/",
    )


@router.get("/healthz")
def healthz(actor: Actor = public(), session: Session = Depends(get_session)) -> dict[str, str]:  # noqa: F821
    """Liveness and database reachability."""
    session.execute(select(1))
    return {"status": "ok"}


def _login_form(
    request: Request,
    *,
    next: str | None,
    error: str | None = None,
    username: str = "",
    status_code: int = 200,
) -> Response:
    # There is no session yet: CSRF is a double-submit cookie matched by a hidden field.
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"next": safe_next(next), "login_csrf": token, "error": error, "username": username},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
        path="/login",
    )
    return response


@router.get("/login")
def login_page(request: Request, next: str | None = None, actor: Actor = public()) -> Response:
    """The login form (with a double-submit CSRF cookie, as there is no session yet)."""
    if actor.is_user:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, next=next)


@router.post("/login")
def login_submit(
    request: Request,
    username: str = Form("", max_length=64),
    password: str = Form("", max_length=128),
    csrf_token: str = Form(""),
    next: str = Form("/"),
    actor: Actor = public(),
    session: Session = Depends(get_session),
) -> Response:
    """Check the credentials and start a session."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    error = None
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        error = translate("login.expired")
    else:
        settings = request.app.state.settings
        try:
            new, _ = auth.login(
                session,
                username=username,
                password=password,
                policy=login_policy(settings),
                throttle_key=throttle_key(request),
            )
        except NotAuthenticated:
            error = translate("login.failed")
        else:
            target = safe_next(next)
            if settings.mfa_required:
                target = f"/mfa?next={quote(target, safe='/')}"
            response = RedirectResponse(target, status_code=303)
            _set_session_cookie(request, response, new.token)
            response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
            return response
    return _login_form(request, next=next, error=error, username=username, status_code=400)


@router.post("/logout")
def logout(
    request: Request,
    actor: Actor = require_session(first_factor=True),
    session: Session = Depends(get_session),
) -> Response:
    """End the session on the server and drop the cookie."""
    auth.logout(session, actor=actor, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class SessionCreate(BaseModel):
    """Credentials for a JSON login."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=128)


@router.post("/api/session")
async def api_login(
    request: Request,
    body: SessionCreate,
    actor: Actor = public(),
    session: Session = Depends(get_session),
) -> Response:
    """JSON login: sets the session cookie and returns the CSRF token for later writes."""
    settings = request.app.state.settings
    new, who = await run_in_threadpool(
        auth.login,
        session,
        username=body.username,
        password=body.password,
        policy=login_policy(settings),
        throttle_key=throttle_key(request),
    )
    response = JSONResponse(
        {
            "csrf_token": new.csrf_token,
            "user": who.name,
            "unit": who.unit_code,
            "roles": sorted(who.roles),
            "mfa_required": settings.mfa_required,
        },
        status_code=201,
    )
    _set_session_cookie(request, response, new.token)
    return response


@router.get("/api/me")
def api_me(actor: Actor = require("home.view")) -> dict[str, object]:
    """Who the session belongs to."""
    return {
        "user": actor.name,
        "unit": actor.unit_code,
        "unit_name": actor.unit_name,
        "roles": sorted(actor.roles),
        "permissions": sorted(actor.permissions),
    }


def home_counts(session: Session, actor: Actor) -> list[tuple[str, int, str]]:
    """The numbers on the home page, each with what it counts (all are current totals)."""
    counts: list[tuple[str, int, str]] = []
    if actor.can("units.read"):
        n = session.execute(
            select(func.count())
            .select_from(Unit)
            .where(sees_unit_clause(actor, Unit.division_code))
        ).scalar_one()
        counts.append(("home.count.units", n, "/units"))
        n = session.execute(
            select(func.count())
            .select_from(Division)
            .where(covers_clause(actor, Division.code), Division.level == "county")
        ).scalar_one()
        counts.append(("home.count.counties", n, "/divisions"))
    if actor.can("measures.read"):
        try:
            n = len(plan_service.list_measures(session, actor=actor))
        except Exception:  # noqa: BLE001 - an installation without a plan still shows its home
            n = 0
        counts.append(("home.count.measures", n, "/measures"))
        if actor.unit_id is not None:
            unit = session.get(Unit, actor.unit_id)
            assert unit is not None
            target = unit.parent if unit.parent is not None else unit
            try:
                n = len(
                    plan_service.list_measures(session, actor=actor, unit_id=target.id, role="lead")
                )
            except Exception:  # noqa: BLE001
                n = 0
            counts.append(("home.count.my_lead", n, f"/measures?unit={target.public_id}&role=lead"))
    if actor.can("users.read"):
        from fanguai.org.service import list_users

        counts.append(
            ("home.count.staff", list_users(session, actor=actor, page_size=1).total, "/staff")
        )
    return counts


@router.get("/")
def home(
    request: Request, actor: Actor = require("home.view"), session: Session = Depends(get_session)
) -> Response:
    """The home page: real counts within the user's scope, and where to go next."""
    user = session.get(User, actor.user_id) if actor.user_id else None
    return render(request, "home.html", {"counts": home_counts(session, actor), "user": user})
