"""JSON API of the identification module. Refusals answer 422 with the field (import problems
name row and field), out-of-scope records 404, exactly like records that do not exist."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from fanguai.core.actions import record
from fanguai.core.actor import Actor
from fanguai.errors import InvalidInput
from fanguai.identify import actions, bridges, service
from fanguai.identify.calendar import load_calendar
from fanguai.identify.imports import ImportRejected
from fanguai.identify.models import SOURCES
from fanguai.identify.schemas import (
    CandidateRead,
    CloseRequest,
    ConfirmRequest,
    FoundCreate,
    FoundDetail,
    MissingDetail,
    MissingRecordCreate,
    ParentSpecimenLink,
    RejectRequest,
    ReunificationCreate,
    SampleRecord,
    SearchNoticeRecord,
)
from fanguai.security.crypto_runtime import field_crypto
from fanguai.web.deps import get_session, require

router = APIRouter(prefix="/api")


def _page(result: service.Page) -> dict[str, Any]:
    return {
        "items": [i.model_dump() for i in result.items],
        "total": result.total,
        "page": result.page,
        "page_size": result.page_size,
    }


def _detail(session: Session, actor: Actor, found_id: str) -> FoundDetail:
    found = service.get_found_for(session, actor=actor, public_id=found_id)
    return service.found_detail(session, field_crypto(), found)


# --- found persons --------------------------------------------------------------------------


@router.get("/found")
def api_found_list(
    status: str | None = Query(None, pattern="^(registered|sampled|identified|reunited|closed)$"),
    source: str | None = Query(None, pattern="^(" + "|".join(SOURCES) + ")$"),
    county: str | None = Query(None, pattern=r"^\d{6}$"),
    overdue: bool = Query(False),
    page: int = Query(1, ge=1, le=10_000),
    page_size: int = Query(50, ge=1, le=200),
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Found persons in scope (names masked), newest first."""
    return _page(
        service.list_found(
            session,
            field_crypto(),
            actor=actor,
            status=status,
            source=source,
            county_code=county,
            overdue=overdue,
            page=page,
            page_size=page_size,
        )
    )


