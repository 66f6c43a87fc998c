"""Jinja2 environment and the one ``render`` every page uses."""

from __future__ import annotations

import base64
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from fanguai.core.actor import Actor
from fanguai.security.roles import ROLES
from fanguai.web.i18n import translate

BEIJING = ZoneInfo("Asia/Shanghai")

templates = Jinja2Templates(directory=str(resources.files("fanguai.web") / "templates"))


def beijing(value: datetime | None) -> str:
    """A UTC time shown in Beijing time as ``YYYY-MM-DD HH:mm``."""
    if value is None:
        return "—"
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


templates.env.globals["_"] = translate
templates.env.filters["beijing"] = beijing
templates.env.filters["b64"] = lambda value: base64.b64encode(str(value).encode()).decode()
templates.env.globals["ROLES"] = ROLES

# Navigation by permission: (permission, url, message key).
NAV = (
    ("home.view", "/", "nav.home"),
    ("home.view", "/tasks", "nav.tasks"),
    ("leads.read", "/leads", "nav.leads"),
    ("leads.report", "/portal", "nav.portal"),
    ("cases.read", "/cases", "nav.cases"),
    ("subscribers.manage", "/alerts/subscribers", "nav.subscribers"),
    ("dna.read", "/dna", "nav.dna"),
    ("dna.reveal", "/dna/reveal-grants", "nav.dna_reveal"),
    ("found.read", "/found", "nav.found"),
    ("victims.read", "/victims", "nav.victims"),
    ("victims.sector", "/victims/sector", "nav.victims_sector"),
    ("victims.stats", "/victims/stats", "nav.victims_stats"),
    ("progress.read", "/progress", "nav.progress"),
    ("dashboard.view", "/dashboard", "nav.dashboard"),
    ("evaluation.score", "/evaluations", "nav.evaluations"),
    ("retention.hold", "/retention", "nav.retention"),
    ("measures.read", "/measures", "nav.measures"),
    ("units.read", "/units", "nav.units"),
    ("divisions.read", "/divisions", "nav.divisions"),
    ("users.read", "/staff", "nav.staff"),
    ("users.manage", "/admin/system", "nav.admin.system"),
    ("roles.assign", "/admin/security", "nav.admin.security"),
    ("audit.read", "/admin/audit", "nav.admin.audit"),
)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page with the layout's context (actor, navigation, CSRF token)."""
    actor: Actor | None = getattr(request.state, "actor", None)
    half_logged_in = (
        getattr(request.state, "mfa_passed", True) is False
        and request.app.state.settings.mfa_required
    )
    nav = [
        (url, key)
        for perm, url, key in NAV
        if actor is not None and actor.can(perm) and not half_logged_in
    ]
    ctx = {
        "actor": actor if actor is not None and actor.is_user else None,
        "nav": nav,
        "path": request.url.path,
        "demo": request.app.state.settings.demo,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
