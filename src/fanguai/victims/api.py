"""JSON routes of the victim assistance module (``/api/victims``)."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from fanguai.audit.service import canonical_row
from fanguai.core import actions as core_actions
from fanguai.core.actor import Actor
from fanguai.security.crypto_runtime import field_crypto
from fanguai.victims import actions, service, stats
from fanguai.victims.schemas import (
    AssessmentCreate,
    AssessmentRead,
    AssignCaseworker,
    CloseFile,
    ConsentCreate,
    ConsentRead,
    ConsentWithdraw,
    EraseRequest,
    FileBasics,
    FileCreate,
    FileDetail,
    FilePage,
    FileSummary,
    HospitalCreate,
    HospitalRead,
    HospitalWithdraw,
    HukouStep,
    IdentityUpdate,
    ProfileUpdate,
    ReferralCreate,
    ReferralDecision,
    ReferralRead,
    SectorPage,
    SectorView,
    ServiceCreate,
    ServiceEnd,
    ServiceRead,
)
from fanguai.web.deps import get_session, require

router = APIRouter(prefix="/api/victims", tags=["victims"])

STATUS = "^(open|returned|closed)$"


def _summary(file) -> FileSummary:  # type: ignore[no-untyped-def]
    return service.summary(field_crypto(), file, service.today_in_beijing())


def _record_read(session: Session, actor: Actor, name: str, file_id: str) -> None:
    core_actions.record(
        session, actor, name, outcome="success", object_type="victim_file", object_id=file_id
    )


# --- lists and the static paths (before /{file_id}) --------------------------------------------


@router.get("", response_model=FilePage)
def list_files(
    status: str | None = Query(None, pattern=STATUS),
    mine: bool = Query(False),
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("victims.read"),
    session: Session = Depends(get_session),
) -> FilePage:
    """Files in scope (civil affairs and police), names masked."""
    items, total = service.list_files(
        session, field_crypto(), actor=actor, status=status, mine=mine, page=page
    )
    return FilePage(items=items, total=total)


@router.post("", response_model=FileSummary, status_code=201)
def create_file(
    body: FileCreate,
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> FileSummary:
    """Receive a victim: open the special file."""
    return _summary(actions.create_file(session, field_crypto(), actor=actor, data=body))


@router.get("/sector", response_model=SectorPage)
def sector_list(
    page: int = Query(1, ge=1, le=10_000),
    actor: Actor = require("victims.sector"),
    session: Session = Depends(get_session),
) -> SectorPage:
    """The sector officer's list (education: the placement ledger)."""
    items, total = service.list_sector(session, field_crypto(), actor=actor, page=page)
    return SectorPage(items=items, total=total)


@router.get("/sector/{file_id}", response_model=SectorView)
def sector_file(
    file_id: str,
    actor: Actor = require("victims.sector"),
    session: Session = Depends(get_session),
) -> SectorView:
    """A file as the officer's line sees it (audited)."""
    file, line = service.get_file_for_sector(session, actor=actor, public_id=file_id)
    view = service.sector_view(session, field_crypto(), file, line=line, actor=actor)
    _record_read(session, actor, "victims.sector_read", file_id)
    return view


@router.post("/sector/{file_id}/services", response_model=ServiceRead, status_code=201)
def sector_service(
    file_id: str,
    body: ServiceCreate,
    actor: Actor = require("victims.sector"),
    session: Session = Depends(get_session),
) -> ServiceRead:
    """Record a service of the officer's line (a school placement, medical care, ...)."""
    crypto = field_crypto()
    svc = actions.record_service(
        session, crypto, actor=actor, public_id=file_id, data=body, sector=True
    )
    return service.service_read(crypto, svc.file, svc)


@router.get("/referrals", response_model=list[ReferralRead])
def incoming_referrals(
    actor: Actor = require("victims.sector"), session: Session = Depends(get_session)
) -> list[ReferralRead]:
    """Open referrals to the officer's unit."""
    return [service.referral_read(r) for r in service.incoming_referrals(session, actor=actor)]


def _decide(decision: str):  # type: ignore[no-untyped-def]
    def decide(
        referral_id: str,
        body: ReferralDecision,
        actor: Actor = require("victims.sector"),
        session: Session = Depends(get_session),
    ) -> ReferralRead:
        referral = actions.decide_referral(
            session, actor=actor, referral_id=referral_id, decision=decision, note=body.note
        )
        return service.referral_read(referral)

    decide.__doc__ = f"The receiving unit: {decision} the referral."
    return decide


