"""JSON API of the plan accountability module: cycles, the unit's measures, progress reports,
contributions, evidence, evaluations and scores, and the dashboard's data."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from fanguai.accountability import actions, evaluation, service, views
from fanguai.accountability.catalogue import MAX_EVIDENCE_BYTES
from fanguai.accountability.dashboard import dashboard
from fanguai.accountability.schemas import (
    CycleRead,
    EvaluationRead,
    EvaluationSummary,
    EvidenceRead,
    ReportFile,
    ReportFileByMeasure,
    ReportRead,
    ReportSummary,
    ResponsibilityRead,
    ScoreInput,
)
from fanguai.core.actor import Actor
from fanguai.db import utcnow
from fanguai.errors import NotFound
from fanguai.org.models import Unit
from fanguai.web.deps import get_session, require

router = APIRouter(prefix="/api", tags=["accountability"])


def _input(body: ReportFile) -> actions.ReportInput:
    return actions.ReportInput(
        implementation=body.implementation,
        narrative=body.narrative,
        problems=body.problems,
        next_steps=body.next_steps,
        figures=body.figures,
    )


@router.get("/progress/cycles", response_model=list[CycleRead])
def list_cycles(
    actor: Actor = require("progress.read"), session: Session = Depends(get_session)
) -> list[CycleRead]:
    """Reporting cycles, newest first."""
    return [views.cycle_read(c) for c in service.list_cycles(session, actor=actor)]


@router.get("/progress/my-measures", response_model=list[ResponsibilityRead])
def my_measures(
    actor: Actor = require("progress.read"), session: Session = Depends(get_session)
) -> list[ResponsibilityRead]:
    """The measures the actor's unit leads or cooperates on, in the plan's order."""
    unit = session.get(Unit, actor.unit_id)
    if unit is None:
        raise NotFound("unit not found")
    return [views.responsibility_read(r) for r in service.responsibilities(session, unit)]


@router.get("/progress/reports", response_model=list[ReportSummary])
def list_reports(
    cycle: str | None = Query(None, max_length=36),
    status: str | None = Query(None, pattern="^(pending|submitted)$"),
    mine: bool = Query(False),
    actor: Actor = require("progress.read"),
    session: Session = Depends(get_session),
) -> list[ReportSummary]:
    """Reports of a cycle (the current one by default) inside the actor's jurisdiction."""
    chosen = (
        service.get_cycle(session, actor=actor, public_id=cycle)
        if cycle
        else service.current_cycle(session)
    )
    if chosen is None:
        return []
    rows = service.list_reports(
        session,
        actor=actor,
        cycle=chosen,
        status=status,
        unit_id=actor.unit_id if mine else None,
    )
    now = utcnow()
    return [views.report_summary(r, now) for r in rows]


@router.get("/progress/reports/{report_id}", response_model=ReportRead)
def get_report(
    report_id: str, actor: Actor = require("progress.read"), session: Session = Depends(get_session)
) -> ReportRead:
    """One report with its figures, contributions and evidence."""
    report = service.get_report_for(session, actor=actor, public_id=report_id)
    return views.report_read(session, report, utcnow())


@router.post("/progress/reports", response_model=ReportRead, status_code=201)
def file_by_measure(
    body: ReportFileByMeasure,
    actor: Actor = require("progress.report"),
    session: Session = Depends(get_session),
) -> ReportRead:
    """File the unit's report on a measure named by its code (422 if the unit does not lead it)."""
    report = actions.file_report_for_measure(
        session,
        actor=actor,
        measure_code=body.measure,
        cycle_public_id=body.cycle,
        data=_input(body),
    )
    return views.report_read(session, report, utcnow())


@router.post("/progress/reports/{report_id}", response_model=ReportRead)
def file_report(
    report_id: str,
    body: ReportFile,
    actor: Actor = require("progress.report"),
    session: Session = Depends(get_session),
) -> ReportRead:
    """File or update the unit's report while the cycle is open."""
    report = actions.file_report(session, actor=actor, public_id=report_id, data=_input(body))
    return views.report_read(session, report, utcnow())


def _read_upload(file: UploadFile) -> bytes:
    return file.file.read(MAX_EVIDENCE_BYTES + 1)


