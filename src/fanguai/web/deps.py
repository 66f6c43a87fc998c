"""Request dependencies: the database session, the acting user, declared permissions, CSRF.

Every route declares its permission with ``require("…")`` or ``public()``; a test walks all
routes and fails on one that declares neither.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from fanguai.core import actions
from fanguai.core.actor import ANONYMOUS, Actor
from fanguai.core.context import client_var
from fanguai.errors import DomainError, Forbidden, NotAuthenticated
from fanguai.security import service as auth

SESSION_COOKIE = "fanguai_session"
LOGIN_CSRF_COOKIE = "fanguai_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """A database session for this request, closed afterwards.

    A read-only transaction left open at the end is committed rather than rolled back: there is
    nothing to undo (writes go through actions, which commit themselves), and ending it cleanly
    keeps the audit records that other sessions wrote meanwhile in the test harness, where all
    sessions share one connection through savepoints.
    """
    with request.app.state.db.session() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        if session.in_transaction():
            if session.new or session.dirty or session.deleted:
                session.rollback()
            else:
                session.commit()


class CsrfFailed(Forbidden):
    """A state-changing request without the session's CSRF token."""

    def __init__(self) -> None:
        super().__init__("CSRF token missing or wrong; reload the page and try again")


async def _submitted_csrf(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # starlette caches it for the route
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


class MfaRequired(NotAuthenticated):
    """Logged in with the password only: the second factor is still due."""

    code = "mfa_required"

    def __init__(self) -> None:
        super().__init__("second factor required")


class PasswordChangeRequired(Forbidden):
    """The password has expired (or was set by an admin): change it before anything else."""

    code = "password_change_required"

    def __init__(self) -> None:
        super().__init__("password change required")


SESSION_ONLY = "session"  # any logged-in staff user, whatever their roles


class Permission:
    """A route's declared permission; ``None`` marks a public route.

    ``first_factor`` routes (the second-factor pages, logout) accept a session that has passed
    the password but not yet the TOTP code; every other route needs both.
    """

    def __init__(self, permission: str | None, *, first_factor: bool = False) -> None:
        self.permission = permission
        self.first_factor = first_factor

    def __repr__(self) -> str:
        return f"Permission({self.permission!r}, first_factor={self.first_factor})"

    async def __call__(self, request: Request, session: Session = Depends(get_session)) -> Actor:
        settings = request.app.state.settings
        token = request.cookies.get(SESSION_COOKIE)
        actor: Actor = ANONYMOUS
        row = None
        if token:
            try:
                actor, row = await run_in_threadpool(
                    auth.resolve,
                    session,
                    token=token,
                    idle_minutes=settings.session_idle_minutes,
                )
            except NotAuthenticated:
                actor, row = ANONYMOUS, None
        request.state.actor = actor
        if actor.is_user:
            client_var.set(request.client.host if request.client else None)
        if self.permission is None:
            return actor
        if row is None:
            raise NotAuthenticated("not logged in")
        request.state.session_row = row
        request.state.mfa_passed = bool(row.mfa_passed)
        request.state.csrf_token = row.csrf_token  # the error page's logout button needs it
        if settings.mfa_required and not row.mfa_passed and not self.first_factor:
            raise MfaRequired()
        if actor.must_change_password and self.permission != SESSION_ONLY:
            raise PasswordChangeRequired()
        if request.method not in SAFE_METHODS:
            submitted = await _submitted_csrf(request)
            if not submitted or not hmac.compare_digest(submitted, row.csrf_token):
                await run_in_threadpool(_audit_denied, session, actor, request, "csrf")
                raise CsrfFailed()
        if self.permission != SESSION_ONLY and not actor.can(self.permission):
            await run_in_threadpool(_audit_denied, session, actor, request, self.permission)
            raise Forbidden(f"permission {self.permission!r} required")
        request.state.csrf_token = row.csrf_token
        return actor


def _audit_denied(session: Session, actor: Actor, request: Request, why: str) -> None:
    actions.record(
        session,
        actor,
        f"http.{request.method.lower()}",
        outcome="denied",
        object_type="route",
        object_id=request.url.path[:64],
        message=f"denied: {why}",
    )


def require(permission: str) -> Any:
    """Declare that a route needs ``permission`` (and a logged-in staff user)."""
    return Depends(Permission(permission))


def require_session(*, first_factor: bool = False) -> Any:
    """Declare that a route needs a logged-in user (any role), e.g. the second-factor pages."""
    return Depends(Permission(SESSION_ONLY, first_factor=first_factor))


def public() -> Any:
    """Declare a route public (login page, health check); the actor may be anonymous."""
    return Depends(Permission(None))


def declared_permission(dependant: Any) -> Permission | None:
    """The ``Permission`` a route's dependency tree declares, if any (for the route test)."""
    for dep in dependant.dependencies:
        if isinstance(dep.call, Permission):
            return dep.call
        found = declared_permission(dep)
        if found is not None:
            return found
    return None


def iter_api_routes(app: Any) -> Iterator[tuple[str, str, Any]]:
    """Every (method, full path, route) the app serves, through included routers too."""
    from fastapi.routing import APIRoute, iter_route_contexts

    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute):
            for method in sorted(route.methods - {"HEAD"}):
                yield method, ctx.path or route.path, route


__all__ = ["DomainError", "Permission", "declared_permission", "get_session", "public", "require"]