for _decision in ("accept", "reject", "done"):
    router.add_api_route(
        f"/referrals/{{referral_id}}/{_decision}",
        _decide(_decision),
        methods=["POST"],
        response_model=ReferralRead,
        name=f"referral_{_decision}",
    )


class HospitalRegistry(BaseModel):
    """The designated hospitals, and the counties still without one."""

    items: list[HospitalRead]
    counties_without: list[str]


@router.get("/hospitals", response_model=HospitalRegistry)
def hospital_registry(
    county: str | None = Query(None, pattern=r"^\d{6}$"),
    actor: Actor = require("home.view"),
    session: Session = Depends(get_session),
) -> HospitalRegistry:
    """Designated hospitals by county (reference data, not personal)."""
    names = service.county_names(session)
    return HospitalRegistry(
        items=[
            service.hospital_read(h, names.get(h.county_code, h.county_code))
            for h in service.hospitals(session, county_code=county)
        ],
        counties_without=[d.code for d in service.counties_without_hospital(session)],
    )


@router.post("/hospitals", response_model=HospitalRead, status_code=201)
def add_hospital(
    body: HospitalCreate,
    actor: Actor = require("victims.sector"),
    session: Session = Depends(get_session),
) -> HospitalRead:
    """Designate a hospital (the health line)."""
    hospital = actions.add_hospital(session, actor=actor, data=body)
    return service.hospital_read(hospital, service.county_names(session)[hospital.county_code])


@router.post("/hospitals/{hospital_id}/withdraw", response_model=HospitalRead)
def withdraw_hospital(
    hospital_id: str,
    body: HospitalWithdraw,
    actor: Actor = require("victims.sector"),
    session: Session = Depends(get_session),
) -> HospitalRead:
    """End a designation (the health line)."""
    hospital = actions.withdraw_hospital(session, actor=actor, hospital_id=hospital_id, data=body)
    return service.hospital_read(hospital, service.county_names(session)[hospital.county_code])


def _export(session: Session, actor: Actor, year: int | None) -> stats.CtdcExport:
    export = stats.ctdc_export(session, field_crypto(), actor=actor, year=year)
    digest = field_crypto().provider.sm3(stats.ctdc_csv(export).encode("utf-8")).hex()
    core_actions.record(
        session,
        actor,
        "victims.export",
        outcome="success",
        object_type="victim_stats",
        object_id=f"ctdc:{year or 'all'}",
        detail={
            "rows": len(export.victims),
            "suppressed_cells": export.suppressed_cells,
            "sm3": digest,
        },
    )
    return export


@router.get("/stats/ctdc")
def ctdc_json(
    year: int | None = Query(None, ge=2000, le=2100),
    actor: Actor = require("victims.stats"),
    session: Session = Depends(get_session),
) -> dict[str, Any]:
    """De-identified counts in CTDC's shape; cells under 10 people are left out."""
    return dataclasses.asdict(_export(session, actor, year))


@router.get("/stats/ctdc.csv")
def ctdc_csv(
    year: int | None = Query(None, ge=2000, le=2100),
    actor: Actor = require("victims.stats"),
    session: Session = Depends(get_session),
) -> Response:
    """The CTDC-shaped victims table as CSV."""
    body = stats.ctdc_csv(_export(session, actor, year))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="ctdc-victims.csv"'},
    )


# --- one file ----------------------------------------------------------------------------------


@router.get("/{file_id}", response_model=FileDetail)
def get_file(
    file_id: str,
    actor: Actor = require("victims.read"),
    session: Session = Depends(get_session),
) -> FileDetail:
    """The whole file (civil affairs and police in scope). Audited."""
    file = service.get_file_for(session, actor=actor, public_id=file_id)
    result = service.detail(session, field_crypto(), file)
    _record_read(session, actor, "victims.read", file_id)
    return result


@router.get("/{file_id}/access-log")
def access_log(
    file_id: str,
    actor: Actor = require("people.access_log"),
    session: Session = Depends(get_session),
) -> list[dict[str, object]]:
    """Who read or changed this file (its supervisors in scope)."""
    file = service.get_file_for(session, actor=actor, public_id=file_id)
    return [canonical_row(e) for e in service.access_log(session, actor=actor, file=file)]


