"""Pages of the DNA store: specimens, import, matches locus by locus, reveal, access log.

No page lists or exports profiles in bulk: a profile is shown one specimen at a time, and each
showing is audited.
"""

from __future__ import annotations

import math
import re
from types import SimpleNamespace
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from fanguai.core.actor import Actor
from fanguai.dna import index as idx
from fanguai.dna import service
from fanguai.dna.api import _settings
from fanguai.dna.labfile import MAX_ERRORS, Notice, RowError
from fanguai.dna.models import KINDS, DnaProfile, Specimen
from fanguai.errors import DomainError
from fanguai.web.deps import get_session, require
from fanguai.web.i18n import translate
from fanguai.web.templating import render

router = APIRouter()

PAGE_SIZE = 30
MAX_UPLOAD = 4_000_000
_KINDS = "^(" + "|".join(KINDS) + ")?$"


def _notice_text(notice: Notice) -> str:
    """A notice about a lab file in Chinese (a locus stored but not compared)."""
    return translate(f"dna.notice.{notice.code}", locus=notice.locus, **dict(notice.params))


def _error_text(error: RowError) -> str:
    """A lab-file problem in Chinese: where it is, then what is wrong."""
    params = dict(error.params)
    message = translate(f"dna.err.{error.code}", **params)
    where = []
    if error.row is not None:
        where.append(translate("dna.where.row", row=error.row))
    if error.sample:
        where.append(translate("dna.where.sample", sample=error.sample))
    if error.locus:
        where.append(translate("dna.where.locus", locus=error.locus))
    return ("，".join(where) + "：" if where else "") + message


@router.get("/dna")
def specimens_page(
    request: Request,
    kind: str | None = Query(None, pattern=_KINDS),
    status: str | None = Query(None, pattern="^(active|withdrawn)?$"),
    page: int = Query(1, ge=1, le=100_000),
    actor: Actor = require("dna.read"),
    session: Session = Depends(get_session),
) -> Response:
    """Specimens in scope (IDs, kind, lab number, loci typed) with their counts."""
    rows, total = service.list_specimens(
        session, actor=actor, kind=kind or None, status=status or None, page=page,
        page_size=PAGE_SIZE,
    )  # fmt: skip
    query = urlencode({"kind": kind or "", "status": status or ""})
    return render(
        request,
        "dna/specimens.html",
        {
            "rows": rows,
            "total": total,
            "kind": kind or "",
            "status": status or "",
            "kinds": KINDS,
            "counts": service.counts(session, actor=actor),
            "page": SimpleNamespace(page=page, pages=max(1, math.ceil(total / PAGE_SIZE))),
            "query": query,
        },
    )


@router.get("/dna/import")
def import_page(
    request: Request,
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
) -> Response:
    """Upload a lab file: check it first, then import it whole."""
    return render(request, "dna/import.html", {"form": {"lab": actor.unit_name or ""}})