@router.post("/progress/reports/{report_id}/evidence", response_model=EvidenceRead, status_code=201)
def attach_evidence(
    report_id: str,
    file: UploadFile = File(...),
    actor: Actor = require("progress.report"),
    session: Session = Depends(get_session),
) -> EvidenceRead:
    """Attach an evidence file (PDF, JPG, PNG, DOCX or XLSX, checked by content)."""
    e = actions.attach_evidence(
        session,
        actor=actor,
        report_public_id=report_id,
        filename=file.filename or "",
        content=_read_upload(file),
    )
    return EvidenceRead(
        id=e.public_id,
        filename=e.filename,
        content_type=e.content_type,
        size=e.size,
        sha256=e.sha256,
        uploaded_at=e.uploaded_at,
    )


@router.post("/progress/contributions/{contribution_id}")
def file_contribution(
    contribution_id: str,
    body: ReportFile,
    actor: Actor = require("progress.report"),
    session: Session = Depends(get_session),
) -> JSONResponse:
    """File or update a cooperating unit's part of a measure."""
    c = actions.file_contribution(
        session, actor=actor, public_id=contribution_id, data=_input(body)
    )
    return JSONResponse({"id": c.public_id, "status": c.status, "report": c.report.public_id})


@router.get("/evaluations", response_model=list[EvaluationSummary])
def list_evaluations(
    actor: Actor = require("evaluation.score"), session: Session = Depends(get_session)
) -> list[EvaluationSummary]:
    """Evaluations inside the actor's jurisdiction, newest first."""
    return [
        EvaluationSummary(
            id=e.public_id,
            kind=e.kind,
            title=e.title,
            document_number=e.document_number,
            status=e.status,
            created_at=e.created_at,
        )
        for e in evaluation.list_evaluations(session, actor=actor)
    ]


@router.get("/evaluations/{evaluation_id}", response_model=EvaluationRead)
def get_evaluation(
    evaluation_id: str,
    actor: Actor = require("evaluation.score"),
    session: Session = Depends(get_session),
) -> EvaluationRead:
    """An evaluation's aggregates by section, unit, region and measure, and its lists."""
    ev = evaluation.get_evaluation_for(session, actor=actor, public_id=evaluation_id)
    return views.evaluation_read(evaluation.results(session, ev))


@router.post("/evaluations/items/{item_id}/scores")
def score_item(
    item_id: str,
    body: ScoreInput,
    actor: Actor = require("evaluation.score"),
    session: Session = Depends(get_session),
) -> JSONResponse:
    """Score every criterion of the rubric for one item (422 for a score outside the rubric)."""
    item = evaluation.score_item(
        session, actor=actor, item_public_id=item_id, scores=body.scores, comment=body.comment
    )
    result = evaluation.item_result(item, item.evaluation.rubric)
    return JSONResponse({"id": item.public_id, "total": result.total, "percent": result.percent})


@router.get("/dashboard")
def dashboard_data(
    source: str | None = Query(None, max_length=20),
    months: int = Query(12, ge=1, le=36),
    division: str | None = Query(None, pattern=r"^32\d{4}$"),
    actor: Actor = require("dashboard.view"),
    session: Session = Depends(get_session),
) -> dict:
    """The dashboard's figures: plan progress, and one live source by county and month."""
    data = dashboard(
        session, actor=actor, now=utcnow(), source=source, months=months, division=division
    )
    return _json_dashboard(data)


def _cell(cell) -> int | str:  # type: ignore[no-untyped-def]
    return cell.value if cell.value is not None else cell.label


def _json_dashboard(data: dict) -> dict:
    plan = data["plan"]
    live = data["live"]
    return {
        "plan": None
        if plan is None
        else {
            "cycle": plan["cycle"].name,
            "due_at": plan["cycle"].due_at.isoformat(),
            "reports": vars(plan["total"]),
            "sections": [
                {"section": code, "title": title, **vars(tally), "states": states}
                for code, title, tally, states in plan["sections"]
            ],
            "overdue_units_count": plan["overdue_count"],
            "overdue_units": [
                {"unit": unit.name, "code": unit.code, "overdue": n}
                for unit, n in plan["overdue_units"]
            ],
        },
        "sources": data["sources"],
        "source": data["source"],
        "totals": {k: _cell(v) for k, v in data["totals"].items()},
        "live": None
        if live is None
        else {
            "label": live["label"],
            "months": live["months"],
            "total": _cell(live["total"]),
            "by_county": {code: _cell(c) for code, c in live["map"].items()},
            "trend": [[m, _cell(c)] for m, c in live["trend"]],
            "table": [[code, name, _cell(c)] for code, name, c in live["table"]],
        },
        "extras": {
            "median_hours_to_find": data["extras"].get("median_hours_to_find"),
            "served": {kind: _cell(c) for kind, _, c in data["extras"].get("served", [])},
        },
        "refreshed": {k: v.isoformat() for k, v in data["refreshed"].items()},
    }