@router.patch("/{file_id}", response_model=FileSummary)
def update_basics(
    file_id: str,
    body: FileBasics,
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> FileSummary:
    """Change what is known of the victim (only the fields sent)."""
    return _summary(
        actions.update_basics(session, field_crypto(), actor=actor, public_id=file_id, data=body)
    )


@router.put("/{file_id}/profile", response_model=FileSummary)
def set_profile(
    file_id: str,
    body: ProfileUpdate,
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> FileSummary:
    """Record the exploitation history (IOM case data standard)."""
    return _summary(
        actions.set_profile(session, field_crypto(), actor=actor, public_id=file_id, data=body)
    )


@router.post("/{file_id}/assessments", response_model=AssessmentRead, status_code=201)
def add_assessment(
    file_id: str,
    body: AssessmentCreate,
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> AssessmentRead:
    """Record a needs assessment."""
    a = actions.add_assessment(session, field_crypto(), actor=actor, public_id=file_id, data=body)
    return AssessmentRead(
        id=a.public_id,
        assessed_on=a.assessed_on.isoformat(),
        needs=list(a.needs),
        priority=a.priority,
        notes=body.notes,
    )


@router.post("/{file_id}/consents", response_model=ConsentRead, status_code=201)
def add_consent(
    file_id: str,
    body: ConsentCreate,
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> ConsentRead:
    """Record consent to share the file with a line."""
    consent = actions.add_consent(session, actor=actor, public_id=file_id, data=body)
    return ConsentRead(
        id=consent.public_id,
        scope=consent.scope,
        given_by=consent.given_by,
        given_on=consent.given_on.isoformat(),
        withdrawn_on=None,
    )


@router.post("/{file_id}/consents/{consent_id}/withdraw", response_model=ConsentRead)
def withdraw_consent(
    file_id: str,
    consent_id: str,
    body: ConsentWithdraw,
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> ConsentRead:
    """Record that consent was withdrawn."""
    consent = actions.withdraw_consent(
        session, actor=actor, public_id=file_id, consent_id=consent_id, data=body
    )
    return ConsentRead(
        id=consent.public_id,
        scope=consent.scope,
        given_by=consent.given_by,
        given_on=consent.given_on.isoformat(),
        withdrawn_on=body.withdrawn_on.isoformat(),
    )


@router.post("/{file_id}/services", response_model=ServiceRead, status_code=201)
def record_service(
    file_id: str,
    body: ServiceCreate,
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> ServiceRead:
    """Record a service of any kind."""
    crypto = field_crypto()
    svc = actions.record_service(session, crypto, actor=actor, public_id=file_id, data=body)
    return service.service_read(crypto, svc.file, svc)


@router.post("/{file_id}/services/{service_id}/end", response_model=ServiceRead)
def end_service(
    file_id: str,
    service_id: str,
    body: ServiceEnd,
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> ServiceRead:
    """Record the end of a running service (the day out of a shelter)."""
    crypto = field_crypto()
    svc = actions.end_service(
        session, crypto, actor=actor, public_id=file_id, service_id=service_id, data=body
    )
    return service.service_read(crypto, svc.file, svc)


@router.post("/{file_id}/referrals", response_model=ReferralRead, status_code=201)
def refer(
    file_id: str,
    body: ReferralCreate,
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> ReferralRead:
    """Refer the victim to another unit (consent or a documented override)."""
    return service.referral_read(actions.refer(session, actor=actor, public_id=file_id, data=body))


@router.post("/{file_id}/identity", response_model=FileSummary)
def record_identity(
    file_id: str,
    body: IdentityUpdate,
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> FileSummary:
    """Identity established."""
    return _summary(actions.record_identity(session, actor=actor, public_id=file_id, data=body))


@router.post("/{file_id}/hukou", response_model=FileSummary)
def record_hukou(
    file_id: str,
    body: HukouStep,
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> FileSummary:
    """A step of the household-registration application."""
    return _summary(actions.record_hukou(session, actor=actor, public_id=file_id, data=body))


@router.post("/{file_id}/assign", response_model=FileSummary)
def assign(
    file_id: str,
    body: AssignCaseworker,
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> FileSummary:
    """Make a caseworker of the owner unit responsible."""
    return _summary(
        actions.assign_caseworker(session, actor=actor, public_id=file_id, username=body.username)
    )


@router.post("/{file_id}/close", response_model=FileSummary)
def close(
    file_id: str,
    body: CloseFile,
    actor: Actor = require("victims.manage"),
    session: Session = Depends(get_session),
) -> FileSummary:
    """Close the file."""
    return _summary(actions.close_file(session, actor=actor, public_id=file_id, data=body))


@router.post("/{file_id}/erase", status_code=204)
def erase(
    file_id: str,
    body: EraseRequest,
    actor: Actor = require("people.erase"),
    session: Session = Depends(get_session),
) -> None:
    """Erase the file for good (crypto-shredding its key)."""
    actions.erase_file(session, field_crypto(), actor=actor, public_id=file_id, reason=body.reason)
