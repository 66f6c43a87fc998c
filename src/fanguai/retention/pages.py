"""The retention page (保存期限与依法保全) for supervisors: schedule, holds, place and release."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import DomainError
from fanguai.retention import service
from fanguai.retention.models import HOLD_TYPES
from fanguai.web.deps import get_session, require
from fanguai.web.i18n import translate
from fanguai.web.templating import render

router = APIRouter()


def _message(exc: DomainError) -> str:
    key = {
        "not_found": "retention.error.not_found",
        "conflict": "retention.error.conflict",
    }.get(exc.code)
    if key is None and exc.field == "object_type":
        key = "retention.error.type"
    if key is None and exc.field == "reason":
        key = "retention.error.reason"
    return translate(key) if key else exc.message


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    rows = service.schedule_rows(
        session, actor=actor, settings=request.app.state.settings, now=utcnow()
    )
    holds = service.list_holds(session, actor=actor)
    return render(
        request,
        "retention/index.html",
        {
            "rows": rows,
            "holds": holds,
            "types": HOLD_TYPES,
            "error": error,
            "form": form or {},
        },
        status_code=status_code,
    )


@router.get("/retention")
def retention_page(
    request: Request,
    hold_type: str = Query("", alias="type", max_length=20),
    hold_id: str = Query("", alias="id", max_length=36),
    actor: Actor = require("retention.hold"),
    session: Session = Depends(get_session),
) -> Response:
    """The schedule with what is due now, and the legal holds in scope.

    ``type`` and ``id`` fill in the hold form (the link on a record's own page)."""
    form = {"object_type": hold_type, "object_id": hold_id} if hold_type in HOLD_TYPES else None
    return _page(request, session, actor, form=form)


@router.post("/retention/holds")
def place_submit(
    request: Request,
    object_type: str = Form("", max_length=20),
    object_id: str = Form("", max_length=36),
    reason: str = Form("", max_length=500),
    actor: Actor = require("retention.hold"),
    session: Session = Depends(get_session),
) -> Response:
    """Place a legal hold; errors are shown beside the form, which keeps what was typed."""
    form = {"object_type": object_type, "object_id": object_id, "reason": reason}
    try:
        service.place_hold(
            session, actor=actor, object_type=object_type, object_id=object_id, reason=reason
        )
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        return _page(
            request, session, actor, error=_message(exc), form=form, status_code=exc.status_code
        )
    return RedirectResponse("/retention", status_code=303)


@router.post("/retention/holds/{hold_id}/release")
def release_submit(
    request: Request,
    hold_id: str,
    reason: str = Form("", max_length=500),
    actor: Actor = require("retention.hold"),
    session: Session = Depends(get_session),
) -> Response:
    """Release a legal hold."""
    try:
        service.release_hold(session, actor=actor, public_id=hold_id, reason=reason)
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        return _page(request, session, actor, error=_message(exc), status_code=exc.status_code)
    return RedirectResponse("/retention", status_code=303)