@router.post("/found", status_code=201)
def api_found_create(
    body: FoundCreate,
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> FoundDetail:
    """Register a found person; the deadlines start."""
    found = actions.register_found(session, field_crypto(), actor=actor, data=body)
    return service.found_detail(session, field_crypto(), found)


@router.post("/found/import", status_code=201, response_model=None)
async def api_found_import(
    file: UploadFile = File(...),
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> dict[str, Any] | JSONResponse:
    """Import a screening CSV: all rows or none; problems name row and field."""
    content = await file.read()
    try:
        batch = actions.import_found(
            session, field_crypto(), actor=actor, content=content, filename=file.filename or ""
        )
    except ImportRejected as exc:
        return JSONResponse(
            {
                "error": "invalid_input",
                "message": exc.message,
                "field": exc.field,
                "errors": [
                    {"row": p.row, "field": p.field, "code": p.code, "message": p.message}
                    for p in exc.problems
                ],
                "more": exc.more,
            },
            status_code=422,
        )
    return {"id": batch.public_id, "rows": batch.rows}


@router.post("/found/linkage")
def api_linkage_all(
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> dict[str, int]:
    """Link every open found person in scope with the missing side in scope."""
    return {"stored": actions.run_linkage(session, field_crypto(), actor=actor)}


@router.get("/found/review")
def api_review(
    actor: Actor = require("matches.review"),
    session: Session = Depends(get_session),
) -> list[CandidateRead]:
    """DNA-supported candidates waiting for the re-test or the signature."""
    crypto = field_crypto()
    return [
        service.candidate_read(session, crypto, c)
        for c in service.review_queue(session, actor=actor)
    ]


@router.get("/found/calendar")
def api_calendar(
    year: int = Query(...),
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """The year's holidays and make-up working days, and whether the year's notice is known."""
    if not 2000 <= year <= 2100:
        raise InvalidInput("year must be between 2000 and 2100", field="year")
    cal = load_calendar(session)
    return {
        "year": year,
        "known": cal.has_arrangement(year),
        "days": [
            {"day": e.day.isoformat(), "kind": e.kind, "name": e.name, "builtin": e.builtin}
            for e in cal.entries(year)
        ],
    }


@router.get("/found/{found_id}")
def api_found(
    found_id: str,
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> FoundDetail:
    """One found person (identity masked; the read is in the record's access log)."""
    detail = _detail(session, actor, found_id)
    record(
        session,
        actor,
        "identify.found_person.read",
        outcome="success",
        object_type="found_person",
        object_id=found_id,
    )
    return detail


@router.get("/found/{found_id}/candidates")
def api_found_candidates(
    found_id: str,
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> list[CandidateRead]:
    """The person's candidate list as the actor may see it, best first."""
    crypto = field_crypto()
    found = service.get_found_for(session, actor=actor, public_id=found_id)
    return [
        service.candidate_read(session, crypto, c)
        for c in service.candidates_of_found(session, actor=actor, found=found)
    ]


@router.post("/found/{found_id}/search-notice")
def api_search_notice(
    found_id: str,
    body: SearchNoticeRecord,
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> FoundDetail:
    """The search notice was published."""
    actions.record_search_notice(
        session,
        actor=actor,
        found_id=found_id,
        reference=body.reference,
        published_at=body.published_at,
    )
    return _detail(session, actor, found_id)


@router.post("/found/{found_id}/sample")
def api_sample(
    found_id: str,
    body: SampleRecord,
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> FoundDetail:
    """The blood sample was taken."""
    actions.record_sample(
        session, actor=actor, found_id=found_id, sample_ref=body.sample_ref, taken_at=body.taken_at
    )
    return _detail(session, actor, found_id)


class SpecimenBody(BaseModel):
    """Either the ID of an imported specimen, or a typed profile to register."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    specimen: str | None = Field(None, min_length=4, max_length=64)
    profile: dict[str, str] | None = Field(None, max_length=80)
    kit: str | None = Field(None, max_length=60)
    lab_ref: str | None = Field(None, max_length=40)

    @model_validator(mode="after")
    def _one(self) -> SpecimenBody:
        if (self.specimen is None) == (self.profile is None):
            raise ValueError("give either specimen or profile")
        return self


@router.post("/found/{found_id}/specimen")
def api_specimen(
    found_id: str,
    body: SpecimenBody,
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
) -> dict[str, str]:
    """Link the lab's specimen, or register the typed profile (searched at once)."""
    specimen = actions.attach_specimen(
        session,
        actor=actor,
        found_id=found_id,
        specimen=body.specimen,
        profile=body.profile,
        kit=body.kit,
        lab_ref=body.lab_ref,
    )
    return {"specimen": specimen}


@router.post("/found/{found_id}/dna-search")
def api_dna_search(
    found_id: str,
    actor: Actor = require("dna.search"),
    session: Session = Depends(get_session),
) -> list[CandidateRead]:
    """Put the kinship search's results in the candidate list; returns the list."""
    actions.run_dna_search(session, actor=actor, found_id=found_id)
    return api_found_candidates(found_id, actor, session)


@router.post("/found/{found_id}/linkage")
def api_linkage_one(
    found_id: str,
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> dict[str, int]:
    """Link one person's records with the missing side."""
    return {"stored": actions.run_linkage(session, field_crypto(), actor=actor, found_id=found_id)}


@router.post("/found/{found_id}/close")
def api_close(
    found_id: str,
    body: CloseRequest,
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> FoundDetail:
    """Close the record without identification here."""
    actions.close_found(session, actor=actor, found_id=found_id, reason=body.reason)
    return _detail(session, actor, found_id)


@router.post("/found/{found_id}/reunification", status_code=201)
def api_reunify(
    found_id: str,
    body: ReunificationCreate,
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Record the reunification: the case closes as found, its alert is withdrawn."""
    row = actions.reunify(session, field_crypto(), actor=actor, found_id=found_id, data=body)
    return {"id": row.public_id, "victim_file": row.victim_file_id}


# --- candidates -----------------------------------------------------------------------------


@router.get("/candidates/{candidate_id}")
def api_candidate(
    candidate_id: str,
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> CandidateRead:
    """One candidate with its evidence."""
    candidate = service.get_candidate_for(session, actor=actor, public_id=candidate_id)
    return service.candidate_read(session, field_crypto(), candidate)


def _candidate(session: Session, candidate) -> CandidateRead:  # type: ignore[no-untyped-def]
    return service.candidate_read(session, field_crypto(), candidate)


class RevealBody(BaseModel):
    """Why the family behind a DNA-only candidate is revealed."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=4, max_length=500)


class RetestBody(BaseModel):
    """A fresh sample's profile, or nothing to take the DNA store's latest re-test."""

    model_config = ConfigDict(extra="forbid")

    profile: dict[str, str] | None = Field(None, max_length=80)


@router.post("/candidates/{candidate_id}/reveal")
def api_reveal(
    candidate_id: str,
    body: RevealBody,
    actor: Actor = require("dna.reveal"),
    session: Session = Depends(get_session),
) -> CandidateRead:
    """Reveal the family behind a DNA-only candidate (needs an approved reveal grant)."""
    return _candidate(
        session,
        actions.reveal_candidate(
            session, actor=actor, candidate_id=candidate_id, reason=body.reason
        ),
    )


@router.post("/candidates/{candidate_id}/retest")
def api_retest(
    candidate_id: str,
    body: RetestBody,
    actor: Actor = require("matches.review"),
    session: Session = Depends(get_session),
) -> CandidateRead:
    """Record the re-test of a DNA-supported candidate."""
    return _candidate(
        session,
        actions.record_retest(
            session, actor=actor, candidate_id=candidate_id, profile=body.profile
        ),
    )


@router.post("/candidates/{candidate_id}/confirm")
def api_confirm(
    candidate_id: str,
    body: ConfirmRequest,
    actor: Actor = require("matches.review"),
    session: Session = Depends(get_session),
) -> CandidateRead:
    """The analyst signs the identification."""
    return _candidate(
        session,
        actions.confirm_candidate(session, actor=actor, candidate_id=candidate_id, note=body.note),
    )


@router.post("/candidates/{candidate_id}/reject")
def api_reject(
    candidate_id: str,
    body: RejectRequest,
    actor: Actor = require("matches.review"),
    session: Session = Depends(get_session),
) -> CandidateRead:
    """A reviewer excludes the candidate with the reason."""
    return _candidate(
        session,
        actions.reject_candidate(
            session, actor=actor, candidate_id=candidate_id, reason=body.reason
        ),
    )


# --- the missing side -----------------------------------------------------------------------


@router.get("/missing-records")
def api_missing_list(
    status: str | None = Query(None, pattern="^(open|found|closed)$"),
    page: int = Query(1, ge=1, le=10_000),
    page_size: int = Query(50, ge=1, le=200),
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Long-missing children registered by their families, in scope."""
    return _page(
        service.list_missing(
            session, field_crypto(), actor=actor, status=status, page=page, page_size=page_size
        )
    )


@router.post("/missing-records", status_code=201)
def api_missing_create(
    body: MissingRecordCreate,
    actor: Actor = require("found.manage"),
    session: Session = Depends(get_session),
) -> MissingDetail:
    """Register a long-missing child."""
    record = actions.register_missing(session, field_crypto(), actor=actor, data=body)
    return service.missing_detail(field_crypto(), record, [])


def _missing(session: Session, actor: Actor, record_id: str) -> MissingDetail:
    record = service.get_missing_for(session, actor=actor, public_id=record_id)
    specimens = [
        {"id": s, "kind": k}
        for s, k in bridges.specimens_of(
            session, actor=actor, subject_type="person", subject_id=record.person.public_id
        )
    ]
    return service.missing_detail(field_crypto(), record, specimens)


@router.get("/missing-records/{record_id}")
def api_missing(
    record_id: str,
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> MissingDetail:
    """One long-missing child's record."""
    return _missing(session, actor, record_id)


@router.get("/missing-records/{record_id}/candidates")
def api_missing_candidates(
    record_id: str,
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> list[CandidateRead]:
    """The candidates naming this child (DNA-only ones once revealed)."""
    record = service.get_missing_for(session, actor=actor, public_id=record_id)
    crypto = field_crypto()
    return [
        service.candidate_read(session, crypto, c)
        for c in service.candidates_of_side(
            session, actor=actor, side_type="missing_record", side_id=record.public_id
        )
    ]


@router.post("/missing-records/{record_id}/specimens")
def api_missing_specimen(
    record_id: str,
    body: ParentSpecimenLink,
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
) -> MissingDetail:
    """Link a parent's specimen to the record."""
    actions.link_parent_specimen(
        session, actor=actor, missing_id=record_id, specimen=body.specimen, relation=body.relation
    )
    return _missing(session, actor, record_id)


@router.get("/missing-cases/{case_id}/candidates")
def api_case_candidates(
    case_id: str,
    actor: Actor = require("found.read"),
    session: Session = Depends(get_session),
) -> list[CandidateRead]:
    """The candidates naming an open missing-child case."""
    case = bridges.case_for(session, actor=actor, case_id=case_id)
    crypto = field_crypto()
    return [
        service.candidate_read(session, crypto, c)
        for c in service.candidates_of_side(
            session, actor=actor, side_type="missing_case", side_id=case.public_id
        )
    ]


@router.post("/missing-cases/{case_id}/specimens")
def api_case_specimen(
    case_id: str,
    body: ParentSpecimenLink,
    actor: Actor = require("dna.import"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """Link a parent's specimen to an open missing-child case."""
    actions.link_case_specimen(
        session, actor=actor, case_id=case_id, specimen=body.specimen, relation=body.relation
    )
    specimens = bridges.specimens_of(
        session, actor=actor, subject_type="missing_case", subject_id=case_id
    )
    return {"case": case_id, "specimens": [{"id": s, "kind": k} for s, k in specimens]}
