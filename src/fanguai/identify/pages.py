"""Pages of the identification module (身份查找与团聚): police, DNA analysts, civil affairs.

Every page reads through the service (scope first) and every form posts to an action; a
refused form comes back with what was typed and a Chinese message beside the field.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.core import actions as core_actions
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import DomainError, InvalidInput, NotFound
from fanguai.identify import actions, bridges, service
from fanguai.identify.calendar import BEIJING, load_calendar
from fanguai.identify.fields import sealer_for
from fanguai.identify.imports import COLUMNS, ImportRejected
from fanguai.identify.models import SOURCES, Candidate, FoundPerson, FoundPhoto, Reunification
from fanguai.identify.profiles import parse_profile_text
from fanguai.identify.schemas import FoundCreate, MissingRecordCreate, ReunificationCreate
from fanguai.security.crypto_runtime import field_crypto
from fanguai.web.deps import get_session, require
from fanguai.web.i18n import catalogue, translate
from fanguai.web.templating import render

router = APIRouter()

FOUND_STATUSES = ("registered", "sampled", "identified", "reunited", "closed")


# --- helpers --------------------------------------------------------------------------------


def error_text(exc: DomainError) -> str:
    """A refusal in Chinese: the message for its field, else one for its kind."""
    key = f"identify.err.{exc.field}" if exc.field else None
    if key and key in catalogue():
        return translate(key)
    return translate(f"identify.err.kind.{exc.code}") + (
        f"（{exc.message}）" if exc.message else ""
    )


def form_errors(exc: ValidationError) -> dict[str, str]:
    """Schema errors as {field: Chinese message}."""
    out: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        key = f"identify.err.{field}"
        out.setdefault(
            field, translate(key) if key in catalogue() else translate("identify.err.form")
        )
    return out


def _clean(form: dict[str, Any]) -> dict[str, Any]:
    """Empty form fields are unknown values, not empty strings."""
    return {k: v for k, v in form.items() if v not in ("", None)}


def _see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _found_url(found_id: str, **query: str) -> str:
    return f"/found/{found_id}" + (f"?{urlencode(query)}" if query else "")


async def _fields(request: Request, names: tuple[str, ...]) -> dict[str, Any]:
    form = await request.form()
    return {n: (form.get(n) or "").strip() if isinstance(form.get(n), str) else "" for n in names}


# --- found persons: list, register, import --------------------------------------------------


@router.get("/found")
def found_list(
    request: Request,
    status: str = Query("", pattern="^(|registered|sampled|identified|reunited|closed)$"),
    source: str = Query("", max_length=30),
    county: str = Query("", pattern=r"^(\d{6})?$"),
    overdue: bool = Query(False),
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> Response:
    """Found persons in scope, newest first, with their open and overdue deadlines."""
    result = service.list_found(
        session,
        field_crypto(),
        actor=actor,
        status=status or None,
        source=source if source in SOURCES else None,
        county_code=county or None,
        overdue=overdue,
        page=page,
    )
    query = urlencode(
        {k: v for k, v in {"status": status, "source": source, "county": county}.items() if v}
        | ({"overdue": "true"} if overdue else {})
    )
    return render(
        request,
        "identify/list.html",
        {
            "page": result,
            "statuses": FOUND_STATUSES,
            "sources": SOURCES,
            "status": status,
            "source": source,
            "county": county,
            "overdue": overdue,
            "query": query,
        },
    )


FOUND_FIELDS = (
    "source",
    "found_at",
    "county_code",
    "found_place",
    "found_by",
    "name",
    "sex",
    "birth_date",
    "age_min",
    "age_max",
    "description",
    "documents",
    "father_name",
    "mother_name",
    "home_place",
    "shelter_entered_at",
)


def _new_form(request: Request, form: dict, errors: dict, status_code: int = 200) -> Response:
    return render(
        request,
        "identify/new.html",
        {"form": form, "errors": errors, "sources": SOURCES},
        status_code=status_code,
    )


@router.get("/found/new")
def found_new(request: Request, actor: Actor = require("found.manage")) -> Response:
    """The registration form."""
    now = utcnow().astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")
    return _new_form(request, {"found_at": now, "sex": "unknown"}, {})


@router.post("/found")
async def found_create(
    request: Request,
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Register a found person, then show the record with its deadlines."""
    form = await _fields(request, FOUND_FIELDS)
    try:
        data = FoundCreate(**_clean(form))
    except ValidationError as exc:
        return _new_form(request, form, form_errors(exc), 422)
    try:
        found = actions.register_found(session, field_crypto(), actor=actor, data=data)
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        return _new_form(request, form, {exc.field or "form": error_text(exc)}, exc.status_code)
    return _see_other(_found_url(found.public_id, done="registered"))