def _decode(raw: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


@router.post("/dna/import")
async def import_submit(
    request: Request,
    layout: str = Form(..., pattern="^(long|wide)$"),
    kit: str = Form(..., max_length=60),
    lab: str = Form("", max_length=80),
    mode: str = Form("check", pattern="^(check|import)$"),
    text: str = Form("", max_length=MAX_UPLOAD),
    file: UploadFile | None = File(None),
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
) -> Response:
    """Check a lab file (errors by row and locus), or import it whole when it is clean."""
    content = text
    if file is not None and file.filename:
        raw = await file.read(MAX_UPLOAD + 1)
        decoded = _decode(raw) if len(raw) <= MAX_UPLOAD else None
        if decoded is None:
            context = {
                "form": {"layout": layout, "kit": kit, "lab": lab},
                "problem": translate("dna.import.unreadable"),
            }
            return render(request, "dna/import.html", context, status_code=422)
        content = decoded
    return await run_in_threadpool(
        _import, request, session, actor, layout=layout, kit=kit, lab=lab, mode=mode, text=content
    )


def _import(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    layout: str,
    kit: str,
    lab: str,
    mode: str,
    text: str,
) -> Response:
    form = {"layout": layout, "kit": kit, "lab": lab}
    context: dict[str, object] = {"form": form, "text": text}
    try:
        if mode == "check":
            parsed = service.check_lab_file(
                session, text, layout, lab=(lab or actor.unit_name or "").strip()
            )
            context["checked"] = parsed
            context["errors"] = [_error_text(e) for e in parsed.errors]
            context["truncated"] = len(parsed.errors) >= MAX_ERRORS
            context["notices"] = [_notice_text(n) for n in parsed.notices]
            status = 422 if parsed.errors else 200
            return render(request, "dna/import.html", context, status_code=status)
        result = service.import_lab_file(
            session, actor=actor, text=text, layout=layout, kit=kit, lab=lab or None
        )
    except service.ImportRefused as exc:
        context["errors"] = [_error_text(e) for e in exc.errors]
        context["refused"] = True
        return render(request, "dna/import.html", context, status_code=422)
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        context["problem"] = translate(
            "dna.import.invalid", field=exc.field or "", message=exc.message
        )
        return render(request, "dna/import.html", context, status_code=exc.status_code)
    by_specimen: dict[str, list] = {}
    for m in result.matches:
        by_specimen.setdefault(m.query.public_id, []).append(m)
    return render(
        request,
        "dna/imported.html",
        {
            "result": result,
            "matches": by_specimen,
            "notices": [_notice_text(n) for n in result.notices],
        },
        status_code=201,
    )


@router.get("/dna/specimens/{specimen_id}")
def specimen_page(
    request: Request,
    specimen_id: str,
    actor: Actor = require("dna.read"),
    session: Session = Depends(get_session),
) -> Response:
    """One specimen: its allele calls (an audited read), couples and candidate matches."""
    specimen = service.get_specimen_for(session, actor=actor, public_id=specimen_id)
    loci = session.execute(
        select(DnaProfile.locus_count).where(DnaProfile.specimen_id == specimen.id)
    ).scalar_one()
    couples = service.couples_of(session, specimen)
    matches = service.candidates_for(session, actor=actor, specimen_public_id=specimen_id)
    profile = None
    if specimen.status == "active":
        profile = service.read_profile(session, actor=actor, specimen=specimen)
    return render(
        request,
        "dna/specimen.html",
        {
            "s": specimen,
            "loci": loci,
            "profile": profile,
            # stored loci the frequency table lacks: shown, never compared
            "uncompared": set(profile or {}) - set(idx.computable(profile or {})),
            "couples": couples,
            "matches": matches,
        },
    )


@router.post("/dna/specimens/{specimen_id}/withdraw")
def withdraw_submit(
    request: Request,
    specimen_id: str,
    reason: str = Form("", max_length=500),
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
) -> Response:
    """A relative withdrew consent: shred the profile (R-DNA-8)."""
    try:
        service.withdraw_consent(
            session, actor=actor, specimen_public_id=specimen_id, reason=reason
        )
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        return _flash(request, f"/dna/specimens/{specimen_id}", exc)
    return RedirectResponse(f"/dna/specimens/{specimen_id}?done=withdrawn", status_code=303)


# The service's refusals that a page explains in its own words.
_PROBLEMS = {
    "reason must be 4–500 characters": "dna.problem.reason",
    "only a relative's profile, given with consent, can be withdrawn": "dna.problem.not_relative",
    "this profile is already withdrawn": "dna.problem.already_withdrawn",
    "this match was withdrawn with a shredded profile": "dna.problem.match_withdrawn",
    "the specimen is not part of this match": "dna.problem.not_in_match",
    "revealing a specimen's subject needs an approved reveal grant": "dna.problem.no_grant",
    "a request cannot be approved by the person who made it": "dna.problem.own_grant",
}


def problem_text(exc: DomainError) -> str:
    """A refusal in Chinese (the service's words inside a Chinese sentence when unknown)."""
    key = _PROBLEMS.get(exc.message)
    if key is None and exc.message.startswith("grant is "):
        key = "dna.problem.not_pending"
    return translate(key) if key else translate("dna.problem.generic", detail=exc.message)


def _flash(request: Request, back: str, exc: DomainError) -> Response:
    return render(
        request,
        "dna/problem.html",
        {"message": problem_text(exc), "back": back},
        status_code=exc.status_code,
    )


@router.get("/dna/matches/{match_id}")
def match_page(
    request: Request,
    match_id: str,
    model: str | None = Query(None, pattern="^(none|equal|proportional|stepwise)?$"),
    rate: float | None = Query(None),
    rate_female: float | None = Query(None),
    theta: float | None = Query(None),
    actor: Actor = require("dna.read"),
    session: Session = Depends(get_session),
) -> Response:
    """A match locus by locus, with the stored settings or others the analyst tries."""
    match = service.get_match_for(session, actor=actor, public_id=match_id)
    trial = {"model": model or "", "rate": rate, "rate_female": rate_female, "theta": theta}
    problem = None
    try:
        settings = _settings(model or None, rate, rate_female, theta)
        detail = service.match_detail(session, actor=actor, match=match, settings=settings)
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        problem = exc.message
        detail = service.match_detail(session, actor=actor, match=match)
    return render(
        request,
        "dna/match.html",
        {
            "m": match,
            "detail": detail,
            "roles": [r for r in detail.genotypes],
            "retests": service.retests_of(session, match),
            "trial": trial,
            "problem": problem,
        },
        status_code=422 if problem else 200,
    )


_LINE = re.compile(r"^\s*([^,:=\s][^,:=]*?)\s*[,:=\s]\s*(.+?)\s*$")


def _profile_lines(text: str) -> dict[str, str]:
    """``D3S1358 15/16`` or ``D3S1358,15,16`` per line → {locus: genotype}."""
    profile: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        found = _LINE.match(line)
        if found is None:
            profile[line.strip()] = ""
            continue
        locus, genotype = found.group(1), found.group(2).replace(",", "/").replace(" ", "")
        profile[locus] = genotype
    return profile


@router.post("/dna/matches/{match_id}/retest")
def retest_submit(
    request: Request,
    match_id: str,
    profile: str = Form("", max_length=20_000),
    specimen: str = Form("", max_length=36),
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
) -> Response:
    """Record a confirming re-test (one locus per line)."""
    try:
        service.retest(
            session,
            actor=actor,
            match_public_id=match_id,
            profile=_profile_lines(profile),
            specimen_public_id=specimen or None,
        )
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        return _flash(request, f"/dna/matches/{match_id}", exc)
    return RedirectResponse(f"/dna/matches/{match_id}#retests", status_code=303)


# -- supervisors: reveal and who accessed ------------------------------------------------------


def _reveal_context(session: Session, actor: Actor, specimen: Specimen) -> dict[str, object]:
    return {
        "s": specimen,
        "grants": service.grants_of(session, actor=actor, specimen=specimen),
        "active": service.active_reveal_grant(session, actor=actor, specimen=specimen),
    }


@router.get("/dna/specimens/{specimen_id}/reveal")
def reveal_page(
    request: Request,
    specimen_id: str,
    actor: Actor = require("dna.reveal"),
    session: Session = Depends(get_session),
) -> Response:
    """Ask for a reveal grant, or reveal with an approved one."""
    specimen = service.get_specimen_for(
        session, actor=actor, public_id=specimen_id, permission="dna.reveal"
    )
    return render(request, "dna/reveal.html", _reveal_context(session, actor, specimen))


@router.post("/dna/specimens/{specimen_id}/reveal-grants")
def request_grant_submit(
    request: Request,
    specimen_id: str,
    reason: str = Form("", max_length=500),
    actor: Actor = require("dna.reveal"),
    session: Session = Depends(get_session),
) -> Response:
    """Ask another supervisor to approve a reveal."""
    try:
        service.request_reveal_grant(
            session, actor=actor, specimen_public_id=specimen_id, reason=reason
        )
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        return _flash(request, f"/dna/specimens/{specimen_id}/reveal", exc)
    return RedirectResponse(f"/dna/specimens/{specimen_id}/reveal", status_code=303)


@router.post("/dna/specimens/{specimen_id}/reveal")
def reveal_submit(
    request: Request,
    specimen_id: str,
    reason: str = Form("", max_length=500),
    actor: Actor = require("dna.reveal"),
    session: Session = Depends(get_session),
) -> Response:
    """Reveal who is behind the specimen (approved grant; high-priority audit)."""
    try:
        links = service.reveal_subject(
            session, actor=actor, specimen_public_id=specimen_id, reason=reason
        )
    except DomainError as exc:
        if exc.status_code in (401, 404):
            raise
        return _flash(request, f"/dna/specimens/{specimen_id}/reveal", exc)
    specimen = service.get_specimen_for(
        session, actor=actor, public_id=specimen_id, permission="dna.reveal"
    )
    context = _reveal_context(session, actor, specimen)
    context["links"] = links
    return render(request, "dna/reveal.html", context)


@router.get("/dna/reveal-grants")
def grants_page(
    request: Request,
    specimen: str | None = Query(None, max_length=36),
    actor: Actor = require("dna.reveal"),
    session: Session = Depends(get_session),
) -> Response:
    """Reveal requests to decide; a specimen ID typed here opens its reveal page."""
    if specimen:
        found = service.get_specimen_for(
            session, actor=actor, public_id=specimen.strip(), permission="dna.reveal"
        )
        return RedirectResponse(f"/dna/specimens/{found.public_id}/reveal", status_code=303)
    grants = service.pending_reveal_grants(session, actor=actor)
    return render(request, "dna/grants.html", {"grants": grants})


def _decide(
    request: Request, session: Session, actor: Actor, grant_id: str, approve: bool
) -> Response:
    try:
        service.decide_reveal_grant(session, actor=actor, grant_public_id=grant_id, approve=approve)
    except DomainError as exc:
        if exc.status_code in (401, 404):
            raise
        return _flash(request, "/dna/reveal-grants", exc)
    return RedirectResponse("/dna/reveal-grants", status_code=303)


@router.post("/dna/reveal-grants/{grant_id}/approve")
def approve_submit(
    request: Request,
    grant_id: str,
    actor: Actor = require("grants.approve"),
    session: Session = Depends(get_session),
) -> Response:
    """Approve a reveal request (never one's own)."""
    return _decide(request, session, actor, grant_id, True)


@router.post("/dna/reveal-grants/{grant_id}/reject")
def reject_submit(
    request: Request,
    grant_id: str,
    actor: Actor = require("grants.approve"),
    session: Session = Depends(get_session),
) -> Response:
    """Reject a reveal request."""
    return _decide(request, session, actor, grant_id, False)


@router.get("/dna/specimens/{specimen_id}/access-log")
def access_log_page(
    request: Request,
    specimen_id: str,
    actor: Actor = require("dna.reveal"),
    session: Session = Depends(get_session),
) -> Response:
    """Who read or acted on this specimen (R-DNA-5)."""
    specimen = service.get_specimen_for(
        session, actor=actor, public_id=specimen_id, permission="dna.reveal"
    )
    events = service.access_log(session, actor=actor, specimen=specimen)
    return render(request, "dna/access_log.html", {"s": specimen, "events": events})
