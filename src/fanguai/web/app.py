"""The FastAPI application: middleware, error mapping, routers, static files."""

from __future__ import annotations

import hashlib
import hmac
import logging
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from fanguai.core import actions
from fanguai.core.actor import ANONYMOUS, Actor
from fanguai.core.context import (
    audit_marks_var,
    client_var,
    new_request_id,
    request_id_var,
    source_var,
)
from fanguai.db import Database
from fanguai.errors import DomainError, NotAuthenticated
from fanguai.settings import Settings, get_settings
from fanguai.web.i18n import translate
from fanguai.web.templating import render

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


UNAUDITED_PREFIXES = ("/static/", "/healthz")


def _outcome(status: int) -> str:
    if status < 400:
        return "success"
    if status in (401, 403, 404):
        return "denied"  # 404 too: out of scope and missing look alike, in the log as well
    return "failed"


def _client(request: Request, actor: Actor, secret: str) -> str | None:
    host = request.client.host if request.client else None
    if host is None:
        return None
    if actor.is_user:
        return host
    # Anonymous callers are not identified in the audit log: a keyed hash, enough to see floods.
    return "h:" + hmac.new(secret.encode(), host.encode(), hashlib.sha256).hexdigest()[:24]


class RequestContextMiddleware(BaseHTTPMiddleware):
    """Request ID, source, body size limit, security headers and the request audit record."""

    def __init__(self, app, max_request_bytes: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__(app)
        self.max_request_bytes = max_request_bytes

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        rid = new_request_id()
        request_id_var.set(rid)
        source_var.set("api" if _is_api(request) else "web")
        marks: list[int] = []
        audit_marks_var.set(marks)
        secret = request.app.state.settings.secret_key.get_secret_value()
        # Anonymous until a session names the user (Permission then records the address).
        client_var.set(_client(request, ANONYMOUS, secret))
        length = request.headers.get("content-length")
        if "\x00" in request.url.path or "%00" in str(request.url.query):
            # PostgreSQL text cannot hold NUL; no legitimate URL of ours carries one.
            response: Response = JSONResponse(
                {"error": "invalid_input", "message": "NUL byte in the URL"}, status_code=400
            )
        elif length is not None and (not length.isdigit() or int(length) > self.max_request_bytes):
            response = JSONResponse(
                {
                    "error": "payload_too_large",
                    "message": f"request body over {self.max_request_bytes} bytes",
                },
                status_code=413,
            )
        else:
            response = await call_next(request)
        if not marks and not request.url.path.startswith(UNAUDITED_PREFIXES):
            actor: Actor = getattr(request.state, "actor", ANONYMOUS)
            client_var.set(_client(request, actor, secret))
            try:
                outcome = getattr(request.state, "audit_outcome", None) or _outcome(
                    response.status_code
                )
                await run_in_threadpool(self._record, request, actor, response.status_code, outcome)
            except Exception:
                # Fail closed (C6): no audit record, no answer.
                log.exception("audit write failed; refusing the response")
                response = JSONResponse(
                    {"error": "unavailable", "message": "audit log unavailable"}, status_code=503
                )
        response.headers["X-Request-ID"] = rid
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        if request.url.scheme == "https":
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response

    @staticmethod
    def _record(request: Request, actor: Actor, status: int, outcome: str) -> None:
        with request.app.state.db.session() as session:
            actions.record(
                session,
                actor,
                f"http.{request.method.lower()}",
                outcome=outcome,
                object_type="route",
                object_id=request.url.path[:64],
                detail={"status": status},
            )


def _error_response(request: Request, exc: DomainError) -> Response:
    # A refusal stays a refusal in the audit log even when the page answers with a redirect.
    request.state.audit_outcome = "denied" if exc.status_code in (401, 403, 404) else "failed"
    if _is_api(request):
        body = {"error": exc.code, "message": exc.message}
        if exc.field:
            body["field"] = exc.field
        return JSONResponse(body, status_code=exc.status_code)
    if isinstance(exc, NotAuthenticated):
        # Back to the same page after login, filters and all.
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = quote(here, safe="/")
        page = "/mfa" if exc.code == "mfa_required" else "/login"
        return RedirectResponse(f"{page}?next={target}", status_code=303)
    if exc.code == "password_change_required":
        return RedirectResponse("/password", status_code=303)
    key = {404: "error.not_found", 403: "error.forbidden"}.get(exc.status_code, "error.invalid")
    return render(
        request,
        "error.html",
        {"title": translate(key), "status": exc.status_code},
        status_code=exc.status_code,
    )


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """Build the application for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    settings.check_for_production()
    db = db or Database.from_url(
        settings.effective_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    app = FastAPI(title="fanguai 反拐", version="0.1.0", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.db = db
    app.add_middleware(RequestContextMiddleware, max_request_bytes=settings.max_request_bytes)

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        return _error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": e.get("msg")}
            for e in exc.errors()
        ]
        if _is_api(request):
            return JSONResponse({"error": "invalid_input", "errors": errors}, status_code=422)
        return render(
            request,
            "error.html",
            {"title": translate("error.invalid"), "status": 422},
            status_code=422,
        )

    @app.exception_handler(DataError)
    async def _bad_data(request: Request, exc: DataError) -> Response:
        # A value the database cannot store (NUL in text, out-of-range number): the input's fault.
        return JSONResponse(
            {
                "error": "invalid_input",
                "message": "a value cannot be stored (invalid characters or out of range)",
            },
            status_code=422,
        )

    @app.exception_handler(OperationalError)
    async def _db_unavailable(request: Request, exc: OperationalError) -> Response:
        log.error("database error: %s", type(exc.orig).__name__ if exc.orig else "unknown")
        return JSONResponse(
            {"error": "unavailable", "message": "database unavailable"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    from fanguai.accountability import api as accountability_api
    from fanguai.accountability import pages as accountability_pages
    from fanguai.alerts import api as alerts_api
    from fanguai.alerts import pages as alerts_pages
    from fanguai.dna import api as dna_api
    from fanguai.dna import pages as dna_pages
    from fanguai.geo import pages as geo_pages
    from fanguai.identify import api as identify_api
    from fanguai.identify import pages as identify_pages
    from fanguai.leads import api as leads_api
    from fanguai.leads import pages as leads_pages
    from fanguai.org import api as org_api
    from fanguai.org import pages as org_pages
    from fanguai.people import api as people_api
    from fanguai.plan import api as plan_api
    from fanguai.plan import pages as plan_pages
    from fanguai.retention import api as retention_api
    from fanguai.retention import pages as retention_pages
    from fanguai.tasks import pages as tasks_pages
    from fanguai.victims import api as victims_api
    from fanguai.victims import pages as victims_pages
    from fanguai.web import admin_pages, mfa_pages
    from fanguai.web import pages as core_pages

    for module in (
        core_pages,
        mfa_pages,
        admin_pages,
        org_pages,
        plan_pages,
        geo_pages,
        org_api,
        plan_api,
        people_api,
        tasks_pages,
        leads_pages,
        leads_api,
        alerts_pages,
        alerts_api,
        dna_pages,
        dna_api,
        identify_pages,
        identify_api,
        victims_pages,
        victims_api,
        accountability_pages,
        accountability_api,
        retention_pages,
        retention_api,
    ):
        app.include_router(module.router)

    static_dir = Path(str(resources.files("fanguai.web") / "static"))
    app.mount("/static", StaticFiles(directory=static_dir), name="static")
    return app