@router.get("/found/import")
def found_import_page(request: Request, actor: Actor = require("found.manage")) -> Response:
    """The import form of screening campaigns, with the columns a file needs."""
    return render(request, "identify/import.html", {"columns": COLUMNS})


@router.post("/found/import")
async def found_import(
    request: Request,
    file: UploadFile = File(...),
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Import a CSV file: all rows or none, each problem named by row and field."""
    content = await file.read()
    context: dict[str, Any] = {"columns": COLUMNS, "filename": file.filename}
    try:
        batch = actions.import_found(
            session, field_crypto(), actor=actor, content=content, filename=file.filename or ""
        )
    except ImportRejected as exc:
        context["problems"] = [
            (p.row, p.field, translate(f"identify.import.problem.{p.code}", **p.params))
            for p in exc.problems
        ]
        context["more"] = exc.more
        return render(request, "identify/import.html", context, status_code=422)
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        context["error"] = error_text(exc)
        return render(request, "identify/import.html", context, status_code=exc.status_code)
    context["imported"] = batch.rows
    return render(request, "identify/import.html", context)


@router.post("/found/linkage")
def found_linkage_all(
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> Response:
    """Link every open found person in scope with the missing side by their records."""
    stored = actions.run_linkage(session, field_crypto(), actor=actor)
    return _see_other(f"/found?{urlencode({'linked': stored})}")


# --- review queue and calendar --------------------------------------------------------------


@router.get("/found/review")
def review_page(
    request: Request,
    actor: Actor = require("matches.review"),
    session: Session = Depends(get_session),
) -> Response:
    """DNA-supported candidates waiting for the re-test or the analyst's signature."""
    crypto = field_crypto()
    rows = [
        (c, service.candidate_read(session, crypto, c))
        for c in service.review_queue(session, actor=actor)
    ]
    return render(request, "identify/review.html", {"rows": rows})


@router.get("/found/calendar")
def calendar_page(
    request: Request,
    year: int = Query(0, ge=0, le=2100),
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> Response:
    """The working calendar the deadlines are counted on."""
    year = year or utcnow().astimezone(BEIJING).year
    cal = load_calendar(session)
    return render(
        request,
        "identify/calendar.html",
        {"year": year, "entries": cal.entries(year), "known": cal.has_arrangement(year)},
    )


# --- long-missing records -------------------------------------------------------------------


@router.get("/found/missing")
def missing_list(
    request: Request,
    status: str = Query("", pattern="^(|open|found|closed)$"),
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> Response:
    """Long-missing children registered by their families."""
    result = service.list_missing(
        session, field_crypto(), actor=actor, status=status or None, page=page
    )
    return render(
        request,
        "identify/missing_list.html",
        {
            "page": result,
            "status": status,
            "query": urlencode({"status": status} if status else {}),
        },
    )


MISSING_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "county_code",
    "lost_on",
    "lost_place",
    "father_name",
    "mother_name",
    "features",
    "contact",
)


def _missing_form(request: Request, form: dict, errors: dict, status_code: int = 200) -> Response:
    return render(
        request,
        "identify/missing_new.html",
        {"form": form, "errors": errors},
        status_code=status_code,
    )


@router.get("/found/missing/new")
def missing_new(request: Request, actor: Actor = require("found.manage")) -> Response:
    """The registration form of a family looking for a child lost long ago."""
    return _missing_form(request, {"sex": "unknown"}, {})


@router.post("/found/missing")
async def missing_create(
    request: Request,
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Register a long-missing child."""
    form = await _fields(request, MISSING_FIELDS)
    try:
        data = MissingRecordCreate(**_clean(form))
    except ValidationError as exc:
        return _missing_form(request, form, form_errors(exc), 422)
    try:
        record = actions.register_missing(session, field_crypto(), actor=actor, data=data)
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        return _missing_form(request, form, {exc.field or "form": error_text(exc)}, exc.status_code)
    return _see_other(f"/found/missing/{record.public_id}")


def _audit_read(session: Session, actor: Actor, kind: str, object_id: str) -> None:
    """A read of a child's record is a sensitive read: it goes in the record's access log."""
    core_actions.record(
        session,
        actor,
        f"identify.{kind}.read",
        outcome="success",
        object_type=kind,
        object_id=object_id,
    )


@router.get("/found/missing/{record_id}")
def missing_page(
    request: Request,
    record_id: str,
    error: str = Query("", max_length=40),
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> Response:
    """One long-missing child: the record, the parents' specimens, the candidate list."""
    crypto = field_crypto()
    record = service.get_missing_for(session, actor=actor, public_id=record_id)
    specimens = [
        {"id": s, "kind": k}
        for s, k in bridges.specimens_of(
            session, actor=actor, subject_type="person", subject_id=record.person.public_id
        )
    ]
    view = service.missing_detail(crypto, record, specimens)
    candidates = [
        (c, service.candidate_read(session, crypto, c))
        for c in service.candidates_of_side(
            session, actor=actor, side_type="missing_record", side_id=record.public_id
        )
    ]
    _audit_read(session, actor, "missing_record", record.public_id)
    return render(
        request,
        "identify/missing_detail.html",
        {
            "record": view,
            "candidates": candidates,
            "error": translate(f"identify.err.{error}") if error else None,
        },
    )


@router.post("/found/missing/{record_id}/specimens")
def missing_specimen(
    record_id: str,
    specimen: str = Form(..., min_length=4, max_length=64),
    relation: str = Form(..., pattern="^(father|mother)$"),
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
) -> Response:
    """Link a parent's specimen to the record."""
    try:
        actions.link_parent_specimen(
            session, actor=actor, missing_id=record_id, specimen=specimen.strip(), relation=relation
        )
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        return _see_other(f"/found/missing/{record_id}?error={exc.field or 'specimen'}")
    return _see_other(f"/found/missing/{record_id}")


@router.get("/found/cases/{case_id}")
def case_candidates_page(
    request: Request,
    case_id: str,
    error: str = Query("", max_length=40),
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> Response:
    """A missing-child case from this module's side: its parents' specimens, its candidates."""
    crypto = field_crypto()
    case = bridges.case_for(session, actor=actor, case_id=case_id)
    candidates = [
        (c, service.candidate_read(session, crypto, c))
        for c in service.candidates_of_side(
            session, actor=actor, side_type="missing_case", side_id=case.public_id
        )
    ]
    specimens = bridges.specimens_of(
        session, actor=actor, subject_type="missing_case", subject_id=case.public_id
    )
    return render(
        request,
        "identify/case.html",
        {
            "label": bridges.case_label(session, crypto, case.public_id),
            "case": case,
            "candidates": candidates,
            "specimens": specimens,
            "error": translate(f"identify.err.{error}") if error else None,
        },
    )


@router.post("/found/cases/{case_id}/specimens")
def case_specimen(
    case_id: str,
    specimen: str = Form(..., min_length=4, max_length=64),
    relation: str = Form(..., pattern="^(father|mother)$"),
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
) -> Response:
    """Link a parent's specimen to an open missing-child case."""
    try:
        actions.link_case_specimen(
            session, actor=actor, case_id=case_id, specimen=specimen.strip(), relation=relation
        )
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        return _see_other(f"/found/cases/{case_id}?error={exc.field or 'specimen'}")
    return _see_other(f"/found/cases/{case_id}")


# --- one found person -----------------------------------------------------------------------


def _detail_context(session: Session, actor: Actor, found_id: str, now: datetime) -> dict[str, Any]:
    crypto = field_crypto()
    found = service.get_found_for(session, actor=actor, public_id=found_id)
    candidates = [
        (c, service.candidate_read(session, crypto, c))
        for c in service.candidates_of_found(session, actor=actor, found=found)
    ]
    return {
        "found": service.found_detail(session, crypto, found, now=now),
        "row": found,
        "tasks": service.tasks_of(session, found),
        "candidates": candidates,
        "specimen": bridges.specimen_of_found(session, found, actor=actor),
        "reunification": _reunification(crypto, session, found),
        "now": now,
    }


def _reunification(crypto: Any, session: Session, found: FoundPerson) -> dict | None:
    row = session.execute(
        select(Reunification).where(Reunification.found_person_id == found.id)
    ).scalar_one_or_none()
    return service.reunification_view(crypto, found, row) if row is not None else None


@router.get("/found/{found_id}")
def found_page(
    request: Request,
    found_id: str,
    done: str = Query("", max_length=30),
    error: str = Query("", max_length=40),
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> Response:
    """One found person: description, deadlines, DNA, the candidate list, what to do next."""
    context = _detail_context(session, actor, found_id, utcnow())
    _audit_read(session, actor, "found_person", found_id)
    context["done"] = translate(f"identify.done.{done}") if done else None
    context["error"] = translate(f"identify.err.{error}") if error else None
    return render(request, "identify/detail.html", context)


def _after(found_id: str, run: Any, done: str) -> Response:
    """Run an action for a detail-page form: back to the page with the outcome."""
    try:
        run()
    except DomainError as exc:
        if exc.status_code in (401, 404):
            raise
        return _see_other(_found_url(found_id, error=exc.field or f"kind.{exc.code}"))
    return _see_other(_found_url(found_id, done=done))


def _moment(text: str, field: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date and time", field=field) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


@router.post("/found/{found_id}/search-notice")
def found_search_notice(
    found_id: str,
    reference: str = Form(..., min_length=2, max_length=200),
    published_at: str = Form("", max_length=30),
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Record the published search notice."""
    return _after(
        found_id,
        lambda: actions.record_search_notice(
            session,
            actor=actor,
            found_id=found_id,
            reference=reference.strip(),
            published_at=_moment(published_at, "published_at"),
        ),
        "search_notice",
    )


@router.post("/found/{found_id}/sample")
def found_sample(
    found_id: str,
    sample_ref: str = Form(..., min_length=2, max_length=64, pattern=r"^[0-9A-Za-z\-_.]+$"),
    taken_at: str = Form("", max_length=30),
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Record the blood sample."""
    return _after(
        found_id,
        lambda: actions.record_sample(
            session,
            actor=actor,
            found_id=found_id,
            sample_ref=sample_ref.strip(),
            taken_at=_moment(taken_at, "taken_at"),
        ),
        "sample",
    )


@router.post("/found/{found_id}/specimen")
def found_specimen(
    found_id: str,
    specimen: str = Form("", max_length=64),
    profile: str = Form("", max_length=4000),
    kit: str = Form("", max_length=60),
    lab_ref: str = Form("", max_length=40),
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
) -> Response:
    """Link the lab's specimen, or register the typed profile in the DNA store."""

    def run() -> None:
        typed = parse_profile_text(profile) if profile.strip() else None
        actions.attach_specimen(
            session,
            actor=actor,
            found_id=found_id,
            specimen=specimen.strip() or None,
            profile=typed,
            kit=kit.strip() or None,
            lab_ref=lab_ref.strip() or None,
        )

    return _after(found_id, run, "specimen")


@router.post("/found/{found_id}/photos")
async def found_photo_upload(
    found_id: str,
    photo: UploadFile = File(...),
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Add a photo (re-encoded without metadata)."""
    content = await photo.read()
    return _after(
        found_id,
        lambda: actions.add_photo(
            session, field_crypto(), actor=actor, found_id=found_id, content=content
        ),
        "photo",
    )


@router.get("/found/photos/{photo_id}")
def found_photo(
    photo_id: str,
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> Response:
    """A stored photo (decrypted for this response; the view is in the access log)."""
    row = session.execute(
        select(FoundPhoto).where(FoundPhoto.public_id == photo_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("photo not found")
    found = session.get(FoundPerson, row.found_person_id)
    if found is None or not service.in_scope(actor, found.owner_unit):
        raise NotFound("photo not found")
    data = sealer_for(field_crypto(), found.person, "found_photo", row.public_id).open(
        "content", row.content
    )
    _audit_read(session, actor, "found_person", found.public_id)
    return Response(
        base64.b64decode(data or ""),
        media_type="image/jpeg",
        headers={"Content-Disposition": "inline", "Cache-Control": "no-store"},
    )


@router.post("/found/{found_id}/dna-search")
def found_dna_search(
    found_id: str,
    actor: Actor = require("dna.search"),
    session: Session = Depends(get_session),
) -> Response:
    """Put the kinship search's results in the candidate list."""
    return _after(
        found_id,
        lambda: actions.run_dna_search(session, actor=actor, found_id=found_id),
        "dna_search",
    )


@router.post("/found/{found_id}/linkage")
def found_linkage(
    found_id: str,
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> Response:
    """Link this person's records with the missing side."""
    return _after(
        found_id,
        lambda: actions.run_linkage(session, field_crypto(), actor=actor, found_id=found_id),
        "linkage",
    )


@router.post("/found/{found_id}/close")
def found_close(
    found_id: str,
    reason: str = Form(..., min_length=4, max_length=200),
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Close the record without identification here."""
    return _after(
        found_id,
        lambda: actions.close_found(session, actor=actor, found_id=found_id, reason=reason.strip()),
        "closed",
    )


# --- candidates -----------------------------------------------------------------------------


def _candidate_url(candidate_id: str, **query: str) -> str:
    return f"/found/candidates/{candidate_id}" + (f"?{urlencode(query)}" if query else "")


@router.get("/found/candidates/{candidate_id}")
def candidate_page(
    request: Request,
    candidate_id: str,
    done: str = Query("", max_length=30),
    error: str = Query("", max_length=40),
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> Response:
    """One candidate: the evidence of each kind, the re-test, the decision."""
    crypto = field_crypto()
    candidate = service.get_candidate_for(session, actor=actor, public_id=candidate_id)
    found = candidate.found_person
    _audit_read(session, actor, "candidate", candidate_id)
    return render(
        request,
        "identify/candidate.html",
        {
            "c": candidate,
            "view": service.candidate_read(session, crypto, candidate),
            "found": service.found_summary(crypto, found, utcnow().astimezone(BEIJING).date()),
            "done": translate(f"identify.done.{done}") if done else None,
            "error": translate(f"identify.err.{error}") if error else None,
            "lv": _level_text,
        },
    )


def _level_text(label: str) -> str:
    """A record-linkage level in Chinese (the library's English label when unknown)."""
    key = f"identify.records.lv.{label}"
    return translate(key) if key in catalogue() else label


def _candidate_after(candidate_id: str, run: Any, done: str) -> Response:
    try:
        result = run()
    except DomainError as exc:
        if exc.status_code in (401, 404):
            raise
        return _see_other(_candidate_url(candidate_id, error=exc.field or f"kind.{exc.code}"))
    target = result.public_id if isinstance(result, Candidate) else candidate_id
    return _see_other(_candidate_url(target, done=done))


@router.post("/found/candidates/{candidate_id}/reveal")
def candidate_reveal(
    candidate_id: str,
    reason: str = Form(..., min_length=4, max_length=500),
    actor: Actor = require("dna.reveal"),
    session: Session = Depends(get_session),
) -> Response:
    """Reveal the family behind a DNA-only candidate (audited by the DNA store)."""
    candidate = service.get_candidate_for(session, actor=actor, public_id=candidate_id)
    found_id = candidate.found_person.public_id

    def run() -> Candidate:
        result = actions.reveal_candidate(
            session, actor=actor, candidate_id=candidate_id, reason=reason.strip()
        )
        if not service.candidate_visible(actor, result):
            raise _Elsewhere()
        return result

    try:
        return _candidate_after(candidate_id, run, "revealed")
    except _Elsewhere:
        return _see_other(_found_url(found_id, done="revealed_elsewhere"))


class _Elsewhere(Exception):
    """The revealed family lies outside the user's jurisdiction."""


@router.post("/found/candidates/{candidate_id}/retest")
def candidate_retest(
    candidate_id: str,
    profile: str = Form("", max_length=4000),
    actor: Actor = require("matches.review"),
    session: Session = Depends(get_session),
) -> Response:
    """Record the re-test with a fresh sample's profile (or the lab's re-test in the store)."""

    def run() -> Candidate:
        typed = parse_profile_text(profile) if profile.strip() else None
        return actions.record_retest(session, actor=actor, candidate_id=candidate_id, profile=typed)

    return _candidate_after(candidate_id, run, "retest")


@router.post("/found/candidates/{candidate_id}/confirm")
def candidate_confirm(
    candidate_id: str,
    note: str = Form("", max_length=1000),
    actor: Actor = require("matches.review"),
    session: Session = Depends(get_session),
) -> Response:
    """The analyst signs the identification."""
    return _candidate_after(
        candidate_id,
        lambda: actions.confirm_candidate(
            session, actor=actor, candidate_id=candidate_id, note=note.strip() or None
        ),
        "confirmed",
    )


@router.post("/found/candidates/{candidate_id}/reject")
def candidate_reject(
    candidate_id: str,
    reason: str = Form(..., min_length=4, max_length=1000),
    actor: Actor = require("matches.review"),
    session: Session = Depends(get_session),
) -> Response:
    """A reviewer rejects the candidate with the reason."""
    return _candidate_after(
        candidate_id,
        lambda: actions.reject_candidate(
            session, actor=actor, candidate_id=candidate_id, reason=reason.strip()
        ),
        "rejected",
    )


# --- reunification --------------------------------------------------------------------------

REUNIFY_FIELDS = ("reunited_on", "place", "family_contacted", "child_wishes", "note")


def _reunify_form(
    request: Request,
    session: Session,
    actor: Actor,
    found_id: str,
    form: dict,
    errors: dict,
    status_code: int = 200,
) -> Response:
    crypto = field_crypto()
    found = service.get_found_for(session, actor=actor, public_id=found_id)
    confirmed = next(
        (
            c
            for c in service.candidates_of_found(session, actor=actor, found=found)
            if c.decision == "confirmed"
        ),
        None,
    )
    return render(
        request,
        "identify/reunify.html",
        {
            "found": service.found_summary(crypto, found, utcnow().astimezone(BEIJING).date()),
            "row": found,
            "confirmed": service.candidate_read(session, crypto, confirmed) if confirmed else None,
            "form": form,
            "errors": errors,
        },
        status_code=status_code,
    )


@router.get("/found/{found_id}/reunify")
def reunify_page(
    request: Request,
    found_id: str,
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """The reunification form (after a confirmed identification)."""
    today = utcnow().astimezone(BEIJING).date().isoformat()
    return _reunify_form(request, session, actor, found_id, {"reunited_on": today}, {})


@router.post("/found/{found_id}/reunify")
async def reunify_submit(
    request: Request,
    found_id: str,
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> Response:
    """Record the reunification: the case closes, its alert is withdrawn."""
    form = await _fields(request, REUNIFY_FIELDS)
    try:
        data = ReunificationCreate(**_clean(form))
    except ValidationError as exc:
        return _reunify_form(request, session, actor, found_id, form, form_errors(exc), 422)
    try:
        actions.reunify(session, field_crypto(), actor=actor, found_id=found_id, data=data)
    except DomainError as exc:
        if exc.status_code in (401, 404):
            raise
        return _reunify_form(
            request,
            session,
            actor,
            found_id,
            form,
            {exc.field or "form": error_text(exc)},
            exc.status_code,
        )
    return _see_other(_found_url(found_id, done="reunited"))
